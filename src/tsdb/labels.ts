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

/** FNV-1a over name, a separator and value, then murmur3's finalizer: one label pair's 32-bit hash. */
function pairHash(name: string, value: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  h = Math.imul(h ^ 0xff, 0x01000193);
  for (let i = 0; i < value.length; i++) h = Math.imul(h ^ value.charCodeAt(i), 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/**
 * A label set's hash, whatever the order of its keys and ignoring empty values (which Prometheus
 * drops): the head finds a series by it without building a key string on every append.
 */
export function labelsHash(labels: Readonly<Record<string, string>>): number {
  let h = 0;
  for (const k in labels) {
    const v = labels[k];
    if (v !== '') h = (h + pairHash(k, v)) | 0;
  }
  return h;
}

/** Whether `labels` (empty values ignored) is exactly the set `have`, which has `haveCount` labels. */
export function sameLabels(have: Readonly<Record<string, string>>, haveCount: number, labels: Readonly<Record<string, string>>): boolean {
  let n = 0;
  for (const k in labels) {
    const v = labels[k];
    if (v === '') continue;
    if (have[k] !== v) return false;
    n++;
  }
  return n === haveCount;
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

/** label name → label value → ascending ids of the series that have it: the inverted index. */
export type Postings = Map<string, Map<string, number[]>>;

/**
 * The ids that can match: the intersection of the postings of every matcher that an absent
 * label cannot satisfy; undefined when no matcher narrows (every series is a candidate).
 */
export function postingsCandidates(postings: Postings, tests: readonly { name: string; test: ValueTest }[]): number[] | undefined {
  let out: number[] | undefined;
  for (const { name, test } of tests) {
    if (test('')) continue;
    let ids: number[] = [];
    const values = postings.get(name);
    if (values) {
      const lists: number[][] = [];
      for (const [value, list] of values) if (test(value)) lists.push(list);
      if (lists.length === 1) ids = lists[0].slice();
      else if (lists.length > 1) {
        for (const list of lists) for (const id of list) ids.push(id);
        ids.sort((a, b) => a - b);
      }
    }
    out = out === undefined ? ids : intersect(out, ids);
    if (out.length === 0) return out;
  }
  return out;
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
