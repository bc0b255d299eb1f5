// Walks the AST; each node computes its value at every step of its grid at once (Thanos-style),
// so a selector's series are read from storage once per query and range functions slide a
// window over typed arrays instead of re-selecting per step.
import type { AtModifier, Expr, LabelMatcher, MatrixSelector, SubqueryExpr, VectorSelector } from '../ast.js';
import type { Queryable, SeriesMatcher } from '../storage.js';
import { FUNCTIONS } from '../functions.js';
import { evalAggregate } from './aggregate.js';
import { dropNames } from './names.js';
import { sortByLabels, type Labels } from './labels.js';
import { evalBinary } from './binary.js';
import { PromQLError } from './errors.js';
import { evalCall } from './functions.js';
import {
  gridTime, newStepSeries, type EvalValue, type Grid, type MatrixValue, type RangeSeries, type StepSeries, type VectorValue,
} from './types.js';

export interface EvalOptions {
  lookbackDeltaMs: number;
  /** Prometheus 2.x semantics: windows include their start (3.x: left-open), 2.x's rate extrapolation. */
  prometheus2: boolean;
  /** Drop __name__ at the end of the query (3.x's promql-delayed-name-removal) instead of at once. */
  delayedNameRemoval: boolean;
  /** Points (series × steps) one query may hold in its intermediate results: Prometheus' --query.max-samples. */
  maxSamples: number;
  /** When the query gives up, in ms since the epoch (Prometheus' --query.timeout). */
  deadline: number;
  /** The step of a subquery written without one (`[1h:]`): Prometheus' global evaluation interval. */
  noStepSubqueryIntervalMs: number;
}

export class Evaluator {
  readonly warnings = new Set<string>();
  readonly infos = new Set<string>();
  private points = 0;

  /** Whether selectors keep their samples' timestamps: only timestamp() reads them. */
  needSampleTs = true;

  constructor(
    private readonly storage: Queryable,
    readonly opts: EvalOptions,
    /** The query's own start and end, for `@ start()` / `@ end()` at any depth. */
    readonly queryStart: number,
    readonly queryEnd: number,
  ) {}

  /** Values of evaluated subexpressions by structure and grid: a rule that repeats a selector or a whole subexpression computes it once. */
  private readonly memo = new Map<string, EvalValue>();

  eval(e: Expr, g: Grid): EvalValue {
    if (e.type === 'NumberLiteral' || e.type === 'StringLiteral' || e.type === 'ParenExpr') return this.compute(e, g);
    const key = `${g.start},${g.step},${g.n},${structureKey(e)}`;
    let v = this.memo.get(key);
    if (v === undefined) {
      this.checkDeadline();
      v = this.compute(e, g);
      // and after: one operator over a long range can take the whole budget by itself
      if (Date.now() > this.opts.deadline) throw new PromQLError('query timed out in expression evaluation', 'timeout');
      const points = v.type === 'vector' ? v.series.length * g.n : v.type === 'matrix' ? v.series.reduce((a, s) => a + s.ts.length, 0) : 0;
      this.points += points;
      if (this.points > this.opts.maxSamples) throw new PromQLError('query processing would load too many samples into memory in query execution', 'execution');
      if (!this.opts.delayedNameRemoval && v.type === 'vector' && (e.type === 'Call' || e.type === 'BinaryExpr' || e.type === 'UnaryExpr')) {
        // A function over a range vector refuses equal label sets outright, as Prometheus does.
        const strict = e.type === 'Call' && FUNCTIONS[e.func]?.argTypes.includes('matrix') === true;
        const oneArg = e.type === 'Call' && e.args.length === 1;
        // a range function over a range selector made every series it returns (none is memoized elsewhere)
        const fresh = oneArg && unwrapParens(e.args[0]).type === 'MatrixSelector';
        v = { type: 'vector', series: dropNames(v.series, g.n, strict, oneArg && selectsOneName(e.args[0]), fresh) };
      }
      this.memo.set(key, v);
    }
    return v;
  }

  /** Prometheus' --query.timeout: checked between operators, per series and every 64k steps inside them. */
  checkDeadline(): void {
    if (Date.now() > this.opts.deadline) throw new PromQLError('query timed out in expression evaluation', 'timeout');
  }

