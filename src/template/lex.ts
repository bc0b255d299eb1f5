/**
 * The text/template lexer: text, actions with trim markers, comments, and the
 * tokens inside actions. Positions are string indexes; lines count from 1.
 */
import { quote } from './strconv.js';

export const enum T {
  Error,
  Bool,
  Char,
  CharConstant,
  Complex,
  Assign,
  Declare,
  EOF,
  Field,
  Identifier,
  LeftDelim,
  LeftParen,
  Number,
  Pipe,
  RawString,
  RightDelim,
  RightParen,
  Space,
  String,
  Text,
  Variable,
  // keywords
  Keyword,
  Block,
  Break,
  Continue,
  Dot,
  Define,
  Else,
  End,
  If,
  Nil,
  Range,
  Template,
  With,
}

export interface Item {
  typ: T;
  pos: number;
  val: string;
  line: number;
}

const keywords: Record<string, T> = {
  '.': T.Dot,
  block: T.Block,
  break: T.Break,
  continue: T.Continue,
  define: T.Define,
  else: T.Else,
  end: T.End,
  if: T.If,
  range: T.Range,
  nil: T.Nil,
  template: T.Template,
  with: T.With,
};

/** How an item reads in a parse error, as Go's item.String. */
export function itemString(i: Item): string {
  if (i.typ === T.EOF) return 'EOF';
  if (i.typ === T.Error) return i.val;
  if (i.typ > T.Keyword) return `<${i.val}>`;
  if ([...i.val].length > 10) return quote([...i.val].slice(0, 10).join('')) + '...';
  return quote(i.val);
}

const LEFT = '{{';
const RIGHT = '}}';
const SPACE_CHARS = ' \t\r\n';

function isSpace(c: string | undefined): boolean {
  return c === ' ' || c === '\t' || c === '\r' || c === '\n';
}

const alnumRe = /^[\p{L}\p{Nd}_]$/u;
function isAlphaNumeric(c: string | undefined): boolean {
  if (c === undefined) return false;
  const code = c.charCodeAt(0);
  if (code < 0x80) {
    return c === '_' || (code >= 48 && code <= 57) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122);
  }
  return alnumRe.test(c);
}

function hasLeftTrimMarker(s: string, i: number): boolean {
  return s[i] === '-' && isSpace(s[i + 1]);
}

function hasRightTrimMarker(s: string, i: number): boolean {
  return isSpace(s[i]) && s[i + 1] === '-';
}

