import { get } from "./api.js";
import { unreadLabel } from "./messages-common.js";

// The portal home's "Messages" and "Documents" parts: how many new
// messages and documents wait, and the way to each page.
export async function showMessagesSection(container) {
  const [messages, documents] = await Promise.all([get("/api/messages/threads"), get("/api/documents")]);
  if (messages) {
    container.append(part("messages", "Messages",
      messages.unread ? `You have ${unreadLabel(messages.unread)}.` : "Write to your clinician or the front desk between sessions.",
      "/portal/messages.html", messages.unread ? "Read your messages" : "Go to your messages"));
  }
  if (documents) {
    const waiting = documents.waiting === 1 ? "1 document waits for you." : `${documents.waiting} documents wait for you.`;
    container.append(part("documents", "Documents",
      documents.waiting ? waiting : "Read what the practice shared, and send your insurance card or a referral.",
      "/portal/documents.html", documents.waiting ? "See your documents" : "Go to your documents"));
  }
}

function part(id, heading, words, href, label) {
  const section = document.createElement("section");
  section.setAttribute("aria-labelledby", `${id}-title`);
  const title = document.createElement("h2");
  title.id = `${id}-title`;
  title.textContent = heading;
  const text = document.createElement("p");
  text.textContent = words;
  const link = document.createElement("a");
  link.className = "button wide";
  link.href = href;
  link.textContent = label;
  section.append(title, text, link);
  return section;
}
