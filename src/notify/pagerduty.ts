/** PagerDuty Events API v2: one alert per aggregation group, keyed by a dedup_key derived from the group key. */
import { createHash } from 'node:crypto';
import type { EventPayloadV2, Link, Severity as PdSeverity } from '@pagerduty/pdjs/build/src/events.js';
import type { PagerdutyConfig } from '../config/index.js';
import type { RoutedAlert } from '../route/index.js';
import { agentFor, post, type HttpAgent } from './http.js';
import { errorForStatus } from './policy.js';
import { headline, highestSeverity, iso, rateLimitNotice, refiresOf, safeURL, stormCounts, truncate, formatLabels } from './render.js';
import type { Delivery, Integration } from './types.js';

/** PagerDuty's limits (Events API v2): summary ≤ 1024 characters, payload ≤ 512 KB. */
const MAX_SUMMARY = 1024;
const MAX_LINKS = 10;
const MAX_DETAILED_ALERTS = 100;

/** What vigil sends: pdjs's event type plus the client fields it leaves out; a resolve carries no payload. */
export type PagerdutyEvent = Omit<EventPayloadV2, 'payload'> & {
  payload?: EventPayloadV2['payload'];
  client?: string;
  client_url?: string;
};

/** The alert's dedup_key: sha256 hex of the group key, so every flush of a group (and a restart) updates the same PagerDuty alert. */
export function dedupKey(groupKey: string): string {
  return createHash('sha256').update(groupKey).digest('hex');
}

const SEVERITY: Record<string, PdSeverity> = { P1: 'critical', P2: 'warning', P3: 'info' };

/** PagerDuty severity of the most severe firing alert; `error` when none is P1–P3. */
export function pagerdutySeverity(alerts: readonly RoutedAlert[]): PdSeverity {
  return SEVERITY[highestSeverity(alerts) ?? ''] ?? 'error';
}

/** The event for a delivery: trigger while anything fires, resolve when nothing does. */
export function pagerdutyEvent(config: Pick<PagerdutyConfig, 'routingKey'>, delivery: Delivery): PagerdutyEvent {
  const n = delivery.notification;
  const dedup_key = dedupKey(n.groupKey);
  if (n.firing.length === 0) return { routing_key: config.routingKey, event_action: 'resolve', dedup_key };
  const first = n.firing[0];
  const summaryText = first.annotations.summary ?? first.annotations.description;
  return {
    routing_key: config.routingKey,
    event_action: 'trigger',
    dedup_key,
    payload: {
      summary: truncate(summaryText ? `${headline(delivery)} — ${summaryText}` : headline(delivery), MAX_SUMMARY),
      source: sourceOf(first),
      severity: pagerdutySeverity(n.firing),
      timestamp: iso(n.at),
      group: n.groupLabels.agent_id,
      class: n.groupLabels.alertname ?? first.labels.alertname,
      custom_details: customDetails(delivery),
    },
    links: links(n.firing),
    client: 'vigil',
    client_url: delivery.externalURL,
  };
}

function sourceOf(alert: RoutedAlert): string {
  const u = safeURL(alert.generatorURL);
  return u ? new URL(u).host : 'vigil';
}

function customDetails(delivery: Delivery): Record<string, unknown> {
  const n = delivery.notification;
  const byFp = new Map([...n.firing, ...n.resolved].map((a) => [a.fingerprint, a]));
  const name = (fp: string) => {
    const a = byFp.get(fp);
    return a ? `${a.labels.alertname ?? 'alert'} ${formatLabels(a.labels, ['alertname', 'severity'])}`.trim() : fp;
  };
  const details: Record<string, unknown> = {
    group: n.groupLabels,
    reason: n.reason,
    num_firing: n.firing.length,
    num_resolved: n.resolved.length,
    changes: { new: n.changes.new.map(name), still_firing: n.changes.stillFiring.map(name), resolved: n.changes.resolved.map(name) },
  };
  if (n.flapping.length > 0) details.flapping = n.flapping.map((f) => ({ alert: name(f.fingerprint), refires: f.refires }));
  if (delivery.storm) {
    const counts = stormCounts(n.firing);
    details.storm = { alerts: delivery.storm.alerts, threshold: delivery.storm.threshold, by_alertname: Object.fromEntries(counts.byAlertname), top_agent_id: Object.fromEntries(counts.topAgents) };
  } else {
    const detail = (a: RoutedAlert) => ({
      labels: a.labels,
      annotations: a.annotations,
      starts_at: iso(a.startsAt),
      ...(a.annotations.value !== undefined ? { value: a.annotations.value } : {}),
      ...(refiresOf(delivery, a.fingerprint) !== undefined ? { flapping_refires: refiresOf(delivery, a.fingerprint) } : {}),
    });
    // payloads are limited to 512 KB: a long list is cut, and says so
    details.firing = n.firing.slice(0, MAX_DETAILED_ALERTS).map(detail);
    details.resolved = n.resolved.slice(0, MAX_DETAILED_ALERTS).map(detail);
    const cut = Math.max(0, n.firing.length - MAX_DETAILED_ALERTS) + Math.max(0, n.resolved.length - MAX_DETAILED_ALERTS);
    if (cut > 0) details.truncated_alerts = cut;
  }
  const notice = rateLimitNotice(delivery);
  if (notice) details.rate_limit = notice;
  return details;
}

/** Runbooks first, then where the alerts come from; distinct and capped. */
function links(alerts: readonly RoutedAlert[]): Link[] {
  const out: Link[] = [];
  const seen = new Set<string>();
  const add = (href: string | undefined, text: string) => {
    const u = safeURL(href);
    if (u && !seen.has(u) && out.length < MAX_LINKS) {
      seen.add(u);
      out.push({ href: u, text });
    }
  };
  for (const a of alerts) add(a.annotations.runbook_url, `Runbook: ${a.labels.alertname ?? 'alert'}`);
  for (const a of alerts) add(a.generatorURL, `Source: ${a.labels.alertname ?? 'alert'}`);
  return out;
}

/**
 * pdjs's event() is not used for the request: it can only POST to https://<server>/v2/enqueue (no http, no
 * path of the config url) and it re-sends a 429 itself after a fixed sleep that ignores the abort signal and
 * hides Retry-After. So the POST is ours (http.ts, aborted by the signal, CA from http_config); pdjs gives the types.
 */
export class PagerdutyIntegration implements Integration {
  readonly kind = 'pagerduty';
  readonly sendResolved: boolean;
  readonly timeoutMs: number;
  private readonly agent: HttpAgent;

  constructor(private readonly config: PagerdutyConfig, readonly index = 0) {
    this.sendResolved = config.sendResolved;
    this.timeoutMs = config.http.timeoutMs;
    this.agent = agentFor(config.url, config.http);
  }

  async send(delivery: Delivery, signal: AbortSignal): Promise<void> {
    const res = await post(this.config.url, pagerdutyEvent(this.config, delivery), this.agent, signal);
    if (res.status >= 200 && res.status < 300) return;
    throw errorForStatus(res.status, `PagerDuty: ${pagerdutyMessage(res.body)}`, res.headers);
  }
}

/** PD's error answer: {status, message, errors: [...]}; the routing key is never echoed into it by us. */
function pagerdutyMessage(body: string): string {
  try {
    const j = JSON.parse(body) as { message?: string; errors?: unknown };
    const errors = Array.isArray(j.errors) ? j.errors.map(String).join('; ') : '';
    if (j.message) return errors ? `${j.message} (${errors})` : j.message;
  } catch {
    // not JSON: a proxy's page, say
  }
  return truncate(body.trim(), 200);
}

