/**
 * Go's time.Time (in UTC) and time.Duration as template values, with the
 * methods templates call on them: Format with Go layouts, String, Unix*,
 * Add, Sub, calendar fields; Duration's String, Seconds, Round...
 */
import { BOOL, FLOAT64, FuncError, GoNamed, GoNil, GoValue, INT, INT64, STRING, ptrTo, type GoType, type Method, type Value } from './types.js';

const NANOS_PER_SECOND = 1_000_000_000n;

// ---- types ----

const methodsOfTime: Record<string, Method> = {};
const methodsOfDuration: Record<string, Method> = {};

export const TIME: GoType = {
  name: 'time.Time',
  kind: 'struct',
  comparable: true,
  fields: [
    { name: 'wall', type: { name: 'uint64', kind: 'uint' } },
    { name: 'ext', type: INT64 },
    { name: 'loc', type: { name: '*time.Location', kind: 'ptr' } },
  ],
  methods: methodsOfTime,
};
export const TIME_PTR = ptrTo(TIME);
export const DURATION: GoType = { name: 'time.Duration', kind: 'int', comparable: true, methods: methodsOfDuration };
export const DURATION_PTR = ptrTo(DURATION);

const monthNames = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const dayNames = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

export const MONTH: GoType = {
  name: 'time.Month',
  kind: 'int',
  comparable: true,
  methods: {
    String: {
      params: [],
      result: STRING,
      call: (r) => {
        const m = Number((r as GoNamed).v);
        return m >= 1 && m <= 12 ? monthNames[m - 1]! : `%!Month(${m})`;
      },
    },
  },
};
export const WEEKDAY: GoType = {
  name: 'time.Weekday',
  kind: 'int',
  comparable: true,
  methods: {
    String: {
      params: [],
      result: STRING,
      call: (r) => {
        const d = Number((r as GoNamed).v);
        return d >= 0 && d <= 6 ? dayNames[d]! : `%!Weekday(${d})`;
      },
    },
  },
};

export class GoTime extends GoValue {
  readonly type = TIME;
  /** Unix time in nanoseconds. */
  constructor(readonly ns: bigint) {
    super();
  }
}

export function duration(ns: bigint): GoNamed {
  return new GoNamed(DURATION, wrapInt64(ns));
}

function wrapInt64(v: bigint): bigint {
  return BigInt.asIntN(64, v);
}

// ---- calendar (proleptic Gregorian, UTC) ----

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return (a % b !== 0n && a < 0n !== b < 0n) ? q - 1n : q;
}

/** Days since 1970-01-01 → [year, month 1..12, day 1..31]. */
function civilFromDays(z0: bigint): [bigint, number, number] {
  const z = z0 + 719468n;
  const era = floorDiv(z, 146097n);
  const doe = z - era * 146097n;
  const yoe = (doe - doe / 1460n + doe / 36524n - doe / 146096n) / 365n;
  const y = yoe + era * 400n;
  const doy = doe - (365n * yoe + yoe / 4n - yoe / 100n);
  const mp = (5n * doy + 2n) / 153n;
  const d = Number(doy - (153n * mp + 2n) / 5n + 1n);
  const m = Number(mp < 10n ? mp + 3n : mp - 9n);
  return [m <= 2 ? y + 1n : y, m, d];
}

/** [year, month (may overflow), day (may overflow)] → days since 1970-01-01, normalizing like time.Date. */
function daysFromCivil(y0: bigint, m0: bigint, d: bigint): bigint {
  // normalize month into 1..12
  let y = y0 + floorDiv(m0 - 1n, 12n);
  const m = m0 - 1n - floorDiv(m0 - 1n, 12n) * 12n + 1n;
  y = m <= 2n ? y - 1n : y;
  const era = floorDiv(y, 400n);
  const yoe = y - era * 400n;
  const mp = m > 2n ? m - 3n : m + 9n;
  const doy = (153n * mp + 2n) / 5n;
  const doe = yoe * 365n + yoe / 4n - yoe / 100n + doy;
  return era * 146097n + doe - 719468n + (d - 1n);
}

interface Parts {
  year: bigint;
  month: number;
  day: number;
  hour: number;
  min: number;
  sec: number;
  nsec: number;
  weekday: number;
  yday: number;
}

