/**
 * Go's fmt for template values: Sprint, Sprintln and Sprintf with Go's verbs,
 * flags, widths, precisions, argument indexes and error forms
 * ("%!d(string=x)", "%!v(MISSING)", "%!(EXTRA ...)").
 */
import { canBackquote, formatFloat, quote, quoteRune } from './strconv.js';
import { GoMap, GoNamed, GoNil, GoPtr, GoSlice, GoStruct, GoValue, kindOf, typeOf, type GoType, type Value } from './types.js';

const NIL = '<nil>';

/** Stable fake addresses for %p and pointers printed at depth: Go's are random anyway. */
const addresses = new WeakMap<object, bigint>();
let nextAddress = 0xc000010000n;
function addressOf(v: object): bigint {
  let a = addresses.get(v);
  if (a === undefined) {
    a = nextAddress;
    nextAddress += 0x30n;
    addresses.set(v, a);
  }
  return a;
}

function runeCount(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0xd800 || c > 0xdbff) n++;
  }
  return n;
}

/** A Go value's String method, if its type (or pointer type) has one. */
function stringer(v: GoValue): (() => string) | undefined {
  const m = v.type.methods?.String;
  if (!m || m.params.length > 0) return undefined;
  return () => {
    if (v instanceof GoNil) throw new NilReceiver();
    return m.call(v, []) as string;
  };
}

class NilReceiver extends Error {}

class Printer {
  buf = '';
  // flags
  plus = false;
  minus = false;
  sharp = false;
  space = false;
  zero = false;
  plusV = false;
  sharpV = false;
  widPresent = false;
  precPresent = false;
  wid = 0;
  prec = 0;
  erroring = false;
  arg: Value = undefined;
  argSet = false;
  value: Value = undefined;
  valueSet = false;

  clearFlags(): void {
    this.plus = this.minus = this.sharp = this.space = this.zero = this.plusV = this.sharpV = false;
    this.widPresent = this.precPresent = false;
    this.wid = this.prec = 0;
  }

  // ---- padding ----

  padding(n: number): string {
    if (n <= 0) return '';
    return (this.zero && !this.minus ? '0' : ' ').repeat(n);
  }

  pad(s: string): void {
    if (!this.widPresent || this.wid === 0) {
      this.buf += s;
      return;
    }
    const width = this.wid - runeCount(s);
    if (!this.minus) this.buf += this.padding(width) + s;
    else this.buf += s + this.padding(width);
  }

  // ---- basic formatters ----

  fmtBoolean(v: boolean): void {
    this.pad(v ? 'true' : 'false');
  }

  truncate(s: string): string {
    if (this.precPresent) {
      let n = this.prec;
      let i = 0;
      for (const ch of s) {
        n--;
        if (n < 0) return s.slice(0, i);
        i += ch.length;
      }
    }
    return s;
  }

  fmtS(s: string): void {
    this.pad(this.truncate(s));
  }

  fmtSx(s: string, upper: boolean): void {
    const digits = upper ? '0123456789ABCDEFX' : '0123456789abcdefx';
    let bytes: Uint8Array = Buffer.from(s, 'utf8');
    if (this.precPresent && this.prec < bytes.length) bytes = bytes.subarray(0, this.prec);
    const length = bytes.length;
    let width = 2 * length;
    if (width > 0) {
      if (this.space) {
        if (this.sharp) width *= 2;
        width += length - 1;
      } else if (this.sharp) {
        width += 2;
      }
    } else {
      if (this.widPresent) this.buf += this.padding(this.wid);
      return;
    }
    if (this.widPresent && this.wid > width && !this.minus) this.buf += this.padding(this.wid - width);
    let out = '';
    if (this.sharp) out += '0' + digits[16];
    for (let i = 0; i < length; i++) {
      if (this.space && i > 0) {
        out += ' ';
        if (this.sharp) out += '0' + digits[16];
      }
      const c = bytes[i]!;
      out += digits[c >> 4]! + digits[c & 15]!;
    }
    this.buf += out;
    if (this.widPresent && this.wid > width && this.minus) this.buf += this.padding(this.wid - width);
  }

