import { InvalidArgumentError } from 'commander';
import { parseDuration } from '../promql/index.js';

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i;

/** TIME flags: RFC 3339, a Unix timestamp in seconds, `now`, or `now-<duration>` (e.g. now-7d). */
export function parseTime(flag: string, now: () => number = Date.now) {
  return (value: string): number => {
    const v = value.trim();
    if (/^-?\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
    if (RFC3339.test(v)) {
      const ms = Date.parse(v);
      if (!Number.isNaN(ms)) return ms;
    }
    const rel = /^now(?:-(.+))?$/.exec(v);
    if (rel) {
      try {
        return now() - (rel[1] ? parseDuration(rel[1]) : 0);
      } catch {
        // fall through to the error below
      }
    }
    throw new InvalidArgumentError(`${flag} "${value}" is not a time: use RFC 3339 (2026-11-21T09:00:00Z), a Unix timestamp (1795251600) or now-DURATION (now-7d)`);
  };
}

export function iso(ms: number): string {
  return new Date(ms).toISOString();
}
