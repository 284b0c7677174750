// The form builder's live preview: the portal's own page and question
// renderer at a phone's width, fed by the builder through postMessage.
// Nothing here is sent anywhere: the preview's answers go nowhere.
import { showPracticeName } from "./api.js";
import { renderQuestions } from "./questions.js";

showPracticeName();
document.getElementById("packet-form").addEventListener("submit", (event) => event.preventDefault());
addEventListener("message", (event) => {
  if (event.origin !== location.origin || !event.data || event.data.kind !== "portico-form-preview") return;
  const { title, intro, questions } = event.data;
  document.getElementById("packet-title").textContent = title || "A new form";
  document.getElementById("packet-intro").textContent = intro || "";
  renderQuestions(document.getElementById("questions"), questions || []);
});
parent.postMessage({ kind: "portico-form-preview-ready" }, location.origin);