function parts(t: GoTime): Parts {
  const secs = floorDiv(t.ns, NANOS_PER_SECOND);
  const nsec = Number(t.ns - secs * NANOS_PER_SECOND);
  const days = floorDiv(secs, 86400n);
  const sod = Number(secs - days * 86400n);
  const [year, month, day] = civilFromDays(days);
  const weekday = Number(((days % 7n) + 11n) % 7n); // 1970-01-01 was a Thursday (4)
  const yday = Number(days - daysFromCivil(year, 1n, 1n)) + 1;
  return { year, month, day, hour: Math.floor(sod / 3600), min: Math.floor(sod / 60) % 60, sec: sod % 60, nsec, weekday, yday };
}

function pad(n: number | bigint, width: number): string {
  const neg = n < 0;
  const s = (neg ? -BigInt(n) : BigInt(n)).toString().padStart(width, '0');
  return neg ? '-' + s : s;
}

// ---- Format ----

type Std =
  | { k: 'lit'; s: string }
  | { k: 'std'; s: string; digits?: number; sep?: string };

function startsWithLower(s: string): boolean {
  const c = s.charCodeAt(0);
  return c >= 97 && c <= 122;
}

/** Go's nextStdChunk, applied over the whole layout. */
function chunks(layout: string): Std[] {
  const out: Std[] = [];
  let rest = layout;
  outer: while (rest.length > 0) {
    for (let i = 0; i < rest.length; i++) {
      const c = rest[i]!;
      const take = (len: number, s: string, extra?: { digits?: number; sep?: string }, litLen = i) => {
        if (litLen > 0) out.push({ k: 'lit', s: rest.slice(0, litLen) });
        out.push({ k: 'std', s, ...extra });
        rest = rest.slice(i + len);
      };
      const at = (s: string) => rest.startsWith(s, i);
      switch (c) {
        case 'J':
          if (at('Jan')) {
            if (at('January')) {
              take(7, 'January');
              continue outer;
            }
            if (!startsWithLower(rest.slice(i + 3))) {
              take(3, 'Jan');
              continue outer;
            }
          }
          break;
        case 'M':
          if (at('Mon')) {
            if (at('Monday')) {
              take(6, 'Monday');
              continue outer;
            }
            if (!startsWithLower(rest.slice(i + 3))) {
              take(3, 'Mon');
              continue outer;
            }
          }
          if (at('MST')) {
            take(3, 'MST');
            continue outer;
          }
          break;
        case '0':
          if (i + 1 < rest.length && rest[i + 1]! >= '1' && rest[i + 1]! <= '6') {
            take(2, '0' + rest[i + 1]);
            continue outer;
          }
          if (at('002')) {
            take(3, '002');
            continue outer;
          }
          break;
        case '1':
          if (at('15')) take(2, '15');
          else take(1, '1');
          continue outer;
        case '2':
          if (at('2006')) take(4, '2006');
          else take(1, '2');
          continue outer;
        case '_':
          if (rest[i + 1] === '2') {
            if (rest.startsWith('2006', i + 1)) {
              out.push({ k: 'lit', s: rest.slice(0, i + 1) });
              out.push({ k: 'std', s: '2006' });
              rest = rest.slice(i + 5);
              continue outer;
            }
            take(2, '_2');
            continue outer;
          }
          if (at('__2')) {
            take(3, '__2');
            continue outer;
          }
          break;
        case '3':
        case '4':
        case '5':
          take(1, c);
          continue outer;
        case 'P':
          if (rest[i + 1] === 'M') {
            take(2, 'PM');
            continue outer;
          }
          break;
        case 'p':
          if (rest[i + 1] === 'm') {
            take(2, 'pm');
            continue outer;
          }
          break;
        case '-':
        case 'Z':
          for (const tz of ['070000', '07:00:00', '0700', '07:00', '07']) {
            if (rest.startsWith(tz, i + 1)) {
              take(1 + tz.length, c + tz);
              continue outer;
            }
          }
          break;
        case '.':
        case ',':
          if (rest[i + 1] === '0' || rest[i + 1] === '9') {
            const ch = rest[i + 1]!;
            let j = i + 1;
            while (j < rest.length && rest[j] === ch) j++;
            if (!(j < rest.length && rest[j]! >= '0' && rest[j]! <= '9')) {
              take(j - i, ch === '0' ? 'frac0' : 'frac9', { digits: j - (i + 1), sep: c });
              continue outer;
            }
          }
          break;
      }
    }
    out.push({ k: 'lit', s: rest });
    break;
  }
  return out;
}

