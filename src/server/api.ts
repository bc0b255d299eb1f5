import type { Alert } from '../eval/index.js';
import { AlertingRule, type Group } from '../eval/index.js';

/** Go's zero time, which Prometheus prints for "never". */
const ZERO_TIME = '0001-01-01T00:00:00Z';

function time(ms: number | undefined): string {
  return ms === undefined ? ZERO_TIME : new Date(ms).toISOString();
}

/** Prometheus prints alert values with Go's strconv.FormatFloat(v, 'e', -1, 64): "5.2e-02", "1e+00", "NaN", "+Inf". */
export function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? '+Inf' : '-Inf';
  const [mantissa, exponent] = v.toExponential().split('e');
  const sign = exponent.startsWith('-') ? '-' : '+';
  return `${mantissa}e${sign}${exponent.replace(/^[+-]/, '').padStart(2, '0')}`;
}

export function alertJson(a: Alert) {
  return {
    labels: a.labels,
    annotations: a.annotations,
    state: a.state,
    activeAt: time(a.activeAt),
    ...(a.keepFiringSince !== undefined ? { keepFiringSince: time(a.keepFiringSince) } : {}),
    value: formatValue(a.value),
  };
}

/** Pending and firing alerts; resolved ones kept for notification are not "active". */
function activeAlerts(rule: AlertingRule): Alert[] {
  return [...rule.active.values()].filter((a) => a.resolvedAt === undefined);
}

/** GET /api/v1/alerts, in Prometheus' shape. */
export function alertsResponse(groups: Group[]) {
  const alerts = groups.flatMap((g) => g.alertingRules().flatMap((r) => activeAlerts(r).map(alertJson)));
  return { status: 'success', data: { alerts } };
}

/** GET /api/v1/rules, in Prometheus' shape; `type` filters as Prometheus' ?type=alert|record. */
export function rulesResponse(groups: Group[], type?: string) {
  return {
    status: 'success',
    data: {
      groups: groups.map((g) => ({
        name: g.name,
        file: g.file,
        interval: g.intervalMs / 1000,
        limit: g.limit,
        evaluationTime: g.evaluationTimeMs / 1000,
        lastEvaluation: time(g.lastEvaluation),
        rules: g.rules
          .filter((r) => !type || (type === 'alert') === r.rule instanceof AlertingRule)
          .map(({ rule, status }) => {
            const common = {
              name: rule.name,
              query: rule.spec.expr,
              labels: rule.spec.labels,
              health: status.health,
              lastError: status.lastError ?? '',
              evaluationTime: status.evaluationTimeMs / 1000,
              lastEvaluation: time(status.lastEvaluation),
            };
            if (!(rule instanceof AlertingRule)) return { ...common, type: 'recording' };
            return {
              state: rule.state(),
              ...common,
              duration: rule.spec.forMs / 1000,
              keepFiringFor: rule.spec.keepFiringForMs / 1000,
              annotations: rule.spec.annotations,
              alerts: activeAlerts(rule).map(alertJson),
              type: 'alerting',
            };
          }),
      })),
    },
  };
}
