/**
 * The parts of Go's strconv that templates need: float formatting with Go's
 * exact, round-half-even digits ('e', 'f', 'g' and shortest), quoting and the
 * parsing of Go literals (numbers, strings, characters).
 */

/** A decimal number 0.d × 10^dp; d has no leading or trailing zeros ("" is zero). */
interface Decimal {
  d: string;
  dp: number;
}

/** Digits of the shortest decimal that reads back as a (> 0, finite); the same digits Go picks. */
function shortestDecimal(a: number): Decimal {
  const s = String(a);
  let mant = s;
  let exp = 0;
  const ei = s.indexOf('e');
  if (ei >= 0) {
    mant = s.slice(0, ei);
    exp = Number(s.slice(ei + 1));
  }
  const dot = mant.indexOf('.');
  const intPart = dot >= 0 ? mant.slice(0, dot) : mant;
  const digits = dot >= 0 ? intPart + mant.slice(dot + 1) : intPart;
  let dp = intPart.length + exp;
  let i = 0;
  while (i < digits.length && digits.charCodeAt(i) === 48) {
    i++;
    dp--;
  }
  let j = digits.length;
  while (j > i && digits.charCodeAt(j - 1) === 48) j--;
  return { d: digits.slice(i, j), dp };
}

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** The exact decimal value of a (> 0, finite): every double is a finite decimal. */
function exactDecimal(a: number): Decimal {
  f64[0] = a;
  const lo = littleEndian ? u32[0]! : u32[1]!;
  const hi = littleEndian ? u32[1]! : u32[0]!;
  const expBits = (hi >>> 20) & 0x7ff;
  let mant = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  let e: number;
  if (expBits === 0) {
    e = -1074;
  } else {
    mant |= 1n << 52n;
    e = expBits - 1075;
  }
  while ((mant & 1n) === 0n) {
    mant >>= 1n;
    e++;
  }
  let s: string;
  let dp: number;
  if (e >= 0) {
    s = (mant << BigInt(e)).toString();
    dp = s.length;
  } else {
    s = (mant * 5n ** BigInt(-e)).toString();
    dp = s.length + e;
  }
  let j = s.length;
  while (j > 0 && s.charCodeAt(j - 1) === 48) j--;
  return { d: s.slice(0, j), dp };
}

/** Rounds to nd significant digits, half to even (as Go's decimal.Round); nd < 0 leaves it as is. */
function roundDecimal(a: Decimal, nd: number): Decimal {
  if (nd < 0 || nd >= a.d.length) return a;
  const c = a.d.charCodeAt(nd);
  let up: boolean;
  if (c === 53 /* 5 */ && nd + 1 === a.d.length) {
    up = nd > 0 && (a.d.charCodeAt(nd - 1) - 48) % 2 === 1;
  } else {
    up = c >= 53;
  }
  if (!up) {
    let j = nd;
    while (j > 0 && a.d.charCodeAt(j - 1) === 48) j--;
    return { d: a.d.slice(0, j), dp: a.dp };
  }
  let i = nd - 1;
  while (i >= 0 && a.d.charCodeAt(i) === 57 /* 9 */) i--;
  if (i < 0) return { d: '1', dp: a.dp + 1 };
  return { d: a.d.slice(0, i) + String.fromCharCode(a.d.charCodeAt(i) + 1), dp: a.dp };
}

/**
 * The digits of a (> 0) rounded to nd significant digits exactly as Go does.
 * Shortest digits decide it unless a tie is possible; only then the exact
 * (BigInt) expansion is computed, so common numbers stay cheap.
 */
function roundedDigits(a: number, nd: number, shortest?: Decimal): Decimal {
  if (nd < 0) return { d: '', dp: 0 };
  if (nd <= 15) {
    const s = shortest ?? shortestDecimal(a);
    if (s.d.length <= nd) return s;
    if (s.d.length > nd + 1 || s.d.charCodeAt(nd) !== 53) return roundDecimal(s, nd);
  }
  return roundDecimal(exactDecimal(a), nd);
}

