/**
 * The router at run time: alerts in (evaluator, API v2, Alertmanager webhooks), the dispatcher's
 * aggregation-group timers on the wall clock, and the notify pipeline the composition root built:
 * group stages (mute, time intervals) → the group's dedup decision → delivery stages (volume
 * guards, feedback links) → fan-out per integration (dedup → retry → log). It also keeps the
 * alert history and the notified alerts, so that a restart still sends their resolve.
 */
import type { Logger } from 'pino';
import type { Receiver } from '../config/index.js';
import { TimeHeap } from '../heap/index.js';
import { fanOut, type Integration, type IntegrationResult, type IntegrationStage } from '../notify/index.js';
import {
  Dispatcher,
  type AggregationGroup,
  InhibitIndex,
  groupKey,
  groupLabels,
  matchRoutes,
  mergeAlert,
  runDeliveryStages,
  runGroupStages,
  type Delivery,
  type DeliveryStage,
  type GroupFlush,
  type GroupStage,
  type InhibitRule,
  type Muting,
  type Notification,
  type NotificationLogEntry,
  type Route,
  type RoutedAlert,
  type Silences,
  type TimeIntervals,
} from '../route/index.js';
import { alertEvent, type AlertEvent, type NotificationRecord } from '../store/index.js';
import { TurnPacer } from './pacer.js';

/** What the router is configured with; a reload swaps it whole. */
export interface RoutingConfig {
  route: Route;
  receivers: Receiver[];
  inhibitRules: InhibitRule[];
  /** `time_intervals` by name (the time-interval stage reads them). */
  timeIntervals?: TimeIntervals;
  flapping?: { minRefires: number; windowMs: number };
}

/** The notify pipeline, as the composition root builds it from the config. */
export interface NotifyPipeline {
  /** Run on a group's alerts at each flush, before the group decides (mute, time intervals). */
  group: GroupStage[];
  /** Run on a notification the group decided to send (rate limit, storm, feedback links). */
  delivery: DeliveryStage[];
  /** The integrations a receiver fans out to. */
  integrations(receiver: string): readonly Integration[];
  /** Run per integration (dedup → retry → log). */
  integration: IntegrationStage[];
}

/** The store port of the runtime: the receiver-level notification log, the history, and the notified alerts. */
export interface RouterStore {
  saveNotificationLogEntry(entry: NotificationLogEntry): void;
  loadNotificationLog(now: number): Promise<NotificationLogEntry[]>;
  recordAlertEvents(events: readonly AlertEvent[]): void;
  /** Many at once, in one transaction. */
  recordNotifications(records: readonly NotificationRecord[]): void;
  deleteHistoryBefore(t: number): void;
  /** Upserts alerts a receiver was notified of, with their current endsAt. */
  saveNotifiedAlerts(alerts: readonly RoutedAlert[]): void;
  deleteNotifiedAlerts(fingerprints: readonly string[]): void;
  loadNotifiedAlerts(): Promise<RoutedAlert[]>;
}

/** What /metrics counts of the runtime (server's RouterMetrics). */
export interface RouterObserver {
  received(source: string, status: 'firing' | 'resolved', count?: number): void;
  /** New alerts refused because a limit was reached (`limit` names it, e.g. `limits.alerts`). */
  refused(source: string, limit: string, alerts: number): void;
  invalid(source: string): void;
  delivered(receiver: string, r: IntegrationResult, seconds: number): void;
  suppressed(receiver: string, reason: string): void;
}

/** Bounds on the alerts held; 0 turns one off. A re-sent alert that is held already always gets in. */
export interface AlertLimits {
  alerts: number;
  alertsPerAlertname: number;
}

/** What became of a receive: alerts refused because a limit was reached, and which one. */
export interface ReceiveResult {
  refused: number;
  limit?: string;
}

export interface RouterOptions {
  config: RoutingConfig;
  limits?: AlertLimits;
  pipeline: NotifyPipeline;
  silences: Silences;
  store?: RouterStore;
  /** Alert events and notification records older than this are dropped (history.retention). */
  historyRetentionMs?: number;
  externalURL: string;
  resolveTimeoutMs: number;
  logger: Logger;
  metrics?: RouterObserver;
  /** Housekeeping run at most once a minute from the tick (e.g. pruning the integration log). */
  onGc?: (now: number, heldGroup: (groupKey: string) => boolean) => void;
  now?: () => number;
}

