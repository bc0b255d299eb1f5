/**
 * Go's regexp (RE2 syntax) for match and reReplaceAll: the pattern is checked
 * with Go's rules and error messages, then translated to an equivalent JS
 * RegExp (Go's \s, \d, \w, '.', $, flags (?imsU), POSIX classes, \pN, \Q..\E,
 * named groups). Replacement follows Go's Regexp.Expand ($1, ${1}, $name, $$)
 * and ReplaceAllString's handling of empty matches.
 */
import { canBackquote, quote } from './strconv.js';

export class RegexpError extends Error {}

export interface GoRegexp {
  re: RegExp;
  /** Capture group names by index (index 0 is the whole match). */
  names: (string | undefined)[];
}

function syntaxError(code: string, expr: string): RegexpError {
  return new RegexpError(`error parsing regexp: ${code}: \`${expr}\``);
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

function caseVariants(cp: number): number[] {
  const s = String.fromCodePoint(cp);
  const out = new Set<number>([cp]);
  for (const t of [s.toLowerCase(), s.toUpperCase()]) {
    const c = t.codePointAt(0)!;
    if (t.length === String.fromCodePoint(c).length) out.add(c);
  }
  return [...out];
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

/** Translates a Go pattern to JS RegExp source; throws RegexpError with Go's message. */
export function translate(pattern: string): { source: string; names: (string | undefined)[]; ignoreCase: boolean } {
  const names: (string | undefined)[] = [undefined];
  const globalI = /^\(\?[msU]*i[imsU]*\)/.test(pattern) && !/\(\?[^):]*-[^):]*i/.test(pattern);
  let flags: Flags = { i: globalI, m: false, s: false, U: false };
  const stack: { flags: Flags; start: number }[] = [];
  let out = '';
  /** Whether the last item can take a repetition operator, and where the last repetition began. */
  let canRepeat = false;
  let lastRepeatStart = -1;
  let i = 0;
  const n = pattern.length;

  const cpAt = (k: number) => pattern.codePointAt(k)!;
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
    const bad = (end: number) => syntaxError('invalid escape sequence', pattern.slice(k, end));
    switch (c) {
      case '1':
      case '2':
      case '3':
      case '4':
      case '5':
      case '6':
      case '7':
        if (k + 2 >= n || pattern[k + 2]! < '0' || pattern[k + 2]! > '7') throw bad(k + 2);
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
        return { js: inClass ? perlClasses[c]! : `[${perlClasses[c]!}]`, next: k + 2, isClass: true };
      case 'D':
      case 'S':
      case 'W': {
        const body = perlClasses[c.toLowerCase()]!;
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
    throw bad(k + 1 + String.fromCodePoint(cp).length);
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
          (neg ? negParts : parts).push(body);
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
            if (!named) throw syntaxError('invalid named capture', pattern.slice(i));
            const name = named[1]!;
            if (!/^[0-9A-Za-z_]+$/.test(name)) throw syntaxError('invalid named capture', named[0]);
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
            throw syntaxError('invalid or unsupported Perl syntax', pattern.slice(i, j + 1));
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

const cache = new Map<string, GoRegexp>();

/** regexp.Compile; throws RegexpError. Compiled patterns are cached. */
export function compile(pattern: string): GoRegexp {
  let r = cache.get(pattern);
  if (r) return r;
  const t = translate(pattern);
  let re: RegExp;
  try {
    re = new RegExp(t.source, 'gu' + (t.ignoreCase ? 'i' : ''));
  } catch {
    throw syntaxError('invalid or unsupported Perl syntax', pattern);
  }
  r = { re, names: t.names };
  if (cache.size > 500) cache.clear();
  cache.set(pattern, r);
  return r;
}

/** The panic text of regexp.MustCompile. */
export function mustCompile(pattern: string): GoRegexp {
  try {
    return compile(pattern);
  } catch (e) {
    const q = canBackquote(pattern) ? '`' + pattern + '`' : quote(pattern);
    throw new RegexpError(`regexp: Compile(${q}): ${(e as Error).message}`);
  }
}

export function matchString(r: GoRegexp, s: string): boolean {
  r.re.lastIndex = 0;
  return r.re.test(s);
}

/** Regexp.Expand's template syntax: $1, ${1}, $name, ${name}, $$. */
function expand(template: string, m: RegExpExecArray, r: GoRegexp): string {
  let out = '';
  let t = template;
  for (;;) {
    const k = t.indexOf('$');
    if (k < 0) break;
    out += t.slice(0, k);
    t = t.slice(k + 1);
    if (t.startsWith('$')) {
      out += '$';
      t = t.slice(1);
      continue;
    }
    // extract
    let brace = false;
    let s = t;
    if (s.startsWith('{')) {
      brace = true;
      s = s.slice(1);
    }
    let j = 0;
    while (j < s.length) {
      const cp = s.codePointAt(j)!;
      const ch = String.fromCodePoint(cp);
      if (!/^[\p{L}\p{Nd}_]$/u.test(ch)) break;
      j += ch.length;
    }
    if (j === 0 || (brace && s[j] !== '}')) {
      out += '$';
      continue;
    }
    const name = s.slice(0, j);
    t = s.slice(j + (brace ? 1 : 0));
    let num = -1;
    if (/^[0-9]+$/.test(name) && !(name.length > 1 && name[0] === '0') && name.length < 9) num = Number(name);
    if (num >= 0) {
      if (num < m.length && m[num] !== undefined) out += m[num];
    } else {
      for (let idx = 1; idx < r.names.length; idx++) {
        if (r.names[idx] === name && m[idx] !== undefined) {
          out += m[idx];
          break;
        }
      }
    }
  }
  return out + t;
}

/** Regexp.ReplaceAllString. */
export function replaceAllString(r: GoRegexp, src: string, repl: string): string {
  const re = r.re;
  let out = '';
  let lastMatchEnd = 0;
  let searchPos = 0;
  while (searchPos <= src.length) {
    re.lastIndex = searchPos;
    const m = re.exec(src);
    if (!m) break;
    const a0 = m.index;
    const a1 = a0 + m[0].length;
    out += src.slice(lastMatchEnd, a0);
    if (a1 > lastMatchEnd || a0 === 0) out += expand(repl, m, r);
    lastMatchEnd = a1;
    const cp = src.codePointAt(searchPos);
    const width = cp === undefined ? 0 : cp > 0xffff ? 2 : 1;
    if (searchPos + width > a1) searchPos += width;
    else if (searchPos + 1 > a1) searchPos++;
    else searchPos = a1;
  }
  return out + src.slice(lastMatchEnd);
}
