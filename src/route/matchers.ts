// Alertmanager's label matchers: parsing (the UTF-8 parser of matchers/parse with the classic
// pkg/labels parser as fallback, as Alertmanager runs by default), matching and printing.

import { compileRE2, RE2SyntaxError, type RE2 } from '../regex/index.js';
import type { Labels, Matcher, MatchType } from './types.js';

/**
 * A matcher text that neither of Alertmanager's parsers accepts. `message` is the UTF-8
 * parser's message (`start:end: what: why`, columns counted in code points, as Alertmanager
 * prints them); `offset`/`end` index the same span in the JS string.
 */
export class MatcherParseError extends Error {
  constructor(
    message: string,
    readonly input: string,
    readonly offset: number,
    readonly end: number,
    /** Column (code points) where the problem starts, as in the message. */
    readonly column: number,
  ) {
    super(message);
    this.name = 'MatcherParseError';
  }
}

// ---------------------------------------------------------------------------------------------
// Regexes: anchored as Alertmanager does (`^(?:re)$`), RE2 syntax, and — unlike Prometheus'
// label matchers — `.` does not match a newline.

export class MatcherRegexError extends Error {}

/** Compiles a matcher regex exactly as Alertmanager anchors it; throws MatcherRegexError. Cached by src/regex. */
export function compileMatcherRegex(value: string): RE2 {
  try {
    return compileRE2(value, { anchored: true });
  } catch (err) {
    throw err instanceof RE2SyntaxError ? new MatcherRegexError(err.detail) : err;
  }
}

const WELL_FORMED = /^(?:[^\ud800-\udfff]|[\ud800-\udbff][\udc00-\udfff])*$/;

/** Whether a string is well-formed Unicode, as Go's utf8.ValidString asks of label values. */
export function isWellFormed(s: string): boolean {
  return WELL_FORMED.test(s);
}

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** A label name as Alertmanager 0.25 accepts it (model.LabelName.IsValid): `[a-zA-Z_][a-zA-Z0-9_]*`. */
export function isValidLabelName(name: string): boolean {
  return LABEL_NAME.test(name);
}

/** Builds a matcher, validating a regex value now rather than at match time. */
export function newMatcher(type: MatchType, name: string, value: string): Matcher {
  if (type === '=~' || type === '!~') compileMatcherRegex(value);
  return { name, type, value };
}

/** Whether a value satisfies the matcher. */
export function matchesValue(m: Matcher, value: string): boolean {
  switch (m.type) {
    case '=':
      return value === m.value;
    case '!=':
      return value !== m.value;
    case '=~':
      return compileMatcherRegex(m.value).test(value);
    case '!~':
      return !compileMatcherRegex(m.value).test(value);
  }
}

/** Whether a label set satisfies the matcher; a missing label is the empty string. */
export function matches(m: Matcher, labels: Labels): boolean {
  return matchesValue(m, labels[m.name] ?? '');
}

/** Whether a label set satisfies every matcher (true for none). */
export function matchesAll(ms: readonly Matcher[], labels: Labels): boolean {
  for (const m of ms) if (!matches(m, labels)) return false;
  return true;
}

// ---------------------------------------------------------------------------------------------
// Printing, as labels.Matcher.String() and labels.Matchers.String().

function isReservedForPrint(ch: string): boolean {
  return WHITE_SPACE.test(ch) || '{}!=~,\\"\'`'.includes(ch);
}

