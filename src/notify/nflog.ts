/**
 * The notification log kept per integration (Alertmanager's nflog): what each integration of a
 * receiver was last told about each group. Keyed by receiver, group, integration and index, so a
 * failing PagerDuty retries alone while Slack, already told, is not sent the same thing again.
 * Restart-safe through the port's store; a reload keeps it (the keys outlive the routing tree).
 */
import type { IntegrationLogEntry } from '../route/index.js';

/** The store port this log needs. */
export interface IntegrationLogStore {
  saveIntegrationLogEntry(entry: IntegrationLogEntry): void;
  /** Entries not yet expired at `now`. */
  loadIntegrationLog(now: number): Promise<IntegrationLogEntry[]>;
}

export interface LogKey {
  receiver: string;
  groupKey: string;
  integration: string;
  index: number;
}

// joined, not concatenated: a concatenation is a rope of seven strings, kept as the Map's key for every group
const keyOf = (k: LogKey) => [k.receiver, k.groupKey, k.integration, k.index].join('\u0000');

export class IntegrationLog {
  private readonly entries = new Map<string, IntegrationLogEntry>();

  /** An empty log; `IntegrationLog.open` starts from what the store kept. */
  constructor(
    private readonly store?: IntegrationLogStore,
    private readonly onError?: (err: Error, entry: IntegrationLogEntry) => void,
  ) {}

  /** The log as the store kept it (entries not expired at `now`), so a restart re-sends nothing. */
  static async open(store: IntegrationLogStore, now: number = Date.now(), onError?: (err: Error, entry: IntegrationLogEntry) => void): Promise<IntegrationLog> {
    const log = new IntegrationLog(store, onError);
    for (const e of await store.loadIntegrationLog(now)) {
      const held = log.entries.get(keyOf(e));
      if (!held || e.at >= held.at) log.entries.set(keyOf(e), e);
    }
    return log;
  }

  get(key: LogKey): IntegrationLogEntry | undefined {
    return this.entries.get(keyOf(key));
  }

  /** Records a sent notification; persisted first, but a store error still keeps it in memory (no re-send while running). */
  record(entry: IntegrationLogEntry): void {
    this.entries.set(keyOf(entry), entry);
    try {
      this.store?.saveIntegrationLogEntry(entry);
    } catch (err) {
      this.onError?.(err as Error, entry);
    }
  }

  /** Forgets expired entries of groups no longer held. */
  prune(now: number, held: (groupKey: string) => boolean): void {
    for (const [k, e] of this.entries) if (e.expiresAt <= now && !held(e.groupKey)) this.entries.delete(k);
  }

  get size(): number {
    return this.entries.size;
  }
}
