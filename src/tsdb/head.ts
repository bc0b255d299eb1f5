/**
 * The head: every series' samples in compressed chunks (closed chunks in a shared byte arena, one
 * open chunk per series), an inverted index from label pairs to series, and the append rules of
 * Prometheus' head (out-of-order and duplicate samples are rejected, one by one).
 */
import type { SeriesData, SeriesMatcher } from '../promql/index.js';
import { ChunkEncoder, chunkCount, decodeChunk, SlotPool } from './chunkenc.js';
import { postingsCandidates, labelsHash, rankByLabels, sameLabels, valueTest } from './labels.js';
import type { Labels } from './storage.js';

/** A chunk closes at this many samples, as Prometheus' do. */
export const CHUNK_SAMPLES = 120;
/** …or when it spans this long (2h), so sparse series do not keep a chunk open for days. */
export const CHUNK_RANGE_MS = 2 * 3600_000;

const PAGE_BITS = 20;
const PAGE_BYTES = 1 << PAGE_BITS;
/** A chunk's place packs page, offset and length into one float64: loc × 2^13 + length. */
const LEN_SPAN = 8192;

/** Closed chunks of every series, packed back to back in 1 MiB pages: no object per chunk. */
export class ChunkArena {
  pages: Uint8Array[] = [];
  private pos = PAGE_BYTES;
  /** Bytes held by live chunks (the rest of the pages is free space or dropped chunks). */
  liveBytes = 0;

  /** Copies the chunk in; returns its packed place. */
  add(bytes: Uint8Array, len = bytes.length): number {
    if (this.pos + len > PAGE_BYTES) {
      this.pages.push(new Uint8Array(PAGE_BYTES));
      this.pos = 0;
    }
    const page = this.pages.length - 1;
    this.pages[page].set(len === bytes.length ? bytes : bytes.subarray(0, len), this.pos);
    const place = (page * PAGE_BYTES + this.pos) * LEN_SPAN + len;
    this.pos += len;
    this.liveBytes += len;
    return place;
  }

  /** The page holding the chunk at `place`. */
  page(place: number): Uint8Array {
    return this.pages[Math.floor((place - (place % LEN_SPAN)) / LEN_SPAN / PAGE_BYTES)];
  }

  /** The chunk's offset in its page. */
  offset(place: number): number {
    return ((place - (place % LEN_SPAN)) / LEN_SPAN) % PAGE_BYTES;
  }

  /** The bytes of the chunk at `place` (a view). */
  view(place: number): Uint8Array {
    const len = place % LEN_SPAN;
    const loc = (place - len) / LEN_SPAN;
    const page = Math.floor(loc / PAGE_BYTES);
    const off = loc % PAGE_BYTES;
    return this.pages[page].subarray(off, off + len);
  }

  get heldBytes(): number {
    return this.pages.length * PAGE_BYTES;
  }
}

/** Series references the selector cache may hold in all (8 bytes each): a few full selects of a large head. */
const MATCH_CACHE_SERIES = 1 << 20;

/** Stride of a series' closed-chunk table: minT, maxT, place. */
const STRIDE = 3;

export class HeadSeries {
  /** Closed chunks, oldest first: [minT, maxT, place] × nClosed. A plain array of doubles: a typed array would cost ~200 bytes a series before its first chunk. */
  closed: number[] = [];
  nClosed = 0;
  /** Leading closed chunks already written to a chunk file by a checkpoint. */
  persisted = 0;
  readonly open: ChunkEncoder;
  samples = 0;
  /** Set once a staleness marker is appended: select then returns a `stale` array. */
  hasStale = false;
  /** The WAL (or a snapshot) holds this series' record. */
  logged = false;
  /** Dropped by retention; an appender holding it looks the labels up again. */
  removed = false;

  readonly labelCount: number;

  constructor(
    readonly ref: number,
    readonly labels: Labels,
    readonly hash: number,
    pool: SlotPool,
  ) {
    this.labelCount = Object.keys(labels).length;
    this.open = new ChunkEncoder(pool);
  }

