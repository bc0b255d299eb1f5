/**
 * Alertmanager's time intervals (config `time_intervals`, timeinterval/timeinterval.go) and the
 * stage that applies a route's `mute_time_intervals` and `active_time_intervals`: while a mute
 * interval holds, or no active interval does, the route's groups notify nothing; their alerts
 * stay, and the first flush after the interval tells the receiver.
 */
import type { GroupFlush, GroupStage } from './stage.js';
import { RoutingConfigError } from './types.js';

/** One entry of a named interval's list; every field given must match (an absent field matches all). */
export interface TimeInterval {
  /** Minutes of the day, [start, end). */
  times?: { startMinute: number; endMinute: number }[];
  /** 0 = Sunday … 6 = Saturday, inclusive ranges. */
  weekdays?: [number, number][];
  /** 1…31, or -1 for the month's last day; inclusive ranges. */
  daysOfMonth?: [number, number][];
  /** 1…12, inclusive ranges. */
  months?: [number, number][];
  years?: [number, number][];
  /** IANA time zone; UTC by default. */
  location?: string;
}

/** `time_intervals` by name: a name holds when any of its entries does. */
export type TimeIntervals = ReadonlyMap<string, readonly TimeInterval[]>;

export class TimeIntervalConfigError extends RoutingConfigError {}

const WEEKDAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];
const MONTHS = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december'];
const ENTRY_FIELDS = new Set(['times', 'weekdays', 'days_of_month', 'months', 'years', 'location']);

/** Builds `time_intervals` (or the older top-level `mute_time_intervals`): a list of `{name, time_intervals}`. */
export function buildTimeIntervals(config: unknown, path = 'time_intervals'): Map<string, TimeInterval[]> {
  const out = new Map<string, TimeInterval[]>();
  if (config === undefined || config === null) return out;
  if (!Array.isArray(config)) throw new TimeIntervalConfigError(path, undefined, 'must be a list of {name, time_intervals}');
  config.forEach((raw, i) => {
    const at = `${path}[${i}]`;
    const fail = (field: string | undefined, reason: string): never => {
      throw new TimeIntervalConfigError(at, field, reason);
    };
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) fail(undefined, 'must be a mapping with name and time_intervals');
    const { name, time_intervals: entries, ...rest } = raw as Record<string, unknown>;
    for (const k of Object.keys(rest)) fail(k, 'unknown field (expected name, time_intervals)');
    if (typeof name !== 'string' || name === '') fail('name', 'must be a non-empty string');
    if (out.has(name as string)) fail('name', `time interval ${JSON.stringify(name)} is defined twice`);
    if (entries !== undefined && !Array.isArray(entries)) fail('time_intervals', 'must be a list');
    out.set(name as string, ((entries as unknown[]) ?? []).map((e, j) => buildEntry(e, (field, reason) => fail(field === undefined ? `time_intervals[${j}]` : `time_intervals[${j}].${field}`, reason))));
  });
  return out;
}

function buildEntry(raw: unknown, fail: (field: string | undefined, reason: string) => never): TimeInterval {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) fail(undefined, 'must be a mapping');
  const r = raw as Record<string, unknown>;
  for (const k of Object.keys(r)) if (!ENTRY_FIELDS.has(k)) fail(k, `unknown field (expected one of ${[...ENTRY_FIELDS].join(', ')})`);
  const list = (field: string): unknown[] | undefined => {
    const v = r[field];
    if (v === undefined) return undefined;
    if (!Array.isArray(v)) fail(field, 'must be a list');
    return v as unknown[];
  };
  const out: TimeInterval = {};
  const times = list('times');
  if (times) {
    out.times = times.map((t, i) => {
      const tt = (t ?? {}) as Record<string, unknown>;
      const start = clock(tt.start_time, false, (reason) => fail(`times[${i}].start_time`, reason));
      const end = clock(tt.end_time, true, (reason) => fail(`times[${i}].end_time`, reason));
      if (start >= end) fail(`times[${i}]`, 'start_time must be before end_time');
      return { startMinute: start, endMinute: end };
    });
  }
  const ranges = (field: string, parse: (s: string) => number | undefined, lo: number, hi: number, what: string): [number, number][] | undefined =>
    list(field)?.map((v, i) => {
      const bad = (): never => fail(`${field}[${i}]`, `${JSON.stringify(v)} is not a ${what} or a range "a:b" of them`);
      const s = String(v).trim().toLowerCase();
      const parts = s.split(':');
      if (parts.length > 2) bad();
      const a = parse(parts[0]);
      const b = parts.length === 2 ? parse(parts[1]) : a;
      if (a === undefined || b === undefined || a < lo || a > hi || b < lo || b > hi) return bad();
      if (field !== 'days_of_month' || Math.sign(a) === Math.sign(b)) {
        if (a > b) fail(`${field}[${i}]`, `start of ${JSON.stringify(v)} is after its end`);
      }
      if (field === 'days_of_month' && (a === 0 || b === 0)) bad();
      return [a, b];
    });
  const int = (s: string) => (/^-?\d+$/.test(s) ? Number(s) : undefined);
  const named = (names: string[], base: number) => (s: string) => {
    const i = names.indexOf(s);
    return i >= 0 ? i + base : undefined;
  };
  const weekdays = ranges('weekdays', named(WEEKDAYS, 0), 0, 6, 'weekday');
  if (weekdays) out.weekdays = weekdays;
  const days = ranges('days_of_month', int, -31, 31, 'day of the month');
  if (days) out.daysOfMonth = days;
  const months = ranges('months', (s) => named(MONTHS, 1)(s) ?? int(s), 1, 12, 'month');
  if (months) out.months = months;
  const years = ranges('years', int, 0, 9999, 'year');
  if (years) out.years = years;
  if (r.location !== undefined) {
    if (typeof r.location !== 'string') fail('location', 'must be a time zone name such as "Europe/Berlin"');
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: r.location as string });
    } catch {
      fail('location', `unknown time zone ${JSON.stringify(r.location)}`);
    }
    if ((r.location as string).toLowerCase() !== 'local') out.location = r.location as string;
  }
  return out;
}

