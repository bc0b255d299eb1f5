// A tokenizer with the lexical rules of Prometheus' promql/parser/lex.go. lezer-promql's own
// tokens are laxer (unterminated strings, any escape, more number shapes), so this pass finds
// lexical errors first and gives syntax errors the words to describe a token.
import type { PromQLDiagnostic } from './ast.js';
import { scanEscape } from './literals.js';

export type TokenKind = 'identifier' | 'keyword' | 'number' | 'duration' | 'string' | 'operator' | 'comment';

export interface Token {
  kind: TokenKind;
  text: string;
  from: number;
  to: number;
}

export interface LexResult {
  tokens: Token[];
  error?: PromQLDiagnostic;
}

/** PromQL keywords (case-insensitive), which cannot be metric names in most places. */
export const KEYWORDS: ReadonlySet<string> = new Set([
  'and', 'or', 'unless', 'atan2', 'sum', 'avg', 'count', 'min', 'max', 'group', 'stddev', 'stdvar', 'topk', 'bottomk',
  'count_values', 'quantile', 'limitk', 'limit_ratio', 'offset', 'smoothed', 'anchored', 'by', 'without', 'on',
  'ignoring', 'group_left', 'group_right', 'fill', 'fill_left', 'fill_right', 'bool', 'start', 'end', 'step', 'range',
]);

// Words lezer-promql accepts inside [...] (duration expressions); they are rejected later as experimental.
const BRACKET_WORDS = new Set(['step', 'range', 'min', 'max', 'min_of', 'max_of']);
const OPERATORS = ['==', '!=', '>=', '<=', '</', '>/', '=~', '!~', '+', '-', '*', '/', '%', '^', '>', '<', '=', '@', ',', ':',
  '(', ')', '{', '}', '[', ']'];

const isDigit = (c: string | undefined) => c !== undefined && c >= '0' && c <= '9';
const isAlpha = (c: string | undefined) => c !== undefined && (c === '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'));
const isAlnum = (c: string | undefined) => isAlpha(c) || isDigit(c);
const isSpace = (c: string | undefined) => c === ' ' || c === '\t' || c === '\n' || c === '\r';

class LexError extends Error {
  constructor(message: string, readonly from: number, readonly to: number) {
    super(message);
  }
}

/** Length of a number at s[i] by Prometheus' lexer rules, or 0 when it is not a well-formed number. */
function numberLength(s: string, i: number): number {
  let p = i;
  let digits = '0123456789';
  const at = (q: number) => s[q] ?? '';
  if (at(p) === '0' && (at(p + 1) === 'x' || at(p + 1) === 'X')) {
    p += 2;
    if (at(p) === '_') p++;
    digits += 'abcdefABCDEF';
  }
  const hex = digits.length > 10;
  const isDig = (q: number) => at(q) !== '' && digits.includes(at(q));
  if (at(p) === '.') p++;
  if (isDig(p)) p++;
  let dot = false;
  let exp = false;
  while (at(p) !== '' && (digits + '._eE').includes(at(p))) {
    const c = at(p);
    // Prometheus checks the exponent before hex digits, so e/E in a hex number starts an exponent.
    if (c === '.') {
      if (dot || hex) return 0;
      dot = true;
      p++;
      if ('_.'.includes(at(p)) && at(p) !== '') return 0;
    } else if (c === 'e' || c === 'E') {
      if (exp) return 0;
      exp = true;
      p++;
      if (at(p) === '+' || at(p) === '-') p++;
      if (at(p) === '' || '._eE'.includes(at(p))) return 0;
    } else if (c === '_') {
      p++;
      if (at(p) === '' || '._eE'.includes(at(p))) return 0;
    } else {
      while (isDig(p)) p++;
    }
  }
  if (p === i) return 0;
  return isAlnum(s[p]) ? 0 : p - i;
}

/** Length of a duration at s[i] (`1h30m`), or 0. Unit order is checked when the duration is parsed. */
function durationLength(s: string, i: number): number {
  const m = /^\d+[smhdwy]s?(?:\d+[smhdw]s?)*/.exec(s.slice(i));
  if (!m || isAlnum(s[i + m[0].length])) return 0;
  return m[0].length;
}

