// PromQL's stable functions. Range functions walk each series once per query: the window of
// each step is found by two pointers that only move forward.
import type { Call, Expr, VectorSelector } from '../ast.js';
import { compileRegex, type LabelRegex } from '../regex.js';
import { DUPLICATE_LABELSET, PromQLError } from './errors.js';
import type { Evaluator } from './evaluator.js';
import { formatFloat } from './format.js';
import { keyWithout, labelsKey, type Labels } from './labels.js';
import { bucketQuantile, kahanAdd, mean, quantile } from './mathfn.js';
import {
  gridTime, newStepSeries, type EvalValue, type Grid, type MatrixValue, type RangeSeries, type StepSeries, type VectorValue,
} from './types.js';

const LE: ReadonlySet<string> = new Set(['le']);
const NATIVE_ONLY = new Set(['histogram_avg', 'histogram_count', 'histogram_sum', 'histogram_stddev', 'histogram_stdvar', 'histogram_fraction']);

const MATH: Record<string, (x: number) => number> = {
  abs: Math.abs, ceil: Math.ceil, floor: Math.floor, exp: Math.exp, sqrt: Math.sqrt, ln: Math.log, log2: Math.log2,
  log10: Math.log10, sin: Math.sin, cos: Math.cos, tan: Math.tan, asin: Math.asin, acos: Math.acos, atan: Math.atan,
  sinh: Math.sinh, cosh: Math.cosh, tanh: Math.tanh, asinh: Math.asinh, acosh: Math.acosh, atanh: Math.atanh,
  sgn: (x) => (x > 0 ? 1 : x < 0 ? -1 : x),
  deg: (x) => (x * 180) / Math.PI,
  rad: (x) => (x * Math.PI) / 180,
};

const DATE: Record<string, (d: Date) => number> = {
  day_of_month: (d) => d.getUTCDate(),
  day_of_week: (d) => d.getUTCDay(),
  day_of_year: (d) => Math.floor((Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()) - Date.UTC(d.getUTCFullYear(), 0, 1)) / 86400000) + 1,
  days_in_month: (d) => new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)).getUTCDate(),
  hour: (d) => d.getUTCHours(),
  minute: (d) => d.getUTCMinutes(),
  month: (d) => d.getUTCMonth() + 1,
  year: (d) => d.getUTCFullYear(),
};

function mapVector(v: VectorValue, f: (x: number, i: number) => number, dropName = true): VectorValue {
  return {
    type: 'vector',
    series: v.series.map((s) => {
      const values = new Float64Array(s.values.length);
      for (let i = 0; i < values.length; i++) if (s.present[i]) values[i] = f(s.values[i], i);
      return { labels: s.labels, values, present: s.present, dropName: s.dropName || dropName };
    }),
  };
}

function unwrap(e: Expr): Expr {
  return e.type === 'ParenExpr' ? unwrap(e.expr) : e;
}

