import { request, show, showPracticeName } from "./api.js";
import { returnPath, saveStaffSession, staffSession } from "./staff.js";

// Sign-in: the password, then the code PocketBase emails (its MFA with a
// one-time password). Nothing here is a client's way in.

const sections = ["password-step", "code-step"];
const passwordForm = document.getElementById("password-form");
const codeForm = document.getElementById("code-form");
const email = document.getElementById("email");
const password = document.getElementById("password");
const code = document.getElementById("code");
let mfaId = "";
let otpId = "";

const reasons = {
  idle: "You were signed out after a while without activity, to keep client records safe. Please sign in again.",
  limit: "Your session reached its time limit. Please sign in again.",
  "signed-out": "You are signed out.",
  "password-set": "Your password is set. Sign in with it now: we will email you a code as well.",
};

const params = new URLSearchParams(location.search);
if (staffSession() && !params.has("signed-out")) location.replace(returnPath(params));
showPracticeName();
const why = params.get("signed-out") || params.get("notice");
if (why) {
  const notice = document.getElementById("notice");
  notice.textContent = reasons[why] || "Your session has ended. Please sign in again.";
  notice.hidden = false;
}
if (params.get("email")) email.value = params.get("email");

function fail(field, errorId, message) {
  document.getElementById(errorId).textContent = message;
  field.setAttribute("aria-invalid", "true");
  field.focus();
}

passwordForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  document.getElementById("password-error").textContent = "";
  for (const field of [email, password]) field.removeAttribute("aria-invalid");
  if (!email.value.trim() || !email.validity.valid) return fail(email, "password-error", "Please type your work email address, like name@example.com.");
  if (!password.value) return fail(password, "password-error", "Please type your password.");

  const button = passwordForm.querySelector("button");
  button.disabled = true;
  const answer = await request("POST", "/api/collections/staff/auth-with-password", { identity: email.value.trim(), password: password.value });
  if (answer.status !== 401 || !answer.data.mfaId) {
    button.disabled = false;
    if (answer.status === 400) return fail(password, "password-error", "That email and password do not match. Please try again.");
    return fail(password, "password-error", answer.data.message || "That did not work. Please try again.");
  }
  mfaId = answer.data.mfaId;
  const sent = await request("POST", "/api/collections/staff/request-otp", { email: email.value.trim() });
  button.disabled = false;
  if (sent.status !== 200) return fail(password, "password-error", sent.data.message || "We could not send your code. Please try again.");
  otpId = sent.data.otpId;
  password.value = "";
  document.getElementById("sent-to").textContent = email.value.trim();
  show("code-step", sections);
});

codeForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  document.getElementById("code-error").textContent = "";
  const digits = code.value.replace(/\s/g, "");
  if (!/^[0-9]{6}$/.test(digits)) return fail(code, "code-error", "The code is the 6 numbers in the email we just sent.");
  const button = codeForm.querySelector("button");
  button.disabled = true;
  const { status, data } = await request("POST", "/api/collections/staff/auth-with-otp", { otpId, password: digits, mfaId });
  button.disabled = false;
  if (status === 200) {
    saveStaffSession(data);
    location.assign(returnPath(params));
    return;
  }
  if (status === 429) return fail(code, "code-error", "Too many wrong codes. Please start again with your password.");
  fail(code, "code-error", "That code is not right, or it has expired. Check the newest email, or start again.");
  code.select();
});

document.getElementById("start-again").addEventListener("click", () => {
  code.value = "";
  mfaId = otpId = "";
  show("password-step", sections);
  password.focus();
});
