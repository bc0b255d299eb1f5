import type { Labels } from '../datasource/index.js';

export type AlertState = 'pending' | 'firing' | 'inactive';

/** One alert instance of an alerting rule, identified by its label set. Times are unix ms. */
export interface Alert {
  fingerprint: string;
  labels: Labels;
  annotations: Record<string, string>;
  state: AlertState;
  value: number;
  activeAt: number;
  firedAt?: number;
  resolvedAt?: number;
  /** Set while a firing alert is held by keep_firing_for after its condition cleared. */
  keepFiringSince?: number;
}

/** How long a resolved alert is kept and reported as resolved, as in Prometheus. */
export const RESOLVED_RETENTION_MS = 15 * 60_000;
