/** The report as one self-contained HTML file: inline CSS and inline SVG, nothing fetched, nothing run. */
import { duration, localTime, medianP90, noiseVersus, percent, period, summaryRows, SUMMARY_HEADERS, topValues, versus } from './format.js';
import { actionableShareChart, escapeHtml, firesPerDayChart, topRulesChart } from './svg.js';
import type { Report } from './types.js';

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:#222;margin:2rem auto;max-width:1200px;padding:0 1rem;background:#fff}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #ddd;padding-bottom:.2rem}
table{border-collapse:collapse;margin:.5rem 0;font-size:13px}th,td{border:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f4f4f4}td.n{text-align:right;font-variant-numeric:tabular-nums}
.charts{display:flex;flex-wrap:wrap;gap:1.5rem}.charts figure{margin:0}figcaption{font-weight:600;margin-bottom:.3rem}
.chart .tick{font-size:11px;fill:#555}.chart .label{font-size:12px;fill:#222}
.muted{color:#666}li{margin:.3rem 0}
`;

/** The actions quote rule fields in Markdown backticks; in HTML they become <code>. */
const code = (html: string): string => html.replace(/`([^`]+)`/g, '<code>$1</code>');

function table(head: string[], rows: (string | number)[][], numeric: boolean[] = []): string {
  const th = head.map((h) => `<th>${escapeHtml(h)}</th>`).join('');
  const trs = rows.map((r) => `<tr>${r.map((c, i) => `<td${numeric[i] ? ' class="n"' : ''}>${escapeHtml(c)}</td>`).join('')}</tr>`).join('\n');
  return `<table><thead><tr>${th}</tr></thead><tbody>\n${trs}\n</tbody></table>`;
}

export function renderHtml(r: Report): string {
  const t = r.totals;
  const p = r.previous;
  const summary = table(SUMMARY_HEADERS, summaryRows(r), [false, true, true]);
  const rules = r.rules.length
    ? table(
        ['Rule', 'Sev', 'Fired', 'Time firing', 'Notified', 'Pages', 'Off-hours pages', 'Actionable', 'Noise', 'Self-resolved', 'Flapping', 'Ack median / p90', 'Resolve median / p90', 'Top agent_id', 'Top tool_name'],
        r.rules.map((x) => [x.alertname, x.severity, x.fired, duration(x.firingMs), x.notifications, x.pages, x.pagesOutsideHours, x.actionable, x.noise, x.selfResolved, x.flapping, medianP90(x.timeToAcknowledge), medianP90(x.timeToResolve), topValues(x.topLabels.agent_id), topValues(x.topLabels.tool_name)]),
        [false, false, true, true, true, true, true, true, true, true, true, true, true, false, false],
      )
    : '<p>No rule fired in this period.</p>';
  const recs = r.recommendations.length
    ? `<ul>${r.recommendations.map((x) => `<li><strong>${code(escapeHtml(x.action))}</strong> — ${escapeHtml(x.evidence)}</li>`).join('\n')}</ul>`
    : '<p>None: every rule earned its place this period.</p>';
  const receivers = r.receivers.map((x) => `${x.receiver} (${x.notifications} notifications, ${x.pages} pages)`).join(', ') || 'none';

  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>vigil alert review ${escapeHtml(period(r))}</title><style>${CSS}</style></head>
<body>
<h1>vigil alert review</h1>
<p class="muted">${escapeHtml(period(r))}</p>
<h2>Summary</h2>
${summary}
<p>Fires ${escapeHtml(versus(t.fires, p.fires))}, pages ${escapeHtml(versus(t.pages, p.pages))}, noise ${escapeHtml(noiseVersus(t, p))}.</p>
<div class="charts">
<figure><figcaption>Fires per day by severity</figcaption>${firesPerDayChart(r.firesPerDay)}</figure>
<figure><figcaption>Most-fired rules</figcaption>${topRulesChart(r.rules)}</figure>
<figure><figcaption>Share marked actionable (green) vs noise (red)</figcaption>${actionableShareChart(r.rules)}</figure>
</div>
<h2>Rules</h2>
${rules}
<p class="muted">Flapping: an episode that is one of 3 or more starts of the same alert within 1h. Self-resolved: resolved with no acknowledgement or feedback before.</p>
<h2>Across rules</h2>
<ul>
<li><strong>Never fired:</strong> ${escapeHtml(r.neverFired.join(', ') || 'none')}</li>
<li><strong>Always firing</strong> (≥ 90% of the period): ${escapeHtml(r.alwaysFiring.join(', ') || 'none')}</li>
<li><strong>Noisiest receivers:</strong> ${escapeHtml(receivers)}</li>
</ul>
<h2>Recommendations</h2>
${recs}
<p class="muted">Generated ${escapeHtml(localTime(r.generatedAt, r.timeZone))} ${escapeHtml(r.timeZone)} by vigil.</p>
</body></html>
`;
}
