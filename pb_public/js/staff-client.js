// A client's page: contact details, where they stand with the portal,
// appointments, packets and (for the front desk and the owner) the mail
// sent to them. What each role may see and do is decided by the server;
// the page shows the actions the server says this person has.
import { startPage, staffRequest } from "./staff.js";
import { element } from "./questions.js";
import { dateTime, outcome, statusLabel, joinLabel } from "./staff-common.js";

const $ = (id) => document.getElementById(id);
const id = new URLSearchParams(location.search).get("id") || "";
const PACKET = { assigned: "Not started", in_progress: "In progress", submitted: "Submitted" };
let formsShown = false;

const { staff, timeZone: zone } = await startPage("clients");
if (staff.role === "owner") {
  $("name").after(element("p", {}, [
    element("a", { id: "trail", href: "/staff/trail.html?client=" + encodeURIComponent(id), text: "Who has opened or changed this record" }),
  ]));
}
await load();

async function load() {
  const { status, data } = await staffRequest("GET", "/api/staff/clients/" + encodeURIComponent(id));
  if (status !== 200) {
    $("staff-error").textContent = data.message || "We could not load this client.";
    return;
  }
  const c = data.client;
  document.title = c.name + " · Staff workspace";
  $("name").textContent = c.name;
  $("contact").replaceChildren(...fact("Email", c.email), ...fact("Phone", c.phone || "None given"));
  showPortal(data);
  $("upcoming").replaceChildren(...listOr(data.upcoming.map(appointment), "No upcoming appointments."));
  $("past").replaceChildren(...listOr(data.past.map(appointment), "No past appointments."));
  $("book").href = "/staff/schedule.html?client=" + encodeURIComponent(c.id);
  $("book").hidden = !data.can.book;
  $("packets").replaceChildren(...listOr(data.packets.map((p) => packet(p, data.can.readPackets)), "No packets yet."));
  $("all-packets").href = "/staff/packets.html?client=" + encodeURIComponent(c.id);
  $("documents").href = "/staff/documents.html?client=" + encodeURIComponent(c.id);
  if (data.can.assign) await showForms();
  $("mail-section").hidden = !data.can.seeMail;
  if (data.can.seeMail) $("mail").replaceChildren(...listOr(data.mail.map(mail), "No mail yet."));
}

function fact(term, value) {
  return [element("dt", { text: term }), element("dd", { text: value })];
}

function listOr(items, empty) {
  return items.length ? items : [element("li", { className: "muted", text: empty })];
}

function showPortal(data) {
  const p = data.portal;
  const words = {
    off: "Portal access is off: this client cannot sign in.",
    "never-invited": "Never invited.",
    invited: "Invited on " + (p.invited && dateTime(p.invited, zone)) + "; has not signed in yet.",
    "signed-in": "Last signed in " + (p.lastSignedIn && dateTime(p.lastSignedIn, zone)) + ".",
  };
  let text = words[p.state];
  if (p.state === "signed-in" && p.invited) text += " Invited on " + dateTime(p.invited, zone) + ".";
  $("portal-state").textContent = text;
  const buttons = [];
  if (data.can.invite) buttons.push(action(p.state === "never-invited" || p.state === "off" ? "Send invite" : "Resend invite", "invite", {}));
  if (data.can.portal) {
    buttons.push(data.client.portalAccess
      ? action("Turn portal access off", "portal", { access: false }, "quiet")
      : action("Turn portal access on", "portal", { access: true }, "quiet"));
  }
  $("portal-actions").replaceChildren(...buttons);
}

function action(text, path, body, className = "") {
  const button = element("button", { type: "button", className, text });
  button.addEventListener("click", async () => {
    button.disabled = true;
    const { status, data } = await staffRequest("POST", `/api/staff/clients/${encodeURIComponent(id)}/${path}`, body);
    outcome(data.message || "That did not work.", status >= 300);
    await load();
  });
  return button;
}

function appointment(a) {
  const where = a.kind === "telehealth" ? "Telehealth" : "In person" + (a.place ? ": " + a.place : "");
  return element("li", { className: "appointment" }, [
    element("p", { className: "when", text: a.when }),
    element("p", { text: `With ${a.clinician.name} · ${where} · ${statusLabel(a.status)}` }),
    a.join && a.status === "scheduled" ? element("p", { className: "join-state", text: joinLabel(a.join, zone) }) : null,
  ]);
}

// A packet shows only its title and status here, to every role; those
// the server lets read answers get a link to the packet's read view.
function packet(p, readable) {
  const title = readable
    ? element("a", { href: "/staff/packet.html?id=" + encodeURIComponent(p.id) }, [element("strong", { text: p.title })])
    : element("strong", { text: p.title });
  return element("li", { "data-packet": p.id }, [title,
    element("span", { className: "muted", text: " · " + (PACKET[p.status] || p.status) + " · assigned " + dateTime(p.assigned, zone) })]);
}

function mail(m) {
  const state = { sent: "Sent", pending: "Pending", failed: "Failed" }[m.state] || m.state;
  const when = m.state === "sent" && m.sent ? dateTime(m.sent, zone) : dateTime(m.queued, zone);
  return element("li", { className: "mail mail-" + m.state }, [
    element("p", { className: "subject", text: m.subject }),
    element("p", {}, [element("span", { className: "badge", text: state }), element("span", { className: "muted", text: " " + when + (m.reason ? " · " + m.reason : "") })]),
  ]);
}

async function showForms() {
  if (formsShown) return;
  const { status, data } = await staffRequest("GET", "/api/collections/intake_forms/records?fields=id,title&sort=title&perPage=200");
  if (status !== 200 || !data.items.length) return;
  formsShown = true;
  $("assign-form-select").replaceChildren(...data.items.map((f) => element("option", { value: f.id, text: f.title })));
  $("assign-form").hidden = false;
}

$("assign-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  $("assign-error").textContent = "";
  const select = $("assign-form-select");
  const { status, data } = await staffRequest("POST", "/api/collections/intake_assignments/records", { client: id, form: select.value });
  if (status !== 200) {
    $("assign-error").textContent = data.message || "The form could not be assigned.";
    return;
  }
  outcome(`Assigned "${select.selectedOptions[0].text}" to ${$("name").textContent}; we emailed them a link to fill it in.`);
  await load();
});
