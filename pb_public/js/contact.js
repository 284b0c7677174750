// The practice's name and ways to reach it, as the join and call pages show them.

// fill writes text into every element that selector matches.
export function fill(selector, text) {
  document.querySelectorAll(selector).forEach((el) => { el.textContent = text; });
}

// showContact fills the practice's name and the #contact card.
export function showContact(practice) {
  if (!practice) return;
  if (practice.name) fill("[data-practice-name]", practice.name);
  const ways = document.getElementById("contact-ways");
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
