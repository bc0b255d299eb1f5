/**
 * An in-memory series store: samples in growable typed arrays (no object per sample) and an
 * inverted index from label pairs to series ids, as Prometheus' head block keeps them.
 */
import type { SeriesData, SeriesMatcher } from '../promql/index.js';
import { postingsCandidates, labelsKey, rankByLabels, valueTest } from './labels.js';
import type { Appender, Labels, SampleStorage } from './storage.js';

/** A series id returned by `series()`, for appending without looking the labels up again. */
export type SeriesRef = number;

export interface StoreStats {
  series: number;
  samples: number;
  /** Bytes held by sample arrays (capacity, not just length). */
  sampleBytes: number;
}

class MemSeries {
  timestamps = new Float64Array(8);
  values = new Float64Array(8);
  stale?: Uint8Array;
  length = 0;
  constructor(readonly labels: Readonly<Record<string, string>>) {}

  grow(): void {
    const cap = Math.max(8, this.timestamps.length * 2);
    const ts = new Float64Array(cap);
    ts.set(this.timestamps);
    const vs = new Float64Array(cap);
    vs.set(this.values);
    this.timestamps = ts;
    this.values = vs;
    if (this.stale) {
      const st = new Uint8Array(cap);
      st.set(this.stale);
      this.stale = st;
    }
  }

  /** Drops spare capacity: after a bulk load the arrays hold exactly the samples. */
  compact(): void {
    if (this.timestamps.length === this.length) return;
    this.timestamps = this.timestamps.slice(0, this.length);
    this.values = this.values.slice(0, this.length);
    if (this.stale) this.stale = this.stale.slice(0, this.length);
  }

