// Prometheus matches label regexes with Go's RE2 syntax, fully anchored and with `.` matching
// newlines (`^(?s:re)$`). This translates RE2 into an equivalent JavaScript RegExp (u flag)
// and rejects what RE2 rejects, notably lookarounds and backreferences.

interface Flags {
  i: boolean;
  m: boolean;
  s: boolean;
  U: boolean;
}

type Range = [number, number];

const SYNTAX_CHARS = new Set('^$\\.*+?()[]{}|/');
const MAX_REPEAT = 1000;
const MAX_CP = 0x10ffff;
const SPACE_RANGES: Range[] = [[9, 10], [12, 13], [32, 32]];

const POSIX: Record<string, Range[]> = {
  alnum: [[48, 57], [65, 90], [97, 122]],
  alpha: [[65, 90], [97, 122]],
  ascii: [[0, 127]],
  blank: [[9, 9], [32, 32]],
  cntrl: [[0, 31], [127, 127]],
  digit: [[48, 57]],
  graph: [[33, 126]],
  lower: [[97, 122]],
  print: [[32, 126]],
  punct: [[33, 47], [58, 64], [91, 96], [123, 126]],
  space: [[9, 13], [32, 32]],
  upper: [[65, 90]],
  word: [[48, 57], [65, 90], [95, 95], [97, 122]],
  xdigit: [[48, 57], [65, 70], [97, 102]],
};

const GENERAL_CATEGORIES = new Set(['C', 'Cc', 'Cf', 'Co', 'Cs', 'L', 'Ll', 'Lm', 'Lo', 'Lt', 'Lu', 'M', 'Mc', 'Me', 'Mn',
  'N', 'Nd', 'Nl', 'No', 'P', 'Pc', 'Pd', 'Pe', 'Pf', 'Pi', 'Po', 'Ps', 'S', 'Sc', 'Sk', 'Sm', 'So', 'Z', 'Zl', 'Zp', 'Zs']);

export class RegexSyntaxError extends Error {}

function complement(ranges: Range[]): Range[] {
  const sorted = [...ranges].sort((a, b) => a[0] - b[0]);
  const out: Range[] = [];
  let next = 0;
  for (const [lo, hi] of sorted) {
    if (lo > next) out.push([next, lo - 1]);
    next = Math.max(next, hi + 1);
  }
  if (next <= MAX_CP) out.push([next, MAX_CP]);
  return out;
}

function literal(cp: number, inClass = false): string {
  const ch = String.fromCodePoint(cp);
  if (SYNTAX_CHARS.has(ch) || (inClass && ch === '-')) return '\\' + ch;
  if (cp < 0x20 || cp === 0x7f || (cp >= 0xd800 && cp <= 0xdfff)) return `\\u{${cp.toString(16)}}`;
  return ch;
}

function rangeText([lo, hi]: Range): string {
  return lo === hi ? literal(lo, true) : `${literal(lo, true)}-${literal(hi, true)}`;
}

/** The other-case variants of a range, for case-insensitive matching. */
function caseVariants([lo, hi]: Range): Range[] {
  const out: Range[] = [];
  const shift = (a: number, b: number, delta: number) => {
    const l = Math.max(lo, a);
    const h = Math.min(hi, b);
    if (l <= h) out.push([l + delta, h + delta]);
  };
  shift(97, 122, -32);
  shift(65, 90, 32);
  if (lo === hi && lo > 127) {
    const ch = String.fromCodePoint(lo);
    for (const v of [ch.toLowerCase(), ch.toUpperCase()]) {
      const cp = v.codePointAt(0)!;
      if (v.length === String.fromCodePoint(cp).length && cp !== lo) out.push([cp, cp]);
    }
  }
  return out;
}

class Translator {
  private readonly cps: number[];
  private pos = 0;
  private out = '';
  private flags: Flags = { i: false, m: false, s: true, U: false };
  private readonly stack: Flags[] = [];

  constructor(pattern: string) {
    this.cps = [...pattern].map((c) => c.codePointAt(0)!);
  }

  translate(): string {
    while (this.pos < this.cps.length) this.term();
    if (this.stack.length > 0) this.fail('missing closing )');
    return this.out;
  }

  private fail(message: string): never {
    throw new RegexSyntaxError(message);
  }

  private peek(offset = 0): string {
    const cp = this.cps[this.pos + offset];
    return cp === undefined ? '' : String.fromCodePoint(cp);
  }

  private rest(): string {
    return this.cps.slice(this.pos).map((c) => String.fromCodePoint(c)).join('');
  }

  private emitLiteral(cp: number): void {
    const variants = this.flags.i ? caseVariants([cp, cp]) : [];
    this.out += variants.length ? `[${[[cp, cp] as Range, ...variants].map(rangeText).join('')}]` : literal(cp);
  }