function digitAt(d: Decimal, i: number): string {
  return i >= 0 && i < d.d.length ? d.d[i]! : '0';
}

function fmtE(d: Decimal, prec: number, e: string): string {
  let out = d.d.length > 0 ? d.d[0]! : '0';
  if (prec > 0) {
    out += '.';
    for (let i = 1; i <= prec; i++) out += digitAt(d, i);
  }
  let exp = d.d.length === 0 ? 0 : d.dp - 1;
  let sign = '+';
  if (exp < 0) {
    sign = '-';
    exp = -exp;
  }
  return out + e + sign + (exp < 10 ? '0' + exp : String(exp));
}

function fmtF(d: Decimal, prec: number): string {
  let out: string;
  if (d.dp > 0) {
    out = d.d.length >= d.dp ? d.d.slice(0, d.dp) : d.d + '0'.repeat(d.dp - d.d.length);
  } else {
    out = '0';
  }
  if (prec > 0) {
    out += '.';
    for (let i = 1; i <= prec; i++) out += digitAt(d, d.dp + i - 1);
  }
  return out;
}

/**
 * strconv.FormatFloat(v, fmt, prec, 64) for fmt in e, E, f, g, G (prec < 0:
 * shortest). Infinities are "+Inf"/"-Inf", NaN is "NaN".
 */
export function formatFloat(v: number, fmt: string, prec: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  const neg = v < 0 || (v === 0 && 1 / v < 0);
  const a = Math.abs(v);
  const sign = neg ? '-' : '';
  const shortest = prec < 0;
  let d: Decimal;
  if (a === 0) {
    d = { d: '', dp: 0 };
  } else if (shortest) {
    d = shortestDecimal(a);
  } else {
    switch (fmt) {
      case 'e':
      case 'E':
        d = roundedDigits(a, prec + 1);
        break;
      case 'f': {
        const s = shortestDecimal(a);
        d = roundedDigits(a, s.dp + prec, s);
        if (d.d.length === 0) d = { d: '', dp: 0 };
        break;
      }
      default:
        d = roundedDigits(a, prec === 0 ? 1 : prec);
    }
  }
  if (shortest) {
    switch (fmt) {
      case 'e':
      case 'E':
        prec = Math.max(d.d.length - 1, 0);
        break;
      case 'f':
        prec = Math.max(d.d.length - d.dp, 0);
        break;
      default:
        prec = d.d.length;
    }
  }
  switch (fmt) {
    case 'e':
    case 'E':
      return sign + fmtE(d, prec, fmt);
    case 'f':
      return sign + fmtF(d, prec);
    default: {
      let eprec = prec;
      if (eprec > d.d.length && d.d.length >= d.dp) eprec = d.d.length;
      if (shortest) eprec = 6;
      const exp = d.dp - 1;
      if (exp < -4 || exp >= eprec) {
        if (prec > d.d.length) prec = d.d.length;
        return sign + fmtE(d, prec - 1, fmt === 'G' ? 'E' : 'e');
      }
      if (prec > d.dp) prec = d.d.length;
      return sign + fmtF(d, Math.max(prec - d.dp, 0));
    }
  }
}

/** Go's %v of a float64: shortest 'g' with exponents from 1e+21 and below 1e-4. */
export function formatFloatV(v: number): string {
  return formatFloat(v, 'g', -1);
}

// ---- Unicode classes as Go defines them ----

const printRe = /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u;

/** unicode.IsPrint: letters, marks, numbers, punctuation, symbols and the ASCII space. */
export function isPrint(cp: number): boolean {
  if (cp < 0x80) return cp >= 0x20 && cp < 0x7f;
  return printRe.test(String.fromCodePoint(cp));
}

const hexDigits = '0123456789abcdef';

function hex2(n: number): string {
  return hexDigits[(n >> 4) & 15]! + hexDigits[n & 15]!;
}

