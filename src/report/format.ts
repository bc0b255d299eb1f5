/** Shared wording of figures, so Markdown, HTML and Slack say the same thing. */
import { formatDuration } from '../promql/index.js';
import type { DurationStats, LabelCount, PeriodTotals, Report } from './types.js';
import { zonedParts } from './zoned.js';

/** Durations rounded to the minute (to the second below one): a review reads "2h5m", not milliseconds. */
export function duration(ms: number | undefined): string {
  if (ms === undefined) return '–';
  if (ms === 0) return '0';
  return formatDuration(ms >= 60_000 ? Math.round(ms / 60_000) * 60_000 : Math.round(ms / 1000) * 1000);
}

export const percent = (x: number | undefined): string => (x === undefined ? '–' : `${Math.round(x * 100)}%`);

export const medianP90 = (s: DurationStats): string => (s.count ? `${duration(s.medianMs)} / ${duration(s.p90Ms)}` : '–');

export const topValues = (xs: LabelCount[]): string => xs.map((x) => `${x.value} (${x.count})`).join(', ') || '–';

/** A local date and time in the report's zone. */
export function localTime(t: number, timeZone: string): string {
  const p = zonedParts(t, timeZone);
  return `${p.day} ${String(Math.floor(p.minute / 60)).padStart(2, '0')}:${String(p.minute % 60).padStart(2, '0')}`;
}

export const period = (r: Report): string => `${localTime(r.from, r.timeZone)} → ${localTime(r.to, r.timeZone)} (${r.timeZone})`;

/** "12 (+3 vs 9)": this week against the week before. */
export function versus(now: number, before: number): string {
  const d = now - before;
  return `${now} (${d > 0 ? '+' : ''}${d} vs ${before})`;
}

export function noiseVersus(t: PeriodTotals, p: PeriodTotals): string {
  return `${percent(t.noiseShare)} (vs ${percent(p.noiseShare)})`;
}

/** The summary table, this period against the one before, as both renderers show it. */
export const SUMMARY_HEADERS = ['', 'this period', 'period before'];
export function summaryRows(r: Report): (string | number)[][] {
  const t = r.totals;
  const p = r.previous;
  return [
    ['Fires', t.fires, p.fires],
    ['Pages', t.pages, p.pages],
    ['Notifications', t.notifications, p.notifications],
    ['Marked actionable / noise', `${t.actionable} / ${t.noise}`, `${p.actionable} / ${p.noise}`],
    ['Noise share', percent(t.noiseShare), percent(p.noiseShare)],
  ];
}
