// The engine's entry points: parse, evaluate over a grid of steps, and shape Prometheus' result types.
import type { Expr } from '../ast.js';
import type { Queryable } from '../storage.js';
import { DUPLICATE_LABELSET, PromQLError } from './errors.js';
import { Evaluator } from './evaluator.js';
import { compareLabels, formatFloat } from './format.js';
import { labelsKey, withoutName, type Labels } from './labels.js';
import type { EvalValue, StepSeries } from './types.js';

export interface EngineOptions {
  /** How far back a selector looks for a sample; Prometheus' default is 5m. */
  lookbackDeltaMs?: number;
  /** Step of subqueries written without one (`[1h:]`); Prometheus uses its global evaluation interval (1m by default). */
  noStepSubqueryIntervalMs?: number;
  /**
   * Prometheus 2.x semantics where 3.x changed them, for agreeing with promtool 2.42: a range
   * selector's window and the lookback include their start ([t-5m, t] where 3.x has (t-5m, t]),
   * and rate()/increase() clamp at the counter's zero point before extrapolating, as 2.x did.
   */
  prometheus2?: boolean;
  /** The first name of `prometheus2` (it began as the windows alone); kept so callers written against it still agree with promtool. */
  closedWindows?: boolean;
  /**
   * Drop __name__ at the end of the query, as Prometheus 3 does with
   * --enable-feature=promql-delayed-name-removal (and its test scripts do); by default it is
   * dropped where a function or operator changes the value, as Prometheus' server does.
   */
  delayedNameRemoval?: boolean;
  /** Points (series × steps) a query may hold in intermediate results; Prometheus' --query.max-samples (50,000,000). */
  maxSamples?: number;
  /** Prometheus' --query.timeout (2m), checked between operators. */
  timeoutMs?: number;
}

export type Sample = { labels: Record<string, string>; value: number };
export type Series = { labels: Record<string, string>; timestamps: Float64Array; values: Float64Array };
export type QueryValue =
  | { type: 'vector'; samples: Sample[]; timestampMs: number }
  | { type: 'scalar'; value: number; timestampMs: number }
  | { type: 'string'; value: string; timestampMs: number }
  | { type: 'matrix'; series: Series[] };
export interface QueryResult { value: QueryValue; warnings: string[]; infos: string[] }

/** Parses with vigil's front end and raises Prometheus' parse error ("1:5: parse error: …"). */
export type Parser = (expr: string) => Expr;

function callsTimestamp(e: Expr): boolean {
  switch (e.type) {
    case 'Call': return e.func === 'timestamp' || e.args.some(callsTimestamp);
    case 'AggregateExpr': return callsTimestamp(e.expr) || (e.param !== undefined && callsTimestamp(e.param));
    case 'BinaryExpr': return callsTimestamp(e.lhs) || callsTimestamp(e.rhs);
    case 'ParenExpr': case 'UnaryExpr': case 'SubqueryExpr': return callsTimestamp(e.expr);
    default: return false;
  }
}

function evaluator(storage: Queryable, ast: Expr, opts: EngineOptions | undefined, start: number, end: number): Evaluator {
  const ev = new Evaluator(storage, {
    lookbackDeltaMs: opts?.lookbackDeltaMs ?? 300_000,
    noStepSubqueryIntervalMs: opts?.noStepSubqueryIntervalMs ?? 60_000,
    prometheus2: opts?.prometheus2 ?? opts?.closedWindows ?? false,
    delayedNameRemoval: opts?.delayedNameRemoval ?? false,
    maxSamples: opts?.maxSamples ?? 50_000_000,
    deadline: Date.now() + (opts?.timeoutMs ?? 120_000),
  }, start, end);
  ev.needSampleTs = callsTimestamp(ast);
  return ev;
}

/** Drops the names that functions and operators marked, and refuses two equal label sets at one step. */
function finalSeries(series: StepSeries[], n: number): { labels: Labels; s: StepSeries }[] {
  const byKey = new Map<string, { labels: Labels; s: StepSeries }>();
  const out: { labels: Labels; s: StepSeries }[] = [];
  for (const s of series) {
    const labels = s.dropName ? withoutName(s.labels) : s.labels;
    const k = labelsKey(labels);
    const prev = byKey.get(k);
    if (!prev) {
      const e = { labels, s };
      byKey.set(k, e);
      out.push(e);
      continue;
    }
    // Series that became equal merge when they never share a step.
    const values = new Float64Array(prev.s.values);
    const present = new Uint8Array(prev.s.present);
    for (let i = 0; i < n; i++) {
      if (!s.present[i]) continue;
      if (present[i]) throw new PromQLError(DUPLICATE_LABELSET);
      present[i] = 1;
      values[i] = s.values[i];
    }
    prev.s = { ...prev.s, values, present };
  }
  return out;
}

