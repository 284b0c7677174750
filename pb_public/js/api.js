// Shared by every portal page: calls to Portico's API and the client's session.

const SESSION_KEY = "portico.session";
const SIGNED_OUT_KEY = "portico.signedOut";
let leaving = false;
const REFRESH_EVERY_MS = 5 * 60 * 1000;

// request sends a JSON body with token and returns {status, data}; a
// network failure is status 0 with a message to show.
export async function request(method, path, body, token, keepalive = false) {
  const headers = { "Content-Type": "application/json" };
  if (token) headers.Authorization = token;
  try {
    const response = await fetch(path, { method, headers, body: JSON.stringify(body), keepalive });
    return { status: response.status, data: await response.json().catch(() => ({})) };
  } catch {
    return { status: 0, data: { message: "We could not reach the portal. Check your connection and try again." } };
  }
}

// post sends a JSON body and returns {status, data}; a network failure is status 0.
export function post(path, body, token) {
  return request("POST", path, body, token);
}

// send writes a JSON body with the client's session, like post; an ended
// session signs out. keepalive lets a save finish while the page closes.
export async function send(method, path, body, { keepalive = false } = {}) {
  const current = session();
  const result = await request(method, path, body, current && current.token, keepalive);
  if (result.status === 401) signOut("expired");
  return result;
}

// get reads JSON with the client's session, or returns null on any failure.
export async function get(path) {
  const current = session();
  const headers = current ? { Authorization: current.token } : {};
  try {
    const response = await fetch(path, { headers });
    if (response.status === 401 || response.status === 403) {
      signOut("expired");
      return null;
    }
    return response.ok ? await response.json() : null;
  } catch {
    return null;
  }
}

// wireCodeForm fills form with the 6-digit code box, the one every page
// that takes a code shows, and signs in with the code typed; name() says
// whose code it is, {email} or {token}.
export function wireCodeForm(form, name) {
  const label = document.createElement("label");
  label.htmlFor = "code";
  label.textContent = "6-digit code";
  const code = Object.assign(document.createElement("input"), {
    id: "code", name: "code", className: "code", type: "text", inputMode: "numeric",
    autocomplete: "one-time-code", pattern: "[0-9]{6}", maxLength: 6, required: true,
  });
  code.setAttribute("aria-describedby", "code-error");
  const error = Object.assign(document.createElement("p"), { id: "code-error", className: "error" });
  error.setAttribute("role", "alert");
  const button = Object.assign(document.createElement("button"), { className: "wide", type: "submit", textContent: "Sign in" });
  form.replaceChildren(label, code, error, button);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.textContent = "";
    const digits = code.value.replace(/\s/g, "");
    if (!/^[0-9]{6}$/.test(digits)) {
      error.textContent = "The code is the 6 numbers in the email.";
      code.setAttribute("aria-invalid", "true");
      code.focus();
      return;
    }
    button.disabled = true;
    const { status, data } = await post("/api/portal/login-code", { ...name(), code: digits });
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
}

// showPracticeName fills every [data-practice-name] with the practice's name.
export async function showPracticeName() {
  try {
    const response = await fetch("/api/portal/practice");
    const { name } = await response.json();
    if (!name) return;
    document.querySelectorAll("[data-practice-name]").forEach((el) => { el.textContent = name; });
    document.title = document.title.replace("your client portal", name).replace("Your client portal", name);
  } catch {
    // The generic wording already in the page is fine.
  }
}

function tokenExpiry(token) {
  try {
    const payload = JSON.parse(atob(token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/")));
    return payload.exp * 1000;
  } catch {
    return 0;
  }
}

// session is the signed-in client's {token, record}, or null.
export function session() {
  try {
    const stored = JSON.parse(localStorage.getItem(SESSION_KEY));
    if (stored && tokenExpiry(stored.token) > Date.now()) return stored;
  } catch {
    // A damaged entry is the same as none.
  }
  return null;
}

// saveSession keeps the auth response of a sign-in.
export function saveSession(auth) {
  localStorage.setItem(SESSION_KEY, JSON.stringify({ token: auth.token, record: auth.record }));
}

// signOut returns to the sign-in page without the session. Without a
// reason the client chose to, and the session ends on the server first,
// so its token stops working everywhere it was copied. With a reason
// (the session ended by itself), the sign-in page says "You were signed
// out", but only if this browser had a session: a bookmark of a portal
// page opened signed out is no news to anyone.
export async function signOut(reason) {
  // Requests still on their way when the session ends answer 401: the
  // first sign-out is the one that counts.
  if (leaving) return;
  leaving = true;
  const stored = localStorage.getItem(SESSION_KEY);
  const current = session();
  if (!reason && current) await request("POST", "/api/portal/sign-out", {}, current.token, true);
  localStorage.removeItem(SESSION_KEY);
  sessionStorage.clear(); // this tab's memory of the session, such as having landed
  if (reason && stored) sessionStorage.setItem(SIGNED_OUT_KEY, reason);
  location.assign("/");
}

// signedOut is why this tab's session ended by itself, once, or "".
export function signedOut() {
  const reason = sessionStorage.getItem(SIGNED_OUT_KEY) || "";
  sessionStorage.removeItem(SIGNED_OUT_KEY);
  return reason;
}

// startPage begins a page that needs the client signed in: without a
// session it goes to sign-in; with one it wires the sign-out button, shows
// the practice's name and keeps the session alive. It returns the session.
export function startPage() {
  const current = session();
  if (!current) {
    signOut("expired");
    return null;
  }
  document.getElementById("sign-out").addEventListener("click", () => signOut());
  showPracticeName();
  keepAlive();
  return current;
}

// keepAlive refreshes the session while the client is active, so that it
// ends only after a stretch of inactivity.
export function keepAlive() {
  let active = false;
  for (const event of ["pointerdown", "keydown", "scroll", "touchstart"]) {
    addEventListener(event, () => { active = true; }, { passive: true });
  }
  setInterval(async () => {
    const current = session();
    if (!current) {
      signOut("expired");
      return;
    }
    if (!active) return;
    active = false;
    const { status, data } = await post("/api/collections/clients/auth-refresh", {}, current.token);
    if (status === 200) saveSession(data);
  }, REFRESH_EVERY_MS);
}

// show reveals one of the page's sections and hides the others.
export function show(id, sections) {
  for (const section of sections) document.getElementById(section).hidden = section !== id;
  const heading = document.querySelector(`#${id} h1[tabindex]`);
  if (heading) heading.focus();
}

// when writes a time in the viewer's own zone, with the zone's name.
export function when(iso) {
  return new Date(iso).toLocaleString(undefined, {
    weekday: "long", day: "numeric", month: "long", hour: "numeric", minute: "2-digit", timeZoneName: "short",
  });
}
