import type { MemoryStore } from './memory.js';
import type { SequenceValue } from './notation.js';

/** Appends an expanded series at start, start+interval, …: gaps stay gaps, `stale` writes a staleness marker. */
export function appendSequence(
  store: MemoryStore,
  labels: Readonly<Record<string, string>>,
  values: readonly SequenceValue[],
  at: { startMs: number; intervalMs: number },
): number {
  const ref = store.seriesRef(labels);
  let n = 0;
  values.forEach((v, i) => {
    if (v.omitted) return;
    store.append(ref, at.startMs + i * at.intervalMs, v.value, v.stale ?? false);
    n++;
  });
  return n;
}
