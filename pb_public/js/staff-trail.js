// The owner's audit trail: entries filtered by client, person, action and
// days (in the practice's time zone), each entry's detail, the chain check
// and the export. The server answers only the owner; anyone else reads
// why here.
import { startPage, staffRequest, staffSession } from "./staff.js";
import { findClients, dateTime, outcome } from "./staff-common.js";
import { element } from "./questions.js";

const $ = (id) => document.getElementById(id);
const FILTERS = ["client", "actor", "action", "from", "to"];

// ACTIONS names each action as the owner reads it.
const ACTIONS = {
  view: "Viewed", list: "Listed clients", print: "Printed", create: "Added", update: "Changed", delete: "Removed",
  sign_in: "Signed in", sign_in_failed: "Sign-in refused", sign_out: "Signed out",
  client_invited: "Invited a client", staff_invited: "Invited staff", staff_unlocked: "Unlocked staff",
  packet_reopened: "Reopened a packet", appointment_confirmed: "Confirmed an appointment",
  appointment_cancelled: "Cancelled an appointment", time_requested: "Asked for another time", request_declined: "Declined a request", draft_saved: "Saved a draft", packet_submitted: "Sent a packet",
  message_sent: "Sent a message", download: "Downloaded a file",
  document_added: "Added a document", document_acknowledged: "Acknowledged a document", document_signed: "Signed a document",
  settings_update: "Changed settings", backup_create: "Backup made", backup_restore: "Backup restored",
  audit_view: "Read the trail", audit_export: "Exported the trail", audit_verify: "Checked the trail",
  command: "Ran a command", job: "Scheduled job", checkpoint: "Old entries pruned",
};

let asked = 0; // the latest show(): an older answer arriving late is dropped

const ROLES = { owner: "Owner", clinician: "Clinician", front_desk: "Front desk", superuser: "Administrator", client: "Client", system: "Portico" };

const { staff } = await startPage("trail");
if (staff.role !== "owner") {
  $("staff-error").textContent = "Only the practice's owner reads the audit trail.";
  $("filters").hidden = true;
  document.querySelector("section.card").hidden = true;
} else {
  for (const [value, label] of Object.entries(ACTIONS)) $("action").append(element("option", { value, text: label }));
  const clients = await findClients("");
  $("client").append(...clients.map((c) => element("option", { value: c.id, text: c.name })));
  fromAddress();
  $("filters").addEventListener("submit", (event) => { event.preventDefault(); show(); });
  $("clear").addEventListener("click", () => { FILTERS.forEach((name) => { $(name).value = ""; }); show(); });
  $("verify").addEventListener("click", verify);
  $("export-csv").addEventListener("click", () => download("csv"));
  $("export-json").addEventListener("click", () => download("json"));
  await show();
}

// fromAddress sets the filters the address names (?client=ID from a client's page).
function fromAddress() {
  const query = new URLSearchParams(location.search);
  for (const name of FILTERS) if (query.get(name)) ensure(name, query.get(name), query.get(name));
}

// ensure sets a filter, adding the option a select does not have yet.
function ensure(name, value, label) {
  const field = $(name);
  if (field.tagName === "SELECT" && ![...field.options].some((o) => o.value === value)) {
    field.append(element("option", { value, text: label }));
  }
  field.value = value;
}

function query() {
  const params = new URLSearchParams();
  for (const name of FILTERS) if ($(name).value) params.set(name, $(name).value);
  return params;
}

