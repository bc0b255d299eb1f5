import type { Alert } from '../eval/index.js';
import type { AlertEvent } from './types.js';

/** JSON has no NaN or Inf, and an alert's value may be either: keep it as Prometheus' string form. */
export function encodeAlert(alert: Alert): string {
  return JSON.stringify({ ...alert, value: String(alert.value) });
}

export function decodeAlert(text: string): Alert {
  const raw = JSON.parse(text) as Alert & { value: string };
  return { ...raw, value: Number(raw.value) };
}

const MAX_PAGE = 1000;

/** A page size as asked (default 100), within 1..MAX_PAGE. */
export const pageLimit = (limit: number | undefined): number => Math.min(Math.max(1, limit ?? 100), MAX_PAGE);

/** An alert_event row (the same columns in SQLite and PostgreSQL) as the AlertEvent it stores. */
export function alertEventOf(r: Record<string, unknown>): AlertEvent {
  return {
    id: r.id as number,
    at: r.at as number,
    fingerprint: r.fingerprint as string,
    startsAt: r.starts_at as number,
    alertname: r.alertname as string,
    severity: r.severity as string,
    labels: JSON.parse(r.labels as string),
    kind: r.kind as AlertEvent['kind'],
    source: r.source as string,
    ...(r.detail === null ? {} : { detail: JSON.parse(r.detail as string) }),
  };
}