  private term(): void {
    const c = this.peek();
    this.pos++;
    switch (c) {
      case '\\': return this.escape();
      case '[': return this.charClass();
      case '(': return this.group();
      case ')':
        if (!this.stack.length) this.fail('unexpected )');
        this.flags = this.stack.pop()!;
        this.out += ')';
        return;
      case '.': this.out += this.flags.s ? '[^]' : '[^\\n]'; return;
      case '^': this.out += this.flags.m ? '(?<=^|\\n)' : '^'; return;
      case '$': this.out += this.flags.m ? '(?=\\n|$)' : '$'; return;
      case '|': this.out += '|'; return;
      case '*': case '+': case '?': return this.quantifier(c);
      case '{': {
        const m = /^(\d+)(,(\d*))?\}/.exec(this.rest());
        if (!m) { this.out += '\\{'; return; }
        const min = Number(m[1]);
        const max = m[3] ? Number(m[3]) : min;
        if (min > MAX_REPEAT || max > MAX_REPEAT || (m[3] && max < min)) this.fail(`invalid repeat count {${m[0]}`);
        this.pos += [...m[0]].length;
        return this.quantifier('{' + m[0]);
      }
      default: return this.emitLiteral(c.codePointAt(0)!);
    }
  }

  private quantifier(q: string): void {
    let lazy = false;
    if (this.peek() === '?') {
      lazy = true;
      this.pos++;
    }
    const next = this.peek();
    if (next === '*' || next === '+' || next === '?' || (next === '{' && /^\{\d+(,\d*)?\}/.test(this.rest()))) {
      this.fail(`invalid nested repetition operator "${q}${lazy ? '?' : ''}${next}"`);
    }
    // (?U) swaps greedy and lazy.
    this.out += q + (lazy !== this.flags.U ? '?' : '');
  }

  private group(): void {
    if (this.peek() !== '?') {
      this.stack.push({ ...this.flags });
      this.out += '(';
      return;
    }
    const rest = this.rest();
    const named = /^\?P?<([A-Za-z0-9_]+)>/.exec(rest);
    if (named) {
      this.pos += named[0].length;
      this.stack.push({ ...this.flags });
      this.out += `(?<${named[1]}>`;
      return;
    }
    if (/^\?(=|!|<=|<!)/.test(rest)) this.fail(`lookaround assertions "(${/^\?(<?[=!])/.exec(rest)![0]}" are not supported (Prometheus uses RE2)`);
    if (/^\?P=/.test(rest)) this.fail('backreferences are not supported (Prometheus uses RE2)');
    const flags = /^\?([imsU]*)(?:-([imsU]*))?([:)])/.exec(rest);
    if (!flags || (flags[1] === '' && flags[2] === undefined && flags[3] === ')')) {
      this.fail(`invalid or unsupported Perl syntax "(${rest.slice(0, 2)}"`);
    }
    this.pos += flags[0].length;
    const next = { ...this.flags };
    for (const f of flags[1]) next[f as keyof Flags] = true;
    for (const f of flags[2] ?? '') next[f as keyof Flags] = false;
    if (flags[3] === ')') {
      this.flags = next;
      return;
    }
    this.stack.push(this.flags);
    this.flags = next;
    this.out += '(?:';
  }

  /** Reads an escape after `\`; returns the code point of a literal, or a JS class escape. */
  private escapeValue(inClass: boolean): number | { cls: string; ranges?: Range[] } {
    const c = this.peek();
    if (c === '') this.fail('trailing backslash at end of expression');
    this.pos++;
    const simple: Record<string, number> = { a: 7, f: 12, n: 10, r: 13, t: 9, v: 11 };
    if (c in simple) return simple[c];
    if (c >= '0' && c <= '7' && (c === '0' || (this.peek() >= '0' && this.peek() <= '7' && this.peek() !== ''))) {
      let digits = c;
      while (digits.length < 3 && this.peek() >= '0' && this.peek() <= '7' && this.peek() !== '') {
        digits += this.peek();
        this.pos++;
      }
      return parseInt(digits, 8);
    }
    if (c >= '1' && c <= '9') this.fail(`backreferences (\\${c}) are not supported (Prometheus uses RE2)`);
    if (c === 'x') {
      const m = /^(?:\{([0-9a-fA-F]+)\}|([0-9a-fA-F]{2}))/.exec(this.rest());
      if (!m) this.fail('invalid escape sequence "\\x"');
      this.pos += m[0].length;
      const cp = parseInt(m[1] ?? m[2], 16);
      if (cp > MAX_CP) this.fail(`invalid escape sequence "\\x${m[0]}"`);
      return cp;
    }
    if ('dDwW'.includes(c)) return { cls: '\\' + c };
    if (c === 's') return { cls: '[\\t\\n\\f\\r ]', ranges: SPACE_RANGES };
    if (c === 'S') return { cls: '[^\\t\\n\\f\\r ]', ranges: complement(SPACE_RANGES) };
    if (c === 'p' || c === 'P') return { cls: this.unicodeClass(c === 'P') };
    if (!inClass && 'bB'.includes(c)) return { cls: '\\' + c };
    if (!inClass && c === 'A') return { cls: '^' };
    if (!inClass && c === 'z') return { cls: '$' };
    if (c === 'k') this.fail('backreferences (\\k) are not supported (Prometheus uses RE2)');
    const cp = c.codePointAt(0)!;
    if (cp < 128 && !/[A-Za-z0-9]/.test(c)) return cp;
    return this.fail(`invalid escape sequence "\\${c}"`);
  }

  private unicodeClass(negated: boolean): string {
    let name: string;
    if (this.peek() === '{') {
      const m = /^\{(\^?)([A-Za-z_]+)\}/.exec(this.rest());
      if (!m) this.fail('invalid character class range in \\p{...}');
      this.pos += m[0].length;
      if (m[1]) negated = !negated;
      name = m[2];
    } else {
      name = this.peek();
      if (!/[A-Za-z]/.test(name)) this.fail('invalid character class range after \\p');
      this.pos++;
    }
    const prop = GENERAL_CATEGORIES.has(name) || name === 'Any' ? name : `Script=${name}`;
    return `\\${negated ? 'P' : 'p'}{${prop}}`;
  }

  private escape(): void {
    if (this.peek() === 'Q') {
      this.pos++;
      while (this.pos < this.cps.length && !(this.peek() === '\\' && this.peek(1) === 'E')) {
        this.emitLiteral(this.cps[this.pos++]);
      }
      if (this.pos < this.cps.length) this.pos += 2;
      return;
    }
    if (this.peek() === 'C') this.fail('\\C (any byte) is not supported');
    if (this.peek() === 'Z') this.fail('invalid escape sequence "\\Z" (RE2 uses \\z for end of text)');
    const v = this.escapeValue(false);
    if (typeof v === 'number') this.emitLiteral(v);
    else this.out += v.cls;
  }

  private charClass(): void {
    let negated = false;
    if (this.peek() === '^') {
      negated = true;
      this.pos++;
    }
    const items: string[] = [];
    let first = true;
    for (;;) {
      const c = this.peek();
      if (c === '') this.fail('missing closing ]');
      if (c === ']' && !first) {
        this.pos++;
        break;
      }
      first = false;
      const posix = /^\[:(\^?)([a-z]+):\]/.exec(this.rest());
      if (posix) {
        const ranges = POSIX[posix[2]];
        if (!ranges) this.fail(`invalid character class range "${posix[0]}"`);
        this.pos += posix[0].length;
        items.push(...this.foldRanges(posix[1] ? complement(ranges) : ranges));
        continue;
      }
      const lo = this.classAtom();
      if (typeof lo !== 'number') {
        items.push(lo.ranges ? lo.ranges.map(rangeText).join('') : lo.cls);
        continue;
      }
      if (this.peek() === '-' && this.peek(1) !== ']' && this.peek(1) !== '') {
        this.pos++;
        const hi = this.classAtom();
        if (typeof hi !== 'number') this.fail('invalid character class range');
        if (hi < lo) this.fail(`invalid character class range "${String.fromCodePoint(lo)}-${String.fromCodePoint(hi)}"`);
        items.push(...this.foldRanges([[lo, hi]]));
      } else {
        items.push(...this.foldRanges([[lo, lo]]));
      }
    }
    this.out += `[${negated ? '^' : ''}${items.join('')}]`;
  }

  private classAtom(): number | { cls: string; ranges?: Range[] } {
    const c = this.peek();
    this.pos++;
    if (c === '\\') return this.escapeValue(true);
    return c.codePointAt(0)!;
  }

  private foldRanges(ranges: Range[]): string[] {
    const all = this.flags.i ? [...ranges, ...ranges.flatMap(caseVariants)] : ranges;
    return all.map(rangeText);
  }
}

/** The JavaScript source equivalent to an RE2 pattern (not anchored); throws RegexSyntaxError. */
export function translateRE2(pattern: string): string {
  return new Translator(pattern).translate();
}

/** Compiles a label-matcher regex the way Prometheus does: RE2 syntax, fully anchored, `.` matches newlines. */
export function compileRegex(pattern: string): RegExp {
  const source = translateRE2(pattern);
  try {
    return new RegExp(`^(?:${source})$`, 'u');
  } catch (err) {
    const reason = (err as Error).message.replace(/^Invalid regular expression: \/.*\/[a-z]*: /s, '');
    throw new RegexSyntaxError(reason === 'Nothing to repeat' ? 'missing argument to repetition operator' : reason.toLowerCase());
  }
}
