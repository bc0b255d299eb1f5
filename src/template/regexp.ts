/**
 * Go's regexp API for match and reReplaceAll, on top of the shared RE2 translator
 * (src/regex): unanchored, global matching; regexp.Compile/MustCompile's error texts;
 * Regexp.Expand's replacement syntax ($1, ${1}, $name, $$) and ReplaceAllString's
 * handling of empty matches.
 */
import { RE2SyntaxError, translateRE2, type Translation } from '../regex/index.js';
import { canBackquote, quote } from './strconv.js';

export class RegexpError extends Error {}

export interface GoRegexp {
  re: RegExp;
  /** Capture group names by index (index 0 is the whole match). */
  names: (string | undefined)[];
}

const cache = new Map<string, GoRegexp>();

/** regexp.Compile; throws RegexpError. Compiled patterns are cached. */
export function compile(pattern: string): GoRegexp {
  let r = cache.get(pattern);
  if (r) return r;
  let t: Translation;
  try {
    t = translateRE2(pattern);
  } catch (e) {
    throw e instanceof RE2SyntaxError ? new RegexpError(e.message) : e;
  }
  let re: RegExp;
  try {
    re = new RegExp(t.source, 'gu' + (t.ignoreCase ? 'i' : ''));
  } catch {
    throw new RegexpError(`error parsing regexp: invalid or unsupported Perl syntax: \`${pattern}\``);
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