export type AlertStatus = { state: 'active' | 'suppressed' | 'unprocessed'; silencedBy: string[]; inhibitedBy: string[] };

/** How long a resolved alert no group holds any more is kept for the API (Alertmanager's GC runs every 30m). */
const RESOLVED_ALERT_RETENTION_MS = 30 * 60_000;
/** How long a restored alert that ended during the downtime waits for its source to re-send (Prometheus' default resend delay). */
const RESTORE_GRACE_MS = 60_000;
/** How long one turn of the event loop flushes groups before it yields. */
const TICK_BUDGET_MS = 10;
/**
 * How long a turn of the event loop may take during a flush pass, the sends it starts included: at 10,000 groups,
 * 5 ms let POSTs in at 3.6× the rate of 20 ms, and 2 ms cost more in per-turn overhead than it gave (bench/README.md).
 */
const LOOP_TURN_TARGET_MS = 5;
/** Least time between two ticks. */
const MIN_TICK_GAP_MS = 10;
/** How long history events wait to be written together. */
const HISTORY_WRITE_DELAY_MS = 100;
/**
 * While alerts keep arriving, the history waits for a pause of this long between receives: its
 * commits were a fifth of the event loop's work in a burst (bench/README.md, "The history waits for a pause").
 * It also waits while a flush pass or its sends are under way: written in the middle of 10,000 groups'
 * notifications, it delayed the last of them (bench/README.md, "a history that yields to the wave").
 */
const HISTORY_PAUSE_MS = 20;
/** ...but no event waits longer than this (a wave of 10,000 groups takes 2–4 s), and no more rows than HISTORY_MAX_PENDING. */
const HISTORY_MAX_DELAY_MS = 5_000;
const HISTORY_MAX_PENDING = 50_000;
/** History rows written per turn of the event loop. */
const HISTORY_WRITE_CHUNK = 2_000;
/** How often re-sent notified alerts' endsAt is persisted. */
const NOTIFIED_WRITE_EVERY_MS = 5_000;
/** How often the housekeeping walks every alert held (expired log entries, flapping history, forgotten alerts). */
const GC_EVERY_MS = 60_000;
/** How often the history retention deletes old rows. */
const RETENTION_EVERY_MS = 3_600_000;
/** setTimeout takes at most a signed 32-bit delay. */
const MAX_TIMER_MS = 2 ** 31 - 1;

const mutingWhy = (m: Muting | undefined) => (m === undefined ? undefined : m.by === 'silence' ? `silenced:${m.silencedBy.join(',')}` : `inhibited:${m.inhibitedBy}`);

export class Router {
  readonly silences: Silences;
  readonly resolveTimeoutMs: number;
  private config: RoutingConfig;
  private pipeline: NotifyPipeline;
  private dispatcher: Dispatcher;
  private receiversByName = new Map<string, Receiver>();
  private readonly alertsByFp = new Map<string, RoutedAlert>();
  /** The held alerts of each rule group, by fingerprint (evaluated alerts only). */
  private readonly byRuleGroup = new Map<string, Set<string>>();
  /** Alerts held per alertname, for limits.alerts_per_alertname. */
  private readonly heldPerName = new Map<string, number>();
  private limits: AlertLimits;
  /** Bumped whenever the held alerts change, so the mute stage rebuilds its inhibition index only then. */
  private revision = 0;
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
  /**
   * Fingerprints of firing episodes by their alert's endsAt: the ones resolve_timeout ends are found without
   * a walk over every alert. No object per episode: an entry is checked against the alert when it comes up.
   */
  private readonly episodeEnds = new TimeHeap<string>();
  /** Firing alerts muted at the last flush that looked at them, by fingerprint → why; to write each muting once. */
  private readonly mutedWhy = new Map<string, string>();
  /** History events of the current receive or tick, written in one transaction at its end. */
  private pendingEvents: AlertEvent[] = [];
  /** Notification records, written with the events. */
  private pendingRecords: NotificationRecord[] = [];
  /** Alerts some receiver was notified of (persisted): their resolve must survive a restart. */
  private readonly notified = new Set<string>();
  private readonly notifiedDirty = new Set<string>();
  private lastNotifiedWriteAt = 0;
  private historyTimer: NodeJS.Timeout | undefined;
  /** performance.now() of the last receive, and of the oldest history event not yet written. */
  private lastReceiveAt = -Infinity;
  private pendingSince = 0;
  private lastTickAt = -Infinity;
  /** A flush pass is going over its due groups, a budget a turn; the next pass starts when it ends. */
  private passUnderWay = false;
  /** Sizes a pass's turns by the sends they start (learned across passes). */
  private readonly pacer = new TurnPacer(LOOP_TURN_TARGET_MS);