function appendEscapedRune(cp: number, quote: number, asciiOnly: boolean): string {
  if (cp === quote || cp === 92 /* \ */) return '\\' + String.fromCodePoint(cp);
  if (asciiOnly ? cp < 0x80 && isPrint(cp) : isPrint(cp)) return String.fromCodePoint(cp);
  switch (cp) {
    case 7:
      return '\\a';
    case 8:
      return '\\b';
    case 12:
      return '\\f';
    case 10:
      return '\\n';
    case 13:
      return '\\r';
    case 9:
      return '\\t';
    case 11:
      return '\\v';
  }
  if (cp < 0x20 || cp === 0x7f) return '\\x' + hex2(cp);
  if (cp >= 0xd800 && cp <= 0xdfff) return '\\ufffd';
  if (cp < 0x10000) return '\\u' + cp.toString(16).padStart(4, '0');
  return '\\U' + cp.toString(16).padStart(8, '0');
}

/** strconv.Quote (or QuoteToASCII). */
export function quote(s: string, asciiOnly = false): string {
  let out = '"';
  for (const ch of s) out += appendEscapedRune(ch.codePointAt(0)!, 34, asciiOnly);
  return out + '"';
}

/** strconv.QuoteRune (or QuoteRuneToASCII). */
export function quoteRune(cp: number, asciiOnly = false): string {
  if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) || cp < 0) cp = 0xfffd;
  return "'" + appendEscapedRune(cp, 39, asciiOnly) + "'";
}

/** strconv.CanBackquote. */
export function canBackquote(s: string): boolean {
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (cp === 0x60 || cp === 0xfeff) return false;
    if (cp < 0x20 ? cp !== 9 : cp === 0x7f) return false;
    if (cp === 0xfffd) return false;
  }
  return true;
}

// ---- Parsing Go literals ----

export class SyntaxError extends Error {
  constructor() {
    super('invalid syntax');
  }
}

function isHex(c: string): boolean {
  return /^[0-9a-fA-F]$/.test(c);
}

/** strconv.UnquoteChar on s[i:]: the character (as code point or byte) and the next index. */
function unquoteChar(s: string, i: number, quoteCh: string): { cp: number; isByte: boolean; next: number } {
  const c = s[i]!;
  if (c === quoteCh && (quoteCh === "'" || quoteCh === '"')) throw new SyntaxError();
  if (c !== '\\') {
    const cp = s.codePointAt(i)!;
    return { cp, isByte: false, next: i + (cp > 0xffff ? 2 : 1) };
  }
  if (i + 1 >= s.length) throw new SyntaxError();
  const e = s[i + 1]!;
  const simple: Record<string, number> = { a: 7, b: 8, f: 12, n: 10, r: 13, t: 9, v: 11, '\\': 92 };
  if (e in simple) return { cp: simple[e]!, isByte: false, next: i + 2 };
  switch (e) {
    case 'x':
    case 'u':
    case 'U': {
      const n = e === 'x' ? 2 : e === 'u' ? 4 : 8;
      const h = s.slice(i + 2, i + 2 + n);
      if (h.length < n || ![...h].every(isHex)) throw new SyntaxError();
      const v = parseInt(h, 16);
      if (e === 'x') return { cp: v, isByte: true, next: i + 2 + n };
      if (v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff)) throw new SyntaxError();
      return { cp: v, isByte: false, next: i + 2 + n };
    }
    case '0':
    case '1':
    case '2':
    case '3':
    case '4':
    case '5':
    case '6':
    case '7': {
      const o = s.slice(i + 1, i + 4);
      if (!/^[0-7]{3}$/.test(o)) throw new SyntaxError();
      const v = parseInt(o, 8);
      if (v > 255) throw new SyntaxError();
      return { cp: v, isByte: true, next: i + 4 };
    }
    case "'":
    case '"':
      if (e !== quoteCh) throw new SyntaxError();
      return { cp: e.charCodeAt(0), isByte: false, next: i + 2 };
  }
  throw new SyntaxError();
}

