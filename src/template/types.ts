/**
 * A small model of Go's reflect for template values. Plain JS values stand for
 * the common Go types (string, float64, int as bigint, bool); everything else
 * carries its Go type, so errors, printing and comparisons read as Go's do.
 *
 * undefined is Go's invalid reflect.Value ("<no value>"); null is a nil
 * interface{} (printed "<nil>").
 */

export type Kind = 'bool' | 'int' | 'uint' | 'float' | 'complex' | 'string' | 'map' | 'slice' | 'struct' | 'ptr' | 'interface';

export interface Method {
  /** Parameter types; the last is the element type when variadic. */
  params: GoType[];
  variadic?: boolean;
  result: GoType;
  /** Whether the method also returns an error (thrown as FuncError). */
  canFail?: boolean;
  call(receiver: Value, args: Value[]): Value;
}

export interface GoType {
  /** As Go prints it: "map[string]string", "*template.sample", "interface {}". */
  readonly name: string;
  readonly kind: Kind;
  /** Map value, slice element or pointer target. */
  readonly elem?: GoType;
  readonly key?: GoType;
  readonly fields?: readonly { name: string; type: GoType }[];
  /** Methods callable on the value (and on a pointer to it). */
  readonly methods?: Readonly<Record<string, Method>>;
  /** Comparable with == (maps and slices are not). */
  readonly comparable?: boolean;
}

export type Value = undefined | null | boolean | number | bigint | string | GoValue;

export abstract class GoValue {
  abstract readonly type: GoType;
}

/** A named scalar: int64, time.Duration, time.Month, template.HTML, complex128... */
export class GoNamed extends GoValue {
  constructor(
    readonly type: GoType,
    readonly v: bigint | string | number | boolean,
    readonly im = 0,
  ) {
    super();
  }
}

/** A map with string keys. */
export class GoMap extends GoValue {
  constructor(
    readonly type: GoType,
    readonly rec: Readonly<Record<string, Value>>,
  ) {
    super();
  }
  get(key: string): Value | typeof MISSING {
    return Object.prototype.hasOwnProperty.call(this.rec, key) ? this.rec[key] : MISSING;
  }
  sortedKeys(): string[] {
    return Object.keys(this.rec).sort(compareGoStrings);
  }
  get size(): number {
    return Object.keys(this.rec).length;
  }
}

export class GoSlice extends GoValue {
  constructor(
    readonly type: GoType,
    readonly items: Value[],
  ) {
    super();
  }
}

export class GoStruct extends GoValue {
  constructor(
    readonly type: GoType,
    readonly f: Readonly<Record<string, Value>>,
  ) {
    super();
  }
}

/** A non-nil pointer. Identity is the pointer's address. */
export class GoPtr extends GoValue {
  constructor(
    readonly type: GoType,
    readonly target: Value,
  ) {
    super();
  }
}

/** The nil value of a pointer, map or slice type. */
export class GoNil extends GoValue {
  constructor(readonly type: GoType) {
    super();
  }
}

export const MISSING: unique symbol = Symbol('missing');

