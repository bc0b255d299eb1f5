/**
 * The function maps: Go's text/template builtins (funcs.go) and Prometheus'
 * template functions (template/template.go, with prometheus/common's
 * humanizeDuration and humanizeTimestamp), with Go's signatures and errors.
 */
import { isIP } from 'node:net';
import { NeedQuery, type Env, type FuncDef } from './exec.js';
import { sprint, sprintf, sprintln } from './fmt.js';
import { DURATION, DURATION_PTR, GoTime, TIME_PTR } from './gotime.js';
import { matchString, mustCompile, compile, replaceAllString } from './regexp.js';
import { formatFloat, isPrint, quote } from './strconv.js';
import {
  ANY,
  FuncError,
  GoMap,
  GoNamed,
  GoNil,
  GoPtr,
  GoSlice,
  GoStruct,
  HTML,
  MAP_STRING_ANY,
  MAP_STRING_STRING,
  REFLECT_VALUE,
  STRING,
  compareGoStrings,
  intValue,
  isNilValue,
  isTrue,
  ptrTo,
  sliceOf,
  stringValue,
  typeOf,
  byteLength,
  type GoType,
  type Value,
} from './types.js';

// ---- Prometheus data types ----

export const SAMPLE: GoType = {
  name: 'template.sample',
  kind: 'struct',
  comparable: false,
  fields: [
    { name: 'Labels', type: MAP_STRING_STRING },
    { name: 'Value', type: ANY },
  ],
};
export const SAMPLE_PTR = ptrTo(SAMPLE);
export const QUERY_RESULT = sliceOf(SAMPLE_PTR, 'template.queryResult');

export const ALERT_DATA: GoType = {
  name: 'struct { Labels map[string]string; ExternalLabels map[string]string; ExternalURL string; Value interface {} }',
  kind: 'struct',
  comparable: false,
  fields: [
    { name: 'Labels', type: MAP_STRING_STRING },
    { name: 'ExternalLabels', type: MAP_STRING_STRING },
    { name: 'ExternalURL', type: STRING },
    { name: 'Value', type: ANY },
  ],
};

export function queryResult(samples: readonly { metric: Record<string, string>; value: number }[]): GoSlice {
  return new GoSlice(
    QUERY_RESULT,
    samples.map((s) => new GoPtr(SAMPLE_PTR, new GoStruct(SAMPLE, { Labels: new GoMap(MAP_STRING_STRING, s.metric), Value: s.value }))),
  );
}

// ---- helpers ----

const NIL_DEREF = 'runtime error: invalid memory address or nil pointer dereference';

function typeNameOf(v: Value): string {
  return v === undefined || v === null ? '<nil>' : typeOf(v)!.name;
}

/** strconv.ParseFloat(s, 64) with Go's syntax and errors. */
export function parseFloat64(s: string): number {
  const err = (why: string) => new FuncError(`strconv.ParseFloat: parsing ${quote(s)}: ${why}`);
  let t = s;
  let sign = 1;
  if (t[0] === '+' || t[0] === '-') {
    if (t[0] === '-') sign = -1;
    t = t.slice(1);
  }
  const lower = t.toLowerCase();
  if (lower === 'inf' || lower === 'infinity') return sign * Infinity;
  if (lower === 'nan' && t.length === s.length) return NaN;
  let v: number;
  const hex = /^0[xX]([0-9a-fA-F_]*)(?:\.([0-9a-fA-F_]*))?[pP]([+-]?[0-9_]+)$/.exec(t);
  if (hex) {
    const i = hex[1]!.replace(/_/g, '');
    const f = (hex[2] ?? '').replace(/_/g, '');
    if (i.length + f.length === 0) throw err('invalid syntax');
    v = Number(BigInt('0x' + (i + f || '0'))) * 2 ** (Number(hex[3]!.replace(/_/g, '')) - 4 * f.length);
  } else if (/^([0-9_]+\.?[0-9_]*|\.[0-9_]+)([eE][+-]?[0-9_]+)?$/.test(t) && /[0-9]/.test(t)) {
    if (t.includes('_') && (/__|^_|_$|_\.|\._|_[eE]|[eE][+-]?_/.test(t))) throw err('invalid syntax');
    v = Number(t.replace(/_/g, ''));
  } else {
    throw err('invalid syntax');
  }
  if (!Number.isFinite(v)) throw err('value out of range');
  return sign * v;
}

