import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { IntegrationResult } from '../notify/index.js';
import type { AlertSource, RouterPort } from './ports.js';

/** What the router's gauges read. */
export interface RouterGauges extends Pick<RouterPort, 'alerts' | 'silences'> {
  readonly groupCount: number;
  readonly counters: { flappingDetected: number; flappingCollapsed: number };
}

/** The router's /metrics, named after Alertmanager's where it has one (alertmanager_notifications_total → vigil_notifications_total). */
export class RouterMetrics {
  private readonly alertsReceived: Counter<'source' | 'status'>;
  private readonly alertsInvalid: Counter<'source'>;
  private readonly refusedTotal: Counter<'source' | 'limit'>;
  private readonly notifications: Counter<'receiver' | 'integration'>;
  private readonly notificationsFailed: Counter<'receiver' | 'integration'>;
  private readonly requests: Counter<'receiver' | 'integration'>;
  private readonly latency: Histogram<'receiver' | 'integration'>;
  private readonly suppressedTotal: Counter<'receiver' | 'reason'>;
  private readonly storms: Counter<'receiver'>;
  private readonly stormAlerts: Counter<'receiver'>;

  constructor(registry: Registry, router: () => RouterGauges | undefined) {
    const registers = [registry];
    this.alertsReceived = new Counter({ name: 'vigil_alerts_received_total', help: 'Alerts that entered the router, by source and status.', labelNames: ['source', 'status'], registers });
    this.alertsInvalid = new Counter({ name: 'vigil_alerts_invalid_total', help: 'Requests refused for a bad body (nothing of them was ingested).', labelNames: ['source'], registers });
    this.refusedTotal = new Counter({
      name: 'vigil_refused_total',
      help: 'Alerts and silences refused because a limit was reached (limit="alerts", "alerts_per_alertname", "alerts_per_request", "silences", "max_request_bytes").',
      labelNames: ['source', 'limit'],
      registers,
    });
    this.notifications = new Counter({ name: 'vigil_notifications_total', help: 'Notifications delivered per receiver and integration.', labelNames: ['receiver', 'integration'], registers });
    this.notificationsFailed = new Counter({
      name: 'vigil_notifications_failed_total',
      help: 'Notifications that failed after their retries.',
      labelNames: ['receiver', 'integration'],
      registers,
    });
    this.requests = new Counter({ name: 'vigil_notification_requests_total', help: 'Attempts made to deliver notifications (retries included).', labelNames: ['receiver', 'integration'], registers });
    this.latency = new Histogram({
      name: 'vigil_notification_latency_seconds',
      help: 'Time to deliver a notification, retries included.',
      labelNames: ['receiver', 'integration'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    });
    this.suppressedTotal = new Counter({
      name: 'vigil_notifications_suppressed_total',
      help: 'Notifications a volume guard held back (reason="rate_limit").',
      labelNames: ['receiver', 'reason'],
      registers,
    });
    this.storms = new Counter({ name: 'vigil_storm_notifications_total', help: 'Notifications sent as one storm summary instead of a list of alerts.', labelNames: ['receiver'], registers });
    this.stormAlerts = new Counter({ name: 'vigil_storm_alerts_collapsed_total', help: 'Alerts summarised by storm notifications.', labelNames: ['receiver'], registers });
    new Gauge({
      name: 'vigil_aggregation_groups',
      help: 'Aggregation groups held by the router.',
      registers,
      collect() {
        this.set(router()?.groupCount ?? 0);
      },
    });
    new Gauge({
      name: 'vigil_router_alerts',
      help: 'Alerts held by the router, by state (active, suppressed by a silence or an inhibition).',
      labelNames: ['state'],
      registers,
      collect() {
        const counts = { active: 0, suppressed: 0 };
        for (const a of router()?.alerts() ?? []) if (a.alert.endsAt > Date.now()) counts[a.status.state === 'suppressed' ? 'suppressed' : 'active']++;
        for (const [state, n] of Object.entries(counts)) this.set({ state }, n);
      },
    });
    new Counter({
      name: 'vigil_flapping_alerts_detected_total',
      help: 'Alerts that started flapping (re-fired after resolving several times within the window).',
      registers,
      collect() {
        this.reset();
        this.inc(router()?.counters.flappingDetected ?? 0);
      },
    });
    new Counter({
      name: 'vigil_flapping_refires_collapsed_total',
      help: 'Re-fires of flapping alerts folded into the flapping notice instead of notified one by one.',
      registers,
      collect() {
        this.reset();
        this.inc(router()?.counters.flappingCollapsed ?? 0);
      },
    });
    new Gauge({
      name: 'vigil_silences',
      help: 'Silences by state.',
      labelNames: ['state'],
      registers,
      collect() {
        const counts = { active: 0, pending: 0, expired: 0 };
        for (const s of router()?.silences.list(Date.now()) ?? []) counts[s.state as keyof typeof counts]++;
        for (const [state, n] of Object.entries(counts)) this.set({ state }, n);
      },
    });
  }

  received(source: AlertSource, status: 'firing' | 'resolved', count = 1): void {
    this.alertsReceived.inc({ source, status }, count);
  }

  /** `limit` may carry its detail after a space (`limits.alerts (100 alerts held)`); the label is its name without `limits.`. */
  refused(source: string, limit: string, n: number): void {
    this.refusedTotal.inc({ source, limit: limit.split(' ')[0].replace(/^(limits|server)\./, '') }, n);
  }

  invalid(source: AlertSource): void {
    this.alertsInvalid.inc({ source });
  }

  delivered(receiver: string, r: IntegrationResult, seconds: number): void {
    const labels = { receiver, integration: r.kind };
    this.requests.inc(labels, r.attempts);
    if (r.ok) this.notifications.inc(labels);
    else this.notificationsFailed.inc(labels);
    this.latency.observe(labels, seconds);
  }

  suppressed(receiver: string, reason: string): void {
    this.suppressedTotal.inc({ receiver, reason });
  }

  stormCollapsed(receiver: string, alerts: number): void {
    this.storms.inc({ receiver });
    this.stormAlerts.inc({ receiver }, alerts);
  }
}