/** Go compares strings bytewise (UTF-8), which is code point order. */
export function compareGoStrings(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    if ((x >= 0xd800 && x <= 0xdfff) || (y >= 0xd800 && y <= 0xdfff)) {
      const cx = a.codePointAt(i)!;
      const cy = b.codePointAt(i)!;
      if (cx !== cy) return cx < cy ? -1 : 1;
      continue;
    }
    return x < y ? -1 : 1;
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

// ---- Types ----

function basic(name: string, kind: Kind, comparable = true): GoType {
  return { name, kind, comparable };
}

export const BOOL = basic('bool', 'bool');
export const INT = basic('int', 'int');
export const INT64 = basic('int64', 'int');
export const INT32 = basic('int32', 'int');
export const UINT64 = basic('uint64', 'uint');
export const FLOAT64 = basic('float64', 'float');
export const COMPLEX128 = basic('complex128', 'complex');
export const STRING = basic('string', 'string');
export const ANY: GoType = { name: 'interface {}', kind: 'interface', comparable: true };
/** reflect.Value parameters of the builtins take anything, unconverted. */
export const REFLECT_VALUE: GoType = { name: 'reflect.Value', kind: 'struct', comparable: true };
export const HTML: GoType = basic('template.HTML', 'string');

export function mapOf(key: GoType, elem: GoType): GoType {
  return { name: `map[${key.name}]${elem.name}`, kind: 'map', key, elem, comparable: false };
}

export function sliceOf(elem: GoType, name = `[]${elem.name}`): GoType {
  return { name, kind: 'slice', elem, comparable: false };
}

export function ptrTo(elem: GoType): GoType {
  return { name: `*${elem.name}`, kind: 'ptr', elem, comparable: true, methods: elem.methods };
}

export const MAP_STRING_STRING = mapOf(STRING, STRING);
export const MAP_STRING_ANY = mapOf(STRING, ANY);

/** The dynamic type of a value; undefined for the invalid value. */
export function typeOf(v: Value): GoType | undefined {
  switch (typeof v) {
    case 'string':
      return STRING;
    case 'number':
      return FLOAT64;
    case 'bigint':
      return INT;
    case 'boolean':
      return BOOL;
    case 'undefined':
      return undefined;
    default:
      return v === null ? ANY : v.type;
  }
}

export function kindOf(v: Value): Kind | 'invalid' {
  const t = typeOf(v);
  return t ? t.kind : 'invalid';
}

/** Whether v is nil: the invalid value, a nil interface, or a nil pointer/map/slice. */
export function isNilValue(v: Value): boolean {
  return v === undefined || v === null || v instanceof GoNil;
}

/** Go's definition of truth for if, with, and, or, not: (truth, meaningful). */
export function isTrue(v: Value): [boolean, boolean] {
  switch (typeof v) {
    case 'undefined':
      return [false, true];
    case 'boolean':
      return [v, true];
    case 'number':
      return [v !== 0, true];
    case 'bigint':
      return [v !== 0n, true];
    case 'string':
      return [v.length > 0, true];
  }
  if (v === null) return [false, true];
  if (v instanceof GoNil) return [false, true];
  if (v instanceof GoNamed) {
    switch (v.type.kind) {
      case 'string':
        return [(v.v as string).length > 0, true];
      case 'float':
        return [v.v !== 0, true];
      case 'complex':
        return [v.v !== 0 || v.im !== 0, true];
      case 'bool':
        return [v.v as boolean, true];
      default:
        return [v.v !== 0n, true];
    }
  }
  if (v instanceof GoMap) return [v.size > 0, true];
  if (v instanceof GoSlice) return [v.items.length > 0, true];
  if (v instanceof GoPtr) return [true, true];
  if (v.type.kind === 'struct') return [true, true];
  return [false, false];
}

/** Integer value of an int-kind value, or undefined. */
export function intValue(v: Value): bigint | undefined {
  if (typeof v === 'bigint') return v;
  if (v instanceof GoNamed && (v.type.kind === 'int' || v.type.kind === 'uint')) return v.v as bigint;
  return undefined;
}

/** String value of a string-kind value, or undefined. */
export function stringValue(v: Value): string | undefined {
  if (typeof v === 'string') return v;
  if (v instanceof GoNamed && v.type.kind === 'string') return v.v as string;
  return undefined;
}

/** Float value of a float-kind value, or undefined. */
export function floatValue(v: Value): number | undefined {
  if (typeof v === 'number') return v;
  if (v instanceof GoNamed && v.type.kind === 'float') return v.v as number;
  return undefined;
}

/** Go's AssignableTo for the types templates meet. */
export function assignableTo(from: GoType, to: GoType): boolean {
  if (to === REFLECT_VALUE) return true;
  if (to.kind === 'interface') return true; // every interface here is empty
  if (from === to) return true;
  return from.name === to.name;
}

/** A function or method's failure: "error calling <name>: <message>". */
export class FuncError extends Error {}

/** Length of a string as Go counts it (UTF-8 bytes). */
export function byteLength(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}