  /** A router that starts from what its store kept: the notification log and the notified alerts (their resolve is still sent). */
  static async open(opts: RouterOptions): Promise<Router> {
    const store = opts.store;
    if (!store) return new Router(opts);
    const log = await store.loadNotificationLog((opts.now ?? Date.now)());
    let notified: RoutedAlert[] = [];
    try {
      notified = await store.loadNotifiedAlerts();
    } catch (err) {
      opts.logger.error({ err: (err as Error).message }, 'could not read the notified alerts');
    }
    return new Router(opts, { log, notified });
  }

  /** A router with nothing restored; `Router.open` reads the store first. */
  constructor(opts: RouterOptions, restored: { log: NotificationLogEntry[]; notified: RoutedAlert[] } = { log: [], notified: [] }) {
    this.opts = opts;
    this.silences = opts.silences;
    this.resolveTimeoutMs = opts.resolveTimeoutMs;
    this.now = opts.now ?? Date.now;
    // the first housekeeping a minute after start, not in the first flush (where it delayed the first notifications)
    const started = this.now();
    this.lastGcAt = started;
    this.lastRetentionAt = started - RETENTION_EVERY_MS + GC_EVERY_MS;
    this.config = opts.config;
    this.pipeline = opts.pipeline;
    this.limits = opts.limits ?? { alerts: 0, alertsPerAlertname: 0 };
    this.receiversByName = new Map(opts.config.receivers.map((r) => [r.name, r]));
    this.dispatcher = this.newDispatcher(opts.config, restored.log);
    this.restoreNotified(restored.notified);
  }

  /** The held alerts as the mute stage reads them (inhibition sources). */
  readonly held = {
    alerts: (): Iterable<RoutedAlert> => this.alertsByFp.values(),
    revision: (): number => this.revision,
  };

  /** Takes alerts in; new ones past a limit are refused (the held ones are kept, a re-send of a held one always gets in). */
  receive(alerts: RoutedAlert[], source: string): ReceiveResult {
    const admitted = this.admit(alerts, source);
    admitted.commit();
    return admitted;
  }

  /**
   * The alerts of one evaluation of a rule group (here, or followed from another replica): the whole
   * group. A held alert of the group that is missing from it ended where this router did not see it
   * (another replica evaluated the group and told its resolve, or a new episode began before this
   * replica read the group again): it resolves now, so that its next episode is notified as new
   * rather than merged into the old one.
   */
  receiveEvaluated(ruleGroup: string, alerts: RoutedAlert[]): ReceiveResult {
    const held = this.byRuleGroup.get(ruleGroup);
    if (!held || held.size === 0) return this.receive(alerts, 'evaluator');
    const now = this.now();
    const present = new Set(alerts.map((a) => a.fingerprint));
    const ended: RoutedAlert[] = [];
    for (const fp of held) {
      const alert = this.alertsByFp.get(fp);
      if (!present.has(fp) && alert && alert.endsAt > now) ended.push({ ...alert, endsAt: now, updatedAt: now });
    }
    return this.receive(ended.length ? [...alerts, ...ended] : alerts, 'evaluator');
  }

  /**
   * The first half of `receive`: which alerts a limit refuses, decided now; `commit()` then takes the
   * others in and must be called in the same turn of the event loop. An HTTP handler answers in
   * between, as Alertmanager answers once alerts are stored and routes them after: the poster
   * prepares its next request while the dispatcher works.
   */
  admit(alerts: RoutedAlert[], source: string): ReceiveResult & { commit(): void } {
    let refused = 0;
    let limit: string | undefined;
    let taken = alerts;
    if (!this.stopped && (this.limits.alerts > 0 || this.limits.alertsPerAlertname > 0)) {
      taken = [];
      // new alerts admitted by this batch count against the limits before they are held
      const fresh = new Set<string>();
      const freshPerName = new Map<string, number>();
      for (const alert of alerts) {
        if (!this.alertsByFp.has(alert.fingerprint) && !fresh.has(alert.fingerprint)) {
          const why = this.admits(alert, fresh.size, freshPerName.get(alert.labels.alertname ?? '') ?? 0);
          if (why) {
            refused++;
            limit = why;
            continue;
          }
          fresh.add(alert.fingerprint);
          freshPerName.set(alert.labels.alertname ?? '', (freshPerName.get(alert.labels.alertname ?? '') ?? 0) + 1);
        }
        taken.push(alert);
      }
    }
    let committed = false;
    const commit = () => {
      if (committed || this.stopped) return;
      committed = true;
      this.take(taken, source);
      if (refused && limit) this.opts.metrics?.refused(source, limit, refused);
    };
    return limit ? { refused, limit, commit } : { refused, commit };
  }

