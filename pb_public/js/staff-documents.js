// The workspace's Documents page: the documents this person may read
// (clinical ones for the owner and the client's clinicians, administrative
// ones for the front desk too), new uploads first counted, and sharing a
// PDF with a client to read, acknowledge or sign.
import { staffRequest, staffSession, startPage } from "./staff.js";
import { element } from "./questions.js";
import { documentItem, sendDocument } from "./documents-common.js";

const $ = (id) => document.getElementById(id);
await startPage("documents");
const { token } = staffSession();
const client = new URLSearchParams(location.search).get("client") || "";

await Promise.all([load(), loadClients()]);

$("share-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const kind = document.querySelector("input[name=kind]:checked");
  const button = $("share-form").querySelector("button[type=submit]");
  $("share-error").textContent = "";
  $("share-status").textContent = "";
  if (!kind) {
    $("share-error").textContent = "Please choose who in the practice may read it.";
    return;
  }
  button.disabled = true;
  const { status, data } = await sendDocument({ client: $("share-client").value, kind: kind.value, asks: $("share-asks").value, title: $("share-name").value },
    $("share-file").files, token);
  button.disabled = false;
  if (status !== 201) {
    $("share-error").textContent = data.message || "The document was not shared. Please try again.";
    return;
  }
  $("share-form").reset();
  $("share-status").textContent = `Shared ${data.title} with ${data.clientName}. We emailed them that a document waits.`;
  await load();
});

async function load() {
  const { status, data } = await staffRequest("GET", `/api/documents${client ? `?client=${encodeURIComponent(client)}` : ""}`);
  if (status !== 200) {
    $("staff-error").textContent = data.message || "We could not load the documents.";
    return;
  }
  $("count").textContent = data.waiting === 1 ? "1 new document from a client." : data.waiting ? `${data.waiting} new documents from clients.` : "No new documents from clients.";
  $("none").hidden = data.documents.length > 0;
  $("documents").replaceChildren(...data.documents.map((doc) => documentItem(doc, "practice", token)));
  if (!data.kinds.includes("clinical")) $("share-clinical").disabled = true;
}

async function loadClients() {
  const { status, data } = await staffRequest("GET", "/api/staff/clients");
  if (status !== 200) return;
  $("share-client").replaceChildren(...data.map((c) => element("option", { value: c.id, text: c.name || c.email, selected: c.id === client })));
}