  /** First index with timestamp >= t. */
  lowerBound(t: number): number {
    let lo = 0;
    let hi = this.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.timestamps[mid] < t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** First index with timestamp > t. */
  upperBound(t: number): number {
    let lo = 0;
    let hi = this.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.timestamps[mid] <= t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  append(t: number, v: number, stale: boolean): void {
    let at = this.length;
    // Out-of-order appends (a file not sorted by time) go to their place; a repeated time overwrites.
    if (at > 0 && this.timestamps[at - 1] >= t) {
      at = this.lowerBound(t);
      if (this.timestamps[at] === t) {
        this.values[at] = v;
        this.markStale(at, stale);
        return;
      }
    }
    if (this.length === this.timestamps.length) this.grow();
    if (at < this.length) {
      this.timestamps.copyWithin(at + 1, at, this.length);
      this.values.copyWithin(at + 1, at, this.length);
      this.stale?.copyWithin(at + 1, at, this.length);
    }
    this.timestamps[at] = t;
    this.values[at] = v;
    if (this.stale) this.stale[at] = 0;
    this.markStale(at, stale);
    this.length++;
  }

  private markStale(at: number, stale: boolean): void {
    if (stale) (this.stale ??= new Uint8Array(this.timestamps.length))[at] = 1;
    else if (this.stale) this.stale[at] = 0;
  }
}

/** Series in memory, selectable by matchers: the storage the embedded engine reads. */
export class MemoryStore implements SampleStorage {
  /** select() answers in label order (the rank below). */
  readonly sortedByLabels = true;
  private series: MemSeries[] = [];
  private byKey = new Map<string, SeriesRef>();
  /** label name → label value → ids of the series that have it, ascending. */
  private postings = new Map<string, Map<string, SeriesRef[]>>();
  /** Each series' position in label order, recomputed after series are added: select answers in that order, as Prometheus' storage does. */
  private rank = new Int32Array(0);

  /** The id of the series with exactly these labels (empty values dropped), created if new. */
  seriesRef(labels: Readonly<Record<string, string>>): SeriesRef {
    const clean: Record<string, string> = {};
    for (const [k, v] of Object.entries(labels)) if (v !== '') clean[k] = v;
    const key = labelsKey(clean);
    let ref = this.byKey.get(key);
    if (ref !== undefined) return ref;
    for (const k of Object.keys(clean)) clean[k] = this.intern(clean[k]);
    ref = this.series.length;
    this.series.push(new MemSeries(Object.freeze(clean)));
    this.byKey.set(key, ref);
    for (const [k, v] of Object.entries(clean)) {
      let values = this.postings.get(k);
      if (!values) this.postings.set(k, (values = new Map()));
      const ids = values.get(v);
      if (ids) ids.push(ref);
      else values.set(v, [ref]);
    }
    return ref;
  }

  private strings = new Map<string, string>();

  /**
   * One flat copy of each label value: a loader's substrings may pin its whole input chunk in
   * memory (V8 sliced and cons strings), and a thousand series share the same few values.
   */
  private intern(s: string): string {
    let flat = this.strings.get(s);
    if (flat === undefined) this.strings.set((flat = Buffer.from(s, 'utf8').toString('utf8')), flat);
    return flat;
  }

  /** Adds one sample (ms); `stale` writes a staleness marker. */
  append(ref: SeriesRef, timestampMs: number, value: number, stale = false): void {
    const s = this.series[ref];
    if (!s) throw new RangeError(`no series ${ref}`);
    s.append(timestampMs, stale ? NaN : value, stale);
  }

  /** Adds one sample to the series with these labels. */
  add(labels: Readonly<Record<string, string>>, timestampMs: number, value: number, stale = false): void {
    this.append(this.seriesRef(labels), timestampMs, value, stale);
  }

  /** A batch that lands in the store at commit (no WAL: memory only). */
  appender(): Appender {
    let batch: { labels: Labels; t: number; v: number; stale: boolean }[] = [];
    return {
      append: (labels, t, v) => void batch.push({ labels, t, v, stale: false }),
      markStale: (labels, t) => void batch.push({ labels, t, v: NaN, stale: true }),
      // The in-memory store takes samples in any order (test files need not be sorted): nothing is refused.
      commit: async () => {
        for (const s of batch) this.add(s.labels, s.t, s.v, s.stale);
        const appended = batch.length;
        batch = [];
        return { appended, outOfOrder: 0, duplicate: 0 };
      },
      rollback: () => void (batch = []),
    };
  }

  /** Releases the spare capacity of every series (appending later grows them again). */
  compact(): void {
    for (const s of this.series) s.compact();
  }

  /** Drops every series (the `clear` of Prometheus' test scripts). */
  clear(): void {
    this.series = [];
    this.strings.clear();
    this.rank = new Int32Array(0);
    this.byKey.clear();
    this.postings.clear();
  }

  stats(): StoreStats {
    let samples = 0;
    let sampleBytes = 0;
    for (const s of this.series) {
      samples += s.length;
      sampleBytes += s.timestamps.byteLength + s.values.byteLength + (s.stale?.byteLength ?? 0);
    }
    return { series: this.series.length, samples, sampleBytes };
  }

  /** The newest sample time in the store (ms), or undefined when empty. */
  maxTime(): number | undefined {
    let max: number | undefined;
    for (const s of this.series) if (s.length && (max === undefined || s.timestamps[s.length - 1] > max)) max = s.timestamps[s.length - 1];
    return max;
  }

  select(matchers: readonly SeriesMatcher[], mint: number, maxt: number): SeriesData[] {
    const tests = matchers.map((m) => ({ name: m.name, test: valueTest(m) }));
    const candidates = postingsCandidates(this.postings, tests);
    if (candidates?.length === 0) return [];
    if (this.rank.length !== this.series.length) this.rerank();
    const ids = candidates ?? Array.from({ length: this.series.length }, (_, i) => i);
    const rank = this.rank;
    ids.sort((a, b) => rank[a] - rank[b]);
    const out: SeriesData[] = [];
    const consider = (id: number) => {
      const s = this.series[id];
      for (const { name, test } of tests) if (!test(s.labels[name] ?? '')) return;
      const from = s.lowerBound(mint);
      const to = s.upperBound(maxt);
      if (from >= to) return;
      // Views, not copies: the engine reads [from, to) of the series' own arrays.
      const data: SeriesData = { labels: s.labels, timestamps: s.timestamps.subarray(from, to), values: s.values.subarray(from, to) };
      if (s.stale) data.stale = s.stale.subarray(from, to);
      out.push(data);
    };
    for (const id of ids) consider(id);
    return out;
  }

  private rerank(): void {
    const ids = this.series.map((_, i) => i);
    this.rank = rankByLabels(ids, (id) => this.series[id].labels, this.series.length);
  }
}