/** strconv.Unquote for "..." and `...` literals. Bytes from \x and octal escapes are decoded as UTF-8. */
export function unquote(lit: string): string {
  const q = lit[0];
  if (lit.length < 2 || lit[lit.length - 1] !== q) throw new SyntaxError();
  const body = lit.slice(1, -1);
  if (q === '`') {
    if (body.includes('`')) throw new SyntaxError();
    return body.includes('\r') ? body.replace(/\r/g, '') : body;
  }
  if (q !== '"') throw new SyntaxError();
  if (!body.includes('\\') && !body.includes('"') && !body.includes('\n')) return body;
  if (body.includes('\n')) throw new SyntaxError();
  let out = '';
  let bytes: number[] = [];
  const flush = () => {
    if (bytes.length > 0) {
      out += Buffer.from(bytes).toString('utf8');
      bytes = [];
    }
  };
  for (let i = 0; i < body.length; ) {
    const r = unquoteChar(body, i, '"');
    if (r.isByte) {
      bytes.push(r.cp);
    } else {
      flush();
      out += String.fromCodePoint(r.cp);
    }
    i = r.next;
  }
  flush();
  return out;
}

/** A character literal 'x' (with its quotes): its code point, or an error message as Go words it. */
export function unquoteCharLiteral(text: string): number {
  const r = unquoteChar(text, 1, "'");
  if (text.slice(r.next) !== "'") throw new Error(`malformed character constant: ${text}`);
  return r.cp;
}

const MAX_INT64 = (1n << 63n) - 1n;
const MAX_UINT64 = (1n << 64n) - 1n;

/** strconv.ParseUint/ParseInt with base 0 (Go prefixes, underscores, leading-0 octal). Undefined if invalid. */
function parseGoInteger(text: string): bigint | undefined {
  let s = text;
  let neg = false;
  if (s[0] === '+' || s[0] === '-') {
    neg = s[0] === '-';
    s = s.slice(1);
  }
  let base = 10;
  let digits = s;
  let prefixed = false;
  if (/^0[xX]/.test(s)) {
    base = 16;
    digits = s.slice(2);
    prefixed = true;
  } else if (/^0[oO]/.test(s)) {
    base = 8;
    digits = s.slice(2);
    prefixed = true;
  } else if (/^0[bB]/.test(s)) {
    base = 2;
    digits = s.slice(2);
    prefixed = true;
  } else if (s.length > 1 && s[0] === '0') {
    base = 8;
    digits = s.slice(1);
    prefixed = true;
  }
  if (digits.includes('_')) {
    // Underscores only between digits, or between a prefix and a digit.
    const check = (prefixed ? '0' : '') + digits;
    if (/__|_$|^_/.test(check)) return undefined;
    digits = digits.replace(/_/g, '');
  }
  if (digits.length === 0) return undefined;
  const valid = base === 16 ? /^[0-9a-fA-F]+$/ : base === 8 ? /^[0-7]+$/ : base === 2 ? /^[01]+$/ : /^[0-9]+$/;
  if (!valid.test(digits)) return undefined;
  const prefix = base === 16 ? '0x' : base === 8 ? '0o' : base === 2 ? '0b' : '';
  const v = BigInt(prefix + digits);
  return neg ? -v : v;
}

