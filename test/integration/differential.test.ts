/**
 * Differential test: for the same series, `vigil backtest` of the default pack and
 * `promtool test rules` (Prometheus' own rule engine) agree, alert for alert and
 * evaluation for evaluation.
 *
 * Scenarios are the test cases of test/rules/*.promtool.yaml (plus
 * differential.scenarios.promtool.yaml beside this file). For each one:
 *  1. its input_series are written as history into a real Prometheus;
 *  2. vigil backtests the groups of the file's rule_files over the scenario, recording
 *     at every evaluation step the firing alerts (labels and rendered annotations);
 *  3. a promtool test file is generated with the same rule_files (as `vigil generate`
 *     writes them), series and interval, and one alert_rule_test per step and per
 *     alert holding exactly vigil's firing alerts; `promtool test rules` exit 0 means
 *     Prometheus agrees with vigil at every step;
 *  4. the backtest's episodes must follow from the per-step states.
 * Where the scenario's file pins steps by hand (its own alert_rule_test), a failure also
 * says whether vigil matches them; for differential.scenarios.promtool.yaml they must hold.
 * Finally every alert of the pack must have fired and resolved, and have had an
 * episode that never left pending, so that agreement cannot be vacuous (an empty
 * result on both sides would "agree").
 *
 * Cases that use `stale` cannot be compared as written: OpenMetrics history cannot
 * carry Prometheus' staleness markers, so the real Prometheus would hold other data
 * than promtool (a stale series vanishes at once, a gap only after the 5m lookback).
 * They are compared with each `stale` turned into a gap on both sides instead: the
 * same data for both engines, though not the case their file describes.
 *
 * A step where a comparison is an exact tie but for float rounding is not compared
 * either (ROUNDING_TIES): there Prometheus 2.42 itself gives two answers, because sum()
 * adds series in the order its storage returns them — label order from the TSDB blocks
 * the real Prometheus reads, creation order from promtool's in-memory head (a series
 * whose first sample comes later is added last).
 */

import { execFile } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, extname, join, resolve } from 'node:path';
import { parse, stringify } from 'yaml';
import { PrometheusDatasource } from '../../src/datasource/index.js';
import { backtest, DEFAULT_INTERVAL_MS, fingerprint, type AlertingRule, type BacktestError, type Episode } from '../../src/eval/index.js';
import { parseDuration } from '../../src/promql/index.js';
import { formatDiagnostic, hasErrors, loadRuleFiles, type RuleGroup } from '../../src/rules/index.js';
import { expandNotation, fromPromtoolSeries, requireOrSkip, startPrometheus, which, type PrometheusInstance } from './support/prometheus.js';

const REPO = resolve(process.cwd());
const VIGIL = join(REPO, 'bin', 'vigil.js');
const RULES_DIR = join(REPO, 'rules');
const OWN_SCENARIOS = join(REPO, 'test', 'integration', 'differential.scenarios.promtool.yaml');
const SCENARIO_FILES = [
  ...readdirSync(join(REPO, 'test', 'rules'))
    .filter((f) => f.endsWith('.promtool.yaml'))
    .sort()
    .map((f) => join(REPO, 'test', 'rules', f)),
  OWN_SCENARIOS,
].filter((f) => existsSync(f));

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
/** Steps compared after a scenario's last eval_time: enough for its alerts to resolve once the series end. */
const TAIL_MS = 20 * MIN;

interface RoundingTie {
  /** Scenario id: <file name without .promtool.yaml>-<test index>. */
  scenario: string;
  alertname: string;
  evalTime: string;
  why: string;
}

/** Steps whose outcome depends on the order Prometheus sums series in (see the header); each is also documented in its file. */
const ROUNDING_TIES: RoundingTie[] = [
  {
    scenario: 'tool-selection-drift-5',
    alertname: 'AgentToolSelectionDrift',
    evalTime: '1605m',
    why:
      'the 3:14 AM case: at 1575 the share of process_refund is 150/1500 against 0.5 x 20%; summed in label order ' +
      '(create_ticket, process_refund, return_unable_to_process, search) it is 0.1, in promtool\'s order ' +
      '(return_unable_to_process, born at 1560, last) 0.09999999999999999, so pending starts at 1576 or 1575 ' +
      'and firing at 1606 or 1605 ("pending from 1575 or 1576" in the file)',
  },
];

