import { get } from "./api.js";

// The portal home's "Your forms" part. While a packet is open, a client
// who has just signed in lands on "Your forms" instead: once per tab and
// sign-in, so the home page stays reachable from there.
const LANDED = "portico.landed-on-forms";

export async function showFormsSection(container) {
  const data = await get("/api/portal/intake");
  if (!data || data.packets.length === 0) return;
  const open = data.packets.filter((p) => p.status !== "submitted").length;
  if (open > 0 && !sessionStorage.getItem(LANDED)) {
    sessionStorage.setItem(LANDED, "yes");
    location.replace("/portal/forms.html");
    return;
  }

  const section = document.createElement("section");
  section.setAttribute("aria-labelledby", "forms-title");
  const title = document.createElement("h2");
  title.id = "forms-title";
  title.textContent = "Your forms";
  const text = document.createElement("p");
  if (open === 0) text.textContent = "You have sent every form your practice asked for. Thank you.";
  else if (open === 1) text.textContent = "You have 1 form to fill in.";
  else text.textContent = `You have ${open} forms to fill in.`;
  const link = document.createElement("a");
  link.className = "button wide";
  link.href = "/portal/forms.html";
  link.textContent = open ? "Go to your forms" : "See the forms you sent";
  section.append(title, text, link);
  container.prepend(section);
}
