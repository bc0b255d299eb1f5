/** Splitting long range queries into chunks Prometheus accepts, and merging the answers back. */

import { compareLabels } from '../promql/index.js';
import type { Labels, Series } from './types.js';

/** Prometheus refuses range queries with more points than this per series. */
export const PROMETHEUS_MAX_POINTS = 11_000;

export interface RangeChunk {
  start: number;
  end: number;
}

/** Number of evaluation timestamps of a range query: start, start+step, ... <= end. */
export function pointCount(start: number, end: number, stepMs: number): number {
  return Math.floor((end - start) / stepMs) + 1;
}

/**
 * Splits [start, end] into chunks of at most `maxPoints` evaluation timestamps each.
 * Every chunk starts on start + k*step, so the chunks together evaluate exactly the
 * timestamps one unsplit query would, each once.
 */
export function planChunks(start: number, end: number, stepMs: number, maxPoints = PROMETHEUS_MAX_POINTS): RangeChunk[] {
  if (!(maxPoints >= 1)) throw new RangeError(`maxPoints must be at least 1, got ${maxPoints}`);
  const total = pointCount(start, end, stepMs);
  const per = Math.floor(maxPoints);
  const chunks: RangeChunk[] = [];
  for (let first = 0; first < total; first += per) {
    const last = Math.min(total, first + per) - 1;
    chunks.push({ start: start + first * stepMs, end: start + last * stepMs });
  }
  return chunks;
}

/** A stable identity for a label set, independent of key order. */
export function labelsKey(labels: Labels): string {
  return JSON.stringify(
    Object.keys(labels)
      .sort()
      .map((name) => [name, labels[name]]),
  );
}

/**
 * Merges the series of several chunk answers: one series per label set, points
 * ascending, one point per timestamp (the first seen wins), series in Prometheus' order.
 */
export function mergeSeries(parts: Series[][]): Series[] {
  const byKey = new Map<string, Series>();
  for (const part of parts) {
    for (const s of part) {
      const key = labelsKey(s.metric);
      const seen = byKey.get(key);
      if (seen) seen.points.push(...s.points);
      else byKey.set(key, { metric: s.metric, points: [...s.points] });
    }
  }
  const merged = [...byKey.values()];
  for (const s of merged) s.points = ascendingUnique(s.points);
  return merged.sort((a, b) => compareLabels(a.metric, b.metric));
}

function ascendingUnique(points: [number, number][]): [number, number][] {
  let sorted = true;
  for (let i = 1; i < points.length && sorted; i++) sorted = points[i - 1][0] < points[i][0];
  if (sorted) return points;
  // A stable sort keeps the earliest chunk's point first among equal timestamps.
  const ordered = [...points].sort((a, b) => a[0] - b[0]);
  return ordered.filter((p, i) => i === 0 || p[0] !== ordered[i - 1][0]);
}
