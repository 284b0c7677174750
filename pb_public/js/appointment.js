import { post, send, session, show, signOut, when } from "./api.js";
import { actionLabels, answerLine, stateLine } from "./actions.js";
import { showContact } from "./contact.js";

// One appointment's page, opened from a reminder's Confirm, Cancel or
// "Ask for another time" link (/a/{token}?do=…) or from the portal
// (?id=…&do=…). Opening it changes nothing, since mail scanners open links
// too: only a button's POST acts.
const sections = ["loading", "ready", "done", "closed", "unknown"];
const params = new URLSearchParams(location.search);
const onLink = location.pathname.startsWith("/a/");
const target = onLink
  ? { token: decodeURIComponent(location.pathname.split("/").filter(Boolean).pop() || "") }
  : { appointment: params.get("id") || "" };
let chosen = params.get("do");
let current;

const $ = (id) => document.getElementById(id);

function call(action, extra = {}) {
  const path = `/api/portal/actions/${action}`;
  const body = { ...target, ...extra };
  return onLink ? post(path, body) : send("POST", path, body);
}

function describe(view) {
  const fill = (selector, text) => document.querySelectorAll(selector).forEach((el) => { el.textContent = text; });
  fill("[data-when]", when(view.starts));
  fill("[data-who]", `${view.durationMinutes} minutes with ${view.clinician}`);
  fill("[data-where]", view.kind === "telehealth" ? "Online, by video" : view.place || "At the practice");
  fill("[data-state]", [stateLine(view), answerLine(view)].filter(Boolean).join(" "));
}

const closed = {
  cancelled_by_you: ["You cancelled this appointment", "There is nothing more to do. To book again, please get in touch with the practice."],
  cancelled: ["This appointment was cancelled", "The practice cancelled it. If you have questions, please get in touch."],
  started: ["This appointment has already started", "It can no longer be confirmed, cancelled or moved here. Please get in touch with the practice."],
};

const already = {
  confirm: ["confirmed", "You have already confirmed this appointment. Thank you."],
  reschedule: ["time_change_requested", "You have already asked for another time. The practice will get back to you."],
};

function notice(hours) {
  return hours >= 48 && hours % 24 === 0 ? `${hours / 24} days’` : `${hours} hours’`;
}

function showPolicy(view) {
  $("late-policy").hidden = !view.late;
  $("late-policy-text").textContent = view.late
    ? `The practice asks for ${notice(view.policyHours)} notice to cancel, and your appointment is closer than that. If you cancel now, it is marked a late cancellation, and the practice will see it marked so.`
    : "";
  $("cancel-policy").textContent = !view.late && view.policyHours > 0
    ? `The practice asks for ${notice(view.policyHours)} notice to cancel. Until ${when(view.lateFrom)} you can cancel without it counting as late.`
    : "";
  $("cancel").textContent = view.late ? "Cancel anyway (late cancellation)" : "Cancel this appointment";
}

function render(view) {
  current = view;
  describe(view);
  if (closed[view.state]) {
    $("closed-title").textContent = closed[view.state][0];
    $("closed-why").textContent = closed[view.state][1];
    show("closed", sections);
    return;
  }
  $("not-offered").hidden = true;
  if (chosen && !view.actions.includes(chosen)) {
    const [state, line] = already[chosen] || [];
    $("not-offered").textContent = state === view.state ? line : "The practice does not take this online. Please get in touch with them.";
    $("not-offered").hidden = false;
    chosen = null;
  }
  $("confirm-panel").hidden = chosen !== "confirm";
  $("cancel-panel").hidden = chosen !== "cancel";
  $("reschedule-panel").hidden = chosen !== "reschedule";
  if (chosen === "cancel") showPolicy(view);

  const others = view.actions.filter((action) => action !== chosen);
  $("other-action-buttons").replaceChildren(...others.map((action) => {
    const button = Object.assign(document.createElement("button"), { type: "button", className: "quiet", textContent: actionLabels[action] });
    // Choosing another action only shows its button; nothing is sent.
    button.addEventListener("click", () => {
      chosen = action;
      $("action-error").textContent = "";
      render(current);
      $("ready-title").focus();
    });
    return button;
  }));
  $("other-actions-lead").textContent = chosen ? "Something else?" : "What would you like to do?";
  $("other-actions").hidden = others.length === 0;
  show("ready", sections);
}

// firstMessage is the first field error in a 400 answer's data.
function firstMessage(data) {
  for (const value of Object.values(data || {})) {
    if (value && typeof value.message === "string") return value.message;
    const nested = value && typeof value === "object" ? firstMessage(value) : "";
    if (nested) return nested;
  }
  return "";
}

const doneTitles = {
  confirm: "Thank you: you are confirmed",
  cancel: "Your appointment is cancelled",
  reschedule: "Your request is with the practice",
};

async function act(action, extra, button) {
  button.disabled = true;
  $("action-error").textContent = "";
  const { status, data } = await call(action, extra);
  button.disabled = false;
  if (status === 200) {
    describe(data.appointment);
    $("done-title").textContent = data.already ? "Already done" : doneTitles[action];
    $("done-message").textContent = data.message;
    show("done", sections);
    return;
  }
  if (status === 404) {
    showContact(data.practice);
    show("unknown", sections);
    return;
  }
  if (data.appointment) render(data.appointment);
  $("action-error").textContent = firstMessage(data.data) || data.message || "That did not work. Please try again.";
}

$("confirm").addEventListener("click", (event) => act("confirm", {}, event.target));
$("cancel").addEventListener("click", (event) => act("cancel", { acceptLate: current.late }, event.target));
$("reschedule-panel").addEventListener("submit", (event) => {
  event.preventDefault();
  const times = [...document.querySelectorAll("#reschedule-panel input[name=time]")]
    .filter((input) => input.value)
    .map((input) => new Date(input.value).toISOString());
  const note = $("note").value.trim();
  if (times.length === 0 && !note) {
    $("action-error").textContent = "Pick a time or write a short note.";
    return;
  }
  act("reschedule", { times, note }, $("reschedule"));
});

async function start() {
  if (!onLink && !session()) {
    signOut("expired");
    return;
  }
  const { status, data } = await call("status");
  showContact(data.practice);
  if (status !== 200) {
    show("unknown", sections);
    return;
  }
  render(data.appointment);
}

start();
