// Dropping __name__ where a function or operator changes a value. Prometheus' server drops it at
// once (3.x's promql-delayed-name-removal, which its test scripts run with, drops it at the end).
import { DUPLICATE_LABELSET, PromQLError } from './errors.js';
import { cachedLabelsKey, withoutName } from './labels.js';
import type { StepSeries } from './types.js';

/**
 * Removes the name from series marked dropName. Series that end up with one label set merge
 * when they never share a step; `strict` (range-vector functions) refuses any two.
 */
export function dropNames(series: StepSeries[], n: number, strict: boolean, oneName = false, fresh = false): StepSeries[] {
  if (!series.some((s) => s.dropName)) return series;
  // Series read by one selector with one metric name differ in other labels: nothing can collide.
  if (oneName && fresh) {
    // `fresh`: the caller's own new series (a range function's), changed in place rather than copied
    for (const s of series) {
      if (!s.dropName) continue;
      s.labels = withoutName(s.labels);
      s.dropName = false;
    }
    return series;
  }
  if (oneName) return series.map((s) => (s.dropName ? { ...s, labels: withoutName(s.labels), dropName: false } : s));
  const byKey = new Map<string, number>();
  const out: StepSeries[] = [];
  for (const s of series) {
    const labels = s.dropName ? withoutName(s.labels) : s.labels;
    const k = cachedLabelsKey(labels);
    const at = byKey.get(k);
    if (at === undefined) {
      byKey.set(k, out.length);
      out.push(s.dropName ? { ...s, labels, dropName: false } : s);
      continue;
    }
    if (strict) throw new PromQLError(DUPLICATE_LABELSET);
    const prev = out[at];
    const values = new Float64Array(prev.values);
    const present = new Uint8Array(prev.present);
    for (let i = 0; i < n; i++) {
      if (!s.present[i]) continue;
      if (present[i]) throw new PromQLError(DUPLICATE_LABELSET);
      present[i] = 1;
      values[i] = s.values[i];
    }
    out[at] = { ...prev, values, present };
  }
  return out;
}
