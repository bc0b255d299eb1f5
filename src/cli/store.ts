/** Opens the Store vigil.yaml names — storage.postgres when set, else storage.sqlite: the one place that chooses it. */
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