export function evalCall(ev: Evaluator, e: Call, g: Grid): EvalValue {
  const name = e.func;
  if (e.experimental) throw new PromQLError(`function "${name}" is experimental and not supported by vigil's engine`, 'bad_data');
  if (NATIVE_ONLY.has(name)) throw new PromQLError(`${name}() works on native histograms, which vigil's engine does not support`, 'bad_data');
  const args = e.args;
  if (MATH[name]) return mapVector(ev.evalVector(args[0], g), MATH[name]);
  if (DATE[name]) {
    const v: VectorValue = args.length === 0 ? timeVector(g) : ev.evalVector(args[0], g);
    const f = DATE[name];
    return mapVector(v, (x) => (Number.isFinite(x) ? f(new Date(x * 1000)) : NaN));
  }
  switch (name) {
    case 'time': return { type: 'scalar', values: Float64Array.from({ length: g.n }, (_, i) => gridTime(g, i) / 1000) };
    case 'pi': return { type: 'scalar', values: new Float64Array(g.n).fill(Math.PI) };
    case 'vector': {
      const s = newStepSeries({}, g.n);
      s.values.set(ev.evalScalar(args[0], g));
      s.present.fill(1);
      return { type: 'vector', series: [s] };
    }
    case 'scalar': {
      const v = ev.evalVector(args[0], g);
      const out = new Float64Array(g.n).fill(NaN);
      for (let i = 0; i < g.n; i++) {
        let cnt = 0;
        for (const s of v.series) if (s.present[i]) { cnt++; out[i] = s.values[i]; }
        if (cnt !== 1) out[i] = NaN;
      }
      return { type: 'scalar', values: out };
    }
    case 'clamp': {
      const v = ev.evalVector(args[0], g);
      const lo = ev.evalScalar(args[1], g);
      const hi = ev.evalScalar(args[2], g);
      const out = mapVector(v, (x, i) => Math.max(lo[i], Math.min(hi[i], x)));
      // clamp with min > max returns nothing.
      for (const s of out.series) {
        const present = new Uint8Array(s.present);
        for (let i = 0; i < g.n; i++) if (lo[i] > hi[i]) present[i] = 0;
        s.present = present;
      }
      out.series = out.series.filter((s) => s.present.some((p) => p === 1));
      return out;
    }
    case 'clamp_min': {
      const lo = ev.evalScalar(args[1], g);
      return mapVector(ev.evalVector(args[0], g), (x, i) => Math.max(lo[i], x));
    }
    case 'clamp_max': {
      const hi = ev.evalScalar(args[1], g);
      return mapVector(ev.evalVector(args[0], g), (x, i) => Math.min(hi[i], x));
    }
    case 'round': {
      const to = args[1] ? ev.evalScalar(args[1], g) : new Float64Array(g.n).fill(1);
      // Go's math.Floor(v*inv+0.5)/inv, with inv = 1/to_nearest.
      return mapVector(ev.evalVector(args[0], g), (x, i) => Math.floor(x * (1 / to[i]) + 0.5) / (1 / to[i]));
    }
    case 'timestamp': {
      const inner = unwrap(args[0]);
      const v = ev.evalVector(args[0], g);
      return {
        type: 'vector',
        series: v.series.map((s) => {
          const values = new Float64Array(g.n);
          for (let i = 0; i < g.n; i++) {
            if (!s.present[i]) continue;
            values[i] = (inner.type === 'VectorSelector' && s.sampleTs ? s.sampleTs[i] : gridTime(g, i)) / 1000;
          }
          return { labels: s.labels, values, present: s.present, dropName: true };
        }),
      };
    }
    case 'sort':
    case 'sort_desc':
      return sortVector(ev.evalVector(args[0], g), name === 'sort_desc', g);
    case 'label_replace': return labelReplace(ev, e, g);
    case 'label_join': return labelJoin(ev, e, g);
    case 'absent': {
      const v = ev.evalVector(args[0], g);
      const s = newStepSeries(absentLabels(args[0]), g.n);
      for (let i = 0; i < g.n; i++) if (!v.series.some((x) => x.present[i])) { s.present[i] = 1; s.values[i] = 1; }
      return { type: 'vector', series: s.present.some((p) => p === 1) ? [s] : [] };
    }
    case 'histogram_quantile': return histogramQuantile(ev, e, g);
    default:
      return rangeFunction(ev, e, g);
  }
}

function timeVector(g: Grid): VectorValue {
  const s = newStepSeries({}, g.n);
  for (let i = 0; i < g.n; i++) s.values[i] = gridTime(g, i) / 1000;
  s.present.fill(1);
  return { type: 'vector', series: [s] };
}

