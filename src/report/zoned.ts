/** Wall-clock parts of an instant in an IANA time zone: working hours and days are local, not UTC. */
import type { Weekday, WorkingHours } from './types.js';

export interface ZonedParts {
  /** YYYY-MM-DD */
  day: string;
  weekday: Weekday;
  /** Minutes since local midnight. */
  minute: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', weekday: 'short', hour: '2-digit', minute: '2-digit' });
    formatters.set(timeZone, f);
  }
  return f;
}

export function zonedParts(t: number, timeZone: string): ZonedParts {
  const p = Object.fromEntries(formatter(timeZone).formatToParts(new Date(t)).map((x) => [x.type, x.value]));
  return {
    day: `${p.year}-${p.month}-${p.day}`,
    weekday: p.weekday.toLowerCase().slice(0, 3) as Weekday,
    minute: Number(p.hour) * 60 + Number(p.minute),
  };
}

const hhmm = (s: string): number => {
  const [h, m] = s.split(':').map(Number);
  return h * 60 + (m || 0);
};

/** Inside [start, end) on a working day, local time. */
export function inWorkingHours(t: number, timeZone: string, hours: WorkingHours): boolean {
  const p = zonedParts(t, timeZone);
  return hours.days.includes(p.weekday) && p.minute >= hhmm(hours.start) && p.minute < hhmm(hours.end);
}

/** The local days the window touches, in order. */
export function daysOf(from: number, to: number, timeZone: string): string[] {
  const days: string[] = [];
  // hourly steps catch every local day, DST shifts included
  for (let t = from; t < to; t += 3_600_000) {
    const d = zonedParts(t, timeZone).day;
    if (days[days.length - 1] !== d) days.push(d);
  }
  return days;
}
