import { get, when } from "./api.js";
import { showContact } from "./contact.js";

// What a client can do with an appointment, and where it stands, as the
// portal home and the appointment page say it. Doing anything opens the
// appointment page, whose button alone acts.

export const actionLabels = { confirm: "Confirm", cancel: "Cancel", reschedule: "Ask for another time" };

// stateLine says where the appointment stands, in the client's words.
export function stateLine(view) {
  switch (view.state) {
    case "confirmed":
      return "Confirmed: you said you will come.";
    case "time_change_requested":
      return "Time change requested: the practice will get back to you.";
    case "cancelled_by_you":
      return view.lateCancellation ? "Cancelled by you (a late cancellation)." : "Cancelled by you.";
    case "cancelled":
      return "Cancelled by the practice.";
    case "started":
      return "This appointment has started.";
    default:
      return "Not confirmed yet.";
  }
}

// answerLine is the practice's answer to a declined request, or "".
export function answerLine(view) {
  if (!view.request || view.request.status !== "declined" || !view.request.answer) return "";
  return `You asked for another time. The practice answered: “${view.request.answer}”`;
}

// actionPage is where the portal sends the client to do action.
export function actionPage(view, action) {
  return `/portal/appointment.html?id=${encodeURIComponent(view.id)}&do=${action}`;
}

function line(className, text) {
  return Object.assign(document.createElement("p"), { className, textContent: text });
}

// decorate adds the state, the practice's answer and the action links to
// one appointment of the list.
function decorate(entry, view) {
  let actions = entry.querySelector(".actions");
  if (!actions) {
    actions = line("actions", "");
    entry.append(actions);
  }
  actions.before(line("state", stateLine(view)));
  const answer = answerLine(view);
  if (answer) actions.before(line("answer", answer));
  for (const action of view.actions) {
    const link = document.createElement("a");
    link.className = "button quiet";
    link.href = actionPage(view, action);
    link.textContent = actionLabels[action];
    actions.append(link);
  }
}

// showAppointmentActions adds, to the portal's appointments section, each
// appointment's state and actions (and those the client cancelled, which
// the list of scheduled ones leaves out), and fills the contact card.
export async function showAppointmentActions(section) {
  const data = await get("/api/portal/actions");
  if (!data) return; // the appointments section already says when loading failed
  showContact(data.practice);
  let list = section.querySelector("ul.plain");
  for (const view of data.appointments) {
    let entry = [...section.querySelectorAll("li.appointment")].find((li) => li.dataset.id === view.id);
    if (!entry) {
      if (!list) {
        section.querySelector(":scope > p.muted")?.remove();
        list = Object.assign(document.createElement("ul"), { className: "plain" });
        section.append(list);
      }
      entry = document.createElement("li");
      entry.className = "appointment cancelled";
      entry.dataset.id = view.id;
      entry.append(line("when", when(view.starts)), line("", `${view.durationMinutes} minutes with ${view.clinician}`));
      list.append(entry);
    }
    decorate(entry, view);
  }
  // Soonest first, the cancelled ones among the others.
  if (list) list.append(...data.appointments.map((view) => [...list.children].find((li) => li.dataset.id === view.id)).filter(Boolean));
}
