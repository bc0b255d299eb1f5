/**
 * `promtool test rules`, in-process: each test group loads its input series into an in-memory
 * store, evaluates every rule group at 0, interval, 2×interval, … with the embedded engine and
 * the alert state machine the live evaluator uses, writes recording-rule results and the ALERTS
 * series back, and compares alerts and expression results with what the test expects.
 */
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, join } from 'node:path';
import type { Sample } from '../datasource/index.js';
import { AlertingRule, Group } from '../eval/index.js';
import { formatDuration, instantQuery, type QueryValue } from '../promql/index.js';
import { findRuleFiles, formatDiagnostic, hasErrors, loadRuleFiles, type RuleGroup } from '../rules/index.js';
import { appendSequence, expandSeriesValues, MemoryStore, parseSeriesLine, parseSeriesSelector, type SeriesRef } from '../tsdb/index.js';
import { parseTestFile, TestFileError, type TestGroup, type UnitTestFile } from './file.js';
import { alertsString, compareLabels, goDuration, indentLines, samplesString, type Labels, type LabelsAndAnnotations } from './format.js';

export interface TestRunOptions {
  /** Runs only the test groups whose name matches (unanchored, as Go's MatchString). */
  run?: { test(name: string): boolean }[];
}

export interface TestGroupResult {
  name: string;
  errors: string[];
  durationMs: number;
}

export interface TestFileResult {
  file: string;
  /** Problems with the file itself (unreadable, invalid, rule files failing to load). */
  errors: string[];
  warnings: string[];
  groups: TestGroupResult[];
}

export const passed = (r: TestFileResult) => r.errors.length === 0 && r.groups.every((g) => g.errors.length === 0);

/** Runs one promtool unit-test file. Never throws for bad input: problems are the result's errors. */
export async function runTestFile(file: string, options: TestRunOptions = {}): Promise<TestFileResult> {
  const result: TestFileResult = { file, errors: [], warnings: [], groups: [] };
  let spec: UnitTestFile;
  try {
    spec = parseTestFile(file, await readFile(file, 'utf8'));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    result.errors.push(err instanceof TestFileError ? err.message : code ? `${file}: cannot read: ${code}` : (err as Error).message);
    return result;
  }
  // Rule files are relative to the test file and may be globs; vigil rule files, vars compiled as `generate` does.
  const paths: string[] = [];
  for (const pattern of spec.ruleFiles) {
    const resolved = pattern === '' || isAbsolute(pattern) ? pattern : join(dirname(file), pattern);
    const { files } = await findRuleFiles([resolved]);
    if (files.length === 0) result.warnings.push(`no file match pattern ${resolved}`);
    paths.push(...files);
  }
  let groups: RuleGroup[] = [];
  if (paths.length) {
    const loaded = await loadRuleFiles(paths);
    if (hasErrors(loaded.diagnostics) || loaded.problems.length) {
      result.errors.push(...loaded.problems, ...loaded.diagnostics.filter((d) => d.severity === 'error').map(formatDiagnostic));
      return result;
    }
    groups = loaded.files.flatMap((f) => f.groups);
  }
  const order = new Map(spec.groupEvalOrder.map((name, i) => [name, i]));
  for (const name of order.keys()) {
    if (!groups.some((g) => g.name === name)) {
      result.errors.push(`group_eval_order names "${name}", which no rule file has`);
      return result;
    }
  }
  for (const test of spec.tests) {
    if (options.run?.length && !options.run.some((re) => re.test(test.name))) continue;
    const started = performance.now();
    const errors = await runTestGroup(test, spec, groups, order);
    result.groups.push({ name: test.name, errors, durationMs: performance.now() - started });
  }
  return result;
}

interface Evaluated {
  group: Group;
  /** Per rule: the series it wrote at the previous evaluation, to mark stale when they vanish. */
  written: Map<string, SeriesRef>[];
}

