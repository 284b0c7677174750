// The client list: every client this person may see, searched by name,
// email or phone; each opens the client's page.
import { startPage, staffRequest } from "./staff.js";
import { element } from "./questions.js";

const $ = (id) => document.getElementById(id);
let asked = 0;

await startPage("clients");
await search();
$("search").addEventListener("input", search);
$("search-form").addEventListener("submit", (event) => event.preventDefault());

async function search() {
  const mine = ++asked;
  const { status, data } = await staffRequest("GET", "/api/staff/clients?q=" + encodeURIComponent($("search").value.trim()));
  if (mine !== asked) return;
  if (status !== 200) {
    $("staff-error").textContent = data.message || "We could not load the clients.";
    return;
  }
  $("count").textContent = data.length === 1 ? "1 client" : `${data.length} clients`;
  $("clients").replaceChildren(...data.map((c) => element("li", {}, [
    element("a", { href: "/staff/client.html?id=" + encodeURIComponent(c.id), className: "client-name", text: c.name }),
    element("span", { className: "muted", text: [c.email, c.phone].filter(Boolean).join(" · ") }),
    c.portalAccess ? null : element("span", { className: "badge", text: "Portal off" }),
  ])));
}