  /** The newest sample's time (the encoder keeps it across chunk cuts), -Infinity before the first. */
  get maxT(): number {
    return this.open.maxT;
  }

  get minT(): number {
    if (this.nClosed > 0) return this.closed[0];
    return this.open.count > 0 ? this.open.minT : Infinity;
  }

  pushClosed(minT: number, maxT: number, place: number): void {
    this.closed.push(minT, maxT, place);
    this.nClosed++;
  }

  /** Drops the n oldest closed chunks. */
  dropClosed(n: number): void {
    this.closed.splice(0, n * STRIDE);
    this.nClosed -= n;
    this.persisted = Math.max(0, this.persisted - n);
  }

  chunkMinT(i: number): number {
    return this.closed[i * STRIDE];
  }
  chunkMaxT(i: number): number {
    return this.closed[i * STRIDE + 1];
  }
  chunkPlace(i: number): number {
    return this.closed[i * STRIDE + 2];
  }
}

/** What became of one sample at append. */
export enum AppendOutcome {
  Appended,
  /** Same timestamp, same value: nothing to do. */
  Unchanged,
  OutOfOrder,
  Duplicate,
}

export interface HeadStats {
  series: number;
  samples: number;
  /** Closed chunks in the arena. */
  chunks: number;
  /** Bytes of encoded samples: closed chunks plus the open chunks' written bytes. */
  chunkBytes: number;
  /** Bytes the arena's pages and open-chunk buffers hold (capacity). */
  heldChunkBytes: number;
  /** Bytes of the series' closed-chunk tables: 24 per chunk. */
  chunkTableBytes: number;
}

/**
 * The arrays a select decodes into, cut from slabs sized to the select (at most 1M samples each): a
 * select over 10,000 series then allocates a few buffers instead of 20,000 (each typed array's buffer is a separate
 * allocation the GC tracks).
 */
class ReadSlab {
  private static readonly MAX = 1 << 20;
  /** The current slab: take() hands out ranges of it. */
  ts = new Float64Array(0);
  vs = new Float64Array(0);
  private at = 0;
  st = new Uint8Array(0);
  private stAt = 0;

  /** `left`: the samples the select will take in all, so the last slab is no bigger than needed. */
  constructor(private left: number) {}

  /** The offset in this.ts/this.vs of n free samples (the arrays may be new ones). */
  take(n: number): number {
    if (this.at + n > this.ts.length) {
      const size = Math.max(n, Math.min(this.left, ReadSlab.MAX));
      this.ts = new Float64Array(size);
      this.vs = new Float64Array(size);
      this.at = 0;
    }
    const from = this.at;
    this.at += n;
    this.left -= n;
    return from;
  }

  /** The offset in this.st of staleness flags for n samples (only series that ever had a marker need them). */
  takeStale(n: number): number {
    if (this.stAt + n > this.st.length) {
      this.st = new Uint8Array(Math.max(n, 1 << 16));
      this.stAt = 0;
    }
    const from = this.stAt;
    this.stAt += n;
    return from;
  }
}

/** Whether one of the series' chunks overlaps [mint, maxt]. */
function hasChunkIn(s: HeadSeries, mint: number, maxt: number): boolean {
  for (let i = 0; i < s.nClosed; i++) if (s.chunkMaxT(i) >= mint && s.chunkMinT(i) <= maxt) return true;
  return s.open.count > 0 && s.open.maxT >= mint && s.open.minT <= maxt;
}

/** The in-memory part of the TSDB. */
export class Head {
  arena = new ChunkArena();
  private readonly pool = new SlotPool();
  private series: (HeadSeries | undefined)[] = [];
  /** labelsHash → the series with that hash (an array on a collision): no key string per series. */
  private byHash = new Map<number, HeadSeries | HeadSeries[]>();
  /** label name → label value → refs of the series that have it, ascending. */
  private postings = new Map<string, Map<string, number[]>>();
  private strings = new Map<string, string>();
  /** WAL refs that name a series living under another ref (see restore). */
  private aliases = new Map<number, HeadSeries>();
  private rank = new Int32Array(0);
  private rankDirty = false;
  /** matchingAll()'s answers by matcher set, least recently used first, and the series they hold in all. */
  private matchCache = new Map<string, readonly HeadSeries[]>();
  private matchCacheSize = 0;
  private live = 0;
  nextRef = 1;
  samples = 0;
  /** Called when a series is created (the TSDB counts it). */
  onSeriesCreated?: (s: HeadSeries) => void;

