// A runner for Prometheus' PromQL test-script language (promql/promqltest: load, clear, eval
// instant|range, expect fail|warn|info|no_warn|no_info|ordered|string|range vector), against
// vigil's engine over the embedded store. Like promqltest, an instant eval is also checked in
// range mode and with `@ <eval time>` on its selectors at other evaluation times.
import { readFileSync } from 'node:fs';
import {
  compileRegex, formatFloat, instantQuery, parseDuration, parsePromQL, rangeQuery,
  type EngineOptions, type Expr, type LabelMatcher, type QueryResult, type QueryValue, type VectorSelector,
} from '../../src/promql/index.js';
import { runInstant, runRange } from '../../src/promql/engine/index.js';
import { MemoryStore, appendSequence, parseSeriesLine, type SequenceValue } from '../../src/tsdb/index.js';

export type Outcome = { status: 'pass' } | { status: 'fail'; reason: string } | { status: 'skip'; reason: string };

export interface EvalCase {
  line: number;
  text: string;
  outcome: Outcome;
}

const EPSILON = 1e-6;
// Functions whose result moves with the evaluation time even over @-fixed arguments.
const AT_UNSAFE = new Set(['days_in_month', 'day_of_month', 'day_of_week', 'day_of_year', 'hour', 'minute', 'month', 'year', 'predict_linear', 'time', 'timestamp']);
const NATIVE_FUNCS = /\bhistogram_(count|sum|avg|stddev|stdvar|fraction)\s*\(/;

function duration(s: string): number {
  const neg = s.startsWith('-');
  const body = neg ? s.slice(1) : s;
  const ms = /^\d+$/.test(body) ? Number(body) * 1000 : parseDuration(body);
  return neg ? -ms : ms;
}

function almostEqual(a: number, b: number): boolean {
  if (Number.isNaN(a) && Number.isNaN(b)) return true;
  if (a === b) return true;
  const absSum = Math.abs(a) + Math.abs(b);
  const diff = Math.abs(a - b);
  const minNormal = 2.2250738585072014e-308;
  if (a === 0 || b === 0 || absSum < minNormal) return diff < EPSILON * minNormal;
  return diff / Math.min(absSum, Number.MAX_VALUE) < EPSILON;
}

function key(l: Record<string, string>): string {
  return JSON.stringify(Object.keys(l).sort().map((k) => [k, l[k]]));
}

interface Expectations {
  fail?: { msg?: string; regex?: RegExp };
  warn: { msg?: string; regex?: RegExp }[];
  info: { msg?: string; regex?: RegExp }[];
  noWarn: boolean;
  noInfo: boolean;
  ordered: boolean;
  string?: string;
  rangeVector?: { start: number; end: number; step: number };
  scalar?: number;
  series: { labels: Record<string, string>; values: SequenceValue[] }[];
  native: boolean;
}

interface EvalCmd {
  line: number;
  text: string;
  expr: string;
  instant: boolean;
  at: number;
  start: number;
  end: number;
  step: number;
  exp: Expectations;
}

function annotationSpec(rest: string): { msg?: string; regex?: RegExp } {
  const m = /^(msg|regex):\s?(.*)$/.exec(rest.trim());
  if (!m) return {};
  let v = m[2].trim();
  if (/^".*"$/.test(v)) v = v.slice(1, -1);
  return m[1] === 'msg' ? { msg: v } : { regex: new RegExp(v) };
}

/** Runs every eval of one script with the given engine options; returns one case per eval command. */
export function runScript(file: string, opts: EngineOptions = {}): EvalCase[] {
  const lines = readFileSync(file, 'utf8').split('\n').map((l) => (l.trim().startsWith('#') ? '' : l));
  const store = new MemoryStore();
  // Metric names whose loaded data was (or was converted to) native histograms.
  let nativeSeries: Record<string, string>[] = [];
  const cases: EvalCase[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === '') continue;
    if (line === 'clear') {
      store.clear();
      nativeSeries = [];
      continue;
    }
    const load = /^load(_with_nhcb)?\s+(\S+)$/.exec(line);
    if (load) {
      const interval = duration(load[2]);
      while (i + 1 < lines.length && lines[i + 1].trim() !== '') {
        const def = lines[++i].trim();
        // Native histogram samples become gaps; the series is remembered so evals that read it are skipped.
        const floats = def.replace(/\{\{[^}]*\}\}(?:[+-]\{\{[^}]*\}\})?(?:x(\d+))?/g, (_m, n?: string) => (n ? `_x${Number(n) + 1}` : '_'));
        const { labels, values } = parseSeriesLine(floats);
        if (floats !== def) nativeSeries.push(labels);
        // load_with_nhcb also loads each classic histogram as a native one named without _bucket.
        if (load[1] && labels.__name__?.endsWith('_bucket')) {
          const nhcb: Record<string, string> = { ...labels, __name__: labels.__name__.replace(/_bucket$/, '') };
          delete nhcb.le;
          nativeSeries.push(nhcb);
        }
        appendSequence(store, labels, values, { startMs: 0, intervalMs: interval });
      }
      continue;
    }
    if (line.startsWith('eval')) {
      const cmd = parseEval(lines, i);
      i = cmd.last;
      cases.push({ line: cmd.cmd.line, text: line, outcome: runEval(store, cmd.cmd, nativeSeries, opts) });
      continue;
    }
    throw new Error(`${file}:${i + 1}: unknown command "${line}"`);
  }
  return cases;
}