function sortVector(v: VectorValue, desc: boolean, g: Grid): VectorValue {
  if (g.n !== 1) return v;
  // NaN sorts last both ways.
  const series = v.series.filter((s) => s.present[0]).sort((a, b) => {
    const x = a.values[0];
    const y = b.values[0];
    if (Number.isNaN(x)) return Number.isNaN(y) ? 0 : 1;
    if (Number.isNaN(y)) return -1;
    return desc ? y - x : x - y;
  });
  return { type: 'vector', series };
}

/** Labels of absent(): the selector's equality matchers, except names matched more than once. */
function absentLabels(arg: Expr): Labels {
  const e = unwrap(arg);
  let vs: VectorSelector | undefined;
  if (e.type === 'VectorSelector') vs = e;
  else if (e.type === 'MatrixSelector') vs = e.vectorSelector;
  else if (e.type === 'SubqueryExpr' && unwrap(e.expr).type === 'VectorSelector') vs = unwrap(e.expr) as VectorSelector;
  const out: Labels = {};
  if (!vs) return out;
  const dup = new Set<string>();
  for (const m of vs.matchers) {
    if (m.name === '__name__') continue;
    if (m.name in out || dup.has(m.name)) {
      dup.add(m.name);
      delete out[m.name];
      continue;
    }
    if (m.op === '=') out[m.name] = m.value;
    else dup.add(m.name);
  }
  // A name with one equality matcher and other matchers too is dropped, as in Prometheus.
  return out;
}

function stringArg(ev: Evaluator, e: Expr, g: Grid): string {
  const v = ev.eval(e, g);
  if (v.type !== 'string') throw new PromQLError('expected string argument');
  return v.value;
}

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Re-keys series by their new labels; series that land on one label set merge unless they collide in a step. */
export function mergeSeries(series: StepSeries[], n: number): StepSeries[] {
  const byKey = new Map<string, StepSeries>();
  const out: StepSeries[] = [];
  for (const s of series) {
    const k = labelsKey(s.dropName ? { ...s.labels, __name__: '' } : s.labels) + (s.dropName ? '\x00' : '');
    const prev = byKey.get(k);
    if (!prev) { byKey.set(k, s); out.push(s); continue; }
    const values = new Float64Array(prev.values);
    const present = new Uint8Array(prev.present);
    for (let i = 0; i < n; i++) {
      if (!s.present[i]) continue;
      if (present[i]) throw new PromQLError(DUPLICATE_LABELSET);
      present[i] = 1;
      values[i] = s.values[i];
    }
    const merged = { ...prev, values, present };
    byKey.set(k, merged);
    out[out.indexOf(prev)] = merged;
  }
  return out;
}

function labelReplace(ev: Evaluator, e: Call, g: Grid): VectorValue {
  const v = ev.evalVector(e.args[0], g);
  const dst = stringArg(ev, e.args[1], g);
  const repl = stringArg(ev, e.args[2], g);
  const src = stringArg(ev, e.args[3], g);
  const pattern = stringArg(ev, e.args[4], g);
  let re: LabelRegex;
  try {
    re = compileRegex(pattern);
  } catch (err) {
    throw new PromQLError(`invalid regular expression in label_replace(): ${pattern}`);
  }
  if (!LABEL_NAME.test(dst)) throw new PromQLError(`invalid destination label name in label_replace(): ${dst}`);
  const series = v.series.map((s) => {
    const from = s.labels[src] ?? '';
    if (!re.test(from)) return s;
    const value = re.replaceAll(from, repl);
    const labels = { ...s.labels };
    if (value === '') delete labels[dst];
    else labels[dst] = value;
    return { ...s, labels, dropName: dst === '__name__' ? false : s.dropName };
  });
  return { type: 'vector', series: mergeSeries(series, g.n) };
}