  fmtQ(s: string): void {
    s = this.truncate(s);
    if (this.sharp && canBackquote(s)) {
      this.pad('`' + s + '`');
      return;
    }
    this.pad(quote(s, this.plus));
  }

  fmtC(c: bigint): void {
    const cp = c > 0x10ffffn || c < 0n || (c >= 0xd800n && c <= 0xdfffn) ? 0xfffd : Number(c);
    this.pad(String.fromCodePoint(cp));
  }

  fmtQc(c: bigint): void {
    const cp = c > 0x10ffffn || c < 0n ? 0xfffd : Number(c);
    this.pad(quoteRune(cp, this.plus));
  }

  fmtUnicode(u: bigint): void {
    if (u < 0n) u += 1n << 64n;
    let prec = 4;
    if (this.precPresent && this.prec > 4) prec = this.prec;
    let s = 'U+' + u.toString(16).toUpperCase().padStart(prec, '0');
    if (this.sharp && u <= 0x10ffffn && isPrintable(Number(u))) s += " '" + String.fromCodePoint(Number(u)) + "'";
    const oldZero = this.zero;
    this.zero = false;
    this.pad(s);
    this.zero = oldZero;
  }

  fmtInteger(v: bigint, base: number, isSigned: boolean, verb: string, upper: boolean): void {
    const negative = isSigned && v < 0n;
    const u = v < 0n ? (isSigned ? -v : v + (1n << 64n)) : v;
    let prec = 0;
    if (this.precPresent) {
      prec = this.prec;
      if (prec === 0 && u === 0n) {
        const oldZero = this.zero;
        this.zero = false;
        this.buf += this.padding(this.wid);
        this.zero = oldZero;
        return;
      }
    } else if (this.zero && !this.minus && this.widPresent) {
      prec = this.wid;
      if (negative || this.plus || this.space) prec--;
    }
    let s = u.toString(base);
    if (upper) s = s.toUpperCase();
    if (s.length < prec) s = '0'.repeat(prec - s.length) + s;
    if (this.sharp) {
      if (base === 2) s = '0b' + s;
      else if (base === 8 && s[0] !== '0') s = '0' + s;
      else if (base === 16) s = (upper ? '0X' : '0x') + s;
    }
    if (verb === 'O') s = '0o' + s;
    if (negative) s = '-' + s;
    else if (this.plus) s = '+' + s;
    else if (this.space) s = ' ' + s;
    const oldZero = this.zero;
    this.zero = false;
    this.pad(s);
    this.zero = oldZero;
  }

  fmtFloatRaw(v: number, verb: string, prec: number): void {
    if (this.precPresent) prec = this.prec;
    const strconvVerb = verb === 'F' ? 'f' : verb === 'v' ? 'g' : verb;
    let num = formatFloat(v, strconvVerb === 'x' || strconvVerb === 'X' || strconvVerb === 'b' ? 'g' : strconvVerb, prec);
    if (num[0] === '-' || num[0] === '+') {
      // keep the sign
    } else {
      num = '+' + num;
    }
    if (this.space && num[0] === '+' && !this.plus) num = ' ' + num.slice(1);
    if (num[1] === 'I' || num[1] === 'N') {
      const oldZero = this.zero;
      this.zero = false;
      if (num[1] === 'N' && !this.space && !this.plus) num = num.slice(1);
      this.pad(num);
      this.zero = oldZero;
      return;
    }
    if (this.sharp && verb !== 'b') {
      let digits = 0;
      if (verb === 'v' || verb === 'g' || verb === 'G' || verb === 'x') {
        digits = prec;
        if (digits === -1) digits = 6;
      }
      let tail = '';
      let body = num;
      let hasDecimalPoint = false;
      let sawNonzeroDigit = false;
      for (let i = 1; i < body.length; i++) {
        const c = body[i]!;
        if (c === '.') {
          hasDecimalPoint = true;
        } else if (c === 'e' || c === 'E' || c === 'p' || c === 'P') {
          tail = body.slice(i);
          body = body.slice(0, i);
          break;
        } else {
          if (c !== '0') sawNonzeroDigit = true;
          if (sawNonzeroDigit) digits--;
        }
      }
      if (!hasDecimalPoint) {
        if (body.length === 2 && body[1] === '0') digits--;
        body += '.';
      }
      while (digits > 0) {
        body += '0';
        digits--;
      }
      num = body + tail;
    }
    if (this.plus || num[0] !== '+') {
      if (this.zero && !this.minus && this.widPresent && this.wid > num.length) {
        this.buf += num[0]! + this.padding(this.wid - num.length) + num.slice(1);
        return;
      }
      this.pad(num);
      return;
    }
    this.pad(num.slice(1));
  }