const layoutCache = new Map<string, Std[]>();

/** time.Time.Format for a UTC time. */
export function formatTime(t: GoTime, layout: string): string {
  let cs = layoutCache.get(layout);
  if (!cs) {
    cs = chunks(layout);
    if (layoutCache.size > 200) layoutCache.clear();
    layoutCache.set(layout, cs);
  }
  const p = parts(t);
  let out = '';
  for (const c of cs) {
    if (c.k === 'lit') {
      out += c.s;
      continue;
    }
    switch (c.s) {
      case '06':
        out += pad(((p.year % 100n) + 100n) % 100n, 2);
        break;
      case '2006':
        out += pad(p.year, 4);
        break;
      case 'Jan':
        out += monthNames[p.month - 1]!.slice(0, 3);
        break;
      case 'January':
        out += monthNames[p.month - 1]!;
        break;
      case '1':
        out += p.month;
        break;
      case '01':
        out += pad(p.month, 2);
        break;
      case 'Mon':
        out += dayNames[p.weekday]!.slice(0, 3);
        break;
      case 'Monday':
        out += dayNames[p.weekday]!;
        break;
      case '2':
        out += p.day;
        break;
      case '_2':
        out += (p.day < 10 ? ' ' : '') + p.day;
        break;
      case '02':
        out += pad(p.day, 2);
        break;
      case '__2':
        out += String(p.yday).padStart(3, ' ');
        break;
      case '002':
        out += pad(p.yday, 3);
        break;
      case '15':
        out += pad(p.hour, 2);
        break;
      case '3':
        out += p.hour % 12 === 0 ? 12 : p.hour % 12;
        break;
      case '03':
        out += pad(p.hour % 12 === 0 ? 12 : p.hour % 12, 2);
        break;
      case '4':
        out += p.min;
        break;
      case '04':
        out += pad(p.min, 2);
        break;
      case '5':
        out += p.sec;
        break;
      case '05':
        out += pad(p.sec, 2);
        break;
      case 'PM':
        out += p.hour >= 12 ? 'PM' : 'AM';
        break;
      case 'pm':
        out += p.hour >= 12 ? 'pm' : 'am';
        break;
      case 'MST':
        out += 'UTC';
        break;
      case 'Z070000':
      case 'Z07:00:00':
      case 'Z0700':
      case 'Z07:00':
      case 'Z07':
        out += 'Z';
        break;
      case '-070000':
        out += '+000000';
        break;
      case '-07:00:00':
        out += '+00:00:00';
        break;
      case '-0700':
        out += '+0000';
        break;
      case '-07:00':
        out += '+00:00';
        break;
      case '-07':
        out += '+00';
        break;
      case 'frac0':
        out += c.sep + String(p.nsec).padStart(9, '0').slice(0, c.digits);
        break;
      case 'frac9': {
        const digits = String(p.nsec).padStart(9, '0').slice(0, c.digits).replace(/0+$/, '');
        if (digits.length > 0) out += c.sep + digits;
        break;
      }
    }
  }
  return out;
}

/** time.Time.String. */
export function timeString(t: GoTime): string {
  return formatTime(t, '2006-01-02 15:04:05.999999999 -0700 MST');
}

// ---- Duration ----

/** time.Duration.String. */
export function durationString(d: bigint): string {
  let u = d < 0n ? -d : d;
  const neg = d < 0n;
  let out: string;
  const fmtFrac = (v: bigint, prec: number): [string, bigint] => {
    let s = '';
    let print = false;
    for (let i = 0; i < prec; i++) {
      const digit = v % 10n;
      print = print || digit !== 0n;
      if (print) s = digit.toString() + s;
      v /= 10n;
    }
    if (print) s = '.' + s;
    return [s, v];
  };
  if (u < NANOS_PER_SECOND) {
    let prec: number;
    let unit: string;
    if (u === 0n) return '0s';
    if (u < 1000n) {
      prec = 0;
      unit = 'ns';
    } else if (u < 1_000_000n) {
      prec = 3;
      unit = 'µs';
    } else {
      prec = 6;
      unit = 'ms';
    }
    const [frac, rest] = fmtFrac(u, prec);
    out = rest.toString() + frac + unit;
  } else {
    const [frac, secs] = fmtFrac(u, 9);
    u = secs;
    out = (u % 60n).toString() + frac + 's';
    u /= 60n;
    if (u > 0n) {
      out = (u % 60n).toString() + 'm' + out;
      u /= 60n;
      if (u > 0n) out = u.toString() + 'h' + out;
    }
  }
  return neg ? '-' + out : out;
}

