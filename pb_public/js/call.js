import { post, show } from "./api.js";
import { fill, showContact } from "./contact.js";
import { Call, remoteStats } from "./call-mesh.js";
import { CallPage } from "./call-ui.js";

// The client's call page, served by the join link while the session's
// window is open. Opening it starts nothing: only the Join button enters
// the waiting room, so a mail scanner that runs the page joins no call.
const sections = ["loading", "precall", "blocked", "nodevice", "waiting", "incall", "over"];
const token = decodeURIComponent(location.pathname.split("/").filter(Boolean).pop() || ""); // a mail client may add a trailing slash
const page = new CallPage(sections);
const $ = (id) => document.getElementById(id);
let clinician = "your clinician";

const endings = {
  ended: ["The session has ended", () => `${clinician} ended the session. Thank you for joining.`],
  left: ["You left the session", () => `If you left by mistake, join again: ${clinician} will let you back in.`],
  cancelled: ["This appointment was cancelled", () => "The session is not taking place."],
  refused: ["This session is not open", (detail) => (detail && detail.message) || "Please use the link in your newest email."],
};

function over(state, detail) {
  const [title, text] = endings[state] || endings.refused;
  $("over-title").textContent = title;
  $("over-text").textContent = text(detail);
  $("rejoin").hidden = state !== "left";
  page.local.stop();
  show("over", sections);
}

function join() {
  $("join").disabled = true;
  page.call = new Call({
    enterPath: "/api/video/join",
    enterBody: { token, name: $("name").value },
    stream: page.local.stream,
    handlers: page.handlers((state, detail) => {
      if (state === "waiting") show("waiting", sections);
      else if (state !== "in-call" && state !== "reconnecting") over(state, detail);
    }),
  });
  page.call.enter();
}

async function start() {
  const { status, data } = await post("/api/portal/join-status", { token });
  showContact(data.practice);
  if (status !== 200 || data.state !== "open") {
    location.reload(); // the link no longer opens the call: the server's page explains why
    return;
  }
  clinician = data.clinician;
  fill("[data-clinician]", data.clinician);
  await page.check();
}

$("join").addEventListener("click", join);
$("leave").addEventListener("click", () => page.call.leave());
$("leave-waiting").addEventListener("click", () => page.call.leave());
$("rejoin").addEventListener("click", () => location.reload());
addEventListener("pagehide", () => { if (page.call && !page.call.left) navigator.sendBeacon("/api/video/leave", new Blob([JSON.stringify({ key: page.call.key })], { type: "application/json" })); });

start();

// stats reports what this page receives from each person in the call.
export function stats() {
  return page.call ? remoteStats(page.call) : Promise.resolve([]);
}
