/**
 * The multi-day proofs of the rule pack, as promtool test files written from the traffic model:
 * a business-hours agent (10:1 peak/trough) and a busy three-pod agent quiet over three days of
 * healthy traffic; after a day of history, each alert firing on its incident at night and at the
 * peak, and nothing else firing; and a
 * fortnight with weekends at a fifth of the traffic and their own tool mix.
 */
import { AGENT_LABEL, TOOL_LABEL, inputSeries, type AgentModel, type Incident, type IncidentKind, type Profile } from './model.js';

export const DAY = 1440;

/** The alert each incident must fire, with its severity and the tool it names. */
export const INCIDENT_ALERT: Record<IncidentKind, { alert: string; severity: string; tool?: string }> = {
  'error-spike': { alert: 'AgentErrorRateSpike', severity: 'P1' },
  latency: { alert: 'AgentP99LatencySpike', severity: 'P1' },
  'token-loop': { alert: 'AgentTokenCostSpike', severity: 'P2' },
  'tool-failure': { alert: 'AgentToolCallFailureSpike', severity: 'P2', tool: 'lookup_order' },
  hallucination: { alert: 'AgentHallucinationTrend', severity: 'P3' },
  'tool-swap': { alert: 'AgentToolSelectionDrift', severity: 'P3', tool: 'process_refund' },
};

/**
 * Minutes from an incident's start until its alert fires, at most (README's rule-pack table
 * states them). Each is its rule's `for` plus the time the rate window needs to cross the threshold.
 */
export const TIME_TO_FIRE: Record<IncidentKind, number> = {
  'error-spike': 6,
  latency: 10,
  'token-loop': 25,
  'tool-failure': 5,
  hallucination: 32,
  'tool-swap': 45,
};

export const RULE_FILES = ['error-spike.yaml', 'hallucination.yaml', 'latency.yaml', 'token-cost.yaml', 'tool-failure.yaml', 'tool-selection-drift.yaml'];

/** A business-hours support agent: 1 req/s at 01:00, 10 req/s at 13:00; tickets by day, lookups by night. */
export function supportBot(incidents: Incident[] = [], weekly = false): AgentModel {
  return {
    id: 'support-bot',
    peakRps: 10,
    troughRps: 1,
    weekendFactor: weekly ? 0.2 : 1,
    toolMix: {
      day: { search_kb: 0.3, lookup_order: 0.25, create_ticket: 0.3, process_refund: 0.15 },
      night: { search_kb: 0.45, lookup_order: 0.35, create_ticket: 0.05, process_refund: 0.15 },
      ...(weekly ? { weekend: { search_kb: 0.55, lookup_order: 0.2, create_ticket: 0.1, process_refund: 0.15 } } : {}),
    },
    toolCallsPerRequest: 1.5,
    tokensPerRequest: 1500,
    weekendTokenFactor: weekly ? 1.4 : 1,
    errorRatio: 0.01,
    toolFailureRatio: 0.005,
    hallucinationRatio: 0.004,
    incidents,
  };
}

/** A busy agent on three pods, healthy throughout: its series must add up per agent and stay quiet. */
export function batchAgent(weekly = false): AgentModel {
  return {
    id: 'batch-agent',
    peakRps: 120,
    troughRps: 8,
    weekendFactor: weekly ? 0.25 : 1,
    toolMix: {
      day: { fetch_doc: 0.6, summarize: 0.4 },
      night: { fetch_doc: 0.7, summarize: 0.3 },
    },
    toolCallsPerRequest: 2,
    tokensPerRequest: 6000,
    errorRatio: 0.005,
    toolFailureRatio: 0.002,
    hallucinationRatio: 0.001,
    pods: 3,
  };
}

export interface PromtoolFile {
  name: string;
  /** What the file proves, for test names. */
  title: string;
  yaml: string;
}

interface ExprTest {
  expr: string;
  eval_time: string;
  exp_samples: { labels: string; value: number }[];
}

const m = (minute: number) => `${minute}m`;

function alertLabels(kind: IncidentKind, profile: Profile, agent: string, extra: Record<string, string> = {}): string {
  const a = INCIDENT_ALERT[kind];
  const labels: Record<string, string> = { alertname: a.alert, [AGENT_LABEL[profile]]: agent, severity: a.severity };
  if (a.tool) labels[TOOL_LABEL[profile]] = a.tool;
  Object.assign(labels, extra);
  return `{${Object.entries(labels).map(([k, v]) => `${k}="${v}"`).join(', ')}}`;
}

/** Every alert that fired over `window` minutes up to `at`, one sample per alert and series. */
function firedOver(profile: Profile, at: number, window: number, fired: string[]): ExprTest {
  return {
    expr: `group by (alertname, ${AGENT_LABEL[profile]}, ${TOOL_LABEL[profile]}, severity) (count_over_time(ALERTS{alertstate="firing"}[${window}m]))`,
    eval_time: m(at),
    exp_samples: fired.map((labels) => ({ labels, value: 1 })),
  };
}

