// The team page, for the owner: who works in the workspace, unlocking a
// locked account, and inviting a colleague. A clinician's invite names
// the clinicians record whose clients they see; one with their name is
// made when the practice has none yet. The server checks every step.
import { startPage, staffRequest } from "./staff.js";
import { element } from "./questions.js";
import { outcome } from "./staff-common.js";

const $ = (id) => document.getElementById(id);
const ROLES = { owner: "Owner", clinician: "Clinician", front_desk: "Front desk" };

await startPage("team");
$("invite").addEventListener("submit", invite);
await load();

async function load() {
  const { status, data } = await staffRequest("GET", "/api/collections/staff/records?sort=name&perPage=200");
  if (status !== 200) {
    $("staff-error").textContent = data.message || "We could not load the team.";
    return;
  }
  $("people").replaceChildren(...data.items.map(person));
}

function person(member) {
  const item = element("li", { className: "person", "data-id": member.id }, [
    element("span", { className: "name", text: member.name }),
    element("span", { className: "muted", text: " · " + (ROLES[member.role] || member.role) }),
  ]);
  if (member.locked) {
    const unlock = element("button", { type: "button", className: "quiet", text: "Unlock " + member.name });
    unlock.addEventListener("click", async () => {
      unlock.disabled = true;
      const { status, data } = await staffRequest("POST", "/api/staff/members/" + encodeURIComponent(member.id) + "/unlock");
      outcome(data.message || "We could not unlock the account.", status !== 200);
      await load();
    });
    item.append(element("span", { className: "error", text: " Locked after too many wrong passwords. " }), unlock);
  }
  return item;
}

async function invite(event) {
  event.preventDefault();
  const form = event.target;
  const button = form.querySelector("button");
  const body = { name: $("invite-name").value.trim(), email: $("invite-email").value.trim(), role: $("invite-role").value };
  $("invite-error").textContent = "";
  button.disabled = true;
  try {
    if (body.role === "clinician") {
      const clinician = await clinicianNamed(body.name);
      if (!clinician) return;
      body.clinician = clinician;
    }
    const { status, data } = await staffRequest("POST", "/api/staff/invites", body);
    if (status !== 202) {
      $("invite-error").textContent = data.message || "We could not send the invite.";
      return;
    }
    outcome(data.message);
    form.reset();
    await load();
  } finally {
    button.disabled = false;
  }
}

// clinicianNamed is the id of the clinicians record called name, made
// when there is none, or "" after saying why it could not be.
async function clinicianNamed(name) {
  if (!name) {
    $("invite-error").textContent = "A clinician's invite needs their name: it is how clients see them.";
    return "";
  }
  const filter = encodeURIComponent(`name = "${name.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`);
  const found = await staffRequest("GET", "/api/collections/clinicians/records?perPage=1&filter=" + filter);
  if (found.status === 200 && found.data.items.length) return found.data.items[0].id;
  const made = await staffRequest("POST", "/api/collections/clinicians/records", { name });
  if (made.status !== 200) {
    $("invite-error").textContent = made.data.message || "We could not add the clinician.";
    return "";
  }
  return made.data.id;
}
