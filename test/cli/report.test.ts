import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Report } from '../../src/report/index.js';
import { vigil } from './run.js';
import { seededHistory, writeConfig, type SeededHistory } from '../support/history.js';

let seeded: SeededHistory;
let config: string;
const UNTIL = '2026-11-16T09:00:00Z';

beforeAll(async () => {
  seeded = await seededHistory();
  seeded.store.close(); // the CLI opens the file itself
  config = writeConfig(seeded.dir);
});

describe('vigil report', () => {
  test('Markdown on stdout by default, from the store and rule files of the config', async () => {
    const r = await vigil(['report', '--config', config, '--until', UNTIL]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^# vigil alert review: 2026-11-09 10:00 → 2026-11-16 10:00 \(Europe\/Berlin\)\n/);
    expect(r.stdout).toContain('| Fires | 11 | 4 |');
    expect(r.stdout).toContain('- **Never fired:** AgentToolSelectionDrift');
    expect(r.stdout).toContain('- **Raise failure_ratio_threshold of group agent-tool-failure from 0.03 to 0.045** — 2 of 2 verdicts were noise; not backtested (no Prometheus given)');
  });

  test('--format json is the Report value; --since sets the period', async () => {
    const r = await vigil(['report', '--config', config, '--until', UNTIL, '--since', '1d', '--format', 'json']);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as Report;
    expect(report.to - report.from).toBe(86_400_000);
    // the last day holds z (TOOL) only
    expect(report.totals.fires).toBe(1);
    expect(report.previous.fires).toBe(4); // y and the three token-cost agents
  });

  test('--format html --out FILE writes one file and says where', async () => {
    const out = join(seeded.dir, 'review.html');
    const r = await vigil(['report', '--config', config, '--until', UNTIL, '--format', 'html', '--out', out]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`report written to ${out}\n`);
    expect(readFileSync(out, 'utf8')).toContain('<svg class="chart top-rules"');
  });

  test('--prometheus that cannot be reached: the report still comes, the evidence says it was not backtested', async () => {
    const r = await vigil(['report', '--config', config, '--until', UNTIL, '--prometheus', 'http://127.0.0.1:1']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('not backtested: Prometheus unreachable or the query failed');
  });

  test('bad flags exit 2 with a clear message', async () => {
    const since = await vigil(['report', '--config', config, '--since', 'a week']);
    expect(since.code).toBe(2);
    expect(since.stderr).toContain('--since "a week" is not a positive duration (e.g. 7d, 24h)');
    const format = await vigil(['report', '--config', config, '--format', 'pdf']);
    expect(format.code).toBe(2);
    expect(format.stderr).toContain('--format must be one of md, html, json; got "pdf"');
  });
});