function labelJoin(ev: Evaluator, e: Call, g: Grid): VectorValue {
  const v = ev.evalVector(e.args[0], g);
  const dst = stringArg(ev, e.args[1], g);
  const sep = stringArg(ev, e.args[2], g);
  const srcs = e.args.slice(3).map((a) => stringArg(ev, a, g));
  if (!LABEL_NAME.test(dst)) throw new PromQLError(`invalid destination label name in label_join(): ${dst}`);
  for (const s of srcs) if (!LABEL_NAME.test(s)) throw new PromQLError(`invalid source label name in label_join(): ${s}`);
  const series = v.series.map((s) => {
    const value = srcs.map((n) => s.labels[n] ?? '').join(sep);
    const labels = { ...s.labels };
    if (value === '') delete labels[dst];
    else labels[dst] = value;
    return { ...s, labels, dropName: dst === '__name__' ? false : s.dropName };
  });
  return { type: 'vector', series: mergeSeries(series, g.n) };
}

function histogramQuantile(ev: Evaluator, e: Call, g: Grid): VectorValue {
  const q = ev.evalScalar(e.args[0], g);
  const v = ev.evalVector(e.args[1], g);
  interface Group { labels: Labels; members: { s: StepSeries; le: number }[] }
  const groups = new Map<string, Group>();
  const leCache = new Map<string, number>();
  for (const s of v.series) {
    const leText = s.labels.le;
    let le = leText === undefined ? NaN : leCache.get(leText);
    if (le === undefined) leCache.set(leText, (le = parseGoFloat(leText)));
    if (Number.isNaN(le)) {
      const nm = s.labels.__name__;
      ev.warnings.add(`PromQL warning: bucket label "le" is missing or has a malformed value of "${leText ?? ''}"${nm ? ` for metric name "${nm}"` : ''}`);
      continue;
    }
    // Grouped with the name, which is dropped only at the end: two names with equal labels collide.
    const k = keyWithout(s.labels, LE);
    let grp = groups.get(k);
    if (!grp) {
      const labels: Labels = { ...s.labels };
      delete labels.le;
      groups.set(k, (grp = { labels, members: [] }));
    }
    grp.members.push({ s, le });
  }
  const out: StepSeries[] = [];
  let upper = new Float64Array(16);
  let counts = new Float64Array(16);
  for (const grp of groups.values()) {
    // Members in bucket order once; each step then only copies the counts of those present.
    grp.members.sort((a, b) => a.le - b.le);
    if (grp.members.length > upper.length) {
      upper = new Float64Array(grp.members.length);
      counts = new Float64Array(grp.members.length);
    }
    const o = newStepSeries(grp.labels, g.n, true);
    let any = false;
    for (let i = 0; i < g.n; i++) {
      let n = 0;
      for (const m of grp.members) {
        if (!m.s.present[i]) continue;
        upper[n] = m.le;
        counts[n++] = m.s.values[i];
      }
      if (n === 0) continue;
      const r = bucketQuantile(q[i], upper, counts, n);
      if (r.forcedMonotonic) {
        const nm = grp.members[0].s.labels.__name__;
        ev.infos.add(`PromQL info: input to histogram_quantile needed to be fixed for monotonicity (see https://prometheus.io/docs/prometheus/latest/querying/functions/#histogram_quantile)${nm ? ` for metric name "${nm}"` : ''}`);
      }
      o.values[i] = r.value;
      o.present[i] = 1;
      any = true;
    }
    if (any) out.push(o);
  }
  if (q.some((x) => x < 0 || x > 1 || Number.isNaN(x))) ev.warnings.add(`PromQL warning: quantile value should be between 0 and 1, got ${formatFloat(q.find((x) => x < 0 || x > 1 || Number.isNaN(x))!)}`);
  return { type: 'vector', series: out };
}

/** Go's strconv.ParseFloat for label values: decimal, hex, Inf/NaN spellings; NaN when invalid. */
export function parseGoFloat(s: string): number {
  const t = s.trim();
  if (t !== s || t === '') return NaN;
  if (/^[+-]?(inf|infinity)$/i.test(t)) return t.startsWith('-') ? -Infinity : Infinity;
  if (/^nan$/i.test(t)) return NaN;
  if (/^[+-]?0x[0-9a-f]+$/i.test(t)) return Number(t.replace(/^([+-]?)0x/i, '$10x')) * 1;
  if (/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(t.replace(/_/g, ''))) return Number(t.replace(/_/g, ''));
  return NaN;
}

