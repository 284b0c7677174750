// The practice's name, phone, email and address, on every page that may
// leave a client needing to get in touch (the join, call and action pages).
// The page holds an empty, hidden #contact card with a #contact-ways list;
// showContact fills and shows it.

// fill writes text into every element that selector matches.
export function fill(selector, text) {
  document.querySelectorAll(selector).forEach((el) => { el.textContent = text; });
}

export function showContact(practice) {
  if (!practice) return;
  if (practice.name) fill("[data-practice-name]", practice.name);
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