interface InputSeries {
  series: string;
  values: string;
}

interface AlertRuleTest {
  eval_time: string;
  alertname: string;
  exp_alerts?: { exp_labels?: Record<string, unknown>; exp_annotations?: Record<string, unknown> }[];
}

interface PromtoolTestCase {
  name?: string;
  interval?: string;
  input_series?: InputSeries[];
  external_labels?: Record<string, string>;
  external_url?: string;
  alert_rule_test?: AlertRuleTest[];
  promql_expr_test?: { eval_time: string }[];
}

interface PromtoolTestFile {
  rule_files: string[];
  evaluation_interval?: string;
  tests: PromtoolTestCase[];
}

interface Scenario {
  /** e.g. error-spike.promtool.yaml tests[0] */
  title: string;
  id: string;
  ruleFiles: string[];
  evaluationIntervalMs: number;
  evaluationInterval: string;
  intervalMs: number;
  test: PromtoolTestCase;
  /** Last evaluation compared, relative to the scenario's start. */
  endMs: number;
  /** Last sample, relative to the scenario's start. */
  lastSampleMs: number;
  /** The file's own expectations, where they describe the data compared (not with stale markers turned to gaps). */
  anchors: AlertRuleTest[];
  /** Whether a mismatch between vigil and those expectations fails the test (this directory's scenarios), or only explains a disagreement. */
  assertAnchors: boolean;
}

const STALE_ITEM = /^stale(?:x(\d+))?$/i;

/** The notation with each staleness marker as a missing sample: `stale` -> `_`, `stalexN` (N+1 markers) -> `_x(N+1)`. */
function staleAsGap(values: string): string {
  return values
    .trim()
    .split(/\s+/)
    .map((item) => {
      const m = STALE_ITEM.exec(item);
      return m ? (m[1] === undefined ? '_' : `_x${Number(m[1]) + 1}`) : item;
    })
    .join(' ');
}

function loadScenarios(): Scenario[] {
  const scenarios: Scenario[] = [];
  for (const path of SCENARIO_FILES) {
    const file = parse(readFileSync(path, 'utf8')) as PromtoolTestFile;
    const evaluationInterval = file.evaluation_interval ?? '1m';
    const evaluationIntervalMs = parseDuration(evaluationInterval);
    file.tests.forEach((test, i) => {
      // promtool's default for a test's series interval is the evaluation_interval.
      const interval = test.interval ?? evaluationInterval;
      const intervalMs = parseDuration(interval);
      const evalTimes = [...(test.alert_rule_test ?? []), ...(test.promql_expr_test ?? [])].map((t) => parseDuration(t.eval_time));
      const lastEval = Math.max(0, ...evalTimes);
      const endMs = Math.ceil((lastEval + TAIL_MS) / evaluationIntervalMs) * evaluationIntervalMs;
      const stale = (test.input_series ?? []).filter((s) => expandNotation(s.values).includes('stale'));
      const inputSeries = (test.input_series ?? []).map((s) => (stale.includes(s) ? { ...s, values: staleAsGap(s.values) } : s));
      const lengths = inputSeries.map((s) => expandNotation(s.values).length);
      scenarios.push({
        title:
          `${basename(path)} tests[${i}]${test.name ? ` (${test.name})` : ''}` +
          (stale.length > 0 ? ` (stale markers as gaps on both sides)` : ''),
        id: `${basename(path, '.promtool.yaml')}-${i}`,
        ruleFiles: file.rule_files,
        evaluationInterval,
        evaluationIntervalMs,
        intervalMs,
        test: { ...test, interval, input_series: inputSeries },
        endMs,
        lastSampleMs: Math.max(0, ...lengths) * intervalMs,
        anchors: stale.length > 0 ? [] : (test.alert_rule_test ?? []),
        assertAnchors: resolve(path) === OWN_SCENARIOS,
      });
    });
  }
  return scenarios;
}

/** One alert as vigil holds it right after an evaluation. */
interface Observed {
  fp: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  state: 'pending' | 'firing';
  activeAt: number;
  firedAt?: number;
  value: number;
}