type WindowFn = (ts: Float64Array, vals: Float64Array, lo: number, hi: number, end: number, t: number, i: number) => number | undefined;

/** Applies fn to each series' window at each step; hi is exclusive. `perSeries` prepares fn for one series. */
function overWindows(ev: Evaluator, m: MatrixValue, g: Grid, fn: WindowFn, keepName: boolean, perSeries?: (s: RangeSeries) => WindowFn): StepSeries[] {
  const out: StepSeries[] = [];
  const base = fn;
  for (const s of m.series) {
    ev.checkDeadline();
    fn = perSeries ? perSeries(s) : base;
    const o = newStepSeries(s.labels, g.n, keepName ? s.dropName : true);
    let lo = 0;
    let hi = 0;
    let any = false;
    for (let i = 0; i < g.n; i++) {
      if ((i & 0xffff) === 0xffff) ev.checkDeadline();
      const end = m.ends[i];
      const start = end - m.range;
      // Windows are left-open, right-closed: (end - range, end].
      if (i > 0 && end < m.ends[i - 1]) { lo = 0; hi = 0; }
      while (lo < s.ts.length && (m.closed ? s.ts[lo] < start : s.ts[lo] <= start)) lo++;
      if (hi < lo) hi = lo;
      while (hi < s.ts.length && s.ts[hi] <= end) hi++;
      if (hi <= lo) continue;
      const r = fn(s.ts, s.vals, lo, hi, end, gridTime(g, i), i);
      if (r === undefined) continue;
      o.values[i] = r;
      o.present[i] = 1;
      any = true;
    }
    if (any) out.push(o);
  }
  return out;
}

/**
 * Prefix sums of counter-reset corrections (the value before each drop), so that the
 * correction inside any window is one subtraction: rate over 24h costs no more per step than over 5m.
 */
function resetCorrections(vals: Float64Array): Float64Array | undefined {
  let any = false;
  for (let k = 1; k < vals.length; k++) if (vals[k] < vals[k - 1]) { any = true; break; }
  if (!any) return undefined;
  const corr = new Float64Array(vals.length);
  for (let k = 1; k < vals.length; k++) corr[k] = corr[k - 1] + (vals[k] < vals[k - 1] ? vals[k - 1] : 0);
  return corr;
}

function extrapolatedRate(m: MatrixValue, isCounter: boolean, isRate: boolean, corr?: Float64Array, v2 = false): WindowFn {
  const rangeSec = m.range / 1000;
  return (ts, vals, lo, hi, end) => {
    const n = hi - lo;
    if (n < 2) return undefined;
    const first = lo;
    const last = hi - 1;
    let result = vals[last] - vals[first];
    if (isCounter && corr !== undefined) {
      if (n <= 16) {
        for (let k = lo + 1; k < hi; k++) if (vals[k] < vals[k - 1]) result += vals[k - 1];
      } else {
        result += corr[last] - corr[first];
      }
    }
    const rangeStart = end - m.range;
    let toStart = (ts[first] - rangeStart) / 1000;
    let toEnd = (end - ts[last]) / 1000;
    const sampled = (ts[last] - ts[first]) / 1000;
    const avg = sampled / (n - 1);
    const threshold = avg * 1.1;
    // 3.x limits the extrapolation to the threshold first, then to the counter's zero point; 2.x the other way round.
    if (!v2 && toStart >= threshold) toStart = avg / 2;
    if (isCounter && result > 0 && vals[first] >= 0) {
      const toZero = sampled * (vals[first] / result);
      if (toZero < toStart) toStart = toZero;
    }
    if (v2 && toStart >= threshold) toStart = avg / 2;
    if (toEnd >= threshold) toEnd = avg / 2;
    let factor = (sampled + toStart + toEnd) / sampled;
    if (isRate) factor /= rangeSec;
    return result * factor;
  };
}

