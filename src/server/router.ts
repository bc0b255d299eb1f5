/**
 * The router at run time: alerts in (evaluator, API v2, Alertmanager webhooks), the dispatcher's
 * timers on the wall clock, the mute stage (silences, inhibition), the volume guards, delivery
 * through the notifiers, and the notification log in the Store. The logic lives in src/route;
 * this file only drives it.
 */
import type { Logger } from 'pino';
import type { Receiver } from '../config/index.js';
import type { Delivery, IntegrationResult } from '../notify/index.js';
import {
  Dispatcher,
  InhibitIndex,
  RateLimiter,
  groupKey,
  groupLabels,
  isStorm,
  matchRoutes,
  mergeAlert,
  type InhibitRule,
  type Notification,
  type NotificationLogEntry,
  type Route,
  type RoutedAlert,
  type Silences,
} from '../route/index.js';
import { alertEvent, type AlertEvent, type NotificationRecord, type Store } from '../store/index.js';
import type { AlertSource, AlertStatus, RouterPort } from './ports.js';
import type { RouterMetrics } from './router-metrics.js';

/** What the router is configured with; a reload swaps it whole. */
export interface RoutingConfig {
  route: Route;
  receivers: Receiver[];
  inhibitRules: InhibitRule[];
  flapping?: { minRefires: number; windowMs: number };
}

export type DeliverFn = (receiver: Receiver, delivery: Delivery, deadline: number) => Promise<IntegrationResult[]>;

export interface RouterOptions {
  config: RoutingConfig;
  silences: Silences;
  store?: Pick<Store, 'saveNotificationLogEntry' | 'loadNotificationLog' | 'recordAlertEvents' | 'recordNotification' | 'deleteHistoryBefore'>;
  /** Alert events and notification records older than this are dropped (history.retention). */
  historyRetentionMs?: number;
  /** Signed actionable/noise links for a notification, carried by Slack messages and tickets. */
  feedbackLinks?: (n: Notification) => { actionable: string; noise: string } | undefined;
  deliver: DeliverFn;
  externalURL: string;
  resolveTimeoutMs: number;
  logger: Logger;
  metrics?: RouterMetrics;
  now?: () => number;
}

