/**
 * User-supplied regexes on re2js, a linear-time port of Go's RE2 (no backtracking, so no
 * pattern/input pair can stall the event loop). This file adds only what re2js lacks:
 * Go's error texts where they differ, Go's tolerance of duplicate group names, anchoring
 * as Prometheus/Alertmanager do it, Regexp.Expand's replacement syntax and
 * ReplaceAllString's handling of empty matches, and a bounded compile cache.
 */
import { RE2JS, RE2JSSyntaxException } from 're2js';

export interface RE2Options {
  /** Match the whole string, as Prometheus' and Alertmanager's `^(?:re)$`. Default false. */
  anchored?: boolean;
  /** The initial value of the `s` flag (`.` matches `\n`); Prometheus matchers use (?s). Default false. */
  dotNL?: boolean;
}

/** A compiled pattern; every method runs in time linear in its input. */
export interface RE2 {
  readonly pattern: string;
  /** Whether the pattern matches (the whole string when compiled anchored). */
  test(s: string): boolean;
  /** Go's Regexp.ReplaceAllString: every match replaced by `template` expanded ($1, ${1}, $name, $$). */
  replaceAll(src: string, template: string): string;
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
    this.name = 'RE2SyntaxError';
  }
}

/** Codes that read best without the offending text in a short description. */
const BARE_CODES = new Set([
  'missing closing )', 'missing closing ]', 'unexpected )', 'trailing backslash at end of expression',
  'missing argument to repetition operator',
]);

const HINT = '(Prometheus uses RE2)';

