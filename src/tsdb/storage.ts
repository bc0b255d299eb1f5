// The two sides of vigil's own storage: what ingestion writes (Appender) and what the engine and
// the query API read (promql's Queryable). The in-memory store and the persistent TSDB both offer them.
import type { Queryable } from '../promql/index.js';

export type Labels = Readonly<Record<string, string>>;

/** A storage's own reference to one of its series (opaque to everyone else). */
export type SeriesHandle = object;

/** What a commit stored, and what it refused sample by sample (the rest of the batch is stored all the same). */
export interface CommitResult {
  appended: number;
  /** Older than the series' newest sample: Prometheus' "out of order sample". */
  outOfOrder: number;
  /** Same time as the newest sample with another value: "duplicate sample for timestamp". */
  duplicate: number;
}

/** A batch of samples from one scrape, remote-write request or OTLP export; nothing is visible or durable before commit(). */
export interface Appender {
  /** One sample (ms). `labels` carry `__name__`; labels with empty values are dropped, as Prometheus drops them. */
  append(labels: Labels, timestampMs: number, value: number): void;
  /**
   * append() with the storage's handle of the series from an earlier call (undefined the first
   * time); returns the handle to pass next time. A scrape loop keeps it between scrapes, so the
   * labels are not looked up again. Optional: a storage without handles leaves it out.
   */
  appendHandle?(labels: Labels, handle: SeriesHandle | undefined, timestampMs: number, value: number): SeriesHandle;
  /** A staleness marker: the series ended at this time (a target or series went away). */
  markStale(labels: Labels, timestampMs: number): void;
  /** Makes the batch visible to queries and durable (written to the WAL when there is one); says what was refused. */
  commit(): Promise<CommitResult>;
  /** Drops the batch. */
  rollback(): void;
}

/** Storage the engine reads and ingestion writes. */
export interface SampleStorage extends Queryable {
  appender(): Appender;
}