function goQuote(s: string): string {
  return quote(s);
}

/** prometheus/common's ConvertToFloat. */
function convertToFloat(v: Value): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string') return parseFloat64(v);
  if (typeof v === 'bigint') return Number(v);
  if (v instanceof GoNamed) {
    if (v.type === DURATION) {
      const d = v.v as bigint;
      return Number(d / 1_000_000_000n) + Number(d % 1_000_000_000n) / 1e9;
    }
    if (v.type.name === 'int64' || v.type.name === 'uint64' || v.type.name === 'uint') return Number(v.v as bigint);
  }
  throw new FuncError(`can't convert ${typeNameOf(v)} to float`);
}

const g4 = (v: number) => formatFloat(v, 'g', 4);

function humanize(v: number): string {
  if (v === 0 || Number.isNaN(v) || !Number.isFinite(v)) return g4(v);
  if (Math.abs(v) >= 1) {
    let prefix = '';
    for (const p of ['k', 'M', 'G', 'T', 'P', 'E', 'Z', 'Y']) {
      if (Math.abs(v) < 1000) break;
      prefix = p;
      v /= 1000;
    }
    return g4(v) + prefix;
  }
  let prefix = '';
  for (const p of ['m', 'u', 'n', 'p', 'f', 'a', 'z', 'y']) {
    if (Math.abs(v) >= 1) break;
    prefix = p;
    v *= 1000;
  }
  return g4(v) + prefix;
}

function humanize1024(v: number): string {
  if (Math.abs(v) <= 1 || Number.isNaN(v) || !Number.isFinite(v)) return g4(v);
  let prefix = '';
  for (const p of ['ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei', 'Zi', 'Yi']) {
    if (Math.abs(v) < 1024) break;
    prefix = p;
    v /= 1024;
  }
  return g4(v) + prefix;
}

/** Go's int64(f) on amd64: truncation, and the "integer indefinite" value when out of range. */
function toInt64(f: number): bigint {
  if (Number.isNaN(f) || f >= 2 ** 63 || f < -(2 ** 63)) return -(1n << 63n);
  return BigInt(Math.trunc(f));
}

function humanizeDuration(v: number): string {
  if (Number.isNaN(v) || !Number.isFinite(v)) return g4(v);
  if (v === 0) return g4(v) + 's';
  if (Math.abs(v) >= 1) {
    let sign = '';
    if (v < 0) {
      sign = '-';
      v = -v;
    }
    const d = toInt64(v);
    const seconds = d % 60n;
    const minutes = (d / 60n) % 60n;
    const hours = (d / 60n / 60n) % 24n;
    const days = d / 60n / 60n / 24n;
    if (days !== 0n) return `${sign}${days}d ${hours}h ${minutes}m ${seconds}s`;
    if (hours !== 0n) return `${sign}${hours}h ${minutes}m ${seconds}s`;
    if (minutes !== 0n) return `${sign}${minutes}m ${seconds}s`;
    return `${sign}${g4(v)}s`;
  }
  let prefix = '';
  for (const p of ['m', 'u', 'n', 'p', 'f', 'a', 'z', 'y']) {
    if (Math.abs(v) >= 1) break;
    prefix = p;
    v *= 1000;
  }
  return `${g4(v)}${prefix}s`;
}

/** prometheus/common's FloatToTime: seconds to a time with millisecond precision, truncated as Go does. */
function floatToTime(v: number): GoTime {
  if (Number.isNaN(v) || !Number.isFinite(v)) throw new NaNOrInf();
  const ts = v * 1e9;
  if (ts > 2 ** 63 || ts < -(2 ** 63)) throw new FuncError(`${formatFloat(v, 'g', -1)} cannot be represented as a nanoseconds timestamp since it overflows int64`);
  const ns = toInt64(ts);
  const ms = ns / 1_000_000n; // model.TimeFromUnixNano truncates toward zero
  return new GoTime(ms * 1_000_000n);
}

class NaNOrInf extends FuncError {
  constructor() {
    super('value is NaN or Inf');
  }
}

