/**
 * A synthetic agent fleet exporting the five metrics of docs/metrics.md, written
 * as OpenMetrics for `promtool tsdb create-blocks-from openmetrics` — streamed
 * series by series, so a fleet of a thousand agents never sits in memory as text.
 *
 * Deterministic: the same options give the same file (noise is a hash, not Math.random).
 */

import { createWriteStream } from 'node:fs';
import { once } from 'node:events';

export const BUCKETS = [0.1, 0.25, 0.5, 1, 2.5, 5, 7.5, 10, 15, 20, 30, 60, 120];
/** [tool_name, share of calls] — `payments` is the high-stakes tool the drift incident stops calling. */
export const TOOLS = [
  ['search', 0.35],
  ['retrieve', 0.25],
  ['calculator', 0.15],
  ['payments', 0.15],
  ['email', 0.1],
];
export const MODELS = [
  ['gpt-4o-2024-08-06', 0.7],
  ['claude-3-5-haiku-20241022', 0.3],
];
/** [direction, tokens per request] */
const DIRECTIONS = [
  ['input', 1500],
  ['output', 300],
];
const HALLUCINATION_TYPES = [
  ['factual', 0.5],
  ['citation', 0.3],
  ['tool_output', 0.2],
];
const SIGMA = 0.6; // log-normal latency spread: P99 ≈ 4x the median
const TOOL_CALLS_PER_REQUEST = 2;

/** The six failure modes of the pack, one incident kind per rule group. */
export const INCIDENT_KINDS = ['error', 'latency', 'tokens', 'tool_failure', 'hallucination', 'drift'];

/** Series per agent: 2 request statuses + (14 buckets + _count + _sum) + 2 models × 2 directions + 5 tools × 2 statuses + 3 hallucination types. */
export const SERIES_PER_AGENT = 2 + (BUCKETS.length + 1 + 2) + MODELS.length * DIRECTIONS.length + TOOLS.length * 2 + HALLUCINATION_TYPES.length;

export function agentId(i) {
  return `agent-${String(i).padStart(4, '0')}`;
}

/** A well-spread hash of three integers to [0, 1). */
function hash01(a, b, c) {
  let h = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(b + 0x632be5ab, 0xc2b2ae35) ^ Math.imul(c + 0x27d4eb2f, 0x165667b1);
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  h ^= h >>> 12;
  h = Math.imul(h, 0x297a2d39);
  h ^= h >>> 15;
  return (h >>> 0) / 4294967296;
}

/** Standard normal CDF (Abramowitz–Stegun 7.1.26, error < 1.5e-7). */
function phi(x) {
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * z);
  const erf = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-z * z);
  return x >= 0 ? (1 + erf) / 2 : (1 - erf) / 2;
}

/**
 * Timestamps (unix ms, ascending, unique) of several [from, to] segments, each with its own step.
 * Rates over long windows only need the window's ends, so the far past can be sparse
 * except where a rule looks closely (present_over_time(...[15m] offset 24h)).
 */
export function timeline(segments) {
  const all = new Set();
  for (const { from, to, stepMs } of segments) for (let t = from; t <= to; t += stepMs) all.add(t);
  return [...all].sort((a, b) => a - b);
}

/**
 * @param {object} opts
 * @param {number} opts.agents
 * @param {number[]} opts.timestamps unix ms, ascending
 * @param {{agent:number, kind:string, from:number, to:number}[]} opts.incidents
 */
export class Fleet {
  constructor({ agents, timestamps, incidents = [] }) {
    this.agents = agents;
    this.timestamps = timestamps;
    this.incidents = incidents;
    this.byAgent = new Map();
    for (const inc of incidents) {
      if (!INCIDENT_KINDS.includes(inc.kind)) throw new Error(`unknown incident kind ${inc.kind}`);
      if (!this.byAgent.has(inc.agent)) this.byAgent.set(inc.agent, []);
      this.byAgent.get(inc.agent).push(inc);
    }
  }

  /** Per-agent traits: request rate (req/s), latency median (s), token factor, diurnal phase. */
  traits(i) {
    let rate = 0.5 + 4.5 * hash01(i, 1, 0);
    if (this.byAgent.has(i)) rate = Math.max(rate, 1.5); // incidents on agents above every volume guard
    return {
      rate,
      median: 0.6 + 0.6 * hash01(i, 2, 0), // P99 ≈ 2.5-5s, under the 5s floor
      tokenFactor: 0.5 + 1.5 * hash01(i, 3, 0),
      phase: 2 * Math.PI * hash01(i, 4, 0),
    };
  }

  incident(i, kind, t) {
    const list = this.byAgent.get(i);
    if (!list) return false;
    for (const inc of list) if (inc.kind === kind && t > inc.from && t <= inc.to) return true;
    return false;
  }

  /** Requests per step: step k covers (t[k-1], t[k]]; step 0 is empty (counters start at 0). */
  requestsPerStep(i) {
    const { rate, phase } = this.traits(i);
    const ts = this.timestamps;
    const n = new Float64Array(ts.length);
    for (let k = 1; k < ts.length; k++) {
      const dt = (ts[k] - ts[k - 1]) / 1000;
      const diurnal = 1 + 0.3 * Math.sin((2 * Math.PI * ts[k]) / 86_400_000 + phase);
      n[k] = rate * diurnal * dt * (0.9 + 0.2 * hash01(i, k, 10));
    }
    return n;
  }

