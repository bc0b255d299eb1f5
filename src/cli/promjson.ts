import type { InstantValue, Series } from '../datasource/index.js';

/** A float as Prometheus' API writes it (Go's strconv 'f', -1): shortest digits, never an exponent. */
export function formatPromFloat(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  if (Object.is(v, -0)) return '-0';
  const s = String(v);
  const e = s.indexOf('e');
  if (e < 0) return s;
  const neg = s.startsWith('-');
  const mantissa = s.slice(neg ? 1 : 0, e);
  const exp = Number(s.slice(e + 1));
  const dot = mantissa.indexOf('.');
  const digits = mantissa.replace('.', '');
  const point = (dot < 0 ? mantissa.length : dot) + exp;
  let out: string;
  if (point <= 0) out = `0.${'0'.repeat(-point)}${digits}`;
  else if (point >= digits.length) out = digits + '0'.repeat(point - digits.length);
  else out = `${digits.slice(0, point)}.${digits.slice(point)}`;
  return neg ? `-${out}` : out;
}

const seconds = (ms: number) => ms / 1000;

function matrixJson(series: Series[]) {
  return series.map((s) => ({ metric: s.metric, values: s.points.map(([t, v]) => [seconds(t), formatPromFloat(v)]) }));
}

/** The `data` of Prometheus' /api/v1/query answer for a value evaluated at `atMs`. */
export function instantDataJson(value: InstantValue, atMs: number) {
  const t = seconds(atMs);
  switch (value.resultType) {
    case 'vector':
      return { resultType: 'vector', result: value.samples.map((s) => ({ metric: s.metric, value: [t, formatPromFloat(s.value)] })) };
    case 'matrix':
      return { resultType: 'matrix', result: matrixJson(value.series) };
    case 'scalar':
      return { resultType: 'scalar', result: [t, formatPromFloat(value.value)] };
    case 'string':
      return { resultType: 'string', result: [t, value.value] };
  }
}

/** The `data` of Prometheus' /api/v1/query_range answer. */
export function rangeDataJson(series: Series[]) {
  return { resultType: 'matrix', result: matrixJson(series) };
}
