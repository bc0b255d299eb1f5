// Binary operators: scalar/scalar, vector/scalar and vector/vector with on/ignoring,
// group_left/group_right and the set operators, matched step by step.
import type { BinaryExpr, BinaryOp, VectorMatching } from '../ast.js';
import { COMPARISON_OPS } from '../ast.js';
import { PromQLError } from './errors.js';
import type { Evaluator } from './evaluator.js';
import { formatLabels, keyOn, keyWithout, labelsKey, type Labels } from './labels.js';
import { newStepSeries, type EvalValue, type Grid, type StepSeries, type VectorValue } from './types.js';

/** Go's math.Mod: the result has the sign of x. */
function mod(x: number, y: number): number {
  return x % y;
}

/** Go's math.Pow, which differs from Math.pow where the base is ±1: 1^NaN and (-1)^±Inf are 1. */
function pow(x: number, y: number): number {
  if (x === 1 || (x === -1 && (y === Infinity || y === -Infinity))) return 1;
  return Math.pow(x, y);
}

export function arith(op: BinaryOp, l: number, r: number): number {
  switch (op) {
    case '+': return l + r;
    case '-': return l - r;
    case '*': return l * r;
    case '/': return l / r;
    case '%': return mod(l, r);
    case '^': return pow(l, r);
    case 'atan2': return Math.atan2(l, r);
    case '==': return l === r ? 1 : 0;
    case '!=': return l !== r ? 1 : 0;
    case '>': return l > r ? 1 : 0;
    case '<': return l < r ? 1 : 0;
    case '>=': return l >= r ? 1 : 0;
    case '<=': return l <= r ? 1 : 0;
    default: throw new PromQLError(`operator "${op}" not allowed for scalar operations`);
  }
}

export function evalBinary(ev: Evaluator, e: BinaryExpr, g: Grid): EvalValue {
  const l = ev.eval(e.lhs, g);
  const r = ev.eval(e.rhs, g);
  const cmp = COMPARISON_OPS.has(e.op);
  // Whether the result loses its name: arithmetic and `bool` comparisons do; Prometheus 2.x kept it for atan2.
  const drop = cmp ? e.bool : !(ev.opts.prometheus2 && e.op === 'atan2');
  if (l.type === 'scalar' && r.type === 'scalar') {
    const out = new Float64Array(g.n);
    for (let i = 0; i < g.n; i++) out[i] = arith(e.op, l.values[i], r.values[i]);
    return { type: 'scalar', values: out };
  }
  if (l.type === 'vector' && r.type === 'scalar') return vectorScalar(e, l, r.values, false, cmp, drop, g);
  if (l.type === 'scalar' && r.type === 'vector') return vectorScalar(e, r, l.values, true, cmp, drop, g);
  if (l.type !== 'vector' || r.type !== 'vector') throw new PromQLError(`binary expression must contain only scalar and instant vector types`);
  const m = e.matching ?? { card: 'one-to-one', on: false, labels: [], include: [] };
  switch (e.op) {
    case 'and': return and(l, r, m, g, false);
    case 'unless': return and(l, r, m, g, true);
    case 'or': return or(l, r, m, g);
    default: return vectorVector(e, l, r, m, cmp, drop, g);
  }
}

function vectorScalar(e: BinaryExpr, v: VectorValue, s: Float64Array, swap: boolean, cmp: boolean, drop: boolean, g: Grid): VectorValue {
  const out: StepSeries[] = [];
  for (const vs of v.series) {
    const o = newStepSeries(vs.labels, g.n, vs.dropName || drop);
    let any = false;
    for (let i = 0; i < g.n; i++) {
      if (!vs.present[i]) continue;
      const x = vs.values[i];
      const res = swap ? arith(e.op, s[i], x) : arith(e.op, x, s[i]);
      if (cmp && !e.bool) {
        if (res === 0) continue;
        o.values[i] = x;
      } else {
        o.values[i] = res;
      }
      o.present[i] = 1;
      any = true;
    }
    if (any) out.push(o);
  }
  return { type: 'vector', series: out };
}

/** The key series are matched by: the `on` labels, or all but the `ignoring` labels and the name. */
function signer(m: VectorMatching): (l: Labels) => string {
  if (m.on) {
    const names = [...m.labels].sort();
    return (l) => keyOn(l, names);
  }
  const drop = new Set([...m.labels, '__name__']);
  return (l) => keyWithout(l, drop);
}

function and(l: VectorValue, r: VectorValue, m: VectorMatching, g: Grid, unless: boolean): VectorValue {
  const sig = signer(m);
  // For each signature, at which steps the right side has a sample.
  const rightAt = new Map<string, Uint8Array>();
  for (const s of r.series) {
    const k = sig(s.labels);
    let p = rightAt.get(k);
    if (!p) rightAt.set(k, (p = new Uint8Array(g.n)));
    for (let i = 0; i < g.n; i++) p[i] |= s.present[i];
  }
  const out: StepSeries[] = [];
  for (const s of l.series) {
    const p = rightAt.get(sig(s.labels));
    const present = new Uint8Array(g.n);
    let any = false;
    for (let i = 0; i < g.n; i++) {
      const keep = s.present[i] && (unless ? !(p && p[i]) : p && p[i]);
      if (keep) { present[i] = 1; any = true; }
    }
    if (any) out.push({ ...s, present });
  }
  return { type: 'vector', series: out };
}