function openMetricsEscape(s: string): string {
  return s.replace(/[\\\n"]/g, (c) => (c === '\n' ? '\\n' : '\\' + c));
}

/** `name="value"`, quoting the name too when it holds characters the parsers reserve. */
export function formatMatcher(m: Matcher): string {
  if ([...m.name].some(isReservedForPrint)) return `${goQuote(m.name)}${m.type}${goQuote(m.value)}`;
  return `${m.name}${m.type}"${openMetricsEscape(m.value)}"`;
}

/** `{a="b",c=~"d"}` — the form in Alertmanager's route keys. */
export function formatMatchers(ms: readonly Matcher[]): string {
  return `{${ms.map(formatMatcher).join(',')}}`;
}

const TYPE_ORDER: Record<MatchType, number> = { '=': 0, '!=': 1, '=~': 2, '!~': 3 };

/** Byte-wise (UTF-8) string order, as Go compares strings. */
export function compareStrings(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // UTF-16 order differs from code point order only between surrogates and U+E000..U+FFFF.
    const xs = x >= 0xd800 && x <= 0xdfff;
    const ys = y >= 0xd800 && y <= 0xdfff;
    if (xs !== ys && Math.max(x, y) >= 0xe000) return xs ? 1 : -1;
    return x - y;
  }
  return a.length - b.length;
}

/** Alertmanager's matcher order (name, value, then type), used for route keys. */
export function compareMatchers(a: Matcher, b: Matcher): number {
  return compareStrings(a.name, b.name) || compareStrings(a.value, b.value) || TYPE_ORDER[a.type] - TYPE_ORDER[b.type];
}

export function sortMatchers(ms: readonly Matcher[]): Matcher[] {
  return [...ms].sort(compareMatchers);
}

const PLAIN_ASCII = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

/** Go's strconv.Quote. */
export function goQuote(s: string): string {
  if (PLAIN_ASCII.test(s)) return `"${s}"`; // the common case: nothing to escape
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (cp === 0x22 || cp === 0x5c) out += '\\' + ch;
    else if (cp >= 0x20 && cp < 0x7f) out += ch;
    else if (cp >= 0x80 && PRINTABLE.test(ch)) out += ch;
    else if (GO_ESCAPES[cp] !== undefined) out += GO_ESCAPES[cp];
    else if (cp < 0x20 || cp === 0x7f) out += '\\x' + cp.toString(16).padStart(2, '0');
    else if (cp >= 0xd800 && cp <= 0xdfff) out += '\\ufffd';
    else if (cp < 0x10000) out += '\\u' + cp.toString(16).padStart(4, '0');
    else out += '\\U' + cp.toString(16).padStart(8, '0');
  }
  return out + '"';
}

const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u;
const GO_ESCAPES: Record<number, string> = { 7: '\\a', 8: '\\b', 9: '\\t', 10: '\\n', 11: '\\v', 12: '\\f', 13: '\\r' };

/** A label set's names in Go's string order; most label sets come sorted, and sort() copies the array, so it is checked first. */
export function sortedNames(labels: Labels): string[] {
  const names = Object.keys(labels);
  for (let i = 1; i < names.length; i++) {
    if (compareStrings(names[i - 1], names[i]) > 0) return names.sort(compareStrings);
  }
  return names;
}

/** A label set as Prometheus prints it (model.LabelSet.String): `{a="1", b="2"}`, names sorted. */
export function formatLabelSet(labels: Labels): string {
  let out = '{';
  for (const n of sortedNames(labels)) out += `${out.length > 1 ? ', ' : ''}${n}=${goQuote(labels[n])}`;
  return out + '}';
}

// ---------------------------------------------------------------------------------------------
// Parsing. Alertmanager (default "fallback" mode) parses with both parsers and keeps the classic
// result whenever the classic parser accepts the input, the UTF-8 result when only it does.

/** Parses one or more matchers: `{a="b", c!~"d"}`, `a=b,c=~d.*`, or `` (none). */
export function parseMatchers(text: string): Matcher[] {
  try {
    return parseClassicMatchers(text);
  } catch (err) {
    if (!(err instanceof MatcherParseError)) throw err;
    // The classic parser has no positions to offer: the UTF-8 parser's error is the one reported.
    return parseMatchersUTF8(text);
  }
}

