import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Evaluator, Group, GroupEvaluation } from '../eval/index.js';

/** vigil's own /metrics: evaluation health per group and alerts by state, plus Node's defaults. */
export class EvaluationMetrics {
  readonly registry = new Registry();
  private readonly duration: Histogram<'rule_group'>;
  private readonly iterations: Counter<'rule_group'>;
  private readonly failures: Counter<'rule_group'>;
  private readonly missed: Counter<'rule_group'>;

  constructor(evaluator: Pick<Evaluator, 'allGroups'>) {
    collectDefaultMetrics({ register: this.registry });
    this.duration = new Histogram({
      name: 'vigil_rule_group_evaluation_duration_seconds',
      help: 'Time one evaluation of a rule group took.',
      labelNames: ['rule_group'],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers: [this.registry],
    });
    this.iterations = new Counter({ name: 'vigil_rule_group_iterations_total', help: 'Evaluations of a rule group.', labelNames: ['rule_group'], registers: [this.registry] });
    this.failures = new Counter({
      name: 'vigil_rule_evaluation_failures_total',
      help: 'Rule evaluations that failed (the rule kept its previous alerts).',
      labelNames: ['rule_group'],
      registers: [this.registry],
    });
    this.missed = new Counter({
      name: 'vigil_rule_group_iterations_missed_total',
      help: 'Evaluations skipped because the previous one of the group was still running.',
      labelNames: ['rule_group'],
      registers: [this.registry],
    });
    new Gauge({
      name: 'vigil_alerts',
      help: 'Alerts by state (pending, firing, and resolved ones still reported as inactive).',
      labelNames: ['state'],
      registers: [this.registry],
      collect() {
        const counts = { pending: 0, firing: 0, inactive: 0 };
        for (const g of evaluator.allGroups()) for (const r of g.alertingRules()) for (const a of r.active.values()) counts[a.state]++;
        for (const [state, n] of Object.entries(counts)) this.set({ state }, n);
      },
    });
  }

  observe(group: Group, result: GroupEvaluation): void {
    const labels = { rule_group: `${group.file};${group.name}` };
    this.duration.observe(labels, result.durationMs / 1000);
    this.iterations.inc(labels);
    if (result.failures > 0) this.failures.inc(labels, result.failures);
  }

  observeMissed(group: Group, missed: number): void {
    this.missed.inc({ rule_group: `${group.file};${group.name}` }, missed);
  }
}
