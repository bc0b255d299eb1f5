/** Opens the Store vigil.yaml names — storage.postgres when set, else storage.sqlite: the one place that chooses it. */
import { Counter, Gauge, type Registry } from 'prom-client';
import { redact, type Config } from '../config/index.js';
import { PostgresStore, SqliteStore, type Store } from '../store/index.js';

export interface OpenStoreOptions {
  /** Where a write that failed after its call returned is reported. */
  onWriteError?: (err: Error, what: string) => void;
  /** Where news that is not an error goes (PostgreSQL is back). */
  onInfo?: (msg: string, fields: Record<string, unknown>) => void;
  /** Names this replica in PostgreSQL's change feed. */
  replicaId?: string;
}

export async function openStore(config: Config, opts: OpenStoreOptions = {}): Promise<Store> {
  const pg = config.storage.postgres;
  if (!pg) return new SqliteStore(config.storage.sqlite.path, { onWriteError: opts.onWriteError });
  try {
    return await PostgresStore.open({
      url: pg.url,
      poolSize: pg.poolSize,
      flushIntervalMs: pg.flushIntervalMs,
      maxQueue: pg.maxQueue,
      replicaId: opts.replicaId,
      onWriteError: opts.onWriteError,
      onInfo: opts.onInfo,
    });
  } catch (err) {
    // node-postgres' messages never carry the password; the URL is printed without it
    throw new Error(`storage.postgres: cannot open ${storeName(config)}: ${(err as Error).message}`);
  }
}

/** Where the store is, for logs (never a password). */
export function storeName(config: Config): string {
  const pg = config.storage.postgres;
  if (!pg) return `sqlite:${config.storage.sqlite.path}`;
  return redact(pg.url).replace(/([?&]password=)[^&]*/i, '$1***');
}

/** /metrics of PostgresStore's write queue and connection (SQLite commits as it goes: nothing to show). */
export function storeMetrics(registry: Registry, store: Store): void {
  if (!(store instanceof PostgresStore)) return;
  const registers = [registry];
  new Gauge({ name: 'vigil_store_connected', help: 'Whether the last use of PostgreSQL (a write batch, a read, a heartbeat) succeeded.', registers, collect() {
    this.set(store.connected() ? 1 : 0);
  } });
  new Gauge({ name: 'vigil_store_queued_writes', help: 'Writes waiting to be committed to PostgreSQL.', registers, collect() {
    this.set(store.stats.queued);
  } });
  const counted = (name: string, help: string, read: () => number) => {
    let seen = 0;
    new Counter({ name, help, registers, collect() {
      const now = read();
      this.inc(now - seen);
      seen = now;
    } });
  };
  counted('vigil_store_writes_committed_total', 'Writes committed to PostgreSQL.', () => store.stats.committed);
  counted('vigil_store_writes_dropped_total', 'Writes dropped: the queue was full, or PostgreSQL refused the write itself (each is logged).', () => store.stats.dropped);
  counted('vigil_store_write_batches_total', 'Transactions that committed queued writes.', () => store.stats.batches);
}

