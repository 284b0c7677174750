import { post, saveSession, session, show, showPracticeName } from "./api.js";

const sections = ["ask", "check"];

if (session()) location.replace("/portal/");
showPracticeName();

if (new URLSearchParams(location.search).has("signed-out")) {
  document.getElementById("signed-out-notice").hidden = false;
}

const askForm = document.getElementById("ask-form");
const codeForm = document.getElementById("code-form");
const email = document.getElementById("email");
const code = document.getElementById("code");
let sentTo = "";

askForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  const error = document.getElementById("email-error");
  error.textContent = "";
  if (!email.value.trim() || !email.validity.valid) {
    error.textContent = "Please type your email address, like name@example.com.";
    email.setAttribute("aria-invalid", "true");
    email.focus();
    return;
  }
  email.removeAttribute("aria-invalid");
  const button = askForm.querySelector("button");
  button.disabled = true;
  const { status, data } = await post("/api/portal/login-link", { email: email.value.trim() });
  button.disabled = false;
  if (status !== 202) {
    error.textContent = status === 400 ? "Please check your email address and try again." : data.message;
    return;
  }
  sentTo = email.value.trim();
  document.getElementById("sent-to").textContent = sentTo;
  show("check", sections);
});

codeForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  const error = document.getElementById("code-error");
  error.textContent = "";
  const digits = code.value.replace(/\s/g, "");
  if (!/^[0-9]{6}$/.test(digits)) {
    error.textContent = "The code is the 6 numbers in the email.";
    code.setAttribute("aria-invalid", "true");
    code.focus();
    return;
  }
  const button = codeForm.querySelector("button");
  button.disabled = true;
  const { status, data } = await post("/api/portal/login-code", { email: sentTo, code: digits });
  button.disabled = false;
  if (status === 200) {
    saveSession(data);
    location.assign("/portal/");
    return;
  }
  error.textContent = data.message || "That did not work. Please try again.";
  code.setAttribute("aria-invalid", "true");
  code.select();
});

document.getElementById("again").addEventListener("click", () => {
  code.value = "";
  show("ask", sections);
  email.focus();
});
