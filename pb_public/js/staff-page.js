// A workspace page that needs only the shared shell: the session check,
// the header and the navigation. Pages with their own module call
// startPage themselves instead.
import { startPage } from "./staff.js";

startPage(document.body.dataset.page);
