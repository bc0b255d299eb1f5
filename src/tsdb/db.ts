/**
 * vigil's persistent TSDB: the compressed head in memory, a WAL written at every commit, and
 * checkpoints (chunk files + a head snapshot) after which the WAL is truncated. Start-up loads
 * the snapshot and its chunk files, then replays the WAL, repairing a torn tail.
 *
 * Layout under dir: wal/<segment>, chunks/<seq>, head.snap, lock.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SeriesData, SeriesMatcher } from '../promql/index.js';
import { chunkCount, decodeChunk, isStaleNaN } from './chunkenc.js';
import { AppendOutcome, Head, type HeadSeries, type HeadStats } from './head.js';
import { decodeSamples, decodeSeries, encodeSamples, encodeSeries, REC_SAMPLES, REC_SERIES, RecordReader } from './records.js';
import {
  chunkFileName, decodeChunkFile, decodeSnapshot, encodeChunkFile, encodeSnapshot, writeFileAtomic,
  type ChunkEntry, type ChunkFileRef, type Snapshot,
} from './snapshot.js';
import type { Appender, CommitResult, Labels, SampleStorage, SeriesHandle } from './storage.js';
import { frame, listSegments, replayWal, WalWriter, type TSDBLogger } from './wal.js';

export type { TSDBLogger } from './wal.js';

export interface TSDBOptions {
  /** Samples older than the newest sample minus this are dropped (default 8d, so `offset 1w` works). */
  retentionMs?: number;
  logger?: TSDBLogger;
  /** A checkpoint runs this often (default 15 min), on close, and when the WAL grows past walCheckpointBytes. */
  checkpointIntervalMs?: number;
  /** WAL bytes since the last checkpoint that trigger one early (default 128 MiB, e.g. during a backfill). */
  walCheckpointBytes?: number;
  /** fdatasync of the WAL at most this often (default 1000 ms); 0 leaves it to the OS and segment cuts. */
  walSyncIntervalMs?: number;
  walSegmentBytes?: number;
}

/** Figures for /metrics (Prometheus' prometheus_tsdb_head_* and WAL counters) and the benches. */
export interface TSDBStats extends HeadStats {
  seriesCreated: number;
  samplesAppended: number;
  outOfOrderRejected: number;
  duplicateRejected: number;
  walCorruptionsRepaired: number;
  walBytesDropped: number;
  checkpoints: number;
  seriesRemovedByRetention: number;
}

const DAY = 86_400_000;
const stderrLogger: TSDBLogger = { info: () => {}, warn: (m) => void process.stderr.write(`${m}\n`) };

/** The samples of one batch in parallel typed arrays: no object per sample. */
class Batch {
  series: HeadSeries[] = [];
  ts = new Float64Array(256);
  vs = new Float64Array(256);
  stale = new Uint8Array(256);
  n = 0;

  push(s: HeadSeries, t: number, v: number, stale: boolean): void {
    if (this.n === this.ts.length) {
      const cap = this.n * 2;
      const grow = <T extends Float64Array | Uint8Array>(a: T, make: (n: number) => T): T => {
        const b = make(cap);
        b.set(a);
        return b;
      };
      this.ts = grow(this.ts, (n) => new Float64Array(n));
      this.vs = grow(this.vs, (n) => new Float64Array(n));
      this.stale = grow(this.stale, (n) => new Uint8Array(n));
    }
    this.series[this.n] = s;
    this.ts[this.n] = t;
    this.vs[this.n] = v;
    this.stale[this.n] = stale ? 1 : 0;
    this.n++;
  }

  /** Empties the batch; the arrays stay for the next one (series refs left behind are overwritten, or dropped with a large batch). */
  clear(): void {
    if (this.n > SPARE_BATCH_SAMPLES) this.series = [];
    this.n = 0;
  }
}

/** A batch that grew past this many samples (a big remote-write request) is not kept for reuse. */
const SPARE_BATCH_SAMPLES = 1 << 17;

