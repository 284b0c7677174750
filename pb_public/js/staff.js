// The staff workspace's session: shared by every page under /staff/.
//
// A workspace page starts with
//
//   import { startPage, staffRequest } from "/js/staff.js";
//   const { staff } = await startPage("schedule");
//   const { status, data } = await staffRequest("GET", "/api/collections/appointments/records");
//
// A page is only its <main>, inside <body class="workspace"
// data-page="NAME">: startPage sends anyone not signed in to the sign-in
// page, puts the header above it (the practice, the person's name, Sign
// out, the navigation with the current page marked) and watches for
// idleness. A new part of the workspace is its page and ready: true in
// PAGES. staffRequest is api.js's request with
// the staff session; a 401 means the server ended the session (idle, the
// practice's limit, signed out elsewhere) and returns to the sign-in page,
// which says why.

import { request, showPracticeName } from "./api.js";
import { element } from "./questions.js";

// PAGES is the workspace's navigation, in order. A part still being built
// shows as "coming soon"; its page is /staff/PAGE.html once ready. A part
// with roles is shown only to those roles (the server checks again).
export const PAGES = [
  { page: "home", label: "Home", ready: true },
  { page: "schedule", label: "Schedule", ready: true },
  { page: "clients", label: "Clients", ready: true },
  { page: "messages", label: "Messages", ready: true },
  { page: "documents", label: "Documents", ready: true },
  { page: "requests", label: "Requests", ready: true },
  { page: "forms", label: "Forms", ready: true },
  { page: "packets", label: "Packets", ready: true },
  { page: "team", label: "Team", ready: true, roles: ["owner"] },
  { page: "trail", label: "Audit trail", ready: true, roles: ["owner"] },
];

const SESSION_KEY = "portico.staff";
const PING_EVERY_MS = 60 * 1000;

// staffSession is the signed-in staff member's {token, record}, or null.
export function staffSession() {
  try {
    const stored = JSON.parse(localStorage.getItem(SESSION_KEY));
    if (stored && stored.token) return stored;
  } catch {
    // A damaged entry is the same as none.
  }
  return null;
}

// saveStaffSession keeps the auth response of a completed sign-in.
export function saveStaffSession(auth) {
  localStorage.setItem(SESSION_KEY, JSON.stringify({ token: auth.token, record: auth.record }));
}

// staffRequest is request() with the staff session; a 401 signs out with
// the reason the server gave.
export async function staffRequest(method, path, body) {
  const current = staffSession();
  const result = await request(method, path, body, current && current.token);
  if (result.status === 401 && current) leave(result.data.reason || "ended");
  return result;
}

// leave forgets the session here and goes to the sign-in page, which
// says why (no reason: nobody was signed in here) and comes back to this
// page afterwards, so a link in a mail leads to what it names.
function leave(reason) {
  localStorage.removeItem(SESSION_KEY);
  const query = new URLSearchParams();
  if (reason) query.set("signed-out", reason);
  if (location.pathname !== "/staff/" && reason !== "signed-out") query.set("next", location.pathname + location.search);
  location.assign("/staff/?" + query);
}

// returnPath is where the sign-in page goes once signed in: the
// workspace page that sent the person there, or the home page. Only a
// page of the workspace itself: never another site.
export function returnPath(params) {
  const next = params.get("next") || "";
  return /^\/staff\/[a-z-]+\.html(\?[^#]*)?$/.test(next) ? next : "/staff/home.html";
}

// signOut ends the session on the server, then here; reason is what the
// sign-in page tells the person.
export async function signOut(reason = "signed-out") {
  const current = staffSession();
  if (current) await request("POST", "/api/staff/sign-out", {}, current.token, true);
  leave(reason);
}

// startPage makes a workspace page: it checks the session with the server
// (which counts as activity), fills the header and keeps the session alive
// while the person works. It resolves to {staff, idleMinutes, ends,
// timeZone}: timeZone is the practice's, which every page writes times in.
export async function startPage(current) {
  if (!staffSession()) {
    leave("");
    return new Promise(() => {});
  }
  const { status, data } = await staffRequest("GET", "/api/staff/session");
  if (status !== 200) {
    const error = document.getElementById("staff-error");
    if (status !== 401 && error) error.textContent = data.message || "We could not reach the workspace.";
    return new Promise(() => {});
  }
  mountHeader(current, data.staff);
  showPracticeName();
  document.querySelectorAll("[data-staff-name]").forEach((el) => { el.textContent = data.staff.name; });
  watchIdle(data.idleMinutes);
  return data;
}

// mountHeader puts the workspace's header and navigation above <main>.
function mountHeader(current, staff) {
  const signOutButton = element("button", { id: "sign-out", className: "quiet", type: "button", text: "Sign out" });
  signOutButton.addEventListener("click", () => signOut());
  const practice = element("header", { className: "practice" }, [
    element("span", { className: "name", "data-practice-name": "", text: "Staff workspace" }),
    element("span", { className: "who" }, [element("span", { "data-staff-name": "" }), signOutButton]),
  ]);
  const links = PAGES.filter(({ roles }) => !roles || roles.includes(staff.role)).map(({ page, label, ready }) => {
    if (!ready) return element("span", { className: "soon", "data-page": page, text: `${label} (coming soon)` });
    const link = element("a", { href: `/staff/${page}.html`, "data-page": page, text: label });
    if (page === current) link.setAttribute("aria-current", "page");
    return link;
  });
  const nav = element("header", { className: "nav" }, [element("nav", { className: "workspace", "aria-label": "Workspace" }, links)]);
  document.body.prepend(practice, nav);
}

// watchIdle pings the server while the person is active, and signs out
// here once they have been away as long as the practice allows; the
// server ends the session at the same time whatever this page does.
function watchIdle(idleMinutes) {
  let lastActive = Date.now();
  let pinged = Date.now();
  for (const event of ["pointerdown", "keydown", "scroll", "touchstart"]) {
    addEventListener(event, () => { lastActive = Date.now(); }, { passive: true });
  }
  setInterval(() => {
    if (Date.now() - lastActive >= idleMinutes * 60 * 1000) {
      signOut("idle");
      return;
    }
    if (lastActive > pinged) {
      pinged = Date.now();
      staffRequest("GET", "/api/staff/session");
    }
  }, PING_EVERY_MS);
}
