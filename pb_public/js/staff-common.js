// Small helpers the Schedule and Clients pages share.
import { staffRequest } from "./staff.js";

const DAY = new Intl.DateTimeFormat("en-GB", { weekday: "long", day: "numeric", month: "long", timeZone: "UTC" });

// dayLabel writes a practice date (2026-03-09) as "Monday 9 March".
export function dayLabel(day) {
  return DAY.format(new Date(day + "T00:00:00Z"));
}

// addDays is the practice date n days after day.
export function addDays(day, n) {
  const date = new Date(day + "T00:00:00Z");
  date.setUTCDate(date.getUTCDate() + n);
  return date.toISOString().slice(0, 10);
}

// dateTime writes an instant in the practice's zone: "Monday 9 March 2026, 10:00".
export function dateTime(iso, timeZone) {
  return new Intl.DateTimeFormat("en-GB", { weekday: "long", day: "numeric", month: "long", year: "numeric",
    hour: "2-digit", minute: "2-digit", timeZone }).format(new Date(iso));
}

// outcome tells the person what just happened, in the page's status line.
export function outcome(message, failed = false) {
  const line = document.getElementById("outcome");
  line.hidden = false;
  line.classList.toggle("failed", failed);
  line.textContent = message;
}

const STATUS = { scheduled: "Scheduled", cancelled: "Cancelled", completed: "Completed", no_show: "No-show" };

// statusLabel names an appointment's status as staff say it.
export function statusLabel(status) {
  return STATUS[status] || status;
}

// joinLabel says where a telehealth session's join link stands.
export function joinLabel(join, timeZone) {
  if (join.state === "open") return "Video: the join link is open.";
  if (join.state === "over") return "Video: the join link is closed.";
  const opens = new Intl.DateTimeFormat("en-GB", { hour: "2-digit", minute: "2-digit", timeZone }).format(new Date(join.opens));
  return `Video: the join link opens at ${opens}.`;
}

// findClients searches the clients the server lets this person see.
export async function findClients(text) {
  const { status, data } = await staffRequest("GET", "/api/staff/clients?q=" + encodeURIComponent(text));
  return status === 200 ? data : [];
}
