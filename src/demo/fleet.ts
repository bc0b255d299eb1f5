/**
 * The simulated fleet, instrumented with prom-client as a real agent would be: counters and
 * histograms in vigil's metric names (docs/metrics.md), or in the OpenTelemetry GenAI names as
 * Prometheus stores them (profiles/otel-genai.yaml). advanceTo() replays the model up to a time
 * through the client's own inc()/observe(); the backfill and the live exporter both read it.
 */
import client from 'prom-client';
import { advance, DURATION_BUCKETS, newTotals, type AgentModel, type AgentTotals, type FleetModel } from './model.js';

/** OpenTelemetry's advisory buckets are finer; these few keep the demo's series count small. */
const TOKEN_BUCKETS = [256, 1024, 4096, 16384, 65536];
const TOOL_DURATION_BUCKETS = [0.1, 0.5, 1, 5];
const TOOL_DURATION = 0.3;
/** A request slower than the last bucket: it lands in +Inf only. */
const BEYOND_LAST_BUCKET = 150;

type Labels = Record<string, string>;

/** What an agent's instruments have been told so far, per label set: what the model's totals are compared with. */
class Emitted {
  private readonly counts = new Map<string, number>();
  /** How many more whole units the total has reached since the last call. */
  delta(key: string, total: number): number {
    const target = Math.floor(total);
    const before = this.counts.get(key) ?? 0;
    if (target <= before) return 0;
    this.counts.set(key, target);
    return target - before;
  }
}

interface Instruments {
  vigil: {
    requests: client.Counter<string>;
    duration: client.Histogram<string>;
    tokens: client.Counter<string>;
    toolCalls: client.Counter<string>;
    hallucinations: client.Counter<string>;
  };
  otel: {
    invoke: client.Histogram<string>;
    tokens: client.Histogram<string>;
    tool: client.Histogram<string>;
  };
}

export class Fleet {
  readonly registry = new client.Registry();
  private readonly totals: AgentTotals[];
  private readonly emitted: Emitted[];
  private readonly instruments: Instruments;
  private at: number;

  /** A fleet whose counters start at 0 at `start` (unix ms), as processes started then. */
  constructor(
    readonly model: FleetModel,
    start: number,
  ) {
    this.at = start;
    this.totals = newTotals(model);
    this.emitted = model.agents.map(() => new Emitted());
    const registers = [this.registry];
    const vigilProfile = model.agents.some((a) => a.profile === 'vigil');
    const otelProfile = model.agents.some((a) => a.profile === 'otel-genai');
    this.instruments = {
      vigil: {
        requests: new client.Counter({ name: 'agent_requests_total', help: 'End-to-end agent requests by outcome.', labelNames: ['agent_id', 'status'], registers: vigilProfile ? registers : [] }),
        duration: new client.Histogram({ name: 'agent_request_duration_seconds', help: 'End-to-end agent request duration.', labelNames: ['agent_id'], buckets: DURATION_BUCKETS, registers: vigilProfile ? registers : [] }),
        tokens: new client.Counter({ name: 'agent_tokens_consumed_total', help: 'LLM tokens consumed.', labelNames: ['agent_id', 'model', 'direction'], registers: vigilProfile ? registers : [] }),
        toolCalls: new client.Counter({ name: 'agent_tool_calls_total', help: 'Tool calls by tool and outcome.', labelNames: ['agent_id', 'tool_name', 'status'], registers: vigilProfile ? registers : [] }),
        hallucinations: new client.Counter({ name: 'agent_hallucination_total', help: 'Responses flagged as hallucinated.', labelNames: ['agent_id', 'gen_ai_agent_name', 'hallucination_type'], registers }),
      },
      otel: {
        invoke: new client.Histogram({ name: 'gen_ai_invoke_agent_duration_seconds', help: 'gen_ai.invoke_agent.duration', labelNames: ['gen_ai_agent_name', 'error_type'], buckets: DURATION_BUCKETS, registers: otelProfile ? registers : [] }),
        tokens: new client.Histogram({
          name: 'gen_ai_client_token_usage',
          help: 'gen_ai.client.token.usage',
          labelNames: ['gen_ai_agent_name', 'gen_ai_operation_name', 'gen_ai_provider_name', 'gen_ai_request_model', 'gen_ai_token_type'],
          buckets: TOKEN_BUCKETS,
          registers: otelProfile ? registers : [],
        }),
        tool: new client.Histogram({ name: 'gen_ai_execute_tool_duration_seconds', help: 'gen_ai.execute_tool.duration', labelNames: ['gen_ai_agent_name', 'gen_ai_tool_name', 'error_type'], buckets: TOOL_DURATION_BUCKETS, registers: otelProfile ? registers : [] }),
      },
    };
    // Every known label combination starts at 0, so the first failure after a start is counted (docs/metrics.md).
    model.agents.forEach((agent, i) => this.zero(agent, i));
  }

