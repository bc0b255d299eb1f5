// String and number literals with PromQL's (Go's) rules.

/** Checks the escape at `s[i]` (just after a backslash) in a string quoted with `quote`; returns its length or an error. */
export function scanEscape(s: string, i: number, quote: string): { length: number } | { error: string } {
  const c = s[i];
  if (c === undefined) return { error: 'escape sequence not terminated' };
  if ('abfnrtv\\'.includes(c) || c === quote) return { length: 1 };
  let digits: number;
  let base: number;
  let max: number;
  let start = i;
  if (c >= '0' && c <= '7') {
    [digits, base, max] = [3, 8, 255];
  } else if (c === 'x' || c === 'u' || c === 'U') {
    [digits, base, max] = c === 'x' ? [2, 16, 255] : [c === 'u' ? 4 : 8, 16, 0x10ffff];
    start = i + 1;
  } else {
    return { error: `unknown escape sequence "\\${c}"` };
  }
  const text = s.slice(start, start + digits);
  const valid = base === 8 ? /^[0-7]*$/ : /^[0-9a-fA-F]*$/;
  if (text.length < digits || !valid.test(text)) {
    const bad = [...text].find((ch) => !valid.test(ch));
    if (bad === undefined) return { error: 'escape sequence not terminated' };
    const code = bad.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
    return { error: `illegal character U+${code} '${bad}' in escape sequence` };
  }
  const n = parseInt(text, base);
  if (n > max || (n >= 0xd800 && n < 0xe000)) return { error: 'escape sequence is an invalid Unicode code point' };
  return { length: start - i + digits };
}

const SIMPLE_ESCAPES: Record<string, number> = { a: 7, b: 8, f: 12, n: 10, r: 13, t: 9, v: 11, '\\': 92, '"': 34, "'": 39 };

/** The value of a quoted PromQL string (with its quotes); throws on a bad escape. */
export function unquoteString(raw: string): string {
  const quote = raw[0];
  if (quote === '`') return raw.slice(1, -1);
  const body = raw.slice(1, -1);
  if (!body.includes('\\')) return body;
  // \x and octal escapes are raw bytes in Go strings, so the value is assembled as UTF-8 bytes.
  const bytes: number[] = [];
  const encoder = new TextEncoder();
  for (let i = 0; i < body.length; ) {
    if (body[i] !== '\\') {
      const cp = body.codePointAt(i)!;
      const ch = String.fromCodePoint(cp);
      bytes.push(...encoder.encode(ch));
      i += ch.length;
      continue;
    }
    const esc = scanEscape(body, i + 1, quote);
    if ('error' in esc) throw new Error(esc.error);
    const c = body[i + 1];
    const digits = body.slice(i + 1, i + 1 + esc.length);
    if (c in SIMPLE_ESCAPES) bytes.push(SIMPLE_ESCAPES[c]);
    else if (c >= '0' && c <= '7') bytes.push(parseInt(digits, 8));
    else if (c === 'x') bytes.push(parseInt(digits.slice(1), 16));
    else bytes.push(...encoder.encode(String.fromCodePoint(parseInt(digits.slice(1), 16))));
    i += 1 + esc.length;
  }
  // Invalid UTF-8 (e.g. "\xff") becomes U+FFFD: JS strings cannot hold raw bytes.
  return new TextDecoder('utf-8').decode(new Uint8Array(bytes));
}

/** The value of a number token as Go's strconv would read it: hex, octal (leading 0), decimal, float, Inf, NaN. */
export function parseNumber(text: string): number {
  const t = text.toLowerCase();
  if (t === 'inf') return Infinity;
  if (t === 'nan') return NaN;
  const s = t.replace(/_/g, '');
  if (/^0x[0-9a-f]+$/.test(s)) return Number(BigInt(s));
  // Go's ParseInt with base 0 reads a leading 0 as octal.
  if (/^0[0-7]+$/.test(s)) return Number(BigInt('0o' + s.slice(1)));
  return Number(s);
}