interface Recording {
  /** rule name -> evaluation time -> alerts that are pending or firing */
  steps: Map<string, Map<number, Observed[]>>;
  evaluations: number;
}

function record(rec: Recording, rule: AlertingRule, ts: number): void {
  rec.evaluations++;
  let byTs = rec.steps.get(rule.name);
  if (!byTs) rec.steps.set(rule.name, (byTs = new Map()));
  const alerts: Observed[] = [];
  for (const a of rule.active.values()) {
    if (a.state === 'inactive') continue;
    alerts.push({
      fp: a.fingerprint,
      labels: { ...a.labels },
      annotations: { ...a.annotations },
      state: a.state,
      activeAt: a.activeAt,
      firedAt: a.firedAt,
      value: a.value,
    });
  }
  byTs.set(ts, alerts);
}

interface DerivedEpisode {
  alert: string;
  labels: Record<string, string>;
  activeAt: number;
  firedAt?: number;
  resolvedAt?: number;
  maxValue: number;
}

/** The episodes the per-step states imply: maximal runs of one alert being pending or firing. */
function episodesFromSteps(rec: Recording, from: number, to: number, stepMs: number): { episodes: DerivedEpisode[]; problems: string[] } {
  const episodes: DerivedEpisode[] = [];
  const problems: string[] = [];
  for (const [rule, byTs] of rec.steps) {
    const open = new Map<string, DerivedEpisode>();
    for (let ts = from; ts <= to; ts += stepMs) {
      const alerts = byTs.get(ts);
      if (!alerts) {
        problems.push(`${rule}: no evaluation recorded at ${new Date(ts).toISOString()}`);
        continue;
      }
      const now = new Map(alerts.map((a) => [a.fp, a]));
      for (const [fp, episode] of open) {
        const a = now.get(fp);
        if (!a || a.activeAt !== episode.activeAt) {
          episode.resolvedAt = ts;
          episodes.push(episode);
          open.delete(fp);
        }
      }
      for (const a of alerts) {
        let episode = open.get(a.fp);
        if (!episode) {
          if (a.activeAt !== ts) problems.push(`${rule} ${JSON.stringify(a.labels)}: first seen at ${ts} with activeAt ${a.activeAt}`);
          open.set(a.fp, (episode = { alert: rule, labels: a.labels, activeAt: a.activeAt, maxValue: a.value }));
        }
        if (a.state === 'firing') {
          if (episode.firedAt === undefined) {
            episode.firedAt = ts;
            if (a.firedAt !== ts) problems.push(`${rule} ${JSON.stringify(a.labels)}: first firing at ${ts} with firedAt ${a.firedAt}`);
          }
        } else if (episode.firedAt !== undefined) {
          problems.push(`${rule} ${JSON.stringify(a.labels)}: pending again at ${ts} after firing at ${episode.firedAt}`);
        }
        if (a.value > episode.maxValue || Number.isNaN(episode.maxValue)) episode.maxValue = a.value;
      }
    }
    episodes.push(...open.values());
  }
  return { episodes, problems };
}

function comparable(e: Episode | DerivedEpisode): DerivedEpisode {
  const out: DerivedEpisode = { alert: e.alert, labels: e.labels, activeAt: e.activeAt, maxValue: e.maxValue };
  if (e.firedAt !== undefined) out.firedAt = e.firedAt;
  if (e.resolvedAt !== undefined) out.resolvedAt = e.resolvedAt;
  return out;
}

function byEpisode(a: DerivedEpisode, b: DerivedEpisode): number {
  return a.activeAt - b.activeAt || a.alert.localeCompare(b.alert) || fingerprint(a.labels).localeCompare(fingerprint(b.labels));
}

/** An alert as promtool compares it: labels (with alertname) and annotations, as one sortable string. */
function alertKey(labels: Record<string, unknown>, annotations: Record<string, unknown>): string {
  const sorted = (o: Record<string, unknown>) => Object.entries(o).map(([k, v]) => [k, String(v)]).sort(([a], [b]) => a.localeCompare(b));
  return JSON.stringify({ labels: sorted(labels), annotations: sorted(annotations) });
}

