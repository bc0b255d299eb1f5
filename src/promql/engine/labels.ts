// Label sets as plain records, and the string keys the engine groups and matches series by.
export type Labels = Record<string, string>;

const SEP = '\xff';

/** Label names in code-unit order, in a buffer reused between calls: keys are built without an array per label set. */
const names: string[] = [];

/** Fills `names` with l's names (but those in `drop`), sorted; returns how many. */
function sortedNames(l: Labels, drop?: ReadonlySet<string>): number {
  let n = 0;
  for (const k in l) {
    if (drop !== undefined && drop.has(k)) continue;
    // insertion sort: label sets are small
    let i = n++;
    while (i > 0 && names[i - 1] > k) {
      names[i] = names[i - 1];
      i--;
    }
    names[i] = k;
  }
  return n;
}

/** A key equal for equal label sets (names sorted, as Prometheus' labels.Labels are). */
export function labelsKey(l: Labels): string {
  const n = sortedNames(l);
  let k = '';
  for (let i = 0; i < n; i++) k += names[i] + SEP + l[names[i]] + SEP;
  return k;
}

/** The key of the labels named in `names` only (missing labels count as empty); one name's key is its value. */
export function keyOn(l: Labels, on: readonly string[]): string {
  if (on.length === 1) return l[on[0]] ?? '';
  let k = '';
  for (const n of on) k += (l[n] ?? '') + SEP;
  return k;
}

/** The key of all labels but those in `drop`. */
export function keyWithout(l: Labels, drop: ReadonlySet<string>): string {
  const n = sortedNames(l, drop);
  let k = '';
  for (let i = 0; i < n; i++) k += names[i] + SEP + l[names[i]] + SEP;
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
