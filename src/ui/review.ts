// The review page: the weekly alert reviews the schedule wrote (src/report renders them), the latest shown in place.
import { html } from './html.js';
import { layout } from './layout.js';

/** Report files as runWeeklyReport names them. */
export const REVIEW_FILE = /^vigil-report-(\d{4}-\d{2}-\d{2})\.html$/;

export function reviewPage(input: { days: string[]; shown?: string; outDir: string; schedule: string; tokenRequired: boolean }) {
  const days = [...input.days].sort().reverse();
  const shown = input.shown ?? days[0];
  return layout(
    { page: 'review', title: 'Weekly review', tokenRequired: input.tokenRequired },
    html`<h1>Weekly alert review</h1>
${days.length === 0
  ? html`<p class="muted">No weekly review written yet. The schedule (<code>${input.schedule}</code>) writes one to <code>${input.outDir}</code>; <code>vigil report --format html</code> writes one by hand.</p>`
  : html`<nav aria-label="Reviews"><p>${days.map((d) => (d === shown ? html`<strong>${d}</strong> ` : html`<a href="/review?day=${d}">${d}</a> `))}</p></nav>
<iframe id="review" title="Weekly review of ${shown}" src="/review/${shown}.html" class="review-frame"></iframe>`}`,
  );
}
