/** What the HTTP layer needs from the router runtime; serve wires the real one in. */
import type { RoutedAlert, Silences } from '../route/index.js';

/** Where an alert came from, for /metrics and logs. */
export type AlertSource = 'evaluator' | 'api-v2' | 'alertmanager-webhook';

/** Alertmanager's alert status in API v2. */
export interface AlertStatus {
  state: 'active' | 'suppressed' | 'unprocessed';
  silencedBy: string[];
  inhibitedBy: string[];
}

export interface RouterPort {
  /** Hands alerts to the dispatcher at once; they were validated and converted by the caller. New alerts past a limit are refused. */
  receive(alerts: RoutedAlert[], source: AlertSource): { refused: number; limit?: string } | void;
  /** receive in two halves: the limits decide now, `commit()` takes the alerts in; the caller answers in between, in the same turn. */
  admit?(alerts: RoutedAlert[], source: AlertSource): { refused: number; limit?: string; commit(): void };
  /** Counts what a limit refused, for /metrics. */
  refused?(source: string, limit: string, n: number): void;
  /** A body from `source` was refused (400): counted in /metrics. */
  rejected?(source: AlertSource): void;
  /** Every alert the router holds, with its status and the receivers it routes to (GET /api/v2/alerts). */
  alerts(): { alert: RoutedAlert; status: AlertStatus; receivers: string[] }[];
  /** The silences, persisted in the Store. */
  readonly silences: Silences;
  /** An ingested alert without endsAt resolves this long after it was received (resolve_timeout). */
  readonly resolveTimeoutMs: number;
}
