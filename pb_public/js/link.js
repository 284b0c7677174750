import { post, saveSession, session, show, showPracticeName, wireCodeForm } from "./api.js";

// Opening this page never signs anyone in: mail scanners open links too.
// Only the button's POST redeems the token.
const sections = ["ready", "gone", "sent", "unknown"];
// The last non-empty part: the link works with a trailing slash too.
const token = decodeURIComponent(location.pathname.split("/").filter(Boolean).pop() || "");

// Why a link no longer works, by the reason the server gives; "used" is
// what the page says before any script runs.
const reasons = {
  expired: ["This link has expired", "Sign-in links work for a short time only. That keeps your portal safe."],
  superseded: ["You have already signed in",
    "You signed in with another link or code after this one was sent, so this one no longer works. That keeps your portal safe."],
};

function explain(reason) {
  if (reasons[reason]) {
    const [title, why] = reasons[reason];
    document.getElementById("gone-title").textContent = title;
    document.getElementById("gone-why").textContent = why;
  }
  show("gone", sections);
}

async function start() {
  if (session()) {
    location.replace("/portal/");
    return;
  }
  showPracticeName();
  const { status, data } = await post("/api/portal/link-status", { token });
  if (status === 404 || status === 400) {
    show("unknown", sections);
  } else if (status === 200 && data.state !== "valid") {
    explain(data.state);
  } else {
    show("ready", sections);
  }
}

document.getElementById("sign-in").addEventListener("click", async (event) => {
  event.target.disabled = true;
  const { status, data } = await post("/api/portal/redeem", { token });
  if (status === 200) {
    saveSession(data);
    location.replace("/portal/");
    return;
  }
  event.target.disabled = false;
  if (status === 410) explain(data.reason);
  else if (status === 404) show("unknown", sections);
  else document.getElementById("sign-in-error").textContent = data.message || "That did not work. Please try again.";
});

document.getElementById("resend").addEventListener("click", async (event) => {
  event.target.disabled = true;
  const { status, data } = await post("/api/portal/resend", { token });
  event.target.disabled = false;
  if (status === 202) show("sent", sections);
  else document.getElementById("resend-error").textContent = data.message || "That did not work. Please try again.";
});

// The new link's code works from here too, for a client whose mail opens
// on another device: the link this page came from says whose it is.
wireCodeForm(document.getElementById("code-form"), () => ({ token }));

start();