/** "HH:MM" as minutes of the day; "24:00" only as an end. */
function clock(v: unknown, isEnd: boolean, fail: (reason: string) => never): number {
  const m = typeof v === 'string' ? /^(\d{1,2}):(\d{2})$/.exec(v) : null;
  if (!m) return fail(`${JSON.stringify(v)} is not a time of day "HH:MM"`);
  const minutes = Number(m[1]) * 60 + Number(m[2]);
  if (Number(m[2]) > 59 || minutes > 24 * 60 || (minutes === 24 * 60 && !isEnd)) fail(`${v} is outside the day (00:00 to 24:00)`);
  return minutes;
}

interface Parts {
  year: number;
  month: number;
  day: number;
  weekday: number;
  minute: number;
  daysInMonth: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function partsAt(t: number, zone: string): Parts {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', weekday: 'long', hour: 'numeric', minute: 'numeric' });
    formatters.set(zone, f);
  }
  const p: Record<string, string> = {};
  for (const { type, value } of f.formatToParts(new Date(t))) p[type] = value;
  const year = Number(p.year);
  const month = Number(p.month);
  return {
    year,
    month,
    day: Number(p.day),
    weekday: WEEKDAYS.indexOf(p.weekday.toLowerCase()),
    minute: Number(p.hour) * 60 + Number(p.minute),
    daysInMonth: new Date(Date.UTC(year, month, 0)).getUTCDate(),
  };
}

const inRanges = (v: number, ranges: readonly [number, number][]) => ranges.some(([a, b]) => v >= a && v <= b);

/** Whether the interval holds at `t` (unix ms). */
export function intervalContains(interval: TimeInterval, t: number): boolean {
  const p = partsAt(t, interval.location ?? 'UTC');
  if (interval.times && !interval.times.some((r) => p.minute >= r.startMinute && p.minute < r.endMinute)) return false;
  if (interval.weekdays && !inRanges(p.weekday, interval.weekdays)) return false;
  if (interval.daysOfMonth) {
    // negative days count back from the month's end: -1 is its last day
    const abs = (d: number) => (d < 0 ? p.daysInMonth + d + 1 : d);
    if (!interval.daysOfMonth.some(([a, b]) => p.day >= abs(a) && p.day <= abs(b))) return false;
  }
  if (interval.months && !inRanges(p.month, interval.months)) return false;
  if (interval.years && !inRanges(p.year, interval.years)) return false;
  return true;
}

/** Whether any entry of the named interval holds at `t`. */
export function namedIntervalActive(intervals: TimeIntervals, name: string, t: number): boolean {
  return (intervals.get(name) ?? []).some((i) => intervalContains(i, t));
}

/** The group stage for `mute_time_intervals` and `active_time_intervals` (Alertmanager's TimeMuteStage and TimeActiveStage). */
export class TimeIntervalStage implements GroupStage {
  readonly name = 'time_interval';
  constructor(private readonly intervals: TimeIntervals) {}

  run(flush: GroupFlush, now: number): GroupFlush | undefined {
    const { muteTimeIntervals = [], activeTimeIntervals = [] } = flush.route;
    if (muteTimeIntervals.some((n) => namedIntervalActive(this.intervals, n, now))) return undefined;
    if (activeTimeIntervals.length > 0 && !activeTimeIntervals.some((n) => namedIntervalActive(this.intervals, n, now))) return undefined;
    return flush;
  }
}
