// Label-set helpers shared by the in-memory store and the head: identity, order, matcher tests.
import { compileRegex, type SeriesMatcher } from '../promql/index.js';

/** Prometheus' label-set order (labels.Compare): pairs sorted by name, compared name then value. */
export function compareLabelSets(a: readonly [string, string][], b: readonly [string, string][]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    if (a[i][0] !== b[i][0]) return a[i][0] < b[i][0] ? -1 : 1;
    if (a[i][1] !== b[i][1]) return a[i][1] < b[i][1] ? -1 : 1;
  }
  return a.length - b.length;
}

/** The identity of a label set: its pairs sorted by name. */
export function labelsKey(labels: Readonly<Record<string, string>>): string {
  return Object.keys(labels)
    .sort()
    .map((k) => `${k}\xff${labels[k]}`)
    .join('\xfe');
}

/** Ascending id lists, intersected. */
export function intersect(a: readonly number[], b: readonly number[]): number[] {
  const out: number[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    if (a[i] < b[j]) i++;
    else if (a[i] > b[j]) j++;
    else {
      out.push(a[i]);
      i++;
      j++;
    }
  }
  return out;
}

export type ValueTest = (value: string) => boolean;

/** A label value test for one matcher (regexes run on RE2, anchored). */
export function valueTest(m: SeriesMatcher): ValueTest {
  switch (m.type) {
    case '=':
      return (v) => v === m.value;
    case '!=':
      return (v) => v !== m.value;
    case '=~': {
      const re = compileRegex(m.value);
      return (v) => re.test(v);
    }
    case '!~': {
      const re = compileRegex(m.value);
      return (v) => !re.test(v);
    }
  }
}

/** Each id's position in Prometheus' label order, for answering select sorted. */
export function rankByLabels(ids: readonly number[], labelsOf: (id: number) => Readonly<Record<string, string>>, size: number): Int32Array<ArrayBuffer> {
  const pairs = new Map<number, [string, string][]>();
  for (const id of ids) pairs.set(id, Object.entries(labelsOf(id)).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)));
  const order = [...ids].sort((a, b) => compareLabelSets(pairs.get(a)!, pairs.get(b)!));
  const rank = new Int32Array(size);
  order.forEach((id, position) => (rank[id] = position));
  return rank;
}
