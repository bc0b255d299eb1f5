/**
 * A traffic model for the rule pack's multi-day proofs: agents with a daily cycle (peak/trough
 * ratio), a weekly cycle (weekends carry a fraction of weekday traffic, with their own tool mix),
 * a tool mix that changes by hour, seeded noise, and incidents at chosen minutes. It renders
 * promtool `input_series` (one sample a minute, counters as Prometheus would scrape them).
 *
 * Time 0 is 1970-01-01T00:00Z, a Thursday, as in every promtool test.
 */

import { dayShape, DURATION_BUCKETS, HEALTHY_CDF, SLOW_CDF } from '../../../src/demo/index.js';

export type Profile = 'vigil' | 'otel-genai';

export type IncidentKind = 'token-loop' | 'tool-swap' | 'error-spike' | 'tool-failure' | 'hallucination' | 'latency';

export interface Incident {
  kind: IncidentKind;
  /** Minutes since time 0. */
  at: number;
  minutes: number;
  /** token-loop: tokens per request x factor; hallucination: ratio x factor. */
  factor?: number;
}

export interface ToolMix {
  /** Each tool's share of calls at the daily peak and in the dead of night; weekend shares replace both on Saturday and Sunday. */
  day: Record<string, number>;
  night: Record<string, number>;
  weekend?: Record<string, number>;
}

export interface AgentModel {
  id: string;
  /** Requests/s at the daily peak (13:00 UTC) and trough (01:00). */
  peakRps: number;
  troughRps: number;
  /** Weekend traffic as a fraction of the weekday's at the same hour (1 = no weekly cycle). */
  weekendFactor?: number;
  toolMix: ToolMix;
  toolCallsPerRequest: number;
  tokensPerRequest: number;
  /** Tokens per request at the weekend, as a factor of the weekday's. */
  weekendTokenFactor?: number;
  errorRatio: number;
  toolFailureRatio: number;
  hallucinationRatio: number;
  /** Replicas exporting the agent's series (their counters add up). */
  pods?: number;
  incidents?: Incident[];
}

export interface TrafficModel {
  seed: number;
  minutes: number;
  /** Minutes between samples (the scrape interval); 1 by default. */
  step?: number;
  /** Relative noise on every per-minute count, e.g. 0.08 for ±8%. */
  noise: number;
  agents: AgentModel[];
}

/** Request duration buckets (seconds) and their cumulative share, healthy (P99 ≈ 2s) and slow (P99 ≈ 20s): the demo fleet's. */
const LE = DURATION_BUCKETS;

/** The names one profile exports, as Prometheus stores them. */
interface Naming {
  agent: string;
  tool: string;
  requests(status: 'success' | 'failure'): { name: string; labels: Record<string, string> };
  bucket: string;
  count: string;
  tokens(direction: 'input' | 'output'): { name: string; labels: Record<string, string> };
  toolCalls(status: 'success' | 'failure'): { name: string; labels: Record<string, string> };
}

const NAMING: Record<Profile, Naming> = {
  vigil: {
    agent: 'agent_id',
    tool: 'tool_name',
    requests: (status) => ({ name: 'agent_requests_total', labels: { status } }),
    bucket: 'agent_request_duration_seconds_bucket',
    count: 'agent_request_duration_seconds_count',
    tokens: (direction) => ({ name: 'agent_tokens_consumed_total', labels: { model: 'gpt-4o', direction } }),
    toolCalls: (status) => ({ name: 'agent_tool_calls_total', labels: { status } }),
  },
  // What Prometheus stores from OTLP (docs/metrics.md): gen_ai.invoke_agent.duration, gen_ai.client.token.usage, gen_ai.execute_tool.duration.
  'otel-genai': {
    agent: 'gen_ai_agent_name',
    tool: 'gen_ai_tool_name',
    requests: (status) => ({
      name: 'gen_ai_invoke_agent_duration_seconds_count',
      labels: status === 'failure' ? { error_type: 'timeout' } : ({} as Record<string, string>),
    }),
    bucket: 'gen_ai_invoke_agent_duration_seconds_bucket',
    count: 'gen_ai_invoke_agent_duration_seconds_count',
    tokens: (direction) => ({
      name: 'gen_ai_client_token_usage_sum',
      labels: { gen_ai_operation_name: 'chat', gen_ai_provider_name: 'openai', gen_ai_request_model: 'gpt-4o', gen_ai_token_type: direction },
    }),
    toolCalls: (status) => ({
      name: 'gen_ai_execute_tool_duration_seconds_count',
      labels: status === 'failure' ? { error_type: 'tool_error' } : ({} as Record<string, string>),
    }),
  },
};

