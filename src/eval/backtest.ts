import type { Datasource, Sample } from '../datasource/index.js';
import type { RuleGroup as RuleGroupSpec } from '../rules/index.js';
import { AlertingRule } from './alerting-rule.js';
import { Group, toSamples } from './group.js';

/** One pending → (firing →) resolved run of one alert. Times are unix ms. */
export interface Episode {
  /** The rule group: two groups may hold rules of one name. */
  group: string;
  alert: string;
  severity: string;
  labels: Record<string, string>;
  activeAt: number;
  /** Undefined for an episode that never left pending. */
  firedAt?: number;
  /** Undefined for an episode still active at the end of the window. */
  resolvedAt?: number;
  maxValue: number;
}

/** A step at which a rule could not be evaluated (duplicate label sets, limit exceeded, a template query failing). */
export interface BacktestError {
  alert: string;
  ts: number;
  message: string;
}

/** A replayed rule, whether or not it ever went pending. */
export interface BacktestRule {
  group: string;
  alert: string;
  /** The rule's severity label as written (may be a template). */
  severity: string;
}

export interface BacktestResult {
  /** Every alerting rule replayed, in file order. */
  rules: BacktestRule[];
  episodes: Episode[];
  errors: BacktestError[];
}

export interface BacktestProgress {
  group: string;
  rule: string;
  done: number;
  total: number;
}

export interface BacktestOptions {
  from: number;
  to: number;
  externalLabels?: Record<string, string>;
  externalURL?: string;
  /** Render annotations at every step too (off by default: episodes need labels only). */
  annotations?: boolean;
  onProgress?: (p: BacktestProgress) => void;
  /** Observes every evaluation: the rule's alerts right after `ts` (used by the differential test and the report). */
  onEvaluation?: (rule: AlertingRule, ts: number) => void;
}

/**
 * Replays alerting rules over [from, to] at each group's interval with the same
 * state machine the live evaluator uses. One range query per rule gives the
 * result at every step: a range query is exactly an instant query at each step.
 */
export async function backtest(groups: RuleGroupSpec[], datasource: Datasource, options: BacktestOptions): Promise<BacktestResult> {
  const episodes: Episode[] = [];
  const errors: BacktestError[] = [];
  const work = groups.map((spec) => new Group(spec)).flatMap((g) => g.alertingRules().map((rule) => ({ group: g, rule })));
  let done = 0;
  let next = 0;
  // Two rules at a time: Prometheus evaluates one range query per core.
  const worker = async () => {
    while (next < work.length) {
      const { group, rule } = work[next++];
      options.onProgress?.({ group: group.name, rule: rule.name, done, total: work.length });
      episodes.push(...(await replayRule(group, rule, datasource, options, errors)));
      done++;
    }
  };
  await Promise.all([worker(), worker()]);
  options.onProgress?.({ group: '', rule: '', done, total: work.length });
  episodes.sort((a, b) => a.activeAt - b.activeAt || a.alert.localeCompare(b.alert));
  const rules = work.map(({ group, rule }) => ({ group: group.name, alert: rule.name, severity: rule.spec.labels.severity ?? '' }));
  return { rules, episodes, errors: errors.sort((a, b) => a.ts - b.ts) };
}

async function replayRule(group: Group, rule: AlertingRule, datasource: Datasource, options: BacktestOptions, errors: BacktestError[]): Promise<Episode[]> {
  const step = group.intervalMs;
  const offset = group.queryOffsetMs;
  const result = await datasource.rangeQuery(rule.spec.expr, options.from - offset, options.to - offset, step);
  const byTime = new Map<number, Sample[]>();
  for (const series of result.series) {
    for (const [t, value] of series.points) {
      const at = t + offset;
      let list = byTime.get(at);
      if (!list) byTime.set(at, (list = []));
      list.push({ metric: series.metric, value });
    }
  }
  const open = new Map<string, Episode>();
  const closed: Episode[] = [];
  for (let ts = options.from; ts <= options.to; ts += step) {
    const ctx = {
      externalLabels: options.externalLabels ?? {},
      externalURL: options.externalURL ?? '',
      query: async (expr: string) => toSamples((await datasource.instantQuery(expr, ts - offset)).value),
    };
    try {
      await rule.apply(ts, byTime.get(ts) ?? [], ctx, { limit: group.limit, annotations: options.annotations ?? false });
    } catch (err) {
      // As live: the rule keeps its alerts (or, over the limit, drops them) and the error is reported.
      errors.push({ alert: rule.name, ts, message: (err as Error).message });
    }
    options.onEvaluation?.(rule, ts);
    for (const [fp, episode] of open) {
      const alert = rule.active.get(fp);
      if (!alert || alert.state === 'inactive' || alert.activeAt !== episode.activeAt) {
        episode.resolvedAt = alert?.activeAt === episode.activeAt && alert.resolvedAt !== undefined ? alert.resolvedAt : ts;
        closed.push(episode);
        open.delete(fp);
      }
    }
    for (const alert of rule.active.values()) {
      if (alert.state === 'inactive') continue;
      let episode = open.get(alert.fingerprint);
      if (!episode) {
        episode = {
          group: group.name,
          alert: rule.name,
          severity: alert.labels.severity ?? '',
          labels: alert.labels,
          activeAt: alert.activeAt,
          maxValue: alert.value,
        };
        open.set(alert.fingerprint, episode);
      }
      if (alert.state === 'firing' && episode.firedAt === undefined) episode.firedAt = alert.firedAt;
      if (alert.value > episode.maxValue || Number.isNaN(episode.maxValue)) episode.maxValue = alert.value;
    }
  }
  return [...closed, ...open.values()];
}
