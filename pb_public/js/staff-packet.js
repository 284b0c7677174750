// A packet's read view, which is also its print page: the practice, the
// client, when it was sent back, then the questions in the form's order
// with the answers, as the client saw them (labels, the client's wording
// of each answer, each consent with its statement, the signed name and
// the time in the practice's zone). Printing leaves out the workspace
// around it (print CSS), so one packet prints as one clean document.
import { startPage, staffRequest } from "./staff.js";
import { describeAnswer, element } from "./questions.js";
import { outcome } from "./staff-common.js";

const $ = (id) => document.getElementById(id);
const id = new URLSearchParams(location.search).get("id") || "";

await startPage("packets");
await load();
$("print").addEventListener("click", () => print());
$("reopen").addEventListener("click", reopen);

// stamp writes a stored time in the practice's zone, and says which:
// "Tuesday 4 March 2031, 10:02 (New York time)".
// The parts are put together here, as browsers' own long formats differ
// ("Monday, 3 March 2031 at 09:00" in one, "Monday 3 March 2031, 09:00"
// in another).
function stamp(stored, timeZone) {
  const date = new Date(String(stored).replace(" ", "T"));
  const parts = Object.fromEntries(new Intl.DateTimeFormat("en-GB", { weekday: "long", day: "numeric", month: "long", year: "numeric",
    hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone }).formatToParts(date).map(({ type, value }) => [type, value]));
  const place = timeZone === "UTC" ? "UTC" : timeZone.split("/").pop().replace(/_/g, " ") + " time";
  return `${parts.weekday} ${parts.day} ${parts.month} ${parts.year}, ${parts.hour}:${parts.minute} (${place})`;
}

// calendarDay writes a date answer (1990-04-27) as "27 April 1990": a
// day, not an instant, so no zone moves it.
function calendarDay(day) {
  const date = new Date(day + "T00:00:00Z");
  if (Number.isNaN(date.getTime())) return day;
  return new Intl.DateTimeFormat("en-GB", { day: "numeric", month: "long", year: "numeric", timeZone: "UTC" }).format(date);
}

function answerOf(question, answer, timeZone) {
  if (answer === undefined || answer === null) return [element("span", { className: "muted", text: "No answer" })];
  if (question.kind === "consent") {
    let signed = answer.accepted ? `Agreed, signed “${answer.name}”` : "Not agreed";
    if (answer.accepted && answer.at) signed += " on " + stamp(answer.at, timeZone);
    return [element("p", { className: "consent-text", text: question.text }), element("p", { className: "signed", text: signed })];
  }
  if (question.kind === "multiple_choice") return [element("ul", {}, answer.map((choice) => element("li", { text: choice })))];
  if (question.kind === "date") return [calendarDay(answer)];
  return [describeAnswer(question, answer)];
}

function renderAnswers(packet) {
  const parts = [];
  let list = null;
  for (const question of packet.questions) {
    if (question.kind === "heading") {
      parts.push(element("h2", { text: question.label }));
      if (question.text) parts.push(element("p", { text: question.text }));
      list = null;
      continue;
    }
    if (!list) {
      list = element("dl", { className: "answers" });
      parts.push(list);
    }
    list.append(element("dt", { text: question.label }), element("dd", {}, answerOf(question, packet.answers[question.id], packet.timeZone)));
  }
  $("answers").replaceChildren(...parts);
}

async function load() {
  const { status, data } = await staffRequest("GET", "/api/staff/packets/" + encodeURIComponent(id));
  if (status !== 200) {
    $("staff-error").textContent = data.message || "We could not open this packet.";
    return;
  }
  const zone = data.timeZone;
  document.title = `${data.title}: ${data.clientName} · Staff workspace`;
  $("practice").textContent = data.practice;
  $("title").textContent = data.title;
  $("who").replaceChildren(element("strong", { text: data.clientName }));
  $("state").textContent = data.status === "submitted"
    ? "Sent back " + stamp(data.submitted, zone) + "."
    : data.saved
      ? "Not sent back yet: these are the answers saved so far, last saved " + stamp(data.saved, zone) + "."
      : "Not started yet: sent " + stamp(data.assigned, zone) + ".";
  $("intro").textContent = data.intro;
  renderAnswers(data);
  $("version").textContent = data.formVersion ? `The questions as sent: version ${data.formVersion} of the form.` : "";
  $("client-link").href = "/staff/client.html?id=" + encodeURIComponent(data.client);
  $("reopen").hidden = data.status !== "submitted" || Boolean(data.reopenedBy);
  const links = [];
  if (data.reopens) links.push("This packet corrects ", element("a", { href: "/staff/packet.html?id=" + encodeURIComponent(data.reopens), text: "an earlier one" }), ". ");
  if (data.reopenedBy) links.push("This packet was reopened for a correction: ", element("a", { href: "/staff/packet.html?id=" + encodeURIComponent(data.reopenedBy), text: "the new packet" }), ".");
  $("links").replaceChildren(...links);
  $("sheet").hidden = false;
  $("actions").hidden = false;
  $("title").focus();
}

async function reopen() {
  if (!confirm("Reopen this packet? The client is emailed a link to correct their answers; what they sent stays as it is.")) return;
  const { status, data } = await staffRequest("POST", `/api/staff/packets/${encodeURIComponent(id)}/reopen`, {});
  outcome(data.message || "The packet could not be reopened.", status !== 201);
  if (status === 201) await load();
}
