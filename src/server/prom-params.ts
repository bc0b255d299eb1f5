// The parameters of Prometheus' HTTP API, parsed as Prometheus parses them (web/api/v1): times as
// unix float seconds or RFC 3339, durations as float seconds or a Prometheus duration.
import { parseDuration } from '../promql/index.js';

/** Prometheus' MinTime/MaxTime, in the ms range a JS number holds exactly: the bounds of an open series or label query. */
export const MIN_TIME_MS = Number.MIN_SAFE_INTEGER;
export const MAX_TIME_MS = Number.MAX_SAFE_INTEGER;
// What Go's time formatter writes for those bounds; clients such as client_golang send them back as start/end.
const MIN_TIME_TEXT = '-292273086-05-16T16:47:06Z';
const MAX_TIME_TEXT = '292277025-08-18T07:12:54.999999999Z';

const FLOAT = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/;

/** A parameter Prometheus would reject; the message is the one it gives (`invalid parameter "time": …`). */
export class ParamError extends Error {}

/** Go's math.Round: halves away from zero. */
const roundHalfAway = (x: number) => Math.sign(x) * Math.round(Math.abs(x));

/** ms since the epoch, or undefined. Sub-millisecond parts are rounded (floats) or cut (RFC 3339), as Prometheus does. */
export function parsePromTime(s: string): number | undefined {
  if (FLOAT.test(s)) {
    const f = Number(s);
    if (!Number.isFinite(f)) return undefined;
    const whole = Math.trunc(f);
    const ms = whole * 1000 + roundHalfAway((f - whole) * 1000);
    return Math.min(MAX_TIME_MS, Math.max(MIN_TIME_MS, ms));
  }
  const m = RFC3339.exec(s);
  if (m) {
    const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number);
    const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
    if (month < 1 || month > 12 || day < 1 || day > daysInMonth || hour > 23 || minute > 59 || second > 59) return undefined;
    const fraction = Number((m[7] ?? '').padEnd(3, '0').slice(0, 3));
    const zone = m[8] === 'Z' ? 0 : (m[8][0] === '-' ? -1 : 1) * (Number(m[8].slice(1, 3)) * 60 + Number(m[8].slice(4, 6))) * 60_000;
    const at = new Date(0);
    at.setUTCFullYear(year, month - 1, day);
    at.setUTCHours(hour, minute, second, fraction);
    return at.getTime() - zone;
  }
  if (s === MIN_TIME_TEXT) return MIN_TIME_MS;
  if (s === MAX_TIME_TEXT) return MAX_TIME_MS;
  return undefined;
}

/**
 * A time parameter. With a `fallback` it may be absent or empty, as Prometheus' parseTimeParam
 * (whose errors say "Invalid time value for …"); without one it is required (query_range's start and end).
 */
export function timeParam(name: string, value: string | undefined, fallback?: number): number {
  if ((value === undefined || value === '') && fallback !== undefined) return fallback;
  const t = parsePromTime(value ?? '');
  if (t !== undefined) return t;
  const why = `cannot parse ${JSON.stringify(value ?? '')} to a valid timestamp`;
  throw new ParamError(`invalid parameter ${JSON.stringify(name)}: ${fallback === undefined ? why : `Invalid time value for '${name}': ${why}`}`);
}

/** A duration parameter in ms (float seconds, or `5m`); may be zero or negative (the caller says whether that is allowed). */
export function durationParam(name: string, value: string | undefined): number {
  const s = value ?? '';
  if (FLOAT.test(s)) {
    // whole milliseconds, as Prometheus cuts a time.Duration to the engine's resolution
    const ms = Math.trunc(Number(s) * 1000);
    // Go's time.Duration is int64 nanoseconds
    if (Math.abs(ms) > 9_223_372_036_854) throw new ParamError(`invalid parameter ${JSON.stringify(name)}: cannot parse ${JSON.stringify(s)} to a valid duration. It overflows int64`);
    return ms;
  }
  try {
    return parseDuration(s);
  } catch {
    throw new ParamError(`invalid parameter ${JSON.stringify(name)}: cannot parse ${JSON.stringify(s)} to a valid duration`);
  }
}