function render(tests: { series: { series: string; values: string }[]; exprs: ExprTest[] }[], step = 1): string {
  const lines = ['# Written by test/rules/traffic (do not edit): see scenarios.ts.', `rule_files: [${RULE_FILES.join(', ')}]`, `evaluation_interval: ${step}m`, 'tests:'];
  for (const t of tests) {
    lines.push(`  - interval: ${step}m`, '    input_series:');
    for (const s of t.series) lines.push(`      - series: '${s.series}'`, `        values: '${s.values}'`);
    lines.push('    promql_expr_test:');
    for (const e of t.exprs) {
      lines.push(`      - expr: '${e.expr}'`, `        eval_time: ${e.eval_time}`);
      if (e.exp_samples.length === 0) lines.push('        exp_samples: []');
      else {
        lines.push('        exp_samples:');
        for (const s of e.exp_samples) lines.push(`          - labels: '${s.labels}'`, `            value: ${s.value}`);
      }
    }
  }
  return lines.join('\n') + '\n';
}

/** Night (02:00, the tool swap at 03:14) and peak (13:00) on day 2, and the morning ramp (08:30) for the error spike. */
export function incidentTimes(kind: IncidentKind): number[] {
  const night = kind === 'tool-swap' ? 3 * 60 + 14 : 2 * 60;
  const times = [DAY + night, DAY + 13 * 60];
  if (kind === 'error-spike') times.push(DAY + 8 * 60 + 30);
  return times.sort((a, b) => a - b);
}

const FACTOR: Partial<Record<IncidentKind, (at: number) => number>> = {
  // Tokens per request x3 at night, x2.5 at the peak; hallucinations per request x10.
  'token-loop': (at) => ((at % DAY) < 6 * 60 ? 3 : 2.5),
  hallucination: () => 10,
};

/** Three days, healthy: the pack stays quiet over days 2 and 3 (and the cold-start first day). */
export function healthyDays(profile: Profile, seed: number): PromtoolFile {
  const minutes = 3 * DAY;
  const series = inputSeries({ seed, minutes, noise: 0.08, agents: [supportBot(), batchAgent()] }, profile);
  return {
    name: `healthy-3d.${profile}.promtool.yaml`,
    title: `three days of healthy business-hours traffic (${profile} metrics): no alert fires`,
    yaml: render([{ series, exprs: [firedOver(profile, minutes, minutes, [])] }]),
  };
}

/**
 * A day of history, then one kind of incident (two hours each) at night and at the peak of day 2;
 * the series end three hours after the last one starts. healthyDays proves the days around quiet.
 */
export function incidentDays(kind: IncidentKind, profile: Profile, seed: number, probe = false): PromtoolFile {
  const times = incidentTimes(kind);
  const minutes = times[times.length - 1] + 180;
  const incidents: Incident[] = times.map((at) => ({ kind, at, minutes: 120, factor: FACTOR[kind]?.(at) }));
  // The busy agent is proven quiet in healthyDays; here it would only slow promtool down.
  const series = inputSeries({ seed, minutes, noise: 0.08, agents: [supportBot(incidents)] }, profile);
  const firing = alertLabels(kind, profile, 'support-bot');
  const exprs: ExprTest[] = [
    // Quiet over the day and more before the first incident...
    firedOver(profile, times[0], times[0], []),
    // ... and nothing but this alert, for this agent, from then on.
    firedOver(profile, minutes, minutes - times[0], [firing]),
  ];
  for (const at of times) {
    // probe: how many of the 60 evaluations after the start fired (promtool prints it as "got").
    if (probe) exprs.push({ expr: `count_over_time(ALERTS{alertname="${INCIDENT_ALERT[kind].alert}", alertstate="firing"}[60m])`, eval_time: m(at + 60), exp_samples: [] });
    exprs.push({
      expr: `ALERTS{alertname="${INCIDENT_ALERT[kind].alert}", alertstate="firing"}`,
      eval_time: m(at + TIME_TO_FIRE[kind]),
      exp_samples: [{ labels: firing.replace('{', '{__name__="ALERTS", alertstate="firing", '), value: 1 }],
    });
  }
  return {
    name: `${kind}.${profile}.promtool.yaml`,
    title: `${INCIDENT_ALERT[kind].alert} fires within ${TIME_TO_FIRE[kind]}m of a ${kind} incident at ${times.map((t) => `${String(Math.floor((t % DAY) / 60)).padStart(2, '0')}:${String(t % 60).padStart(2, '0')}`).join(', ')} (${profile} metrics), and nothing else fires`,
    yaml: render([{ series, exprs }]),
  };
}

/**
 * Twelve days from a Thursday, weekends at a fifth of the traffic with their own tool mix and
 * dearer requests: once a week of history exists, neither the second weekend nor the Monday
 * morning after it fires (days 8–11, Friday to Monday). `firstWeek` lists what fires before
 * then. Scraped and evaluated every 2 minutes: twelve days at 1m cost promtool minutes.
 */
export function weeklyDays(profile: Profile, seed: number, firstWeek: { tool?: string; alert: IncidentKind }[]): PromtoolFile {
  const minutes = 12 * DAY;
  const series = inputSeries({ seed, minutes, step: 2, noise: 0.08, agents: [supportBot([], true)] }, profile);
  const fired = firstWeek.map((f) => alertLabels(f.alert, profile, 'support-bot', f.tool ? { [TOOL_LABEL[profile]]: f.tool } : {}));
  return {
    name: `weekly-12d.${profile}.promtool.yaml`,
    title: `twelve days with weekends at a fifth of the traffic (${profile} metrics): the second weekend and the Monday after it are quiet`,
    yaml: render([{ series, exprs: [firedOver(profile, 8 * DAY, 8 * DAY, fired), firedOver(profile, minutes - 2, 4 * DAY, [])] }], 2),
  };
}
