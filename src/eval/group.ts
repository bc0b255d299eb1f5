import type { Datasource, InstantValue, Sample } from '../datasource/index.js';
import { DatasourceError } from '../datasource/index.js';
import { parseDuration } from '../promql/index.js';
import type { RuleGroup as RuleGroupSpec, Rule as RuleSpec } from '../rules/index.js';
import { AlertingRule, type TemplateContext } from './alerting-rule.js';

export const DEFAULT_INTERVAL_MS = 60_000;

export type RuleHealth = 'ok' | 'err' | 'unknown';

export interface RuleStatus {
  health: RuleHealth;
  lastError?: string;
  lastEvaluation?: number;
  evaluationTimeMs: number;
}

/** A recording rule: vigil evaluates it for health, but has nowhere to write its series (no remote write yet). */
export class RecordingRule {
  lastSamples = 0;
  constructor(readonly spec: { name: string; expr: string; labels: Record<string, string> }) {}
  get name(): string {
    return this.spec.name;
  }
}

export interface GroupRule {
  rule: AlertingRule | RecordingRule;
  source: RuleSpec;
  status: RuleStatus;
}

export interface GroupEvaluation {
  ts: number;
  durationMs: number;
  /** Rules whose query failed because the datasource failed (unreachable, timeout, auth). */
  datasourceFailures: number;
  /** Rules that failed for any reason. */
  failures: number;
  rules: number;
}

export interface EvalContext {
  datasource: Datasource;
  externalLabels: Record<string, string>;
  externalURL: string;
  /** Wall clock, for measuring evaluation time only. */
  now?: () => number;
}

/** A rule group as the evaluator runs it: its rules, their state and health. */
export class Group {
  readonly name: string;
  readonly file: string;
  readonly intervalMs: number;
  readonly queryOffsetMs: number;
  readonly limit: number;
  readonly rules: GroupRule[];
  lastEvaluation?: number;
  evaluationTimeMs = 0;

  constructor(spec: RuleGroupSpec, defaults: { intervalMs?: number; queryOffsetMs?: number } = {}) {
    this.name = spec.name;
    this.file = spec.source.file;
    this.intervalMs = spec.interval ? parseDuration(spec.interval) || DEFAULT_INTERVAL_MS : (defaults.intervalMs ?? DEFAULT_INTERVAL_MS);
    this.queryOffsetMs = spec.queryOffset ? parseDuration(spec.queryOffset) : (defaults.queryOffsetMs ?? 0);
    this.limit = spec.limit ?? 0;
    this.rules = spec.rules.map((r) => ({
      source: r,
      status: { health: 'unknown' as RuleHealth, evaluationTimeMs: 0 },
      rule:
        r.kind === 'alerting'
          ? new AlertingRule({
              name: r.alert,
              expr: r.expr,
              forMs: r.for ? parseDuration(r.for) : 0,
              keepFiringForMs: r.keepFiringFor ? parseDuration(r.keepFiringFor) : 0,
              labels: r.labels,
              annotations: r.annotations,
            })
          : new RecordingRule({ name: r.record, expr: r.expr, labels: r.labels }),
    }));
  }

  /** Identifies the group across restarts and reloads, as Prometheus does: file and name. */
  get key(): string {
    return `${this.file};${this.name}`;
  }

  alertingRules(): AlertingRule[] {
    return this.rules.map((r) => r.rule).filter((r): r is AlertingRule => r instanceof AlertingRule);
  }

  /**
   * The evaluation time for a tick at `now`: aligned to the interval with a stable
   * per-group offset, so groups spread over the interval and restarts keep the grid.
   */
  evalTimestamp(now: number): number {
    const offset = stableHash(this.key) % this.intervalMs;
    const adjusted = now - offset;
    return adjusted - (((adjusted % this.intervalMs) + this.intervalMs) % this.intervalMs) + offset;
  }

  /** Evaluates every rule in order at `ts`. A failing rule keeps its previous alerts. */
  async evaluate(ts: number, ctx: EvalContext): Promise<GroupEvaluation> {
    const clock = ctx.now ?? Date.now;
    const started = clock();
    let failures = 0;
    let datasourceFailures = 0;
    const queryTs = ts - this.queryOffsetMs;
    for (const r of this.rules) {
      const ruleStarted = clock();
      try {
        const samples = toSamples((await ctx.datasource.instantQuery(r.rule.spec.expr, queryTs)).value);
        if (r.rule instanceof AlertingRule) {
          const template: TemplateContext = {
            externalLabels: ctx.externalLabels,
            externalURL: ctx.externalURL,
            query: async (expr) => toSamples((await ctx.datasource.instantQuery(expr, queryTs)).value),
          };
          await r.rule.apply(ts, samples, template, { limit: this.limit });
        } else {
          r.rule.lastSamples = samples.length;
        }
        r.status = { health: 'ok', lastEvaluation: ts, evaluationTimeMs: clock() - ruleStarted };
      } catch (err) {
        failures++;
        if (err instanceof DatasourceError && err.kind !== 'query') datasourceFailures++;
        r.status = { health: 'err', lastError: (err as Error).message, lastEvaluation: ts, evaluationTimeMs: clock() - ruleStarted };
      }
    }
    this.lastEvaluation = ts;
    this.evaluationTimeMs = clock() - started;
    return { ts, durationMs: this.evaluationTimeMs, failures, datasourceFailures, rules: this.rules.length };
  }
}

/** An instant query's value as the samples a rule works on; a scalar is one sample without labels. */
export function toSamples(value: InstantValue): Sample[] {
  switch (value.resultType) {
    case 'vector':
      return value.samples;
    case 'scalar':
      return [{ metric: {}, value: value.value }];
    default:
      throw new Error(`rule result is not a vector or scalar but a ${value.resultType === 'matrix' ? 'range vector' : value.resultType}`);
  }
}

/** FNV-1a 32 of a string: a stable, well-spread offset seed (not a security hash). */
function stableHash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}