export function runInstant(storage: Queryable, ast: Expr, timeMs: number, opts?: EngineOptions): QueryResult {
  const ev = evaluator(storage, ast, opts, timeMs, timeMs);
  const v = ev.eval(ast, { start: timeMs, step: 0, n: 1 });
  return { value: instantValue(v, timeMs), warnings: [...ev.warnings], infos: [...ev.infos] };
}

function instantValue(v: EvalValue, t: number): QueryValue {
  switch (v.type) {
    case 'scalar': return { type: 'scalar', value: v.values[0], timestampMs: t };
    case 'string': return { type: 'string', value: v.value, timestampMs: t };
    case 'vector': {
      const samples: Sample[] = [];
      for (const { labels, s } of finalSeries(v.series, 1)) if (s.present[0]) samples.push({ labels, value: s.values[0] });
      return { type: 'vector', samples, timestampMs: t };
    }
    case 'matrix': {
      const series: Series[] = [];
      const end = v.ends[0];
      for (const s of v.series) {
        let lo = 0;
        while (lo < s.ts.length && (v.closed ? s.ts[lo] < end - v.range : s.ts[lo] <= end - v.range)) lo++;
        let hi = lo;
        while (hi < s.ts.length && s.ts[hi] <= end) hi++;
        if (hi === lo) continue;
        series.push({ labels: s.dropName ? withoutName(s.labels) : s.labels, timestamps: s.ts.slice(lo, hi), values: s.vals.slice(lo, hi) });
      }
      const seen = new Set<string>();
      for (const s of series) {
        const k = labelsKey(s.labels);
        if (seen.has(k)) throw new PromQLError(DUPLICATE_LABELSET);
        seen.add(k);
      }
      return { type: 'matrix', series };
    }
  }
}

export function runRange(storage: Queryable, ast: Expr, startMs: number, endMs: number, stepMs: number, opts?: EngineOptions): QueryResult {
  if (!(stepMs > 0)) throw new PromQLError('zero or negative query resolution step widths are not accepted. Try a positive integer', 'bad_data');
  if (endMs < startMs) throw new PromQLError('end timestamp must not be before start time', 'bad_data');
  const n = Math.floor((endMs - startMs) / stepMs) + 1;
  // Prometheus bounds the intervals, (end - start) / step, so 11,001 points pass
  if (n - 1 > 11000) throw new PromQLError('exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)', 'bad_data');
  const ev = evaluator(storage, ast, opts, startMs, endMs);
  const v = ev.eval(ast, { start: startMs, step: stepMs, n });
  const times = Float64Array.from({ length: n }, (_, i) => startMs + i * stepMs);
  let series: Series[];
  if (v.type === 'scalar') {
    series = [{ labels: {}, timestamps: times, values: v.values }];
  } else if (v.type === 'vector') {
    series = [];
    for (const { labels, s } of finalSeries(v.series, n)) {
      let cnt = 0;
      for (let i = 0; i < n; i++) cnt += s.present[i];
      if (cnt === 0) continue;
      const ts = new Float64Array(cnt);
      const vals = new Float64Array(cnt);
      let w = 0;
      for (let i = 0; i < n; i++) {
        if (!s.present[i]) continue;
        ts[w] = times[i];
        vals[w++] = s.values[i];
      }
      series.push({ labels, timestamps: ts, values: vals });
    }
    series.sort((a, b) => compareLabels(a.labels, b.labels));
  } else {
    const t = v.type === 'matrix' ? 'range vector' : 'string';
    throw new PromQLError(`invalid expression type "${t}" for range query, must be Scalar or instant Vector`, 'bad_data');
  }
  return { value: { type: 'matrix', series }, warnings: [...ev.warnings], infos: [...ev.infos] };
}

const seconds = (ms: number) => ms / 1000;

/** The `data` of Prometheus' /api/v1/query(_range) answer. */
export function formatPrometheusJSON(value: QueryValue): unknown {
  switch (value.type) {
    case 'scalar': return { resultType: 'scalar', result: [seconds(value.timestampMs), formatFloat(value.value)] };
    case 'string': return { resultType: 'string', result: [seconds(value.timestampMs), value.value] };
    case 'vector':
      return {
        resultType: 'vector',
        result: value.samples.map((s) => ({ metric: s.labels, value: [seconds(value.timestampMs), formatFloat(s.value)] })),
      };
    case 'matrix':
      return {
        resultType: 'matrix',
        result: value.series.map((s) => ({
          metric: s.labels,
          values: Array.from(s.timestamps, (t, i) => [seconds(t), formatFloat(s.values[i])]),
        })),
      };
  }
}
