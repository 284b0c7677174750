import { keepAlive, session, showPracticeName, signOut } from "./api.js";
import { showAppointmentActions } from "./actions.js";
import { showAppointments } from "./appointments.js";
import { showFormsSection } from "./forms-section.js";
import { showMessagesSection } from "./messages-section.js";

const current = session();
if (!current) {
  signOut("expired");
} else {
  document.getElementById("client-name").textContent = current.record.name || "there";
  document.getElementById("greeting").hidden = false;
  document.getElementById("sign-out").addEventListener("click", () => signOut());
  showPracticeName();
  keepAlive();
  showAppointments(document.getElementById("portal-sections"))
    .then(() => showAppointmentActions(document.getElementById("appointments")));
  showFormsSection(document.getElementById("portal-sections"));
  showMessagesSection(document.getElementById("portal-sections"));
}
