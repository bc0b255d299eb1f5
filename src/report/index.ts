// The weekly alert review: figures from the Store's history, recommendations, and Markdown/HTML/JSON renderers.
export type { Report, RuleFigures, ReceiverFigures, PeriodTotals, DayFires, Recommendation, RecommendationKind, DurationStats, LabelCount, WorkingHours, Weekday } from './types.js';
export { buildReport, LOOKBACK_MS, WEEK_MS, type BuildReportOptions } from './build.js';
export { zonedParts } from './zoned.js';
export { renderMarkdown } from './render-md.js';
export { renderHtml } from './render-html.js';
export { renderJson } from './render-json.js';
export { slackReportMessage, markdownToMrkdwn } from './slack.js';
