import { get } from "./api.js";
import { unreadLabel } from "./messages-common.js";

// The portal home's "Messages" part: how many new messages wait, and the
// way to the Messages page.
export async function showMessagesSection(container) {
  const data = await get("/api/messages/threads");
  if (!data) return;
  const section = document.createElement("section");
  section.setAttribute("aria-labelledby", "messages-title");
  const title = document.createElement("h2");
  title.id = "messages-title";
  title.textContent = "Messages";
  const text = document.createElement("p");
  text.textContent = data.unread ? `You have ${unreadLabel(data.unread)}.` : "Write to your clinician or the front desk between sessions.";
  const link = document.createElement("a");
  link.className = "button wide";
  link.href = "/portal/messages.html";
  link.textContent = data.unread ? "Read your messages" : "Go to your messages";
  section.append(title, text, link);
  container.append(section);
}
