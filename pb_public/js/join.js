import { post, show, when } from "./api.js";
import { fill, showContact } from "./contact.js";

// The join page explains a telehealth link that does not open a session
// right now. While the window is open the server serves the call page (or
// redirects to the clinician's external room), so this page only ever says
// "soon", "over", "not taking place" or, for a fixed room link without a
// waiting room, that the session cannot open from this link.
const sections = ["loading", "early", "ended", "cancelled", "shared-room", "unknown"];
// The last non-empty part: the link works with a trailing slash too.
const token = decodeURIComponent(location.pathname.split("/").filter(Boolean).pop() || "");

function countDown(seconds) {
  const element = document.getElementById("countdown");
  const opensAt = Date.now() + seconds * 1000;
  const tick = () => {
    const left = Math.max(0, Math.round((opensAt - Date.now()) / 1000));
    if (left === 0) {
      // The server decides whether the window is open; asking it again
      // either opens the session or shows the new wait.
      location.reload();
      return;
    }
    const hours = Math.floor(left / 3600);
    const minutes = Math.floor((left % 3600) / 60);
    const secs = left % 60;
    element.textContent = "Opens in " + (hours ? hours + " h " : "") + (hours || minutes ? minutes + " min " : "") + secs + " s";
    setTimeout(tick, 1000);
  };
  tick();
}

async function start() {
  const { status, data } = await post("/api/portal/join-status", { token });
  showContact(data.practice);
  if (status !== 200) {
    show("unknown", sections);
    return;
  }
  fill("[data-clinician]", data.clinician);
  switch (data.state) {
    case "open":
      location.reload();
      return;
    case "early":
      document.getElementById("early-when").textContent = when(data.starts);
      show("early", sections);
      countDown(data.opensInSeconds);
      return;
    case "shared_room":
      show("shared-room", sections);
      return;
    case "cancelled":
      document.getElementById("cancelled-when").textContent = when(data.starts);
      show("cancelled", sections);
      return;
    default:
      document.getElementById("ended-when").textContent = when(data.starts);
      show("ended", sections);
  }
}

start();
