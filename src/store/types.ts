import type { Alert } from '../eval/alert.js';

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
  close(): void;
}
