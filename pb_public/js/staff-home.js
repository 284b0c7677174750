// The workspace's home page: the shared shell, and for the practice's
// owner, where the off-site copy stands (GET /api/staff/backup).
import { startPage, staffRequest } from "./staff.js";

const { staff } = await startPage("home");
if (staff.role === "owner") {
  const { status, data } = await staffRequest("GET", "/api/staff/backup");
  const section = document.getElementById("backup");
  document.getElementById("backup-summary").textContent =
    status === 200 ? data.summary : data.message || "We could not read the state of the off-site copy.";
  if (status === 200 && data.drill) {
    const verdict = data.drill.passed ? "Last weekly restore drill passed" : "Last weekly restore drill FAILED";
    document.getElementById("backup-drill").textContent = `${verdict}: ${data.drill.summary}`;
  }
  section.hidden = false;
}