/** Steps where vigil's firing alerts differ from a test file's own alert_rule_test expectations, as promtool would compare them. */
function anchorMismatches(anchors: AlertRuleTest[], rec: Recording, from: number): string[] {
  const problems: string[] = [];
  for (const a of anchors) {
    const ts = from + parseDuration(a.eval_time);
    const vigil = (rec.steps.get(a.alertname)?.get(ts) ?? [])
      .filter((o) => o.state === 'firing')
      .map((o) => alertKey(o.labels, o.annotations))
      .sort();
    const expected = (a.exp_alerts ?? []).map((e) => alertKey({ ...e.exp_labels, alertname: a.alertname }, e.exp_annotations ?? {})).sort();
    if (JSON.stringify(vigil) !== JSON.stringify(expected)) {
      const list = (alerts: string[]) => (alerts.length > 0 ? alerts.join(', ') : 'nothing firing');
      problems.push(`${a.alertname} at ${a.eval_time}: the file expects ${list(expected)}; vigil has ${list(vigil)}`);
    }
  }
  return problems;
}

function formatDurationMs(ms: number): string {
  if (ms === 0) return '0s';
  if (ms % MIN === 0) return `${ms / MIN}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

interface RunResult {
  code: number;
  output: string;
}

function run(command: string, args: string[], cwd: string): Promise<RunResult> {
  return new Promise((done) => {
    execFile(command, args, { cwd, maxBuffer: 256 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      const extra = err && typeof err.code !== 'number' ? err.message : '';
      done({ code, output: [stdout.trimEnd(), stderr.trimEnd(), extra].filter(Boolean).join('\n') });
    });
  });
}

function truncate(text: string, max = 12_000): string {
  return text.length <= max ? text : `${text.slice(0, max)}\n... (${text.length - max} more characters)`;
}

const scenarios = loadScenarios();
for (const tie of ROUNDING_TIES) {
  // A tie that names no scenario would silently stop mattering.
  if (!scenarios.some((s) => s.id === tie.scenario)) throw new Error(`ROUNDING_TIES names ${tie.scenario}, which is no scenario`);
}
const available = requireOrSkip('differential test', ['prometheus', 'promtool']);

(available ? describe : describe.skip)('differential: vigil backtest vs promtool test rules', () => {
  let outDir: string;
  let groupsByFile: Map<string, RuleGroup[]>;
  let failed = false;
  /** Per alert of the pack: firing episodes, pending-only episodes and resolved episodes, over scenarios promtool agreed on. */
  const coverage = new Map<string, { scenarios: Set<string>; firing: number; pendingOnly: number; resolved: number }>();
  let totalSteps = 0;
  let totalChecks = 0;
  let totalFiringAlerts = 0;

  beforeAll(async () => {
    outDir = await mkdtemp(join(tmpdir(), 'vigil-differential-'));
    const gen = await run(process.execPath, [VIGIL, 'generate', '--out', outDir], REPO);
    if (gen.code !== 0) throw new Error(`vigil generate --out ${outDir} failed (exit ${gen.code}):\n${gen.output}`);
    const generated = new Set(await readdir(outDir));

    const loaded = await loadRuleFiles([RULES_DIR]);
    if (hasErrors(loaded.diagnostics) || loaded.problems.length > 0) {
      throw new Error(`loading rules/ failed:\n${[...loaded.diagnostics.map(formatDiagnostic), ...loaded.problems].join('\n')}`);
    }
    // `vigil generate` writes rules/<name>.yaml as <name>.yaml: the name promtool's rule_files use.
    groupsByFile = new Map(loaded.files.map((f) => [`${basename(f.file, extname(f.file))}.yaml`, f.groups]));
    for (const f of groupsByFile.keys()) {
      if (!generated.has(f)) throw new Error(`vigil generate did not write ${f} (wrote ${[...generated].join(', ')})`);
    }

    for (const s of scenarios) {
      for (const f of s.ruleFiles) {
        if (!groupsByFile.has(f)) throw new Error(`${s.title}: rule_files names ${f}, which is not a file of rules/`);
        for (const g of groupsByFile.get(f)!) {
          // promtool evaluates at every evaluation_interval; vigil at the group's interval. Compare only where they agree.
          const intervalMs = g.interval ? parseDuration(g.interval) : DEFAULT_INTERVAL_MS;
          if (intervalMs !== s.evaluationIntervalMs) {
            throw new Error(
              `${s.title}: group ${g.name} runs every ${formatDurationMs(intervalMs)}, ` +
                `the test file's evaluation_interval is ${s.evaluationInterval}: steps would not line up`,
            );
          }
          if (g.queryOffset && parseDuration(g.queryOffset) !== 0) {
            throw new Error(`${s.title}: group ${g.name} has a query_offset, which promtool 2.42 does not know`);
          }
        }
      }
    }
  });

  afterAll(async () => {
    if (outDir && !failed) await rm(outDir, { recursive: true, force: true });
    if (failed) console.warn(`differential test: generated promtool files kept in ${outDir}`);
  });

  test.each(scenarios.map((s) => [s.title, s] as const))('%s: promtool agrees with vigil at every evaluation', async (_title, s) => {
    // promtool's time 0 is a whole hour at least 3 days ago, so that every sample lies in the past.
    const from = Math.floor((Date.now() - 3 * DAY - Math.max(s.endMs, s.lastSampleMs)) / HOUR) * HOUR;
    const to = from + s.endMs;
    const groups = s.ruleFiles.flatMap((f) => groupsByFile.get(f)!);
    const alertRules = groups.flatMap((g) => g.rules.flatMap((r) => (r.kind === 'alerting' ? [r] : [])));
    const rec: Recording = { steps: new Map(), evaluations: 0 };
    // One Prometheus per scenario, not one history for all: promtool writes history in 2h
    // blocks and reads its whole input for each block, so that takes far longer.
    const series = (s.test.input_series ?? []).map((input) => fromPromtoolSeries(input, { start: from, intervalMs: s.intervalMs }));
    const prom: PrometheusInstance = await startPrometheus({ series });
    let episodes: Episode[];
    try {
      let errors: BacktestError[];
      ({ episodes, errors } = await backtest(groups, new PrometheusDatasource({ url: prom.url }), {
        from,
        to,
        annotations: true,
        externalLabels: s.test.external_labels,
        externalURL: s.test.external_url,
        onEvaluation: (rule, ts) => record(rec, rule, ts),
      }));
      // An evaluation error would otherwise only show as a state disagreement with promtool.
      expect(errors).toEqual([]);
    } finally {
      await prom.stop();
    }
    const steps = s.endMs / s.evaluationIntervalMs + 1;
    expect(rec.evaluations).toBe(steps * alertRules.length);

    // The episodes backtest reports are exactly the runs of the per-step states.
    const derived = episodesFromSteps(rec, from, to, s.evaluationIntervalMs);
    expect(derived.problems).toEqual([]);
    expect(episodes.map(comparable).sort(byEpisode)).toEqual(derived.episodes.map(comparable).sort(byEpisode));
    for (const e of episodes) {
      const rule = alertRules.find((r) => r.alert === e.alert)!;
      if (e.firedAt !== undefined) {
        // Fired at the first evaluation at least `for` after it became active.
        const forMs = rule.for ? parseDuration(rule.for) : 0;
        expect({ alert: e.alert, labels: e.labels, firedAfter: e.firedAt - e.activeAt }).toEqual({
          alert: e.alert,
          labels: e.labels,
          firedAfter: Math.ceil(forMs / s.evaluationIntervalMs) * s.evaluationIntervalMs,
        });
      }
    }

    // Vigil's firing alerts at every step, as promtool expectations.
    const alertRuleTests: unknown[] = [];
    let firingAlerts = 0;
    const ties = ROUNDING_TIES.filter((t) => t.scenario === s.id);
    for (let ts = from; ts <= to; ts += s.evaluationIntervalMs) {
      for (const rule of alertRules) {
        if (ties.some((t) => t.alertname === rule.alert && from + parseDuration(t.evalTime) === ts)) continue;
        const firing = (rec.steps.get(rule.alert)?.get(ts) ?? []).filter((a) => a.state === 'firing');
        firingAlerts += firing.length;
        alertRuleTests.push({
          eval_time: formatDurationMs(ts - from),
          alertname: rule.alert,
          exp_alerts: firing.map((a) => {
            // promtool adds alertname to the expected labels itself.
            const { alertname: _, ...labels } = a.labels;
            return { exp_labels: labels, exp_annotations: a.annotations };
          }),
        });
      }
    }
    const testCase: Record<string, unknown> = { interval: s.test.interval, input_series: s.test.input_series ?? [] };
    if (s.test.external_labels) testCase.external_labels = s.test.external_labels;
    if (s.test.external_url) testCase.external_url = s.test.external_url;
    testCase.alert_rule_test = alertRuleTests;
    const file = `differential-${s.id}.promtool.yaml`;
    await writeFile(
      join(outDir, file),
      `# Generated by test/integration/differential.test.ts from ${s.title}: vigil backtest's firing alerts at every step.\n` +
        stringify({ rule_files: s.ruleFiles, evaluation_interval: s.evaluationInterval, tests: [testCase] }, { lineWidth: 0 }),
    );
    // Where the file pins steps by hand, they say who is right when the engines disagree.
    const anchorProblems = anchorMismatches(s.anchors, rec, from);
    const r = await run(which('promtool')!, ['test', 'rules', file], outDir);
    if (r.code !== 0) {
      failed = true;
      const anchors =
        s.anchors.length === 0
          ? ''
          : anchorProblems.length === 0
            ? `vigil matches the ${s.anchors.length} expectations written in the scenario's file.\n`
            : `vigil also differs from the expectations written in the scenario's file:\n  ${anchorProblems.join('\n  ')}\n`;
      throw new Error(
        `promtool disagrees with vigil backtest on ${s.title} ` +
          `(${steps} steps x ${alertRules.length} alerts, vigil: ${firingAlerts} firing alert-steps, ` +
          `${episodes.length} episodes; file ${join(outDir, file)}, t=0 is ${new Date(from).toISOString()}). ` +
          `In promtool's output "exp" is vigil's and "got" is Prometheus':\n${truncate(r.output)}\n${anchors}`,
      );
    }
    // promtool agrees with vigil at every step, so these are the file's expectations checked against Prometheus too.
    if (s.assertAnchors) expect(anchorProblems).toEqual([]);

    totalSteps += steps;
    totalChecks += alertRuleTests.length;
    totalFiringAlerts += firingAlerts;
    for (const rule of alertRules) {
      let c = coverage.get(rule.alert);
      if (!c) coverage.set(rule.alert, (c = { scenarios: new Set(), firing: 0, pendingOnly: 0, resolved: 0 }));
      for (const e of episodes.filter((e) => e.alert === rule.alert)) {
        if (e.firedAt !== undefined) {
          c.firing++;
          c.scenarios.add(s.title);
        } else if (e.resolvedAt !== undefined) c.pendingOnly++;
        if (e.firedAt !== undefined && e.resolvedAt !== undefined) c.resolved++;
      }
    }
  });

  test('every alert of the pack fired and resolved, and had an episode that never left pending, in scenarios promtool agreed on', () => {
    const all = [...groupsByFile.values()].flat().flatMap((g) => g.rules.flatMap((r) => (r.kind === 'alerting' ? [r.alert] : [])));
    const table = all.map((alert) => {
      const c = coverage.get(alert);
      return { alert, firing: c?.firing ?? 0, resolved: c?.resolved ?? 0, pendingOnly: c?.pendingOnly ?? 0, scenarios: c?.scenarios.size ?? 0 };
    });
    console.log(
      `differential: ${scenarios.length} scenarios compared, ${totalSteps} evaluation steps, ` +
        `${totalChecks} alert_rule_test checks, ${totalFiringAlerts} firing alerts over all steps\n` +
        table
          .map((t) => `  ${t.alert}: ${t.firing} firing episodes (${t.resolved} resolved) in ${t.scenarios} scenarios, ${t.pendingOnly} pending-only`)
          .join('\n'),
    );
    expect(all).toHaveLength(6);
    expect(table.filter((t) => t.firing === 0 || t.resolved === 0 || t.pendingOnly === 0)).toEqual([]);
  });
});
