// POST /api/v1/webhooks/pagerduty: PagerDuty's webhooks (v3). An `incident.acknowledged` event
// becomes an `acknowledged` event for each alert of the group whose dedup_key is the incident's
// incident_key (Events API v2 alerts open incidents under their dedup_key). Signatures are checked
// on the raw body: X-PagerDuty-Signature holds one or more `v1=<hex HMAC-SHA256>`, comma separated
// (several while a secret is being rotated).

import { createHmac, timingSafeEqual } from 'node:crypto';
import express, { type Request, type Response } from 'express';
import type { RoutedAlert } from '../route/index.js';
import { alertEvent, type Store } from '../store/index.js';
import { sendError } from './ingest.js';

export interface PagerdutyWebhookDeps {
  /** feedback.pagerduty_webhook_secret (read per request, so a reload applies); unset → 404. */
  secret: string | undefined | (() => string | undefined);
  /** The group whose PagerDuty dedup_key this is (dedupKey(groupKey) in notify/pagerduty). */
  resolveGroup: (dedupKey: string) => { alerts: RoutedAlert[] } | undefined;
  store: Pick<Store, 'recordAlertEvents' | 'queryAlertEvents'>;
  now?: () => number;
  /** Largest body; default 1 MiB (PagerDuty's payloads are a few KB). */
  maxRequestBytes?: number;
}

/** The parts of a v3 webhook body vigil reads. */
interface WebhookV3 {
  event?: {
    id?: string;
    event_type?: string;
    agent?: { summary?: string; id?: string } | null;
    data?: { id?: string; type?: string; incident_key?: string | null } | null;
  };
}

/** Whether one of the header's `v1=` signatures is the HMAC of the body; compared in constant time. */
export function validPagerdutySignature(header: string | undefined, body: Buffer, secret: string): boolean {
  if (!header) return false;
  const expected = createHmac('sha256', secret).update(body).digest();
  let ok = false;
  for (const part of header.split(',')) {
    const m = /^v1=([0-9a-f]{64})$/i.exec(part.trim());
    if (m && timingSafeEqual(Buffer.from(m[1], 'hex'), expected)) ok = true; // no early exit: every candidate is compared
  }
  return ok;
}

export function pagerdutyWebhookRoutes(deps: PagerdutyWebhookDeps): express.Router {
  const now = deps.now ?? Date.now;
  const secretOf = typeof deps.secret === 'function' ? deps.secret : () => deps.secret as string | undefined;
  const router = express.Router();
  // raw: the signature is over the exact bytes PagerDuty sent
  const raw = express.raw({ type: () => true, limit: deps.maxRequestBytes ?? 1024 * 1024 });

  router.post('/api/v1/webhooks/pagerduty', (req, res, next) => {
    // refused before the body is read when no secret is configured
    if (!secretOf()) return sendError(res, 404, 'PagerDuty webhooks are not configured (feedback.pagerduty_webhook_secret)');
    next();
  }, raw, async (req: Request, res: Response) => {
    const secret = secretOf();
    if (!secret) return sendError(res, 404, 'PagerDuty webhooks are not configured (feedback.pagerduty_webhook_secret)');
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    if (!validPagerdutySignature(req.get('x-pagerduty-signature'), body, secret)) {
      return sendError(res, 401, 'X-PagerDuty-Signature does not match the body (check feedback.pagerduty_webhook_secret)');
    }
    let payload: WebhookV3;
    try {
      payload = JSON.parse(body.toString('utf8')) as WebhookV3;
    } catch (err) {
      return sendError(res, 400, `body is not valid JSON: ${(err as Error).message}`);
    }
    const event = payload?.event;
    if (!event || typeof event !== 'object') return sendError(res, 400, 'event: missing (not a PagerDuty v3 webhook)');
    if (event.event_type !== 'incident.acknowledged') return res.json({ acknowledged: 0, ignored: `event type ${String(event.event_type)}` });

    const incidentKey = event.data?.incident_key;
    if (typeof incidentKey !== 'string' || !incidentKey) return res.json({ acknowledged: 0, ignored: 'the incident has no incident_key' });
    const group = deps.resolveGroup(incidentKey);
    if (!group) return res.json({ acknowledged: 0, ignored: 'no vigil group has this incident_key' });

    const at = now();
    const by = event.agent?.summary ?? event.agent?.id ?? 'PagerDuty';
    const detail = { by, ...(event.data?.id ? { incident: event.data.id } : {}), ...(event.id ? { event: event.id } : {}) };
    // PagerDuty re-delivers until it gets a 2xx: an event already taken is not recorded twice
    const taken = async (a: { fingerprint: string }) =>
      Boolean(event.id) && (await deps.store.queryAlertEvents({ fingerprint: a.fingerprint, kinds: ['acknowledged'], limit: 1000 })).items.some((e) => e.detail?.event === event.id);
    const already = await Promise.all(group.alerts.map(taken));
    const fresh = group.alerts.filter((_, i) => !already[i]);
    const events = fresh.map((a) => alertEvent(a, at, 'acknowledged', 'pagerduty', detail));
    if (events.length > 0) deps.store.recordAlertEvents(events);
    res.json({ acknowledged: events.length });
  });

  return router;
}
