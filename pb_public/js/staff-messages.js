// The workspace's Messages page: the conversations this person may read
// (clinical ones for the owner and the client's clinicians, administrative
// ones for the front desk too), unread first, each opening to answer.
import { show } from "./api.js";
import { staffRequest, staffSession, startPage } from "./staff.js";
import { element } from "./questions.js";
import { listen, ThreadView, unreadLabel } from "./messages-common.js";

const $ = (id) => document.getElementById(id);
const { staff } = await startPage("messages");
const { token } = staffSession();
const view = new ThreadView({ token, side: "practice", names: { client: "The client" }, request: staffRequest });

await loadThreads();
const opened = new URLSearchParams(location.search).get("thread");
if (opened) await openThread(opened);
listen(token, ["message_threads"], (id) => (id === view.id ? view.arrived() : loadThreads()));

$("back").addEventListener("click", () => {
  view.close();
  history.replaceState(null, "", location.pathname);
  loadThreads();
  show("list-part", ["list-part", "thread-part"]);
});

$("notices").checked = staff.message_notices !== "none";
$("notices").addEventListener("change", async () => {
  const { status } = await staffRequest("PATCH", `/api/collections/staff/records/${encodeURIComponent(staff.id)}`,
    { message_notices: $("notices").checked ? "email" : "none" });
  $("notices-status").textContent = status === 200
    ? ($("notices").checked ? "You will get an email when a client writes." : "You will not get emails about messages.")
    : "That could not be saved. Please try again.";
});

async function loadThreads() {
  const { status, data } = await staffRequest("GET", "/api/messages/threads");
  if (status !== 200) {
    $("staff-error").textContent = data.message || "We could not load the messages.";
    return;
  }
  $("count").textContent = data.unread ? unreadLabel(data.unread) : "No new messages.";
  $("none").hidden = data.threads.length > 0;
  $("threads").replaceChildren(...data.threads.map((thread) => {
    const link = element("button", { type: "button", className: "link thread-link", text: `${thread.clientName}: ${thread.subject || "(no subject)"}` });
    link.addEventListener("click", () => openThread(thread.id));
    return element("li", {}, [
      link,
      element("span", { className: "muted", text: thread.kind === "clinical" ? "Clinical" : "Front desk" }),
      thread.unread ? element("span", { className: "badge", text: unreadLabel(thread.unread) }) : null,
    ]);
  }));
}

async function openThread(id) {
  const problem = await view.open(id);
  if (problem) {
    $("staff-error").textContent = problem;
    return;
  }
  history.replaceState(null, "", `${location.pathname}?thread=${encodeURIComponent(id)}`);
  show("thread-part", ["list-part", "thread-part"]);
}
