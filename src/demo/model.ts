/**
 * The demo fleet's traffic model: agents with a business-hours daily cycle, a tool mix that
 * changes by hour, seeded noise, and incidents at chosen times. Everything is a pure function of
 * wall-clock time, so the backfilled history and the live exporter describe one and the same fleet.
 */

export type Profile = 'vigil' | 'otel-genai';

export type IncidentKind = 'error-spike' | 'latency' | 'token-loop' | 'tool-failure' | 'hallucination' | 'tool-swap';

export const INCIDENT_KINDS: readonly IncidentKind[] = ['error-spike', 'latency', 'token-loop', 'tool-failure', 'hallucination', 'tool-swap'];

/** The alert of the rule pack that each kind of incident must fire, and its severity. */
export const INCIDENT_ALERT: Record<IncidentKind, { alert: string; severity: 'P1' | 'P2' | 'P3' }> = {
  'error-spike': { alert: 'AgentErrorRateSpike', severity: 'P1' },
  latency: { alert: 'AgentP99LatencySpike', severity: 'P1' },
  'token-loop': { alert: 'AgentTokenCostSpike', severity: 'P2' },
  'tool-failure': { alert: 'AgentToolCallFailureSpike', severity: 'P2' },
  hallucination: { alert: 'AgentHallucinationTrend', severity: 'P3' },
  'tool-swap': { alert: 'AgentToolSelectionDrift', severity: 'P3' },
};

export interface Incident {
  kind: IncidentKind;
  agent: string;
  /** Unix ms. */
  start: number;
  durationMs: number;
  /** tool-failure: the failing tool; tool-swap: the tool no longer chosen. */
  tool?: string;
  /** token-loop: tokens per request x factor; hallucination: hallucinations per request x factor. */
  factor?: number;
}

export interface AgentModel {
  id: string;
  /** Which metric names it exports: vigil's contract (docs/metrics.md) or the OTel GenAI conventions. */
  profile: Profile;
  /** Requests/s at the daily peak (13:00 UTC) and trough (01:00). */
  peakRps: number;
  troughRps: number;
  /** Each tool's share of calls at the daily peak and in the dead of night. */
  toolMix: { day: Record<string, number>; night: Record<string, number> };
  toolCallsPerRequest: number;
  tokensPerRequest: number;
  model: string;
  errorRatio: number;
  toolFailureRatio: number;
  hallucinationRatio: number;
}

export interface FleetModel {
  seed: number;
  /** Relative noise on every per-minute count, e.g. 0.08 for ±8%. */
  noise: number;
  agents: AgentModel[];
  incidents: Incident[];
}

/** Request duration buckets (seconds) and their cumulative share: healthy (P99 ≈ 2s) and slow (P99 ≈ 20s). */
export const DURATION_BUCKETS = [0.1, 0.25, 0.5, 1, 2.5, 5, 7.5, 10, 15, 20, 30, 60, 120];
export const HEALTHY_CDF = [0.02, 0.1, 0.35, 0.97, 0.9995, 1, 1, 1, 1, 1, 1, 1, 1];
export const SLOW_CDF = [0.01, 0.05, 0.1, 0.2, 0.4, 0.6, 0.7, 0.8, 0.9, 0.992, 1, 1, 1];
/** The tool the agent answers with instead of the one it stopped choosing (the seed's 3:14 AM refund case). */
export const SWAP_TOOL = 'return_unable_to_process';
const MINUTE = 60_000;

/** 0 at 01:00, 1 at 13:00, a smooth business-hours bump in between. */
export function dayShape(minuteOfDay: number): number {
  const c = (1 + Math.cos((2 * Math.PI * (minuteOfDay - 13 * 60)) / 1440)) / 2;
  return c * c;
}

/** A uniform number in [0, 1) from a few integers: noise that any process recomputes for any minute. */
function hashUniform(a: number, b: number, c: number, d: number): number {
  let h = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(b + 0x632be5ab, 0xc2b2ae35) ^ Math.imul(c ^ 0x27d4eb2f, 0x165667b1) ^ Math.imul(d + 0x7f4a7c15, 0x9e3779b1);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return ((h ^ (h >>> 16)) >>> 0) / 4294967296;
}

/** One agent's counts over one minute, before any rounding. */
export interface MinuteCounts {
  success: number;
  failure: number;
  /** Requests per duration bucket, cumulative (DURATION_BUCKETS, then +Inf). */
  buckets: number[];
  tokensIn: number;
  tokensOut: number;
  tools: Record<string, { success: number; failure: number }>;
  hallucinations: number;
}

