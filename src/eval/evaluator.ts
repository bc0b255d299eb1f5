import type { Datasource } from '../datasource/index.js';
import type { RuleGroup as RuleGroupSpec } from '../rules/index.js';
import type { Alert } from './alert.js';
import { AlertingRule } from './alerting-rule.js';
import { systemClock, type Clock } from './clock.js';
import { Group, type GroupEvaluation } from './group.js';

export interface Logger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

const silent: Logger = { info() {}, warn() {}, error() {} };

export interface AlertTransition {
  group: Group;
  rule: AlertingRule;
  alert: Alert;
  from: Alert['state'] | 'new';
  to: Alert['state'];
}

/** Alert state of one rule group as persisted after an evaluation. */
export interface GroupState {
  groupKey: string;
  /** Time of the evaluation that produced this state (unix ms). */
  lastEvaluation: number;
  /** Alerts by rule name: pending, firing and resolved-within-retention. */
  alerts: { rule: string; alert: Alert }[];
}

/** The store port of the evaluator: its alert state, so a restart never resets a `for` clock. */
export interface GroupStateStore {
  /** Replaces the group's persisted state in one transaction. */
  saveGroupState(state: GroupState): void;
  loadGroupState(groupKey: string): Promise<GroupState | undefined>;
}

/** The evaluator's view of the cluster's leases: one replica at a time evaluates a group. */
export interface GroupLeases {
  holds(groupKey: string): boolean;
}

export interface EvaluatorOptions {
  datasource: Datasource;
  /** Where state is persisted after every evaluation; none for one-shot use. */
  store?: GroupStateStore;
  externalLabels?: Record<string, string>;
  externalURL?: string;
  /** A restart within this long after the last evaluation keeps `for` clocks (Prometheus' for-outage-tolerance). */
  outageToleranceMs?: number;
  /** VigilDatasourceDown fires after this many consecutive evaluations that could not reach the datasource. */
  datasourceDownAfter?: number;
  /** Named in VigilDatasourceDown's labels. */
  datasourceName?: string;
  /** Which groups this replica evaluates when several replicas share the rules; every group when absent. */
  leases?: GroupLeases;
  clock?: Clock;
  logger?: Logger;
  onEvaluated?: (group: Group, result: GroupEvaluation) => void;
  /**
   * A group another replica evaluates, as read from the store (or, while the store does not answer,
   * as last read, at `ts` = now): its alerts are routed here too, as Prometheus sends to every
   * Alertmanager, so every replica's router holds the same alerts.
   */
  onFollowed?: (group: Group, ts: number) => void;
  onMissed?: (group: Group, missed: number) => void;
  onTransition?: (t: AlertTransition) => void;
}

export const SELF_GROUP = 'vigil-self-monitoring';

/** A replica reads a followed group's state this long after the tick at most (half the interval at least). */
const FOLLOW_DELAY_MAX_MS = 5_000;

/**
 * Runs rule groups on their intervals, keeps their alerts across restarts, and
 * raises VigilDatasourceDown through the same state machine as every alert.
 */
export class Evaluator {
  readonly groups: Group[];
  readonly selfGroup: Group;
  private readonly clock: Clock;
  private readonly log: Logger;
  private consecutiveDatasourceFailures = 0;
  /** Groups run concurrently; vigil's own rule is evaluated after each, one at a time. */
  private selfEvaluation: Promise<void> = Promise.resolve();
  private abort?: AbortController;
  private loops: Promise<void>[] = [];
  /** Groups whose lease this replica held at its last tick (their state in memory is current). */
  private readonly leased = new Set<string>();

  constructor(specs: RuleGroupSpec[], private readonly options: EvaluatorOptions) {
    this.clock = options.clock ?? systemClock;
    this.log = options.logger ?? silent;
    this.groups = specs.map((s) => new Group(s));
    this.selfGroup = new Group({
      name: SELF_GROUP,
      source: { file: 'vigil', line: 0 },
      rules: [
        {
          kind: 'alerting',
          alert: 'VigilDatasourceDown',
          expr: 'vigil_datasource_consecutive_failures >= ' + this.downAfter,
          labels: { severity: 'P1' },
          annotations: {
            summary: 'vigil cannot evaluate rules: {{ $labels.datasource }} does not answer its queries',
            description:
              'The last {{ $value }} evaluations could not query {{ $labels.datasource }}. Alert states are frozen at their last known values until it answers again; nothing resolves meanwhile.',
          },
          source: { file: 'vigil', line: 0 },
        },
      ],
    });
  }