function linearRegression(ts: Float64Array, vals: Float64Array, lo: number, hi: number, interceptTime: number): [number, number] {
  let constY = true;
  for (let k = lo + 1; k < hi; k++) if (vals[k] !== vals[lo]) { constY = false; break; }
  if (constY) {
    if (!Number.isFinite(vals[lo])) return [NaN, NaN];
    return [0, vals[lo]];
  }
  let n = 0;
  let sx = 0, cx = 0, sy = 0, cy = 0, sxy = 0, cxy = 0, sx2 = 0, cx2 = 0;
  for (let k = lo; k < hi; k++) {
    const x = (ts[k] - interceptTime) / 1000;
    const y = vals[k];
    n++;
    [sx, cx] = kahanAdd(x, sx, cx);
    [sy, cy] = kahanAdd(y, sy, cy);
    [sxy, cxy] = kahanAdd(x * y, sxy, cxy);
    [sx2, cx2] = kahanAdd(x * x, sx2, cx2);
  }
  sx += cx;
  sy += cy;
  sxy += cxy;
  sx2 += cx2;
  const covXY = sxy - (sx * sy) / n;
  const varX = sx2 - (sx * sx) / n;
  const slope = covXY / varX;
  const intercept = sy / n - (slope * sx) / n;
  return [slope, intercept];
}

function sumKahan(vals: Float64Array, lo: number, hi: number): number {
  let s = 0;
  let c = 0;
  for (let k = lo; k < hi; k++) [s, c] = kahanAdd(vals[k], s, c);
  return s + c;
}

function variance(vals: Float64Array, lo: number, hi: number): number {
  let cnt = 0;
  let mean = 0;
  let mc = 0;
  let aux = 0;
  let ac = 0;
  for (let k = lo; k < hi; k++) {
    cnt++;
    const d = vals[k] - (mean + mc);
    [mean, mc] = kahanAdd(d / cnt, mean, mc);
    [aux, ac] = kahanAdd(d * (vals[k] - (mean + mc)), aux, ac);
  }
  return (aux + ac) / cnt;
}

function counterInfo(ev: Evaluator, m: MatrixValue): void {
  let last: string | undefined;
  for (const s of m.series) {
    const nm = s.labels.__name__;
    // series come sorted by labels, so one name's series are together: check each name once
    if (!nm || s.dropName || nm === last) continue;
    last = nm;
    if (!/(_total|_sum|_count|_bucket)$/.test(nm)) {
      ev.infos.add(`PromQL info: metric might not be a counter, name does not end in _total/_sum/_count/_bucket: "${nm}"`);
    }
  }
}