/** The short description, with a hint for the Perl syntax that RE2 lacks (lookarounds, backreferences). */
function describe(code: string, expr: string): string {
  const look = /^\(\?<?[=!]/.exec(expr);
  if (look) return `lookaround assertions "${look[0]}" are not supported ${HINT}`;
  if (expr.startsWith('(?P=') || (code === 'invalid or unsupported Perl syntax' && expr === '(?P')) {
    return `backreferences are not supported ${HINT}`;
  }
  if (code === 'invalid escape sequence' && /^\\[1-9]$/.test(expr)) return `backreferences (${expr}) are not supported ${HINT}`;
  if (BARE_CODES.has(code)) return code;
  if (code === 'invalid repeat count') return `${code} ${expr}`;
  return `${code} "${expr}"`;
}

function syntaxError(e: RE2JSSyntaxException): RE2SyntaxError {
  const expr = e.input ?? '';
  // Go 1.19 (Prometheus 2.42) reads `(?<` only as Perl syntax it lacks
  if (e.error === 'invalid named capture' && /^\(\?<[=!]/.test(expr)) {
    return new RE2SyntaxError('invalid or unsupported Perl syntax', '(?<', describe('', expr));
  }
  return new RE2SyntaxError(e.error, expr, describe(e.error, expr));
}

/**
 * Go allows two groups of one name (`(?P<n>a)|(?P<n>b)`), re2js refuses them: later ones get a
 * unique name here, and `names` maps group index → the name as written.
 */
function renameDuplicateGroups(pattern: string): { pattern: string; original: Map<string, string> } {
  const seen = new Set<string>();
  const original = new Map<string, string>();
  let out = '';
  let i = 0;
  const n = pattern.length;
  while (i < n) {
    const c = pattern[i]!;
    if (c === '\\') {
      if (pattern[i + 1] === 'Q') {
        const end = pattern.indexOf('\\E', i + 2);
        const stop = end < 0 ? n : end + 2;
        out += pattern.slice(i, stop);
        i = stop;
      } else {
        out += pattern.slice(i, i + 2);
        i += 2;
      }
      continue;
    }
    if (c === '[') {
      let j = i + 1;
      if (pattern[j] === '^') j++;
      if (pattern[j] === ']') j++;
      while (j < n && pattern[j] !== ']') {
        if (pattern[j] === '\\') j += 2;
        else if (pattern.startsWith('[:', j)) {
          const close = pattern.indexOf(':]', j + 2);
          j = close < 0 ? j + 1 : close + 2;
        } else j++;
      }
      out += pattern.slice(i, j + 1);
      i = j + 1;
      continue;
    }
    const named = /^\(\?P?<([0-9A-Za-z_]+)>/.exec(pattern.slice(i, i + 300));
    if (c === '(' && named) {
      let name = named[1]!;
      if (seen.has(name)) {
        const unique = `${name}__dup${original.size}`;
        original.set(unique, name);
        name = unique;
      }
      seen.add(name);
      out += `(?P<${name}>`;
      i += named[0].length;
      continue;
    }
    out += c;
    i++;
  }
  return { pattern: out, original };
}

class CompiledRE2 implements RE2 {
  constructor(
    readonly pattern: string,
    private readonly re: RE2JS,
    private readonly anchored: boolean,
    /** Capture group names by index (index 0 is the whole match). */
    private readonly names: (string | undefined)[],
    private readonly fast?: (s: string) => boolean,
  ) {}

  test(s: string): boolean {
    if (this.fast) return this.fast(s);
    return this.anchored ? this.re.testExact(s) : this.re.test(s);
  }

  replaceAll(src: string, template: string): string {
    const m = this.re.matcher(src);
    const groups = this.re.groupCount();
    const found = (): (string | undefined)[] => {
      const g: (string | undefined)[] = [];
      for (let i = 0; i <= groups; i++) g.push(m.group(i) ?? undefined);
      return g;
    };
    if (this.anchored) return m.matches() ? expand(template, found(), this.names) : src;
    let out = '';
    let lastMatchEnd = 0;
    let searchPos = 0;
    while (searchPos <= src.length && m.find(searchPos)) {
      const a0 = m.start();
      const a1 = m.end();
      out += src.slice(lastMatchEnd, a0);
      // an empty match right after the previous match is not replaced (Go's rule)
      if (a1 > lastMatchEnd || a0 === 0) out += expand(template, found(), this.names);
      lastMatchEnd = a1;
      const cp = src.codePointAt(searchPos);
      const width = cp === undefined ? 0 : cp > 0xffff ? 2 : 1;
      if (searchPos + width > a1) searchPos += width;
      else if (searchPos + 1 > a1) searchPos++;
      else searchPos = a1;
    }
    return out + src.slice(lastMatchEnd);
  }
}

/** Regexp.Expand's template syntax: $1, ${1}, $name, ${name}, $$. */
function expand(template: string, m: (string | undefined)[], names: (string | undefined)[]): string {
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
    let brace = false;
    let s = t;
    if (s.startsWith('{')) {
      brace = true;
      s = s.slice(1);
    }
    let j = 0;
    while (j < s.length) {
      const ch = String.fromCodePoint(s.codePointAt(j)!);
      if (!/^[\p{L}\p{Nd}_]$/u.test(ch)) break;
      j += ch.length;
    }
    if (j === 0 || (brace && s[j] !== '}')) {
      out += '$';
      continue;
    }
    const name = s.slice(0, j);
    t = s.slice(j + (brace ? 1 : 0));
    if (/^[0-9]+$/.test(name) && !(name.length > 1 && name[0] === '0') && name.length < 9) {
      const num = Number(name);
      if (num < m.length && m[num] !== undefined) out += m[num];
    } else {
      for (let idx = 1; idx < names.length; idx++) {
        if (names[idx] === name && m[idx] !== undefined) {
          out += m[idx];
          break;
        }
      }
    }
  }
  return out + t;
}

/** Literal text in RE2: no metacharacter, no escape, nothing a flag changes. */
const LITERAL = '[A-Za-z0-9_\\-:/@=, ]';
const ALTERNATION = new RegExp(`^${LITERAL}+(?:\\|${LITERAL}+)*$`);
const PREFIX = new RegExp(`^(${LITERAL}*)\\.([*+])$`);

/**
 * The shapes most matchers have (`P1|P2`, `checkout-.*`), answered without the engine, as
 * Prometheus' FastRegexMatcher does: a set lookup, a prefix test. Exact, and linear too.
 */
function fastAnchored(pattern: string, dotNL: boolean): ((s: string) => boolean) | undefined {
  if (ALTERNATION.test(pattern)) {
    const values = new Set(pattern.split('|'));
    return (s) => values.has(s);
  }
  const m = PREFIX.exec(pattern);
  if (m) {
    const [, prefix, op] = m as unknown as [string, string, string];
    const min = prefix.length + (op === '+' ? 1 : 0);
    return dotNL ? (s) => s.length >= min && s.startsWith(prefix) : (s) => s.length >= min && s.startsWith(prefix) && !s.includes('\n', prefix.length);
  }
  return undefined;
}

// Configs hold tens of patterns; API filters and templates bring passing ones. Bounded, since
// each compiled pattern keeps its program and DFA state cache.
const cache = new Map<string, RE2>();
const CACHE_MAX = 1000;
const CACHE_PATTERN_MAX = 1024;

/** Compiles a Go/RE2 pattern; throws RE2SyntaxError with Go's message. Compiled patterns are cached. */
export function compileRE2(pattern: string, opts: RE2Options = {}): RE2 {
  const key = `${opts.anchored ? 'a' : '-'}${opts.dotNL ? 's' : '-'}${pattern}`;
  let r = cache.get(key);
  if (r !== undefined) return r;
  const flags = opts.dotNL ? RE2JS.DOTALL : 0;
  let source = pattern;
  let original = new Map<string, string>();
  let re: RE2JS;
  try {
    try {
      re = RE2JS.compile(source, flags);
    } catch (e) {
      if (!(e instanceof RE2JSSyntaxException) || e.error !== 'duplicate capture group name') throw e;
      ({ pattern: source, original } = renameDuplicateGroups(pattern));
      re = RE2JS.compile(source, flags);
    }
  } catch (e) {
    throw e instanceof RE2JSSyntaxException ? syntaxError(e) : e;
  }
  const names: (string | undefined)[] = new Array(re.groupCount() + 1).fill(undefined);
  for (const [name, idx] of Object.entries(re.namedGroups())) names[idx] = original.get(name) ?? name;
  r = new CompiledRE2(pattern, re, opts.anchored ?? false, names, opts.anchored ? fastAnchored(pattern, opts.dotNL ?? false) : undefined);
  if (pattern.length <= CACHE_PATTERN_MAX) {
    if (cache.size >= CACHE_MAX) cache.delete(cache.keys().next().value!); // the oldest
    cache.set(key, r);
  }
  return r;
}
