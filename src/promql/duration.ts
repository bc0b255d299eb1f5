// Prometheus durations (prometheus/common model.Duration): units y w d h m s ms, largest first,
// each at most once; a year is 365d, a week 7d.

const UNITS: ReadonlyArray<readonly [string, number]> = [
  ['y', 365 * 24 * 3600_000],
  ['w', 7 * 24 * 3600_000],
  ['d', 24 * 3600_000],
  ['h', 3600_000],
  ['m', 60_000],
  ['s', 1000],
  ['ms', 1],
];

const DURATION = /^(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$/;
const UNIT_RUN = /^(?:\d+(?:ms|[smhdwy]))+$/;
// Go's time.Duration is int64 nanoseconds; Prometheus rejects durations beyond it.
const MAX_MS = 9_223_372_036_854;
const EXAMPLE = '(e.g. 5m, 1h30m)';

/** Parses a Prometheus duration such as `1h30m` into ms; throws an Error that says what is wrong. */
export function parseDuration(s: string): number {
  if (s === '0') return 0;
  if (s === '') throw new Error(`an empty string is not a duration ${EXAMPLE}`);
  const m = DURATION.exec(s);
  if (!m) throw new Error(explain(s));
  let ms = 0;
  UNITS.forEach(([, mult], i) => {
    if (m[i + 1] !== undefined) ms += Number(m[i + 1]) * mult;
  });
  if (ms > MAX_MS) throw new Error(`"${s}" is not a duration: out of range`);
  return ms;
}

function explain(s: string): string {
  const t = s.trim();
  if (t !== s) return `"${s}" is not a duration: remove the spaces ${EXAMPLE}`;
  if (/^-/.test(s)) return `"${s}" is not a duration: durations cannot be negative`;
  if (/^\d+(\.\d+)?$/.test(s)) return `"${s}" is not a duration: it needs a unit (e.g. ${s}s, ${s}m)`;
  if (/^\d*\.\d+(ms|[smhdwy])$/.test(s)) return `"${s}" is not a duration: use whole numbers of a smaller unit ${EXAMPLE}`;
  if (UNIT_RUN.test(s)) return `"${s}" is not a duration: units must go from largest to smallest (y, w, d, h, m, s, ms), each at most once`;
  if (/^\d+[A-Z]+$/.test(s)) return `"${s}" is not a duration: units are lower case (y, w, d, h, m, s, ms)`;
  return `"${s}" is not a duration ${EXAMPLE}`;
}

/** Formats ms like Prometheus' model.Duration.String(): 5400000 -> "1h30m", 0 -> "0s". */
export function formatDuration(ms: number): string {
  let rest = Math.trunc(ms);
  if (rest === 0) return '0s';
  const sign = rest < 0 ? '-' : '';
  rest = Math.abs(rest);
  let out = '';
  for (const [unit, mult] of UNITS) {
    const n = Math.floor(rest / mult);
    if (n > 0) {
      out += `${n}${unit}`;
      rest -= n * mult;
    }
  }
  return sign + out;
}