  private compute(e: Expr, g: Grid): EvalValue {
    switch (e.type) {
      case 'NumberLiteral': return { type: 'scalar', values: new Float64Array(g.n).fill(e.value) };
      case 'StringLiteral': return { type: 'string', value: e.value };
      case 'ParenExpr': return this.eval(e.expr, g);
      case 'UnaryExpr': return this.unary(e.op, this.eval(e.expr, g));
      case 'VectorSelector': return this.vectorSelector(e, g);
      case 'MatrixSelector': return this.matrixSelector(e, g);
      case 'SubqueryExpr': return this.subquery(e, g);
      case 'BinaryExpr': return evalBinary(this, e, g);
      case 'AggregateExpr': return evalAggregate(this, e, g);
      case 'Call': return evalCall(this, e, g);
    }
  }

  evalVector(e: Expr, g: Grid): VectorValue {
    const v = this.eval(e, g);
    if (v.type !== 'vector') throw new PromQLError(`expected instant vector, got ${v.type}`);
    return v;
  }

  evalScalar(e: Expr, g: Grid): Float64Array {
    const v = this.eval(e, g);
    if (v.type !== 'scalar') throw new PromQLError(`expected scalar, got ${v.type}`);
    return v.values;
  }

  evalMatrix(e: Expr, g: Grid): MatrixValue {
    const v = this.eval(e, g);
    if (v.type !== 'matrix') throw new PromQLError(`expected range vector, got ${v.type}`);
    return v;
  }

  private unary(op: '+' | '-', v: EvalValue): EvalValue {
    if (op === '+') return v;
    if (v.type === 'scalar') return { type: 'scalar', values: v.values.map((x) => -x) };
    if (v.type !== 'vector') throw new PromQLError(`unary expression only allowed on expressions of type scalar or instant vector, got ${v.type}`);
    return {
      type: 'vector',
      series: v.series.map((s) => ({ labels: s.labels, values: s.values.map((x) => -x), present: s.present, dropName: true })),
    };
  }

  atTime(at: AtModifier): number {
    return at === 'start' ? this.queryStart : at === 'end' ? this.queryEnd : at;
  }

  /** The time each step reads at: the step's time (or the @ time) minus the offset. */
  private readTimes(at: AtModifier | undefined, offset: number, g: Grid): Float64Array {
    const times = new Float64Array(g.n);
    const fixed = at === undefined ? undefined : this.atTime(at);
    for (let i = 0; i < g.n; i++) times[i] = (fixed ?? gridTime(g, i)) - offset;
    return times;
  }

  select(matchers: LabelMatcher[], mint: number, maxt: number) {
    const sm: SeriesMatcher[] = matchers.map((m) => ({ type: m.op, name: m.name, value: m.value }));
    const series = this.storage.select(sm, mint, maxt);
    // Sorted by labels, as Prometheus' blocks return them, so results come in the same order whatever order the data was loaded in.
    return this.storage.sortedByLabels ? series : sortByLabels(series, (s) => s.labels as Labels);
  }

  private vectorSelector(e: VectorSelector, g: Grid): VectorValue {
    const times = this.readTimes(e.at, e.offset, g);
    const lookback = this.opts.lookbackDeltaMs;
    const lo = Math.min(times[0], times[g.n - 1]);
    const hi = Math.max(times[0], times[g.n - 1]);
    const out: StepSeries[] = [];
    const closed = this.opts.prometheus2;
    for (const sd of this.select(e.matchers, lo - lookback + (closed ? 0 : 1), hi)) {
      const { timestamps: ts, values: vals, stale } = sd;
      this.checkDeadline();
      const s = newStepSeries(sd.labels as Record<string, string>, g.n);
      const sampleTs = this.needSampleTs ? new Float64Array(g.n) : undefined;
      let j = upperBound(ts, times[0] - lookback) - 1;
      let any = false;
      for (let i = 0; i < g.n; i++) {
        if ((i & 0xffff) === 0xffff) this.checkDeadline();
        const t = times[i];
        // times only go up (or stay, with @), so the last sample at or before t moves forward.
        while (j + 1 < ts.length && ts[j + 1] <= t) j++;
        if (j < 0 || (closed ? ts[j] < t - lookback : ts[j] <= t - lookback) || (stale !== undefined && stale[j] === 1)) continue;
        s.values[i] = vals[j];
        s.present[i] = 1;
        if (sampleTs) sampleTs[i] = ts[j];
        any = true;
      }
      if (!any) continue;
      if (sampleTs) s.sampleTs = sampleTs;
      out.push(s);
    }
    return { type: 'vector', series: out };
  }