/** net.SplitHostPort. */
function splitHostPort(hostport: string): [string, string] | undefined {
  const i = hostport.lastIndexOf(':');
  if (i < 0) return undefined;
  let host: string;
  let j = 0;
  let k = 0;
  if (hostport[0] === '[') {
    const end = hostport.indexOf(']');
    if (end < 0) return undefined;
    if (end + 1 === hostport.length) return undefined;
    if (end + 1 !== i) return undefined;
    host = hostport.slice(1, end);
    j = 1;
    k = end + 1;
  } else {
    host = hostport.slice(0, i);
    if (host.includes(':')) return undefined;
  }
  if (hostport.indexOf('[', j) >= 0) return undefined;
  if (hostport.indexOf(']', k) >= 0) return undefined;
  return [host, hostport.slice(i + 1)];
}

/** net.ParseIP(s) != nil (no zones). */
function isIPAddress(s: string): boolean {
  return !s.includes('%') && isIP(s) !== 0;
}

/** url.QueryEscape. */
export function queryEscape(s: string): string {
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(b);
    if (/[A-Za-z0-9\-_.~]/.test(c)) out += c;
    else if (b === 0x20) out += '+';
    else out += '%' + b.toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}

/** template.HTMLEscapeString. */
function htmlEscape(s: string): string {
  if (!/['"&<>\u0000]/.test(s)) return s;
  return s.replace(/['"&<>\u0000]/g, (c) => ({ "'": '&#39;', '"': '&#34;', '&': '&amp;', '<': '&lt;', '>': '&gt;', '\u0000': '\uFFFD' })[c]!);
}

/** template.JSEscapeString. */
function jsEscape(s: string): string {
  let out = '';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    switch (ch) {
      case '\\':
        out += '\\\\';
        continue;
      case "'":
        out += "\\'";
        continue;
      case '"':
        out += '\\"';
        continue;
      case '<':
        out += '\\u003C';
        continue;
      case '>':
        out += '\\u003E';
        continue;
      case '&':
        out += '\\u0026';
        continue;
      case '=':
        out += '\\u003D';
        continue;
    }
    if (c < 0x20) out += '\\u00' + c.toString(16).toUpperCase().padStart(2, '0');
    else if (c < 0x80 || isPrint(c)) out += ch;
    else out += '\\u' + c.toString(16).toUpperCase().padStart(4, '0');
  }
  return out;
}

/** The textual representation of builtin escaper arguments (evalArgs). */
function evalArgs(args: Value[]): string {
  if (args.length === 1 && typeof args[0] === 'string') return args[0];
  return sprint(args.map((a) => (a instanceof GoPtr ? derefAll(a) : a)));
}

function derefAll(v: Value): Value {
  while (v instanceof GoPtr) v = v.target;
  return v;
}

function indirect(v: Value): [Value, boolean] {
  while (v instanceof GoPtr) v = v.target;
  return [v, v instanceof GoNil && v.type.kind === 'ptr'];
}

/**
 * strings.ToUpper / ToLower: per-rune simple case mapping. JS applies the
 * special (multi-rune) mappings; where it does, Go's simple mapping is the
 * rune itself for upper case (ß stays ß) and the first rune for lower case (İ → i).
 */
function mapRunes(s: string, upper: boolean): string {
  let out = '';
  for (const ch of s) {
    const m = upper ? ch.toUpperCase() : ch.toLowerCase();
    if (m.length === ch.length || [...m].length === 1) out += m;
    else out += upper ? ch : String.fromCodePoint(m.codePointAt(0)!);
  }
  return out;
}

const casedRe = /^\p{Cased}$/u;
const wordRe = /^[\p{L}\p{M}\p{Nd}\p{Pc}\p{Cf}]$/u;
const midRe = /^['.:\u00B7\u2018\u2019\u2024\uFE13\uFE52\uFE55\uFF07\uFF0E\uFF1A\u05F4\u0387]$/u;

/** cases.Title(language.AmericanEnglish, cases.NoLower): upper-cases the first cased letter of each word. */
function title(s: string): string {
  let out = '';
  let midWord = false;
  let prevMid = false;
  for (const ch of s) {
    const mid = midRe.test(ch);
    if (prevMid && mid) midWord = false;
    if (casedRe.test(ch)) {
      if (!midWord) {
        const t = ch.toUpperCase();
        out += [...t].length === 1 ? t : ch;
        midWord = true;
      } else {
        out += ch;
      }
    } else {
      out += ch;
      if (!mid && !wordRe.test(ch)) midWord = false;
    }
    prevMid = mid;
  }
  return out;
}

/** model.ParseDuration (negative durations allowed), in seconds. */
function parseDuration(orig: string): number {
  let s = orig;
  let neg = false;
  if (s.startsWith('-')) {
    neg = true;
    s = s.slice(1);
  }
  if (s === '0') return 0;
  if (s === '') throw new FuncError(orig === '' ? 'empty duration string' : `not a valid duration string: ${goQuote(orig)}`);
  const units: Record<string, [number, bigint]> = {
    y: [1, 365n * 24n * 3600n * 1000n],
    w: [2, 7n * 24n * 3600n * 1000n],
    d: [3, 24n * 3600n * 1000n],
    h: [4, 3600n * 1000n],
    m: [5, 60n * 1000n],
    s: [6, 1000n],
    ms: [7, 1n],
  };
  let dur = 0n;
  let lastUnitPos = 0;
  const invalid = () => new FuncError(`not a valid duration string: ${goQuote(orig)}`);
  while (s !== '') {
    const num = /^[0-9]+/.exec(s);
    if (!num) throw invalid();
    const v = BigInt(num[0]);
    s = s.slice(num[0].length);
    const unitM = /^[^0-9]+/.exec(s);
    if (!unitM) throw invalid();
    const u = unitM[0];
    s = s.slice(u.length);
    const unit = units[u];
    if (!unit) throw new FuncError(`unknown unit ${goQuote(u)} in duration ${goQuote(orig)}`);
    if (unit[0] <= lastUnitPos) throw invalid();
    lastUnitPos = unit[0];
    // in milliseconds; the limit is that of time.Duration (nanoseconds)
    if (v > (1n << 63n) / (unit[1] * 1_000_000n)) throw new FuncError('duration out of range');
    dur += v * unit[1];
    if (dur * 1_000_000n > (1n << 63n) - 1n) throw new FuncError('duration out of range');
  }
  const seconds = Number(dur) / 1000;
  return neg ? -seconds : seconds;
}

function sampleOf(v: Value): GoStruct {
  const [s] = indirect(v);
  if (!(s instanceof GoStruct)) throw new FuncError(NIL_DEREF);
  return s;
}

// ---- comparisons (eq, ne, lt, le, gt, ge) ----

type BasicKind = 'bool' | 'complex' | 'int' | 'float' | 'string' | 'uint' | 'invalid';

function basicKind(v: Value): BasicKind {
  const t = typeOf(v);
  if (!t || v === null) return 'invalid';
  switch (t.kind) {
    case 'bool':
    case 'int':
    case 'uint':
    case 'float':
    case 'complex':
    case 'string':
      return t.kind;
  }
  return 'invalid';
}

function scalar(v: Value): bigint | number | string | boolean {
  if (v instanceof GoNamed) return v.v;
  return v as bigint | number | string | boolean;
}

function eq(arg1: Value, args: Value[]): boolean {
  if (arg1 === null) arg1 = undefined;
  if (args.length === 0) throw new FuncError('missing argument for comparison');
  const k1 = basicKind(arg1);
  for (let arg of args) {
    if (arg === null) arg = undefined;
    const k2 = basicKind(arg);
    let truth = false;
    if (k1 !== k2) {
      if (k1 === 'int' && k2 === 'uint') truth = (scalar(arg1) as bigint) >= 0n && scalar(arg1) === scalar(arg);
      else if (k1 === 'uint' && k2 === 'int') truth = (scalar(arg) as bigint) >= 0n && scalar(arg1) === scalar(arg);
      else if (arg1 !== undefined && arg !== undefined) {
        throw new FuncError(`incompatible types for comparison: ${typeNameOf(arg1)} and ${typeNameOf(arg)}`);
      }
    } else {
      switch (k1) {
        case 'bool':
        case 'float':
        case 'int':
        case 'string':
        case 'uint':
          truth = scalar(arg1) === scalar(arg);
          break;
        case 'complex':
          truth = scalar(arg1) === scalar(arg) && (arg1 as GoNamed).im === (arg as GoNamed).im;
          break;
        default: {
          const t1 = typeOf(arg1);
          const t2 = typeOf(arg);
          if (t1 && t2 && t1.kind !== t2.kind) {
            throw new FuncError(`non-comparable types ${sprint([arg1])}: ${t1.name}, ${t2.name}: ${sprint([arg])}`);
          }
          if (isNilValue(arg1) || isNilValue(arg)) {
            truth = isNilValue(arg) === isNilValue(arg1);
          } else {
            if (!t2!.comparable) throw new FuncError(`non-comparable type ${sprint([arg])}: ${t2!.name}`);
            if (arg1 instanceof GoTime && arg instanceof GoTime) truth = arg1.ns === arg.ns;
            else truth = arg1 === arg;
          }
        }
      }
    }
    if (truth) return true;
  }
  return false;
}

function lt(arg1: Value, arg2: Value): boolean {
  if (arg1 === null) arg1 = undefined;
  if (arg2 === null) arg2 = undefined;
  const k1 = basicKind(arg1);
  if (k1 === 'invalid') throw new FuncError('invalid type for comparison');
  const k2 = basicKind(arg2);
  if (k2 === 'invalid') throw new FuncError('invalid type for comparison');
  if (k1 !== k2) {
    if (k1 === 'int' && k2 === 'uint') return (scalar(arg1) as bigint) < 0n || (scalar(arg1) as bigint) < (scalar(arg2) as bigint);
    if (k1 === 'uint' && k2 === 'int') return (scalar(arg2) as bigint) >= 0n && (scalar(arg1) as bigint) < (scalar(arg2) as bigint);
    throw new FuncError(`incompatible types for comparison: ${typeNameOf(arg1)} and ${typeNameOf(arg2)}`);
  }
  switch (k1) {
    case 'bool':
    case 'complex':
      throw new FuncError('invalid type for comparison');
    case 'string':
      return compareGoStrings(scalar(arg1) as string, scalar(arg2) as string) < 0;
    default:
      return scalar(arg1) < scalar(arg2);
  }
}

function le(a: Value, b: Value): boolean {
  return lt(a, b) || eq(a, [b]);
}

// ---- index, slice, len ----

function indexArg(index: Value, cap: number): number {
  let x: bigint;
  const iv = intValue(index);
  if (iv !== undefined) x = iv;
  else if (index === undefined || index === null) throw new FuncError('cannot index slice/array with nil');
  else throw new FuncError(`cannot index slice/array with type ${typeNameOf(index)}`);
  if (x < 0n || x > BigInt(cap)) throw new FuncError(`index out of range: ${x}`);
  return Number(x);
}

function index(item: Value, indexes: Value[]): Value {
  if (item === null) item = undefined;
  if (item === undefined) throw new FuncError('index of untyped nil');
  for (let ix of indexes) {
    if (ix === null) ix = undefined;
    const [it, isNil] = indirect(item);
    if (isNil) throw new FuncError('index of nil pointer');
    item = it;
    if (item instanceof GoSlice || (item instanceof GoNil && item.type.kind === 'slice')) {
      const items = item instanceof GoSlice ? item.items : [];
      const x = indexArg(ix, items.length);
      if (x === items.length) throw new FuncError('reflect: slice index out of range');
      item = items[x];
    } else if (stringValue(item) !== undefined) {
      const bytes = Buffer.from(stringValue(item)!, 'utf8');
      const x = indexArg(ix, bytes.length);
      if (x === bytes.length) throw new FuncError('reflect: string index out of range');
      item = new GoNamed(UINT8, BigInt(bytes[x]!));
    } else if (item instanceof GoMap || (item instanceof GoNil && item.type.kind === 'map')) {
      const t = item.type;
      const key = stringValue(ix);
      if (ix === undefined) throw new FuncError(`value is nil; should be of type ${t.key!.name}`);
      if (key === undefined || (typeOf(ix)!.name !== t.key!.name && t.key!.kind !== 'interface')) {
        throw new FuncError(`value has type ${typeNameOf(ix)}; should be ${t.key!.name}`);
      }
      const got = item instanceof GoMap ? item.get(key) : undefined;
      item = got === undefined || typeof got === 'symbol' ? zeroElem(t.elem!) : got;
    } else {
      throw new FuncError(`can't index item of type ${typeNameOf(item)}`);
    }
  }
  return item;
}

const UINT8: GoType = { name: 'uint8', kind: 'uint', comparable: true };

function zeroElem(t: GoType): Value {
  if (t === STRING) return '';
  if (t.kind === 'interface') return null;
  if (t.kind === 'ptr' || t.kind === 'map' || t.kind === 'slice') return new GoNil(t);
  return undefined;
}

function slice(item: Value, indexes: Value[]): Value {
  if (item === null) item = undefined;
  if (item === undefined) throw new FuncError('slice of untyped nil');
  if (indexes.length > 3) throw new FuncError(`too many slice indexes: ${indexes.length}`);
  const str = stringValue(item);
  let len: number;
  if (str !== undefined) {
    if (indexes.length === 3) throw new FuncError('cannot 3-index slice a string');
    len = byteLength(str);
  } else if (item instanceof GoSlice || (item instanceof GoNil && item.type.kind === 'slice')) {
    len = item instanceof GoSlice ? item.items.length : 0;
  } else {
    throw new FuncError(`can't slice item of type ${typeNameOf(item)}`);
  }
  const idx = [0, len, 0];
  indexes.forEach((ix, i) => {
    idx[i] = indexArg(ix === null ? undefined : ix, len);
  });
  if (idx[0]! > idx[1]!) throw new FuncError(`invalid slice index: ${idx[0]} > ${idx[1]}`);
  if (indexes.length === 3 && idx[1]! > idx[2]!) throw new FuncError(`invalid slice index: ${idx[1]} > ${idx[2]}`);
  if (str !== undefined) {
    const s = Buffer.from(str, 'utf8').subarray(idx[0], idx[1]).toString('utf8');
    return item instanceof GoNamed ? new GoNamed(item.type, s) : s;
  }
  if (item instanceof GoSlice) return new GoSlice(item.type, item.items.slice(idx[0], idx[1]));
  return item;
}

function length(item: Value): bigint {
  const [it, isNil] = indirect(item);
  if (isNil) throw new FuncError('len of nil pointer');
  const s = stringValue(it);
  if (s !== undefined) return BigInt(byteLength(s));
  if (it instanceof GoSlice) return BigInt(it.items.length);
  if (it instanceof GoMap) return BigInt(it.size);
  if (it instanceof GoNil && (it.type.kind === 'map' || it.type.kind === 'slice')) return 0n;
  throw new FuncError(`len of type ${typeNameOf(it)}`);
}

// ---- the maps ----

const V = REFLECT_VALUE;

function def(params: GoType[], call: FuncDef['call'], variadic = false): FuncDef {
  return { params, variadic, call };
}

export const builtins = new Map<string, FuncDef>([
  ['and', { params: [V, V], variadic: true, builtin: true, call: () => undefined }],
  ['or', { params: [V, V], variadic: true, builtin: true, call: () => undefined }],
  [
    'call',
    def(
      [V, V],
      ([fn]) => {
        if (fn === undefined || fn === null) throw new FuncError('call of nil');
        throw new FuncError(`non-function of type ${typeNameOf(fn)}`);
      },
      true,
    ),
  ],
  ['html', def([ANY], (args) => htmlEscape(evalArgs(args)), true)],
  ['index', def([V, V], ([item, ...rest]) => index(item, rest), true)],
  ['slice', def([V, V], ([item, ...rest]) => slice(item, rest), true)],
  ['js', def([ANY], (args) => jsEscape(evalArgs(args)), true)],
  ['len', def([V], ([item]) => length(item))],
  ['not', def([V], ([a]) => !isTrue(a === null ? undefined : a)[0])],
  ['print', def([ANY], (args) => sprint(args), true)],
  ['printf', def([STRING, ANY], ([format, ...rest]) => sprintf(format as string, rest), true)],
  ['println', def([ANY], (args) => sprintln(args), true)],
  ['urlquery', def([ANY], (args) => queryEscape(evalArgs(args)), true)],
  ['eq', def([V, V], ([a, ...rest]) => eq(a, rest), true)],
  ['ne', def([V, V], ([a, b]) => !eq(a, [b]))],
  ['lt', def([V, V], ([a, b]) => lt(a, b))],
  ['le', def([V, V], ([a, b]) => le(a, b))],
  ['gt', def([V, V], ([a, b]) => !le(a, b))],
  ['ge', def([V, V], ([a, b]) => !lt(a, b))],
]);

/** Arguments validated as Go strings arrive as JS strings. */
function str(v: Value): string {
  return v as string;
}

export const promFuncs = new Map<string, FuncDef>([
  [
    'query',
    def([STRING], ([q], env: Env) => {
      const got = env.queries.get(str(q));
      if (!got) throw new NeedQuery(str(q));
      if (got.error !== undefined) throw new FuncError(got.error);
      return queryResult(got.samples!);
    }),
  ],
  [
    'first',
    def([QUERY_RESULT], ([v]) => {
      if (v instanceof GoSlice && v.items.length > 0) return v.items[0];
      throw new FuncError('first() called on vector with no elements');
    }),
  ],
  [
    'label',
    def([STRING, SAMPLE_PTR], ([label, s]) => {
      const got = (sampleOf(s).f.Labels as GoMap).get(str(label));
      return typeof got === 'string' ? got : '';
    }),
  ],
  ['value', def([SAMPLE_PTR], ([s]) => sampleOf(s).f.Value)],
  [
    'strvalue',
    def([SAMPLE_PTR], ([s]) => {
      const got = (sampleOf(s).f.Labels as GoMap).get('__value__');
      return typeof got === 'string' ? got : '';
    }),
  ],
  [
    'args',
    def(
      [ANY],
      (args) => {
        const rec: Record<string, Value> = {};
        args.forEach((a, i) => (rec[`arg${i}`] = a));
        return new GoMap(MAP_STRING_ANY, rec);
      },
      true,
    ),
  ],
  ['reReplaceAll', def([STRING, STRING, STRING], ([pattern, repl, text]) => replaceAllString(mustCompile(str(pattern)), str(text), str(repl)))],
  ['safeHtml', def([STRING], ([text]) => new GoNamed(HTML, str(text)))],
  ['match', def([STRING, STRING], ([pattern, s]) => matchString(compile(str(pattern)), str(s)))],
  ['title', def([STRING], ([s]) => title(str(s)))],
  ['toUpper', def([STRING], ([s]) => mapRunes(str(s), true))],
  ['toLower', def([STRING], ([s]) => mapRunes(str(s), false))],
  ['graphLink', def([STRING], ([expr]) => `/graph?g0.expr=${queryEscape(str(expr))}&g0.tab=0`)],
  ['tableLink', def([STRING], ([expr]) => `/graph?g0.expr=${queryEscape(str(expr))}&g0.tab=1`)],
  [
    'sortByLabel',
    def([STRING, QUERY_RESULT], ([label, v]) => {
      if (!(v instanceof GoSlice)) return v;
      const key = (s: Value) => {
        const got = (sampleOf(s).f.Labels as GoMap).get(str(label));
        return typeof got === 'string' ? got : '';
      };
      const sorted = v.items.map((s, i) => ({ s, i, k: key(s) })).sort((a, b) => compareGoStrings(a.k, b.k) || a.i - b.i);
      sorted.forEach((e, i) => (v.items[i] = e.s));
      return v;
    }),
  ],
  [
    'stripPort',
    def([STRING], ([hostPort]) => {
      const hp = splitHostPort(str(hostPort));
      return hp ? hp[0] : str(hostPort);
    }),
  ],
  [
    'stripDomain',
    def([STRING], ([hostPort]) => {
      const hp = splitHostPort(str(hostPort));
      let host = hp ? hp[0] : str(hostPort);
      const port = hp ? hp[1] : '';
      if (isIPAddress(host)) return str(hostPort);
      host = host.split('.')[0]!;
      if (port !== '') return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
      return host;
    }),
  ],
  ['humanize', def([ANY], ([v]) => humanize(convertToFloat(v)))],
  ['humanize1024', def([ANY], ([v]) => humanize1024(convertToFloat(v)))],
  ['humanizeDuration', def([ANY], ([v]) => humanizeDuration(convertToFloat(v)))],
  ['humanizePercentage', def([ANY], ([v]) => g4(convertToFloat(v) * 100) + '%')],
  [
    'humanizeTimestamp',
    def([ANY], ([v]) => {
      const f = convertToFloat(v);
      try {
        return sprint([floatToTime(f)]);
      } catch (e) {
        if (e instanceof NaNOrInf) return g4(f);
        throw e;
      }
    }),
  ],
  ['toTime', def([ANY], ([v]) => new GoPtr(TIME_PTR, floatToTime(convertToFloat(v))))],
  [
    'toDuration',
    def([ANY], ([v]) => {
      const f = convertToFloat(v);
      return new GoPtr(DURATION_PTR, new GoNamed(DURATION, toInt64(f * 1e9)));
    }),
  ],
  ['now', def([], (_args, env) => env.now / 1000)],
  ['pathPrefix', def([], (_args, env) => env.pathPrefix)],
  ['externalURL', def([], (_args, env) => env.externalURL)],
  ['parseDuration', def([STRING], ([d]) => parseDuration(str(d)))],
]);
