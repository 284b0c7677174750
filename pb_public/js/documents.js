// The client's Documents page: what the practice shared (to read, to
// acknowledge, or to sign with their typed full name), what they sent,
// and a form to send a document into their record.
import { send, startPage } from "./api.js";
import { element } from "./questions.js";
import { documentItem, sendOnSubmit } from "./documents-common.js";

const $ = (id) => document.getElementById(id);
const current = startPage();

if (current) {
  await load();
  sendOnSubmit($("upload-form"), {
    fields: () => ({ title: $("upload-name").value }),
    fileInput: $("upload-file"), error: $("upload-error"), status: $("upload-status"), token: current.token,
    missingKind: "Please choose who the document is for.",
    failed: "Your document was not sent. Please try again.",
    sent: async (doc) => {
      $("upload-status").textContent = `Sent: ${doc.title}. The practice can see it now.`;
      await load();
    },
  });
}

async function load() {
  const { status, data } = await send("GET", "/api/documents");
  $("loading").hidden = true;
  if (status !== 200) {
    $("list-error").textContent = data.message || "We could not load your documents. Please try again in a moment.";
    return;
  }
  const shared = data.documents.filter((doc) => doc.side === "practice");
  const uploaded = data.documents.filter((doc) => doc.side === "client");
  $("shared-none").hidden = shared.length > 0;
  $("uploaded-none").hidden = uploaded.length > 0;
  $("shared").replaceChildren(...shared.map((doc) => documentItem(doc, "client", current.token, answer(doc))));
  $("uploaded").replaceChildren(...uploaded.map((doc) => documentItem(doc, "client", current.token)));
}

// answer is what a shared document still asks of the client: a button to
// acknowledge it, or a signature with the typed full name.
function answer(doc) {
  if (doc.asks === "acknowledge" && !doc.acknowledged) {
    const button = element("button", { type: "button", text: "I have read it" });
    const error = element("p", { className: "error", role: "alert" });
    button.addEventListener("click", async () => {
      const { status, data } = await send("POST", `/api/documents/${encodeURIComponent(doc.id)}/acknowledge`, {});
      if (status === 200) await load();
      else error.textContent = data.message || "That did not go through. Please try again.";
    });
    return [button, error];
  }
  if (doc.asks !== "sign" || doc.signed) return [];
  const agree = element("input", { type: "checkbox", id: `agree-${doc.id}` });
  const name = element("input", { type: "text", id: `name-${doc.id}`, autocomplete: "name", maxLength: 200 });
  const error = element("p", { className: "error", role: "alert" });
  const form = element("form", { className: "sign", noValidate: true }, [
    element("div", { className: "choice" }, [agree, element("label", { htmlFor: agree.id, text: "I have read this document and I agree to it." })]),
    element("label", { htmlFor: name.id, text: "Type your full name to sign" }),
    name,
    error,
    element("button", { type: "submit", className: "wide", text: "Sign" }),
  ]);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!agree.checked) {
      error.textContent = "Please tick the box to say you have read the document and agree to it.";
      return;
    }
    const { status, data } = await send("POST", `/api/documents/${encodeURIComponent(doc.id)}/sign`, { name: name.value });
    if (status === 200) await load();
    else error.textContent = data.message || "Your signature did not go through. Please try again.";
  });
  return [form];
}