  get numSeries(): number {
    return this.live;
  }

  private find(hash: number, labels: Labels): HeadSeries | undefined {
    const hit = this.byHash.get(hash);
    if (hit === undefined) return undefined;
    if (!Array.isArray(hit)) return sameLabels(hit.labels, hit.labelCount, labels) ? hit : undefined;
    for (const s of hit) if (sameLabels(s.labels, s.labelCount, labels)) return s;
    return undefined;
  }

  private index(s: HeadSeries): void {
    const hit = this.byHash.get(s.hash);
    if (hit === undefined) this.byHash.set(s.hash, s);
    else if (Array.isArray(hit)) hit.push(s);
    else this.byHash.set(s.hash, [hit, s]);
  }

  /** Frozen label objects seen before (a scrape loop passes the same one every scrape): no hash, no compare. */
  private byObject = new WeakMap<Labels, HeadSeries>();

  /** The series with exactly these labels (empty values dropped), created if new. */
  getOrCreate(labels: Labels): HeadSeries {
    const known = this.byObject.get(labels);
    if (known !== undefined && !known.removed) return known;
    const hash = labelsHash(labels);
    const s = this.find(hash, labels) ?? this.create(this.nextRef, labels, hash);
    // Only a frozen object cannot change under the cache.
    if (Object.isFrozen(labels)) this.byObject.set(labels, s);
    return s;
  }

  /** Re-creates a series with a known ref (snapshot load, WAL replay). */
  restore(ref: number, labels: Labels): HeadSeries {
    const hash = labelsHash(labels);
    const hit = this.find(hash, labels);
    if (hit) {
      // The same labels under a newer ref (re-created after retention removed the older one).
      if (hit.ref !== ref) this.aliases.set(ref, hit);
      return hit;
    }
    return this.create(ref, labels, hash);
  }

  private create(ref: number, labels: Labels, hash: number): HeadSeries {
    const clean: Record<string, string> = {};
    for (const k of Object.keys(labels)) if (labels[k] !== '') clean[this.intern(k)] = this.intern(labels[k]);
    const s = new HeadSeries(ref, Object.freeze(clean), hash, this.pool);
    if (ref >= this.nextRef) this.nextRef = ref + 1;
    this.series[ref] = s;
    this.index(s);
    this.live++;
    this.rankDirty = true;
    this.invalidateMatches();
    for (const k of Object.keys(clean)) this.post(k, clean[k], ref);
    this.onSeriesCreated?.(s);
    return s;
  }

  private post(name: string, value: string, ref: number): void {
    let values = this.postings.get(name);
    if (!values) this.postings.set(name, (values = new Map()));
    const ids = values.get(value);
    if (!ids) values.set(value, [ref]);
    else if (ids[ids.length - 1] < ref) ids.push(ref);
    else {
      // A replayed ref below the newest: keep the list ascending.
      ids.push(ref);
      ids.sort((a, b) => a - b);
    }
  }

  /** One flat copy of each label string: parsers' substrings can pin their whole input in memory. */
  private intern(s: string): string {
    let flat = this.strings.get(s);
    if (flat === undefined) this.strings.set((flat = Buffer.from(s, 'utf8').toString('utf8')), flat);
    return flat;
  }

  byRef(ref: number): HeadSeries | undefined {
    return this.series[ref] ?? this.aliases.get(ref);
  }

  /** Every live series, in ref order. */
  *allSeries(): IterableIterator<HeadSeries> {
    for (const s of this.series) if (s) yield s;
  }