function durationOf(v: Value): bigint {
  if (v instanceof GoNil) throw new FuncError('runtime error: invalid memory address or nil pointer dereference');
  return (v as GoNamed).v as bigint;
}

function timeOf(v: Value): GoTime {
  if (!(v instanceof GoTime)) throw new FuncError('runtime error: invalid memory address or nil pointer dereference');
  return v;
}

const MIN_INT64 = -(1n << 63n);
const MAX_INT64 = (1n << 63n) - 1n;

function roundDuration(d: bigint, m: bigint): bigint {
  if (m <= 0n) return d;
  let r = d % m;
  if (d < 0n) {
    r = -r;
    if (r + r < m) return d + r;
    const d1 = d - m + r;
    return d1 < d ? d1 : MIN_INT64;
  }
  if (r + r < m) return d - r;
  const d1 = d + m - r;
  return d1 > d ? d1 : MAX_INT64;
}

Object.assign(methodsOfDuration, {
  String: { params: [], result: STRING, call: (r: Value) => durationString(durationOf(r)) },
  Seconds: {
    params: [],
    result: FLOAT64,
    call: (r: Value) => {
      const d = durationOf(r);
      const sec = d / NANOS_PER_SECOND;
      const nsec = d % NANOS_PER_SECOND;
      return Number(sec) + Number(nsec) / 1e9;
    },
  },
  Minutes: {
    params: [],
    result: FLOAT64,
    call: (r: Value) => {
      const d = durationOf(r);
      const min = d / 60_000_000_000n;
      const nsec = d % 60_000_000_000n;
      return Number(min) + Number(nsec) / (60 * 1e9);
    },
  },
  Hours: {
    params: [],
    result: FLOAT64,
    call: (r: Value) => {
      const d = durationOf(r);
      const hour = d / 3_600_000_000_000n;
      const nsec = d % 3_600_000_000_000n;
      return Number(hour) + Number(nsec) / (60 * 60 * 1e9);
    },
  },
  Milliseconds: { params: [], result: INT64, call: (r: Value) => new GoNamed(INT64, durationOf(r) / 1_000_000n) },
  Microseconds: { params: [], result: INT64, call: (r: Value) => new GoNamed(INT64, durationOf(r) / 1000n) },
  Nanoseconds: { params: [], result: INT64, call: (r: Value) => new GoNamed(INT64, durationOf(r)) },
  Abs: {
    params: [],
    result: DURATION,
    call: (r: Value) => {
      const d = durationOf(r);
      return duration(d >= 0n ? d : d === MIN_INT64 ? MAX_INT64 : -d);
    },
  },
  Round: { params: [DURATION], result: DURATION, call: (r: Value, [m]: Value[]) => duration(roundDuration(durationOf(r), durationOf(m))) },
  Truncate: {
    params: [DURATION],
    result: DURATION,
    call: (r: Value, [m]: Value[]) => {
      const d = durationOf(r);
      const mm = durationOf(m);
      return duration(mm <= 0n ? d : d - (d % mm));
    },
  },
} satisfies Record<string, Method>);

const int64 = (v: bigint) => new GoNamed(INT64, v);

