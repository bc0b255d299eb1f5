/**
 * The dispatcher: sorts incoming alerts into aggregation groups (one per route × group
 * key) and tells its caller when to wake and what to deliver. Time is a parameter and
 * nothing here sleeps: the server loops `sleep(nextWakeAt() - now)`, `flush(now)`,
 * delivers, and reports each outcome with `ack`.
 */
import { TimeHeap } from '../heap/index.js';
import {
  AggregationGroup,
  FlapDetector,
  type FlappingOptions,
  type MuteFn,
  type Notification,
  type NotificationLogEntry,
} from './aggregation.js';
import type { Labels, Route, RoutedAlert } from './types.js';

/** The routing tree's answers, injected (tree.ts provides them). */
export interface Routing {
  /** The routes an alert with these labels takes (`matchRoutes(root, labels)`). */
  routes(labels: Labels): Route[];
  /** The alert's labels that group it on this route (group_by). */
  groupLabels(route: Route, labels: Labels): Labels;
  /** The aggregation group's identity on this route (route key + group labels). */
  groupKey(route: Route, groupLabels: Labels): string;
}

export interface DispatcherOptions {
  /** Whether a receiver takes resolved notifications (send_resolved). Default: every receiver does. */
  sendResolved?: (receiver: string) => boolean;
  /** Flapping detection; `false` turns it off. Defaults in DEFAULT_FLAPPING_OPTIONS. */
  flapping?: Partial<FlappingOptions> | false;
  /** What was notified before a restart, as the Store persisted it. */
  notificationLog?: Iterable<NotificationLogEntry>;
  /** Every entry written to the notification log, for the Store to persist. */
  onNotificationLog?: (entry: NotificationLogEntry) => void;
}

export interface DispatcherCounters {
  groupsCreated: number;
  groupsDestroyed: number;
  /** Alerts that started flapping. */
  flappingDetected: number;
  /** Re-fires of alerts already flapping, collapsed instead of notified one by one. */
  flappingCollapsed: number;
  notificationsSucceeded: number;
  notificationsFailed: number;
  /** Notifications not acknowledged by their deadline, counted as failed too. */
  notificationsAbandoned: number;
  /** Notifications a volume guard held back. */
  notificationsSuppressed: number;
}

/** `suppressed`: a volume guard held it back; like a failure the next tick tries again, but it is not counted as one. */
export type NotifyOutcome = 'success' | 'failure' | 'suppressed';

// joined, not concatenated: one flat string as the Map's key rather than a rope for every group
const logKey = (groupKey: string, receiver: string) => [receiver, groupKey].join('\u0000');

export class Dispatcher {
  private readonly routing: Routing;
  private readonly sendResolved: (receiver: string) => boolean;
  private readonly flapDetector: FlapDetector | undefined;
  private readonly onNotificationLog: ((entry: NotificationLogEntry) => void) | undefined;
  private readonly byKey = new Map<string, AggregationGroup>();
  /** Every live group's next flush time, possibly early (an entry is checked again when it comes up). */
  private readonly timers = new TimeHeap<AggregationGroup>();
  /** The time each group is queued at; an entry in the heap at any other time is stale. */
  private readonly queuedAt = new Map<AggregationGroup, number>();
  private readonly log = new Map<string, NotificationLogEntry>();
  private readonly count: Omit<DispatcherCounters, 'flappingDetected' | 'flappingCollapsed'> = {
    groupsCreated: 0,
    groupsDestroyed: 0,
    notificationsSucceeded: 0,
    notificationsFailed: 0,
    notificationsAbandoned: 0,
    notificationsSuppressed: 0,
  };

  constructor(routing: Routing, options: DispatcherOptions = {}) {
    this.routing = routing;
    this.sendResolved = options.sendResolved ?? (() => true);
    this.flapDetector = options.flapping === false ? undefined : new FlapDetector(options.flapping ?? {});
    this.onNotificationLog = options.onNotificationLog;
    for (const entry of options.notificationLog ?? []) {
      const k = logKey(entry.groupKey, entry.receiver);
      const held = this.log.get(k);
      if (!held || entry.at >= held.at) this.log.set(k, entry);
    }
  }

  /**
   * Routes an alert into the groups of every route it takes, creating groups as needed.
   * Existing groups keep their timers; a re-sent alert updates the held one.
   */
  insert(alert: RoutedAlert, now: number): AggregationGroup[] {
    this.flapDetector?.observe(alert, now);
    const touched: AggregationGroup[] = [];
    for (const route of this.routing.routes(alert.labels)) {
      const groupLabels = this.routing.groupLabels(route, alert.labels);
      const key = this.routing.groupKey(route, groupLabels);
      let group = this.byKey.get(key);
      if (!group) {
        const logged = this.log.get(logKey(key, route.options.receiver));
        group = new AggregationGroup({
          key,
          route,
          groupLabels,
          // an expired entry is forgotten, whether or not prune() has run since
          lastNotified: logged && logged.expiresAt > now ? logged : undefined,
          sendResolved: this.sendResolved(route.options.receiver),
          flapping: this.flapDetector,
          onLog: this.onGroupLog,
          seq: this.count.groupsCreated,
        });
        this.byKey.set(key, group);
        this.count.groupsCreated++;
      }
      group.insert(alert, now);
      this.queue(group, false);
      touched.push(group);
    }
    return touched;
  }

