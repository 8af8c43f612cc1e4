// Progressive enhancement for every page. Pages work without this file; with it, GOV.UK Frontend's
// components (menu toggle, error summary focus, password reveal...) come alive.
import { initAll } from "../govuk/govuk-frontend.min.js";
import { initConditionalQuestions } from "./conditional-questions.js";
import { initLocationMaps } from "./location-map.js";
import { initNotifications } from "./notifications.js";
import { initPinMaps } from "./pin-map.js";

document.body.classList.add("js-enabled", "govuk-frontend-supported");
initAll();
initConditionalQuestions();
initLocationMaps();
initPinMaps();
initNotifications();
