/**
 * Coordination between `vigil serve` replicas: who evaluates which rule group (leases) and
 * who sends which notification (claims). One replica needs none of it: SingleNode owns
 * everything. Several share one PostgreSQL: PostgresCoordinator.
 */
import type { IntegrationLogEntry } from '../route/index.js';

/** What one flush claim is about: one integration of a receiver, for one aggregation group. */
export interface ClaimKey {
  receiver: string;
  integration: string;
  index: number;
  groupKey: string;
}

/** A claim this replica holds while it sends; ends with `sent` or `release`. */
export interface HeldClaim {
  /** Keeps the claim alive while the send (with its retries) takes longer than the claim's TTL. */
  extend(): Promise<void>;
  /** The notification reached the integration: others adopt `entry` instead of sending it again. */
  sent(entry: IntegrationLogEntry): Promise<void>;
  /** The send failed: another replica (or this one, at the next group_interval) may try. */
  release(): Promise<void>;
}

export type ClaimOutcome =
  /** This replica sends. */
  | { kind: 'claimed'; claim: HeldClaim }
  /** The same content was sent by a replica less than repeat_interval ago (`ageMs`, on the database's clock). */
  | { kind: 'sent'; entry: IntegrationLogEntry; ageMs: number; by: string }
  /** The same content is being sent by another replica under a claim that has not expired. */
  | { kind: 'busy'; holder: string }
  /** The database did not answer. */
  | { kind: 'unavailable'; error: string };

export interface Coordinator {
  /** This replica's id (in leases, claims and logs). */
  readonly replica: string;
  /** The rule groups (keys) the replicas share out; called on start and on every reload. */
  setGroups(groupKeys: readonly string[]): void;
  /** Whether this replica evaluates the group now. */
  holds(groupKey: string): boolean;
  /** Claims a flush of `key` with content `hash` (sent content within `repeatIntervalMs` is not sent again). */
  claim(key: ClaimKey, hash: string, repeatIntervalMs: number): Promise<ClaimOutcome>;
  /** Whether the last round trip to the coordination database succeeded (always true for one replica). */
  connected(): boolean;
  /** Releases this replica's leases so the others take its groups at once. */
  stop(): Promise<void>;
}

/** One replica: evaluates every group; its claims always succeed (nobody else sends). */
export class SingleNode implements Coordinator {
  constructor(readonly replica: string = 'single') {}
  setGroups(): void {}
  holds(): boolean {
    return true;
  }
  async claim(): Promise<ClaimOutcome> {
    return { kind: 'claimed', claim: { extend: async () => undefined, sent: async () => undefined, release: async () => undefined } };
  }
  connected(): boolean {
    return true;
  }
  async stop(): Promise<void> {}
}
