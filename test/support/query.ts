import { instantQuery, type Queryable } from '../../src/promql/index.js';

/** What an instant query returns at `timeMs`, as [labels, value] pairs (a vector expression expected). */
export function vectorAt(storage: Queryable, expr: string, timeMs: number): [Record<string, string>, number][] {
  const r = instantQuery(storage, expr, timeMs);
  if (r.value.type !== 'vector') throw new Error(`${expr}: expected a vector, got ${r.value.type}`);
  return r.value.samples.map((s) => [{ ...s.labels }, s.value]);
}