  // ---- by kind ----

  printFloat(v: number, verb: string): void {
    switch (verb) {
      case 'v':
        this.fmtFloatRaw(v, 'g', -1);
        break;
      case 'b':
      case 'g':
      case 'G':
      case 'x':
      case 'X':
        this.fmtFloatRaw(v, verb, -1);
        break;
      case 'f':
      case 'e':
      case 'E':
      case 'F':
        this.fmtFloatRaw(v, verb, 6);
        break;
      default:
        this.badVerb(verb);
    }
  }

  printComplex(re: number, im: number, verb: string): void {
    switch (verb) {
      case 'v':
      case 'b':
      case 'g':
      case 'G':
      case 'x':
      case 'X':
      case 'f':
      case 'F':
      case 'e':
      case 'E': {
        const oldPlus = this.plus;
        this.buf += '(';
        this.printFloat(re, verb);
        this.plus = true;
        this.printFloat(im, verb);
        this.buf += 'i)';
        this.plus = oldPlus;
        break;
      }
      default:
        this.badVerb(verb);
    }
  }

  printInteger(v: bigint, isSigned: boolean, verb: string): void {
    switch (verb) {
      case 'v':
        if (this.sharpV && !isSigned) this.fmtInteger(v, 16, false, verb, false);
        else this.fmtInteger(v, 10, isSigned, verb, false);
        break;
      case 'd':
        this.fmtInteger(v, 10, isSigned, verb, false);
        break;
      case 'b':
        this.fmtInteger(v, 2, isSigned, verb, false);
        break;
      case 'o':
      case 'O':
        this.fmtInteger(v, 8, isSigned, verb, false);
        break;
      case 'x':
        this.fmtInteger(v, 16, isSigned, verb, false);
        break;
      case 'X':
        this.fmtInteger(v, 16, isSigned, verb, true);
        break;
      case 'c':
        this.fmtC(v);
        break;
      case 'q':
        this.fmtQc(v);
        break;
      case 'U':
        this.fmtUnicode(v);
        break;
      default:
        this.badVerb(verb);
    }
  }

  printString(v: string, verb: string): void {
    switch (verb) {
      case 'v':
        if (this.sharpV) this.fmtQ(v);
        else this.fmtS(v);
        break;
      case 's':
        this.fmtS(v);
        break;
      case 'x':
        this.fmtSx(v, false);
        break;
      case 'X':
        this.fmtSx(v, true);
        break;
      case 'q':
        this.fmtQ(v);
        break;
      default:
        this.badVerb(verb);
    }
  }

  printBool(v: boolean, verb: string): void {
    if (verb === 't' || verb === 'v') this.fmtBoolean(v);
    else this.badVerb(verb);
  }

  fmtPointer(v: Value, verb: string): void {
    let u: bigint;
    if (v instanceof GoNil) u = 0n;
    else if (v instanceof GoPtr || v instanceof GoMap || v instanceof GoSlice) u = addressOf(v);
    else {
      this.badVerb(verb);
      return;
    }
    switch (verb) {
      case 'v':
        if (u === 0n) this.pad(NIL);
        else this.fmt0x64(u, !this.sharp);
        break;
      case 'p':
        this.fmt0x64(u, !this.sharp);
        break;
      case 'b':
      case 'o':
      case 'd':
      case 'x':
      case 'X':
        this.printInteger(u, false, verb);
        break;
      default:
        this.badVerb(verb);
    }
  }

  fmt0x64(u: bigint, leading0x: boolean): void {
    const sharp = this.sharp;
    this.sharp = leading0x;
    this.fmtInteger(u, 16, false, 'v', false);
    this.sharp = sharp;
  }