/** How long a resolved alert no group holds any more is kept for the API (Alertmanager's GC runs every 30m). */
const RESOLVED_ALERT_RETENTION_MS = 30 * 60_000;
/** setTimeout takes at most a signed 32-bit delay. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export class Router implements RouterPort {
  readonly silences: Silences;
  readonly resolveTimeoutMs: number;
  private config: RoutingConfig;
  private dispatcher: Dispatcher;
  private receiversByName = new Map<string, Receiver>();
  private rateLimiters = new Map<string, RateLimiter>();
  private readonly alertsByFp = new Map<string, RoutedAlert>();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly opts: RouterOptions;
  private readonly now: () => number;
  private timer: NodeJS.Timeout | undefined;
  private timerAt: number | undefined;
  private stopped = false;
  private lastGcAt = 0;
  private lastRetentionAt = 0;
  /** Alerts the history knows as firing, by fingerprint → episode start; to write each transition once. */
  private readonly firingEpisodes = new Map<string, number>();
  /** Firing alerts muted at the last flush that looked at them, by fingerprint → why; to write each muting once. */
  private readonly mutedWhy = new Map<string, string>();
  /** History events of the current receive or tick, written in one transaction at its end. */
  private pendingEvents: AlertEvent[] = [];

  constructor(opts: RouterOptions) {
    this.opts = opts;
    this.silences = opts.silences;
    this.resolveTimeoutMs = opts.resolveTimeoutMs;
    this.now = opts.now ?? Date.now;
    this.config = opts.config;
    this.indexReceivers(opts.config);
    this.dispatcher = this.newDispatcher(opts.config, opts.store?.loadNotificationLog(this.now()) ?? []);
  }

  receive(alerts: RoutedAlert[], source: AlertSource): void {
    if (this.stopped) return;
    const now = this.now();
    for (const alert of alerts) {
      const held = this.alertsByFp.get(alert.fingerprint);
      const merged = held ? mergeAlert(held, alert, now) : alert;
      this.alertsByFp.set(alert.fingerprint, merged);
      this.track(merged, now, source);
      this.dispatcher.insert(alert, now);
      this.opts.metrics?.received(source, alert.endsAt > now ? 'firing' : 'resolved');
    }
    this.writeEvents();
    this.schedule();
  }

  rejected(source: AlertSource): void {
    this.opts.metrics?.invalid(source);
  }

  /** The alerts held, without their status (which costs a silence and inhibition check each). */
  heldAlerts(): RoutedAlert[] {
    return [...this.alertsByFp.values()];
  }

  alerts(): { alert: RoutedAlert; status: AlertStatus; receivers: string[] }[] {
    const now = this.now();
    const inhibit = new InhibitIndex(this.config.inhibitRules, this.alertsByFp.values(), now);
    const out: { alert: RoutedAlert; status: AlertStatus; receivers: string[] }[] = [];
    for (const alert of this.alertsByFp.values()) {
      const silencedBy = this.silences.mutes(alert.labels, now);
      const inhibition = inhibit.inhibits(alert.labels);
      const inhibitedBy = inhibition ? [inhibition.source.fingerprint] : [];
      const receivers = [...new Set(matchRoutes(this.config.route, alert.labels).map((r) => r.options.receiver))];
      const state = silencedBy.length || inhibitedBy.length ? 'suppressed' : 'active';
      out.push({ alert, status: { state, silencedBy, inhibitedBy }, receivers });
    }
    return out;
  }

  /** The alerts of the first aggregation group whose key passes `match` (a PagerDuty dedup_key names a group). */
  groupAlerts(match: (groupKey: string) => boolean): RoutedAlert[] | undefined {
    return this.dispatcher.groups().find((g) => match(g.key))?.alerts();
  }

  /** Aggregation groups held now, for /metrics. */
  get groupCount(): number {
    return this.dispatcher.groups().length;
  }

  get counters() {
    return this.dispatcher.counters;
  }

  /**
   * Swaps in a new routing config, as Alertmanager does on reload: fresh groups, the alerts
   * re-inserted, the notification log kept — so nothing already notified is notified again.
   */
  reload(config: RoutingConfig): void {
    const log = this.dispatcher.notificationLog();
    this.config = config;
    this.indexReceivers(config);
    this.dispatcher = this.newDispatcher(config, log);
    const now = this.now();
    for (const alert of this.alertsByFp.values()) this.dispatcher.insert(alert, now);
    this.schedule();
  }

  /** Stops the timers and waits for the deliveries under way (each is bounded by its deadline). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await Promise.allSettled([...this.inFlight]);
  }

  private indexReceivers(config: RoutingConfig): void {
    this.receiversByName = new Map(config.receivers.map((r) => [r.name, r]));
    const limiters = new Map<string, RateLimiter>();
    for (const r of config.receivers) {
      if (!r.rateLimit) continue;
      const held = this.rateLimiters.get(r.name);
      // a reload that keeps the limit keeps its window: a reload must not reset the page budget
      const same = held && held.options.max === r.rateLimit.max && held.options.perMs === r.rateLimit.perMs;
      limiters.set(r.name, same ? held : new RateLimiter(r.rateLimit));
    }
    this.rateLimiters = limiters;
  }

  private newDispatcher(config: RoutingConfig, log: Iterable<NotificationLogEntry>): Dispatcher {
    const route = config.route;
    return new Dispatcher(
      {
        routes: (labels) => matchRoutes(route, labels),
        groupLabels: (r, labels) => groupLabels(r, labels),
        groupKey: (r, labels) => groupKey(r, labels),
      },
      {
        sendResolved: (name) => {
          const r = this.receiversByName.get(name);
          if (!r) return true;
          // tickets and annotation regions always need to hear that a group resolved
          if (r.ticket.length > 0 || r.grafana.length > 0) return true;
          const all = [...r.pagerduty, ...r.slack, ...r.webhook];
          return all.length === 0 || all.some((i) => i.sendResolved);
        },
        flapping: config.flapping ?? false,
        notificationLog: log,
        onNotificationLog: (entry) => {
          try {
            this.opts.store?.saveNotificationLogEntry(entry);
          } catch (err) {
            this.opts.logger.error({ err: (err as Error).message, group: entry.groupKey }, 'could not persist the notification log');
          }
        },
      },
    );
  }

  private schedule(): void {
    if (this.stopped) return;
    const next = this.dispatcher.nextWakeAt();
    if (next === undefined) return;
    if (this.timer && this.timerAt !== undefined && this.timerAt <= next) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = next;
    this.timer = setTimeout(() => this.tick(), Math.min(Math.max(0, next - this.now()), MAX_TIMER_MS));
  }

  private tick(): void {
    this.timer = undefined;
    this.timerAt = undefined;
    if (this.stopped) return;
    const now = this.now();
    for (const fp of [...this.firingEpisodes.keys()]) {
      const alert = this.alertsByFp.get(fp);
      if (alert) this.track(alert, now, 'router'); // resolved by resolve_timeout: nobody re-sent it
    }
    const inhibit = new InhibitIndex(this.config.inhibitRules, this.alertsByFp.values(), now);
    const mute = (alert: RoutedAlert) => {
      const silencedBy = this.silences.mutes(alert.labels, now);
      const inhibition = silencedBy.length ? undefined : inhibit.inhibits(alert.labels);
      const why = silencedBy.length ? `silenced:${silencedBy.join(',')}` : inhibition ? `inhibited:${inhibition.source.fingerprint}` : undefined;
      if (alert.endsAt > now && why !== this.mutedWhy.get(alert.fingerprint)) {
        if (why === undefined) this.mutedWhy.delete(alert.fingerprint);
        else {
          this.mutedWhy.set(alert.fingerprint, why);
          if (silencedBy.length) this.event(alert, now, 'silenced', 'router', { silencedBy });
          else this.event(alert, now, 'inhibited', 'router', { inhibitedBy: [inhibition!.source.fingerprint], rule: inhibition!.rule.name ?? inhibition!.ruleIndex });
        }
      }
      return why !== undefined;
    };
    const dispatcher = this.dispatcher;
    for (const n of dispatcher.flush(now, mute)) {
      const p = this.send(dispatcher, n).finally(() => this.inFlight.delete(p));
      this.inFlight.add(p);
    }
    this.writeEvents();
    this.gc(now);
    this.schedule();
  }

  private async send(dispatcher: Dispatcher, n: Notification): Promise<void> {
    const log = this.opts.logger.child({ receiver: n.receiver, group: n.groupLabels, reason: n.reason });
    const receiver = this.receiversByName.get(n.receiver);
    if (!receiver) {
      dispatcher.ack(n, 'failure'); // the receiver went away in a reload; the next tick routes anew
      return;
    }
    const delivery: Delivery = { notification: n, externalURL: this.opts.externalURL };
    // only Slack messages and tickets carry the links
    const carriesLinks = receiver.slack.length > 0 || receiver.ticket.length > 0;
    const feedback = n.firing.length > 0 && carriesLinks ? this.opts.feedbackLinks?.(n) : undefined;
    if (feedback) delivery.feedback = feedback;
    const limiter = this.rateLimiters.get(receiver.name);
    let admittedAt: number | undefined;
    if (limiter && n.firing.length > 0) {
      const now = this.now();
      const decision = limiter.admit(now);
      if (!decision.allowed) {
        dispatcher.ack(n, 'suppressed');
        this.recordNotification(n, { kind: 'receiver', index: 0, ok: false, attempts: 0, error: 'held back by the rate limit' }, 'suppressed');
        this.opts.metrics?.suppressed(receiver.name, 'rate_limit');
        log.warn({ suppressed: decision.suppressed, resumesAt: new Date(decision.resumesAt).toISOString() }, 'notification held back by the rate limit');
        this.schedule();
        return;
      }
      admittedAt = now;
      if (decision.remaining === 0 || decision.suppressed > 0) {
        delivery.rateLimit = { max: limiter.options.max, perMs: limiter.options.perMs, ...decision };
      }
    }
    const alerts = n.firing.length + n.resolved.length;
    if (isStorm(alerts, receiver.stormThreshold)) {
      delivery.storm = { threshold: receiver.stormThreshold as number, alerts };
      this.opts.metrics?.stormCollapsed(receiver.name, alerts);
    }
    const started = this.now();
    let results: IntegrationResult[];
    try {
      results = await this.opts.deliver(receiver, delivery, n.deadline);
    } catch (err) {
      results = [{ kind: 'receiver', index: 0, ok: false, attempts: 0, error: (err as Error).message }];
    }
    const ok = results.every((r) => r.ok);
    if (!ok && admittedAt !== undefined) limiter?.refund(admittedAt);
    for (const r of results) {
      this.opts.metrics?.delivered(receiver.name, r, (this.now() - started) / 1000);
      this.recordNotification(n, r, r.ok ? 'success' : 'failure');
    }
    dispatcher.ack(n, ok ? 'success' : 'failure');
    const fields = { firing: n.firing.length, resolved: n.resolved.length, new: n.changes.new.length, storm: delivery.storm !== undefined };
    if (ok) log.info({ ...fields, integrations: results.length }, 'notified');
    else log.warn({ ...fields, failed: results.filter((r) => !r.ok) }, 'notification failed; the next group_interval retries');
    if (dispatcher === this.dispatcher) this.schedule();
  }

  /** Writes an alert's firing and resolved transitions to the history, once each. */
  private track(alert: RoutedAlert, now: number, source: string): void {
    const episode = this.firingEpisodes.get(alert.fingerprint);
    const firing = alert.endsAt > now;
    if (firing && episode === undefined) {
      this.firingEpisodes.set(alert.fingerprint, alert.startsAt);
      this.event(alert, now, 'firing', source);
    } else if (!firing && episode !== undefined) {
      this.firingEpisodes.delete(alert.fingerprint);
      this.mutedWhy.delete(alert.fingerprint);
      this.event({ ...alert, startsAt: episode }, Math.min(now, alert.endsAt), 'resolved', source);
    }
  }

  private event(alert: RoutedAlert, at: number, kind: AlertEvent['kind'], source: string, detail?: Record<string, unknown>): void {
    if (!this.opts.store) return;
    this.pendingEvents.push(alertEvent(alert, at, kind, source, detail));
  }

  private writeEvents(): void {
    if (this.pendingEvents.length === 0) return;
    const events = this.pendingEvents;
    this.pendingEvents = [];
    try {
      this.opts.store?.recordAlertEvents(events);
    } catch (err) {
      this.opts.logger.error({ err: (err as Error).message, events: events.length }, 'could not write the alert history');
    }
  }

  private recordNotification(n: Notification, r: IntegrationResult, outcome: NotificationRecord['outcome']): void {
    if (!this.opts.store) return;
    try {
      this.opts.store.recordNotification({
        at: this.now(),
        receiver: n.receiver,
        integration: r.kind,
        groupKey: n.groupKey,
        groupLabels: n.groupLabels,
        reason: n.reason,
        firing: n.firing.map((a) => a.fingerprint),
        resolved: n.resolved.map((a) => a.fingerprint),
        outcome,
        attempts: r.attempts,
        ...(r.error ? { error: r.error } : {}),
      });
    } catch (err) {
      this.opts.logger.error({ err: (err as Error).message }, 'could not write the notification history');
    }
  }

  /** Forgets resolved alerts that no group holds any more, and silences expired beyond their retention. */
  private gc(now: number): void {
    if (this.opts.historyRetentionMs !== undefined && now - this.lastRetentionAt >= 3_600_000) {
      this.lastRetentionAt = now;
      try {
        this.opts.store?.deleteHistoryBefore(now - this.opts.historyRetentionMs);
      } catch (err) {
        this.opts.logger.error({ err: (err as Error).message }, 'could not apply the history retention');
      }
    }
    if (now - this.lastGcAt < 60_000) return;
    this.lastGcAt = now;
    this.silences.gc(now);
    const held = new Set<string>();
    for (const g of this.dispatcher.groups()) for (const a of g.alerts()) held.add(a.fingerprint);
    for (const [fp, alert] of this.alertsByFp) {
      if (alert.endsAt <= now - RESOLVED_ALERT_RETENTION_MS && !held.has(fp)) this.alertsByFp.delete(fp);
    }
  }
}
