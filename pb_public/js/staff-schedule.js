// The schedule: one day or a week from a date, for the whole practice or
// one clinician, in the practice's time zone; booking, moving, cancelling
// and marking what became of a session. The server checks every rule
// (roles, overlaps) and says what happened; this page asks and shows.
import { startPage, staffRequest } from "./staff.js";
import { element } from "./questions.js";
import { dayLabel, addDays, outcome, statusLabel, joinLabel, findClients } from "./staff-common.js";

const DURATIONS = [30, 45, 50, 60, 90];
const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
let schedule = null;
let chosenClient = null;

await startPage("schedule");
buildDurations();
$("view-days").value = params.get("days") === "7" ? "7" : "1";
await load(params.get("date") || "");
if (params.get("client")) chooseClientById(params.get("client"));

async function load(date) {
  const query = new URLSearchParams({ days: $("view-days").value });
  if (date) query.set("date", date);
  if ($("view-clinician").value) query.set("clinician", $("view-clinician").value);
  const { status, data } = await staffRequest("GET", "/api/staff/schedule?" + query);
  if (status !== 200) {
    $("staff-error").textContent = data.message || "We could not load the schedule.";
    return;
  }
  schedule = data;
  $("view-date").value = data.date;
  $("zone").textContent = `Times are in the practice's time zone (${data.timeZone}).`;
  fillClinicians(data);
  render(data);
}

function fillClinicians(data) {
  for (const select of [$("view-clinician"), $("book-clinician")]) {
    if (select.options.length > (select.id === "view-clinician" ? 1 : 0)) continue;
    for (const c of data.clinicians) select.append(element("option", { value: c.id, text: c.name }));
  }
  if (data.mine && !$("book-clinician").dataset.set) {
    $("book-clinician").value = data.mine;
    $("book-clinician").dataset.set = "1";
  }
  if (!$("book-date").value) $("book-date").value = data.date;
}

function render(data) {
  const days = [];
  for (let i = 0; i < data.days; i++) days.push(addDays(data.date, i));
  $("days").replaceChildren(...days.map((day) => {
    const todays = data.appointments.filter((a) => a.day === day);
    const heading = element("h2", { text: dayLabel(day) + (day === data.today ? " (today)" : "") });
    const body = todays.length
      ? element("ul", { className: "plain schedule" }, todays.map(row))
      : element("p", { className: "muted", text: "No appointments." });
    return element("section", { className: "day", "aria-label": dayLabel(day) }, [heading, body]);
  }));
}

function row(a) {
  const span = a.when.slice(a.when.indexOf(", ") + 2);
  const details = [a.clinician.name, a.kind === "telehealth" ? "Telehealth" : "In person" + (a.place ? ": " + a.place : "")];
  const item = element("li", { className: "appointment status-" + a.status, "data-id": a.id }, [
    element("p", { className: "when" }, [element("span", { text: span + " " }),
      element("a", { href: "/staff/client.html?id=" + encodeURIComponent(a.client.id), text: a.client.name })]),
    element("p", { text: details.join(" · ") }),
    element("p", { className: "state" }, [
      element("span", { className: "badge", text: statusLabel(a.status) }),
      a.confirmed ? element("span", { className: "badge", text: "Confirmed by the client" }) : null,
      a.timeRequested ? element("a", { className: "badge", href: "/staff/requests.html", text: "Asked for another time" }) : null,
      a.cancelledByClient ? element("span", { className: "badge", text: a.lateCancellation ? "Late cancellation by the client" : "Cancelled by the client" }) : null,
      a.join ? element("span", { className: "join-state", text: " " + joinLabel(a.join, schedule.timeZone) }) : null,
    ]),
  ]);
  if (a.join && a.join.onPortico && a.join.state === "open") item.append(session(a));
  if (a.status === "scheduled") item.append(actions(a));
  return item;
}

// session links to an open session held on Portico and says who waits in
// it; only those who may host it (its clinician, the owner) are told. It
// looks once, as the schedule loads: a page that asked on its own every
// few seconds would keep an unattended workspace signed in.
function session(a) {
  const waiting = element("span", { className: "waiting-now", role: "status" });
  const link = element("a", { href: "/staff/call.html?appointment=" + encodeURIComponent(a.id), text: "Open the session" });
  link.setAttribute("aria-label", `Open the session: ${a.client.name}, ${a.when}`);
  const line = element("p", { className: "session" }, [link, element("span", { text: " " }), waiting]);
  staffRequest("GET", "/api/video/present/" + encodeURIComponent(a.id)).then(({ status, data }) => {
    if (status === 403) line.replaceChildren(); // the front desk neither hosts the session nor learns who is in it
    if (status !== 200) return;
    const names = data.waiting.map((p) => p.name);
    if (names.length) waiting.textContent = `${names.join(" and ")} ${names.length > 1 ? "are" : "is"} waiting to be let in.`;
  });
  return line;
}

