import type { Group } from '../eval/index.js';
import type { RoutedAlert } from '../route/index.js';

/** Prometheus re-sends firing alerts at least every minute (its --rules.alert.resend-delay). */
const RESEND_DELAY_MS = 60_000;

/**
 * The alerts of evaluated groups as Prometheus sends them to Alertmanager (rules/manager.go
 * sendAlerts): firing ones with an endsAt four resend periods ahead, so a vigil that stops
 * evaluating lets them resolve by timeout; resolved ones (still retained) with their endsAt;
 * pending ones not at all. The generator link opens the expression in Prometheus.
 */
export function evaluatorAlerts(groups: readonly Group[], ts: number, prometheusURL: string): RoutedAlert[] {
  const out: RoutedAlert[] = [];
  for (const group of groups) {
    const validFor = 4 * Math.max(RESEND_DELAY_MS, group.intervalMs);
    for (const rule of group.alertingRules()) {
      const generatorURL = `${prometheusURL.replace(/\/$/, '')}/graph?g0.expr=${encodeURIComponent(rule.spec.expr)}&g0.tab=1`;
      for (const a of rule.active.values()) {
        if (a.state === 'pending') continue;
        if (a.state === 'inactive' && a.resolvedAt === undefined) continue;
        out.push({
          fingerprint: a.fingerprint,
          labels: a.labels,
          annotations: a.annotations,
          startsAt: a.firedAt ?? a.activeAt,
          endsAt: a.state === 'firing' ? ts + validFor : (a.resolvedAt as number),
          generatorURL,
          updatedAt: ts,
          ruleGroup: group.key,
        });
      }
    }
  }
  return out;
}
