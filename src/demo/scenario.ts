/**
 * The demo's fleet and its incident schedule. Six agents (one in the OTel GenAI names) and one
 * incident of each kind per round. The first round begins before the demo starts, inside the
 * backfilled history, timed so that each alert's `for` clock, replayed over that history at
 * start, runs out a few minutes into the demo: the P1 page first, all six within half an hour.
 */
import type { AgentModel, FleetModel, Incident, IncidentKind } from './model.js';

const MIN = 60_000;

export const DEMO_AGENTS: AgentModel[] = [
  {
    id: 'checkout-bot', profile: 'vigil', peakRps: 12, troughRps: 1.5, model: 'gpt-4o',
    toolMix: { day: { lookup_order: 0.4, charge_card: 0.35, send_receipt: 0.25 }, night: { lookup_order: 0.45, charge_card: 0.3, send_receipt: 0.25 } },
    toolCallsPerRequest: 1.8, tokensPerRequest: 1200, errorRatio: 0.008, toolFailureRatio: 0.004, hallucinationRatio: 0.002,
  },
  {
    id: 'support-bot', profile: 'vigil', peakRps: 10, troughRps: 1, model: 'gpt-4o',
    toolMix: { day: { search_kb: 0.3, lookup_order: 0.25, create_ticket: 0.3, process_refund: 0.15 }, night: { search_kb: 0.45, lookup_order: 0.35, create_ticket: 0.05, process_refund: 0.15 } },
    toolCallsPerRequest: 1.5, tokensPerRequest: 1500, errorRatio: 0.01, toolFailureRatio: 0.005, hallucinationRatio: 0.004,
  },
  {
    id: 'search-agent', profile: 'vigil', peakRps: 20, troughRps: 2, model: 'gpt-4o-mini',
    toolMix: { day: { web_search: 0.7, fetch_page: 0.3 }, night: { web_search: 0.65, fetch_page: 0.35 } },
    toolCallsPerRequest: 2.5, tokensPerRequest: 900, errorRatio: 0.005, toolFailureRatio: 0.003, hallucinationRatio: 0.002,
  },
  {
    id: 'research-agent', profile: 'vigil', peakRps: 6, troughRps: 1, model: 'claude-sonnet',
    toolMix: { day: { fetch_doc: 0.6, summarize: 0.4 }, night: { fetch_doc: 0.7, summarize: 0.3 } },
    toolCallsPerRequest: 3, tokensPerRequest: 6000, errorRatio: 0.006, toolFailureRatio: 0.002, hallucinationRatio: 0.003,
  },
  {
    id: 'faq-bot', profile: 'vigil', peakRps: 8, troughRps: 1, model: 'gpt-4o-mini',
    toolMix: { day: { search_kb: 0.8, escalate: 0.2 }, night: { search_kb: 0.85, escalate: 0.15 } },
    toolCallsPerRequest: 1.2, tokensPerRequest: 800, errorRatio: 0.004, toolFailureRatio: 0.002, hallucinationRatio: 0.004,
  },
  {
    id: 'travel-agent', profile: 'otel-genai', peakRps: 5, troughRps: 0.5, model: 'gpt-4o',
    toolMix: { day: { search_flights: 0.5, book_hotel: 0.3, get_weather: 0.2 }, night: { search_flights: 0.5, book_hotel: 0.3, get_weather: 0.2 } },
    toolCallsPerRequest: 2, tokensPerRequest: 2000, errorRatio: 0.006, toolFailureRatio: 0.003, hallucinationRatio: 0.002,
  },
];

/** One round: each incident's start relative to the round's mark, and how long it lasts. */
export const ROUND: { kind: IncidentKind; agent: string; tool?: string; factor?: number; startMin: number; minutes: number }[] = [
  { kind: 'error-spike', agent: 'checkout-bot', startMin: -8, minutes: 30 },
  { kind: 'latency', agent: 'search-agent', startMin: -7, minutes: 35 },
  { kind: 'tool-failure', agent: 'support-bot', tool: 'lookup_order', startMin: 1, minutes: 30 },
  { kind: 'token-loop', agent: 'research-agent', factor: 3, startMin: -15, minutes: 45 },
  { kind: 'hallucination', agent: 'faq-bot', factor: 10, startMin: -17, minutes: 50 },
  { kind: 'tool-swap', agent: 'support-bot', tool: 'process_refund', startMin: -25, minutes: 55 },
];

/** Rounds repeat at this period: not a divisor of a day, so yesterday's baseline is never a round. */
export const ROUND_PERIOD_MS = 150 * MIN;

export interface ScenarioOptions {
  seed?: number;
  /** How many rounds from `start` on; one a period for a day by default. */
  rounds?: number;
}

/** The fleet of a demo started at `start` (unix ms). */
export function demoFleet(start: number, options: ScenarioOptions = {}): FleetModel {
  const rounds = options.rounds ?? Math.ceil(86_400_000 / ROUND_PERIOD_MS);
  const incidents: Incident[] = [];
  for (let r = 0; r < rounds; r++) {
    for (const i of ROUND) {
      incidents.push({ kind: i.kind, agent: i.agent, tool: i.tool, factor: i.factor, start: start + r * ROUND_PERIOD_MS + i.startMin * MIN, durationMs: i.minutes * MIN });
    }
  }
  return { seed: options.seed ?? 12, noise: 0.06, agents: DEMO_AGENTS, incidents };
}
