/** The report as JSON: the Report value, times as RFC 3339 beside the unix ms ones for people reading it. */
import type { Report } from './types.js';

export function renderJson(r: Report): string {
  return JSON.stringify({ ...r, fromTime: new Date(r.from).toISOString(), toTime: new Date(r.to).toISOString() }, null, 2) + '\n';
}
