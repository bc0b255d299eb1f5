// Aggregation operators, grouped by `by`/`without`, computed step by step over typed arrays.
import type { AggregateExpr } from '../ast.js';
import { PromQLError } from './errors.js';
import type { Evaluator } from './evaluator.js';
import { formatFloat } from './format.js';
import { keyOn, keyWithout, type Labels } from './labels.js';
import { kahanAdd, mean, quantile } from './mathfn.js';
import { newStepSeries, type EvalValue, type Grid, type StepSeries } from './types.js';

function groupLabels(l: Labels, e: AggregateExpr): Labels {
  const out: Labels = {};
  if (e.without) {
    for (const [k, v] of Object.entries(l)) if (k !== '__name__' && !e.grouping.includes(k)) out[k] = v;
  } else {
    for (const n of e.grouping) if (l[n] !== undefined && l[n] !== '') out[n] = l[n];
  }
  return out;
}

interface Group {
  labels: Labels;
  members: number[];
}

export function evalAggregate(ev: Evaluator, e: AggregateExpr, g: Grid): EvalValue {
  if (e.experimental) throw new PromQLError(`${e.op}() is experimental and not supported (Prometheus' promql-experimental-functions feature)`, 'bad_data');
  let param: Float64Array | undefined;
  let label = '';
  if (e.op === 'count_values') {
    const p = ev.eval(e.param!, g);
    if (p.type !== 'string') throw new PromQLError('expected string parameter');
    label = p.value;
    if (!/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(label)) throw new PromQLError(`invalid label name "${label}"`);
  } else if (e.param) {
    param = ev.evalScalar(e.param, g);
  }
  const input = ev.evalVector(e.expr, g).series;
  const groups: Group[] = [];
  const byKey = new Map<string, Group>();
  const byNames = e.without ? undefined : [...e.grouping].sort();
  const drop = new Set([...e.grouping, '__name__']);
  input.forEach((s, idx) => {
    // Grouping sees names that a function dropped only in name: by(__name__) after rate() groups them as one.
    const labels = s.dropName && !e.without && e.grouping.includes('__name__') ? { ...s.labels, __name__: '' } : s.labels;
    const k = byNames ? keyOn(labels, byNames) : keyWithout(labels, drop);
    let grp = byKey.get(k);
    if (!grp) {
      byKey.set(k, (grp = { labels: groupLabels(labels, e), members: [] }));
      groups.push(grp);
    }
    grp.members.push(idx);
  });
  switch (e.op) {
    case 'topk':
    case 'bottomk':
      return { type: 'vector', series: topk(ev, input, groups, param!, e.op === 'bottomk', g) };
    case 'count_values':
      return { type: 'vector', series: countValues(input, groups, label, g) };
    case 'quantile': {
      const out: StepSeries[] = [];
      const buf: number[] = [];
      for (const grp of groups) {
        const o = newStepSeries(grp.labels, g.n);
        for (let i = 0; i < g.n; i++) {
          buf.length = 0;
          for (const m of grp.members) if (input[m].present[i]) buf.push(input[m].values[i]);
          if (buf.length === 0) continue;
          o.present[i] = 1;
          o.values[i] = quantile(param![i], buf);
        }
        out.push(o);
      }
      if (param!.some((q) => Number.isNaN(q) || q < 0 || q > 1)) ev.warnings.add(`PromQL warning: quantile value should be between 0 and 1, got ${formatFloat(param!.find((q) => Number.isNaN(q) || q < 0 || q > 1)!)}`);
      return { type: 'vector', series: out };
    }
    default:
      return { type: 'vector', series: groups.map((grp) => simple(e.op, input, grp, g, ev.opts.prometheus2)) };
  }
}

function simple(op: string, input: StepSeries[], grp: Group, g: Grid, v2: boolean): StepSeries {
  const o = newStepSeries(grp.labels, g.n);
  if (op === 'sum' || op === 'count' || op === 'group') return sumLike(op, input, grp, o, g);
  const buf: number[] = [];
  for (let i = 0; i < g.n; i++) {
    buf.length = 0;
    for (const m of grp.members) if (input[m].present[i]) buf.push(input[m].values[i]);
    const cnt = buf.length;
    if (cnt === 0) continue;
    o.present[i] = 1;
    o.values[i] = reduce(op, buf, v2);
  }
  return o;
}

/** sum, count and group without a buffer: the aggregations rules use most. */
function sumLike(op: string, input: StepSeries[], grp: Group, o: StepSeries, g: Grid): StepSeries {
  const members = grp.members.map((m) => input[m]);
  for (let i = 0; i < g.n; i++) {
    let cnt = 0;
    let sum = 0;
    let c = 0;
    for (const s of members) {
      if (!s.present[i]) continue;
      cnt++;
      if (op !== 'sum') continue;
      // Kahan–Babuška step, inline (see kahanAdd).
      const x = s.values[i];
      const t = sum + x;
      if (t === Infinity || t === -Infinity) c = 0;
      else if (Math.abs(sum) >= Math.abs(x)) c += (sum - t) + x;
      else c += (x - t) + sum;
      sum = t;
    }
    if (cnt === 0) continue;
    o.present[i] = 1;
    o.values[i] = op === 'sum' ? sum + c : op === 'count' ? cnt : 1;
  }
  return o;
}

