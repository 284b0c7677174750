import { get, session, when } from "./api.js";

// The portal's list of upcoming appointments: each with its time in the
// client's own zone, a Join button for telehealth that comes alive when
// the session opens, and an "Add to calendar" download.

function button(label, className) {
  const element = document.createElement("button");
  element.type = "button";
  element.className = className;
  element.textContent = label;
  return element;
}

function joinButton(item) {
  const link = document.createElement("a");
  link.className = "button join";
  link.textContent = "Join";
  const open = () => {
    link.href = item.joinURL;
    link.removeAttribute("aria-disabled");
    link.textContent = "Join your session";
  };
  if (item.joinOpen) {
    open();
  } else {
    link.setAttribute("aria-disabled", "true");
    link.textContent = "Join opens " + new Date(item.joinOpens).toLocaleTimeString(undefined, { hour: "numeric", minute: "2-digit" });
    // Long waits are re-read when the client comes back to the page.
    if (item.opensInSeconds < 12 * 3600) setTimeout(open, item.opensInSeconds * 1000);
  }
  return link;
}

async function download(item, control) {
  control.disabled = true;
  try {
    const response = await fetch(`/api/portal/appointments/${encodeURIComponent(item.id)}/calendar`, {
      headers: { Authorization: session().token },
    });
    if (!response.ok) throw new Error(response.status);
    const url = URL.createObjectURL(await response.blob());
    const link = document.createElement("a");
    link.href = url;
    link.download = "appointment.ics";
    link.click();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  } catch {
    control.textContent = "Could not download: try again";
  } finally {
    control.disabled = false;
  }
}

function render(item) {
  const entry = document.createElement("li");
  entry.className = "appointment";
  entry.dataset.id = item.id;

  const time = document.createElement("p");
  time.className = "when";
  time.textContent = when(item.starts);
  const who = document.createElement("p");
  who.textContent = `${item.durationMinutes} minutes with ${item.clinician}`;
  const where = document.createElement("p");
  where.className = "muted";
  where.textContent = item.kind === "telehealth" ? "Online, by video" : item.place || "At the practice";
  entry.append(time, who, where);

  const actions = document.createElement("p");
  actions.className = "actions";
  if (item.kind === "telehealth") actions.append(joinButton(item));
  const calendar = button("Add to calendar", "quiet");
  calendar.addEventListener("click", () => download(item, calendar));
  actions.append(calendar);
  entry.append(actions);
  return entry;
}

// showAppointments adds the upcoming appointments section to the portal home.
export async function showAppointments(container) {
  const section = document.createElement("section");
  section.id = "appointments";
  section.className = "card";
  const heading = document.createElement("h2");
  heading.textContent = "Upcoming appointments";
  section.append(heading);
  container.append(section);

  const upcoming = await get("/api/portal/appointments");
  if (upcoming === null) {
    section.append(Object.assign(document.createElement("p"), {
      className: "error", textContent: "We could not load your appointments. Please reload the page.",
    }));
    return;
  }
  if (upcoming.length === 0) {
    section.append(Object.assign(document.createElement("p"), {
      className: "muted", textContent: "You have no appointments booked.",
    }));
    return;
  }
  const list = document.createElement("ul");
  list.className = "plain";
  list.append(...upcoming.map(render));
  section.append(list);
}
