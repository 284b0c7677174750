// The practice's phone, email and address, on every page that may leave a
// client needing to get in touch. The page holds an empty, hidden
// #contact card with a #contact-ways list; this fills and shows it.

export function showContact(practice) {
  if (!practice) return;
  if (practice.name) {
    document.querySelectorAll("[data-practice-name]").forEach((el) => { el.textContent = practice.name; });
  }
  const ways = document.getElementById("contact-ways");
  ways.replaceChildren();
  const add = (label, value, href) => {
    if (!value) return;
    const item = document.createElement("li");
    item.append(label + ": ");
    if (href) {
      const link = document.createElement("a");
      link.href = href;
      link.textContent = value;
      item.append(link);
    } else {
      item.append(value);
    }
    ways.append(item);
  };
  add("Phone", practice.phone, practice.phone ? "tel:" + practice.phone.replace(/[^+\d]/g, "") : "");
  add("Email", practice.email, practice.email ? "mailto:" + practice.email : "");
  add("Address", practice.address);
  document.getElementById("contact").hidden = ways.children.length === 0;
}