  private get downAfter(): number {
    return this.options.datasourceDownAfter ?? 3;
  }

  /** Every group including vigil's own, for the API. */
  allGroups(): Group[] {
    return [...this.groups, this.selfGroup];
  }

  /** Loads persisted alerts; a restart after longer than the outage tolerance starts clean. */
  async restore(): Promise<{ restored: number; discarded: number }> {
    const store = this.options.store;
    let restored = 0;
    let discarded = 0;
    if (!store) return { restored, discarded };
    const now = this.clock.now();
    const groups = this.allGroups();
    // asked all at once, over the pool's connections: not 10,000 round trips one after another (bench/store.mjs)
    const states = await Promise.all(groups.map((g) => store.loadGroupState(g.key)));
    for (const [i, group] of groups.entries()) {
      const state = states[i];
      if (!state) continue;
      if (this.restoreGroup(group, state, now)) restored += state.alerts.length;
      else discarded += state.alerts.length;
    }
    return { restored, discarded };
  }

  /** Puts a persisted state in place of the group's alerts, unless it is older than the outage tolerance. */
  private restoreGroup(group: Group, state: GroupState, now: number): boolean {
    if (now - state.lastEvaluation > (this.options.outageToleranceMs ?? 3_600_000)) return false;
    for (const rule of group.alertingRules()) {
      rule.active.clear();
      rule.restore(state.alerts.filter((a) => a.rule === rule.name).map((a) => a.alert), now);
    }
    return true;
  }

  /** Evaluates one group at `ts`, then vigil's own rules; persists both. */
  async evaluateGroup(group: Group, ts: number): Promise<GroupEvaluation> {
    const before = snapshot(group);
    const result = await group.evaluate(ts, {
      datasource: this.options.datasource,
      externalLabels: this.options.externalLabels ?? {},
      externalURL: this.options.externalURL ?? '',
      now: () => this.clock.now(),
    });
    this.consecutiveDatasourceFailures = result.datasourceFailures > 0 ? this.consecutiveDatasourceFailures + 1 : 0;
    if (result.failures > 0) {
      for (const r of group.rules.filter((r) => r.status.health === 'err')) {
        this.log.warn({ group: group.name, rule: r.rule.name, err: r.status.lastError }, 'rule evaluation failed; its alerts keep their state');
      }
    }
    // a replica that stalled past its lease must not overwrite the state of the replica that took the group over
    if (!this.holds(group)) {
      this.log.warn({ group: group.name }, 'lost the lease on this group while evaluating it; the result is dropped');
      return result;
    }
    this.report(group, before);
    this.persist(group);
    this.selfEvaluation = this.selfEvaluation
      .then(() => this.evaluateSelf(ts))
      .catch((err) => this.log.error({ err: (err as Error).message }, 'self-monitoring evaluation failed'));
    await this.selfEvaluation;
    this.options.onEvaluated?.(group, result);
    return result;
  }

  private async evaluateSelf(ts: number): Promise<void> {
    const [rule] = this.selfGroup.alertingRules();
    const before = snapshot(this.selfGroup);
    const failing = this.consecutiveDatasourceFailures >= this.downAfter;
    const samples = failing ? [{ metric: { datasource: this.options.datasourceName ?? 'prometheus' }, value: this.consecutiveDatasourceFailures }] : [];
    await rule.apply(ts, samples, { externalLabels: this.options.externalLabels ?? {}, externalURL: this.options.externalURL ?? '' });
    this.selfGroup.lastEvaluation = ts;
    this.selfGroup.rules[0].status = { health: 'ok', lastEvaluation: ts, evaluationTimeMs: 0 };
    this.report(this.selfGroup, before);
    this.persist(this.selfGroup);
  }

  private holds(group: Group): boolean {
    return this.options.leases?.holds(group.key) ?? true;
  }

  /**
   * Whether this replica evaluates the group at this tick. On gaining its lease, the group's state
   * is read from the store when another replica evaluated it since, so its `for` clocks continue.
   */
  private async mayEvaluate(group: Group): Promise<boolean> {
    if (!this.options.leases) return true;
    if (!this.holds(group)) {
      if (this.leased.delete(group.key)) this.log.info({ group: group.name }, 'another replica evaluates this group now');
      await this.follow(group);
      return false;
    }
    if (this.leased.has(group.key)) return true;
    const store = this.options.store;
    try {
      const state = store ? await store.loadGroupState(group.key) : undefined;
      // newer than what this replica last evaluated or read: another replica held the group since
      if (state && state.lastEvaluation > (group.lastEvaluation ?? -Infinity) && this.restoreGroup(group, state, this.clock.now())) {
        group.lastEvaluation = state.lastEvaluation;
        // routed before this replica's first evaluation: an alert that ended meanwhile resolves, not merges into its next episode
        this.options.onFollowed?.(group, state.lastEvaluation);
      }
    } catch (err) {
      this.log.error({ group: group.name, err: (err as Error).message }, 'gained this group but cannot read its state; trying again at the next tick');
      return false;
    }
    this.leased.add(group.key);
    this.log.info({ group: group.name }, 'this replica evaluates this group now');
    return true;
  }

