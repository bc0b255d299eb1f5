// The web UI: pages rendered on the server from plain values, one stylesheet and one small script.
export { html, raw, escapeHtml, Html } from './html.js';
export { alertsPage, alertsRegion, groupAlerts, parseFilter, type AlertsPageInput, type HeldAlert, type AlertMarks, type SilenceSummary, type TicketLink } from './alerts.js';
export { silencesPage, silencesRegion, silenceFormPage, silenceMatcherText, type SilenceFormInput } from './silences.js';
export { rulesPage, rulePage, type RuleGroupView, type RuleView } from './rules.js';
export { routingPage, parseLabelSet, testRoute, type RouteTestResult } from './routing.js';
export { historyPage } from './history.js';
export { uiAssets } from './assets.js';
export { reviewPage, REVIEW_FILE } from './review.js';
export { runbookPage, runbooksIndexPage, renderMarkdown, RUNBOOKS_DIR } from './runbooks.js';
