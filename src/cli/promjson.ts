import type { InstantValue, Series } from '../datasource/index.js';
import { formatFloat as formatPromFloat } from '../promql/index.js';

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