function or(l: VectorValue, r: VectorValue, m: VectorMatching, g: Grid): VectorValue {
  const sig = signer(m);
  const leftAt = new Map<string, Uint8Array>();
  for (const s of l.series) {
    const k = sig(s.labels);
    let p = leftAt.get(k);
    if (!p) leftAt.set(k, (p = new Uint8Array(g.n)));
    for (let i = 0; i < g.n; i++) p[i] |= s.present[i];
  }
  const out: StepSeries[] = [...l.series];
  for (const s of r.series) {
    const p = leftAt.get(sig(s.labels));
    if (!p) { out.push(s); continue; }
    const present = new Uint8Array(g.n);
    let any = false;
    for (let i = 0; i < g.n; i++) {
      if (s.present[i] && !p[i]) { present[i] = 1; any = true; }
    }
    if (any) out.push({ ...s, present });
  }
  return { type: 'vector', series: out };
}

function resultLabels(ls: StepSeries, rs: StepSeries, m: VectorMatching, dropName: boolean): Labels {
  let out: Labels;
  if (m.card === 'one-to-one') {
    if (m.on) {
      out = {};
      for (const n of m.labels) if (ls.labels[n] !== undefined && (n !== '__name__' || !dropName)) out[n] = ls.labels[n];
    } else {
      out = { ...ls.labels };
      for (const n of m.labels) delete out[n];
    }
  } else {
    out = { ...ls.labels };
  }
  for (const n of m.include) {
    const v = rs.labels[n];
    if (v !== undefined && v !== '') out[n] = v;
    else delete out[n];
  }
  return out;
}

function vectorVector(e: BinaryExpr, l: VectorValue, r: VectorValue, m: VectorMatching, cmp: boolean, drop: boolean, g: Grid): VectorValue {
  if (m.card === 'many-to-many') throw new PromQLError('many-to-many only allowed for set operators');
  const sig = signer(m);
  // The "one" side is the right one, except for group_right.
  const swap = m.card === 'one-to-many';
  const many = swap ? r.series : l.series;
  const one = swap ? l.series : r.series;
  const oneSig = one.map((s) => sig(s.labels));
  const manySig = many.map((s) => sig(s.labels));
  const oneBySig = new Map<string, number[]>();
  oneSig.forEach((k, idx) => {
    const list = oneBySig.get(k);
    if (list) list.push(idx);
    else oneBySig.set(k, [idx]);
  });
  const dropName = drop;
  const outByKey = new Map<string, StepSeries>();
  const pairOut = new Map<number, StepSeries>();
  const out: StepSeries[] = [];
  // Matching is resolved once per series; each step then only checks presence.
  const sigIds = new Map<string, number>();
  const manySigId = manySig.map((k) => {
    let id = sigIds.get(k);
    if (id === undefined) sigIds.set(k, (id = sigIds.size));
    return id;
  });
  const candidatesOf = manySig.map((k) => oneBySig.get(k));
  // For one-to-one matching: the last step at which a "many" series of each signature matched.
  const seenAt = new Int32Array(sigIds.size).fill(-1);
  for (let i = 0; i < g.n; i++) {
    for (let a = 0; a < many.length; a++) {
      const ms = many[a];
      if (!ms.present[i]) continue;
      const candidates = candidatesOf[a];
      if (!candidates) continue;
      let match = -1;
      for (const c of candidates) {
        if (!one[c].present[i]) continue;
        if (match >= 0) {
          const side = swap ? 'left' : 'right';
          throw new PromQLError(`found duplicate series for the match group ${matchGroup(one[c].labels, m)} on the ${side} hand-side of the operation: [${formatLabels(one[match].labels)}, ${formatLabels(one[c].labels)}];many-to-many matching not allowed: matching labels must be unique on one side`);
        }
        match = c;
      }
      if (match < 0) continue;
      if (m.card === 'one-to-one') {
        if (seenAt[manySigId[a]] === i) throw new PromQLError('multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)');
        seenAt[manySigId[a]] = i;
      }
      const ls = swap ? one[match] : ms;
      const rs = swap ? ms : one[match];
      const lv = ls.values[i];
      const rv = rs.values[i];
      let value = arith(e.op, lv, rv);
      if (cmp && !e.bool) {
        if (value === 0) continue;
        value = lv;
      }
      const pk = a * one.length + match;
      let o = pairOut.get(pk);
      if (!o) {
        // Result labels come from the "many" side (the left one for one-to-one).
        const base = swap ? rs : ls;
        const other = swap ? ls : rs;
        const labels = resultLabels(base, other, m, dropName);
        const key = labelsKey(labels);
        o = outByKey.get(key);
        if (!o) {
          o = newStepSeries(labels, g.n, dropName || base.dropName);
          outByKey.set(key, o);
          out.push(o);
        }
        pairOut.set(pk, o);
      }
      if (o.present[i]) {
        throw new PromQLError(m.card === 'one-to-one'
          ? 'multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)'
          : 'multiple matches for labels: grouping labels must ensure unique matches');
      }
      o.present[i] = 1;
      o.values[i] = value;
    }
  }
  return { type: 'vector', series: out };
}

function matchGroup(l: Labels, m: VectorMatching): string {
  const out: Labels = {};
  if (m.on) {
    for (const n of m.labels) if (l[n] !== undefined) out[n] = l[n];
  } else {
    for (const [k, v] of Object.entries(l)) if (k !== '__name__' && !m.labels.includes(k)) out[k] = v;
  }
  return formatLabels(out);
}
