import { buildReport, type Report, type RuleFigures } from '../../src/report/index.js';
import { PrometheusDatasource } from '../../src/datasource/index.js';
import { loadRuleFiles, type RuleGroup } from '../../src/rules/index.js';
import { COST, D, DRIFT, FROM, HALLU, M, SPIKE, TIME_ZONE, TO, TOOL, WORKING_HOURS, seededHistory, type SeededHistory } from '../support/history.js';

let seeded: SeededHistory;
let rules: RuleGroup[];
let report: Report;

beforeAll(async () => {
  seeded = await seededHistory();
  rules = (await loadRuleFiles([seeded.rulesPath])).files.flatMap((f) => f.groups);
  report = await buildReport(seeded.store, { from: FROM, to: TO, now: TO + M, timeZone: TIME_ZONE, workingHours: WORKING_HOURS, rules });
});
afterAll(() => seeded.store.close());

const rule = (name: string): RuleFigures => {
  const r = report.rules.find((x) => x.alertname === name);
  if (!r) throw new Error(`${name} not in report`);
  return r;
};

describe('buildReport on a seeded week', () => {
  test('the window and the rules that fired, most fires first', () => {
    expect(report.from).toBe(FROM);
    expect(report.to).toBe(TO);
    expect(report.generatedAt).toBe(TO + M);
    expect(report.timeZone).toBe(TIME_ZONE);
    // TOOL 5 fires; SPIKE and COST 3 each (SPIKE fired longer); HALLU fired before the window but kept firing through it
    expect(report.rules.map((r) => r.alertname)).toEqual([TOOL, SPIKE, COST, HALLU]);
  });

  test('AgentErrorRateSpike: fires, pages (two at night), feedback, ack and resolve times', () => {
    expect(rule(SPIKE)).toEqual({
      alertname: SPIKE,
      severity: 'P1',
      fired: 3,
      firingMs: (40 + 20 + 60) * M,
      firingShare: ((40 + 20 + 60) * M) / (7 * D),
      // A1: page, slack, resolved slack; A2: page, slack; A3: page (the failed attempt not counted), slack
      notifications: 7,
      pages: 3,
      // Tue 12:00 Berlin is in hours; Thu 00:00 and Fri 22:01 are not
      pagesOutsideHours: 2,
      actionable: 2,
      noise: 1,
      actionableShare: 2 / 3,
      // only A3: its noise verdict came after it resolved
      selfResolved: 1,
      flapping: 0,
      // acks after 10m and 5m: nearest rank median 5m, p90 10m
      timeToAcknowledge: { count: 2, medianMs: 5 * M, p90Ms: 10 * M },
      // 40m, 20m, 60m
      timeToResolve: { count: 3, medianMs: 40 * M, p90Ms: 60 * M },
      topLabels: { agent_id: [{ value: 'support-bot', count: 2 }, { value: 'billing-agent', count: 1 }], tool_name: [] },
    });
  });

  test('AgentToolFailureRate: flapping, self-resolved and noisy', () => {
    expect(rule(TOOL)).toEqual({
      alertname: TOOL,
      severity: 'P2',
      fired: 5,
      firingMs: (3 + 3 + 3 + 4 + 2) * M,
      firingShare: (15 * M) / (7 * D),
      // 3 flapping slack + 1 ticket, y slack (its ticket suppressed), z slack + ticket
      notifications: 7,
      pages: 0,
      pagesOutsideHours: 0,
      actionable: 0,
      noise: 2,
      actionableShare: 0,
      // the three flaps and y; z had a verdict before it resolved
      selfResolved: 4,
      flapping: 3,
      timeToAcknowledge: { count: 0 },
      // 3, 3, 3, 4, 2 → sorted 2 3 3 3 4
      timeToResolve: { count: 5, medianMs: 3 * M, p90Ms: 4 * M },
      topLabels: {
        agent_id: [{ value: 'support-bot', count: 3 }, { value: 'research-agent', count: 2 }],
        tool_name: [{ value: 'web_search', count: 4 }, { value: 'sql_query', count: 1 }],
      },
    });
  });

  test('AgentTokenCostAnomaly: three agents at once, one notification', () => {
    expect(rule(COST)).toEqual({
      alertname: COST,
      severity: 'P2',
      fired: 3,
      firingMs: 90 * M,
      // 30m from the first start to the last end... union of [0,30], [1,31], [2,32] minutes
      firingShare: (32 * M) / (7 * D),
      notifications: 1,
      pages: 0,
      pagesOutsideHours: 0,
      actionable: 0,
      noise: 0,
      actionableShare: undefined,
      selfResolved: 3,
      flapping: 0,
      timeToAcknowledge: { count: 0 },
      timeToResolve: { count: 3, medianMs: 30 * M, p90Ms: 30 * M },
      topLabels: { agent_id: [{ value: 'coder-1', count: 1 }, { value: 'coder-2', count: 1 }, { value: 'coder-3', count: 1 }], tool_name: [] },
    });
  });

  test('AgentHallucinationTrend: fired the week before, firing all of this one', () => {
    expect(rule(HALLU)).toEqual({
      alertname: HALLU,
      severity: 'P3',
      fired: 0,
      firingMs: 7 * D,
      firingShare: 1,
      notifications: 0,
      pages: 0,
      pagesOutsideHours: 0,
      actionable: 0,
      noise: 0,
      actionableShare: undefined,
      selfResolved: 0,
      flapping: 0,
      timeToAcknowledge: { count: 0 },
      timeToResolve: { count: 0 },
      topLabels: { agent_id: [], tool_name: [] },
    });
  });

  test('across rules: never fired, always firing, noisiest receivers', () => {
    expect(report.neverFired).toEqual([DRIFT]);
    expect(report.alwaysFiring).toEqual([HALLU]);
    expect(report.receivers).toEqual([
      { receiver: 'triage', notifications: 8, pages: 0 },
      { receiver: 'oncall', notifications: 7, pages: 3 },
    ]);
  });

  test('this week against the week before', () => {
    expect(report.totals).toEqual({ from: FROM, to: TO, fires: 11, pages: 3, notifications: 15, actionable: 2, noise: 3, noiseShare: 0.6 });
    // a page and its slack, two tool-failure slacks, the hallucination annotation
    expect(report.previous).toEqual({ from: FROM - 7 * D, to: FROM, fires: 4, pages: 1, notifications: 5, actionable: 1, noise: 2, noiseShare: 2 / 3 });
  });

  test('fires per local day and severity', () => {
    expect(report.firesPerDay).toEqual([
      { day: '2026-11-09', bySeverity: {} },
      { day: '2026-11-10', bySeverity: { P1: 1 } },
      { day: '2026-11-11', bySeverity: {} },
      // A2 at 23:00 UTC is past midnight in Berlin
      { day: '2026-11-12', bySeverity: { P1: 1, P2: 3 } },
      { day: '2026-11-13', bySeverity: { P1: 1 } },
      { day: '2026-11-14', bySeverity: { P2: 3 } },
      { day: '2026-11-15', bySeverity: { P2: 2 } },
      { day: '2026-11-16', bySeverity: {} },
    ]);
  });

  test('recommendations, each with its evidence', () => {
    expect(report.recommendations).toEqual([
      {
        kind: 'raise-for',
        alertname: TOOL,
        action: `Raise \`for\` of ${TOOL} from 5m to 10m`,
        evidence: '4 of 5 fires (80%) resolved on their own within 5m of firing, before anyone looked; with for: 10m they would not have fired',
        figures: { fires: 5, avoided: 4, forMs: 5 * M, proposedForMs: 10 * M },
      },
      {
        kind: 'raise-threshold',
        alertname: TOOL,
        action: 'Raise failure_ratio_threshold of group agent-tool-failure from 0.03 to 0.045',
        evidence: '2 of 2 verdicts were noise; not backtested (no Prometheus given)',
        figures: { noise: 2, actionable: 0, current: 0.03, raised: 0.045 },
      },
      {
        kind: 'volume-guard',
        alertname: COST,
        action: `Add a volume guard to ${COST} (or alert once for the fleet)`,
        evidence: '3 of 3 fires came with 3 or more agents starting within 5m of each other: a shared cause, not 3 incidents',
        figures: { fires: 3, inBurst: 3 },
      },
      {
        kind: 'delete',
        alertname: HALLU,
        action: `Delete ${HALLU} or fix its expression: it is always firing`,
        evidence: 'firing 100% of the period; an alert that never stops carries no signal',
        figures: { firingShare: 1 },
      },
    ]);
  });

  test('a threshold backtest against an unreachable Prometheus is skipped, and the evidence says so', async () => {
    const datasource = new PrometheusDatasource({ url: 'http://127.0.0.1:1', timeoutMs: 2000, retries: 0 });
    const r = await buildReport(seeded.store, { from: FROM, to: TO, now: TO, timeZone: TIME_ZONE, workingHours: WORKING_HOURS, rules, backtest: { datasource } });
    const rec = r.recommendations.find((x) => x.kind === 'raise-threshold');
    expect(rec?.evidence).toMatch(/^2 of 2 verdicts were noise; not backtested: Prometheus unreachable or the query failed \(/);
    expect(rec?.figures.avoided).toBeUndefined();
  });

  test('without rule files nothing is "never fired", and recommendations that need the rule (its for, vars, volume guard) are left out', async () => {
    const r = await buildReport(seeded.store, { from: FROM, to: TO, now: TO, timeZone: TIME_ZONE, workingHours: WORKING_HOURS });
    expect(r.neverFired).toEqual([]);
    expect(r.recommendations.map((x) => x.kind)).toEqual(['volume-guard', 'delete']);
  });

  test('an empty store gives an empty report, not an error', async () => {
    const r = await buildReport(seeded.store, { from: FROM - 300 * D, to: FROM - 299 * D, now: TO, timeZone: 'UTC', workingHours: WORKING_HOURS, rules });
    expect(r.rules).toEqual([]);
    expect(r.totals.fires).toBe(0);
    expect(r.neverFired).toEqual([COST, DRIFT, SPIKE, HALLU, TOOL].sort());
    // 09:00 to 09:00 UTC touches two days
    expect(r.firesPerDay).toEqual([
      { day: '2026-01-13', bySeverity: {} },
      { day: '2026-01-14', bySeverity: {} },
    ]);
  });
});