/** Parses exactly one matcher, without braces: `severity="P1"`. */
export function parseMatcher(text: string): Matcher {
  if (text.startsWith('{') || text.endsWith('}')) {
    const at = text.startsWith('{') ? 0 : text.length - 1;
    throw new MatcherParseError(`unexpected open or close brace: ${text}`, text, at, at + 1, codePointColumn(text, at));
  }
  try {
    return parseClassicMatcher(text);
  } catch (err) {
    if (!(err instanceof MatcherParseError)) throw err;
    // As in parseMatchers.
  }
  const ms = parseMatchersUTF8(text);
  if (ms.length === 0) throw new MatcherParseError('no matchers', text, 0, text.length, 0);
  if (ms.length > 1) throw new MatcherParseError(`expected 1 matcher, found ${ms.length}`, text, 0, text.length, 0);
  return ms[0];
}

function codePointColumn(text: string, offset: number): number {
  let col = 0;
  for (let i = 0; i < offset; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < offset) i++;
    col++;
  }
  return col;
}

// ---- the UTF-8 parser (matchers/parse) ----

const WHITE_SPACE = /^\p{White_Space}$/u;
const isSpace = (ch: string) => WHITE_SPACE.test(ch);
const isReserved = (ch: string) => isSpace(ch) || '{}!=~,\\"\'`'.includes(ch);

type TokenKind = 'eof' | '{' | '}' | ',' | 'op' | 'quoted' | 'unquoted';

interface Pos {
  offStart: number;
  offEnd: number;
  colStart: number;
  colEnd: number;
}

interface Token extends Pos {
  kind: TokenKind;
  value: string;
}

/** A parser-level failure; `eof` marks Alertmanager's ErrEOF, which some states recover from. */
class Fail {
  constructor(
    readonly message: string,
    readonly at: Pos,
    readonly eof = false,
  ) {}
  wrap(reason: string, keepEof = false): Fail {
    return new Fail(`${this.message}: ${reason}`, this.at, keepEof && this.eof);
  }
}

class Lexer {
  private start = 0;
  private pos = 0;
  private width = 0;
  private column = 0;
  private cols = 0;
  private err: Fail | undefined;

  constructor(readonly input: string) {}

  position(): Pos {
    return { offStart: this.start, offEnd: this.pos, colStart: this.column, colEnd: this.cols };
  }

  peek(): Token | Fail {
    const saved = [this.start, this.pos, this.width, this.column, this.cols] as const;
    const tok = this.scan();
    [this.start, this.pos, this.width, this.column, this.cols] = saved;
    return tok;
  }

  scan(): Token | Fail {
    if (this.err) return this.err;
    for (let r = this.next(); r !== undefined; r = this.next()) {
      if (r === '{' || r === '}' || r === ',') return this.emit(r);
      if (r === '=' || r === '!') {
        this.rewind();
        return this.remember(this.scanOperator());
      }
      if (r === '"') {
        this.rewind();
        return this.remember(this.scanQuoted());
      }
      if (!isReserved(r)) {
        this.rewind();
        return this.scanUnquoted();
      }
      if (isSpace(r)) {
        this.start = this.pos;
        this.column++;
        continue;
      }
      return this.remember(new Fail(`${this.column}:${this.cols}: ${this.input.slice(this.start, this.pos)}: invalid input`, this.position()));
    }
    return { kind: 'eof', value: '', ...this.position() };
  }

  private remember(t: Token | Fail): Token | Fail {
    if (t instanceof Fail) this.err = t;
    return t;
  }

  private scanOperator(): Token | Fail {
    if (this.accept('!')) {
      const err = this.expect('=~');
      return err ?? this.emit('op');
    }
    this.accept('=');
    this.accept('~');
    return this.emit('op');
  }

  private scanQuoted(): Token | Fail {
    this.next(); // the opening quote
    let escaped = false;
    for (let r = this.next(); r !== undefined; r = this.next()) {
      if (escaped) escaped = false;
      else if (r === '\\') escaped = true;
      else if (r === '"') {
        this.rewind();
        break;
      }
    }
    if (this.expect('"')) {
      return new Fail(`${this.column}:${this.cols}: ${this.input.slice(this.start, this.pos)}: missing end "`, this.position());
    }
    return this.emit('quoted');
  }