/** mulberry32: a small, fast, seeded PRNG, so every run writes the same series. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export { dayShape };

/** Saturday and Sunday; day 0 (1970-01-01) is a Thursday. */
export function isWeekend(minute: number): boolean {
  const weekday = (Math.floor(minute / 1440) + 4) % 7; // 0 = Sunday
  return weekday === 0 || weekday === 6;
}

function active(agent: AgentModel, kind: IncidentKind, minute: number): Incident | undefined {
  return agent.incidents?.find((i) => i.kind === kind && minute >= i.at && minute < i.at + i.minutes);
}

/** The tool shares of one minute, before noise; they add up to 1. */
export function toolShares(agent: AgentModel, minute: number): Record<string, number> {
  const s = dayShape(minute % 1440);
  const { day, night, weekend } = agent.toolMix;
  const out: Record<string, number> = {};
  const names = new Set([...Object.keys(day), ...Object.keys(night), ...Object.keys(weekend ?? {})]);
  for (const tool of names) {
    out[tool] = weekend && isWeekend(minute) ? weekend[tool] ?? 0 : (night[tool] ?? 0) + ((day[tool] ?? 0) - (night[tool] ?? 0)) * s;
  }
  // The seed's 3:14 AM case: the agent answers refunds with "unable to process" instead of calling the tool.
  if (active(agent, 'tool-swap', minute) && out.process_refund !== undefined) {
    out.return_unable_to_process = (out.return_unable_to_process ?? 0) + out.process_refund;
    out.process_refund = 0;
  }
  const total = Object.values(out).reduce((a, b) => a + b, 0);
  for (const tool of Object.keys(out)) out[tool] /= total;
  return out;
}

class Counter {
  readonly values: string[] = [];
  private total = 0;
  private started: boolean;
  constructor(readonly name: string, readonly labels: Record<string, string>, startedAt = 0) {
    this.started = startedAt === 0;
  }
  add(increment: number): void {
    this.total += increment;
  }
  /** A counter child exists from its first increment, unless it was created at 0 (docs/metrics.md). */
  sample(exists: boolean, keep = true): void {
    if (exists) this.started = true;
    if (keep) this.values.push(this.started ? String(Math.round(this.total * 1000) / 1000) : '_');
  }
}