/** strconv.ParseFloat(s, 64) for the syntax the template lexer lets through. Undefined if invalid. */
function parseGoFloat(text: string): number | undefined {
  let s = text.replace(/_/g, '');
  if (s !== text && /__|_$|^[+-]?_|_\.|\._|_[eEpP]|[eEpP]_/.test(text)) return undefined;
  let neg = false;
  if (s[0] === '+' || s[0] === '-') {
    neg = s[0] === '-';
    s = s.slice(1);
  }
  let v: number;
  const hex = /^0[xX]([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?[pP]([+-]?[0-9]+)$/.exec(s);
  if (hex) {
    const intDigits = hex[1]!;
    const fracDigits = hex[2] ?? '';
    if (intDigits.length + fracDigits.length === 0) return undefined;
    const mant = BigInt('0x' + (intDigits + fracDigits || '0'));
    v = Number(mant) * 2 ** (Number(hex[3]) - 4 * fracDigits.length);
  } else if (/^([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$/.test(s)) {
    v = Number(s);
  } else {
    return undefined;
  }
  return neg ? -v : v;
}

export interface ParsedNumber {
  isInt: boolean;
  isUint: boolean;
  isFloat: boolean;
  isComplex: boolean;
  int64: bigint;
  uint64: bigint;
  float64: number;
  /** Complex constants only: the real and imaginary parts. */
  re: number;
  im: number;
}

/** The NumberNode rules of text/template/parse: every type that can hold the literal. */
export function parseNumberLiteral(text: string, kind: 'number' | 'char' | 'complex'): ParsedNumber {
  const n: ParsedNumber = { isInt: false, isUint: false, isFloat: false, isComplex: false, int64: 0n, uint64: 0n, float64: 0, re: 0, im: 0 };
  if (kind === 'char') {
    const cp = unquoteCharLiteral(text);
    n.int64 = BigInt(cp);
    n.uint64 = BigInt(cp);
    n.float64 = cp;
    n.isInt = n.isUint = n.isFloat = true;
    return n;
  }
  const simplifyComplex = () => {
    n.isFloat = n.im === 0;
    if (n.isFloat) {
      n.float64 = n.re;
      n.isInt = Number.isInteger(n.re) && Math.abs(n.re) < 2 ** 63;
      if (n.isInt) n.int64 = BigInt(n.re);
      n.isUint = Number.isInteger(n.re) && n.re >= 0 && n.re < 2 ** 64;
      if (n.isUint) n.uint64 = BigInt(n.re);
    }
  };
  if (kind === 'complex') {
    const m = /^([+-]?[^+-]+(?:[eE][+-][0-9]+)?)([+-].*)i$/.exec(text);
    const re = m ? parseGoFloat(m[1]!) : undefined;
    const im = m ? parseGoFloat(m[2]!) : undefined;
    if (re === undefined || im === undefined) throw new Error(`expected integer`);
    n.isComplex = true;
    n.re = re;
    n.im = im;
    simplifyComplex();
    return n;
  }
  if (text.endsWith('i')) {
    const f = parseGoFloat(text.slice(0, -1));
    if (f !== undefined) {
      n.isComplex = true;
      n.im = f;
      simplifyComplex();
      return n;
    }
  }
  const i = parseGoInteger(text);
  if (i !== undefined && i >= 0n && i <= MAX_UINT64) {
    n.isUint = true;
    n.uint64 = i;
  }
  if (i !== undefined && i >= -MAX_INT64 - 1n && i <= MAX_INT64) {
    n.isInt = true;
    n.int64 = i;
    if (i === 0n) {
      n.isUint = true;
      n.uint64 = 0n;
    }
  }
  if (n.isInt) {
    n.isFloat = true;
    n.float64 = Number(n.int64);
  } else if (n.isUint) {
    n.isFloat = true;
    n.float64 = Number(n.uint64);
  } else {
    const f = parseGoFloat(text);
    if (f !== undefined && Number.isFinite(f)) {
      if (!/[.eEpP]/.test(text)) throw new Error(`integer overflow: ${quote(text)}`);
      n.isFloat = true;
      n.float64 = f;
      if (Number.isInteger(f) && f >= -(2 ** 63) && f < 2 ** 63) {
        n.isInt = true;
        n.int64 = BigInt(f);
      }
      if (Number.isInteger(f) && f >= 0 && f < 2 ** 64) {
        n.isUint = true;
        n.uint64 = BigInt(f);
      }
    }
  }
  if (!n.isInt && !n.isUint && !n.isFloat) throw new Error(`illegal number syntax: ${quote(text)}`);
  return n;
}