async function runTestGroup(test: TestGroup, spec: UnitTestFile, specs: RuleGroup[], order: Map<string, number>): Promise<string[]> {
  const store = new MemoryStore();
  for (const s of test.inputSeries) {
    try {
      appendSequence(store, parseSeriesSelector(s.series), expandSeriesValues(s.values), { startMs: 0, intervalMs: test.intervalMs });
    } catch (err) {
      return [`    input series ${JSON.stringify(s.series)}: ${(err as Error).message}`];
    }
  }
  // Listed groups first, in the listed order; the others after them in file order (a stable sort).
  const sorted = specs
    .map((s, i) => ({ s, i }))
    .sort((a, b) => (order.get(a.s.name) ?? order.size) - (order.get(b.s.name) ?? order.size) || a.i - b.i)
    .map(({ s }) => s);
  const groups: Evaluated[] = sorted.map((s) => {
    const group = new Group(s, { intervalMs: spec.evaluationIntervalMs });
    return { group, written: group.rules.map(() => new Map()) };
  });

  // As promtool 2.42 evaluates: step-less subqueries at the evaluation interval, and Prometheus 2.x
  // semantics (windows that include their start, 2.x rate extrapolation), so both give one verdict.
  const engine = { noStepSubqueryIntervalMs: spec.evaluationIntervalMs, prometheus2: true };
  const query = (expr: string, ts: number): Sample[] => toSamples(instantQuery(store, expr, ts, engine).value);
  const alertTimes = [...new Set(test.alertRuleTests.map((a) => a.evalTimeMs))].sort((a, b) => a - b);
  const maxEval = Math.max(0, ...test.alertRuleTests.map((a) => a.evalTimeMs), ...test.promqlExprTests.map((p) => p.evalTimeMs));
  const interval = spec.evaluationIntervalMs;
  const errors: string[] = [];
  const testName = test.name ? `    name: ${test.name},\n` : '';
  let next = 0;

  for (let ts = 0; ts <= maxEval; ts += interval) {
    const evalErrors: string[] = [];
    for (const { group, written } of groups) {
      for (const [i, r] of group.rules.entries()) {
        const queryTs = ts - group.queryOffsetMs;
        try {
          const samples = query(r.rule.spec.expr, queryTs);
          let out: { labels: Labels; value: number }[];
          if (r.rule instanceof AlertingRule) {
            const rule = r.rule;
            const ctx = { externalLabels: test.externalLabels, externalURL: test.externalURL, query: async (e: string) => query(e, queryTs) };
            await rule.apply(ts, samples, ctx, { limit: group.limit });
            out = alertSeries(rule);
          } else {
            out = recorded(r.rule.spec.name, r.rule.spec.labels, samples);
          }
          write(store, written[i], out, ts);
        } catch (err) {
          evalErrors.push(`    rule: ${r.rule.name}, time: ${goDuration(ts)}, err: ${(err as Error).message}`);
        }
      }
    }
    errors.push(...evalErrors);
    // As promtool: an evaluation error ends the test group; failed expectations do not.
    if (evalErrors.length) return errors;

    for (; next < alertTimes.length && alertTimes[next] >= ts && alertTimes[next] < ts + interval; next++) {
      const t = alertTimes[next];
      const cases = test.alertRuleTests.filter((a) => a.evalTimeMs === t);
      const names = new Set(cases.map((c) => c.alertname));
      const got = new Map<string, LabelsAndAnnotations[]>();
      for (const { group } of groups) {
        for (const rule of group.alertingRules()) {
          if (!names.has(rule.name)) continue;
          const list = got.get(rule.name) ?? [];
          for (const a of rule.active.values()) if (a.state === 'firing') list.push({ labels: { ...a.labels }, annotations: { ...a.annotations } });
          got.set(rule.name, list);
        }
      }
      for (const c of cases) {
        const gotAlerts = sortAlerts([...(got.get(c.alertname) ?? [])]);
        const expAlerts = sortAlerts(c.expAlerts.map((e) => ({ labels: { ...e.labels, alertname: c.alertname }, annotations: e.annotations })));
        if (!sameAlerts(expAlerts, gotAlerts)) {
          const exp = indentLines(alertsString(expAlerts), '            ');
          const gotText = indentLines(alertsString(gotAlerts), '            ');
          errors.push(`${testName}    alertname: ${c.alertname}, time: ${formatDuration(c.evalTimeMs)}, \n        exp:${exp}, \n        got:${gotText}`);
        }
      }
    }
  }

  outer: for (const c of test.promqlExprTests) {
    const time = formatDuration(c.evalTimeMs);
    let got: Sample[];
    try {
      got = query(c.expr, c.evalTimeMs);
    } catch (err) {
      errors.push(`    expr: ${JSON.stringify(c.expr)}, time: ${time}, err: ${(err as Error).message}`);
      continue;
    }
    const exp: { labels: Labels; value: number }[] = [];
    for (const s of c.expSamples) {
      try {
        exp.push({ labels: parseSeriesLine(s.labels, { requireName: false }).labels, value: s.value });
      } catch (err) {
        errors.push(`    expr: ${JSON.stringify(c.expr)}, time: ${time}, err: labels ${JSON.stringify(s.labels)}: ${(err as Error).message}`);
        continue outer;
      }
    }
    const gotSamples = got.map((s) => ({ labels: s.metric, value: s.value })).sort((a, b) => compareLabels(a.labels, b.labels));
    exp.sort((a, b) => compareLabels(a.labels, b.labels));
    // Exact equality, as promtool 2.42 compares (so an expected NaN never matches).
    const same = exp.length === gotSamples.length && exp.every((e, i) => compareLabels(e.labels, gotSamples[i].labels) === 0 && e.value === gotSamples[i].value);
    if (!same) errors.push(`    expr: ${JSON.stringify(c.expr)}, time: ${time},\n        exp: ${samplesString(exp)}\n        got: ${samplesString(gotSamples)}`);
  }
  return errors;
}

