/**
 * OTLP metric and attribute names as Prometheus stores them (otlptranslator, translation strategy
 * UnderscoreEscapingWithSuffixes, the default): `.` and other invalid characters become `_`, the
 * unit adds a suffix (`s` → `_seconds`, `By/s` → `_bytes_per_second`, `{token}` → nothing),
 * monotonic sums end in `_total` and gauges of unit `1` in `_ratio`.
 */

export type OtlpMetricKind = 'gauge' | 'counter' | 'sum' | 'histogram' | 'summary';

const UNITS: Record<string, string> = {
  d: 'days', h: 'hours', min: 'minutes', s: 'seconds', ms: 'milliseconds', us: 'microseconds', ns: 'nanoseconds',
  By: 'bytes', KiBy: 'kibibytes', MiBy: 'mebibytes', GiBy: 'gibibytes', TiBy: 'tibibytes',
  KBy: 'kilobytes', MBy: 'megabytes', GBy: 'gigabytes', TBy: 'terabytes',
  m: 'meters', V: 'volts', A: 'amperes', J: 'joules', W: 'watts', g: 'grams',
  Cel: 'celsius', Hz: 'hertz', '1': '', '%': 'percent',
};
const PER_UNITS: Record<string, string> = { s: 'second', m: 'minute', h: 'hour', d: 'day', w: 'week', mo: 'month', y: 'year' };

/** Tokens of a name: runs of [a-zA-Z0-9:], so `.`, `-`, `/` and repeated `_` all separate. */
const tokens = (s: string): string[] => s.split(/[^a-zA-Z0-9:]+/).filter((t) => t !== '');

/** A unit part as a name token: invalid characters to `_`, repeated `_` collapsed, no leading `_`. */
const cleanUnit = (s: string): string => s.replace(/[^a-zA-Z0-9:]/g, '_').replace(/_+/g, '_').replace(/^_/, '');

function unitSuffixes(unit: string): [string, string] {
  const [mainRaw, perRaw] = unit.split(/\/(.*)/s, 2);
  const main = (mainRaw ?? '').trim();
  let mainSuffix = main !== '' && !/[{}]/.test(main) ? (UNITS[main] ?? main) : '';
  let perSuffix = '';
  const per = (perRaw ?? '').trim();
  if (per !== '' && !/[{}]/.test(per)) perSuffix = `per_${PER_UNITS[per] ?? per}`;
  mainSuffix = cleanUnit(mainSuffix);
  perSuffix = cleanUnit(perSuffix);
  return [mainSuffix, perSuffix];
}

/** The Prometheus metric name of an OTLP metric (before `_bucket`/`_sum`/`_count`). Empty when nothing valid is left. */
export function prometheusMetricName(name: string, unit: string, kind: OtlpMetricKind): string {
  let parts = tokens(name);
  let [main, per] = unitSuffixes(unit);
  if (parts.includes(main)) main = '';
  if (per === 'per_') per = '';
  else {
    per = per.replace(/_$/, '');
    if (parts.includes(per)) per = '';
  }
  if (per !== '') main = main.replace(/_$/, '');
  if (main !== '') parts.push(main);
  if (per !== '') parts.push(per);
  if (kind === 'counter') parts = [...parts.filter((t) => t !== 'total'), 'total'];
  if (unit === '1' && kind === 'gauge') parts = [...parts.filter((t) => t !== 'ratio'), 'ratio'];
  let out = parts.join('_');
  if (/^[0-9]/.test(out)) out = `_${out}`;
  return /[^_]/.test(out) ? out : '';
}

/** The label name of an attribute key: invalid characters to `_`, repeated `_` collapsed (a leading `__` kept), `key_` before a digit. */
export function prometheusLabelName(key: string): string {
  if (key === '') return '';
  const reserved = key.startsWith('__');
  let out = key.replace(/[^a-zA-Z0-9_]/g, '_').replace(/_+/g, '_');
  if (reserved && !out.startsWith('__')) out = `_${out}`;
  if (/^[0-9]/.test(out)) out = `key_${out}`;
  return /[^_]/.test(out) ? out : '';
}

/** Go's strconv.FormatFloat(f, 'f', -1, 64) for bucket bounds: no exponent, shortest digits. */
export function formatBound(f: number): string {
  if (f === Infinity) return '+Inf';
  if (f === -Infinity) return '-Inf';
  if (Number.isNaN(f)) return 'NaN';
  const s = String(f);
  if (!/e/i.test(s)) return s;
  // exponent form: expand without rounding to the shortest digits JS chose
  const [mant, expText] = s.split('e');
  const exp = Number(expText);
  const negative = mant.startsWith('-');
  const digits = mant.replace(/^-/, '').replace('.', '');
  const point = (mant.replace(/^-/, '').indexOf('.') === -1 ? mant.replace(/^-/, '').length : mant.replace(/^-/, '').indexOf('.')) + exp;
  let out: string;
  if (point <= 0) out = `0.${'0'.repeat(-point)}${digits}`;
  else if (point >= digits.length) out = digits + '0'.repeat(point - digits.length);
  else out = `${digits.slice(0, point)}.${digits.slice(point)}`;
  return negative ? `-${out}` : out;
}