Object.assign(methodsOfTime, {
  String: { params: [], result: STRING, call: (r: Value) => timeString(timeOf(r)) },
  Format: { params: [STRING], result: STRING, call: (r: Value, [layout]: Value[]) => formatTime(timeOf(r), layout as string) },
  Unix: { params: [], result: INT64, call: (r: Value) => int64(floorDiv(timeOf(r).ns, NANOS_PER_SECOND)) },
  UnixMilli: { params: [], result: INT64, call: (r: Value) => int64(floorDiv(timeOf(r).ns, 1_000_000n)) },
  UnixMicro: { params: [], result: INT64, call: (r: Value) => int64(floorDiv(timeOf(r).ns, 1000n)) },
  UnixNano: { params: [], result: INT64, call: (r: Value) => int64(timeOf(r).ns) },
  Year: { params: [], result: INT, call: (r: Value) => parts(timeOf(r)).year },
  Month: { params: [], result: MONTH, call: (r: Value) => new GoNamed(MONTH, BigInt(parts(timeOf(r)).month)) },
  Day: { params: [], result: INT, call: (r: Value) => BigInt(parts(timeOf(r)).day) },
  Hour: { params: [], result: INT, call: (r: Value) => BigInt(parts(timeOf(r)).hour) },
  Minute: { params: [], result: INT, call: (r: Value) => BigInt(parts(timeOf(r)).min) },
  Second: { params: [], result: INT, call: (r: Value) => BigInt(parts(timeOf(r)).sec) },
  Nanosecond: { params: [], result: INT, call: (r: Value) => BigInt(parts(timeOf(r)).nsec) },
  YearDay: { params: [], result: INT, call: (r: Value) => BigInt(parts(timeOf(r)).yday) },
  Weekday: { params: [], result: WEEKDAY, call: (r: Value) => new GoNamed(WEEKDAY, BigInt(parts(timeOf(r)).weekday)) },
  UTC: { params: [], result: TIME, call: (r: Value) => timeOf(r) },
  Local: { params: [], result: TIME, call: (r: Value) => timeOf(r) },
  IsZero: { params: [], result: BOOL, call: (r: Value) => timeOf(r).ns === ZERO_TIME_NS },
  Add: { params: [DURATION], result: TIME, call: (r: Value, [d]: Value[]) => new GoTime(timeOf(r).ns + durationOf(d)) },
  Sub: {
    params: [TIME],
    result: DURATION,
    call: (r: Value, [u]: Value[]) => {
      const d = timeOf(r).ns - timeOf(u).ns;
      return duration(d > MAX_INT64 ? MAX_INT64 : d < MIN_INT64 ? MIN_INT64 : d);
    },
  },
  AddDate: {
    params: [INT, INT, INT],
    result: TIME,
    call: (r: Value, [y, m, d]: Value[]) => {
      const t = timeOf(r);
      const p = parts(t);
      const days = daysFromCivil(p.year + (y as bigint), BigInt(p.month) + (m as bigint), BigInt(p.day) + (d as bigint));
      const sod = BigInt(p.hour * 3600 + p.min * 60 + p.sec);
      return new GoTime((days * 86400n + sod) * NANOS_PER_SECOND + BigInt(p.nsec));
    },
  },
  Before: { params: [TIME], result: BOOL, call: (r: Value, [u]: Value[]) => timeOf(r).ns < timeOf(u).ns },
  After: { params: [TIME], result: BOOL, call: (r: Value, [u]: Value[]) => timeOf(r).ns > timeOf(u).ns },
  Equal: { params: [TIME], result: BOOL, call: (r: Value, [u]: Value[]) => timeOf(r).ns === timeOf(u).ns },
  Compare: {
    params: [TIME],
    result: INT,
    call: (r: Value, [u]: Value[]) => {
      const a = timeOf(r).ns;
      const b = timeOf(u).ns;
      return a < b ? -1n : a > b ? 1n : 0n;
    },
  },
  Truncate: {
    params: [DURATION],
    result: TIME,
    call: (r: Value, [d]: Value[]) => {
      const t = timeOf(r);
      const dd = durationOf(d);
      if (dd <= 0n) return t;
      const sinceZero = t.ns - ZERO_TIME_NS;
      return new GoTime(t.ns - (((sinceZero % dd) + dd) % dd));
    },
  },
  Round: {
    params: [DURATION],
    result: TIME,
    call: (r: Value, [d]: Value[]) => {
      const t = timeOf(r);
      const dd = durationOf(d);
      if (dd <= 0n) return t;
      const rem = (((t.ns - ZERO_TIME_NS) % dd) + dd) % dd;
      return new GoTime(rem + rem < dd ? t.ns - rem : t.ns + (dd - rem));
    },
  },
} satisfies Record<string, Method>);

/** The instant of Go's zero Time (January 1, year 1, 00:00:00 UTC) in unix nanoseconds. */
const ZERO_TIME_NS = daysFromCivil(1n, 1n, 1n) * 86400n * NANOS_PER_SECOND;