  /** The time the fleet has been replayed up to. */
  get now(): number {
    return this.at;
  }

  private zero(agent: AgentModel, index: number): void {
    const tools = Object.keys(this.totals[index].tools);
    if (agent.profile === 'vigil') {
      const v = this.instruments.vigil;
      for (const status of ['success', 'failure']) v.requests.inc({ agent_id: agent.id, status }, 0);
      v.duration.zero({ agent_id: agent.id });
      for (const direction of ['input', 'output']) v.tokens.inc({ agent_id: agent.id, model: agent.model, direction }, 0);
      for (const tool of tools) for (const status of ['success', 'failure']) v.toolCalls.inc({ agent_id: agent.id, tool_name: tool, status }, 0);
      v.hallucinations.inc({ agent_id: agent.id, hallucination_type: 'unsupported_claim' }, 0);
    } else {
      const o = this.instruments.otel;
      o.invoke.zero({ gen_ai_agent_name: agent.id });
      o.invoke.zero({ gen_ai_agent_name: agent.id, error_type: 'timeout' });
      for (const type of ['input', 'output']) o.tokens.zero(this.otelTokenLabels(agent, type));
      for (const tool of tools) {
        o.tool.zero({ gen_ai_agent_name: agent.id, gen_ai_tool_name: tool });
        o.tool.zero({ gen_ai_agent_name: agent.id, gen_ai_tool_name: tool, error_type: 'tool_error' });
      }
      this.instruments.vigil.hallucinations.inc({ gen_ai_agent_name: agent.id, hallucination_type: 'unsupported_claim' }, 0);
    }
  }

  private otelTokenLabels(agent: AgentModel, type: string): Labels {
    return { gen_ai_agent_name: agent.id, gen_ai_operation_name: 'chat', gen_ai_provider_name: 'openai', gen_ai_request_model: agent.model, gen_ai_token_type: type };
  }

  /** Replays what every agent did from the last call up to `t`, through the instruments. */
  advanceTo(t: number): void {
    if (t <= this.at) return;
    advance(this.model, this.totals, this.at, t);
    this.at = t;
    this.model.agents.forEach((agent, i) => (agent.profile === 'vigil' ? this.emitVigil(agent, i) : this.emitOtel(agent, i)));
  }

  private emitVigil(agent: AgentModel, i: number): void {
    const v = this.instruments.vigil;
    const t = this.totals[i];
    const e = this.emitted[i];
    const inc = (counter: client.Counter<string>, labels: Labels, key: string, total: number) => {
      const d = e.delta(key, total);
      if (d > 0) counter.inc(labels, d);
    };
    inc(v.requests, { agent_id: agent.id, status: 'success' }, 'ok', t.success);
    inc(v.requests, { agent_id: agent.id, status: 'failure' }, 'failed', t.failure);
    this.observeBuckets(v.duration, { agent_id: agent.id }, t.buckets, e, 'duration');
    inc(v.tokens, { agent_id: agent.id, model: agent.model, direction: 'input' }, 'in', t.tokensIn);
    inc(v.tokens, { agent_id: agent.id, model: agent.model, direction: 'output' }, 'out', t.tokensOut);
    for (const [tool, n] of Object.entries(t.tools)) {
      inc(v.toolCalls, { agent_id: agent.id, tool_name: tool, status: 'success' }, `tool/${tool}/ok`, n.success);
      inc(v.toolCalls, { agent_id: agent.id, tool_name: tool, status: 'failure' }, `tool/${tool}/failed`, n.failure);
    }
    inc(v.hallucinations, { agent_id: agent.id, hallucination_type: 'unsupported_claim' }, 'hallucinations', t.hallucinations);
  }

