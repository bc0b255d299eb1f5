/**
 * The one RE2 (Go regexp/syntax) to JavaScript RegExp translator, shared by PromQL/Alertmanager
 * matchers (src/promql/regex.ts) and the template functions (src/template/regexp.ts).
 *
 * The pattern is checked with Go's rules and error codes, then translated to equivalent
 * JS RegExp source for the `u` flag: Go's \s, \d, \w, `.`, `^`/`$`, flags (?imsU),
 * POSIX classes, \pN/\p{Name}, \Q..\E, octal/hex escapes, (?P<name>) and (?<name>) groups.
 * Anchoring, the default of the `s` flag and the JS flags to compile with are the caller's.
 */

export interface TranslateOptions {
  /** The initial value of the `s` flag (`.` matches `\n`); Prometheus matchers use (?s). Default false. */
  dotNL?: boolean;
}

export interface Translation {
  /** JS RegExp source, unanchored; compile it with the `u` flag (and `i` when ignoreCase). */
  source: string;
  /** Capture group names by index (index 0 is the whole match). */
  names: (string | undefined)[];
  /** The pattern starts with a (?i) that applies throughout: compile with the `i` flag. */
  ignoreCase: boolean;
}

/** A pattern Go's regexp/syntax rejects; `message` is Go's `error parsing regexp: <code>: `<expr>``. */
export class RE2SyntaxError extends Error {
  constructor(
    /** Go's ErrorCode text, e.g. "missing closing )". */
    readonly code: string,
    /** The offending part of the pattern, as Go reports it. */
    readonly expr: string,
    /** A short description without Go's framing (used in PromQL diagnostics). */
    readonly detail: string,
  ) {
    super(`error parsing regexp: ${code}: \`${expr}\``);
  }
}

/** Codes that read best without the offending text in a short description. */
const BARE_CODES = new Set([
  'missing closing )', 'missing closing ]', 'unexpected )', 'trailing backslash at end of expression',
  'missing argument to repetition operator',
]);

function syntaxError(code: string, expr: string, detail?: string): RE2SyntaxError {
  if (detail === undefined) {
    if (BARE_CODES.has(code)) detail = code;
    else if (code === 'invalid repeat count') detail = `${code} ${expr}`;
    else detail = `${code} "${expr}"`;
  }
  return new RE2SyntaxError(code, expr, detail);
}

