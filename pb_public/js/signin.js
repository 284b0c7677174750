import { post, session, show, showPracticeName, signedOut, wireCodeForm } from "./api.js";

const sections = ["ask", "check"];

if (session()) location.replace("/portal/");
showPracticeName();

if (signedOut()) document.getElementById("signed-out-notice").hidden = false;

const askForm = document.getElementById("ask-form");
const email = document.getElementById("email");
let sentTo = "";
wireCodeForm(document.getElementById("code-form"), () => ({ email: sentTo }));
const code = document.getElementById("code");

// typedEmail is the address typed, or "" after saying what is wrong with it.
function typedEmail() {
  const error = document.getElementById("email-error");
  error.textContent = "";
  if (!email.value.trim() || !email.validity.valid) {
    error.textContent = "Please type your email address, like name@example.com.";
    email.setAttribute("aria-invalid", "true");
    email.focus();
    return "";
  }
  email.removeAttribute("aria-invalid");
  return email.value.trim();
}

// askForCode shows the code box for address; sent says whether a mail
// was asked for just now or the client has one already.
function askForCode(address, sent) {
  sentTo = address;
  document.getElementById("sent-to").textContent = address;
  document.getElementById("have-for").textContent = address;
  document.getElementById("check-sent").hidden = !sent;
  document.getElementById("check-have").hidden = sent;
  document.getElementById("check-title").textContent = sent ? "Check your email" : "Type your code";
  show("check", sections);
}

askForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  const address = typedEmail();
  if (!address) return;
  const button = askForm.querySelector("button");
  button.disabled = true;
  const { status, data } = await post("/api/portal/login-link", { email: address });
  button.disabled = false;
  if (status !== 202) {
    const error = document.getElementById("email-error");
    error.textContent = status === 400 ? "Please check your email address and try again." : data.message;
    // Past the mail limit, the code in an email already sent still works.
    if (status === 429) error.textContent += " If you have a code from an email already, choose \u201cI already have a code\u201d.";
    return;
  }
  askForCode(address, true);
});

document.getElementById("have-code").addEventListener("click", () => {
  const address = typedEmail();
  if (address) askForCode(address, false);
});

document.getElementById("again").addEventListener("click", () => {
  code.value = "";
  show("ask", sections);
  email.focus();
});