/** A batch for the TSDB; commit() resolves with what was appended and rejected. */
export class TSDBAppender implements Appender {
  /** Taken from the TSDB's spare batches at the first sample, given back at commit or rollback: a scrape grows no new arrays. */
  private held: Batch | undefined;
  constructor(private readonly db: TSDB) {}

  private get batch(): Batch {
    return (this.held ??= this.db.takeBatch());
  }

  append(labels: Labels, timestampMs: number, value: number): void {
    this.batch.push(this.db.head.getOrCreate(labels), checkTime(timestampMs), value, isStaleNaN(value));
  }

  appendHandle(labels: Labels, handle: SeriesHandle | undefined, timestampMs: number, value: number): SeriesHandle {
    let s = handle as HeadSeries | undefined;
    // a series retention removed is looked up (and created) again
    if (s === undefined || s.removed) s = this.db.head.getOrCreate(labels);
    this.batch.push(s, checkTime(timestampMs), value, isStaleNaN(value));
    return s;
  }

  markStale(labels: Labels, timestampMs: number): void {
    this.batch.push(this.db.head.getOrCreate(labels), checkTime(timestampMs), NaN, true);
  }

  /** The series for these labels, for appendRef(): a scrape loop can keep it between scrapes. */
  seriesFor(labels: Labels): HeadSeries {
    return this.db.head.getOrCreate(labels);
  }

  /** append() without the label lookup. */
  appendRef(series: HeadSeries, timestampMs: number, value: number): void {
    this.batch.push(series, checkTime(timestampMs), value, isStaleNaN(value));
  }

  /** What the last commit appended and rejected (rejections never fail the batch). */
  lastCommit: CommitResult = { appended: 0, outOfOrder: 0, duplicate: 0 };

  async commit(): Promise<CommitResult> {
    try {
      return (this.lastCommit = this.db.commitBatch(this.batch));
    } finally {
      this.release();
    }
  }

  rollback(): void {
    this.release();
  }

  private release(): void {
    const b = this.held;
    this.held = undefined;
    if (b) this.db.giveBackBatch(b);
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function checkTime(t: number): number {
  if (!Number.isFinite(t)) throw new RangeError(`sample timestamp ${t} is not a finite number of milliseconds`);
  return Math.round(t);
}

export class TSDB implements SampleStorage {
  readonly head = new Head();
  /** The head answers select() in label order. */
  readonly sortedByLabels = true;
  private wal!: WalWriter;
  private readonly retentionMs: number;
  private readonly logger: TSDBLogger;
  private chunkFiles: ChunkFileRef[] = [];
  private nextChunkSeq = 1;
  private checkpointing: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly counters = {
    seriesCreated: 0, samplesAppended: 0, outOfOrderRejected: 0, duplicateRejected: 0,
    walCorruptionsRepaired: 0, walBytesDropped: 0, checkpoints: 0, seriesRemovedByRetention: 0,
  };
  /** Reused between commits: the accepted samples' refs for the WAL record. */
  private refs = new Uint32Array(256);

  private constructor(
    readonly dir: string,
    private readonly opts: TSDBOptions,
  ) {
    this.retentionMs = opts.retentionMs ?? 8 * DAY;
    this.logger = opts.logger ?? stderrLogger;
  }

  /** Opens (or creates) the TSDB under dir: loads the last checkpoint, replays the WAL. */
  static async open(dir: string, opts: TSDBOptions = {}): Promise<TSDB> {
    const db = new TSDB(dir, opts);
    db.load();
    db.head.onSeriesCreated = () => db.counters.seriesCreated++;
    const interval = opts.checkpointIntervalMs ?? 15 * 60_000;
    if (interval > 0) {
      db.timer = setInterval(() => void db.checkpoint().catch((err) => db.logger.warn(`tsdb: checkpoint failed: ${(err as Error).message}`)), interval);
      db.timer.unref();
    }
    return db;
  }

  private get walDir(): string {
    return join(this.dir, 'wal');
  }
  private get chunksDir(): string {
    return join(this.dir, 'chunks');
  }
  private get snapshotPath(): string {
    return join(this.dir, 'head.snap');
  }

  private get lockPath(): string {
    return join(this.dir, 'lock');
  }

  /** Refuses a directory another live process holds; a lock left by a killed process is taken over. */
  private lock(): void {
    if (existsSync(this.lockPath)) {
      const pid = Number(readFileSync(this.lockPath, 'utf8'));
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid)) throw new Error(`tsdb: ${this.dir} is in use by process ${pid} (${this.lockPath})`);
    }
    writeFileSync(this.lockPath, String(process.pid));
  }

