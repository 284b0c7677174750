// The form builder: the list of forms, and one form's title,
// introduction and questions to edit without touching JSON, each
// question's problems shown beside it as you type (the server checks by
// the rules it saves by), and a live preview in the portal's own
// renderer at a phone's width. Saving makes a new version; packets sent
// earlier keep their own copy of the questions.
import { startPage, staffRequest } from "./staff.js";
import { element } from "./questions.js";
import { dateTime, outcome } from "./staff-common.js";

const $ = (id) => document.getElementById(id);
const RECORDS = "/api/collections/intake_forms/records";
const CHECK_AFTER_TYPING_MS = 300;

// KINDS are the question kinds in the words of the person building a form.
const KINDS = [
  ["short_text", "Short answer"],
  ["long_text", "Long answer"],
  ["email", "Email address"],
  ["phone", "Phone number"],
  ["date", "Date"],
  ["number", "Number"],
  ["single_choice", "One choice from a list"],
  ["multiple_choice", "Checkboxes: any from a list"],
  ["yes_no", "Yes or no"],
  ["heading", "Heading (asks nothing)"],
  ["consent", "Consent with a typed signature"],
];
const KIND_NAME = Object.fromEntries(KINDS);
const CHOICES = ["single_choice", "multiple_choice"];

let form = { id: "", title: "", intro: "", version: 0, questions: [] };
let checkTimer = 0;
let checks = 0;

// The preview frame loads with the page and says when it is ready, which
// can be before this module has the form: listen from the start, and
// send the form again whenever it asks.
addEventListener("message", (event) => {
  if (event.origin === location.origin && event.data && event.data.kind === "portico-form-preview-ready") {
    preview();
  }
});

const { staff, timeZone: zone } = await startPage("forms");
const canWrite = staff.role === "owner" || staff.role === "clinician";
const id = new URLSearchParams(location.search).get("id");

if (id) await openBuilder(id);
else await showList();

async function showList() {
  const { status, data } = await staffRequest("GET", RECORDS + "?fields=id,title,version,updated&sort=title&perPage=200");
  if (status !== 200) {
    $("staff-error").textContent = data.message || "We could not load the forms.";
    return;
  }
  $("new-form").hidden = !canWrite;
  const items = data.items.map((f) => element("li", {}, [
    element("a", { className: "client-name", href: "/staff/forms.html?id=" + encodeURIComponent(f.id), text: f.title }),
    element("span", { className: "muted", text: `Version ${f.version || 1} · changed ${dateTime(f.updated.replace(" ", "T"), zone)}` }),
  ]));
  $("forms").replaceChildren(...(items.length ? items : [element("li", { className: "muted", text: "No forms yet." })]));
  $("list-part").hidden = false;
}

async function openBuilder(formId) {
  if (formId !== "new") {
    const { status, data } = await staffRequest("GET", `${RECORDS}/${encodeURIComponent(formId)}`);
    if (status !== 200) {
      $("staff-error").textContent = data.message || "We could not find this form.";
      return;
    }
    form = { id: data.id, title: data.title, intro: data.intro, version: data.version, questions: data.questions || [] };
  }
  $("page-title").textContent = form.id ? form.title : "New form";
  $("form-title").value = form.title;
  $("form-intro").value = form.intro;
  $("add-kind").replaceChildren(...KINDS.map(([value, text]) => element("option", { value, text })));
  $("read-only").hidden = canWrite;
  $("editor-fields").disabled = !canWrite;
  showVersion();
  renderCards();
  $("builder").hidden = false;
  for (const [field, name] of [["form-title", "title"], ["form-intro", "intro"]]) {
    $(field).addEventListener("input", () => { form[name] = $(field).value; changed(); });
  }
  $("add").addEventListener("click", addQuestion);
  $("editor").addEventListener("submit", save);
  preview(); // if the frame is not ready yet, it asks again when it is
  if (form.id) check();
}

function showVersion() {
  $("version").textContent = form.version ? `Version ${form.version}. Saving a change makes version ${form.version + 1}; packets already sent keep the questions they were sent with.` : "Not saved yet.";
}

