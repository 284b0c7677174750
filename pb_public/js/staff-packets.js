// The Packets page: every packet of the clients this person sees, where
// it stands, and for those who may read answers a link to the read view.
// The list never holds an answer.
import { startPage, staffRequest } from "./staff.js";
import { element } from "./questions.js";
import { dateTime } from "./staff-common.js";

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const client = params.get("client") || "";

// STATUS names a packet's state as staff say it.
export const STATUS = { assigned: "Not started", in_progress: "In progress", submitted: "Sent back" };

await startPage("packets");
$("status").value = params.get("status") || "";
$("status").addEventListener("change", load);
await load();

async function load() {
  const query = new URLSearchParams();
  if ($("status").value) query.set("status", $("status").value);
  if (client) query.set("client", client);
  history.replaceState(null, "", "/staff/packets.html" + (query.size ? "?" + query : ""));
  const { status, data } = await staffRequest("GET", "/api/staff/packets?" + query);
  if (status !== 200) {
    $("staff-error").textContent = data.message || "We could not load the packets.";
    return;
  }
  const zone = data.timeZone;
  if (client) {
    const name = data.packets.length ? data.packets[0].client.name : "this client";
    $("client-filter").replaceChildren(`Packets of ${name}. `, element("a", { href: "/staff/packets.html", text: "Show every client's" }));
    $("client-filter").hidden = false;
  }
  $("count").textContent = data.packets.length === 1 ? "1 packet" : `${data.packets.length} packets`;
  const items = data.packets.map((p) => line(p, zone));
  $("packets").replaceChildren(...(items.length ? items : [element("li", { className: "muted", text: "No packets here." })]));
}

function line(p, zone) {
  const title = p.readable
    ? element("a", { className: "client-name", href: "/staff/packet.html?id=" + encodeURIComponent(p.id), text: p.title })
    : element("span", { className: "client-name", text: p.title });
  const when = p.status === "submitted" ? "sent back " + dateTime(p.submitted, zone) : "sent " + dateTime(p.assigned, zone);
  const details = [when];
  if (p.reopens) details.push("a correction of an earlier packet");
  if (p.formNow) details.push(`questions of version ${p.formVersion}; the form is at version ${p.formNow} now`);
  return element("li", { className: "packet packet-" + p.status + (p.unread ? " unread" : ""), "data-packet": p.id }, [
    title,
    element("span", { className: "badge", text: STATUS[p.status] || p.status }),
    ...(p.unread ? [element("span", { className: "badge unread", text: "Not opened yet" })] : []),
    element("a", { href: "/staff/client.html?id=" + encodeURIComponent(p.client.id), text: p.client.name }),
    element("span", { className: "muted", text: details.join(" · ") }),
  ]);
}