async function show() {
  const params = query();
  history.replaceState(null, "", "?" + params);
  const mine = ++asked;
  $("count").textContent = "Loading the entries…";
  const { status, data } = await staffRequest("GET", "/api/audit/entries?" + params);
  if (mine !== asked) return;
  if (status !== 200) {
    $("staff-error").textContent = data.message || "We could not load the audit trail.";
    return;
  }
  $("staff-error").textContent = "";
  $("zone-hint").textContent = `Days are in the practice's time zone (${data.timeZone}); times below are too.`;
  const people = new Map(data.people.map((p) => [p.id, p]));
  for (const p of data.people) if (![...$("actor").options].some((o) => o.value === p.id)) {
    $("actor").append(element("option", { value: p.id, text: `${p.name} (${ROLES[p.role] || p.role})` }));
  }
  const entries = data.entries.slice().reverse();
  const n = entries.length;
  $("count").textContent = (n === 1 ? "1 entry" : `${n} entries`) + (data.more ? ", the newest; narrow the filters to see older ones." : ".");
  $("entries").replaceChildren(...entries.map((entry) => row(entry, data, people)));
}

// row is one entry: a line to scan, and its every column on opening.
function row(entry, data, people) {
  const when = dateTime(entry.at.replace(" ", "T"), data.timeZone);
  const who = entry.actor_type === "system" ? "Portico" : entry.actor_name || (people.get(entry.actor_id) || {}).name || "Someone";
  const role = ROLES[entry.role] || entry.role;
  const client = entry.client ? data.clients[entry.client] || `client ${entry.client}` : "";
  const shown = JSON.parse(entry.shown || "[]");
  const about = client || (shown.length ? `${shown.length} client${shown.length === 1 ? "" : "s"}` : "");
  const line = [when, `${who}${role ? " (" + role + ")" : ""}`, ACTIONS[entry.action] || entry.action, about].filter(Boolean).join(" · ");
  const facts = [
    ["Entry", `#${entry.seq} (${entry.id})`],
    ["When", when + " (stored as " + entry.at + ")"],
    ["Who", `${who}, ${role || entry.actor_type}` + (entry.actor_id ? ` (${entry.actor_id})` : "")],
    ["What", `${ACTIONS[entry.action] || entry.action} (${entry.action})`],
    ["Client", client],
    ["Clients shown", shown.map((id) => data.clients[id] || id).join(", ")],
    ["Record", entry.record_collection ? `${entry.record_collection} ${entry.record_id}` : ""],
    ["Fields changed", JSON.parse(entry.fields || "[]").join(", ")],
    ["Detail", entry.detail],
    ["From", [entry.ip, entry.user_agent].filter(Boolean).join(" · ")],
    ["Previous hash", entry.prev_hash],
    ["Hash", entry.hash],
  ].filter(([, value]) => value);
  const detail = element("details", {}, [
    element("summary", { text: line }),
    element("dl", { className: "facts" }, facts.flatMap(([term, value]) => [element("dt", { text: term }), element("dd", { text: value })])),
  ]);
  return element("li", { className: "trail-entry" }, [detail]);
}

async function verify() {
  $("verify").disabled = true;
  outcome("Checking every entry…");
  const { status, data } = await staffRequest("GET", "/api/audit/verify");
  $("verify").disabled = false;
  if (status !== 200) {
    outcome(data.message || "We could not check the trail.", true);
  } else if (data.intact) {
    outcome(`The trail is intact: ${data.entries} entries, each as Portico wrote it. Its latest hash is ${data.tip}.`);
  } else {
    outcome(`The trail was changed outside Portico: ${data.broken.message}`, true);
  }
}

// download fetches the export with the session (a plain link could not
// send it) and hands the file to the browser.
async function download(format) {
  const params = query();
  params.set("format", format);
  try {
    const response = await fetch("/api/audit/export?" + params, { headers: { Authorization: staffSession().token } });
    if (!response.ok) {
      const data = await response.json().catch(() => ({}));
      outcome(data.message || "We could not export the trail.", true);
      return;
    }
    const url = URL.createObjectURL(await response.blob());
    const link = element("a", { href: url, download: `portico-audit.${format}` });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
    outcome(`The export is downloading (portico-audit.${format}); it is on the trail too.`);
  } catch {
    outcome("We could not reach the workspace. Check your connection and try again.", true);
  }
}