  /** Holds admitted alerts, routes them into their groups, and notes their history. */
  private take(alerts: RoutedAlert[], source: string): void {
    const now = this.now();
    this.lastReceiveAt = performance.now();
    let wake: number | undefined;
    let firing = 0;
    let resolved = 0;
    let resolvedNotified = false;
    for (const alert of alerts) {
      const held = this.alertsByFp.get(alert.fingerprint);
      if (!held) this.countHeld(alert, 1);
      const merged = held ? mergeAlert(held, alert, now) : alert;
      this.alertsByFp.set(alert.fingerprint, merged);
      if (merged.ruleGroup !== held?.ruleGroup) this.indexRuleGroup(alert.fingerprint, held?.ruleGroup, merged.ruleGroup);
      // an endsAt moved earlier, still ahead: queued at it too (a later one is seen when the entry comes up)
      if (held && merged.endsAt < held.endsAt && merged.endsAt > now && this.firingEpisodes.has(alert.fingerprint)) this.episodeEnds.push(merged.endsAt, alert.fingerprint);
      if (this.notified.has(alert.fingerprint)) {
        this.notifiedDirty.add(alert.fingerprint);
        // a resolve is written at once, not with the lazy refreshes: a replica (re)starting from the store must not see it firing
        if (held && held.endsAt > now && merged.endsAt <= now) resolvedNotified = true;
      }
      this.track(merged, now, source);
      for (const g of this.dispatcher.insert(alert, now)) {
        const t = g.nextFlushAt();
        if (t !== undefined && (wake === undefined || t < wake)) wake = t;
      }
      if (alert.endsAt > now) firing++;
      else resolved++;
    }
    // counted once per batch: a labelled counter costs more than the rest of an alert's receive
    if (firing) this.opts.metrics?.received(source, 'firing', firing);
    if (resolved) this.opts.metrics?.received(source, 'resolved', resolved);
    this.revision++;
    this.writeEvents();
    if (resolvedNotified) this.writeNotified(true);
    if (wake !== undefined) this.wakeAt(wake); // only the touched groups can want an earlier tick
  }

  /** New limits (a reload); alerts held beyond them are kept, new ones wait until there is room. */
  setLimits(limits: AlertLimits): void {
    this.limits = limits;
  }

  /** The limit a new alert would break, or undefined; `fresh` new alerts (`freshNamed` of its name) are admitted ahead of it. */
  private admits(alert: RoutedAlert, fresh: number, freshNamed: number): string | undefined {
    if (this.limits.alerts > 0 && this.alertsByFp.size + fresh >= this.limits.alerts) return `limits.alerts (${this.limits.alerts} alerts held)`;
    const perName = this.limits.alertsPerAlertname;
    if (perName > 0 && (this.heldPerName.get(alert.labels.alertname ?? '') ?? 0) + freshNamed >= perName) {
      return `limits.alerts_per_alertname (${perName} alerts named ${JSON.stringify(alert.labels.alertname ?? '')} held)`;
    }
    return undefined;
  }

  /** Moves a held alert from one rule group's index to another's (either undefined: none). */
  private indexRuleGroup(fp: string, from: string | undefined, to: string | undefined): void {
    if (from !== undefined) {
      const set = this.byRuleGroup.get(from);
      set?.delete(fp);
      if (set?.size === 0) this.byRuleGroup.delete(from);
    }
    if (to !== undefined) {
      let set = this.byRuleGroup.get(to);
      if (!set) this.byRuleGroup.set(to, (set = new Set()));
      set.add(fp);
    }
  }

  private countHeld(alert: RoutedAlert, delta: 1 | -1): void {
    const name = alert.labels.alertname ?? '';
    const n = (this.heldPerName.get(name) ?? 0) + delta;
    if (n > 0) this.heldPerName.set(name, n);
    else this.heldPerName.delete(name);
  }