function actions(a) {
  const button = (text, onClick) => {
    const b = element("button", { type: "button", className: "quiet small", text });
    b.setAttribute("aria-label", `${text}: ${a.client.name}, ${a.when}`);
    b.addEventListener("click", onClick);
    return b;
  };
  const bar = element("div", { className: "actions" }, [
    button("Move", () => moveForm(a, bar)),
    button("Cancel", () => setStatus(a, "cancelled")),
    button("Completed", () => setStatus(a, "completed")),
    button("No-show", () => setStatus(a, "no_show")),
  ]);
  return bar;
}

function moveForm(a, bar) {
  const id = "move-" + a.id;
  const date = element("input", { id: id + "-date", type: "date", value: a.day, required: true });
  const time = element("input", { id: id + "-time", type: "time", step: 300, value: a.start, required: true });
  const error = element("p", { className: "error", role: "alert" });
  const form = element("form", { className: "card move", "aria-label": "Move " + a.client.name }, [
    element("div", { className: "pair" }, [
      element("div", {}, [element("label", { htmlFor: date.id, text: "New date" }), date]),
      element("div", {}, [element("label", { htmlFor: time.id, text: "New start" }), time]),
    ]),
    error,
    element("button", { type: "submit", text: "Move" }),
  ]);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const { status, data } = await staffRequest("POST", `/api/staff/appointments/${a.id}/move`,
      { date: date.value, time: time.value, durationMinutes: a.durationMinutes });
    if (status !== 200) { error.textContent = data.message; return; }
    outcome(data.message);
    await load(schedule.date);
  });
  bar.replaceWith(form);
  date.focus();
}

async function setStatus(a, to) {
  if (to === "cancelled" && !confirm(`Cancel ${a.client.name}'s appointment, ${a.when}? We will email them.`)) return;
  const { status, data } = await staffRequest("POST", `/api/staff/appointments/${a.id}/status`, { status: to });
  outcome(data.message || "That did not work.", status !== 200);
  await load(schedule.date);
}

// The view controls.
$("view-date").addEventListener("change", () => $("view-date").value && load($("view-date").value));
$("view-days").addEventListener("change", () => load(schedule.date));
$("view-clinician").addEventListener("change", () => load(schedule.date));
$("today").addEventListener("click", () => load(""));
$("earlier").addEventListener("click", () => load(addDays(schedule.date, -Number($("view-days").value))));
$("later").addEventListener("click", () => load(addDays(schedule.date, Number($("view-days").value))));
$("view-form").addEventListener("submit", (event) => event.preventDefault());

// Booking.
function buildDurations() {
  $("durations").replaceChildren(...DURATIONS.map((minutes) => element("div", { className: "choice" }, [
    element("input", { id: "duration-" + minutes, type: "radio", name: "duration", value: minutes, checked: minutes === 50 }),
    element("label", { htmlFor: "duration-" + minutes, text: minutes + " min" }),
  ])));
}

for (const radio of document.querySelectorAll("input[name=kind]")) {
  radio.addEventListener("change", () => { $("place-block").hidden = kind() === "telehealth"; });
}
const kind = () => document.querySelector("input[name=kind]:checked").value;

let searching = 0;
$("client-search").addEventListener("input", async () => {
  const mine = ++searching;
  const text = $("client-search").value.trim();
  if (text.length < 2) { $("client-results").replaceChildren(); return; }
  const found = await findClients(text);
  if (mine !== searching) return;
  $("client-results").replaceChildren(...(found.length ? found.slice(0, 8).map((c) => element("li", {}, [choice(c)]))
    : [element("li", { className: "muted", text: "No client matches." })]));
});

function choice(c) {
  const button = element("button", { type: "button", className: "link", text: `${c.name} · ${c.email}${c.phone ? " · " + c.phone : ""}` });
  button.addEventListener("click", () => choose(c));
  return button;
}

function choose(c) {
  chosenClient = c;
  $("client-results").replaceChildren();
  $("client-search").value = c.name;
  $("client-chosen").hidden = false;
  $("client-chosen").textContent = `Booking for ${c.name} (${c.email}).`;
}

async function chooseClientById(id) {
  const { status, data } = await staffRequest("GET", "/api/staff/clients/" + encodeURIComponent(id));
  if (status === 200) {
    choose(data.client);
    $("book-title").scrollIntoView();
    $("client-search").focus();
  }
}

$("book-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  $("book-error").textContent = "";
  if (!chosenClient) { $("book-error").textContent = "Choose the client: type their name, then pick them from the list."; return; }
  const body = {
    client: chosenClient.id,
    clinician: $("book-clinician").value,
    date: $("book-date").value,
    time: $("book-time").value,
    durationMinutes: Number(document.querySelector("input[name=duration]:checked").value),
    kind: kind(),
    location: kind() === "telehealth" ? "" : $("book-place").value.trim(),
  };
  const { status, data } = await staffRequest("POST", "/api/staff/appointments", body);
  if (status !== 201) {
    $("book-error").textContent = data.message || "The appointment could not be booked.";
    return;
  }
  outcome(data.message);
  await load(data.appointment.day);
});