/** Lexes the whole input; the last item is EOF or an Error. */
export function lex(input: string, opts: { breakOK: boolean; continueOK: boolean } = { breakOK: true, continueOK: true }): Item[] {
  const items: Item[] = [];
  let pos = 0;
  let start = 0;
  let line = 1;
  let startLine = 1;
  let parenDepth = 0;

  const emit = (typ: T) => {
    items.push({ typ, pos: start, val: input.slice(start, pos), line: startLine });
    start = pos;
    startLine = line;
  };
  const ignore = () => {
    for (let i = start; i < pos; i++) if (input.charCodeAt(i) === 10) line++;
    start = pos;
    startLine = line;
  };
  const errorf = (msg: string) => {
    items.push({ typ: T.Error, pos: start, val: msg, line: startLine });
  };
  /** Next character (one code point) or undefined at the end; advances. */
  const next = (): string | undefined => {
    if (pos >= input.length) return undefined;
    const cp = input.codePointAt(pos)!;
    const ch = cp > 0xffff ? input.slice(pos, pos + 2) : input[pos]!;
    pos += ch.length;
    if (ch === '\n') line++;
    return ch;
  };
  const peek = (): string | undefined => {
    if (pos >= input.length) return undefined;
    const cp = input.codePointAt(pos)!;
    return cp > 0xffff ? input.slice(pos, pos + 2) : input[pos]!;
  };
  const backup = (ch: string | undefined) => {
    if (ch === undefined) return;
    pos -= ch.length;
    if (ch === '\n') line--;
  };
  const accept = (valid: string): boolean => {
    const c = peek();
    if (c !== undefined && valid.includes(c)) {
      next();
      return true;
    }
    return false;
  };
  const acceptRun = (valid: string) => {
    for (;;) {
      const c = peek();
      if (c === undefined || !valid.includes(c)) return;
      next();
    }
  };
  const atRightDelim = (): [boolean, boolean] => {
    if (hasRightTrimMarker(input, pos) && input.startsWith(RIGHT, pos + 2)) return [true, true];
    if (input.startsWith(RIGHT, pos)) return [true, false];
    return [false, false];
  };
  const atTerminator = (): boolean => {
    const r = peek();
    if (isSpace(r)) return true;
    switch (r) {
      case undefined:
      case '.':
      case ',':
      case '|':
      case ':':
      case ')':
      case '(':
        return true;
    }
    return r === RIGHT[0];
  };
  const scanNumber = (): boolean => {
    accept('+-');
    let digits = '0123456789_';
    if (accept('0')) {
      if (accept('xX')) digits = '0123456789abcdefABCDEF_';
      else if (accept('oO')) digits = '01234567_';
      else if (accept('bB')) digits = '01_';
    }
    acceptRun(digits);
    if (accept('.')) acceptRun(digits);
    if (digits.length === 11 && accept('eE')) {
      accept('+-');
      acceptRun('0123456789_');
    }
    if (digits.length === 23 && accept('pP')) {
      accept('+-');
      acceptRun('0123456789_');
    }
    accept('i');
    if (isAlphaNumeric(peek())) {
      next();
      return false;
    }
    return true;
  };

  type State = 'text' | 'leftDelim' | 'comment' | 'rightDelim' | 'inside' | 'done';
  let state: State = 'text';

  while (state !== 'done') {
    switch (state) {
      case 'text': {
        const x = input.indexOf(LEFT, pos);
        if (x >= 0) {
          pos = x;
          let trimLength = 0;
          if (hasLeftTrimMarker(input, pos + LEFT.length)) {
            const before = input.slice(start, pos);
            trimLength = before.length - trimRight(before).length;
          }
          pos -= trimLength;
          if (pos > start) {
            for (let i = start; i < pos; i++) if (input.charCodeAt(i) === 10) line++;
            emit(T.Text);
          }
          pos += trimLength;
          ignore();
          state = 'leftDelim';
          break;
        }
        pos = input.length;
        if (pos > start) {
          for (let i = start; i < pos; i++) if (input.charCodeAt(i) === 10) line++;
          emit(T.Text);
        }
        emit(T.EOF);
        state = 'done';
        break;
      }
      case 'leftDelim': {
        pos += LEFT.length;
        const trimSpace = hasLeftTrimMarker(input, pos);
        const afterMarker = trimSpace ? 2 : 0;
        if (input.startsWith('/*', pos + afterMarker)) {
          pos += afterMarker;
          ignore();
          state = 'comment';
          break;
        }
        emit(T.LeftDelim);
        pos += afterMarker;
        ignore();
        parenDepth = 0;
        state = 'inside';
        break;
      }
      case 'comment': {
        pos += 2;
        const i = input.indexOf('*/', pos);
        if (i < 0) {
          errorf('unclosed comment');
          return items;
        }
        pos = i + 2;
        const [delim, trimSpace] = atRightDelim();
        if (!delim) {
          errorf('comment ends before closing delimiter');
          return items;
        }
        if (trimSpace) pos += 2;
        pos += RIGHT.length;
        if (trimSpace) pos += input.length - pos - trimLeft(input.slice(pos)).length;
        ignore();
        state = 'text';
        break;
      }
      case 'rightDelim': {
        const trimSpace = hasRightTrimMarker(input, pos);
        if (trimSpace) {
          pos += 2;
          ignore();
        }
        pos += RIGHT.length;
        emit(T.RightDelim);
        if (trimSpace) {
          pos += input.length - pos - trimLeft(input.slice(pos)).length;
          ignore();
        }
        state = 'text';
        break;
      }
      case 'inside': {
        const [delim] = atRightDelim();
        if (delim) {
          if (parenDepth === 0) {
            state = 'rightDelim';
            break;
          }
          errorf('unclosed left paren');
          return items;
        }
        const r = next();
        if (r === undefined) {
          errorf('unclosed action');
          return items;
        }
        if (isSpace(r)) {
          backup(r);
          // lexSpace
          let numSpaces = 0;
          while (isSpace(peek())) {
            next();
            numSpaces++;
          }
          if (hasRightTrimMarker(input, pos - 1) && input.startsWith(RIGHT, pos - 1 + 2)) {
            backup(input[pos - 1]);
            if (numSpaces === 1) {
              state = 'rightDelim';
              break;
            }
          }
          emit(T.Space);
          break;
        }
        switch (r) {
          case '=':
            emit(T.Assign);
            break;
          case ':':
            if (next() !== '=') {
              errorf('expected :=');
              return items;
            }
            emit(T.Declare);
            break;
          case '|':
            emit(T.Pipe);
            break;
          case '"': {
            for (;;) {
              const c = next();
              if (c === '\\') {
                const e = next();
                if (e !== undefined && e !== '\n') continue;
                errorf('unterminated quoted string');
                return items;
              }
              if (c === undefined || c === '\n') {
                errorf('unterminated quoted string');
                return items;
              }
              if (c === '"') break;
            }
            emit(T.String);
            break;
          }
          case '`': {
            for (;;) {
              const c = next();
              if (c === undefined) {
                errorf('unterminated raw quoted string');
                return items;
              }
              if (c === '`') break;
            }
            emit(T.RawString);
            break;
          }
          case '$':
          case '.': {
            if (r === '.') {
              const c = input[pos];
              if (pos >= input.length || (c !== undefined && c >= '0' && c <= '9')) {
                backup(r);
                if (!lexNumber()) return items;
                break;
              }
            }
            if (atTerminator()) {
              emit(r === '$' ? T.Variable : T.Dot);
              break;
            }
            let c: string | undefined;
            for (;;) {
              c = next();
              if (!isAlphaNumeric(c)) {
                backup(c);
                break;
              }
            }
            if (!atTerminator()) {
              errorf(`bad character ${formatRune(c)}`);
              return items;
            }
            emit(r === '$' ? T.Variable : T.Field);
            break;
          }
          case "'": {
            for (;;) {
              const c = next();
              if (c === '\\') {
                const e = next();
                if (e !== undefined && e !== '\n') continue;
                errorf('unterminated character constant');
                return items;
              }
              if (c === undefined || c === '\n') {
                errorf('unterminated character constant');
                return items;
              }
              if (c === "'") break;
            }
            emit(T.CharConstant);
            break;
          }
          case '(':
            emit(T.LeftParen);
            parenDepth++;
            break;
          case ')':
            emit(T.RightParen);
            parenDepth--;
            if (parenDepth < 0) {
              errorf(`unexpected right paren ${formatRune(r)}`);
              return items;
            }
            break;
          default: {
            if (r === '+' || r === '-' || (r >= '0' && r <= '9')) {
              backup(r);
              if (!lexNumber()) return items;
              break;
            }
            if (isAlphaNumeric(r)) {
              backup(r);
              // lexIdentifier
              let c: string | undefined;
              for (;;) {
                c = next();
                if (!isAlphaNumeric(c)) {
                  backup(c);
                  break;
                }
              }
              const word = input.slice(start, pos);
              if (!atTerminator()) {
                errorf(`bad character ${formatRune(c)}`);
                return items;
              }
              const kw = keywords[word];
              if (kw !== undefined && kw > T.Keyword) {
                if ((kw === T.Break && !opts.breakOK) || (kw === T.Continue && !opts.continueOK)) emit(T.Identifier);
                else emit(kw);
              } else if (word === 'true' || word === 'false') {
                emit(T.Bool);
              } else {
                emit(T.Identifier);
              }
              break;
            }
            const code = r.codePointAt(0)!;
            if (code < 0x80 && code >= 0x20 && code < 0x7f) {
              emit(T.Char);
              break;
            }
            errorf(`unrecognized character in action: ${formatRune(r)}`);
            return items;
          }
        }
        break;
      }
    }
  }
  return items;

  function lexNumber(): boolean {
    if (!scanNumber()) {
      errorf(`bad number syntax: ${quote(input.slice(start, pos))}`);
      return false;
    }
    const sign = peek();
    if (sign === '+' || sign === '-') {
      if (!scanNumber() || input[pos - 1] !== 'i') {
        errorf(`bad number syntax: ${quote(input.slice(start, pos))}`);
        return false;
      }
      emit(T.Complex);
      return true;
    }
    emit(T.Number);
    return true;
  }
}

function trimRight(s: string): string {
  let j = s.length;
  while (j > 0 && SPACE_CHARS.includes(s[j - 1]!)) j--;
  return s.slice(0, j);
}

function trimLeft(s: string): string {
  let i = 0;
  while (i < s.length && SPACE_CHARS.includes(s[i]!)) i++;
  return s.slice(i);
}

/** Go's %#U of a rune: U+0041 'A'. */
export function formatRune(c: string | undefined): string {
  if (c === undefined) return 'U+FFFFFFFFFFFFFFFF';
  const cp = c.codePointAt(0)!;
  const hex = 'U+' + cp.toString(16).toUpperCase().padStart(4, '0');
  return /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u.test(c) ? `${hex} '${c}'` : hex;
}
