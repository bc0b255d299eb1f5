// Label sets as plain records, and the string keys the engine groups and matches series by.
export type Labels = Record<string, string>;

const SEP = '\xff';

/** A key equal for equal label sets (names sorted, as Prometheus' labels.Labels are). */
export function labelsKey(l: Labels): string {
  const names = Object.keys(l).sort();
  let k = '';
  for (const n of names) k += n + SEP + l[n] + SEP;
  return k;
}

/** The key of the labels named in `names` only (missing labels count as empty). */
export function keyOn(l: Labels, names: readonly string[]): string {
  let k = '';
  for (const n of names) k += (l[n] ?? '') + SEP;
  return k;
}

/** The key of all labels but those in `drop`. */
export function keyWithout(l: Labels, drop: ReadonlySet<string>): string {
  const names = Object.keys(l).filter((n) => !drop.has(n)).sort();
  let k = '';
  for (const n of names) k += n + SEP + l[n] + SEP;
  return k;
}

const nameless = new WeakMap<Labels, Labels>();

/** The labels without __name__; the same object for the same input, so keys cached on it are reused. */
export function withoutName(l: Labels): Labels {
  if (!('__name__' in l)) return l;
  let out = nameless.get(l);
  if (out === undefined) {
    out = { ...l };
    delete out.__name__;
    nameless.set(l, out);
  }
  return out;
}

const keyCache = new WeakMap<Labels, string>();

/** labelsKey, remembered per label-set object (the store's label sets live as long as their series). */
export function cachedLabelsKey(l: Labels): string {
  let k = keyCache.get(l);
  if (k === undefined) keyCache.set(l, (k = labelsKey(l)));
  return k;
}

/** Prometheus' rendering of a label set: {a="b", c="d"} with names sorted. */
export function formatLabels(l: Labels): string {
  const names = Object.keys(l).sort();
  return `{${names.map((n) => `${n}=${JSON.stringify(l[n])}`).join(', ')}}`;
}

/** Prometheus' labels.Compare order: by name then value, pairwise; shorter first when a prefix. */
export function compareLabels(a: Labels, b: Labels): number {
  const an = Object.keys(a).sort();
  const bn = Object.keys(b).sort();
  const n = Math.min(an.length, bn.length);
  for (let i = 0; i < n; i++) {
    if (an[i] !== bn[i]) return an[i] < bn[i] ? -1 : 1;
    const av = a[an[i]];
    const bv = b[bn[i]];
    if (av !== bv) return av < bv ? -1 : 1;
  }
  return an.length - bn.length;
}

const sortKeys = new WeakMap<object, string>();

/** A string that orders label sets as Prometheus' labels.Compare does (NUL sorts before any character). */
export function sortKey(l: Labels): string {
  let k = sortKeys.get(l);
  if (k === undefined) {
    k = '';
    for (const n of Object.keys(l).sort()) k += `${n}\x00${l[n]}\x00`;
    sortKeys.set(l, k);
  }
  return k;
}

/** Orders items by their labels as Prometheus' storage returns series. */
export function sortByLabels<T>(items: T[], labelsOf: (t: T) => Labels): T[] {
  let sorted = true;
  for (let i = 1; i < items.length && sorted; i++) sorted = sortKey(labelsOf(items[i - 1])) <= sortKey(labelsOf(items[i]));
  if (sorted) return items;
  const keyed = items.map((t) => ({ t, k: sortKey(labelsOf(t)) }));
  keyed.sort((a, b) => (a.k < b.k ? -1 : a.k > b.k ? 1 : 0));
  return keyed.map((x) => x.t);
}