  /** Counts what a limit outside the router refused (a too-large request, a silence), for /metrics. */
  refused(source: string, limit: string, n: number): void {
    this.opts.metrics?.refused(source, limit, n);
  }

  rejected(source: string): void {
    this.opts.metrics?.invalid(source);
  }

  /** How many alerts are held now (firing or resolved within retention). */
  get alertCount(): number {
    return this.alertsByFp.size;
  }

  /** Whether an alert with this fingerprint is held (a re-send of it never counts against a limit). */
  holds(fingerprint: string): boolean {
    return this.alertsByFp.has(fingerprint);
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
   * Swaps in a new routing config and pipeline, as Alertmanager does on reload: fresh groups, the
   * alerts re-inserted, the notification logs kept — so nothing already notified is notified again.
   */
  reload(config: RoutingConfig, pipeline: NotifyPipeline): void {
    const log = this.dispatcher.notificationLog();
    this.config = config;
    this.pipeline = pipeline;
    this.receiversByName = new Map(config.receivers.map((r) => [r.name, r]));
    this.dispatcher = this.newDispatcher(config, log);
    const now = this.now();
    for (const alert of this.alertsByFp.values()) this.dispatcher.insert(alert, now);
    this.revision++;
    this.schedule();
  }

  /** Stops the timers and waits for the deliveries under way (each is bounded by its deadline). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await Promise.allSettled([...this.inFlight]);
    this.writeNotified(true);
    this.flushEvents(true);
  }

  /** Alerts notified before a restart come back with their endsAt: one whose source went quiet still resolves. */
  private restoreNotified(alerts: RoutedAlert[]): void {
    const now = this.now();
    for (const a of alerts) {
      const before = this.alertsByFp.get(a.fingerprint);
      if (!before) this.countHeld(a, 1);
      this.alertsByFp.set(a.fingerprint, a);
      if (a.ruleGroup !== before?.ruleGroup) this.indexRuleGroup(a.fingerprint, before?.ruleGroup, a.ruleGroup);
      this.notified.add(a.fingerprint);
      this.startEpisode(a); // the history has its firing already; its resolve is written when it comes
      const groups = this.dispatcher.insert(a, now);
      // its endsAt passed while vigil was down: was the source quiet, or unable to reach us? Give it a resend to tell.
      if (a.endsAt <= now) for (const g of groups) g.holdFirstFlushUntil(now + RESTORE_GRACE_MS);
    }
    if (alerts.length) {
      this.revision++;
      this.opts.logger.info({ alerts: alerts.length }, 'notified alerts restored; their resolve will be sent');
      this.schedule();
    }
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

  /** Sets the timer to the earliest flush of every group (the dispatcher's queue: at the end of a tick, and after a reload). */
  private schedule(): void {
    if (this.stopped) return;
    const next = this.dispatcher.nextWakeAt();
    if (next !== undefined) this.wakeAt(next);
  }

  /**
   * Moves the timer earlier to `next` if needed. Ticks are at least MIN_TICK_GAP_MS apart, so
   * that 10,000 groups created a moment apart are flushed by a few ticks, not one tick each.
   */
  private wakeAt(next: number): void {
    if (this.stopped) return;
    const at = Math.max(next, this.lastTickAt + MIN_TICK_GAP_MS);
    if (this.timer && this.timerAt !== undefined && this.timerAt <= at) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(() => this.tick(), Math.min(Math.max(0, at - this.now()), MAX_TIMER_MS));
  }

  private tick(): void {
    this.timer = undefined;
    this.timerAt = undefined;
    if (this.stopped) return;
    const now = this.now();
    this.lastTickAt = now;
    this.endEpisodesDue(now);
    // groups still waiting in the pass under way are due again now: popping and sorting them every tick fed on itself under load
    if (this.passUnderWay) return;
    this.passUnderWay = true;
    this.flushDue(this.dispatcher.due(now), now, 0);
  }

  /**
   * Flushes the due groups through the pipeline for at most TICK_BUDGET_MS, and starts at most as
   * many sends as the pacer allows, then yields to the event loop and goes on where it stopped:
   * 10,000 groups never hold up ingestion, the responses of the sends already out, or /healthz.
   * `last`: the turn before in this pass, whose whole loop turn sizes this one.
   */
  private flushDue(groups: AggregationGroup[], now: number, from: number, last?: { startedAt: number; sent: number }): void {
    const dispatcher = this.dispatcher;
    const pipeline = this.pipeline;
    const started = performance.now();
    if (last) this.pacer.observe(last.sent, started - last.startedAt);
    const out: Notification[] = [];
    let i = from;
    for (; i < groups.length; i++) {
      if (i > from && (out.length >= this.pacer.limit || performance.now() - started > TICK_BUDGET_MS)) break;
      const g = groups[i];
      // a tick in between may have flushed it already (then it is queued again)
      if (dispatcher.group(g.key) !== g || g.notifying || (g.nextFlushAt() ?? Infinity) > now) {
        dispatcher.requeue(g);
        continue;
      }
      const flushed = runGroupStages(pipeline.group, { groupKey: g.key, route: g.route, receiver: g.receiver, alerts: g.unsortedAlerts(), muted: new Map() }, now);
      if ('stoppedBy' in flushed) {
        dispatcher.postpone(g, now);
        continue;
      }
      this.recordMutings(flushed, now);
      const n = dispatcher.flushGroup(g, now, (a) => flushed.muted.has(a.fingerprint));
      if (n) out.push(n);
    }
    // persisted before any send, in one transaction: a kill -9 right after the page must still find them
    this.markNotified(out);
    for (const n of out) {
      const p = this.send(dispatcher, pipeline, n).finally(() => this.inFlight.delete(p));
      this.inFlight.add(p);
    }
    this.writeEvents();
    if (i < groups.length) {
      setImmediate(() => {
        // each turn flushes at its own time: a group flushed late in a long pass waits its whole group_interval from then
        if (!this.stopped && dispatcher === this.dispatcher) this.flushDue(groups, this.now(), i, { startedAt: started, sent: out.length });
        else this.endPass(); // a reload's groups start a pass of their own
      });
      return;
    }
    this.gc(now);
    this.endPass();
  }

  private endPass(): void {
    this.passUnderWay = false;
    this.schedule();
  }

  /** Writes a firing alert's muting to the history once, when it starts or changes. */
  private recordMutings(flush: GroupFlush, now: number): void {
    for (const alert of flush.alerts) {
      if (alert.endsAt <= now) continue;
      const muting = flush.muted.get(alert.fingerprint);
      const why = mutingWhy(muting);
      if (why === this.mutedWhy.get(alert.fingerprint)) continue;
      if (why === undefined || muting === undefined) {
        this.mutedWhy.delete(alert.fingerprint);
        continue;
      }
      this.mutedWhy.set(alert.fingerprint, why);
      if (muting.by === 'silence') this.event(alert, now, 'silenced', 'router', { silencedBy: muting.silencedBy });
      else this.event(alert, now, 'inhibited', 'router', { inhibitedBy: [muting.inhibitedBy], rule: muting.rule });
    }
  }

  private async send(dispatcher: Dispatcher, pipeline: NotifyPipeline, n: Notification): Promise<void> {
    if (!this.receiversByName.has(n.receiver)) {
      dispatcher.ack(n, 'failure'); // the receiver went away in a reload; the next tick routes anew
      return;
    }
    const guarded = await runDeliveryStages(pipeline.delivery, { notification: n, externalURL: this.opts.externalURL }, this.now());
    if ('stoppedBy' in guarded) {
      dispatcher.ack(n, 'suppressed');
      this.recordNotification(n, { kind: 'receiver', index: 0, ok: false, attempts: 0, error: `held back by the ${guarded.stoppedBy.replace('_', ' ')}` }, 'suppressed');
      this.opts.metrics?.suppressed(n.receiver, guarded.stoppedBy);
      this.wakeForGroup(dispatcher, n.groupKey);
      return;
    }
    const started = this.now();
    const outcomes = await fanOut(pipeline.integrations(n.receiver), guarded, pipeline.integration, this.now);
    const results = outcomes.flatMap((o) => (o.result ? [o.result] : []));
    const ok = results.every((r) => r.ok);
    if (!ok) guarded.refund?.();
    for (const r of results) {
      this.opts.metrics?.delivered(n.receiver, r, (this.now() - started) / 1000);
      this.recordNotification(n, r, r.ok ? 'success' : 'failure');
    }
    dispatcher.ack(n, ok ? 'success' : 'failure');
    this.logSend(n, guarded, outcomes.length, results, ok);
    this.wakeForGroup(dispatcher, n.groupKey);
  }

  private logSend(n: Notification, guarded: Delivery, integrations: number, results: IntegrationResult[], ok: boolean): void {
    const log = this.opts.logger;
    if (!log.isLevelEnabled(ok ? 'info' : 'warn')) return; // the fields of a line nobody logs were a tenth of a send's garbage at 10,000 groups
    const fields = { firing: n.firing.length, resolved: n.resolved.length, new: n.changes.new.length, storm: guarded.storm !== undefined };
    const deduped = integrations - results.length;
    // a child logger's fields, without a child: pino serializes a child's bindings when it is made, even at a level that logs nothing
    const about = { receiver: n.receiver, group: n.groupLabels, reason: n.reason };
    if (ok) log.info({ ...about, ...fields, integrations: results.length, deduped }, results.length ? 'notified' : 'nothing new for any integration');
    else log.warn({ ...about, ...fields, failed: results.filter((r) => !r.ok) }, 'notification failed; the failed integrations retry at the next group_interval');
  }

  /** After one group's ack only its own next flush can be earlier than the timer: no scan of every group per notification. */
  private wakeForGroup(dispatcher: Dispatcher, groupKey: string): void {
    if (dispatcher !== this.dispatcher) return;
    const t = dispatcher.group(groupKey)?.nextFlushAt();
    if (t !== undefined) this.wakeAt(t);
  }

  /**
   * Remembers (and persists at once) the firing alerts about to be notified for the first time,
   * with their endsAt. Before the send: one that then fails is restored harmlessly (nobody was told).
   */
  private markNotified(notifications: Notification[]): void {
    const fresh: RoutedAlert[] = [];
    for (const n of notifications) {
      for (const a of n.firing) {
        if (this.notified.has(a.fingerprint)) continue;
        this.notified.add(a.fingerprint);
        const held = this.alertsByFp.get(a.fingerprint);
        if (held) fresh.push(held);
      }
    }
    this.saveNotified(fresh);
  }

  /** Re-sent notified alerts' newer endsAt, written at most every few seconds: a restart sees them at most that stale (and gives them a resend's grace). */
  private writeNotified(force = false): void {
    if (this.notifiedDirty.size === 0 || !this.opts.store) return;
    const now = this.now();
    if (!force && now - this.lastNotifiedWriteAt < NOTIFIED_WRITE_EVERY_MS) return;
    this.lastNotifiedWriteAt = now;
    const alerts: RoutedAlert[] = [];
    for (const fp of this.notifiedDirty) {
      const a = this.alertsByFp.get(fp);
      if (a) alerts.push(a);
    }
    this.notifiedDirty.clear();
    this.saveNotified(alerts);
  }

  private saveNotified(alerts: RoutedAlert[]): void {
    if (alerts.length === 0 || !this.opts.store) return;
    try {
      this.opts.store.saveNotifiedAlerts(alerts);
    } catch (err) {
      this.opts.logger.error({ err: (err as Error).message, alerts: alerts.length }, 'could not persist the notified alerts');
    }
  }

  /** Writes an alert's firing and resolved transitions to the history, once each. */
  private track(alert: RoutedAlert, now: number, source: string): void {
    const episode = this.firingEpisodes.get(alert.fingerprint);
    const firing = alert.endsAt > now;
    if (firing && episode === undefined) {
      this.startEpisode(alert);
      this.event(alert, now, 'firing', source);
    } else if (!firing && episode !== undefined) {
      this.firingEpisodes.delete(alert.fingerprint);
      this.mutedWhy.delete(alert.fingerprint);
      this.event({ ...alert, startsAt: episode }, Math.min(now, alert.endsAt), 'resolved', source);
    }
  }

  private startEpisode(alert: RoutedAlert): void {
    this.firingEpisodes.set(alert.fingerprint, alert.startsAt);
    this.episodeEnds.push(alert.endsAt, alert.fingerprint);
  }

  /** Ends the episodes of alerts that nobody re-sent before their endsAt (resolve_timeout); the event keeps that endsAt. */
  private endEpisodesDue(now: number): void {
    const heap = this.episodeEnds;
    while (heap.size > 0 && (heap.peek() as number) <= now) {
      const fp = heap.peekValue() as string;
      heap.pop();
      if (!this.firingEpisodes.has(fp)) continue; // the episode ended meanwhile
      const alert = this.alertsByFp.get(fp);
      if (!alert) this.firingEpisodes.delete(fp); // forgotten: nothing is left to resolve it from
      else if (alert.endsAt <= now) this.track(alert, now, 'router');
      else heap.push(alert.endsAt, fp); // re-sent meanwhile with a later endsAt
    }
  }

  private event(alert: RoutedAlert, at: number, kind: AlertEvent['kind'], source: string, detail?: Record<string, unknown>): void {
    if (!this.opts.store) return;
    this.pendingEvents.push(alertEvent(alert, at, kind, source, detail));
  }

  /** The history of many receives goes in one transaction, HISTORY_WRITE_DELAY_MS later or at the next pause: a commit per request costs more than the request. */
  private writeEvents(): void {
    this.writeNotified();
    if ((this.pendingEvents.length === 0 && this.pendingRecords.length === 0) || this.historyTimer) return;
    this.pendingSince = performance.now();
    this.historyTimer = setTimeout(() => this.flushEvents(), HISTORY_WRITE_DELAY_MS);
  }

  /** Writes the pending history, HISTORY_WRITE_CHUNK rows per turn of the event loop (all of it when `all`, on stop). */
  private flushEvents(all = false): void {
    if (this.historyTimer) clearTimeout(this.historyTimer);
    this.historyTimer = undefined;
    const t = performance.now();
    const busy = t - this.lastReceiveAt < HISTORY_PAUSE_MS || this.passUnderWay || this.inFlight.size > 0;
    if (!all && busy && t - this.pendingSince < HISTORY_MAX_DELAY_MS && this.pendingEvents.length + this.pendingRecords.length < HISTORY_MAX_PENDING) {
      this.historyTimer = setTimeout(() => this.flushEvents(), HISTORY_PAUSE_MS);
      return;
    }
    const max = all ? Infinity : HISTORY_WRITE_CHUNK;
    if (this.pendingRecords.length > 0) {
      const records = this.pendingRecords.splice(0, max);
      try {
        this.opts.store?.recordNotifications(records);
      } catch (err) {
        this.opts.logger.error({ err: (err as Error).message, records: records.length }, 'could not write the notification history');
      }
    }
    if (this.pendingEvents.length > 0) {
      const events = this.pendingEvents.splice(0, max);
      try {
        this.opts.store?.recordAlertEvents(events);
      } catch (err) {
        this.opts.logger.error({ err: (err as Error).message, events: events.length }, 'could not write the alert history');
      }
    }
    // the rest in the next turn: 100,000 rows in one transaction would hold the event loop for half a second
    if (this.pendingEvents.length > 0 || this.pendingRecords.length > 0) this.historyTimer = setTimeout(() => this.flushEvents(), 0);
  }

  private recordNotification(n: Notification, r: IntegrationResult, outcome: NotificationRecord['outcome']): void {
    if (!this.opts.store) return;
    this.pendingRecords.push({
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
    this.writeEvents();
  }

  /** Forgets resolved alerts that no group holds any more, and silences expired beyond their retention. */
  private gc(now: number): void {
    if (this.opts.historyRetentionMs !== undefined && now - this.lastRetentionAt >= RETENTION_EVERY_MS) {
      this.lastRetentionAt = now;
      try {
        this.opts.store?.deleteHistoryBefore(now - this.opts.historyRetentionMs);
      } catch (err) {
        this.opts.logger.error({ err: (err as Error).message }, 'could not apply the history retention');
      }
    }
    if (now - this.lastGcAt < GC_EVERY_MS) return;
    this.lastGcAt = now;
    // expired log entries and flapping history out of its window: a walk over every alert, so once a minute, not per tick
    this.dispatcher.prune(now);
    this.silences.gc(now);
    const held = new Set<string>();
    for (const g of this.dispatcher.groups()) for (const a of g.unsortedAlerts()) held.add(a.fingerprint);
    const forgotten: string[] = [];
    for (const [fp, alert] of this.alertsByFp) {
      if (alert.endsAt <= now - RESOLVED_ALERT_RETENTION_MS && !held.has(fp)) {
        this.alertsByFp.delete(fp);
        this.countHeld(alert, -1);
        if (alert.ruleGroup !== undefined) this.indexRuleGroup(fp, alert.ruleGroup, undefined);
        if (this.notified.delete(fp)) forgotten.push(fp);
      }
    }
    if (forgotten.length) {
      this.revision++;
      try {
        this.opts.store?.deleteNotifiedAlerts(forgotten);
      } catch (err) {
        this.opts.logger.error({ err: (err as Error).message }, 'could not forget the resolved notified alerts');
      }
    }
    this.opts.onGc?.(now, (key) => this.dispatcher.group(key) !== undefined);
  }
}
