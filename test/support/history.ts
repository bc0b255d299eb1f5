/** A week of alert history (and the week before) in a real SqliteStore, for the report tests. Every figure is hand-computable. */
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fingerprint } from '../../src/eval/index.js';
import { SqliteStore, type NotificationRecord } from '../../src/store/index.js';
import { scratchDir } from './scratch.js';

export const M = 60_000;
export const H = 60 * M;
export const D = 24 * H;
/** End of the reviewed week: Monday 2026-11-16 09:00 UTC (10:00 in Europe/Berlin). */
export const TO = Date.UTC(2026, 10, 16, 9, 0);
export const FROM = TO - 7 * D;
export const TIME_ZONE = 'Europe/Berlin';
export const WORKING_HOURS = { start: '09:00', end: '18:00', days: ['mon', 'tue', 'wed', 'thu', 'fri'] as ('mon' | 'tue' | 'wed' | 'thu' | 'fri')[] };

export const SPIKE = 'AgentErrorRateSpike';
export const TOOL = 'AgentToolFailureRate';
export const COST = 'AgentTokenCostAnomaly';
export const HALLU = 'AgentHallucinationTrend';
export const DRIFT = 'AgentToolSelectionDrift';

const SEVERITY: Record<string, string> = { [SPIKE]: 'P1', [TOOL]: 'P2', [COST]: 'P2', [HALLU]: 'P3', [DRIFT]: 'P3' };

/** The rule pack the history belongs to: thresholds in vars, a volume guard on every group but the tool-failure one. */
export const RULES_YAML = `groups:
  - name: agent-error-spike
    vars:
      error_ratio_threshold: 0.05
      min_request_rate: 0.1
    rules:
      - alert: ${SPIKE}
        expr: (sum by (agent_id) (rate(agent_requests_total{status!="success"}[5m])) / sum by (agent_id) (rate(agent_requests_total[5m]))) > \${error_ratio_threshold} and on (agent_id) sum by (agent_id) (rate(agent_requests_total[5m])) >= \${min_request_rate}
        for: 5m
        labels: { severity: P1 }
  - name: agent-tool-failure
    vars:
      failure_ratio_threshold: 0.03
    rules:
      - alert: ${TOOL}
        expr: (sum by (agent_id, tool_name) (rate(agent_tool_calls_total{status!="success"}[5m])) / sum by (agent_id, tool_name) (rate(agent_tool_calls_total[5m]))) > \${failure_ratio_threshold}
        for: 5m
        labels: { severity: P2 }
  - name: agent-token-cost
    vars:
      min_token_rate: 10
    rules:
      - alert: ${COST}
        expr: sum by (agent_id) (rate(agent_tokens_consumed_total[15m])) > 2 * sum by (agent_id) (rate(agent_tokens_consumed_total[24h])) and on (agent_id) sum by (agent_id) (rate(agent_tokens_consumed_total[15m])) >= \${min_token_rate}
        for: 15m
        labels: { severity: P2 }
  - name: agent-quality
    rules:
      - alert: ${HALLU}
        expr: sum by (agent_id) (rate(agent_hallucination_total[30m])) > 0
        for: 30m
        labels: { severity: P3 }
      - alert: ${DRIFT}
        expr: sum by (agent_id) (rate(agent_tool_calls_total{tool_name="refund"}[30m])) < 0.01
        for: 30m
        labels: { severity: P3 }
`;

export function labelsOf(alertname: string, extra: Record<string, string>): Record<string, string> {
  return { alertname, severity: SEVERITY[alertname], ...extra };
}

export const fp = (alertname: string, extra: Record<string, string>): string => fingerprint(labelsOf(alertname, extra));

export interface EpisodeSeed {
  alertname: string;
  labels: Record<string, string>;
  startsAt: number;
  /** Minutes after startsAt; undefined: still firing. */
  lastsMin?: number;
  /** Minutes after startsAt. */
  ackAfterMin?: number;
  feedback?: [afterMin: number, verdict: 'actionable' | 'noise'][];
}

export class HistorySeeder {
  constructor(readonly store: SqliteStore) {}