/** Every tool the agent ever calls, the swap tool included when an incident needs it. */
export function toolsOf(fleet: FleetModel, agent: AgentModel): string[] {
  const tools = new Set([...Object.keys(agent.toolMix.day), ...Object.keys(agent.toolMix.night)]);
  if (fleet.incidents.some((i) => i.agent === agent.id && i.kind === 'tool-swap')) tools.add(SWAP_TOOL);
  return [...tools];
}

export function activeIncident(fleet: FleetModel, agent: string, kind: IncidentKind, at: number): Incident | undefined {
  return fleet.incidents.find((i) => i.agent === agent && i.kind === kind && at >= i.start && at < i.start + i.durationMs);
}

/** The counts of the minute that starts at `minuteStart` (unix ms, a multiple of 60,000). */
export function minuteCounts(fleet: FleetModel, agentIndex: number, minuteStart: number): MinuteCounts {
  const agent = fleet.agents[agentIndex];
  const minute = Math.floor(minuteStart / MINUTE);
  const shape = dayShape(((minute % 1440) + 1440) % 1440);
  let channel = 0;
  const noisy = (x: number) => x * (1 + fleet.noise * (2 * hashUniform(fleet.seed, agentIndex, minute, channel++) - 1));
  const active = (kind: IncidentKind) => activeIncident(fleet, agent.id, kind, minuteStart);

  const requests = noisy((agent.troughRps + (agent.peakRps - agent.troughRps) * shape) * 60);
  const errorRatio = active('error-spike') ? 0.25 : agent.errorRatio;
  const cdf = active('latency') ? SLOW_CDF : HEALTHY_CDF;
  const tokens = noisy(requests * agent.tokensPerRequest * (active('token-loop')?.factor ?? 1));
  const shares: Record<string, number> = {};
  for (const tool of toolsOf(fleet, agent)) {
    const day = agent.toolMix.day[tool] ?? 0;
    const night = agent.toolMix.night[tool] ?? 0;
    shares[tool] = night + (day - night) * shape;
  }
  const swap = active('tool-swap');
  if (swap?.tool && shares[swap.tool] !== undefined) {
    shares[SWAP_TOOL] = (shares[SWAP_TOOL] ?? 0) + shares[swap.tool];
    shares[swap.tool] = 0;
  }
  const failing = active('tool-failure');
  const calls = requests * agent.toolCallsPerRequest;
  const tools: MinuteCounts['tools'] = {};
  for (const [tool, share] of Object.entries(shares)) {
    const n = noisy(calls * share);
    const ratio = failing && failing.tool === tool ? 0.2 : agent.toolFailureRatio;
    tools[tool] = { success: n * (1 - ratio), failure: n * ratio };
  }
  return {
    success: requests * (1 - errorRatio),
    failure: requests * errorRatio,
    buckets: [...cdf.map((share) => requests * share), requests],
    tokensIn: tokens * 0.8,
    tokensOut: tokens * 0.2,
    tools,
    hallucinations: noisy(requests * agent.hallucinationRatio * (active('hallucination')?.factor ?? 1)),
  };
}

/** Running totals of one agent, as its counters hold them (fractional: exporters round down). */
export class AgentTotals {
  success = 0;
  failure = 0;
  buckets: number[] = new Array(DURATION_BUCKETS.length + 1).fill(0);
  tokensIn = 0;
  tokensOut = 0;
  tools: Record<string, { success: number; failure: number }> = {};
  hallucinations = 0;

  constructor(tools: string[]) {
    for (const t of tools) this.tools[t] = { success: 0, failure: 0 };
  }

  add(c: MinuteCounts, fraction: number): void {
    this.success += c.success * fraction;
    this.failure += c.failure * fraction;
    c.buckets.forEach((n, i) => (this.buckets[i] += n * fraction));
    this.tokensIn += c.tokensIn * fraction;
    this.tokensOut += c.tokensOut * fraction;
    for (const [tool, n] of Object.entries(c.tools)) {
      const t = (this.tools[tool] ??= { success: 0, failure: 0 });
      t.success += n.success * fraction;
      t.failure += n.failure * fraction;
    }
    this.hallucinations += c.hallucinations * fraction;
  }
}

/** Adds what every agent did in [from, to) to `totals`; a partial minute counts pro rata. */
export function advance(fleet: FleetModel, totals: AgentTotals[], from: number, to: number): void {
  for (let t = from; t < to; ) {
    const minuteStart = Math.floor(t / MINUTE) * MINUTE;
    const end = Math.min(to, minuteStart + MINUTE);
    const fraction = (end - t) / MINUTE;
    fleet.agents.forEach((_, i) => totals[i].add(minuteCounts(fleet, i, minuteStart), fraction));
    t = end;
  }
}

export function newTotals(fleet: FleetModel): AgentTotals[] {
  return fleet.agents.map((a) => new AgentTotals(toolsOf(fleet, a)));
}