  badVerb(verb: string): void {
    this.erroring = true;
    this.buf += '%!' + verb + '(';
    if (this.argSet && this.arg !== undefined && this.arg !== null) {
      this.buf += typeOf(this.arg)!.name + '=';
      this.printArg(this.arg, 'v');
    } else if (this.valueSet && this.value !== undefined) {
      this.buf += (typeOf(this.value)?.name ?? 'interface {}') + '=';
      this.printValue(this.value, 'v', 0);
    } else {
      this.buf += NIL;
    }
    this.buf += ')';
    this.erroring = false;
  }

  handleMethods(verb: string): boolean {
    if (this.erroring || this.sharpV) return false;
    const arg = this.arg;
    if (!(arg instanceof GoValue)) return false;
    if (verb !== 'v' && verb !== 's' && verb !== 'x' && verb !== 'X' && verb !== 'q') return false;
    const str = stringer(arg);
    if (!str) return false;
    let s: string;
    try {
      s = str();
    } catch (e) {
      if (e instanceof NilReceiver) {
        this.buf += NIL;
        return true;
      }
      throw e;
    }
    this.printString(s, verb);
    return true;
  }

  printArg(arg: Value, verb: string): void {
    this.arg = arg;
    this.argSet = true;
    this.value = undefined;
    this.valueSet = false;
    if (arg === undefined || arg === null) {
      if (verb === 'T' || verb === 'v') this.pad(NIL);
      else this.badVerb(verb);
      return;
    }
    if (verb === 'T') {
      this.fmtS(typeOf(arg)!.name);
      return;
    }
    if (verb === 'p') {
      this.fmtPointer(arg, 'p');
      return;
    }
    switch (typeof arg) {
      case 'boolean':
        this.printBool(arg, verb);
        return;
      case 'number':
        this.printFloat(arg, verb);
        return;
      case 'bigint':
        this.printInteger(arg, true, verb);
        return;
      case 'string':
        this.printString(arg, verb);
        return;
    }
    if (!this.handleMethods(verb)) this.printValue(arg, verb, 0);
  }

  printValue(v: Value, verb: string, depth: number): void {
    if (depth > 0 && v !== undefined && v !== null) {
      this.arg = v;
      this.argSet = true;
      if (this.handleMethods(verb)) return;
    }
    this.arg = undefined;
    this.argSet = false;
    this.value = v;
    this.valueSet = true;
    if (v === undefined) {
      if (depth === 0) this.buf += '<invalid reflect.Value>';
      else if (verb === 'v') this.buf += NIL;
      else this.badVerb(verb);
      return;
    }
    if (v === null) {
      this.buf += NIL;
      return;
    }
    switch (typeof v) {
      case 'boolean':
        this.printBool(v, verb);
        return;
      case 'number':
        this.printFloat(v, verb);
        return;
      case 'bigint':
        this.printInteger(v, true, verb);
        return;
      case 'string':
        this.printString(v, verb);
        return;
    }
    if (v instanceof GoNamed) {
      switch (v.type.kind) {
        case 'int':
          this.printInteger(v.v as bigint, true, verb);
          return;
        case 'uint':
          this.printInteger(v.v as bigint, false, verb);
          return;
        case 'float':
          this.printFloat(v.v as number, verb);
          return;
        case 'complex':
          this.printComplex(v.v as number, v.im, verb);
          return;
        case 'string':
          this.printString(v.v as string, verb);
          return;
        case 'bool':
          this.printBool(v.v as boolean, verb);
          return;
      }
    }
    if (v instanceof GoMap) {
      this.buf += 'map[';
      let first = true;
      for (const k of v.sortedKeys()) {
        if (!first) this.buf += ' ';
        first = false;
        this.printValue(k, verb, depth + 1);
        this.buf += ':';
        this.printValue(v.rec[k], verb, depth + 1);
      }
      this.buf += ']';
      return;
    }
    if (v instanceof GoStruct) {
      this.buf += '{';
      const fields = v.type.fields ?? [];
      fields.forEach((field, i) => {
        if (i > 0) this.buf += ' ';
        if (this.plusV || this.sharpV) this.buf += field.name + ':';
        this.printValue(v.f[field.name], verb, depth + 1);
      });
      this.buf += '}';
      return;
    }
    if (v instanceof GoSlice) {
      this.buf += '[';
      v.items.forEach((item, i) => {
        if (i > 0) this.buf += ' ';
        this.printValue(item, verb, depth + 1);
      });
      this.buf += ']';
      return;
    }
    if (v instanceof GoPtr) {
      const t = v.target;
      if (depth === 0 && (t instanceof GoStruct || t instanceof GoSlice || t instanceof GoMap)) {
        this.buf += '&';
        this.printValue(t, verb, depth + 1);
        return;
      }
      this.fmtPointer(v, verb);
      return;
    }
    if (v instanceof GoNil) {
      switch (v.type.kind) {
        case 'map':
          this.buf += 'map[]';
          return;
        case 'slice':
          this.buf += '[]';
          return;
        default:
          this.fmtPointer(v, verb);
          return;
      }
    }
    // A struct with unexported internals (time.Time) reached with a verb its String does not serve.
    this.badVerb(verb);
  }

