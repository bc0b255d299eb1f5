import type { Labels, Sample } from '../datasource/index.js';
import { expandTemplate, type QueryFn as TemplateQueryFn } from '../template/index.js';
import { RESOLVED_RETENTION_MS, type Alert, type AlertState } from './alert.js';
import { fingerprint, formatLabels } from './labels.js';

export interface AlertingRuleSpec {
  name: string;
  expr: string;
  forMs: number;
  keepFiringForMs: number;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export interface TemplateContext {
  externalLabels: Labels;
  externalURL: string;
  /** Runs a template's `query` at the evaluation time. */
  query?: TemplateQueryFn;
}

export class RuleEvaluationError extends Error {}

/**
 * Prometheus' alerting rule: given the samples of one evaluation at `ts`, moves
 * alerts through pending → firing → inactive. No clock and no I/O beyond the
 * template `query` callback, so the live loop, backtests and tests share it.
 */
export class AlertingRule {
  /** Active alerts and resolved ones within the retention, by fingerprint. */
  readonly active = new Map<string, Alert>();

  constructor(readonly spec: AlertingRuleSpec) {}

  get name(): string {
    return this.spec.name;
  }

  /**
   * Applies one evaluation's result. `annotations: false` skips annotation
   * templates (backtests need labels only). Throws, changing nothing, when the
   * result holds two alerts with the same labels or exceeds `limit`.
   */
  async apply(ts: number, samples: Sample[], ctx: TemplateContext, options: { limit?: number; annotations?: boolean } = {}): Promise<void> {
    const current = new Map<string, { labels: Labels; annotations: Record<string, string>; value: number }>();
    for (const sample of samples) {
      const { labels, annotations } = await this.render(ts, sample, ctx, options.annotations !== false);
      const fp = fingerprint(labels);
      if (current.has(fp)) {
        throw new RuleEvaluationError(`vector contains metrics with the same labelset after applying alert labels: ${formatLabels(labels)}`);
      }
      current.set(fp, { labels, annotations, value: sample.value });
    }
    const next = this.transition(ts, current);
    const activeOrPending = [...next.values()].filter((a) => a.state !== 'inactive').length;
    if (options.limit && options.limit > 0 && activeOrPending > options.limit) {
      // As Prometheus: over the limit, the rule drops every alert and reports the error.
      this.active.clear();
      throw new RuleEvaluationError(`exceeded limit of ${options.limit} with ${activeOrPending} alerts`);
    }
    this.active.clear();
    for (const [fp, a] of next) this.active.set(fp, a);
  }

  private transition(ts: number, current: Map<string, { labels: Labels; annotations: Record<string, string>; value: number }>): Map<string, Alert> {
    const next = new Map<string, Alert>();
    for (const [fp, a] of this.active) next.set(fp, { ...a });
    for (const [fp, c] of current) {
      const existing = next.get(fp);
      if (existing && existing.state !== 'inactive') {
        existing.value = c.value;
        existing.annotations = c.annotations;
        existing.keepFiringSince = undefined;
        continue;
      }
      next.set(fp, { fingerprint: fp, labels: c.labels, annotations: c.annotations, state: 'pending', value: c.value, activeAt: ts });
    }
    for (const [fp, a] of next) {
      if (!current.has(fp)) {
        let keepFiring = false;
        if (a.state === 'firing' && this.spec.keepFiringForMs > 0) {
          a.keepFiringSince ??= ts;
          keepFiring = ts - a.keepFiringSince < this.spec.keepFiringForMs;
        }
        if (a.state === 'pending' || (a.resolvedAt !== undefined && ts - a.resolvedAt > RESOLVED_RETENTION_MS)) {
          next.delete(fp);
        }
        if (a.state !== 'inactive' && !keepFiring) {
          a.state = 'inactive';
          a.resolvedAt = ts;
        }
        if (!keepFiring) continue;
      }
      if (a.state === 'pending' && ts - a.activeAt >= this.spec.forMs) {
        a.state = 'firing';
        a.firedAt = ts;
      }
    }
    return next;
  }

  private async render(ts: number, sample: Sample, ctx: TemplateContext, withAnnotations: boolean) {
    const { __name__: _, ...seriesLabels } = sample.metric;
    const data = { labels: seriesLabels, value: sample.value, externalLabels: ctx.externalLabels, externalURL: ctx.externalURL };
    const options = { query: ctx.query, now: ts };
    const labels: Labels = { ...seriesLabels };
    for (const [name, text] of Object.entries(this.spec.labels)) {
      // Most rule labels are plain text (severity: P1): no template to run.
      labels[name] = text.includes('{{') ? await expandTemplate(`__alert_${this.name}`, text, data, options) : text;
    }
    labels.alertname = this.name;
    const annotations: Record<string, string> = {};
    if (withAnnotations) {
      for (const [name, text] of Object.entries(this.spec.annotations)) {
        annotations[name] = text.includes('{{') ? await expandTemplate(`__alert_${this.name}`, text, data, options) : text;
      }
    }
    return { labels, annotations };
  }

  /** The rule's state for /api/v1/rules: firing > pending > inactive. */
  state(): AlertState {
    let state: AlertState = 'inactive';
    for (const a of this.active.values()) {
      if (a.state === 'firing') return 'firing';
      if (a.state === 'pending') state = 'pending';
    }
    return state;
  }

  /**
   * Takes alerts persisted before a restart. The `for` clock continues from the
   * stored activeAt; a firing alert whose `for` grew since goes back to pending.
   */
  restore(alerts: Alert[], now: number): void {
    for (const a of alerts) {
      const alert = { ...a };
      if (alert.state === 'firing' && now - alert.activeAt < this.spec.forMs) {
        alert.state = 'pending';
        alert.firedAt = undefined;
        alert.keepFiringSince = undefined;
      }
      this.active.set(alert.fingerprint, alert);
    }
  }
}