  /** Observes one request per unit of the model's cumulative bucket counts, at a duration inside its bucket. */
  private observeBuckets(h: client.Histogram<string>, labels: Labels, cumulative: number[], e: Emitted, key: string): void {
    let below = 0;
    cumulative.forEach((total, b) => {
      const upTo = Math.floor(total);
      // the requests of this bucket alone, so every cumulative count stays whole
      const n = e.delta(`${key}/${b}`, Math.max(0, upTo - below));
      below = Math.max(below, upTo);
      const value = b < DURATION_BUCKETS.length ? DURATION_BUCKETS[b] : BEYOND_LAST_BUCKET;
      for (let k = 0; k < n; k++) h.observe(labels, value);
    });
  }

  private emitOtel(agent: AgentModel, i: number): void {
    const o = this.instruments.otel;
    const t = this.totals[i];
    const e = this.emitted[i];
    // Each error.type is its own histogram in OTel, whose _count is the request counter.
    const failures = e.delta('failed', t.failure);
    for (let k = 0; k < failures; k++) o.invoke.observe({ gen_ai_agent_name: agent.id, error_type: 'timeout' }, 1);
    const scale = t.success / Math.max(1e-9, t.success + t.failure);
    this.observeBuckets(o.invoke, { gen_ai_agent_name: agent.id }, t.buckets.map((n) => n * scale), e, 'duration');
    const requests = t.success + t.failure;
    for (const [type, tokens] of [['input', t.tokensIn], ['output', t.tokensOut]] as const) {
      // one observation per request, of that request's share of the tokens
      const n = e.delta(`requests/${type}`, requests);
      if (n === 0) continue;
      const spent = e.delta(`tokens/${type}`, tokens);
      for (let k = 0; k < n; k++) o.tokens.observe(this.otelTokenLabels(agent, type), spent / n);
    }
    for (const [tool, n] of Object.entries(t.tools)) {
      const ok = e.delta(`tool/${tool}/ok`, n.success);
      const failed = e.delta(`tool/${tool}/failed`, n.failure);
      for (let k = 0; k < ok; k++) o.tool.observe({ gen_ai_agent_name: agent.id, gen_ai_tool_name: tool }, TOOL_DURATION);
      for (let k = 0; k < failed; k++) o.tool.observe({ gen_ai_agent_name: agent.id, gen_ai_tool_name: tool, error_type: 'tool_error' }, TOOL_DURATION);
    }
    const h = e.delta('hallucinations', t.hallucinations);
    if (h > 0) this.instruments.vigil.hallucinations.inc({ gen_ai_agent_name: agent.id, hallucination_type: 'unsupported_claim' }, h);
  }

  /** The exposition, in the Prometheus text format, as of `t` (the fleet is replayed up to it first). */
  async exposition(t: number): Promise<string> {
    this.advanceTo(t);
    return this.registry.metrics();
  }

  /** Every series and its value as of the last advanceTo(): what the backfill writes. */
  async samples(): Promise<{ name: string; labels: Labels; value: number }[]> {
    const out: { name: string; labels: Labels; value: number }[] = [];
    for (const metric of await this.registry.getMetricsAsJSON()) {
      for (const v of metric.values) {
        const labels: Labels = {};
        for (const [k, x] of Object.entries(v.labels)) if (x !== undefined) labels[k] = String(x);
        out.push({ name: (v as { metricName?: string }).metricName ?? metric.name, labels, value: v.value });
      }
    }
    return out;
  }
}