  private scanUnquoted(): Token {
    for (let r = this.next(); r !== undefined; r = this.next()) {
      if (isReserved(r)) {
        this.rewind();
        break;
      }
    }
    return this.emit('unquoted');
  }

  private accept(valid: string): boolean {
    const r = this.next();
    if (r !== undefined && valid.includes(r)) return true;
    this.rewind();
    return false;
  }

  private expect(valid: string): Fail | undefined {
    const r = this.next();
    if (r !== undefined && valid.includes(r)) return undefined;
    this.rewind();
    const at = this.position();
    if (at.offEnd >= this.input.length) {
      return new Fail(`${at.colStart}:${at.colEnd}: unexpected end of input, expected one of '${valid}'`, at);
    }
    return new Fail(`${at.colStart}:${at.colEnd}: ${this.input.slice(at.offStart, at.offEnd)}: expected one of '${valid}'`, at);
  }

  private emit(kind: TokenKind): Token {
    const tok: Token = { kind, value: this.input.slice(this.start, this.pos), ...this.position() };
    this.start = this.pos;
    this.column = this.cols;
    return tok;
  }

  private next(): string | undefined {
    if (this.pos >= this.input.length) {
      this.width = 0;
      return undefined;
    }
    const cp = this.input.codePointAt(this.pos)!;
    this.width = cp > 0xffff ? 2 : 1;
    const ch = this.input.slice(this.pos, this.pos + this.width);
    this.pos += this.width;
    this.cols++;
    return ch;
  }

  private rewind(): void {
    if (this.width > 0) {
      this.pos -= this.width;
      this.width = 0;
      this.cols--;
    }
  }
}

const OPERATORS = new Set(['=', '!=', '=~', '!~']);

type State = 'openBrace' | 'closeBrace' | 'matcher' | 'endOfMatcher' | 'comma' | 'eof' | 'done';

/**
 * Alertmanager's UTF-8 matchers parser alone (matchers/parse, its `utf8-strict-mode`): names and
 * values may be double-quoted (Go escapes) or bare UTF-8 without reserved characters.
 */
