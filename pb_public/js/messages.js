// The client's Messages page: their threads with the practice, a new
// message to "my clinician" or "the front desk", and an open thread that
// shows new messages as they arrive, without a reload.
import { send, show, startPage } from "./api.js";
import { element } from "./questions.js";
import { keepDraft, listen, sendMessage, ThreadView, unreadLabel } from "./messages-common.js";

const $ = (id) => document.getElementById(id);
const current = startPage();
const names = { practice: "The practice", client: "You" };
const view = new ThreadView({ token: current && current.token, side: "client", names, request: send });
// A client follows each of their own threads by its topic (see listen).
let follow = () => {};

if (current) {
  const clearNew = keepDraft($("new-body"), "portico.draft.new");
  follow = listen(current.token, [], (id) => (id === view.id ? view.arrived() : loadThreads()));
  await loadThreads();
  const opened = new URLSearchParams(location.search).get("thread");
  if (opened) await openThread(opened);

  $("back").addEventListener("click", () => {
    view.close();
    history.replaceState(null, "", location.pathname);
    loadThreads();
    show("list-part", ["list-part", "thread-part"]);
  });
  $("new-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const kind = document.querySelector("input[name=kind]:checked");
    const button = $("new-form").querySelector("button[type=submit]");
    $("new-error").textContent = "";
    if (!kind) {
      $("new-error").textContent = "Please choose who the message is for.";
      return;
    }
    button.disabled = true;
    const { status, data } = await sendMessage("/api/messages/threads",
      { kind: kind.value, subject: $("new-subject").value, body: $("new-body").value }, $("new-files").files, current.token);
    button.disabled = false;
    if (status !== 201) {
      $("new-error").textContent = data.message || "Your message was not sent. It is still here: please try again.";
      return;
    }
    clearNew();
    $("new-form").reset();
    await loadThreads();
    await openThread(data.id);
  });
}

async function loadThreads() {
  const { status, data } = await send("GET", "/api/messages/threads");
  $("loading").hidden = true;
  if (status !== 200) {
    $("list-error").textContent = data.message || "We could not load your messages. Please try again in a moment.";
    return;
  }
  $("emergency").textContent = data.notice;
  $("none").hidden = data.threads.length > 0;
  follow(data.threads.map((thread) => `message_threads/${thread.id}`));
  $("threads").replaceChildren(...data.threads.map((thread) => {
    const link = element("button", { type: "button", className: "link thread-link", text: thread.subject || (thread.kind === "clinical" ? "With your clinician" : "With the front desk") });
    link.addEventListener("click", () => openThread(thread.id));
    return element("li", {}, [
      link,
      element("span", { className: "muted", text: thread.kind === "clinical" ? " · your clinician" : " · the front desk" }),
      thread.unread ? element("span", { className: "badge", text: unreadLabel(thread.unread) }) : null,
    ]);
  }));
}

async function openThread(id) {
  const problem = await view.open(id);
  if (problem) {
    $("list-error").textContent = problem;
    return;
  }
  history.replaceState(null, "", `${location.pathname}?thread=${encodeURIComponent(id)}`);
  show("thread-part", ["list-part", "thread-part"]);
}