  private load(): void {
    mkdirSync(this.walDir, { recursive: true });
    mkdirSync(this.chunksDir, { recursive: true });
    this.lock();
    const started = Date.now();
    let walStart = 0;
    if (existsSync(this.snapshotPath)) {
      const snap = decodeSnapshot(readFileSync(this.snapshotPath));
      if (typeof snap === 'string') {
        // Written by rename, so only a disk fault gets here: keep the file for a look, start from the WAL.
        renameSync(this.snapshotPath, `${this.snapshotPath}.corrupt`);
        this.logger.warn(`tsdb: ${this.snapshotPath} cannot be read (${snap}); moved to head.snap.corrupt, starting from the WAL alone`);
      } else {
        walStart = snap.walStart;
        this.restoreSnapshot(snap);
      }
    }
    const head = this.head;
    let unknownRefs = 0;
    const report = replayWal(
      this.walDir,
      walStart,
      (payload) => {
        const r = new RecordReader(payload);
        const type = r.u8();
        if (type === REC_SERIES)
          decodeSeries(r, (ref, labels) => {
            head.restore(ref, labels).logged = true;
          });
        else if (type === REC_SAMPLES)
          decodeSamples(r, (ref, t, v, stale) => {
            const s = head.byRef(ref);
            if (s) head.append(s, t, v, stale);
            else unknownRefs++;
          });
      },
      this.logger,
    );
    this.counters.walCorruptionsRepaired += report.corruptions;
    this.counters.walBytesDropped += report.droppedBytes;
    if (unknownRefs > 0) this.logger.warn(`tsdb: ${unknownRefs} WAL samples name series that no record defines; skipped`);
    // Leftovers of an interrupted checkpoint: files no snapshot lists.
    const listed = new Set(this.chunkFiles.map((c) => chunkFileName(c.seq)));
    for (const f of readdirSync(this.chunksDir)) if (!listed.has(f)) unlinkSync(join(this.chunksDir, f));
    for (const f of readdirSync(this.dir)) if (f.endsWith('.tmp')) unlinkSync(join(this.dir, f));
    this.applyRetention();
    const segments = listSegments(this.walDir);
    this.wal = new WalWriter(
      this.walDir,
      segments.length ? segments[segments.length - 1] + 1 : Math.max(walStart, 0),
      this.opts.walSegmentBytes ?? 64 << 20,
      this.opts.walSyncIntervalMs ?? 1000,
    );
    const st = this.head.stats();
    this.logger.info(`tsdb: opened ${this.dir}: ${st.series} series, ${st.samples} samples, ${report.records} WAL records replayed in ${Date.now() - started} ms`);
  }