/** A friendlier description for Perl group syntax RE2 lacks, given the text from `(?`. */
function perlHint(text: string): string | undefined {
  const look = /^\(\?<?[=!]/.exec(text);
  if (look) return `lookaround assertions "${look[0]}" are not supported (Prometheus uses RE2)`;
  if (text.startsWith('(?P=')) return 'backreferences are not supported (Prometheus uses RE2)';
  return undefined;
}

interface Flags {
  i: boolean;
  m: boolean;
  s: boolean;
  U: boolean;
}

const posixClasses: Record<string, string> = {
  alnum: '0-9A-Za-z',
  alpha: 'A-Za-z',
  ascii: '\\u{0}-\\u{7f}',
  blank: '\\t ',
  cntrl: '\\u{0}-\\u{1f}\\u{7f}',
  digit: '0-9',
  graph: '!-~',
  lower: 'a-z',
  print: ' -~',
  punct: '!-/:-@\\[-`{-~',
  space: '\\t\\n\\v\\f\\r ',
  upper: 'A-Z',
  word: '0-9A-Za-z_',
  xdigit: '0-9A-Fa-f',
};

const perlClasses: Record<string, string> = {
  d: '0-9',
  s: '\\t\\n\\f\\r ',
  w: '0-9A-Za-z_',
};

const generalCategories = new Set([
  'C', 'Cc', 'Cf', 'Co', 'Cs', 'L', 'Ll', 'Lm', 'Lo', 'Lt', 'Lu', 'M', 'Mc', 'Me', 'Mn', 'N', 'Nd', 'Nl', 'No',
  'P', 'Pc', 'Pd', 'Pe', 'Pf', 'Pi', 'Po', 'Ps', 'S', 'Sc', 'Sk', 'Sm', 'So', 'Z', 'Zl', 'Zp', 'Zs',
]);

function cpEscape(cp: number): string {
  return `\\u{${cp.toString(16)}}`;
}

/** The single code point a string is, or undefined. */
function singleCp(t: string): number | undefined {
  const c = t.codePointAt(0);
  return c !== undefined && t.length === String.fromCodePoint(c).length ? c : undefined;
}

/** Code points by the code points whose toLowerCase or toUpperCase they are (built on first use). */
let caseSources: Map<number, number[]> | undefined;

function sourcesOf(cp: number): number[] {
  if (!caseSources) {
    caseSources = new Map();
    for (let c = 0; c <= 0x1ffff; c++) {
      if (c >= 0xd800 && c <= 0xdfff) continue;
      const s = String.fromCodePoint(c);
      for (const d of new Set([singleCp(s.toLowerCase()), singleCp(s.toUpperCase())])) {
        if (d === undefined || d === c) continue;
        const list = caseSources.get(d);
        if (list) list.push(c);
        else caseSources.set(d, [c]);
      }
    }
  }
  return caseSources.get(cp) ?? [];
}

const variantCache = new Map<number, number[]>();
const foldedClasses = new Map<string, string>();

/** An ASCII class body (JS syntax) plus the case variants of what it matches: a-z gains A-Z, ſ, K. */
function foldAsciiClass(body: string): string {
  let out = foldedClasses.get(body);
  if (out === undefined) {
    const re = new RegExp(`[${body}]`, 'u');
    const extra = new Set<number>();
    for (let c = 0; c < 0x80; c++) {
      if (re.test(String.fromCharCode(c))) for (const v of caseVariants(c)) if (!re.test(String.fromCodePoint(v))) extra.add(v);
    }
    out = body + [...extra].sort((a, b) => a - b).map(cpEscape).join('');
    foldedClasses.set(body, out);
  }
  return out;
}

/**
 * The code points (?i) lets cp match, cp first: its simple case folding orbit, as Go's
 * unicode.SimpleFold walks it (k, K and U+212A KELVIN SIGN; s, S and U+017F LONG S; ...).
 */
function caseVariants(cp: number): number[] {
  let out = variantCache.get(cp);
  if (out) return out;
  const s = String.fromCodePoint(cp);
  if (singleCp(s.toLowerCase()) === cp && singleCp(s.toUpperCase()) === cp && cp < 0x80) {
    out = [cp];
  } else {
    // Candidates: everything reachable by lower/upper casing either way; kept if JS's
    // Unicode case-insensitive matching (simple case folding) agrees they fold together.
    const seen = new Set<number>([cp]);
    const queue = [cp];
    while (queue.length && seen.size < 16) {
      const c = queue.pop()!;
      const t = String.fromCodePoint(c);
      for (const d of [singleCp(t.toLowerCase()), singleCp(t.toUpperCase()), ...sourcesOf(c)]) {
        if (d !== undefined && !seen.has(d)) {
          seen.add(d);
          queue.push(d);
        }
      }
    }
    const re = new RegExp(`^${cpEscape(cp)}$`, 'iu');
    out = [...seen].filter((c) => c === cp || re.test(String.fromCodePoint(c)));
  }
  if (variantCache.size > 4096) variantCache.clear();
  variantCache.set(cp, out);
  return out;
}

/** A \p or \P class as JS syntax, or undefined if Go does not know the name. */
function unicodeClass(name: string, negate: boolean): string | undefined {
  const p = negate ? 'P' : 'p';
  if (name === 'Any') return negate ? '[^\\u{0}-\\u{10ffff}]' : '[\\u{0}-\\u{10ffff}]';
  if (generalCategories.has(name)) return `\\${p}{${name}}`;
  try {
    new RegExp(`\\p{Script=${name}}`, 'u');
    return `\\${p}{Script=${name}}`;
  } catch {
    return undefined;
  }
}

/**
 * Translates an RE2 pattern to equivalent JavaScript RegExp source (for the `u` flag, plus `i`
 * when `ignoreCase` is set). The result is not anchored. Throws RE2SyntaxError for whatever
 * Go's regexp/syntax rejects, with its error code and offending text.
 */
export function translateRE2(pattern: string, options: TranslateOptions = {}): Translation {
  const names: (string | undefined)[] = [undefined];
  // A leading (?i) that is never turned off maps to JS's `i` flag, whose Unicode simple case
  // folding matches Go's (e.g. (?i)k also matches U+212A KELVIN SIGN); elsewhere (?i) folds literals.
  const globalI = /^\(\?[msU]*i[imsU]*\)/.test(pattern) && !/\(\?[^):]*-[^):]*i/.test(pattern);
  let flags: Flags = { i: globalI, m: false, s: options.dotNL ?? false, U: false };
  const stack: { flags: Flags; start: number }[] = [];
  let out = '';
  /** Whether the last item can take a repetition operator, and where the last repetition began. */
  let canRepeat = false;
  let lastRepeatStart = -1;
  let i = 0;
  const n = pattern.length;

  const cpAt = (k: number) => pattern.codePointAt(k)!;
  /** An ASCII Perl/POSIX class body, case-folded under a local (?i) (Go folds classes too). */
  const classBody = (body: string): string => (flags.i && !globalI ? foldAsciiClass(body) : body);
  const literal = (cp: number): string => {
    if (flags.i && !globalI) {
      const vs = caseVariants(cp);
      if (vs.length > 1) return '[' + vs.map(cpEscape).join('') + ']';
    }
    const ch = String.fromCodePoint(cp);
    if ('^$\\.*+?()[]{}|/'.includes(ch)) return '\\' + ch;
    if (cp < 0x20 || cp === 0x7f) return cpEscape(cp);
    return ch;
  };

  /** Parses an escape at pattern[k] === '\\'; returns JS text (for use in or out of a class) and the next index. */
  const parseEscape = (k: number, inClass: boolean): { js: string; next: number; cp?: number; isClass?: boolean } => {
    if (k + 1 >= n) throw syntaxError('trailing backslash at end of expression', '');
    const c = pattern[k + 1]!;
    const bad = (end: number, detail?: string) => syntaxError('invalid escape sequence', pattern.slice(k, end), detail);
    const backref = `backreferences (\\${c}) are not supported (Prometheus uses RE2)`;
    switch (c) {
      case '1':
      case '2':
      case '3':
      case '4':
      case '5':
      case '6':
      case '7':
        if (k + 2 >= n || pattern[k + 2]! < '0' || pattern[k + 2]! > '7') throw bad(k + 2, backref);
      // falls through: octal
      case '0': {
        let j = k + 2;
        let v = c.charCodeAt(0) - 48;
        for (let d = 0; d < 2 && j < n && pattern[j]! >= '0' && pattern[j]! <= '7'; d++, j++) v = v * 8 + (pattern.charCodeAt(j) - 48);
        return { js: cpEscape(v), next: j, cp: v };
      }
      case 'x': {
        if (pattern[k + 2] === '{') {
          const close = pattern.indexOf('}', k + 3);
          const hex = close < 0 ? '' : pattern.slice(k + 3, close);
          if (close < 0 || !/^[0-9a-fA-F]+$/.test(hex) || parseInt(hex, 16) > 0x10ffff) throw bad(close < 0 ? n : close + 1);
          const v = parseInt(hex, 16);
          return { js: cpEscape(v), next: close + 1, cp: v };
        }
        const hex = pattern.slice(k + 2, k + 4);
        if (!/^[0-9a-fA-F]{2}$/.test(hex)) throw bad(Math.min(n, k + 2 + [...hex].filter((h) => /[0-9a-fA-F]/.test(h)).length + 1));
        const v = parseInt(hex, 16);
        return { js: cpEscape(v), next: k + 4, cp: v };
      }
      case 'a':
        return { js: cpEscape(7), next: k + 2, cp: 7 };
      case 'f':
        return { js: cpEscape(12), next: k + 2, cp: 12 };
      case 't':
        return { js: cpEscape(9), next: k + 2, cp: 9 };
      case 'n':
        return { js: cpEscape(10), next: k + 2, cp: 10 };
      case 'r':
        return { js: cpEscape(13), next: k + 2, cp: 13 };
      case 'v':
        return { js: cpEscape(11), next: k + 2, cp: 11 };
      case 'd':
      case 's':
      case 'w':
        const body = classBody(perlClasses[c]!);
        return { js: inClass ? body : `[${body}]`, next: k + 2, isClass: true };
      case 'D':
      case 'S':
      case 'W': {
        const body = classBody(perlClasses[c.toLowerCase()]!);
        if (inClass) return { js: `\u0000NEG${body}\u0000`, next: k + 2, isClass: true };
        return { js: `[^${body}]`, next: k + 2, isClass: true };
      }
      case 'p':
      case 'P': {
        let name: string;
        let next: number;
        if (pattern[k + 2] === '{') {
          const close = pattern.indexOf('}', k + 3);
          if (close < 0) throw syntaxError('invalid character class range', pattern.slice(k));
          name = pattern.slice(k + 3, close);
          next = close + 1;
        } else {
          if (k + 2 >= n) throw syntaxError('invalid character class range', pattern.slice(k));
          name = String.fromCodePoint(cpAt(k + 2));
          next = k + 2 + name.length;
        }
        let negate = c === 'P';
        if (name.startsWith('^')) {
          negate = !negate;
          name = name.slice(1);
        }
        const js = unicodeClass(name, negate);
        if (js === undefined) throw syntaxError('invalid character class range', pattern.slice(k, next));
        return { js, next, isClass: true };
      }
    }
    if (!inClass) {
      switch (c) {
        case 'b':
          return { js: '\\b', next: k + 2 };
        case 'B':
          return { js: '\\B', next: k + 2 };
        case 'A':
          return { js: '(?:^)', next: k + 2 };
        case 'z':
          return { js: '(?:$)', next: k + 2 };
      }
    }
    const cp = cpAt(k + 1);
    if (cp < 0x80 && !/[0-9A-Za-z]/.test(c)) return { js: cpEscape(cp), next: k + 2, cp };
    const end = k + 1 + String.fromCodePoint(cp).length;
    if (c === '8' || c === '9' || c === 'k') throw bad(end, backref);
    if (c === 'C') throw bad(end, '\\C (any byte) is not supported');
    if (c === 'Z') throw bad(end, 'invalid escape sequence "\\Z" (RE2 uses \\z for end of text)');
    throw bad(end);
  };

  const parseClass = (k: number): number => {
    const start = k;
    k++;
    let negate = false;
    if (pattern[k] === '^') {
      negate = true;
      k++;
    }
    const parts: string[] = [];
    const negParts: string[] = [];
    let first = true;
    const addRange = (lo: number, hi: number) => {
      parts.push(lo === hi ? cpEscape(lo) : cpEscape(lo) + '-' + cpEscape(hi));
      if (flags.i && !globalI) {
        if (hi - lo <= 512) {
          for (let c = lo; c <= hi; c++) for (const v of caseVariants(c)) if (v !== c) parts.push(cpEscape(v));
        } else {
          // Too wide to fold one by one: fold the ASCII letters it covers.
          for (const [a, b, delta] of [[97, 122, -32], [65, 90, 32]] as const) {
            const l = Math.max(lo, a);
            const h = Math.min(hi, b);
            if (l <= h) parts.push(cpEscape(l + delta) + '-' + cpEscape(h + delta));
          }
        }
      }
    };
    for (;;) {
      if (k >= n) throw syntaxError('missing closing ]', pattern.slice(start));
      const c = pattern[k]!;
      if (c === ']' && !first) {
        k++;
        break;
      }
      first = false;
      if (c === '[' && pattern[k + 1] === ':') {
        const close = pattern.indexOf(':]', k + 2);
        if (close >= 0) {
          let name = pattern.slice(k + 2, close);
          let neg = false;
          if (name.startsWith('^')) {
            neg = true;
            name = name.slice(1);
          }
          const body = posixClasses[name];
          if (body === undefined) throw syntaxError('invalid character class range', pattern.slice(k, close + 2));
          (neg ? negParts : parts).push(classBody(body));
          k = close + 2;
          continue;
        }
      }
      let lo: number;
      let loEnd: number;
      if (c === '\\') {
        const e = parseEscape(k, true);
        if (e.isClass) {
          if (e.js.startsWith('\u0000NEG')) negParts.push(e.js.slice(4, -1));
          else if (e.js.startsWith('[^')) negParts.push(e.js.slice(2, -1));
          else if (e.js.startsWith('[')) parts.push(e.js.slice(1, -1));
          else parts.push(e.js);
          k = e.next;
          continue;
        }
        lo = e.cp!;
        loEnd = e.next;
      } else {
        lo = cpAt(k);
        loEnd = k + String.fromCodePoint(lo).length;
      }
      if (pattern[loEnd] === '-' && loEnd + 1 < n && pattern[loEnd + 1] !== ']') {
        let hi: number;
        let hiEnd: number;
        if (pattern[loEnd + 1] === '\\') {
          const e = parseEscape(loEnd + 1, true);
          if (e.isClass) throw syntaxError('invalid character class range', pattern.slice(k, e.next));
          hi = e.cp!;
          hiEnd = e.next;
        } else {
          hi = cpAt(loEnd + 1);
          hiEnd = loEnd + 1 + String.fromCodePoint(hi).length;
        }
        if (hi < lo) throw syntaxError('invalid character class range', pattern.slice(k, hiEnd));
        addRange(lo, hi);
        k = hiEnd;
      } else {
        addRange(lo, lo);
        k = loEnd;
      }
    }
    // Negated Perl/POSIX classes inside a class: [\Dx] = (not digit) or x.
    let body = parts.join('');
    let js: string;
    if (negParts.length === 0) {
      js = negate ? `[^${body}]` : `[${body}]`;
    } else {
      const alts = [...(body ? [`[${body}]`] : []), ...negParts.map((p) => `[^${p}]`)];
      const union = `(?:${alts.join('|')})`;
      js = negate ? `(?:(?!${union})[\\u{0}-\\u{10ffff}])` : union;
    }
    body = '';
    out += js;
    return k;
  };

  while (i < n) {
    const c = pattern[i]!;
    switch (c) {
      case '(': {
        const start = i;
        if (pattern[i + 1] === '?') {
          const named = /^\(\?P?<([^>]*)>/.exec(pattern.slice(i));
          if (pattern.startsWith('(?P<', i) || pattern.startsWith('(?<', i)) {
            if (!named) throw syntaxError('invalid named capture', pattern.slice(i), perlHint(pattern.slice(i, i + 4)));
            const name = named[1]!;
            if (!/^[0-9A-Za-z_]+$/.test(name)) throw syntaxError('invalid named capture', named[0], perlHint(pattern.slice(i, i + 4)));
            names.push(name);
            stack.push({ flags, start });
            out += '(';
            i += named[0].length;
            canRepeat = false;
            lastRepeatStart = -1;
            continue;
          }
          // flags: (?flags) or (?flags:re)
          let j = i + 2;
          const next: Flags = { ...flags };
          let sign = true;
          let sawFlag = false;
          for (;;) {
            if (j >= n) throw syntaxError('invalid or unsupported Perl syntax', pattern.slice(i));
            const f = pattern[j]!;
            if (f === 'i' || f === 'm' || f === 's' || f === 'U') {
              next[f] = sign;
              sawFlag = true;
              j++;
              continue;
            }
            if (f === '-' && sign) {
              sign = false;
              sawFlag = false;
              j++;
              continue;
            }
            if ((f === ')' || f === ':') && (sign || sawFlag)) break;
            throw syntaxError('invalid or unsupported Perl syntax', pattern.slice(i, j + 1), perlHint(pattern.slice(i, j + 2)));
          }
          if (pattern[j] === ')') {
            flags = next;
            i = j + 1;
            continue;
          }
          stack.push({ flags, start });
          flags = next;
          out += '(?:';
          i = j + 1;
          canRepeat = false;
          lastRepeatStart = -1;
          continue;
        }
        names.push(undefined);
        stack.push({ flags, start });
        out += '(';
        i++;
        canRepeat = false;
        lastRepeatStart = -1;
        continue;
      }
      case ')': {
        const top = stack.pop();
        if (!top) throw syntaxError('unexpected )', pattern);
        flags = top.flags;
        out += ')';
        i++;
        canRepeat = true;
        lastRepeatStart = -1;
        continue;
      }
      case '|':
        out += '|';
        i++;
        canRepeat = false;
        lastRepeatStart = -1;
        continue;
      case '^':
        out += flags.m ? '(?<![^\\n])' : '(?:^)';
        i++;
        canRepeat = true;
        lastRepeatStart = -1;
        continue;
      case '$':
        out += flags.m ? '(?![^\\n])' : '(?:$)';
        i++;
        canRepeat = true;
        lastRepeatStart = -1;
        continue;
      case '.':
        out += flags.s ? '[\\u{0}-\\u{10ffff}]' : '[^\\n]';
        i++;
        canRepeat = true;
        lastRepeatStart = -1;
        continue;
      case '[':
        i = parseClass(i);
        canRepeat = true;
        lastRepeatStart = -1;
        continue;
      case '*':
      case '+':
      case '?':
      case '{': {
        let op: string = c;
        let end = i + 1;
        if (c === '{') {
          const m = /^\{([0-9]+)(,([0-9]*))?\}/.exec(pattern.slice(i));
          if (!m) {
            out += '\\{';
            i++;
            canRepeat = true;
            lastRepeatStart = -1;
            continue;
          }
          const min = Number(m[1]);
          const max = m[2] === undefined ? min : m[3] === '' ? -1 : Number(m[3]);
          if (min > 1000 || max > 1000 || (max >= 0 && max < min)) throw syntaxError('invalid repeat count', m[0]);
          op = m[0];
          end = i + m[0].length;
        }
        let lazy = false;
        if (pattern[end] === '?') {
          lazy = true;
          end++;
        }
        if (lastRepeatStart >= 0) throw syntaxError('invalid nested repetition operator', pattern.slice(lastRepeatStart, end));
        if (!canRepeat) throw syntaxError('missing argument to repetition operator', pattern.slice(i, end));
        if (flags.U) lazy = !lazy;
        out += op + (lazy ? '?' : '');
        lastRepeatStart = i;
        i = end;
        continue;
      }
      case '\\': {
        if (pattern[i + 1] === 'Q') {
          const close = pattern.indexOf('\\E', i + 2);
          const lit = close < 0 ? pattern.slice(i + 2) : pattern.slice(i + 2, close);
          for (const ch of lit) out += literal(ch.codePointAt(0)!);
          i = close < 0 ? n : close + 2;
          canRepeat = lit.length > 0 || canRepeat;
          lastRepeatStart = -1;
          continue;
        }
        const e = parseEscape(i, false);
        out += e.cp !== undefined ? literal(e.cp) : e.js;
        i = e.next;
        canRepeat = true;
        lastRepeatStart = -1;
        continue;
      }
      default: {
        const cp = cpAt(i);
        out += literal(cp);
        i += String.fromCodePoint(cp).length;
        canRepeat = true;
        lastRepeatStart = -1;
      }
    }
  }
  if (stack.length > 0) throw syntaxError('missing closing )', pattern);
  return { source: out, names, ignoreCase: globalI };
}
