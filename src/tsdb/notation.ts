/**
 * The expanding series notation of promtool's `input_series` and of the `load` blocks of
 * Prometheus' test scripts: `1+2x3` is 1 3 5 7, `1-2x3` is 1 -1 -3 -5, `5x2` is 5 5 5,
 * `_` is a missing sample, `_x3` three of them, `stale` a staleness marker.
 * Hand-written: it is a few lines of grammar, and no package reads it.
 */

/** One point of an expanded series: a value, a staleness marker, or a gap. */
export type SequenceValue = { omitted: true } | { omitted?: false; value: number; stale?: boolean };

export class NotationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NotationError';
  }
}

const UNSIGNED = String.raw`(?:inf(?:inity)?|nan|(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?)`;
// value, then optionally [+-]increment and x<count>: `1`, `1x3`, `1+2x3`, `-1e3-0.5x2`
const ITEM = new RegExp(`^([+-]?${UNSIGNED})(?:([+-]${UNSIGNED})?x(\\d+))?$`, 'i');
const BLANK = /^_(?:x(\d+))?$/;

/** Reads a number as Go's strconv.ParseFloat does (no hex: in this notation `0x10` is 0 repeated). */
export function parseNumber(text: string): number {
  const t = text.toLowerCase();
  const sign = t.startsWith('-') ? -1 : 1;
  const body = t.replace(/^[+-]/, '');
  if (body === 'inf' || body === 'infinity') return sign * Infinity;
  if (body === 'nan') return NaN;
  const n = Number(body);
  if (body === '' || Number.isNaN(n)) throw new NotationError(`cannot read "${text}" as a number`);
  return sign * n;
}

/** Expands a values string such as `0+10x5 _ stale 3` into its points, in order. */
export function expandSeriesValues(text: string): SequenceValue[] {
  const out: SequenceValue[] = [];
  for (const item of text.trim().split(/\s+/)) {
    if (item === '') continue;
    if (item.startsWith('{{')) throw new NotationError(`native histogram samples (${item}…) are not supported`);
    if (item === 'stale') {
      out.push({ value: NaN, stale: true });
      continue;
    }
    const blank = BLANK.exec(item);
    if (blank) {
      // `_xn` is n gaps: a missing sample cannot be repeated "n further" times
      const n = blank[1] === undefined ? 1 : Number(blank[1]);
      for (let i = 0; i < n; i++) out.push({ omitted: true });
      continue;
    }
    if (/^_[+-]/.test(item) || /^stale[+-x]/.test(item)) throw new NotationError(`cannot increment a missing or stale sample in "${item}"`);
    const m = ITEM.exec(item);
    if (!m) throw new NotationError(`cannot read "${item}": expected a number, a+bxn, a-bxn, axn, _, _xn or stale`);
    let value = parseNumber(m[1]);
    out.push({ value });
    if (m[3] === undefined) continue;
    const times = Number(m[3]);
    if (times > 1e7) throw new NotationError(`"${item}" expands to more than 10 million samples`);
    const step = m[2] === undefined ? 0 : parseNumber(m[2]);
    // Added step by step, as Prometheus does: 0.1+0.1x2 ends at 0.30000000000000004.
    for (let i = 0; i < times; i++) out.push({ value: (value += step) });
  }
  return out;
}

/** A series selector with only equality matchers, as test files name a series: `name{a="b"}` or `{__name__="name"}`. */
export function parseSeriesSelector(text: string): Record<string, string> {
  const { labels, rest } = readSelector(text, 0, true);
  if (text.slice(rest).trim() !== '') throw new NotationError(`unexpected "${text.slice(rest).trim()}" after the series selector`);
  return labels;
}

/** A `load` or expected-result line: `name{a="b"} 1+1x3 _ stale` (`{} 1 2` without a name when requireName is false). */
export function parseSeriesLine(line: string, opts: { requireName?: boolean } = {}): { labels: Record<string, string>; values: SequenceValue[] } {
  const { labels, rest } = readSelector(line, 0, opts.requireName ?? true);
  if (rest < line.length && !/\s/.test(line[rest])) throw new NotationError(`expected a space after the series selector in "${line.trim()}"`);
  return { labels, values: expandSeriesValues(line.slice(rest)) };
}