function reduce(op: string, v: number[], v2: boolean): number {
  const cnt = v.length;
  switch (op) {
    case 'sum': {
      let sum = 0;
      let c = 0;
      for (const x of v) [sum, c] = kahanAdd(x, sum, c);
      return sum + c;
    }
    case 'avg': return mean(v, 0, cnt);
    case 'count': return cnt;
    case 'group': return 1;
    case 'min':
    case 'max': {
      let r = v[0];
      for (let k = 1; k < cnt; k++) {
        if (op === 'min' ? v[k] < r || Number.isNaN(r) : v[k] > r || Number.isNaN(r)) r = v[k];
      }
      return r;
    }
    case 'stddev':
    case 'stdvar': {
      // Prometheus 3 makes one ±Inf or NaN sample deviate by NaN; 2.x seeded the mean with it, giving 0.
      let m = v2 ? v[0] : 0;
      let acc = 0;
      for (let k = v2 ? 1 : 0; k < cnt; k++) {
        const d = v[k] - m;
        m += d / (k + 1);
        acc += d * (v[k] - m);
      }
      return op === 'stdvar' ? acc / cnt : Math.sqrt(acc / cnt);
    }
    default: throw new PromQLError(`unsupported aggregation ${op}`);
  }
}

function topk(ev: Evaluator, input: StepSeries[], groups: Group[], k: Float64Array, bottom: boolean, g: Grid): StepSeries[] {
  const present = input.map(() => new Uint8Array(g.n));
  const heap: number[] = [];
  // Prometheus' heap order: NaN sorts lowest for topk and highest for bottomk.
  const better = (a: number, b: number) => {
    const x = input[a].values[idx];
    const y = input[b].values[idx];
    if (bottom) return x < y || (Number.isNaN(y) && !Number.isNaN(x));
    return x > y || (Number.isNaN(y) && !Number.isNaN(x));
  };
  // The heap's order: the root is the series most likely to be dropped.
  const worse = (a: number, b: number) => better(b, a);
  let idx = 0;
  for (let i = 0; i < g.n; i++) {
    const kv = k[i];
    if (!Number.isFinite(kv) && !Number.isNaN(kv) || Math.abs(kv) >= 2 ** 63) throw new PromQLError(`Scalar value ${formatFloat(kv)} overflows int64`);
    if (Number.isNaN(kv)) throw new PromQLError(`Parameter value is NaN`);
    const kk = Math.trunc(kv);
    if (kk < 1) continue;
    idx = i;
    for (const grp of groups) {
      // Prometheus' own heap of k, fed in input order: which of several equal values survive is its choice.
      heap.length = 0;
      for (const m of grp.members) {
        if (!input[m].present[i]) continue;
        if (heap.length < kk) {
          heap.push(m);
          heapUp(heap, heap.length - 1, worse);
        } else if (worse(heap[0], m)) {
          heap[0] = m;
          if (kk > 1) heapDown(heap, 0, worse);
        }
      }
      for (const m of heap) present[m][i] = 1;
    }
  }
  void ev;
  let chosen = input.map((_, m) => m).filter((m) => present[m].some((p) => p === 1));
  if (g.n === 1) {
    // An instant query lists each group's winners best first, groups in order of appearance.
    idx = 0;
    chosen = groups.flatMap((grp) => grp.members.filter((m) => present[m][0]).sort((a, b) => (better(a, b) ? -1 : better(b, a) ? 1 : 0)));
  }
  const out = chosen.map((m) => ({ ...input[m], present: present[m] }));
  return out;
}

/** container/heap's up and down, as Go writes them, so ties resolve as in Prometheus. */
function heapUp(h: number[], j: number, less: (a: number, b: number) => boolean): void {
  while (j > 0) {
    const i = (j - 1) >> 1;
    if (!less(h[j], h[i])) break;
    [h[i], h[j]] = [h[j], h[i]];
    j = i;
  }
}

function heapDown(h: number[], i: number, less: (a: number, b: number) => boolean): void {
  const n = h.length;
  for (;;) {
    const j1 = 2 * i + 1;
    if (j1 >= n) break;
    let j = j1;
    if (j1 + 1 < n && less(h[j1 + 1], h[j1])) j = j1 + 1;
    if (!less(h[j], h[i])) break;
    [h[i], h[j]] = [h[j], h[i]];
    i = j;
  }
}

function countValues(input: StepSeries[], groups: Group[], label: string, g: Grid): StepSeries[] {
  const out: StepSeries[] = [];
  for (const grp of groups) {
    const byValue = new Map<string, StepSeries>();
    for (let i = 0; i < g.n; i++) {
      for (const m of grp.members) {
        if (!input[m].present[i]) continue;
        const v = formatFloat(input[m].values[i]);
        let o = byValue.get(v);
        if (!o) {
          o = newStepSeries({ ...grp.labels, [label]: v }, g.n);
          byValue.set(v, o);
          out.push(o);
        }
        o.present[i] = 1;
        o.values[i]++;
      }
    }
  }
  return out;
}