export function parseMatchersUTF8(input: string): Matcher[] {
  const l = new Lexer(input);
  const out: Matcher[] = [];
  let hasOpenBrace = false;

  const unexpectedEof = () => new Fail(`0:${l.position().colEnd}: end of input`, l.position(), true);
  const expectPeek = (...kinds: TokenKind[]): Token | Fail => {
    const tok = l.peek();
    if (tok instanceof Fail) return tok;
    if (tok.kind === 'eof') return unexpectedEof();
    if (!kinds.includes(tok.kind)) return new Fail(`${tok.colStart}:${tok.colEnd}: unexpected ${tok.value}`, tok);
    return tok;
  };
  const expect = (...kinds: TokenKind[]): Token | Fail => {
    const tok = expectPeek(...kinds);
    if (!(tok instanceof Fail)) l.scan();
    return tok;
  };
  const fail = (f: Fail): never => {
    throw new MatcherParseError(f.message, input, f.at.offStart, f.at.offEnd, f.at.colStart);
  };

  let state: State = 'openBrace';
  while (state !== 'done') {
    switch (state) {
      case 'openBrace': {
        const first = l.peek();
        if (first instanceof Fail) fail(first);
        const tok = first as Token;
        if (tok.kind === 'eof') {
          state = 'eof';
          break;
        }
        if (tok.kind === '{') {
          hasOpenBrace = true;
          l.scan();
        }
        const after = l.peek();
        if (after instanceof Fail) fail(after);
        const next = after as Token;
        state = next.kind === 'eof' || next.kind === '}' ? 'closeBrace' : 'matcher';
        break;
      }
      case 'closeBrace': {
        if (hasOpenBrace) {
          const tok = expect('}');
          if (tok instanceof Fail) fail(tok.wrap('expected close brace'));
        } else if (!(expect('}') instanceof Fail)) {
          const at = l.position();
          fail(new Fail(`0:${at.colEnd}: }: expected opening brace`, { ...at, offStart: at.offEnd - 1, colStart: at.colEnd - 1 }));
        }
        state = 'eof';
        break;
      }
      case 'matcher': {
        const nameTok = expect('quoted', 'unquoted');
        if (nameTok instanceof Fail) return fail(nameTok.wrap('expected label name'));
        const name = unquoteToken(nameTok);
        if (name instanceof Fail) return fail(name);
        const opTok = expect('op');
        if (opTok instanceof Fail) return fail(opTok.wrap("expected an operator such as '=', '!=', '=~' or '!~'"));
        if (!OPERATORS.has(opTok.value)) throw new Error(`unexpected operator ${opTok.value}`);
        const valueTok = expect('unquoted', 'quoted');
        if (valueTok instanceof Fail) return fail(valueTok.wrap('expected label value'));
        const value = unquoteToken(valueTok);
        if (value instanceof Fail) return fail(value);
        try {
          out.push(newMatcher(opTok.value as MatchType, name, value));
        } catch (err) {
          fail(new Fail(`failed to create matcher: invalid regular expression ${goQuote(value)}: ${(err as Error).message}`, valueTok));
        }
        state = 'endOfMatcher';
        break;
      }
      case 'endOfMatcher': {
        const tok = expectPeek(',', '}');
        if (tok instanceof Fail) {
          if (tok.eof) state = 'closeBrace';
          else fail(tok.wrap('expected a comma or close brace'));
          break;
        }
        state = tok.kind === ',' ? 'comma' : 'closeBrace';
        break;
      }
      case 'comma': {
        const comma = expect(',');
        if (comma instanceof Fail) fail(comma.wrap('expected a comma'));
        const tok = expectPeek('}', 'unquoted', 'quoted');
        if (tok instanceof Fail) {
          if (tok.eof) state = 'closeBrace';
          else fail(tok.wrap('expected a matcher or close brace after comma'));
          break;
        }
        state = tok.kind === '}' ? 'closeBrace' : 'matcher';
        break;
      }
      case 'eof': {
        const tok = l.scan();
        if (tok instanceof Fail) fail(tok.wrap('expected end of input'));
        const t = tok as Token;
        if (t.kind !== 'eof') fail(new Fail(`${t.colStart}:${t.colEnd}: ${t.value}: expected end of input`, t));
        state = 'done';
        break;
      }
    }
  }
  return out;
}

function unquoteToken(tok: Token): string | Fail {
  if (tok.kind !== 'quoted') return tok.value;
  const s = goUnquote(tok.value);
  return s ?? new Fail(`${tok.colStart}:${tok.colEnd}: ${tok.value}: invalid input`, tok);
}

const SIMPLE_ESCAPES: Record<string, number> = { a: 7, b: 8, f: 12, n: 10, r: 13, t: 9, v: 11, '\\': 92, '"': 34 };
const utf8Decoder = new TextDecoder('utf-8', { fatal: true });
const utf8Encoder = new TextEncoder();