  /** Appends one sample (t in ms, an integer) under Prometheus' rules for order and duplicates. */
  append(s: HeadSeries, t: number, v: number, stale: boolean): AppendOutcome {
    const enc = s.open;
    if (t <= s.maxT) {
      if (t < s.maxT) return AppendOutcome.OutOfOrder;
      return enc.sameLastValue(v, stale) ? AppendOutcome.Unchanged : AppendOutcome.Duplicate;
    }
    if (enc.count > 0) {
      const misfit = !enc.fits(v, stale);
      if (misfit || enc.count >= CHUNK_SAMPLES || t - enc.minT >= CHUNK_RANGE_MS) {
        this.cut(s);
        enc.preferXor = misfit;
      }
    }
    if (stale) {
      enc.appendStale(t);
      s.hasStale = true;
    } else enc.append(t, v);
    s.samples++;
    this.samples++;
    return AppendOutcome.Appended;
  }

  /** Closes the open chunk into the arena. */
  private cut(s: HeadSeries): void {
    const enc = s.open;
    s.pushClosed(enc.minT, enc.maxT, this.arena.add(enc.view()));
    enc.reset();
  }

  /** Adds a closed chunk read from disk (oldest first, before any open sample). */
  addClosedChunk(s: HeadSeries, bytes: Uint8Array, minT: number, maxT: number): void {
    s.pushClosed(minT, maxT, this.arena.add(bytes));
    const n = chunkCount(bytes);
    s.samples += n;
    this.samples += n;
    if (maxT > s.open.maxT) s.open.maxT = maxT;
  }

  /** After loading closed chunks only: the last sample's value, so a same-time append is checked as a duplicate. */
  primeLastValue(s: HeadSeries): void {
    if (s.open.count > 0 || s.nClosed === 0) return;
    const bytes = this.arena.view(s.chunkPlace(s.nClosed - 1));
    const n = chunkCount(bytes);
    const ts = new Float64Array(n);
    const vs = new Float64Array(n);
    const st = new Uint8Array(n);
    decodeChunk(bytes, 0, ts, vs, st, 0);
    s.open.setLast(ts[n - 1], vs[n - 1], st[n - 1] === 1);
    if (st.includes(1)) s.hasStale = true;
  }

  /** The newest sample time of all series, or -Infinity. */
  maxTime(): number {
    let max = -Infinity;
    for (const s of this.series) if (s && s.maxT > max) max = s.maxT;
    return max;
  }

  /**
   * Drops chunks that end before `cutoff` and series left with no samples; returns the series
   * removed. A chunk that straddles the cutoff stays whole (Prometheus drops whole blocks too).
   */
  truncateBefore(cutoff: number): number {
    let removed = 0;
    for (const s of this.series) {
      if (!s) continue;
      let n = 0;
      while (n < s.nClosed && s.chunkMaxT(n) < cutoff) {
        const bytes = this.arena.view(s.chunkPlace(n));
        const count = chunkCount(bytes);
        s.samples -= count;
        this.samples -= count;
        this.arena.liveBytes -= bytes.length;
        n++;
      }
      if (n > 0) s.dropClosed(n);
      if (s.open.count > 0 && s.open.maxT < cutoff) {
        s.samples -= s.open.count;
        this.samples -= s.open.count;
        s.open.reset();
      }
      if (s.samples === 0) {
        s.open.release();
        this.series[s.ref] = undefined;
        s.removed = true;
        this.live--;
        removed++;
      }
    }
    if (removed > 0) this.reindex();
    if (this.arena.heldBytes > 2 * PAGE_BYTES && this.arena.liveBytes < this.arena.heldBytes / 2) this.compactArena();
    return removed;
  }

  /** Rebuilds the label index and key map from the live series (after removals). */
  private reindex(): void {
    this.byHash.clear();
    this.postings.clear();
    this.strings.clear();
    for (const s of this.series) {
      if (!s) continue;
      this.index(s);
      for (const k of Object.keys(s.labels)) {
        this.intern(k);
        this.intern(s.labels[k]);
        this.post(k, s.labels[k], s.ref);
      }
    }
    this.rankDirty = true;
    this.invalidateMatches();
  }