// newId keys a new question's answers; it never changes once saved, so
// editing a label later keeps the answers it already has.
function newId() {
  const bytes = crypto.getRandomValues(new Uint8Array(5));
  return "q_" + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function addQuestion() {
  const kind = $("add-kind").value;
  const question = { id: newId(), kind, label: "" };
  if (CHOICES.includes(kind)) question.options = [];
  form.questions.push(question);
  renderCards();
  changed();
  $(`label-${form.questions.length - 1}`).focus();
}

// cleaned is a question as the server stores it: only the properties its
// kind has, and nothing empty.
function cleaned(question) {
  const q = { id: question.id, kind: question.kind, label: question.label };
  if (question.kind !== "heading") {
    if (question.help) q.help = question.help;
    if (question.required) q.required = true;
  }
  if ((question.kind === "heading" || question.kind === "consent") && question.text) q.text = question.text;
  if (CHOICES.includes(question.kind)) q.options = question.options || [];
  if (question.kind === "number") {
    for (const bound of ["min", "max"]) if (typeof question[bound] === "number") q[bound] = question[bound];
  }
  return q;
}

function questions() {
  return form.questions.map(cleaned);
}

// renderCards draws one card per question; typing in a card changes the
// form in place, so the cards are drawn again only when they move.
function renderCards() {
  const count = form.questions.length;
  $("questions").replaceChildren(...form.questions.map((q, i) => card(q, i, count)));
}

function card(question, index, count) {
  const n = index + 1;
  const field = (name) => `${name}-${index}`;
  const heading = question.kind === "heading";
  const problem = element("p", { className: "error", id: field("problem") });
  const described = (extra) => [extra, field("problem")].filter(Boolean).join(" ");

  const kind = element("select", { id: field("kind") }, KINDS.map(([value, text]) => element("option", { value, text, selected: value === question.kind })));
  kind.addEventListener("change", () => {
    question.kind = kind.value;
    if (CHOICES.includes(question.kind) && !question.options) question.options = [];
    renderCards();
    changed();
    $(field("kind")).focus();
  });

  const label = input("text", field("label"), question.label, (v) => { question.label = v; }, { maxLength: 500, "aria-describedby": described() });
  const parts = [
    element("div", { className: "card-head" }, [
      element("h3", { text: `${n}. ${KIND_NAME[question.kind] || question.kind}` }),
      element("div", { className: "card-buttons" }, [
        button("Up", `Move question ${n} up`, index === 0, () => move(index, -1)),
        button("Down", `Move question ${n} down`, index === count - 1, () => move(index, 1)),
        button("Remove", `Remove question ${n}`, false, () => remove(index)),
      ]),
    ]),
    element("label", { htmlFor: kind.id, text: "Kind" }), kind,
    element("label", { htmlFor: label.id, text: heading ? "Heading" : "Question" }), label,
  ];
  if (!heading) {
    const help = input("text", field("help"), question.help || "", (v) => { question.help = v; }, { maxLength: 10000 });
    parts.push(element("label", { htmlFor: help.id, text: "Help text (optional)" }), help);
  }
  if (heading || question.kind === "consent") {
    const text = element("textarea", { id: field("text"), rows: 3, maxLength: 10000, value: question.text || "" });
    text.addEventListener("input", () => { question.text = text.value; changed(); });
    parts.push(element("label", { htmlFor: text.id, text: heading ? "Text under the heading (optional)" : "The statement the client agrees to" }), text);
  }
  if (CHOICES.includes(question.kind)) {
    const hint = element("p", { className: "hint", id: field("options-hint"), text: "One choice a line." });
    const options = element("textarea", { id: field("options"), rows: 4, value: (question.options || []).join("\n") });
    options.setAttribute("aria-describedby", field("options-hint"));
    options.addEventListener("input", () => {
      question.options = options.value.split("\n").map((o) => o.trim()).filter(Boolean);
      changed();
    });
    parts.push(element("label", { htmlFor: options.id, text: "Choices" }), hint, options);
  }
  if (question.kind === "number") {
    const bound = (name, text) => {
      const box = input("text", field(name), question[name] ?? "", (v) => {
        const number = Number(v);
        if (v.trim() === "" || Number.isNaN(number)) delete question[name];
        else question[name] = number;
      }, { inputMode: "decimal" });
      return element("div", {}, [element("label", { htmlFor: box.id, text }), box]);
    };
    parts.push(element("div", { className: "pair" }, [bound("min", "Lowest answer (optional)"), bound("max", "Highest answer (optional)")]));
  }
  if (!heading) {
    const required = element("input", { type: "checkbox", id: field("required"), checked: Boolean(question.required) });
    required.addEventListener("change", () => { question.required = required.checked; changed(); });
    parts.push(element("div", { className: "choice" }, [required, element("label", { htmlFor: required.id, text: "The client must answer this" })]));
  }
  parts.push(problem);
  return element("li", { className: "card builder-question", "data-question": question.id }, parts);
}

function input(type, fieldId, value, set, props = {}) {
  const box = element("input", { type, id: fieldId, value, ...props });
  box.addEventListener("input", () => { set(box.value); changed(); });
  return box;
}

function button(text, label, disabled, act) {
  const b = element("button", { type: "button", className: "quiet small", text, disabled, "aria-label": label });
  b.addEventListener("click", act);
  return b;
}

function move(index, by) {
  const [question] = form.questions.splice(index, 1);
  form.questions.splice(index + by, 0, question);
  renderCards();
  changed();
  // Keep the keyboard on the question that moved.
  const moved = document.querySelector(`[aria-label="Move question ${index + by + 1} ${by < 0 ? "up" : "down"}"]`);
  if (moved && !moved.disabled) moved.focus();
  else $(`kind-${index + by}`).focus();
  outcome(`Question moved to place ${index + by + 1}.`);
}

function remove(index) {
  form.questions.splice(index, 1);
  renderCards();
  changed();
  outcome(`Question ${index + 1} removed. Saving makes it so; packets already sent keep it.`);
}

function changed() {
  preview();
  clearTimeout(checkTimer);
  checkTimer = setTimeout(check, CHECK_AFTER_TYPING_MS);
}

function preview() {
  $("preview").contentWindow.postMessage({ kind: "portico-form-preview", title: form.title, intro: form.intro, questions: questions() }, location.origin);
}

// check asks the server what is wrong, by the rules a save goes by, and
// puts each problem beside its question.
async function check() {
  if (!canWrite) return true;
  const asked = ++checks;
  const { status, data } = await staffRequest("POST", "/api/staff/forms/check", { questions: questions() });
  if (status !== 200) return true; // the save will say
  // An answer to an older question list, arriving late, is not shown.
  if (asked === checks) showProblems(data.problems);
  return data.problems.length === 0;
}

function showProblems(problems) {
  document.querySelectorAll(".builder-question .error").forEach((p) => { p.textContent = ""; });
  document.querySelectorAll(".builder-question [aria-invalid]").forEach((c) => c.removeAttribute("aria-invalid"));
  $("list-problem").textContent = "";
  for (const { index, message } of problems) {
    if (index < 0) {
      $("list-problem").textContent = sentence(message);
      continue;
    }
    const line = $(`problem-${index}`);
    if (line) line.textContent = sentence(message);
    const label = $(`label-${index}`);
    if (label && /label/.test(message)) label.setAttribute("aria-invalid", "true");
  }
}

function sentence(message) {
  return message.charAt(0).toUpperCase() + message.slice(1) + (/[.!?]$/.test(message) ? "" : ".");
}

async function save(event) {
  event.preventDefault();
  $("save-error").textContent = "";
  $("form-title-error").textContent = "";
  if (!form.title.trim()) {
    $("form-title-error").textContent = "Give the form a title: clients see it in their list of forms.";
    $("form-title").setAttribute("aria-invalid", "true");
    $("form-title").focus();
    return;
  }
  $("form-title").removeAttribute("aria-invalid");
  if (!(await check())) {
    $("save-error").textContent = "Some questions need a look before the form can be saved: see the messages beside them.";
    return;
  }
  $("save").disabled = true;
  const body = { title: form.title.trim(), intro: form.intro, questions: questions() };
  const { status, data } = form.id
    ? await staffRequest("PATCH", `${RECORDS}/${encodeURIComponent(form.id)}`, body)
    : await staffRequest("POST", RECORDS, body);
  $("save").disabled = false;
  if (status !== 200) {
    const detail = data.data && Object.values(data.data).map((e) => e.message).join(" ");
    $("save-error").textContent = detail || data.message || "The form could not be saved.";
    return;
  }
  const first = !form.id;
  const before = form.version;
  form.id = data.id;
  form.version = data.version;
  history.replaceState(null, "", "/staff/forms.html?id=" + encodeURIComponent(form.id));
  $("page-title").textContent = form.title;
  showVersion();
  if (first) outcome(`Saved “${form.title}”. Assign it to a client from their page.`);
  else if (form.version === before) outcome(`Saved “${form.title}”: nothing a client reads changed, so it is still version ${form.version}.`);
  else outcome(`Saved “${form.title}” as version ${form.version}. Packets already sent keep the questions they were sent with.`);
}