/** Go's strconv.Unquote for a double-quoted string; undefined where Go reports a syntax error. */
function goUnquote(quoted: string): string | undefined {
  const body = quoted.slice(1, -1);
  if (body.includes('\n')) return undefined;
  if (!body.includes('\\')) return body;
  const bytes: number[] = [];
  const pushText = (t: string) => bytes.push(...utf8Encoder.encode(t));
  let i = 0;
  while (i < body.length) {
    const c = body[i];
    if (c !== '\\') {
      const cp = body.codePointAt(i)!;
      const ch = String.fromCodePoint(cp);
      pushText(ch);
      i += ch.length;
      continue;
    }
    const e = body[i + 1];
    if (e === undefined) return undefined;
    if (SIMPLE_ESCAPES[e] !== undefined) {
      bytes.push(SIMPLE_ESCAPES[e]);
      i += 2;
    } else if (e === 'x' || e === 'u' || e === 'U') {
      const n = e === 'x' ? 2 : e === 'u' ? 4 : 8;
      const digits = body.slice(i + 2, i + 2 + n);
      if (!new RegExp(`^[0-9a-fA-F]{${n}}$`).test(digits)) return undefined;
      const v = parseInt(digits, 16);
      if (e === 'x') bytes.push(v);
      else if (v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff)) return undefined;
      else pushText(String.fromCodePoint(v));
      i += 2 + n;
    } else if (e >= '0' && e <= '7') {
      const digits = body.slice(i + 1, i + 4);
      if (!/^[0-7]{3}$/.test(digits)) return undefined;
      const v = parseInt(digits, 8);
      if (v > 255) return undefined;
      bytes.push(v);
      i += 4;
    } else {
      return undefined;
    }
  }
  try {
    // \x and octal escapes are raw bytes; the whole must still be valid UTF-8.
    return utf8Decoder.decode(new Uint8Array(bytes));
  } catch {
    return undefined;
  }
}

// ---- the classic parser (pkg/labels) ----

const CLASSIC_MATCHER = /^[\t\n\f\r ]*([a-zA-Z_:][a-zA-Z0-9_:]*)[\t\n\f\r ]*(=~|=|!=|!~)[\t\n\f\r ]*([^]*?)[\t\n\f\r ]*$/;

function classicFail(message: string, input: string): never {
  throw new MatcherParseError(message, input, 0, input.length, 0);
}

function parseClassicMatchers(text: string): Matcher[] {
  let s = text.startsWith('{') ? text.slice(1) : text;
  if (s.endsWith('}')) s = s.slice(0, -1);
  const tokens: string[] = [];
  let insideQuotes = false;
  let escaped = false;
  let token = '';
  for (const r of s) {
    if (r === ',') {
      if (!insideQuotes) {
        tokens.push(token);
        token = '';
        continue;
      }
    } else if (r === '"') {
      if (!escaped) insideQuotes = !insideQuotes;
      else escaped = false;
    } else if (r === '\\') {
      escaped = !escaped;
    } else {
      escaped = false;
    }
    token += r;
  }
  const last = goTrimSpace(token);
  if (last !== '') tokens.push(last);
  return tokens.map(parseClassicMatcher);
}

function goTrimSpace(s: string): string {
  return s.replace(/^\p{White_Space}+|\p{White_Space}+$/gu, '');
}

function parseClassicMatcher(s: string): Matcher {
  const ms = CLASSIC_MATCHER.exec(s);
  if (!ms) return classicFail(`bad matcher format: ${s}`, s);
  let raw = ms[3];
  let expectTrailingQuote = false;
  if (raw.startsWith('"')) {
    raw = raw.slice(1);
    expectTrailingQuote = true;
  }
  let value = '';
  let escaped = false;
  for (let i = 0; i < raw.length; i++) {
    const r = raw[i];
    if (escaped) {
      escaped = false;
      if (r === 'n') value += '\n';
      else if (r === '"' || r === '\\') value += r;
      else value += '\\' + r; // a spurious escape keeps its backslash
      continue;
    }
    if (r === '\\') {
      if (i < raw.length - 1) escaped = true;
      else value += '\\';
    } else if (r === '"') {
      if (!expectTrailingQuote || i < raw.length - 1) classicFail(`matcher value contains unescaped double quote: ${ms[3]}`, s);
      expectTrailingQuote = false;
    } else {
      value += r;
    }
  }
  if (expectTrailingQuote) classicFail(`matcher value contains unescaped double quote: ${ms[3]}`, s);
  try {
    return newMatcher(ms[2] as MatchType, ms[1], value);
  } catch (err) {
    return classicFail(`invalid regular expression ${goQuote(value)}: ${(err as Error).message}`, s);
  }
}
