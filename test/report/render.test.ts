import { buildReport, markdownToMrkdwn, renderHtml, renderJson, renderMarkdown, slackReportMessage, type Report } from '../../src/report/index.js';
import { loadRuleFiles } from '../../src/rules/index.js';
import { slackProblem } from '../support/receivers.js';
import { COST, FROM, HALLU, M, SPIKE, TIME_ZONE, TO, TOOL, WORKING_HOURS, seededHistory, type SeededHistory } from '../support/history.js';

let seeded: SeededHistory;
let report: Report;

beforeAll(async () => {
  seeded = await seededHistory();
  const rules = (await loadRuleFiles([seeded.rulesPath])).files.flatMap((f) => f.groups);
  report = await buildReport(seeded.store, { from: FROM, to: TO, now: TO + M, timeZone: TIME_ZONE, workingHours: WORKING_HOURS, rules });
});
afterAll(() => seeded.store.close());

const count = (s: string, re: RegExp) => (s.match(re) ?? []).length;

/** The <svg> element with this class. */
function svg(html: string, cls: string): string {
  const m = new RegExp(`<svg class="chart ${cls}"[\\s\\S]*?</svg>`).exec(html);
  if (!m) throw new Error(`no ${cls} chart`);
  return m[0];
}

describe('Markdown', () => {
  test('headings, the week against the week before, a row per rule and the recommendations', () => {
    const md = renderMarkdown(report);
    expect(md).toMatch(/^# vigil alert review: 2026-11-09 10:00 → 2026-11-16 10:00 \(Europe\/Berlin\)\n/);
    for (const h of ['## Summary', '## Rules', '## Across rules', '## Recommendations']) expect(md).toContain(`\n${h}\n`);
    expect(md).toContain('| Fires | 11 | 4 |');
    expect(md).toContain('| Pages | 3 | 1 |');
    expect(md).toContain('| Noise share | 60% | 67% |');
    expect(md).toContain('Fires 11 (+7 vs 4), pages 3 (+2 vs 1), noise 60% (vs 67%).');
    expect(md).toContain(`| ${SPIKE} | P1 | 3 | 2h | 7 | 3 (2) | 2 / 1 (67% actionable) | 1 | 0 | 5m / 10m | 40m / 1h | support-bot (2), billing-agent (1) | – |`);
    expect(md).toContain(`| ${TOOL} | P2 | 5 | 15m | 7 | 0 (0) | 0 / 2 (0% actionable) | 4 | 3 | – | 3m / 4m | support-bot (3), research-agent (2) | web_search (4), sql_query (1) |`);
    expect(md).toContain(`| ${HALLU} | P3 | 0 | 1w |`);
    expect(md).toContain('- **Never fired:** AgentToolSelectionDrift');
    expect(md).toContain(`- **Always firing** (≥ 90% of the period): ${HALLU}`);
    expect(md).toContain('- **Noisiest receivers:** triage (8 notifications, 0 pages), oncall (7 notifications, 3 pages)');
    expect(md).toContain(`- **Raise \`for\` of ${TOOL} from 5m to 10m** — 4 of 5 fires (80%) resolved on their own`);
    expect(md).toContain(`- **Add a volume guard to ${COST} (or alert once for the fleet)** — 3 of 3 fires`);
    expect(count(md, /^- \*\*/gm)).toBe(3 + report.recommendations.length);
  });

  test('a pipe in a label value cannot break the table', () => {
    const md = renderMarkdown({ ...report, rules: [{ ...report.rules[0], alertname: 'A|B' }] });
    expect(md).toContain('| A\\|B |');
  });
});

describe('Slack', () => {
  test('mrkdwn: bold headings, tables as code blocks, and a message Slack accepts', () => {
    const parts = markdownToMrkdwn(renderMarkdown(report));
    expect(parts[0]).toBe('*vigil alert review: 2026-11-09 10:00 → 2026-11-16 10:00 (Europe/Berlin)*');
    expect(parts).toContain('*Summary*');
    const summary = parts.find((p) => p.startsWith('```') && p.includes('Fires'));
    expect(summary).toMatch(/^```\n {2,}this period/);
    expect(parts.join('\n')).not.toContain('**');
    const message = slackReportMessage(renderMarkdown(report), '#alert-review');
    expect(slackProblem(message)).toBeUndefined();
    expect(message.channel).toBe('#alert-review');
  });

  test('a report far larger than Slack allows is cut to its limits', () => {
    const many = Array.from({ length: 400 }, (_, i) => ({ ...report.rules[0], alertname: `Rule${i}<x>` }));
    const message = slackReportMessage(renderMarkdown({ ...report, rules: many, recommendations: [] }));
    expect(slackProblem(message)).toBeUndefined();
    expect(JSON.stringify(message)).not.toContain('<x>');
  });
});

describe('HTML', () => {
  test('one self-contained file: no external script, stylesheet, image or link', () => {
    const html = renderHtml(report);
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).not.toMatch(/\s(src|href)\s*=\s*["']?(https?:)?\/\//i);
    expect(html).not.toMatch(/<script|<link|<img|<iframe|@import|url\(/i);
    expect(html).toContain('<style>');
  });

  test('fires per day: one stacked bar per day, one segment per severity that fired that day', () => {
    const chart = svg(renderHtml(report), 'fires-per-day');
    expect(count(chart, /<g class="day">/g)).toBe(8);
    // 11-10 P1; 11-12 P1 and P2; 11-13 P1; 11-14 P2; 11-15 P2
    expect(count(chart, /class="bar sev-P1"/g)).toBe(3);
    expect(count(chart, /class="bar sev-P2"/g)).toBe(3);
    expect(chart).toContain('<title>2026-11-12 P2: 3</title>');
  });

  test('top rules: a bar per rule that fired; actionable share: a split bar per rule with feedback', () => {
    const html = renderHtml(report);
    const top = svg(html, 'top-rules');
    expect(count(top, /<rect class="bar"/g)).toBe(3);
    expect(top).toContain(`<title>${TOOL}: 5 fires</title>`);
    const share = svg(html, 'actionable-share');
    expect(count(share, /<g class="share">/g)).toBe(2);
    expect(share).toContain('<title>actionable: 2</title>');
  });

  test('text from history is escaped', () => {
    const html = renderHtml({ ...report, rules: [{ ...report.rules[0], alertname: '<script>alert(1)</script>' }] });
    expect(html).not.toContain('<script>');
    expect(html).toContain('&lt;script&gt;');
  });
});

test('JSON is the Report value', () => {
  const parsed = JSON.parse(renderJson(report)) as Report & { fromTime: string };
  expect(parsed.fromTime).toBe('2026-11-09T09:00:00.000Z');
  expect(parsed.totals).toEqual(report.totals);
  expect(parsed.rules).toEqual(JSON.parse(JSON.stringify(report.rules)));
});
