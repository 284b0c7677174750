import { show } from "/js/api.js";
import { fill } from "/js/contact.js";
import { startPage, staffSession } from "/js/staff.js";
import { Call, remoteStats } from "/js/call-mesh.js";
import { CallPage } from "/js/call-ui.js";

// The clinician's side of a call held on Portico: /staff/call.html?appointment=ID.
// The clinician opens the session, sees who is waiting, lets them in and
// can end the session for everyone.
const sections = ["loading", "precall", "blocked", "nodevice", "incall", "over"];
const appointment = new URLSearchParams(location.search).get("appointment") || "";
const page = new CallPage(sections);
const $ = (id) => document.getElementById(id);

// staffToken is the signed-in staff member's session.
function staffToken() {
  const session = staffSession();
  return session ? session.token : "";
}

// A clinician in a session is at work without touching the page: tell the
// workspace's idle watch so, or it would sign them out mid-session.
setInterval(() => {
  if (page.call && !page.call.left) dispatchEvent(new Event("pointerdown"));
}, 30 * 1000);

function admit(id) {
  return page.call.post("/api/video/admit", { participant: id });
}

page.waiting = (list) => {
  $("nobody-waiting").hidden = list.length > 0;
  $("waiting-list").replaceChildren(...list.map((person) => {
    const item = document.createElement("li");
    const since = new Date(person.since).toLocaleTimeString(undefined, { hour: "numeric", minute: "2-digit" });
    item.append(`${person.name} is waiting (since ${since}) `);
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = `Let ${person.name} in`;
    button.dataset.admit = person.id;
    button.addEventListener("click", async () => {
      button.disabled = true;
      const status = await admit(person.id);
      if (status === 409) page.status("The session already has 4 people: someone has to leave first.");
    });
    item.append(button);
    return item;
  }));
};

function over(state, detail) {
  $("over-text").textContent = state === "left" ? "You left; the clients stay in the session until it ends."
    : (detail && detail.message) || "Everyone has left the session.";
  page.local.stop();
  show("over", sections);
}

function open() {
  $("join").disabled = true;
  page.call = new Call({
    enterPath: "/api/video/host",
    enterBody: { appointment },
    headers: { Authorization: staffToken() },
    stream: page.local.stream,
    handlers: page.handlers((state, detail) => {
      if (state !== "in-call" && state !== "reconnecting" && state !== "waiting") over(state, detail);
    }),
  });
  page.call.enter();
}

async function start() {
  await startPage("call"); // sends anyone not signed in to the staff sign-in page
  const response = await fetch("/api/video/present/" + encodeURIComponent(appointment), {
    headers: { Authorization: staffToken() },
  }).catch(() => null);
  const data = response ? await response.json().catch(() => ({})) : {};
  if (!response || response.status !== 200) {
    $("over-title").textContent = response && response.status === 403 ? "This session is not yours to host" : "We could not find that session";
    $("over-text").textContent = data.message || "";
    $("rejoin").hidden = true;
    show("over", sections);
    return;
  }
  fill("[data-client]", data.client);
  await page.check();
}

$("join").addEventListener("click", open);
$("leave").addEventListener("click", () => page.call.leave());
$("end").addEventListener("click", () => page.call.post("/api/video/end", {}));
$("rejoin").addEventListener("click", () => location.reload());

start();

// stats reports what this page receives from each person in the call.
export function stats() {
  return page.call ? remoteStats(page.call) : Promise.resolve([]);
}
