import { get, send, show, startPage } from "./api.js";
import { describeAnswer, readAnswers, renderQuestions, restoreAnswers, showErrors } from "./questions.js";

// "Your forms": the list of packets, and one packet to fill in or read
// back (?packet=ID, so a reload returns to it). Answers save as the client
// goes; Send asks the server to check everything.

const sections = ["loading", "list", "packet", "done", "missing"];
const SAVE_AFTER_TYPING_MS = 800;
const RETRY_MS = 5000;

// readableDate writes a stored time as the client says dates. A due date
// is a calendar day (stored as its midnight UTC), so it is read in UTC.
function readableDate(stored, { calendarDay = false } = {}) {
  if (!stored) return "";
  const date = new Date(stored.replace(" ", "T"));
  const options = { day: "numeric", month: "long", year: "numeric" };
  if (calendarDay) options.timeZone = "UTC";
  return date.toLocaleDateString(undefined, options);
}

function packetLink(packet) {
  const link = document.createElement("a");
  link.href = `/portal/forms.html?packet=${encodeURIComponent(packet.id)}`;
  link.className = "packet-link";
  const title = document.createElement("span");
  title.className = "packet-title";
  title.textContent = packet.title;
  const state = document.createElement("span");
  state.className = "packet-state";
  if (packet.status === "submitted") state.textContent = `Sent ${readableDate(packet.submitted)}. View your answers`;
  else if (packet.status === "in_progress") state.textContent = "Started: carry on";
  else state.textContent = "Not started yet";
  if (packet.status !== "submitted" && packet.due) state.textContent += ` · please send by ${readableDate(packet.due, { calendarDay: true })}`;
  link.append(title, state);
  const item = document.createElement("li");
  item.append(link);
  return item;
}

async function showList() {
  const data = await get("/api/portal/intake");
  if (!data) return;
  const open = data.packets.filter((p) => p.status !== "submitted");
  const sent = data.packets.filter((p) => p.status === "submitted");
  document.getElementById("open-packets").replaceChildren(...open.map(packetLink));
  document.getElementById("sent-packets").replaceChildren(...sent.map(packetLink));
  document.getElementById("nothing-open").hidden = open.length > 0;
  document.getElementById("sent-packets-part").hidden = sent.length === 0;
  show("list", sections);
}

async function showPacket(id) {
  const packet = await get(`/api/portal/intake/${encodeURIComponent(id)}`);
  if (!packet) {
    show("missing", sections);
    return;
  }
  document.title = `${packet.title}: your forms`;
  if (packet.status === "submitted") showDone(packet);
  else fillIn(packet);
}

function showDone(packet) {
  document.getElementById("done-title").textContent = packet.title;
  document.getElementById("done-when").textContent = `You sent this form to your practice on ${readableDate(packet.submitted)}. Thank you.`;
  const list = document.getElementById("done-answers");
  list.replaceChildren();
  for (const question of packet.questions) {
    if (question.kind === "heading") continue;
    const term = document.createElement("dt");
    term.textContent = question.label;
    const answer = document.createElement("dd");
    answer.textContent = describeAnswer(question, packet.answers[question.id]);
    list.append(term, answer);
  }
  show("done", sections);
}

function fillIn(packet) {
  const path = `/api/portal/intake/${encodeURIComponent(packet.id)}`;
  const form = document.getElementById("packet-form");
  const status = document.getElementById("save-status");
  const summary = document.getElementById("summary");
  document.getElementById("packet-title").textContent = packet.title;
  document.getElementById("packet-intro").textContent = packet.intro;
  const due = document.getElementById("packet-due");
  due.hidden = !packet.due;
  due.textContent = packet.due ? `Please send it by ${readableDate(packet.due, { calendarDay: true })}.` : "";

  const blocks = renderQuestions(document.getElementById("questions"), packet.questions);
  restoreAnswers(blocks, packet.answers);
  if (packet.saved) status.textContent = "Your answers so far are saved.";

  let timer = 0;
  let saving = null;
  let dirty = false;

  async function save({ keepalive = false } = {}) {
    clearTimeout(timer);
    if (!dirty) return;
    if (saving) await saving;
    dirty = false;
    status.textContent = "Saving…";
    saving = send("PUT", path, { answers: readAnswers(blocks) }, { keepalive });
    const { status: code, data } = await saving;
    saving = null;
    if (code === 200) {
      status.textContent = `Saved at ${new Date().toLocaleTimeString(undefined, { hour: "numeric", minute: "2-digit" })}.`;
    } else if (code === 409) {
      location.reload(); // sent meanwhile, perhaps from another device
    } else if (code === 400) {
      showErrors(blocks, data.data || {});
      status.textContent = "Some answers could not be saved. Please check the messages next to them.";
    } else if (code !== 401) {
      dirty = true;
      status.textContent = "Not saved yet: check your connection. We will keep trying.";
      timer = setTimeout(save, RETRY_MS);
    }
  }

  function later(delay) {
    dirty = true;
    clearTimeout(timer);
    timer = setTimeout(save, delay);
  }
  form.addEventListener("input", () => later(SAVE_AFTER_TYPING_MS));
  form.addEventListener("change", () => later(0));
  addEventListener("pagehide", () => save({ keepalive: true }));
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "hidden") save({ keepalive: true });
  });

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearTimeout(timer);
    if (saving) await saving;
    dirty = false;
    const button = document.getElementById("send");
    const sendError = document.getElementById("send-error");
    button.disabled = true;
    sendError.textContent = "";
    const { status: code, data } = await send("POST", `${path}/submit`, { answers: readAnswers(blocks) });
    button.disabled = false;
    if (code === 200 || code === 409) {
      showPacket(packet.id);
      return;
    }
    if (code !== 400) {
      sendError.textContent = data.message || "That did not work. Please try again.";
      return;
    }
    const wrong = showErrors(blocks, data.data || {});
    const list = document.getElementById("summary-list");
    list.replaceChildren(...wrong.map(({ block, message }) => {
      const link = document.createElement("a");
      link.href = `#${block.first.id}`;
      link.textContent = `${block.question.label} — ${message}`;
      link.addEventListener("click", (e) => {
        e.preventDefault();
        block.first.focus();
      });
      const item = document.createElement("li");
      item.append(link);
      return item;
    }));
    summary.hidden = wrong.length === 0;
    if (wrong.length) summary.focus();
    else sendError.textContent = data.message || "That did not work. Please try again.";
  });

  show("packet", sections);
}

if (startPage()) {
  const id = new URLSearchParams(location.search).get("packet");
  if (id) showPacket(id);
  else showList();
}
