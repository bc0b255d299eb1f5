/** Opens the Store vigil.yaml names (storage.sqlite by default): the one place that chooses it. */
import type { Config } from '../config/index.js';
import { SqliteStore, type Store } from '../store/index.js';

export interface OpenStoreOptions {
  /** Where a write that failed after its call returned is reported. */
  onWriteError?: (err: Error, what: string) => void;
}

export async function openStore(config: Config, opts: OpenStoreOptions = {}): Promise<Store> {
  return new SqliteStore(config.storage.sqlite.path, { onWriteError: opts.onWriteError });
}

/** Where the store is, for logs (never a password). */
export function storeName(config: Config): string {
  return `sqlite:${config.storage.sqlite.path}`;
}