function rangeFunction(ev: Evaluator, e: Call, g: Grid): EvalValue {
  const name = e.func;
  let matrixArg = 0;
  let param: Float64Array | undefined;
  if (name === 'quantile_over_time') {
    param = ev.evalScalar(e.args[0], g);
    matrixArg = 1;
  } else if (name === 'predict_linear') {
    param = ev.evalScalar(e.args[1], g);
  }
  const m = ev.evalMatrix(e.args[matrixArg], g);
  let fn: WindowFn;
  let keepName = false;
  let perSeries: ((s: RangeSeries) => WindowFn) | undefined;
  switch (name) {
    case 'rate':
    case 'increase':
      counterInfo(ev, m);
      fn = extrapolatedRate(m, true, name === 'rate', undefined, ev.opts.prometheus2);
      // a closure of its own only for a series whose counter reset in range
      perSeries = (s) => {
        const corr = resetCorrections(s.vals);
        return corr === undefined ? fn : extrapolatedRate(m, true, name === 'rate', corr, ev.opts.prometheus2);
      };
      break;
    case 'delta': fn = extrapolatedRate(m, false, false, undefined, ev.opts.prometheus2); break;
    case 'irate':
    case 'idelta':
      fn = (ts, vals, lo, hi) => {
        if (hi - lo < 2) return undefined;
        const a = vals[hi - 2];
        const b = vals[hi - 1];
        if (name === 'idelta') return b - a;
        const d = b < a ? b : b - a;
        return d / ((ts[hi - 1] - ts[hi - 2]) / 1000);
      };
      break;
    case 'deriv':
      fn = (ts, vals, lo, hi) => (hi - lo < 2 ? undefined : linearRegression(ts, vals, lo, hi, ts[lo])[0]);
      break;
    case 'predict_linear':
      fn = (ts, vals, lo, hi, _end, t, i) => {
        if (hi - lo < 2) return undefined;
        const [slope, intercept] = linearRegression(ts, vals, lo, hi, t);
        return slope * param![i] + intercept;
      };
      break;
    case 'changes':
    case 'resets':
      fn = (_ts, vals, lo, hi) => {
        let c = 0;
        for (let k = lo + 1; k < hi; k++) {
          const a = vals[k - 1];
          const b = vals[k];
          if (name === 'resets' ? b < a : a !== b && !(Number.isNaN(a) && Number.isNaN(b))) c++;
        }
        return c;
      };
      break;
    case 'avg_over_time': fn = (_ts, vals, lo, hi) => mean(vals, lo, hi); break;
    case 'sum_over_time': fn = (_ts, vals, lo, hi) => sumKahan(vals, lo, hi); break;
    case 'count_over_time': fn = (_ts, _vals, lo, hi) => hi - lo; break;
    case 'present_over_time': fn = () => 1; break;
    case 'last_over_time': keepName = true; fn = (_ts, vals, _lo, hi) => vals[hi - 1]; break;
    case 'min_over_time':
    case 'max_over_time':
      fn = (_ts, vals, lo, hi) => {
        let r = vals[lo];
        for (let k = lo + 1; k < hi; k++) {
          const v = vals[k];
          if (name === 'min_over_time' ? v < r || Number.isNaN(r) : v > r || Number.isNaN(r)) r = v;
        }
        return r;
      };
      break;
    case 'stddev_over_time': fn = (_ts, vals, lo, hi) => Math.sqrt(variance(vals, lo, hi)); break;
    case 'stdvar_over_time': fn = (_ts, vals, lo, hi) => variance(vals, lo, hi); break;
    case 'quantile_over_time':
      fn = (_ts, vals, lo, hi, _end, _t, i) => quantile(param![i], vals.subarray(lo, hi));
      if (param!.some((q) => Number.isNaN(q) || q < 0 || q > 1)) {
        ev.warnings.add(`PromQL warning: quantile value should be between 0 and 1, got ${formatFloat(param!.find((q) => Number.isNaN(q) || q < 0 || q > 1)!)}`);
      }
      break;
    case 'absent_over_time': return absentOverTime(ev, m, e, g);
    default:
      throw new PromQLError(`function "${name}" is not supported by vigil's engine`, 'bad_data');
  }
  return { type: 'vector', series: overWindows(ev, m, g, fn, keepName, perSeries) };
}

function absentOverTime(ev: Evaluator, m: MatrixValue, e: Call, g: Grid): VectorValue {
  const present = new Uint8Array(g.n);
  for (const s of overWindows(ev, m, g, () => 1, false)) for (let i = 0; i < g.n; i++) present[i] |= s.present[i];
  const o = newStepSeries(absentLabels(e.args[0]), g.n);
  for (let i = 0; i < g.n; i++) if (!present[i]) { o.present[i] = 1; o.values[i] = 1; }
  return { type: 'vector', series: o.present.some((p) => p === 1) ? [o] : [] };
}