  /**
   * Every series of one metric family for agent i: [labels, values[]] with values
   * aligned to the timeline. Counters are cumulative integers, as exported.
   */
  *series(family, i) {
    const id = agentId(i);
    const ts = this.timestamps;
    const n = this.requestsPerStep(i);
    const tr = this.traits(i);
    const counter = (perStep, salt) => {
      const out = new Array(ts.length);
      let acc = 0;
      for (let k = 0; k < ts.length; k++) {
        if (k > 0) acc += perStep(k) * (0.9 + 0.2 * hash01(i, k, salt));
        out[k] = Math.floor(acc);
      }
      return out;
    };
    switch (family) {
      case 'agent_requests': {
        const failRatio = (k) => (this.incident(i, 'error', ts[k]) ? 0.2 : 0.01);
        yield [{ agent_id: id, status: 'success' }, counter((k) => n[k] * (1 - failRatio(k)), 20)];
        yield [{ agent_id: id, status: 'failure' }, counter((k) => n[k] * failRatio(k), 21)];
        return;
      }
      case 'agent_request_duration_seconds': {
        const median = (k) => (this.incident(i, 'latency', ts[k]) ? tr.median * 8 : tr.median);
        const cdf = (le, k) => phi((Math.log(le) - Math.log(median(k))) / SIGMA);
        // Buckets share one count per step (no per-bucket noise): cumulative buckets stay monotone in le.
        const cumulative = (frac) => {
          const out = new Array(ts.length);
          let acc = 0;
          for (let k = 0; k < ts.length; k++) {
            if (k > 0) acc += n[k] * frac(k);
            out[k] = Math.floor(acc);
          }
          return out;
        };
        for (const le of BUCKETS) {
          yield [{ agent_id: id, le: String(le) }, cumulative((k) => cdf(le, k)), 'agent_request_duration_seconds_bucket'];
        }
        const count = cumulative(() => 1);
        yield [{ agent_id: id, le: '+Inf' }, count, 'agent_request_duration_seconds_bucket'];
        yield [{ agent_id: id }, count, 'agent_request_duration_seconds_count'];
        const sum = new Array(ts.length);
        let acc = 0;
        for (let k = 0; k < ts.length; k++) {
          if (k > 0) acc += n[k] * median(k) * Math.exp((SIGMA * SIGMA) / 2);
          sum[k] = Math.round(acc * 10) / 10;
        }
        yield [{ agent_id: id }, sum, 'agent_request_duration_seconds_sum'];
        return;
      }
      case 'agent_tokens_consumed': {
        let salt = 30;
        for (const [model, share] of MODELS) {
          for (const [direction, perRequest] of DIRECTIONS) {
            const perStep = (k) => n[k] * share * perRequest * tr.tokenFactor * (this.incident(i, 'tokens', ts[k]) ? 4 : 1);
            yield [{ agent_id: id, direction, model }, counter(perStep, salt++)];
          }
        }
        return;
      }
      case 'agent_tool_calls': {
        let salt = 40;
        for (const [tool, share] of TOOLS) {
          const calls = (k) => n[k] * TOOL_CALLS_PER_REQUEST * share * (tool === 'payments' && this.incident(i, 'drift', ts[k]) ? 0.05 : 1);
          const failRatio = (k) => (tool === 'search' && this.incident(i, 'tool_failure', ts[k]) ? 0.3 : 0.005);
          yield [{ agent_id: id, status: 'success', tool_name: tool }, counter((k) => calls(k) * (1 - failRatio(k)), salt++)];
          yield [{ agent_id: id, status: 'failure', tool_name: tool }, counter((k) => calls(k) * failRatio(k), salt++)];
        }
        return;
      }
      case 'agent_hallucination': {
        let salt = 60;
        for (const [type, share] of HALLUCINATION_TYPES) {
          const perStep = (k) => n[k] * share * (this.incident(i, 'hallucination', ts[k]) ? 0.05 : 0.005);
          yield [{ agent_id: id, hallucination_type: type }, counter(perStep, salt++)];
        }
        return;
      }
      default:
        throw new Error(`unknown family ${family}`);
    }
  }

  /** Streams the fleet's history as OpenMetrics to `path`. Returns { bytes, samples, series }. */
  async writeOpenMetrics(path) {
    const families = [
      ['agent_requests', 'counter', 'agent_requests_total'],
      ['agent_request_duration_seconds', 'histogram', null],
      ['agent_tokens_consumed', 'counter', 'agent_tokens_consumed_total'],
      ['agent_tool_calls', 'counter', 'agent_tool_calls_total'],
      ['agent_hallucination', 'counter', 'agent_hallucination_total'],
    ];
    const out = createWriteStream(path, { highWaterMark: 1 << 20 });
    let bytes = 0;
    let samples = 0;
    let series = 0;
    const write = async (text) => {
      bytes += Buffer.byteLength(text);
      if (!out.write(text)) await once(out, 'drain');
    };
    const secs = this.timestamps.map((t) => {
      if (t % 1000 !== 0) throw new Error('timestamps must be whole seconds');
      return String(t / 1000);
    });
    for (const [family, type, metric] of families) {
      await write(`# TYPE ${family} ${type}\n`);
      let chunk = '';
      for (let i = 0; i < this.agents; i++) {
        for (const [labels, values, name] of this.series(family, i)) {
          const labelText = Object.keys(labels)
            .sort()
            .map((k) => `${k}="${labels[k]}"`)
            .join(',');
          const prefix = `${name ?? metric}{${labelText}} `;
          for (let k = 0; k < values.length; k++) chunk += `${prefix}${values[k]} ${secs[k]}\n`;
          samples += values.length;
          series++;
        }
        if (chunk.length > 1 << 20) {
          await write(chunk);
          chunk = '';
        }
      }
      if (chunk) await write(chunk);
    }
    await write('# EOF\n');
    out.end();
    await once(out, 'finish');
    return { bytes, samples, series };
  }
}