  /**
   * Queues a group at its next flush time. `moved`: its time may have moved either way (a flush,
   * an ack), so the entry is replaced; otherwise (an insert) only an earlier time is queued, and a
   * too-early entry is queued again at the right time when it comes up.
   */
  private queue(g: AggregationGroup, moved: boolean): void {
    const t = this.byKey.get(g.key) === g ? g.nextFlushAt() : undefined;
    const queued = this.queuedAt.get(g);
    if (t === undefined) {
      if (moved) this.queuedAt.delete(g);
      return;
    }
    if (queued === t || (!moved && queued !== undefined && queued <= t)) return;
    this.queuedAt.set(g, t); // any other entry of the group is stale from now on
    this.timers.push(t, g);
  }

  /** Queues a group again at its next flush time, after something outside the dispatcher changed it. */
  requeue(g: AggregationGroup): void {
    this.queue(g, true);
  }

  /** Drops heap entries of destroyed groups and superseded times from the top. */
  private dropStale(): void {
    while (this.timers.size > 0) {
      const g = this.timers.peekValue() as AggregationGroup;
      if (this.queuedAt.get(g) === this.timers.peek() && this.byKey.get(g.key) === g) return;
      this.timers.pop();
    }
  }

  /** When the earliest group wants a flush (or a notification's deadline passes); undefined when there are no groups. */
  nextWakeAt(): number | undefined {
    this.dropStale();
    return this.timers.peek();
  }

  /** The groups whose flush time has come at `now`, earliest first, then oldest first. Abandons notifications past their deadline. */
  due(now: number): AggregationGroup[] {
    const popped: AggregationGroup[] = [];
    for (this.dropStale(); this.timers.size > 0 && (this.timers.peek() as number) <= now; this.dropStale()) {
      popped.push(this.timers.peekValue() as AggregationGroup);
      this.timers.pop();
      this.queuedAt.delete(popped[popped.length - 1]);
    }
    const due: [number, AggregationGroup][] = [];
    for (const g of popped) {
      if (g.expire(now)) {
        this.count.notificationsAbandoned++;
        this.count.notificationsFailed++;
      }
      const t = g.nextFlushAt();
      if (t !== undefined && t <= now && !g.notifying) due.push([t, g]);
      this.queue(g, true); // a due group stays queued (due) until it is flushed; one queued too early moves to its time
    }
    // ties oldest group first: comparing 10,000 keys a tick cost more than the flushes
    return due.sort((a, b) => a[0] - b[0] || a[1].seq - b[1].seq).map(([, g]) => g);
  }

  /** Flushes every due group; returns the notifications to deliver. Report each with `ack`. `mute`: silences and inhibition. */
  flush(now: number, mute?: MuteFn): Notification[] {
    const out: Notification[] = [];
    for (const g of this.due(now)) {
      const n = this.flushGroup(g, now, mute);
      if (n) out.push(n);
    }
    this.prune(now);
    return out;
  }

  /** Flushes one due group (see `due`); `mute` comes from the group stages. */
  flushGroup(g: AggregationGroup, now: number, mute?: MuteFn): Notification | undefined {
    const n = g.flush(now, mute);
    this.destroyIfEmpty(g);
    this.requeue(g);
    return n;
  }

  /** A due group whose flush the group stages held back: its timer moves on a group_interval, nothing is sent. */
  postpone(g: AggregationGroup, now: number): void {
    g.postpone(now);
    this.requeue(g);
  }

  /** Forgets log entries past their expiry that no group holds, and flapping history out of its window. */
  prune(now: number): void {
    for (const [k, entry] of this.log) {
      if (entry.expiresAt <= now && !this.byKey.has(entry.groupKey)) this.log.delete(k);
    }
    this.flapDetector?.prune(now);
  }

  /** The outcome of delivering a notification; returns the log entry written on success. */
  ack(notification: Notification, outcome: NotifyOutcome): NotificationLogEntry | undefined {
    const g = this.byKey.get(notification.groupKey);
    if (!g || !g.notifying) return undefined;
    const entry = g.ack(notification, outcome === 'success');
    if (g.notifying) return undefined; // not the notification that is out: a late ack after its deadline
    if (outcome === 'success') this.count.notificationsSucceeded++;
    else if (outcome === 'suppressed') this.count.notificationsSuppressed++;
    else this.count.notificationsFailed++;
    this.destroyIfEmpty(g);
    this.requeue(g);
    return entry;
  }

  groups(): AggregationGroup[] {
    return [...this.byKey.values()];
  }

  group(key: string): AggregationGroup | undefined {
    return this.byKey.get(key);
  }

  /** The latest entry per group and receiver, live or not yet expired. */
  notificationLog(): NotificationLogEntry[] {
    return [...this.log.values()];
  }

  get counters(): DispatcherCounters {
    return {
      ...this.count,
      flappingDetected: this.flapDetector?.detected ?? 0,
      flappingCollapsed: this.flapDetector?.collapsedRefires ?? 0,
    };
  }

  /** One callback for every group: a closure each was 20,000 closures and contexts at 10,000 groups. */
  private readonly onGroupLog = (entry: NotificationLogEntry): void => {
    this.log.set(logKey(entry.groupKey, entry.receiver), entry);
    this.onNotificationLog?.(entry);
  };

  private destroyIfEmpty(g: AggregationGroup): void {
    if (g.isEmpty() && !g.notifying && this.byKey.get(g.key) === g) {
      this.byKey.delete(g.key);
      this.queuedAt.delete(g);
      this.count.groupsDestroyed++;
    }
  }
}