  // ---- entry points ----

  doPrint(args: Value[]): void {
    let prevString = false;
    args.forEach((arg, i) => {
      const isString = kindOf(arg) === 'string' && arg !== null;
      if (i > 0 && !isString && !prevString) this.buf += ' ';
      this.printArg(arg, 'v');
      prevString = isString;
    });
  }

  doPrintln(args: Value[]): void {
    args.forEach((arg, i) => {
      if (i > 0) this.buf += ' ';
      this.printArg(arg, 'v');
    });
    this.buf += '\n';
  }

  doPrintf(format: string, a: Value[]): void {
    const end = format.length;
    let argNum = 0;
    let afterIndex = false;
    let reordered = false;
    let goodArgNum = true;

    const parsenum = (s: string, start: number, e: number): [number, boolean, number] => {
      if (start >= e) return [0, false, e];
      let num = 0;
      let isnum = false;
      let i = start;
      for (; i < e && s.charCodeAt(i) >= 48 && s.charCodeAt(i) <= 57; i++) {
        if (num > 1e6) return [0, false, e];
        num = num * 10 + (s.charCodeAt(i) - 48);
        isnum = true;
      }
      return [num, isnum, i];
    };
    const argNumber = (argN: number, i: number, numArgs: number): [number, number, boolean] => {
      if (format.length <= i || format[i] !== '[') return [argN, i, false];
      reordered = true;
      // parseArgNumber
      let index = 0;
      let wid = 1;
      let ok = false;
      if (format.length - i >= 3) {
        for (let j = i + 1; j < format.length; j++) {
          if (format[j] === ']') {
            const [width, okNum, newi] = parsenum(format, i + 1, j);
            if (!okNum || newi !== j) {
              index = 0;
              wid = j - i + 1;
              ok = false;
            } else {
              index = width - 1;
              wid = j - i + 1;
              ok = true;
            }
            break;
          }
        }
      }
      if (ok && index >= 0 && index < numArgs) return [index, i + wid, true];
      goodArgNum = false;
      return [argN, i + wid, ok];
    };
    const intFromArg = (argN: number): [number, boolean, number] => {
      let num = 0;
      let isInt = false;
      let newArgNum = argN;
      if (argN < a.length) {
        const v = a[argN];
        if (typeof v === 'bigint') {
          num = Number(v);
          isInt = true;
        } else if (v instanceof GoNamed && (v.type.kind === 'int' || v.type.kind === 'uint')) {
          num = Number(v.v as bigint);
          isInt = true;
        }
        newArgNum = argN + 1;
        if (num > 1e6 || num < -1e6) {
          num = 0;
          isInt = false;
        }
      }
      return [num, isInt, newArgNum];
    };

    let i = 0;
    formatLoop: while (i < end) {
      goodArgNum = true;
      const lasti = i;
      while (i < end && format[i] !== '%') i++;
      if (i > lasti) this.buf += format.slice(lasti, i);
      if (i >= end) break;
      i++;
      this.clearFlags();
      simple: for (; i < end; i++) {
        const c = format[i]!;
        switch (c) {
          case '#':
            this.sharp = true;
            break;
          case '0':
            this.zero = true;
            break;
          case '+':
            this.plus = true;
            break;
          case '-':
            this.minus = true;
            break;
          case ' ':
            this.space = true;
            break;
          default:
            if (c >= 'a' && c <= 'z' && argNum < a.length) {
              if (c === 'v') {
                this.sharpV = this.sharp;
                this.sharp = false;
                this.plusV = this.plus;
                this.plus = false;
              }
              this.printArg(a[argNum], c);
              argNum++;
              i++;
              continue formatLoop;
            }
            break simple;
        }
      }

      [argNum, i, afterIndex] = argNumber(argNum, i, a.length);

      if (i < end && format[i] === '*') {
        i++;
        [this.wid, this.widPresent, argNum] = intFromArg(argNum);
        if (!this.widPresent) this.buf += '%!(BADWIDTH)';
        if (this.wid < 0) {
          this.wid = -this.wid;
          this.minus = true;
          this.zero = false;
        }
        afterIndex = false;
      } else {
        [this.wid, this.widPresent, i] = parsenum(format, i, end);
        if (afterIndex && this.widPresent) goodArgNum = false;
      }

      if (i + 1 < end && format[i] === '.') {
        i++;
        if (afterIndex) goodArgNum = false;
        [argNum, i, afterIndex] = argNumber(argNum, i, a.length);
        if (i < end && format[i] === '*') {
          i++;
          [this.prec, this.precPresent, argNum] = intFromArg(argNum);
          if (this.prec < 0) {
            this.prec = 0;
            this.precPresent = false;
          }
          if (!this.precPresent) this.buf += '%!(BADPREC)';
          afterIndex = false;
        } else {
          [this.prec, this.precPresent, i] = parsenum(format, i, end);
          if (!this.precPresent) {
            this.prec = 0;
            this.precPresent = true;
          }
        }
      }

      if (!afterIndex) [argNum, i, afterIndex] = argNumber(argNum, i, a.length);

      if (i >= end) {
        this.buf += '%!(NOVERB)';
        break;
      }
      const verb = String.fromCodePoint(format.codePointAt(i)!);
      i += verb.length;
      if (verb === '%') {
        this.buf += '%';
      } else if (!goodArgNum) {
        this.buf += '%!' + verb + '(BADINDEX)';
      } else if (argNum >= a.length) {
        this.buf += '%!' + verb + '(MISSING)';
      } else {
        if (verb === 'v') {
          this.sharpV = this.sharp;
          this.sharp = false;
          this.plusV = this.plus;
          this.plus = false;
        }
        this.printArg(a[argNum], verb);
        argNum++;
      }
    }

    if (!reordered && argNum < a.length) {
      this.clearFlags();
      this.buf += '%!(EXTRA ';
      a.slice(argNum).forEach((arg, j) => {
        if (j > 0) this.buf += ', ';
        if (arg === undefined || arg === null) {
          this.buf += NIL;
        } else {
          this.buf += typeOf(arg)!.name + '=';
          this.printArg(arg, 'v');
        }
      });
      this.buf += ')';
    }
  }
}

function isPrintable(cp: number): boolean {
  return /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u.test(String.fromCodePoint(cp));
}

/** fmt.Sprint. */
export function sprint(args: Value[]): string {
  if (args.length === 1) {
    const a = args[0];
    if (typeof a === 'string') return a;
    if (typeof a === 'number') return formatFloat(a, 'g', -1);
  }
  const p = new Printer();
  p.doPrint(args);
  return p.buf;
}

/** fmt.Sprintln. */
export function sprintln(args: Value[]): string {
  const p = new Printer();
  p.doPrintln(args);
  return p.buf;
}

/** fmt.Sprintf. */
export function sprintf(format: string, args: Value[]): string {
  const p = new Printer();
  p.doPrintf(format, args);
  return p.buf;
}

/** fmt.Sprint of a single value, with the fast paths the template output hits most. */
export function sprint1(v: Value): string {
  switch (typeof v) {
    case 'string':
      return v;
    case 'number':
      return formatFloat(v, 'g', -1);
    case 'bigint':
      return v.toString();
    case 'boolean':
      return v ? 'true' : 'false';
  }
  return sprint([v]);
}

/** The %s text of a type, for error messages. */
export function typeName(t: GoType | undefined): string {
  return t ? t.name : '<nil>';
}
