// Renders a packet's questions as one accessible form, reads the answers
// back, and shows the server's message next to each question. The server
// checks everything; this module only asks and shows.

const CHOICE_KINDS = ["single_choice", "multiple_choice", "yes_no", "consent"];
const INPUTS = {
  short_text: { type: "text", maxLength: 500 },
  email: { type: "email", maxLength: 500, inputMode: "email" },
  phone: { type: "tel", maxLength: 500, inputMode: "tel" },
  date: { type: "date", maxLength: 500 },
  number: { type: "text", maxLength: 500, inputMode: "decimal" },
};

// element builds a DOM node: props are properties (text sets the text),
// aria-* and unknown names attributes; children are appended.
export function element(tag, props = {}, children = []) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (name === "text") el.textContent = value;
    else if (name in el && !name.startsWith("aria")) el[name] = value;
    else el.setAttribute(name, value);
  }
  for (const child of children) if (child) el.append(child);
  return el;
}

function options(question) {
  return question.kind === "yes_no" ? [["yes", "Yes"], ["no", "No"]] : (question.options || []).map((o) => [o, o]);
}

// renderQuestions fills container with one block per question and returns
// the blocks by question id.
export function renderQuestions(container, questions) {
  const blocks = new Map();
  container.replaceChildren();
  questions.forEach((question, index) => {
    if (question.kind === "heading") {
      container.append(element("h2", { text: question.label }));
      if (question.text) container.append(element("p", { text: question.text }));
      return;
    }
    const block = renderQuestion(question, `q${index}`);
    blocks.set(question.id, block);
    container.append(block.root);
  });
  return blocks;
}

function renderQuestion(question, id) {
  const helpId = `${id}-help`;
  const errorId = `${id}-error`;
  const described = question.help ? `${helpId} ${errorId}` : errorId;
  const help = question.help ? element("p", { className: "hint", id: helpId, text: question.help }) : null;
  const error = element("p", { className: "error", id: errorId });
  const required = question.required ? element("span", { className: "required", text: " (required)" }) : null;

  if (!CHOICE_KINDS.includes(question.kind)) {
    const control = question.kind === "long_text"
      ? element("textarea", { id, name: question.id, rows: 5, maxLength: 10000 })
      : element("input", { id, name: question.id, ...INPUTS[question.kind] });
    control.setAttribute("aria-describedby", described);
    if (question.required) control.required = true;
    const label = element("label", { htmlFor: id }, [question.label, required]);
    const root = element("div", { className: "question" }, [label, help, control, error]);
    return { question, root, error, controls: [control], first: control };
  }

  const legend = element("legend", {}, [question.label, required]);
  const root = element("fieldset", { className: "question", "aria-describedby": described }, [legend, help]);
  const controls = [];
  if (question.kind === "consent") {
    root.append(element("p", { className: "consent-text", text: question.text }));
    const agree = element("input", { type: "checkbox", id: `${id}-agree`, name: question.id });
    const name = element("input", { type: "text", id: `${id}-name`, name: `${question.id}-name`, autocomplete: "name", maxLength: 200 });
    root.append(
      element("div", { className: "choice" }, [agree, element("label", { htmlFor: agree.id, text: "I agree" })]),
      element("label", { htmlFor: name.id, text: "Type your full name to sign" }),
      name,
    );
    controls.push(agree, name);
  } else {
    const type = question.kind === "multiple_choice" ? "checkbox" : "radio";
    options(question).forEach(([value, text], i) => {
      const input = element("input", { type, id: `${id}-${i}`, name: question.id, value });
      if (question.required && type === "radio") input.required = true;
      root.append(element("div", { className: "choice" }, [input, element("label", { htmlFor: input.id, text })]));
      controls.push(input);
    });
  }
  root.append(error);
  return { question, root, error, controls, first: controls[0] };
}

// readAnswers returns the answers as the server takes them.
export function readAnswers(blocks) {
  const answers = {};
  for (const [id, { question, controls }] of blocks) {
    switch (question.kind) {
      case "multiple_choice":
        answers[id] = controls.filter((c) => c.checked).map((c) => c.value);
        break;
      case "single_choice":
      case "yes_no":
        answers[id] = (controls.find((c) => c.checked) || {}).value || null;
        break;
      case "consent":
        answers[id] = { accepted: controls[0].checked, name: controls[1].value };
        break;
      default:
        answers[id] = controls[0].value;
    }
  }
  return answers;
}

// restoreAnswers puts saved answers back into the form.
export function restoreAnswers(blocks, answers) {
  for (const [id, { question, controls }] of blocks) {
    const answer = answers[id];
    if (answer === undefined || answer === null) continue;
    switch (question.kind) {
      case "multiple_choice":
        for (const c of controls) c.checked = answer.includes(c.value);
        break;
      case "single_choice":
      case "yes_no":
        for (const c of controls) c.checked = c.value === answer;
        break;
      case "consent":
        controls[0].checked = Boolean(answer.accepted);
        controls[1].value = answer.name || "";
        break;
      default:
        controls[0].value = answer;
    }
  }
}

// showErrors puts each message next to its question and returns the
// questions that have one, in the form's order.
export function showErrors(blocks, errors) {
  const wrong = [];
  for (const [id, block] of blocks) {
    const message = errors[id] && errors[id].message;
    block.error.textContent = message || "";
    for (const control of block.controls) {
      if (message) control.setAttribute("aria-invalid", "true");
      else control.removeAttribute("aria-invalid");
    }
    if (message) wrong.push({ block, message });
  }
  return wrong;
}

// describeAnswer is an answer as the client reads it back after sending.
export function describeAnswer(question, answer) {
  if (answer === undefined || answer === null || answer === "") return "No answer";
  switch (question.kind) {
    case "multiple_choice":
      return answer.length ? answer.join(", ") : "No answer";
    case "yes_no":
      return answer === "yes" ? "Yes" : "No";
    case "consent":
      return answer.accepted ? `Agreed, signed “${answer.name}”` : "Not agreed";
    default:
      return String(answer);
  }
}
