// The workspace's Documents page: the documents this person may read
// (clinical ones for the owner and the client's clinicians, administrative
// ones for the front desk too), new uploads first counted, and sharing a
// PDF with a client to read, acknowledge or sign.
import { staffRequest, staffSession, startPage } from "./staff.js";
import { element } from "./questions.js";
import { documentItem, sendOnSubmit } from "./documents-common.js";

const $ = (id) => document.getElementById(id);
await startPage("documents");
const { token } = staffSession();
const client = new URLSearchParams(location.search).get("client") || "";

await Promise.all([load(), loadClients()]);

sendOnSubmit($("share-form"), {
  fields: () => ({ client: $("share-client").value, asks: $("share-asks").value, title: $("share-name").value }),
  fileInput: $("share-file"), error: $("share-error"), status: $("share-status"), token,
  missingKind: "Please choose who in the practice may read it.",
  failed: "The document was not shared. Please try again.",
  sent: async (doc) => {
    $("share-status").textContent = `Shared ${doc.title} with ${doc.clientName}. We emailed them that a document waits.`;
    $("share-client").value = doc.client;
    await load();
  },
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
