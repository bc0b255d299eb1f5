/** Outgoing webhook with Alertmanager's payload, version 4, so anything that reads Alertmanager's webhooks reads vigil's. */
import type { WebhookConfig } from '../config/index.js';
import type { Labels, RoutedAlert } from '../route/index.js';
import { agentFor, post, type HttpAgent } from './http.js';
import { errorForStatus } from './policy.js';
import { commonLabels, truncate } from './render.js';
import type { Delivery, Integration } from './types.js';

/** Go's zero time, which Alertmanager writes as endsAt of a firing alert. */
const ZERO_TIME = '0001-01-01T00:00:00Z';

export interface WebhookAlert {
  status: 'firing' | 'resolved';
  labels: Labels;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  generatorURL: string;
  fingerprint: string;
}

export interface WebhookPayloadV4 {
  version: '4';
  groupKey: string;
  truncatedAlerts: number;
  status: 'firing' | 'resolved';
  receiver: string;
  groupLabels: Labels;
  commonLabels: Labels;
  commonAnnotations: Record<string, string>;
  externalURL: string;
  alerts: WebhookAlert[];
}

/** The last times printed: the alerts of a group mostly share their startsAt and endsAt. */
const isoCache = new Map<number, string>();

function iso(ms: number): string {
  let s = isoCache.get(ms);
  if (s === undefined) {
    if (isoCache.size >= 1024) isoCache.clear();
    isoCache.set(ms, (s = new Date(ms).toISOString()));
  }
  return s;
}

type Status = 'firing' | 'resolved';

/** Alertmanager's webhook body for a delivery; `maxAlerts` > 0 keeps the first ones and counts the rest in truncatedAlerts. */
export function webhookPayload(delivery: Delivery, maxAlerts = 0): WebhookPayloadV4 {
  const { envelope, kept } = payloadParts(delivery, maxAlerts);
  return { ...envelope, alerts: kept.map(([a, status]) => webhookAlert(a, status)) };
}

/**
 * webhookPayload as JSON, the same text as JSON.stringify gives. Each alert's part comes from
 * alertJson, which keeps it from the alert's second print on: a group is sent again every
 * group_interval, mostly with the same alerts, and JSON.stringify of them was the costliest step of a
 * send (bench/README.md).
 */
export function webhookBody(delivery: Delivery, maxAlerts = 0): string {
  const { envelope, kept } = payloadParts(delivery, maxAlerts);
  const head = JSON.stringify({ ...envelope, alerts: [] }); // ends with "alerts":[]}, the last key
  let body = head.slice(0, -2);
  for (let i = 0; i < kept.length; i++) body += (i === 0 ? '' : ',') + alertJson(kept[i][0], kept[i][1]);
  return body + ']}';
}

function payloadParts(delivery: Delivery, maxAlerts: number): { envelope: Omit<WebhookPayloadV4, 'alerts'>; kept: (readonly [RoutedAlert, Status])[] } {
  const n = delivery.notification;
  const all: (readonly [RoutedAlert, Status])[] = [...n.firing.map((a) => [a, 'firing'] as const), ...n.resolved.map((a) => [a, 'resolved'] as const)];
  const kept = maxAlerts > 0 ? all.slice(0, maxAlerts) : all;
  const envelope = {
    version: '4' as const,
    groupKey: n.groupKey,
    truncatedAlerts: all.length - kept.length,
    status: n.firing.length > 0 ? ('firing' as const) : ('resolved' as const),
    receiver: n.receiver,
    groupLabels: n.groupLabels,
    // computed over every alert, as Alertmanager does before truncating
    commonLabels: commonLabels(all.map(([a]) => a.labels)),
    commonAnnotations: commonLabels(all.map(([a]) => a.annotations)),
    externalURL: delivery.externalURL,
  };
  return { envelope, kept };
}

function webhookAlert(a: RoutedAlert, status: Status): WebhookAlert {
  return {
    status,
    labels: a.labels,
    annotations: a.annotations,
    startsAt: iso(a.startsAt),
    endsAt: status === 'firing' ? ZERO_TIME : iso(a.endsAt),
    generatorURL: a.generatorURL ?? '',
    fingerprint: a.fingerprint,
  };
}

/**
 * Each alert's part of the body by status, kept from its second print on (null after the first): an
 * alert sent once costs no memory. A held alert is replaced, never changed, so the object is its version.
 */
const printed: Record<Status, WeakMap<RoutedAlert, string | null>> = { firing: new WeakMap(), resolved: new WeakMap() };

function alertJson(a: RoutedAlert, status: Status): string {
  const kept = printed[status].get(a);
  if (kept) return kept;
  const json = JSON.stringify(webhookAlert(a, status));
  printed[status].set(a, kept === undefined ? null : json);
  return json;
}

export class WebhookIntegration implements Integration {
  readonly kind = 'webhook';
  readonly sendResolved: boolean;
  readonly timeoutMs: number;
  private readonly agent: HttpAgent;

  constructor(private readonly config: WebhookConfig, readonly index = 0) {
    this.sendResolved = config.sendResolved;
    this.timeoutMs = config.http.timeoutMs;
    this.agent = agentFor(config.url, config.http);
  }

  async send(delivery: Delivery, signal: AbortSignal): Promise<void> {
    const res = await post(this.config.url, webhookBody(delivery, this.config.maxAlerts), this.agent, signal);
    if (res.status >= 200 && res.status < 300) return;
    throw errorForStatus(res.status, truncate(res.body.trim(), 200), res.headers);
  }
}