  private matrixSelector(e: MatrixSelector, g: Grid): MatrixValue {
    const vs = e.vectorSelector;
    const ends = this.readTimes(vs.at, vs.offset, g);
    const lo = Math.min(ends[0], ends[g.n - 1]) - e.range;
    const hi = Math.max(ends[0], ends[g.n - 1]);
    const series: RangeSeries[] = [];
    const closed = this.opts.prometheus2;
    for (const sd of this.select(vs.matchers, closed ? lo : lo + 1, hi)) {
      const { timestamps: ts, values: vals, stale } = sd;
      const a = closed ? lowerBound(ts, lo) : upperBound(ts, lo);
      const b = upperBound(ts, hi);
      if (a >= b) continue;
      let staleCount = 0;
      if (stale !== undefined) for (let k = a; k < b; k++) staleCount += stale[k];
      const labels = sd.labels as Record<string, string>;
      // Without staleness markers in range the window reads the store's arrays in place.
      if (staleCount === 0) {
        const whole = a === 0 && b === ts.length;
        series.push({ labels, ts: whole ? ts : ts.subarray(a, b), vals: whole ? vals : vals.subarray(a, b), dropName: false });
        continue;
      }
      const n = b - a - staleCount;
      if (n === 0) continue;
      const outTs = new Float64Array(n);
      const outVals = new Float64Array(n);
      let w = 0;
      for (let k = a; k < b; k++) {
        if (stale![k] === 1) continue;
        outTs[w] = ts[k];
        outVals[w++] = vals[k];
      }
      series.push({ labels, ts: outTs, vals: outVals, dropName: false });
    }
    return { type: 'matrix', series, ends, range: e.range, closed: this.opts.prometheus2 };
  }

  private subquery(e: SubqueryExpr, g: Grid): MatrixValue {
    const ends = this.readTimes(e.at, e.offset, g);
    const step = e.step || this.opts.noStepSubqueryIntervalMs;
    const lo = Math.min(ends[0], ends[g.n - 1]);
    const hi = Math.max(ends[0], ends[g.n - 1]);
    // The first inner step is the first multiple of the step after the window's open start.
    let start = Math.ceil((lo - e.range) / step) * step;
    if (start === lo - e.range && !this.opts.prometheus2) start += step;
    const n = start > hi ? 0 : Math.floor((hi - start) / step) + 1;
    if (n > this.opts.maxSamples) throw new PromQLError('query processing would load too many samples into memory in query execution', 'execution');
    if (n === 0) return { type: 'matrix', series: [], ends, range: e.range, closed: this.opts.prometheus2 };
    const inner = this.eval(e.expr, { start, step, n });
    const series: RangeSeries[] = [];
    if (inner.type === 'scalar') {
      series.push({ labels: {}, ts: Float64Array.from({ length: n }, (_, i) => start + i * step), vals: inner.values, dropName: false });
    } else if (inner.type === 'vector') {
      for (const s of inner.series) {
        let cnt = 0;
        for (let i = 0; i < n; i++) cnt += s.present[i];
        if (cnt === 0) continue;
        const ts = new Float64Array(cnt);
        const vals = new Float64Array(cnt);
        let w = 0;
        for (let i = 0; i < n; i++) {
          if (!s.present[i]) continue;
          ts[w] = start + i * step;
          vals[w++] = s.values[i];
        }
        series.push({ labels: s.labels, ts, vals, dropName: s.dropName });
      }
    } else {
      throw new PromQLError(`subquery is only allowed on instant vector, got ${inner.type}`);
    }
    return { type: 'matrix', series, ends, range: e.range, closed: this.opts.prometheus2 };
  }
}

/** The index of the first element greater than x in an ascending array. */
export function upperBound(a: Float64Array, x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid] <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

const keys = new WeakMap<Expr, string>();

/** A node's structure without its positions: equal for equal subexpressions. Values are never mutated once computed, so they can be shared. */
function structureKey(e: Expr): string {
  let k = keys.get(e);
  if (k === undefined) {
    k = JSON.stringify(e, (name, value: unknown) => (name === 'from' || name === 'to' ? undefined : value));
    keys.set(e, k);
  }
  return k;
}

/** The index of the first element at or above x in an ascending array. */
export function lowerBound(a: Float64Array, x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function unwrapParens(e: Expr): Expr {
  return e.type === 'ParenExpr' ? unwrapParens(e.expr) : e;
}

/** True for a plain selector (or range selector) with an equality matcher on the metric name. */
function selectsOneName(e: Expr): boolean {
  if (e.type === 'ParenExpr') return selectsOneName(e.expr);
  const vs = e.type === 'MatrixSelector' ? e.vectorSelector : e.type === 'VectorSelector' ? e : undefined;
  return vs !== undefined && vs.matchers.some((m) => m.name === '__name__' && m.op === '=');
}