  /**
   * Reads the state of a group another replica evaluates, a little after the tick (by when its
   * evaluation is written), and routes it when it is newer than the last read.
   */
  private async follow(group: Group): Promise<void> {
    const store = this.options.store;
    if (!store || !this.abort) return;
    await this.clock.sleep(Math.min(group.intervalMs / 2, FOLLOW_DELAY_MAX_MS), this.abort.signal);
    if (this.abort.signal.aborted || this.holds(group)) return;
    let state: GroupState | undefined;
    try {
      state = await store.loadGroupState(group.key);
    } catch (err) {
      // the database does not answer: the alerts as last read are kept alive, none resolves for want of news
      this.log.warn({ group: group.name, err: (err as Error).message }, 'cannot read the state of a group another replica evaluates; keeping it as last read');
      if (group.lastEvaluation !== undefined) this.options.onFollowed?.(group, this.clock.now());
      return;
    }
    if (!state || state.lastEvaluation <= (group.lastEvaluation ?? -Infinity) || this.holds(group)) return;
    if (!this.restoreGroup(group, state, this.clock.now())) for (const rule of group.alertingRules()) rule.active.clear();
    group.lastEvaluation = state.lastEvaluation;
    this.options.onFollowed?.(group, state.lastEvaluation);
  }

  private persist(group: Group): void {
    if (!this.options.store || group.lastEvaluation === undefined) return;
    const alerts = group.alertingRules().flatMap((rule) => [...rule.active.values()].map((alert) => ({ rule: rule.name, alert })));
    try {
      this.options.store.saveGroupState({ groupKey: group.key, lastEvaluation: group.lastEvaluation, alerts });
    } catch (err) {
      this.log.error({ group: group.name, err: (err as Error).message }, 'could not persist alert state');
    }
  }

  private report(group: Group, before: Map<string, Alert['state']>): void {
    for (const rule of group.alertingRules()) {
      for (const alert of rule.active.values()) {
        const from = before.get(`${rule.name}/${alert.fingerprint}/${alert.activeAt}`) ?? 'new';
        if (from === alert.state) continue;
        this.options.onTransition?.({ group, rule, alert, from, to: alert.state });
      }
    }
  }

  /** Starts one loop per group, each on its own aligned ticks. */
  start(): void {
    this.abort = new AbortController();
    this.loops = this.groups.map((g) => this.run(g, this.abort!.signal));
  }

  /** Stops scheduling, waits for running evaluations to finish (their state is persisted). */
  async stop(): Promise<void> {
    this.abort?.abort();
    await Promise.all(this.loops);
    this.loops = [];
  }

  private async run(group: Group, signal: AbortSignal): Promise<void> {
    let ts = group.evalTimestamp(this.clock.now()) + group.intervalMs;
    while (!signal.aborted) {
      await this.clock.sleep(ts - this.clock.now(), signal);
      if (signal.aborted) return;
      try {
        if (await this.mayEvaluate(group)) await this.evaluateGroup(group, ts);
      } catch (err) {
        this.log.error({ group: group.name, err: (err as Error).message }, 'group evaluation failed');
      }
      // No overlapping evaluations: ticks that passed while this one ran are skipped and counted.
      let next = ts + group.intervalMs;
      let missed = 0;
      const now = this.clock.now();
      while (next + group.intervalMs <= now) {
        next += group.intervalMs;
        missed++;
      }
      if (missed > 0) {
        this.log.warn({ group: group.name, missed }, 'evaluation took longer than the interval; skipped ticks');
        this.options.onMissed?.(group, missed);
      }
      ts = next;
    }
  }
}

function snapshot(group: Group): Map<string, Alert['state']> {
  const states = new Map<string, Alert['state']>();
  for (const rule of group.alertingRules()) {
    for (const a of rule.active.values()) states.set(`${rule.name}/${a.fingerprint}/${a.activeAt}`, a.state);
  }
  return states;
}