function toSamples(v: QueryValue): Sample[] {
  if (v.type === 'vector') return v.samples.map((s) => ({ metric: s.labels, value: s.value }));
  if (v.type === 'scalar') return [{ metric: {}, value: v.value }];
  throw new Error('rule result is not a vector or scalar');
}

/** A recording rule's output: the name set to `record`, the rule's labels applied (an empty one removes). */
function recorded(record: string, ruleLabels: Record<string, string>, samples: Sample[]): { labels: Labels; value: number }[] {
  const seen = new Set<string>();
  return samples.map((s) => {
    const labels: Labels = { ...s.metric, __name__: record };
    for (const [k, v] of Object.entries(ruleLabels)) {
      if (v === '') delete labels[k];
      else labels[k] = v;
    }
    const key = JSON.stringify(Object.entries(labels).sort());
    if (seen.has(key)) throw new Error('vector contains metrics with the same labelset after applying rule labels');
    seen.add(key);
    return { labels, value: s.value };
  });
}

/** ALERTS{alertstate} and ALERTS_FOR_STATE of the pending and firing alerts, as Prometheus writes them. */
function alertSeries(rule: AlertingRule): { labels: Labels; value: number }[] {
  const out: { labels: Labels; value: number }[] = [];
  for (const a of rule.active.values()) {
    if (a.state === 'inactive') continue;
    out.push({ labels: { ...a.labels, __name__: 'ALERTS', alertstate: a.state }, value: 1 });
    out.push({ labels: { ...a.labels, __name__: 'ALERTS_FOR_STATE' }, value: a.activeAt / 1000 });
  }
  return out;
}

/** Appends a rule's output at ts, and a staleness marker for each series it wrote last time but not now. */
function write(store: MemoryStore, previous: Map<string, SeriesRef>, out: { labels: Labels; value: number }[], ts: number): void {
  const now = new Map<string, SeriesRef>();
  for (const s of out) {
    const ref = store.seriesRef(s.labels);
    store.append(ref, ts, s.value);
    now.set(String(ref), ref);
  }
  for (const [key, ref] of previous) if (!now.has(key)) store.append(ref, ts, NaN, true);
  previous.clear();
  for (const [k, v] of now) previous.set(k, v);
}

function sortAlerts(list: LabelsAndAnnotations[]): LabelsAndAnnotations[] {
  return list.sort((a, b) => compareLabels(a.labels, b.labels) || compareLabels(a.annotations, b.annotations));
}

function sameAlerts(a: LabelsAndAnnotations[], b: LabelsAndAnnotations[]): boolean {
  return a.length === b.length && a.every((x, i) => compareLabels(x.labels, b[i].labels) === 0 && compareLabels(x.annotations, b[i].annotations) === 0);
}
