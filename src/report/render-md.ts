/** The report as Markdown: headings and pipe tables, which read well in a git repo and convert to Slack mrkdwn. */
import { duration, localTime, medianP90, noiseVersus, percent, period, summaryRows, SUMMARY_HEADERS, topValues, versus } from './format.js';
import type { Report } from './types.js';

/** Pipes would end a table cell. */
const cell = (s: string | number): string => String(s).replace(/\|/g, '\\|').replace(/\n/g, ' ');

function table(head: string[], rows: (string | number)[][]): string {
  return [`| ${head.join(' | ')} |`, `| ${head.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`)].join('\n');
}

export function renderMarkdown(r: Report): string {
  const t = r.totals;
  const p = r.previous;
  const out: string[] = [];
  out.push(`# vigil alert review: ${period(r)}`, '');
  out.push('## Summary', '');
  out.push(
    table(SUMMARY_HEADERS, summaryRows(r)),
    '',
  );
  out.push(`Fires ${versus(t.fires, p.fires)}, pages ${versus(t.pages, p.pages)}, noise ${noiseVersus(t, p)}.`, '');

  out.push('## Rules', '');
  if (r.rules.length === 0) out.push('No rule fired in this period.', '');
  else {
    out.push(
      table(
        ['Rule', 'Sev', 'Fired', 'Time firing', 'Notified', 'Pages (off-hours)', 'Actionable / noise', 'Self-resolved', 'Flapping', 'Ack median / p90', 'Resolve median / p90', 'Top agent_id', 'Top tool_name'],
        r.rules.map((x) => [
          x.alertname,
          x.severity,
          x.fired,
          duration(x.firingMs),
          x.notifications,
          `${x.pages} (${x.pagesOutsideHours})`,
          `${x.actionable} / ${x.noise}${x.actionableShare === undefined ? '' : ` (${percent(x.actionableShare)} actionable)`}`,
          x.selfResolved,
          x.flapping,
          medianP90(x.timeToAcknowledge),
          medianP90(x.timeToResolve),
          topValues(x.topLabels.agent_id),
          topValues(x.topLabels.tool_name),
        ]),
      ),
      '',
    );
    out.push('Flapping: an episode that is one of 3 or more starts of the same alert within 1h. Self-resolved: resolved with no acknowledgement or feedback before.', '');
  }

  out.push('## Across rules', '');
  out.push(`- **Never fired:** ${r.neverFired.join(', ') || 'none'}`);
  out.push(`- **Always firing** (≥ 90% of the period): ${r.alwaysFiring.join(', ') || 'none'}`);
  out.push(`- **Noisiest receivers:** ${r.receivers.map((x) => `${x.receiver} (${x.notifications} notifications, ${x.pages} pages)`).join(', ') || 'none'}`, '');

  out.push('## Recommendations', '');
  if (r.recommendations.length === 0) out.push('None: every rule earned its place this period.');
  for (const rec of r.recommendations) out.push(`- **${rec.action}** — ${rec.evidence}`);
  out.push('', `_Generated ${localTime(r.generatedAt, r.timeZone)} ${r.timeZone} by vigil._`, '');
  return out.join('\n');
}
