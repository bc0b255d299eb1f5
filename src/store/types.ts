import type { Alert } from '../eval/alert.js';
import type { NotificationLogEntry, Silence } from '../route/index.js';

/** Alert state of one rule group as persisted after an evaluation. */
export interface GroupState {
  groupKey: string;
  /** Time of the evaluation that produced this state (unix ms). */
  lastEvaluation: number;
  /** Alerts by rule name: pending, firing and resolved-within-retention. */
  alerts: { rule: string; alert: Alert }[];
}

/** What vigil keeps across restarts. SQLite by default; PostgreSQL later for replicas. */
export interface Store {
  /** Replaces the group's persisted state in one transaction. */
  saveGroupState(state: GroupState): void;
  loadGroupState(groupKey: string): GroupState | undefined;
  /** Inserts or replaces a silence by id (expiring one is an update of its endsAt). */
  saveSilence(silence: Silence): void;
  /** Every silence kept, expired ones included until `deleteSilencesEndedBefore` drops them. */
  loadSilences(): Silence[];
  /** Drops silences that ended before `t` (Alertmanager keeps expired ones for its retention). */
  deleteSilencesEndedBefore(t: number): number;
  /** Records what was last notified for a group and receiver (replaces the previous entry). */
  saveNotificationLogEntry(entry: NotificationLogEntry): void;
  /** Entries not yet expired at `now`; expired ones are deleted. */
  loadNotificationLog(now: number): NotificationLogEntry[];
  close(): void;
}