/** Splits a PromQL expression into tokens, stopping at the first lexical error as Prometheus does. */
export function tokenize(src: string): LexResult {
  const tokens: Token[] = [];
  const parens: number[] = [];
  let brace = -1;
  let bracket = -1;
  let bracketParens: number[] = [];
  let i = 0;
  const push = (kind: TokenKind, to: number) => {
    tokens.push({ kind, text: src.slice(i, to), from: i, to });
    i = to;
  };
  const word = (from: number, colon: boolean) => {
    let p = from;
    while (isAlnum(src[p]) || (colon && src[p] === ':')) p++;
    return p;
  };
  const badNumber = () => {
    let p = i;
    while (isAlnum(src[p]) || src[p] === '.') p++;
    throw new LexError(`bad number or duration syntax: "${src.slice(i, p)}"`, i, p);
  };
  const number = () => {
    const n = numberLength(src, i);
    if (n > 0) return push('number', i + n);
    const d = durationLength(src, i);
    if (d > 0) return push('duration', i + d);
    badNumber();
  };
  const string = () => {
    const quote = src[i];
    let p = i + 1;
    for (;;) {
      const c = src[p];
      if (c === undefined || (c === '\n' && quote !== '`')) {
        throw new LexError(quote === '`' ? 'unterminated raw string' : 'unterminated quoted string', i, p);
      }
      if (c === quote) break;
      if (c === '\\' && quote !== '`') {
        const esc = scanEscape(src, p + 1, quote);
        if ('error' in esc) throw new LexError(esc.error, p, Math.min(p + 2, src.length));
        p += 1 + esc.length;
        continue;
      }
      p++;
    }
    push('string', p + 1);
  };
  const operator = (allowed: string[]) => {
    const op = allowed.find((o) => src.startsWith(o, i));
    if (op === undefined) return false;
    push('operator', i + op.length);
    return true;
  };
  const comment = () => {
    let p = i;
    while (p < src.length && src[p] !== '\n' && src[p] !== '\r') p++;
    push('comment', p);
  };

  try {
    while (i < src.length) {
      const c = src[i];
      if (isSpace(c)) {
        i++;
      } else if (brace >= 0) {
        // Inside {...}: label names, match operators and strings.
        if (c === '#') comment();
        else if (isAlpha(c)) push('identifier', word(i, false));
        else if (c === '"' || c === "'" || c === '`') string();
        else if (c === '}') {
          push('operator', i + 1);
          brace = -1;
        } else if (c === '{') throw new LexError('unexpected "{" inside braces', i, i + 1);
        else if (!operator(['=~', '!~', '!=', '=', ','])) {
          throw new LexError(`unexpected character "${c}" inside braces`, i, i + 1);
        }
      } else if (bracket >= 0) {
        // Inside [...]: durations, numbers and (experimental) duration arithmetic.
        if (isDigit(c) || (c === '.' && isDigit(src[i + 1]))) number();
        else if (isAlpha(c)) {
          const end = word(i, false);
          const w = src.slice(i, end);
          if (!BRACKET_WORDS.has(w.toLowerCase())) {
            throw new LexError(`unexpected "${w}" in range or subquery selector, expected a duration (e.g. 5m)`, i, end);
          }
          push('keyword', end);
        } else if (c === ']') {
          push('operator', i + 1);
          bracket = -1;
        } else if (c === '[') throw new LexError('unexpected "[" inside brackets', i, i + 1);
        else if (c === '(') {
          bracketParens.push(i);
          push('operator', i + 1);
        } else if (c === ')') {
          if (bracketParens.pop() === undefined) throw new LexError('unexpected ")"', i, i + 1);
          push('operator', i + 1);
        } else if (!operator(['+', '-', '*', '/', '%', '^', ',', ':'])) {
          throw new LexError(`unexpected character "${c}" in range or subquery selector`, i, i + 1);
        }
      } else if (c === '#') comment();
      else if (isDigit(c) || (c === '.' && isDigit(src[i + 1]))) number();
      else if (c === '"' || c === "'" || c === '`') string();
      else if (isAlpha(c) || c === ':') {
        const end = word(i, true);
        const w = src.slice(i, end).toLowerCase();
        push(w === 'inf' || w === 'nan' ? 'number' : KEYWORDS.has(w) ? 'keyword' : 'identifier', end);
      } else if (c === '(') {
        parens.push(i);
        push('operator', i + 1);
      } else if (c === ')') {
        if (parens.pop() === undefined) throw new LexError('unexpected ")"', i, i + 1);
        push('operator', i + 1);
      } else if (c === '{') {
        brace = i;
        push('operator', i + 1);
      } else if (c === '[') {
        bracket = i;
        bracketParens = [];
        push('operator', i + 1);
      } else if (c === '}' || c === ']') {
        throw new LexError(`unexpected "${c}"`, i, i + 1);
      } else if (src.startsWith('=~', i) || src.startsWith('!~', i)) {
        throw new LexError(`unexpected "${src.slice(i, i + 2)}": regex matchers go inside braces, e.g. foo{label=~"re"}`, i, i + 2);
      } else if (!operator(OPERATORS)) {
        throw new LexError(`unexpected character "${c}"`, i, i + 1);
      }
    }
    if (brace >= 0) throw new LexError('unclosed "{"', brace, brace + 1);
    if (bracket >= 0) throw new LexError('unclosed "["', bracket, bracket + 1);
    const open = parens.pop();
    if (open !== undefined) throw new LexError('unclosed "("', open, open + 1);
  } catch (err) {
    if (!(err instanceof LexError)) throw err;
    return { tokens, error: { from: err.from, to: err.to, message: err.message, severity: 'error' } };
  }
  return { tokens };
}

/** How a token is named in "unexpected ..." messages. */
export function describeToken(t: Token): string {
  switch (t.kind) {
    case 'identifier': return `identifier "${t.text}"`;
    case 'number': return `number "${t.text}"`;
    case 'duration': return `duration "${t.text}"`;
    case 'string': return `string ${t.text.length > 30 ? t.text.slice(0, 27) + '...' : t.text}`;
    default: return `"${t.text}"`;
  }
}
