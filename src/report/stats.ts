/** Small, deterministic statistics the report uses. */
import type { DurationStats, LabelCount } from './types.js';

/** Nearest-rank quantile (no interpolation), so every figure is one that was observed. */
export function quantile(sorted: number[], q: number): number | undefined {
  if (sorted.length === 0) return undefined;
  return sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)];
}

export function durationStats(values: number[]): DurationStats {
  const sorted = [...values].sort((a, b) => a - b);
  const out: DurationStats = { count: sorted.length };
  if (sorted.length) {
    out.medianMs = quantile(sorted, 0.5);
    out.p90Ms = quantile(sorted, 0.9);
  }
  return out;
}

/** Most frequent first, ties by value, so the order never depends on insertion. */
export function topCounts(values: string[], n = 3): LabelCount[] {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return [...counts.entries()]
    .map(([value, count]) => ({ value, count }))
    .sort((a, b) => b.count - a.count || a.value.localeCompare(b.value))
    .slice(0, n);
}

/** Length of the union of intervals. */
export function unionLength(intervals: [number, number][]): number {
  const sorted = intervals.filter(([a, b]) => b > a).sort((x, y) => x[0] - y[0]);
  let total = 0;
  let end = -Infinity;
  for (const [a, b] of sorted) {
    if (b <= end) continue;
    total += b - Math.max(a, end);
    end = b;
  }
  return total;
}

export const share = (part: number, whole: number): number | undefined => (whole > 0 ? part / whole : undefined);
