// What the portal's and the workspace's Messages pages share: sending a
// message with files, drawing a thread, opening an attachment with a
// short-lived file token, the draft kept while typing, and the realtime
// connection that says a thread changed.
import { element } from "./questions.js";

// sendMessage posts a form's text and files (as field) as multipart with
// token and returns {status, data}; a network failure is status 0 with a
// message.
export async function sendMessage(path, fields, files, token, field = "attachments") {
  const body = new FormData();
  for (const [name, value] of Object.entries(fields)) body.append(name, value);
  for (const file of files) body.append(field, file);
  try {
    const response = await fetch(path, { method: "POST", headers: { Authorization: token }, body });
    return { status: response.status, data: await response.json().catch(() => ({})) };
  } catch {
    return { status: 0, data: { message: "We could not reach the server. Your message is still here: try again." } };
  }
}

// fileAddress fetches a fresh file token (they last minutes) and returns
// the address of a protected file of a record of collection (a message's
// attachment, a document).
export async function fileAddress(collection, id, file, token) {
  const response = await fetch("/api/files/token", { method: "POST", headers: { Authorization: token } });
  const { token: fileToken } = await response.json();
  return `/api/files/${collection}/${encodeURIComponent(id)}/${encodeURIComponent(file)}?token=${encodeURIComponent(fileToken)}`;
}

const WHEN = new Intl.DateTimeFormat(undefined, { weekday: "short", day: "numeric", month: "short", hour: "numeric", minute: "2-digit" });

// messageItem draws one message; mine is the side of the person reading.
export function messageItem(message, mine, names, token) {
  const who = message.side === mine ? "You" : (message.author || names[message.side]);
  const files = message.attachments.map(({ file, kind }) => {
    if (kind === "image") {
      const picture = element("img", { alt: `Photo: ${file}`, className: "attachment-photo" });
      fileAddress("messages", message.id, file, token).then((src) => { picture.src = src; });
      return picture;
    }
    const open = element("button", { type: "button", className: "link", text: `Open ${file}` });
    open.addEventListener("click", async () => { window.open(await fileAddress("messages", message.id, file, token), "_blank", "noopener"); });
    return open;
  });
  return element("li", { className: message.side === mine ? "message mine" : "message", "data-seq": String(message.seq) }, [
    element("p", { className: "hint", text: `${who} · ${WHEN.format(new Date(message.sent))}` }),
    message.body ? element("p", { className: "message-body", text: message.body }) : null,
    files.length ? element("div", { className: "attachments" }, files) : null,
  ]);
}

// keepDraft saves what is typed in field under key for this tab, so a
// failed send, a reload or a look at another thread loses nothing; the
// tab's storage is cleared at sign-out.
export function keepDraft(field, key) {
  field.value = sessionStorage.getItem(key) || field.value;
  field.addEventListener("input", () => sessionStorage.setItem(key, field.value));
  return () => sessionStorage.removeItem(key);
}

// listen calls changed(threadId) whenever one of the threads it follows
// changes, through PocketBase's realtime API, and returns follow(topics)
// to change which: "message_threads" for every thread the person may read
// (the workspace), or "message_threads/ID" per thread (the portal). The
// server checks each subscriber's rule for every change on a topic it
// follows, so a client following only their own threads costs one check
// per message instead of one per connected client.
export function listen(token, topics, changed) {
  const source = new EventSource("/api/realtime");
  const heard = new Set();
  let clientId = null;
  let wanted = topics;
  const follow = async (next) => {
    wanted = next;
    // Each topic's events carry the topic as their name.
    for (const topic of wanted.filter((t) => !heard.has(t))) {
      heard.add(topic);
      source.addEventListener(topic, (event) => changed(JSON.parse(event.data).record.id));
    }
    if (!clientId) return;
    await fetch("/api/realtime", {
      method: "POST",
      headers: { "Content-Type": "application/json", Authorization: token },
      body: JSON.stringify({ clientId, subscriptions: wanted }),
    });
  };
  source.addEventListener("PB_CONNECT", (event) => {
    clientId = JSON.parse(event.data).clientId;
    follow(wanted);
  });
  follow(topics);
  return follow;
}

// unreadLabel says how many messages wait.
export function unreadLabel(n) {
  return n === 1 ? "1 new message" : `${n} new messages`;
}

// ThreadView is the open thread of a Messages page: the elements with ids
// thread-title, thread-kind, older, messages, reply-form, reply-body,
// reply-files and reply-error. It loads a thread's newest messages, adds
// what arrives, marks what is shown as read and sends replies.
export class ThreadView {
  constructor({ token, side, names, request }) {
    Object.assign(this, { token, side, names, request, id: null, last: 0, first: 0 });
    this.$ = (id) => document.getElementById(id);
    this.$("older").addEventListener("click", () => this.older());
    this.$("reply-form").addEventListener("submit", (event) => { event.preventDefault(); this.reply(); });
  }

  async open(id) {
    const { status, data } = await this.request("GET", `/api/messages/threads/${encodeURIComponent(id)}`);
    if (status !== 200) return data.message || "We could not open this conversation.";
    this.id = id;
    this.clearDraft = keepDraft(this.$("reply-body"), `portico.draft.${id}`);
    const { thread } = data;
    this.$("thread-title").textContent = thread.subject || (this.side === "client" ? "Your conversation" : `Conversation with ${thread.clientName}`);
    this.$("thread-kind").textContent = thread.kind === "clinical" ? "With the clinician" : "With the front desk";
    this.$("messages").replaceChildren();
    this.last = 0;
    this.add(data.messages);
    this.first = data.messages.length ? data.messages[0].seq : 0;
    this.$("older").hidden = !data.more;
    return "";
  }

  add(messages) {
    const fresh = messages.filter((m) => m.seq > this.last);
    this.$("messages").append(...fresh.map((m) => messageItem(m, this.side, this.names, this.token)));
    if (fresh.length) {
      this.last = fresh[fresh.length - 1].seq;
      this.request("POST", `/api/messages/threads/${encodeURIComponent(this.id)}/read`, { upto: this.last });
    }
  }

  async older() {
    const { status, data } = await this.request("GET", `/api/messages/threads/${encodeURIComponent(this.id)}?before=${this.first}`);
    if (status !== 200) return;
    this.$("messages").prepend(...data.messages.map((m) => messageItem(m, this.side, this.names, this.token)));
    if (data.messages.length) this.first = data.messages[0].seq;
    this.$("older").hidden = !data.more;
  }

  // arrived fetches what came since the last message shown.
  async arrived() {
    if (!this.id) return;
    const { status, data } = await this.request("GET", `/api/messages/threads/${encodeURIComponent(this.id)}?after=${this.last}`);
    if (status === 200) this.add(data.messages);
  }

  async reply() {
    const body = this.$("reply-body");
    const files = this.$("reply-files");
    const error = this.$("reply-error");
    const button = this.$("reply-form").querySelector("button[type=submit]");
    button.disabled = true;
    error.textContent = "";
    const { status, data } = await sendMessage(`/api/messages/threads/${encodeURIComponent(this.id)}/messages`, { body: body.value }, files.files, this.token);
    button.disabled = false;
    if (status !== 201) {
      error.textContent = data.message || "Your message was not sent. It is still here: please try again.";
      return;
    }
    body.value = "";
    files.value = "";
    this.clearDraft();
    await this.arrived();
    this.$("reply-status").textContent = "Sent.";
  }

  close() {
    this.id = null;
  }
}