  episode(e: EpisodeSeed): string {
    const labels = labelsOf(e.alertname, e.labels);
    const base = { fingerprint: fingerprint(labels), startsAt: e.startsAt, alertname: e.alertname, severity: labels.severity, labels };
    // the evaluator's pending comes first: it must not count as a fire
    this.store.recordAlertEvent({ ...base, at: e.startsAt - 5 * M, kind: 'pending', source: 'evaluator' });
    this.store.recordAlertEvent({ ...base, at: e.startsAt, kind: 'firing', source: 'router' });
    if (e.ackAfterMin !== undefined) this.store.recordAlertEvent({ ...base, at: e.startsAt + e.ackAfterMin * M, kind: 'acknowledged', source: 'api', detail: { by: 'alice' } });
    for (const [after, verdict] of e.feedback ?? []) this.store.recordAlertEvent({ ...base, at: e.startsAt + after * M, kind: 'feedback', source: 'link', detail: { verdict } });
    if (e.lastsMin !== undefined) this.store.recordAlertEvent({ ...base, at: e.startsAt + e.lastsMin * M, kind: 'resolved', source: 'router' });
    return base.fingerprint;
  }

  notify(at: number, receiver: string, integration: string, firing: string[], over: Partial<NotificationRecord> = {}): void {
    this.store.recordNotification({ at, receiver, integration, groupKey: `{}:${receiver}`, groupLabels: {}, reason: 'new', firing, resolved: [], outcome: 'success', attempts: 1, ...over });
  }
}

/** Seeds the week [FROM, TO) and the week before; see test/report/report.test.ts for every figure it yields. */
export function seedWeek(store: SqliteStore): void {
  const s = new HistorySeeder(store);

  // AgentErrorRateSpike (P1, receiver oncall): three pages, two at night
  const a1 = s.episode({ alertname: SPIKE, labels: { agent_id: 'support-bot' }, startsAt: FROM + D + 2 * H, lastsMin: 40, ackAfterMin: 10, feedback: [[30, 'actionable']] });
  s.notify(FROM + D + 2 * H, 'oncall', 'pagerduty', [a1]);
  s.notify(FROM + D + 2 * H, 'oncall', 'slack', [a1]);
  s.notify(FROM + D + 2 * H + 40 * M, 'oncall', 'slack', [], { resolved: [a1], reason: 'resolved' });
  const a2 = s.episode({ alertname: SPIKE, labels: { agent_id: 'support-bot' }, startsAt: FROM + 2 * D + 14 * H, lastsMin: 20, ackAfterMin: 5, feedback: [[15, 'actionable']] });
  s.notify(FROM + 2 * D + 14 * H, 'oncall', 'pagerduty', [a2]);
  s.notify(FROM + 2 * D + 14 * H, 'oncall', 'slack', [a2]);
  const a3 = s.episode({ alertname: SPIKE, labels: { agent_id: 'billing-agent' }, startsAt: FROM + 4 * D + 12 * H, lastsMin: 60, feedback: [[120, 'noise']] });
  s.notify(FROM + 4 * D + 12 * H, 'oncall', 'pagerduty', [a3], { outcome: 'failure', attempts: 3, error: 'HTTP 503' });
  s.notify(FROM + 4 * D + 12 * H + M, 'oncall', 'pagerduty', [a3]);
  s.notify(FROM + 4 * D + 12 * H, 'oncall', 'slack', [a3]);

  // AgentToolFailureRate (P2, receiver triage): flaps three times within an hour, then short noisy fires at the weekend
  const x = { agent_id: 'support-bot', tool_name: 'web_search' };
  for (const k of [0, 20, 40]) {
    const f = s.episode({ alertname: TOOL, labels: x, startsAt: FROM + 3 * D + H + k * M, lastsMin: 3 });
    s.notify(FROM + 3 * D + H + k * M, 'triage', 'slack', [f], { reason: k === 0 ? 'new' : 'flapping' });
    if (k === 0) s.notify(FROM + 3 * D + H, 'triage', 'ticket', [f]);
  }
  const y = s.episode({ alertname: TOOL, labels: { agent_id: 'research-agent', tool_name: 'sql_query' }, startsAt: FROM + 5 * D + 20 * H, lastsMin: 4, feedback: [[30, 'noise']] });
  s.notify(FROM + 5 * D + 20 * H, 'triage', 'slack', [y]);
  s.notify(FROM + 5 * D + 20 * H, 'triage', 'ticket', [y], { outcome: 'suppressed' });
  const z = s.episode({ alertname: TOOL, labels: { agent_id: 'research-agent', tool_name: 'web_search' }, startsAt: FROM + 6 * D + 2 * H, lastsMin: 2, feedback: [[1, 'noise']] });
  s.notify(FROM + 6 * D + 2 * H, 'triage', 'slack', [z]);
  s.notify(FROM + 6 * D + 2 * H, 'triage', 'ticket', [z]);

  // AgentTokenCostAnomaly (P2): three agents at once on Saturday, one notification for the group
  const burst = [0, 1, 2].map((k) => s.episode({ alertname: COST, labels: { agent_id: `coder-${k + 1}` }, startsAt: FROM + 5 * D + 3 * H + k * M, lastsMin: 30 }));
  s.notify(FROM + 5 * D + 3 * H + 2 * M, 'triage', 'slack', burst);
  s.notify(FROM + 5 * D + 3 * H + 2 * M, 'triage', 'ticket', burst, { outcome: 'failure', error: 'HTTP 500' });

  // AgentHallucinationTrend (P3): started in the week before and never stopped
  const h = s.episode({ alertname: HALLU, labels: { agent_id: 'support-bot' }, startsAt: FROM - 2 * D });
  s.notify(FROM - 2 * D, 'observe', 'grafana', [h]);

  // the week before: one actionable page, two noisy tool failures
  const p1 = s.episode({ alertname: SPIKE, labels: { agent_id: 'support-bot' }, startsAt: FROM - 3 * D, lastsMin: 30, feedback: [[10, 'actionable']] });
  s.notify(FROM - 3 * D, 'oncall', 'pagerduty', [p1]);
  s.notify(FROM - 3 * D, 'oncall', 'slack', [p1]);
  for (const [k, agent] of [[5, 'support-bot'], [4, 'billing-agent']] as const) {
    const f = s.episode({ alertname: TOOL, labels: { agent_id: agent, tool_name: 'web_search' }, startsAt: FROM - k * D, lastsMin: 10, feedback: [[20, 'noise']] });
    s.notify(FROM - k * D, 'triage', 'slack', [f]);
  }
  // older than both windows and the lookback: must not count anywhere
  s.episode({ alertname: SPIKE, labels: { agent_id: 'ancient' }, startsAt: FROM - 60 * D, lastsMin: 5 });
}