function parseEval(lines: string[], at: number): { cmd: EvalCmd; last: number } {
  const text = lines[at].trim();
  const inst = /^eval(?:_(fail|warn|info|ordered))?\s+instant\s+at\s+(\S+)\s+(.+)$/.exec(text);
  const range = /^eval(?:_(fail|warn|info))?\s+range\s+from\s+(\S+)\s+to\s+(\S+)\s+step\s+(\S+)\s+(.+)$/.exec(text);
  if (!inst && !range) throw new Error(`line ${at + 1}: cannot read "${text}"`);
  const exp: Expectations = { warn: [], info: [], noWarn: false, noInfo: false, ordered: false, series: [], native: false };
  const variant = (inst ?? range)![1];
  if (variant === 'fail') exp.fail = {};
  if (variant === 'warn') exp.warn.push({});
  if (variant === 'info') exp.info.push({});
  if (variant === 'ordered') exp.ordered = true;
  const cmd: EvalCmd = inst
    ? { line: at + 1, text, expr: inst[3], instant: true, at: duration(inst[2]), start: 0, end: 0, step: 0, exp }
    : { line: at + 1, text, expr: range![5], instant: false, at: 0, start: duration(range![2]), end: duration(range![3]), step: duration(range![4]), exp };
  let i = at;
  while (i + 1 < lines.length && lines[i + 1].trim() !== '') {
    const def = lines[++i].trim();
    let m: RegExpExecArray | null;
    if ((m = /^expect\s+(fail|warn|info)\b(.*)$/.exec(def))) {
      const spec = annotationSpec(m[2]);
      if (m[1] === 'fail') exp.fail = spec;
      else exp[m[1] as 'warn' | 'info'].push(spec);
    } else if (/^expect\s+no_warn$/.test(def)) exp.noWarn = true;
    else if (/^expect\s+no_info$/.test(def)) exp.noInfo = true;
    else if (/^expect\s+ordered$/.test(def)) exp.ordered = true;
    else if ((m = /^expect\s+string\s+(.*)$/.exec(def))) exp.string = m[1].trim().replace(/^["`](.*)["`]$/, '$1');
    else if ((m = /^expect\s+range\s+vector\s+from\s+(\S+)\s+to\s+(\S+)\s+step\s+(\S+)$/.exec(def))) {
      exp.rangeVector = { start: duration(m[1]), end: duration(m[2]), step: duration(m[3]) };
    } else if ((m = /^expected_fail_message\s+(.*)$/.exec(def))) exp.fail = { msg: m[1] };
    else if ((m = /^expected_fail_regexp\s+(.*)$/.exec(def))) exp.fail = { regex: new RegExp(m[1]) };
    else if (def.includes('{{')) exp.native = true;
    else if (/^[-+]?(\d|\.\d|inf|nan)/i.test(def) && !/\s/.test(def)) exp.scalar = Number(def.replace(/^([+-]?)inf$/i, '$1Infinity').replace(/^nan$/i, 'NaN'));
    else exp.series.push(parseSeriesLine(def, { requireName: false }));
  }
  return { cmd, last: i };
}

function skipReason(cmd: EvalCmd, nativeSeries: Record<string, string>[]): string | undefined {
  if (cmd.exp.native) return 'native histograms: the expected result holds native histogram samples';
  if (NATIVE_FUNCS.test(cmd.expr)) return 'native histograms: the query calls a function that reads only native histograms';
  const ast = parsePromQL(cmd.expr).ast;
  if (ast) {
    for (const vs of selectors(ast)) {
      const hit = nativeSeries.find((l) => vs.matchers.every((m) => matches(m, l[m.name] ?? '')));
      if (hit) return `native histograms: the query selects ${hit.__name__}, which holds native histogram samples`;
    }
  }
  const parsed = parsePromQL(cmd.expr);
  const experimental = parsed.diagnostics.find((d) => /experimental|feature|--enable-feature/i.test(d.message));
  if (experimental) return `experimental feature: ${experimental.message}`;
  if (parsed.ast && hasExperimental(parsed.ast)) return 'experimental feature: an experimental function or aggregation';
  return undefined;
}

function hasExperimental(e: Expr): boolean {
  switch (e.type) {
    case 'Call': return !!e.experimental || e.args.some(hasExperimental);
    case 'AggregateExpr': return !!e.experimental || hasExperimental(e.expr) || (e.param ? hasExperimental(e.param) : false);
    case 'BinaryExpr': return hasExperimental(e.lhs) || hasExperimental(e.rhs);
    case 'ParenExpr': case 'UnaryExpr': case 'SubqueryExpr': return hasExperimental(e.expr);
    default: return false;
  }
}

function runEval(store: MemoryStore, cmd: EvalCmd, nativeSeries: Record<string, string>[], opts: EngineOptions): Outcome {
  const skip = skipReason(cmd, nativeSeries);
  if (skip) return { status: 'skip', reason: skip };
  try {
    if (!cmd.instant) {
      const problem = check(cmd, () => rangeQuery(store, cmd.expr, cmd.start, cmd.end, cmd.step, opts));
      return problem ? { status: 'fail', reason: problem } : { status: 'pass' };
    }
    const first = check(cmd, () => instantQuery(store, cmd.expr, cmd.at, opts));
    if (first) return { status: 'fail', reason: first };
    // promqltest's extra checks: the same result in range mode, and with @ fixed at other times.
    if (!cmd.exp.fail) {
      const r = rangeMode(store, cmd, opts);
      if (r) return { status: 'fail', reason: `range mode: ${r}` };
    }
    const ast = parsePromQL(cmd.expr).ast;
    if (ast && !containsAtUnsafe(ast)) {
      const fixed = withAt(structuredClone(ast), cmd.at);
      const times = cmd.at === 0 ? [-1000000, 0, 1000000] : [-10 * cmd.at, 0, cmd.at / 5, cmd.at, 10 * cmd.at];
      for (const t of times) {
        const p = check(cmd, () => runInstant(store, fixed, t, opts));
        if (p) return { status: 'fail', reason: `with @ ${cmd.at / 1000} at eval time ${t / 1000}: ${p}` };
      }
    }
    return { status: 'pass' };
  } catch (err) {
    return { status: 'fail', reason: `runner: ${(err as Error).stack}` };
  }
}

function selectors(e: Expr): VectorSelector[] {
  switch (e.type) {
    case 'VectorSelector': return [e];
    case 'MatrixSelector': return [e.vectorSelector];
    case 'Call': return e.args.flatMap(selectors);
    case 'AggregateExpr': return [...selectors(e.expr), ...(e.param ? selectors(e.param) : [])];
    case 'BinaryExpr': return [...selectors(e.lhs), ...selectors(e.rhs)];
    case 'ParenExpr': case 'UnaryExpr': case 'SubqueryExpr': return selectors(e.expr);
    default: return [];
  }
}

function matches(m: LabelMatcher, v: string): boolean {
  switch (m.op) {
    case '=': return v === m.value;
    case '!=': return v !== m.value;
    case '=~': return compileRegex(m.value).test(v);
    case '!~': return !compileRegex(m.value).test(v);
  }
}

function containsAtUnsafe(e: Expr): boolean {
  switch (e.type) {
    case 'Call': return AT_UNSAFE.has(e.func) || e.args.some(containsAtUnsafe);
    case 'AggregateExpr': return containsAtUnsafe(e.expr) || (e.param ? containsAtUnsafe(e.param) : false);
    case 'BinaryExpr': return containsAtUnsafe(e.lhs) || containsAtUnsafe(e.rhs);
    case 'ParenExpr': case 'UnaryExpr': case 'SubqueryExpr': return containsAtUnsafe(e.expr);
    default: return false;
  }
}

/** Sets `@ t` on every selector and subquery that has none; what is inside a subquery is left alone. */
function withAt(e: Expr, t: number): Expr {
  switch (e.type) {
    case 'VectorSelector': if (e.at === undefined) e.at = t; break;
    case 'MatrixSelector': if (e.vectorSelector.at === undefined) e.vectorSelector.at = t; break;
    case 'SubqueryExpr': if (e.at === undefined) e.at = t; break;
    case 'Call': e.args.forEach((a) => withAt(a, t)); break;
    case 'AggregateExpr': withAt(e.expr, t); if (e.param) withAt(e.param, t); break;
    case 'BinaryExpr': withAt(e.lhs, t); withAt(e.rhs, t); break;
    case 'ParenExpr': case 'UnaryExpr': withAt(e.expr, t); break;
    default: break;
  }
  return e;
}

function rangeMode(store: MemoryStore, cmd: EvalCmd, opts: EngineOptions): string | undefined {
  const ast = parsePromQL(cmd.expr).ast!;
  let res: QueryResult;
  const inst = instantQuery(store, cmd.expr, cmd.at, opts);
  if (inst.value.type === 'matrix' || inst.value.type === 'string') return undefined;
  try {
    res = runRange(store, ast, cmd.at - 60000, cmd.at + 60000, 60000, opts);
  } catch (err) {
    return `error: ${(err as Error).message}`;
  }
  if (cmd.exp.ordered || res.value.type !== 'matrix') return undefined;
  const samples = res.value.series.flatMap((s) => {
    const i = Array.from(s.timestamps).indexOf(cmd.at);
    return i >= 0 ? [{ labels: s.labels, value: s.values[i] }] : [];
  });
  const v: QueryValue = inst.value.type === 'scalar'
    ? { type: 'scalar', value: samples[0]?.value ?? NaN, timestampMs: cmd.at }
    : { type: 'vector', samples, timestampMs: cmd.at };
  return compare(cmd, v);
}

function matchAnn(list: string[], spec: { msg?: string; regex?: RegExp }): boolean {
  return list.some((a) => (spec.msg !== undefined ? a === spec.msg : spec.regex ? spec.regex.test(a) : true));
}

/** Runs the query and checks error, annotations and result; returns what is wrong, if anything. */
function check(cmd: EvalCmd, run: () => QueryResult): string | undefined {
  let res: QueryResult;
  try {
    res = run();
  } catch (err) {
    const msg = (err as Error).message;
    if (!cmd.exp.fail) return `unexpected error: ${msg}`;
    const f = cmd.exp.fail;
    if (f.msg !== undefined && f.msg !== msg) return `expected error "${f.msg}", got "${msg}"`;
    if (f.regex && !f.regex.test(msg)) return `expected error matching ${f.regex}, got "${msg}"`;
    return undefined;
  }
  if (cmd.exp.fail) return 'expected an error, got none';
  const e = cmd.exp;
  for (const [kind, want, got, none] of [['warn', e.warn, res.warnings, e.noWarn], ['info', e.info, res.infos, e.noInfo]] as const) {
    for (const spec of want) if (!matchAnn(got, spec)) return `expected ${kind} ${spec.msg ?? spec.regex ?? ''}, got ${JSON.stringify(got)}`;
    if (want.length > 0 && want.some((s) => s.msg !== undefined || s.regex)) {
      for (const a of got) if (!want.some((s) => matchAnn([a], s))) return `unexpected ${kind} "${a}"`;
    }
    if (none && got.length > 0) return `expected no ${kind}, got ${JSON.stringify(got)}`;
  }
  return compare(cmd, res.value);
}

function showLabels(l: Record<string, string>): string {
  return `{${Object.keys(l).sort().map((k) => `${k}="${l[k]}"`).join(', ')}}`;
}

function compare(cmd: EvalCmd, v: QueryValue): string | undefined {
  const e = cmd.exp;
  if (e.string !== undefined) {
    if (v.type !== 'string') return `expected string, got ${v.type}`;
    return v.value === e.string ? undefined : `expected string "${e.string}", got "${v.value}"`;
  }
  if (e.scalar !== undefined) {
    if (v.type !== 'scalar') return `expected scalar ${e.scalar}, got ${v.type}`;
    return almostEqual(e.scalar, v.value) ? undefined : `expected scalar ${e.scalar}, got ${formatFloat(v.value)}`;
  }
  const expected = new Map(e.series.map((s, i) => [key(s.labels), { ...s, pos: i }]));
  if (expected.size !== e.series.length) return 'runner: duplicate expected series';
  if (v.type === 'scalar') return `expected a vector, got scalar ${formatFloat(v.value)}`;
  if (v.type === 'string') return `expected a vector, got string`;
  if (v.type === 'vector') {
    if (!cmd.instant) return 'range query returned a vector';
    if (v.samples.length !== expected.size) {
      return `expected ${expected.size} samples, got ${v.samples.length}: ${v.samples.map((s) => `${showLabels(s.labels)} ${formatFloat(s.value)}`).join('; ')}`;
    }
    for (const [pos, s] of v.samples.entries()) {
      const x = expected.get(key(s.labels));
      if (!x) return `unexpected sample ${showLabels(s.labels)} ${formatFloat(s.value)}`;
      const want = x.values[0];
      if (!want || want.omitted) return `unexpected sample ${showLabels(s.labels)}`;
      if (!almostEqual(want.value, s.value)) return `${showLabels(s.labels)}: expected ${want.value}, got ${formatFloat(s.value)}`;
      if (e.ordered && x.pos !== pos) return `${showLabels(s.labels)}: expected at position ${x.pos}, got ${pos}`;
    }
    return undefined;
  }
  // matrix: a range query, or an instant query of a range vector.
  if (v.series.length !== expected.size) {
    return `expected ${expected.size} series, got ${v.series.length}: ${v.series.map((s) => showLabels(s.labels)).join('; ')}`;
  }
  const start = cmd.instant ? e.rangeVector?.start ?? 0 : cmd.start;
  const step = cmd.instant ? e.rangeVector?.step ?? 0 : cmd.step;
  for (const s of v.series) {
    const x = expected.get(key(s.labels));
    if (!x) return `unexpected series ${showLabels(s.labels)}`;
    const want: [number, number][] = [];
    x.values.forEach((p, i) => { if (!p.omitted) want.push([start + i * step, p.value]); });
    const got = Array.from(s.timestamps, (t, i) => [t, s.values[i]] as [number, number]);
    const show = () => `${showLabels(s.labels)}: expected ${want.map(([t, y]) => `${y}@${t / 1000}`).join(' ')}, got ${got.map(([t, y]) => `${formatFloat(y)}@${t / 1000}`).join(' ')}`;
    if (want.length !== got.length) return show();
    for (let i = 0; i < want.length; i++) {
      if (want[i][0] !== got[i][0] || !almostEqual(want[i][1], got[i][1])) return show();
    }
  }
  return undefined;
}