  /** Copies the live chunks into fresh pages, releasing what retention dropped. */
  private compactArena(): void {
    const old = this.arena;
    this.arena = new ChunkArena();
    for (const s of this.series) {
      if (!s) continue;
      for (let i = 0; i < s.nClosed; i++) s.closed[i * STRIDE + 2] = this.arena.add(old.view(s.chunkPlace(i)));
    }
  }

  stats(): HeadStats {
    let open = 0;
    for (const s of this.series) if (s && s.open.count > 0) open += s.open.byteLength;
    let chunks = 0;
    let tables = 0;
    for (const s of this.series) {
      if (!s) continue;
      chunks += s.nClosed;
      tables += s.closed.length * 8;
    }
    return {
      series: this.live, samples: this.samples, chunks, chunkBytes: this.arena.liveBytes + open,
      heldChunkBytes: this.arena.heldBytes + this.pool.heldBytes, chunkTableBytes: tables,
    };
  }

  select(matchers: readonly SeriesMatcher[], mint: number, maxt: number): SeriesData[] {
    const out: SeriesData[] = [];
    const series = this.matching(matchers, mint, maxt);
    // the samples to decode, counted first: the slabs are then cut to size, not doubled into
    let total = 0;
    for (const s of series) total += this.countIn(s, mint, maxt);
    const slab = new ReadSlab(total);
    for (const s of series) {
      const data = this.read(s, mint, maxt, slab);
      if (data) out.push(data);
    }
    return out;
  }

  /**
   * Labels of the series matching every matcher with a chunk overlapping [mint, maxt], sorted,
   * without decoding a sample: for /api/v1/series, /api/v1/labels and /api/v1/label/<name>/values
   * (Prometheus answers those from its index too, at block granularity).
   */
  seriesLabels(matchers: readonly SeriesMatcher[], mint = -Infinity, maxt = Infinity): Labels[] {
    return this.matching(matchers, mint, maxt)
      .filter((s) => hasChunkIn(s, mint, maxt))
      .map((s) => s.labels);
  }

  /** Label names, sorted: of every series (the index, no scan) or of those seriesLabels() returns. */
  labelNames(matchers: readonly SeriesMatcher[] = [], mint = -Infinity, maxt = Infinity): string[] {
    if (matchers.length === 0 && mint === -Infinity && maxt === Infinity) return [...this.postings.keys()].sort();
    const names = new Set<string>();
    for (const l of this.seriesLabels(matchers, mint, maxt)) for (const k of Object.keys(l)) names.add(k);
    return [...names].sort();
  }

  /** Values of one label, sorted: of every series (the index, no scan) or of those seriesLabels() returns. */
  labelValues(name: string, matchers: readonly SeriesMatcher[] = [], mint = -Infinity, maxt = Infinity): string[] {
    if (matchers.length === 0 && mint === -Infinity && maxt === Infinity) return [...(this.postings.get(name)?.keys() ?? [])].sort();
    const values = new Set<string>();
    for (const l of this.seriesLabels(matchers, mint, maxt)) if (l[name] !== undefined) values.add(l[name]);
    return [...values].sort();
  }

  /** Series matching every matcher whose samples span overlaps [mint, maxt], in label order. */
  private matching(matchers: readonly SeriesMatcher[], mint: number, maxt: number): HeadSeries[] {
    const all = this.matchingAll(matchers);
    const out: HeadSeries[] = [];
    for (const s of all) if (s.maxT >= mint && s.minT <= maxt) out.push(s);
    return out;
  }

