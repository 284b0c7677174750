// The requests page: clients' requests for another time, to answer by
// moving the appointment (the schedule's move route) or by declining with
// a line, and the appointments clients cancelled, late ones marked. The
// server decides who sees which request and says what happened.
import { startPage, staffRequest } from "./staff.js";
import { element } from "./questions.js";
import { dateTime, outcome } from "./staff-common.js";

const $ = (id) => document.getElementById(id);
// Declared before the first load: the module awaits it at its top level.
const ANSWERED = { declined: "Declined", rescheduled: "Moved to a new time", withdrawn: "Closed: the appointment was cancelled" };
let zone = "UTC";

await startPage("requests");
await load();

async function load() {
  const { status, data } = await staffRequest("GET", "/api/staff/requests");
  if (status !== 200) {
    $("staff-error").textContent = data.message || "We could not load the requests.";
    return;
  }
  zone = data.timeZone;
  $("zone").textContent = `Times are in the practice's time zone (${data.timeZone}).`;
  fill($("open"), data.open.map(openRequest), "No one is waiting for an answer.");
  fill($("cancelled"), data.cancellations.map(cancellation), "No client cancelled in the last two weeks.");
  fill($("answered"), data.answered.map(answered), "Nothing answered in the last two weeks.");
}

function fill(list, items, empty) {
  list.replaceChildren(...(items.length ? items : [element("li", { className: "muted", text: empty })]));
}

// heading names the appointment: its time, the client (a link to their page) and the clinician.
function heading(a) {
  return element("p", { className: "when" }, [
    element("span", { text: a.when + " · " }),
    element("a", { href: "/staff/client.html?id=" + encodeURIComponent(a.client.id), text: a.client.name }),
    element("span", { text: " · " + a.clinician.name }),
  ]);
}

function openRequest(r) {
  const a = r.appointment;
  const item = element("li", { className: "request", "data-id": r.id }, [
    heading(a),
    element("p", { className: "muted", text: "Asked " + dateTime(r.asked, zone) + "." }),
  ]);
  if (r.times.length) {
    item.append(element("p", { text: "Times that would suit them:" }), element("ul", { className: "plain choices" },
      r.times.map((time) => element("li", {}, [element("span", { text: time.label + " " }), moveButton(r, time)]))));
  }
  if (r.note) item.append(element("p", { text: "They wrote:" }), element("p", { className: "consent-text note", text: r.note }));
  item.append(element("p", {}, [element("a", { href: "/staff/schedule.html?date=" + a.day, text: "Move it to another time on the schedule" })]));
  item.append(declineForm(r));
  return item;
}

function moveButton(r, time) {
  const a = r.appointment;
  const button = element("button", { type: "button", className: "quiet small", text: "Move to this time" });
  button.setAttribute("aria-label", `Move to this time: ${time.label}, for ${a.client.name}`);
  button.addEventListener("click", async () => {
    const { status, data } = await staffRequest("POST", `/api/staff/appointments/${a.id}/move`,
      { date: time.day, time: time.start, durationMinutes: a.durationMinutes });
    outcome(data.message || "The appointment could not be moved.", status !== 200);
    if (status === 200) await load();
  });
  return button;
}

function declineForm(r) {
  const id = "answer-" + r.id;
  const input = element("input", { id, type: "text", maxLength: 300, required: true });
  input.setAttribute("aria-describedby", id + "-hint");
  const error = element("p", { className: "error", role: "alert" });
  const form = element("form", { className: "card decline", "aria-label": "Decline " + r.appointment.client.name + "'s request" }, [
    element("label", { htmlFor: id, text: "Or decline, with one line for the client" }),
    input,
    element("p", { id: id + "-hint", className: "hint", text: "They read it by email and in the portal; their appointment stays as it is." }),
    error,
    element("button", { type: "submit", className: "quiet", text: "Decline with this answer" }),
  ]);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.textContent = "";
    const { status, data } = await staffRequest("POST", `/api/staff/requests/${r.id}/decline`, { answer: input.value });
    if (status !== 200) { error.textContent = data.message || "That did not work."; return; }
    outcome(data.message);
    await load();
  });
  return form;
}

function cancellation(a) {
  return element("li", { className: "appointment status-cancelled", "data-id": a.id }, [
    heading(a),
    element("p", { className: "state" }, [
      element("span", { className: "badge", text: a.lateCancellation ? "Late cancellation" : "Cancelled in time" }),
      element("span", { text: a.lateCancellation ? " Inside the practice's cancellation policy window." : " The time is free again." }),
    ]),
  ]);
}

function answered(r) {
  return element("li", { className: "request answered", "data-id": r.id }, [
    heading(r.appointment),
    element("p", { className: "state" }, [element("span", { className: "badge", text: ANSWERED[r.status] || r.status })]),
    r.answer ? element("p", { text: "Your answer: " + r.answer }) : null,
  ]);
}