const NAME_START = /[a-zA-Z_:]/;
const NAME_CHAR = /[a-zA-Z0-9_:]/;
const LABEL_START = /[a-zA-Z_]/;
const LABEL_CHAR = /[a-zA-Z0-9_]/;

function readSelector(text: string, from: number, requireName: boolean): { labels: Record<string, string>; rest: number } {
  let i = from;
  while (i < text.length && /\s/.test(text[i])) i++;
  const labels: Record<string, string> = {};
  const start = i;
  if (i < text.length && NAME_START.test(text[i])) {
    while (i < text.length && NAME_CHAR.test(text[i])) i++;
    labels.__name__ = text.slice(start, i);
  }
  if (text[i] === '{') {
    i++;
    for (;;) {
      while (i < text.length && /\s/.test(text[i])) i++;
      if (text[i] === '}') {
        i++;
        break;
      }
      let name: string;
      if (text[i] === '"' || text[i] === "'" || text[i] === '`') {
        const q = readQuoted(text, i);
        name = q.value;
        i = q.end;
      } else {
        const ns = i;
        if (!LABEL_START.test(text[i] ?? '')) throw new NotationError(`expected a label name at "${text.slice(i, i + 20)}" in "${text.trim()}"`);
        while (i < text.length && LABEL_CHAR.test(text[i])) i++;
        name = text.slice(ns, i);
      }
      while (i < text.length && /\s/.test(text[i])) i++;
      if (text[i] === ',' || text[i] === '}') {
        // A lone quoted string is the metric name (Prometheus 3's UTF-8 names: {"my.metric"}).
        if (labels.__name__ !== undefined) throw new NotationError(`metric name given twice in "${text.trim()}"`);
        labels.__name__ = name;
      } else {
        if (text[i] !== '=' || text[i + 1] === '~') throw new NotationError(`only = matchers name a series; got "${text.slice(i, i + 2)}" after "${name}" in "${text.trim()}"`);
        i++;
        while (i < text.length && /\s/.test(text[i])) i++;
        const q = readQuoted(text, i);
        if (name in labels) throw new NotationError(`label "${name}" given twice in "${text.trim()}"`);
        labels[name] = q.value;
        i = q.end;
        while (i < text.length && /\s/.test(text[i])) i++;
      }
      if (text[i] === ',') i++;
      else if (text[i] !== '}') throw new NotationError(`expected "," or "}" at "${text.slice(i, i + 20)}" in "${text.trim()}"`);
    }
  }
  if (requireName && labels.__name__ === undefined) throw new NotationError(`no metric name in series "${text.trim()}"`);
  for (const [k, v] of Object.entries(labels)) if (v === '') delete labels[k];
  return { labels, rest: i };
}

const ESCAPES: Record<string, string> = { a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\', '"': '"', "'": "'" };

/** A Go-style string literal: "…" or '…' with escapes, `…` raw. */
function readQuoted(text: string, at: number): { value: string; end: number } {
  const quote = text[at];
  if (quote !== '"' && quote !== "'" && quote !== '`') throw new NotationError(`expected a quoted label value at "${text.slice(at, at + 20)}" in "${text.trim()}"`);
  let value = '';
  let i = at + 1;
  while (i < text.length && text[i] !== quote) {
    if (text[i] === '\\' && quote !== '`') {
      const c = text[i + 1];
      if (c in ESCAPES) {
        value += ESCAPES[c];
        i += 2;
      } else if (c === 'x' || c === 'u' || c === 'U') {
        const len = c === 'x' ? 2 : c === 'u' ? 4 : 8;
        const hex = text.slice(i + 2, i + 2 + len);
        if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== len) throw new NotationError(`bad escape "\\${c}${hex}" in "${text.trim()}"`);
        value += String.fromCodePoint(parseInt(hex, 16));
        i += 2 + len;
      } else {
        throw new NotationError(`unknown escape "\\${c ?? ''}" in "${text.trim()}"`);
      }
    } else {
      value += text[i++];
    }
  }
  if (i >= text.length) throw new NotationError(`unterminated quoted string in "${text.trim()}"`);
  return { value, end: i + 1 };
}