  /**
   * Series matching every matcher, in label order, whatever their time: remembered per matcher set
   * until a series is created or removed, since the rules ask the same selectors every minute.
   */
  private matchingAll(matchers: readonly SeriesMatcher[]): readonly HeadSeries[] {
    let key = '';
    for (const m of matchers) key += `${m.type}${m.name}\xff${m.value}\xfe`;
    const hit = this.matchCache.get(key);
    if (hit !== undefined) {
      // most recently used last: the oldest is evicted first
      this.matchCache.delete(key);
      this.matchCache.set(key, hit);
      return hit;
    }
    const tests = matchers.map((m) => ({ name: m.name, test: valueTest(m) }));
    const candidates = postingsCandidates(this.postings, tests);
    if (candidates?.length === 0) return [];
    if (this.rankDirty) this.rerank();
    const ids = candidates ?? this.series.flatMap((s) => (s ? [s.ref] : []));
    const rank = this.rank;
    ids.sort((a, b) => rank[a] - rank[b]);
    const out: HeadSeries[] = [];
    for (const id of ids) {
      const s = this.series[id];
      if (!s) continue;
      let ok = true;
      for (const { name, test } of tests) if (!test(s.labels[name] ?? '')) ok = false;
      if (ok) out.push(s);
    }
    this.matchCache.set(key, out);
    this.matchCacheSize += out.length;
    for (const [k, v] of this.matchCache) {
      if (this.matchCacheSize <= MATCH_CACHE_SERIES) break;
      this.matchCache.delete(k);
      this.matchCacheSize -= v.length;
    }
    return out;
  }

  /** Forgets the remembered selector answers: the set of series changed. */
  private invalidateMatches(): void {
    if (this.matchCacheSize === 0 && this.matchCache.size === 0) return;
    this.matchCache.clear();
    this.matchCacheSize = 0;
  }

  /** Decodes the chunks of s that overlap [mint, maxt], then narrows to that range (views). */
  /** How many samples read() decodes for s: those of the chunks overlapping [mint, maxt]. */
  private countIn(s: HeadSeries, mint: number, maxt: number): number {
    const arena = this.arena;
    let i = 0;
    while (i < s.nClosed && s.chunkMaxT(i) < mint) i++;
    let n = 0;
    for (; i < s.nClosed && s.chunkMinT(i) <= maxt; i++) {
      const place = s.chunkPlace(i);
      n += chunkCount(arena.page(place), arena.offset(place));
    }
    if (s.open.count > 0 && i === s.nClosed && s.open.minT <= maxt && s.open.maxT >= mint) n += s.open.count;
    return n;
  }

  private read(s: HeadSeries, mint: number, maxt: number, slab: ReadSlab): SeriesData | undefined {
    const arena = this.arena;
    let first = 0;
    while (first < s.nClosed && s.chunkMaxT(first) < mint) first++;
    let last = first;
    let n = 0;
    for (; last < s.nClosed && s.chunkMinT(last) <= maxt; last++) {
      const place = s.chunkPlace(last);
      n += chunkCount(arena.page(place), arena.offset(place));
    }
    const open = s.open.count > 0 && last === s.nClosed && s.open.minT <= maxt && s.open.maxT >= mint;
    if (open) n += s.open.count;
    if (n === 0) return undefined;
    const base = slab.take(n);
    const { ts, vs } = slab;
    const stBase = s.hasStale ? slab.takeStale(n) : 0;
    const st = s.hasStale ? slab.st : undefined;
    // decoded straight into the slab; the only views made are the three handed out
    let at = 0;
    for (let i = first; i < last; i++) {
      const place = s.chunkPlace(i);
      at += decodeChunk(arena.page(place), arena.offset(place), ts, vs, st, base + at, stBase + at);
    }
    if (open) decodeChunk(s.open.buf, s.open.off, ts, vs, st, base + at, stBase + at);
    let from = base;
    const end = base + n;
    while (from < end && ts[from] < mint) from++;
    let to = end;
    while (to > from && ts[to - 1] > maxt) to--;
    if (from >= to) return undefined;
    const data: SeriesData = { labels: s.labels, timestamps: ts.subarray(from, to), values: vs.subarray(from, to) };
    if (st) data.stale = st.subarray(stBase + (from - base), stBase + (to - base));
    return data;
  }

  private rerank(): void {
    const ids: number[] = [];
    for (const s of this.series) if (s) ids.push(s.ref);
    this.rank = rankByLabels(ids, (id) => this.series[id]!.labels, this.series.length);
    this.rankDirty = false;
  }
}
