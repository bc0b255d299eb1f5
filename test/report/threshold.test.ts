/** "Raise a threshold" with its evidence computed by backtesting the rule against a real Prometheus. */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PrometheusDatasource } from '../../src/datasource/index.js';
import { buildReport } from '../../src/report/index.js';
import { loadRuleFiles } from '../../src/rules/index.js';
import { SqliteStore } from '../../src/store/index.js';
import { requireOrSkip, startPrometheus, type PrometheusInstance, type SeriesSpec } from '../integration/support/prometheus.js';
import { HistorySeeder, M, RULES_YAML, TOOL, WORKING_HOURS } from '../support/history.js';
import { scratchDir } from '../support/scratch.js';
import { writeFileSync } from 'node:fs';

const describeProm = requireOrSkip('report: threshold backtest against a real Prometheus') ? describe : describe.skip;

/**
 * support-bot calls web_search 1/s. Minutes 30–60 it also fails 0.04/s (3.8% of calls: above 3%, below 4.5%),
 * minutes 100–140 it fails 0.2/s (16.7%: above both). At 0.03 the rule fires twice; at 0.045 once.
 */
function calls(base: number): SeriesSpec[] {
  const success: [number, number][] = [];
  const failure: [number, number][] = [];
  let failed = 0;
  for (let m = 0; m <= 180; m++) {
    success.push([base + m * M, 60 * m]);
    failure.push([base + m * M, failed]);
    if (m >= 30 && m < 60) failed += 0.04 * 60;
    if (m >= 100 && m < 140) failed += 0.2 * 60;
  }
  const labels = { agent_id: 'support-bot', tool_name: 'web_search' };
  return [
    { metric: 'agent_tool_calls_total', labels: { ...labels, status: 'success' }, samples: success },
    { metric: 'agent_tool_calls_total', labels: { ...labels, status: 'failure' }, samples: failure },
  ];
}

describeProm('report: threshold backtest', () => {
  let prom: PrometheusInstance;
  const base = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 5 * 3_600_000;

  beforeAll(async () => {
    prom = await startPrometheus({ series: calls(base) });
  }, 60_000);
  afterAll(() => prom?.stop());

  test('the evidence says how many fires the raised value would have avoided', async () => {
    const dir = await scratchDir(join(tmpdir(), 'vigil-report-bt-'));
    const rulesPath = join(dir, 'rules.yaml');
    writeFileSync(rulesPath, RULES_YAML);
    const store = new SqliteStore(join(dir, 'vigil.db'));
    const seeder = new HistorySeeder(store);
    // what people said about the two fires: noise, both times
    seeder.episode({ alertname: TOOL, labels: { agent_id: 'support-bot', tool_name: 'web_search' }, startsAt: base + 36 * M, lastsMin: 27, feedback: [[5, 'noise']] });
    seeder.episode({ alertname: TOOL, labels: { agent_id: 'support-bot', tool_name: 'web_search' }, startsAt: base + 106 * M, lastsMin: 37, feedback: [[5, 'noise']] });
    const rules = (await loadRuleFiles([rulesPath])).files.flatMap((f) => f.groups);
    const report = await buildReport(store, {
      from: base,
      to: base + 180 * M,
      now: base + 180 * M,
      timeZone: 'UTC',
      workingHours: WORKING_HOURS,
      rules,
      backtest: { datasource: new PrometheusDatasource({ url: prom.url }) },
    });
    store.close();
    expect(report.recommendations.find((r) => r.kind === 'raise-threshold')).toEqual({
      kind: 'raise-threshold',
      alertname: TOOL,
      action: 'Raise failure_ratio_threshold of group agent-tool-failure from 0.03 to 0.045',
      evidence: '2 of 2 verdicts were noise; backtested over the period against Prometheus: 2 fires at 0.03, 1 at 0.045 — 1 fire avoided',
      figures: { noise: 2, actionable: 0, current: 0.03, raised: 0.045, backtestFires: 2, backtestFiresRaised: 1, avoided: 1 },
    });
  });
});
