// What the portal's and the workspace's Documents pages share: a
// document's state in words, its line in a list, opening its file with a
// short-lived file token, and sending one.
import { element } from "./questions.js";
import { fileAddress, sendMessage } from "./messages-common.js";

const DAY = new Intl.DateTimeFormat(undefined, { day: "numeric", month: "short", year: "numeric", hour: "numeric", minute: "2-digit" });

// at writes one of the API's times ("2026-03-06 10:00:00.000Z") in the
// reader's zone.
export const at = (stamp) => DAY.format(new Date(stamp.replace(" ", "T")));

// stateOf says where a document stands, as the reader (side) says it.
export function stateOf(doc, side) {
  const practice = side === "practice";
  if (doc.signed) return `Signed by ${doc.signedName} on ${at(doc.signed)}`;
  if (doc.acknowledged) return `Acknowledged on ${at(doc.acknowledged)}`;
  if (doc.side === "client") {
    if (practice) return doc.opened ? `Opened on ${at(doc.opened)}` : "New: nobody has opened it yet";
    return doc.opened ? `The practice opened it on ${at(doc.opened)}` : "The practice has not opened it yet";
  }
  const asks = { sign: "to sign", acknowledge: "to acknowledge", read: "to read" }[doc.asks];
  if (practice) return doc.opened ? `Opened on ${at(doc.opened)}, ${asks}` : `Not opened yet, ${asks}`;
  return doc.asks === "read" && doc.opened ? `You opened it on ${at(doc.opened)}` : `For you ${asks}`;
}

// documentItem is one document's line: what it is, who added it and
// when, its state, a button that opens it, and any more (an answer form).
export function documentItem(doc, side, token, more = []) {
  const sharer = doc.addedBy || "The practice";
  const by = side === "client"
    ? `${doc.side === "practice" ? sharer : "You"} · ${at(doc.added)}`
    : `${doc.side === "practice" ? `${sharer}, for ${doc.clientName}` : `From ${doc.clientName}`} · ${at(doc.added)} · ${doc.kind === "clinical" ? "Clinical" : "Front desk"}`;
  const open = element("button", { type: "button", className: "link", text: `Open ${doc.title}` });
  open.addEventListener("click", async () => { window.open(await fileAddress("documents", doc.id, doc.file, token), "_blank", "noopener"); });
  return element("li", { className: "document", "data-id": doc.id }, [
    element("p", { className: "document-title" }, [element("strong", { text: doc.title })]),
    element("p", { className: "hint", text: by }),
    element("p", { className: "state", text: stateOf(doc, side) }),
    open,
    ...more,
  ]);
}

// sendOnSubmit makes form send a document: it checks a kind is chosen
// (else says missingKind), posts fields() and the file of fileInput as
// multipart, shows the server's line in error on a refusal (the form
// keeps what was filled in), and on success resets the form and calls
// sent(document).
export function sendOnSubmit(form, { fields, fileInput, error, status, missingKind, failed, sent, token }) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const kind = form.querySelector("input[name=kind]:checked");
    const button = form.querySelector("button[type=submit]");
    error.textContent = "";
    status.textContent = "";
    if (!kind) {
      error.textContent = missingKind;
      return;
    }
    button.disabled = true;
    const result = await sendMessage("/api/documents", { kind: kind.value, ...fields() }, fileInput.files, token, "file");
    button.disabled = false;
    if (result.status !== 201) {
      error.textContent = result.data.message || failed;
      return;
    }
    form.reset();
    await sent(result.data);
  });
}