  private restoreSnapshot(snap: Snapshot): void {
    const head = this.head;
    head.nextRef = Math.max(head.nextRef, snap.nextRef);
    for (const x of snap.series) {
      const s = head.restore(x.ref, x.labels);
      s.logged = true;
      s.hasStale ||= x.hasStale;
    }
    this.chunkFiles = snap.chunkFiles;
    for (const c of snap.chunkFiles) {
      this.nextChunkSeq = Math.max(this.nextChunkSeq, c.seq + 1);
      const path = join(this.chunksDir, chunkFileName(c.seq));
      const problem = existsSync(path)
        ? decodeChunkFile(readFileSync(path), (e) => {
            const s = head.byRef(e.ref);
            if (s) head.addClosedChunk(s, e.bytes, e.minT, e.maxT);
          })
        : 'it is missing';
      if (problem) this.logger.warn(`tsdb: chunk file ${path} cannot be read (${problem}); its samples are lost`);
    }
    for (const x of snap.series) {
      const s = head.byRef(x.ref)!;
      s.persisted = s.nClosed;
      const n = x.open.length >= 2 ? chunkCount(x.open) : 0;
      if (n > 0) {
        // Re-append the open chunk's samples: the encoder's state comes back with them.
        const ts = new Float64Array(n);
        const vs = new Float64Array(n);
        const st = new Uint8Array(n);
        decodeChunk(x.open, 0, ts, vs, st, 0);
        for (let i = 0; i < n; i++) head.append(s, ts[i], vs[i], st[i] === 1);
      } else head.primeLastValue(s);
    }
  }

  appender(): TSDBAppender {
    return new TSDBAppender(this);
  }

  /** Batches of finished appenders, with the arrays they grew (a few: scrape loops commit one at a time). */
  private spareBatches: Batch[] = [];

  takeBatch(): Batch {
    return this.spareBatches.pop() ?? new Batch();
  }

  giveBackBatch(b: Batch): void {
    const big = b.ts.length > SPARE_BATCH_SAMPLES;
    b.clear();
    if (!big && this.spareBatches.length < 4) this.spareBatches.push(b);
  }

  /**
   * Applies a batch to the head, then writes the accepted samples (and new series) to the WAL.
   * Only accepted samples are logged, so the head decides first; a failed write (a full disk)
   * throws from commit with the samples already queryable but not durable.
   */
  commitBatch(b: Batch): CommitResult {
    if (this.closed) throw new Error('tsdb: commit after close');
    const head = this.head;
    const result: CommitResult = { appended: 0, outOfOrder: 0, duplicate: 0 };
    if (this.refs.length < b.n) this.refs = new Uint32Array(b.n * 2);
    const refs = this.refs;
    const newSeries: HeadSeries[] = [];
    let w = 0;
    for (let i = 0; i < b.n; i++) {
      let s = b.series[i];
      if (s.removed) s = head.getOrCreate(s.labels); // retention dropped it while the batch was open
      const outcome = head.append(s, b.ts[i], b.vs[i], b.stale[i] === 1);
      if (outcome === AppendOutcome.Appended) {
        if (!s.logged) {
          s.logged = true;
          newSeries.push(s);
        }
        // Compact the accepted samples in place for the WAL record.
        refs[w] = s.ref;
        b.ts[w] = b.ts[i];
        b.vs[w] = b.vs[i];
        b.stale[w] = b.stale[i];
        w++;
      } else if (outcome === AppendOutcome.OutOfOrder) result.outOfOrder++;
      else if (outcome === AppendOutcome.Duplicate) result.duplicate++;
    }
    result.appended = w;
    this.counters.samplesAppended += w;
    this.counters.outOfOrderRejected += result.outOfOrder;
    this.counters.duplicateRejected += result.duplicate;
    const records: Buffer[] = [];
    if (newSeries.length) records.push(frame(encodeSeries(newSeries)));
    if (w > 0) records.push(frame(encodeSamples(refs, b.ts, b.vs, b.stale, w)));
    if (records.length) this.wal.write(records);
    if (this.wal.bytesSinceCut > (this.opts.walCheckpointBytes ?? 128 << 20) && !this.checkpointing)
      setImmediate(() => void this.checkpoint().catch((err) => this.logger.warn(`tsdb: checkpoint failed: ${(err as Error).message}`)));
    return result;
  }

  select(matchers: readonly SeriesMatcher[], mint: number, maxt: number): SeriesData[] {
    return this.head.select(matchers, mint, maxt);
  }

  /** Labels of the matching series with samples around [mint, maxt], sorted, nothing decoded (/api/v1/series). */
  selectLabels(matchers: readonly SeriesMatcher[], mint?: number, maxt?: number): Labels[] {
    return this.head.seriesLabels(matchers, mint, maxt);
  }