export interface SeededHistory {
  dir: string;
  dbPath: string;
  rulesPath: string;
  store: SqliteStore;
}

/** A scratch folder with vigil.db (seeded) and rules.yaml. */
export async function seededHistory(): Promise<SeededHistory> {
  const dir = await scratchDir(join(tmpdir(), 'vigil-report-'));
  const dbPath = join(dir, 'vigil.db');
  const rulesPath = join(dir, 'rules.yaml');
  writeFileSync(rulesPath, RULES_YAML);
  const store = new SqliteStore(dbPath);
  seedWeek(store);
  return { dir, dbPath, rulesPath, store };
}

/** vigil.yaml beside the seeded store: its rule file, Berlin working hours, and the report to `review` when a Slack URL is given. */
export function writeConfig(dir: string, opts: { slackUrl?: string; schedule?: string; timeZone?: string } = {}): string {
  const path = join(dir, 'vigil.yaml');
  const receivers = opts.slackUrl ? `receivers:\n  - name: review\n    slack_configs: [{ webhook_url: "${opts.slackUrl}", channel: "#alert-review" }]\n` : '';
  writeFileSync(
    path,
    `datasource: { prometheus: { url: "http://127.0.0.1:9" } }
rule_files: [rules.yaml]
storage: { sqlite: { path: vigil.db } }
${receivers}report:
  schedule: "${opts.schedule ?? '0 9 * * 1'}"
  time_zone: ${opts.timeZone ?? TIME_ZONE}
${opts.slackUrl ? '  receiver: review\n' : ''}  out_dir: reports
  working_hours: { start: "09:00", end: "18:00", days: [mon, tue, wed, thu, fri] }
`,
  );
  return path;
}