/** Renders the model as promtool `input_series`: `{series, values}` with one value every `step` minutes from time 0. */
export function inputSeries(model: TrafficModel, profile: Profile = 'vigil'): { series: string; values: string }[] {
  const naming = NAMING[profile];
  const random = prng(model.seed);
  const noisy = (x: number) => x * (1 + model.noise * (2 * random() - 1));
  const out: Counter[] = [];
  for (const agent of model.agents) {
    const pods = Array.from({ length: agent.pods ?? 1 }, (_, p) => `${agent.id}-${p}`);
    const tools = Object.keys(toolShares({ ...agent, incidents: [] }, 0));
    const swapped = agent.incidents?.some((i) => i.kind === 'tool-swap') ? ['return_unable_to_process'] : [];
    const counters = pods.map((pod) => {
      const base = { [naming.agent]: agent.id, pod };
      const make = (m: { name: string; labels: Record<string, string> }, extra: Record<string, string> = {}) => {
        const c = new Counter(m.name, { ...base, ...m.labels, ...extra });
        out.push(c);
        return c;
      };
      const tool = (name: string, status: 'success' | 'failure') => {
        // A tool the model starts calling mid-way has no series until its first call.
        const c = new Counter(naming.toolCalls(status).name, { ...base, ...naming.toolCalls(status).labels, [naming.tool]: name }, swapped.includes(name) ? 1 : 0);
        out.push(c);
        return c;
      };
      return {
        ok: make(naming.requests('success')),
        failed: make(naming.requests('failure')),
        // vigil's histogram has no status label; in OTel each error.type is its own histogram, whose _count is the request counter.
        buckets:
          profile === 'vigil'
            ? { all: bucketSet(make, naming.bucket, {}) }
            : { ok: bucketSet(make, naming.bucket, naming.requests('success').labels), failed: bucketSet(make, naming.bucket, naming.requests('failure').labels) },
        count: profile === 'vigil' ? make({ name: naming.count, labels: {} }) : undefined,
        tokensIn: make(naming.tokens('input')),
        tokensOut: make(naming.tokens('output')),
        tools: Object.fromEntries([...tools, ...swapped].map((t) => [t, { ok: tool(t, 'success'), failed: tool(t, 'failure') }])),
        hallucinations: make({ name: 'agent_hallucination_total', labels: {} }),
      };
    });
    for (let minute = 0; minute < model.minutes; minute++) {
      const weekend = isWeekend(minute);
      const rps = (agent.troughRps + (agent.peakRps - agent.troughRps) * dayShape(minute % 1440)) * (weekend ? agent.weekendFactor ?? 1 : 1);
      const shares = toolShares(agent, minute);
      for (const c of counters) {
        const requests = noisy((rps * 60) / pods.length);
        const errorRatio = active(agent, 'error-spike', minute) ? 0.2 : agent.errorRatio;
        c.failed.add(requests * errorRatio);
        c.ok.add(requests * (1 - errorRatio));
        const cdf = active(agent, 'latency', minute) ? SLOW_CDF : HEALTHY_CDF;
        const observe = (set: Counter[] | undefined, n: number) => set?.forEach((b, i) => b.add(n * (i < LE.length ? cdf[i] : 1)));
        observe(c.buckets.all, requests);
        observe(c.buckets.ok, requests * (1 - errorRatio));
        observe(c.buckets.failed, requests * errorRatio);
        c.count?.add(requests);
        const loop = active(agent, 'token-loop', minute);
        const tpr = agent.tokensPerRequest * (loop?.factor ?? 1) * (weekend ? agent.weekendTokenFactor ?? 1 : 1);
        const tokens = noisy(requests * tpr);
        c.tokensIn.add(tokens * 0.8);
        c.tokensOut.add(tokens * 0.2);
        const calls = requests * agent.toolCallsPerRequest;
        const failing = active(agent, 'tool-failure', minute);
        for (const [name, counter] of Object.entries(c.tools)) {
          const n = noisy(calls * (shares[name] ?? 0));
          const failure = failing && name === 'lookup_order' ? 0.15 : agent.toolFailureRatio;
          counter.failed.add(n * failure);
          counter.ok.add(n * (1 - failure));
        }
        const hallucination = active(agent, 'hallucination', minute);
        c.hallucinations.add(noisy(requests * agent.hallucinationRatio * (hallucination?.factor ?? 1)));
        const calledNow = (name: string) => (shares[name] ?? 0) > 0;
        const scraped = minute % (model.step ?? 1) === 0;
        for (const [name, counter] of Object.entries(c.tools)) {
          counter.ok.sample(calledNow(name), scraped);
          counter.failed.sample(calledNow(name), scraped);
        }
        const buckets = [...(c.buckets.all ?? []), ...(c.buckets.ok ?? []), ...(c.buckets.failed ?? [])];
        for (const counter of [c.ok, c.failed, ...buckets, ...(c.count ? [c.count] : []), c.tokensIn, c.tokensOut, c.hallucinations]) counter.sample(true, scraped);
      }
    }
  }
  return out.map((c) => ({ series: `${c.name}{${Object.entries(c.labels).map(([k, v]) => `${k}="${v}"`).join(', ')}}`, values: compress(c.values) }));
}

type Make = (m: { name: string; labels: Record<string, string> }, extra?: Record<string, string>) => Counter;

function bucketSet(make: Make, name: string, labels: Record<string, string>): Counter[] {
  return [...LE.map(String), '+Inf'].map((le) => make({ name, labels }, { le }));
}

/** promtool's expanding notation for runs of one value (`a+0xN`, `_xN`), which keeps the files small. */
function compress(values: string[]): string {
  const parts: string[] = [];
  for (let i = 0; i < values.length; ) {
    let j = i + 1;
    while (j < values.length && values[j] === values[i]) j++;
    const run = j - i;
    if (run === 1) parts.push(values[i]);
    else parts.push(values[i] === '_' ? `_x${run}` : `${values[i]}+0x${run - 1}`);
    i = j;
  }
  return parts.join(' ');
}

export const AGENT_LABEL: Record<Profile, string> = { vigil: 'agent_id', 'otel-genai': 'gen_ai_agent_name' };
export const TOOL_LABEL: Record<Profile, string> = { vigil: 'tool_name', 'otel-genai': 'gen_ai_tool_name' };