  /** Label names, sorted (/api/v1/labels); from the index alone when no matcher or range is given. */
  labelNames(matchers?: readonly SeriesMatcher[], mint?: number, maxt?: number): string[] {
    return this.head.labelNames(matchers, mint, maxt);
  }

  /** Values of one label, sorted (/api/v1/label/<name>/values). */
  labelValues(name: string, matchers?: readonly SeriesMatcher[], mint?: number, maxt?: number): string[] {
    return this.head.labelValues(name, matchers, mint, maxt);
  }

  /** Drops what is older than retention; returns the cutoff. */
  private applyRetention(): number {
    const newest = this.head.maxTime();
    if (newest === -Infinity) return -Infinity;
    const cutoff = newest - this.retentionMs;
    this.counters.seriesRemovedByRetention += this.head.truncateBefore(cutoff);
    return cutoff;
  }

  /**
   * Applies retention, writes the chunks closed since the last checkpoint and a snapshot of the
   * head, then deletes the WAL segments and chunk files they make unnecessary. One at a time.
   */
  checkpoint(): Promise<void> {
    if (this.checkpointing) return this.checkpointing;
    const run = this.runCheckpoint().finally(() => (this.checkpointing = undefined));
    this.checkpointing = run;
    return run;
  }

  private async runCheckpoint(): Promise<void> {
    // Everything up to the WAL cut is captured synchronously, so no commit falls between.
    const cutoff = this.applyRetention();
    const walStart = this.wal.cut();
    const entries: ChunkEntry[] = [];
    const snapSeries: Snapshot['series'] = [];
    const persistedBefore = new Map<HeadSeries, number>();
    let maxT = -Infinity;
    for (const s of this.head.allSeries()) {
      for (let i = s.persisted; i < s.nClosed; i++) {
        entries.push({ ref: s.ref, minT: s.chunkMinT(i), maxT: s.chunkMaxT(i), bytes: this.head.arena.view(s.chunkPlace(i)) });
        if (s.chunkMaxT(i) > maxT) maxT = s.chunkMaxT(i);
      }
      if (s.persisted < s.nClosed) {
        persistedBefore.set(s, s.persisted);
        s.persisted = s.nClosed;
      }
      snapSeries.push({ ref: s.ref, labels: s.labels, hasStale: s.hasStale, open: s.open.count > 0 ? s.open.bytes() : new Uint8Array(0) });
    }
    const kept = this.chunkFiles.filter((c) => c.maxT >= cutoff);
    const dropped = this.chunkFiles.filter((c) => c.maxT < cutoff);
    const newFile = entries.length ? { seq: this.nextChunkSeq++, maxT } : undefined;
    const chunkFiles = newFile ? [...kept, newFile] : kept;
    const snapshot = encodeSnapshot({ walStart, chunkFiles, nextRef: this.head.nextRef, series: snapSeries });
    const chunkData = newFile ? encodeChunkFile(entries) : undefined;
    try {
      if (newFile) await writeFileAtomic(join(this.chunksDir, chunkFileName(newFile.seq)), chunkData!);
      await writeFileAtomic(this.snapshotPath, snapshot);
    } catch (err) {
      // Not written: these chunks go into the next checkpoint's file instead.
      for (const [s, p] of persistedBefore) s.persisted = Math.min(p, s.nClosed);
      throw err;
    }
    this.chunkFiles = chunkFiles;
    this.wal.removeBefore(walStart);
    for (const c of dropped) unlinkSync(join(this.chunksDir, chunkFileName(c.seq)));
    this.counters.checkpoints++;
  }

  stats(): TSDBStats {
    return { ...this.head.stats(), ...this.counters };
  }

  /** A final checkpoint (so the next start replays nothing), then the WAL is closed. */
  async close(): Promise<void> {
    if (this.closed) return;
    if (this.timer) clearInterval(this.timer);
    await this.checkpointing;
    await this.checkpoint();
    this.closed = true;
    this.wal.close();
    unlinkSync(this.lockPath);
  }
}
