import express from 'express';
import type { AlertEvent, AlertEventKind, HistoryQuery, NotificationRecord, Store } from '../store/index.js';
import { parseRfc3339, rfc3339, sendError } from './ingest.js';

const KINDS: readonly AlertEventKind[] = ['pending', 'firing', 'resolved', 'silenced', 'inhibited', 'acknowledged', 'feedback'];

/** The query string of a history request as a HistoryQuery; throws naming the bad parameter. */
export function historyQuery(q: Record<string, unknown>): HistoryQuery {
  const one = (name: string): string | undefined => {
    const v = q[name];
    if (v === undefined) return undefined;
    if (typeof v !== 'string') throw new Error(`${name}: give it once`);
    return v;
  };
  const time = (name: string): number | undefined => {
    const v = one(name);
    if (v === undefined) return undefined;
    const t = /^\d+(\.\d+)?$/.test(v) ? Math.round(Number(v) * 1000) : parseRfc3339(v);
    if (t === undefined) throw new Error(`${name}: "${v}" is not an RFC 3339 time or Unix seconds`);
    return t;
  };
  const int = (name: string, max: number): number | undefined => {
    const v = one(name);
    if (v === undefined) return undefined;
    if (!/^\d+$/.test(v) || Number(v) < 1 || Number(v) > max) throw new Error(`${name}: "${v}" is not a whole number from 1 to ${max}`);
    return Number(v);
  };
  const kinds = one('kind')
    ?.split(',')
    .map((k) => k.trim())
    .filter(Boolean);
  for (const k of kinds ?? []) if (!KINDS.includes(k as AlertEventKind)) throw new Error(`kind: "${k}" is not one of ${KINDS.join(', ')}`);
  return {
    from: time('from'),
    to: time('to'),
    alertname: one('alertname'),
    severity: one('severity'),
    fingerprint: one('fingerprint'),
    receiver: one('receiver'),
    kinds: kinds as AlertEventKind[] | undefined,
    limit: int('limit', 1000),
    before: int('before', Number.MAX_SAFE_INTEGER),
  };
}

const eventJson = (e: AlertEvent) => ({ ...e, at: rfc3339(e.at), startsAt: rfc3339(e.startsAt) });
const notificationJson = (n: NotificationRecord) => ({ ...n, at: rfc3339(n.at) });

/** GET /api/v1/alerts/history and /api/v1/notifications: the Store's history, newest first, paged with `before`. */
export function historyRoutes({ store }: { store: Pick<Store, 'queryAlertEvents' | 'queryNotifications'> }): express.Router {
  const r = express.Router();
  const page = <T, J>(query: (q: HistoryQuery) => Promise<{ items: T[]; next?: number }>, json: (t: T) => J): express.RequestHandler => async (req, res) => {
    let q: HistoryQuery;
    try {
      q = historyQuery(req.query as Record<string, unknown>);
    } catch (err) {
      return sendError(res, 400, (err as Error).message);
    }
    const { items, next } = await query(q);
    res.json({ status: 'success', data: items.map(json), ...(next === undefined ? {} : { next }) });
  };
  r.get('/api/v1/alerts/history', page((q) => store.queryAlertEvents(q), eventJson));
  r.get('/api/v1/notifications', page((q) => store.queryNotifications(q), notificationJson));
  return r;
}
