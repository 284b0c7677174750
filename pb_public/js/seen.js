import { get, startPage, when } from "./api.js";

// "Who has seen my record": every access to the client's own data by the
// practice's people, then what Portico did on its own, then the client's
// own actions, newest first, in the words the server chose.

function line(entry) {
  const item = document.createElement("li");
  const what = document.createElement("p");
  what.className = "when";
  what.textContent = `${entry.who} ${entry.what}`;
  const detail = document.createElement("p");
  detail.className = "hint";
  detail.textContent = entry.role ? `${entry.role} · ${when(entry.at.replace(" ", "T"))}` : when(entry.at.replace(" ", "T"));
  item.append(what, detail);
  return item;
}

function fill(part, entries, { showEmpty = false } = {}) {
  document.getElementById(`${part}-list`).replaceChildren(...entries.map(line));
  const none = document.getElementById(`${part}-none`);
  if (none) none.hidden = entries.length > 0;
  document.getElementById(`${part}-part`).hidden = entries.length === 0 && !showEmpty;
}

if (startPage()) {
  const trail = await get("/api/portal/audit");
  document.getElementById("loading").hidden = true;
  if (!trail) {
    document.getElementById("failed").hidden = false;
  } else {
    fill("staff", trail.staff, { showEmpty: true });
    fill("system", trail.system);
    fill("yours", trail.yours);
  }
}
