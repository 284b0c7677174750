import { request, show, showPracticeName } from "./api.js";

// The page a staff invite opens. The token is in the fragment, which the
// browser never sends; opening the page changes nothing, and only the
// button's POST spends the invite.

const sections = ["checking", "choose", "gone"];
const token = location.hash.slice(1);
// Out of the address bar and the history, now that the page holds it.
history.replaceState(null, "", location.pathname);
showPracticeName();

const gone = {
  used: "It was already used to set a password. Sign in with that password; if you have forgotten it, ask the practice owner.",
  expired: "It has expired. Please ask the practice owner to send you a new invite.",
  unknown: "We do not recognise this link. Please check you opened the whole link from the email, or ask the practice owner for a new invite.",
};

function showGone(reason) {
  document.getElementById("gone-text").textContent = gone[reason] || gone.unknown;
  show("gone", sections);
}

const status = token ? await request("POST", "/api/staff/invite-status", { token }) : { status: 404, data: {} };
if (status.status === 200 && status.data.state === "valid") {
  show("choose", sections);
} else {
  showGone(status.status === 200 ? status.data.state : "unknown");
}

const form = document.getElementById("password-form");
const password = document.getElementById("password");
const confirm = document.getElementById("confirm");
form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const error = document.getElementById("password-error");
  error.textContent = "";
  for (const field of [password, confirm]) field.removeAttribute("aria-invalid");
  if (password.value.length < 10) {
    error.textContent = "Please use at least 10 characters.";
    password.setAttribute("aria-invalid", "true");
    password.focus();
    return;
  }
  if (confirm.value !== password.value) {
    error.textContent = "The two passwords are not the same. Please type it again.";
    confirm.setAttribute("aria-invalid", "true");
    confirm.focus();
    return;
  }
  const button = form.querySelector("button");
  button.disabled = true;
  const { status, data } = await request("POST", "/api/staff/set-password", { token, password: password.value, passwordConfirm: confirm.value });
  button.disabled = false;
  if (status === 200) {
    location.assign("/staff/?notice=password-set&email=" + encodeURIComponent(data.email));
    return;
  }
  if (status === 410 || status === 404) {
    showGone(data.reason || "unknown");
    return;
  }
  error.textContent = data.message || "That did not work. Please try again.";
});
