/**
 * Differential test of the embedded PromQL engine against the real Prometheus 2.42: a seeded
 * generator writes random but valid queries over the rule pack's metric shapes (every matcher
 * kind, range functions, aggregations, binary operators with matching, subqueries, offsets,
 * functions) and random data; each query runs on both, at instants and as a range query, and
 * the answers must agree within a relative tolerance of 1e-6.
 *
 * Both read the same OpenMetrics text: Prometheus through `promtool tsdb create-blocks-from
 * openmetrics`, the engine through the in-memory store. Scrapes sit at odd milliseconds and
 * evaluations 7s (or 37s) past a minute, so that no raw sample and no subquery step falls on a
 * window's start: there Prometheus 3, whose semantics the engine follows, leaves out the point
 * that 2.42 counts (range and subquery windows became left-open in 3.0).
 * Every other disagreement must match an entry of EXPLAINED, or the test fails.
 */
import { DatasourceError, EmbeddedDatasource, type Series } from '../../src/datasource/index.js';
import { loadOpenMetrics, MemoryStore } from '../../src/tsdb/index.js';
import { requireOrSkip, startPrometheus, toOpenMetrics, type PrometheusInstance, type SeriesSpec } from './support/prometheus.js';

const SEED = Number(process.env.VIGIL_DIFF_SEED ?? 20261206);
const QUERIES = 2_000;
const SEC = 1000;
const MIN = 60 * SEC;
const SCRAPE = 15 * SEC;
const HOURS = 3;

/** mulberry32: a small seeded PRNG, so a failure can be replayed with VIGIL_DIFF_SEED. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1)),
    pick: <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)],
    chance: (p: number) => next() < p,
  };
}
type Rand = ReturnType<typeof prng>;

const AGENTS = ['checkout', 'search', 'support', 'trader'];
const TOOLS = ['sql', 'web_search', 'calculator'];
const LE = ['0.1', '0.25', '0.5', '1', '2.5', '5', '10', '+Inf'];

/** Random history in the pack's shapes: counters with resets and gaps, a histogram, a gauge, an agent that stops. */
function generateData(r: Rand, start: number): SeriesSpec[] {
  const n = (HOURS * 60 * MIN) / SCRAPE;
  const series: SeriesSpec[] = [];
  const counter = (metric: string, labels: Record<string, string>, rate: number, opts: { stopAt?: number } = {}) => {
    const samples: [number, number][] = [];
    let v = r.int(0, 1000);
    const gapFrom = r.chance(0.2) ? r.int(0, n) : -1;
    const gapLen = r.int(5, 40);
    for (let i = 0; i < n; i++) {
      if (opts.stopAt !== undefined && i >= opts.stopAt) break;
      v += Math.max(0, rate * 15 * (0.5 + r.next()));
      if (r.chance(0.003)) v = r.next() * 10; // a process restart resets the counter
      if (i >= gapFrom && i < gapFrom + gapLen) continue;
      if (r.chance(0.03)) continue; // a missed scrape
      samples.push([start + i * SCRAPE + r.int(1, 999), Math.round(v * 1000) / 1000]);
    }
    series.push({ metric, labels, samples, type: 'counter' });
  };
  for (const [ai, agent_id] of AGENTS.entries()) {
    const stopAt = agent_id === 'trader' ? Math.floor(n * 0.7) : undefined;
    const traffic = 0.5 + ai;
    counter('agent_requests_total', { agent_id, status: 'success' }, traffic, { stopAt });
    counter('agent_requests_total', { agent_id, status: 'failure' }, traffic * 0.05 * r.next(), { stopAt });
    for (const tool_name of TOOLS) {
      counter('agent_tool_calls_total', { agent_id, tool_name, status: 'success' }, traffic * r.next());
      if (r.chance(0.7)) counter('agent_tool_calls_total', { agent_id, tool_name, status: 'failure' }, 0.05 * r.next());
    }
    counter('agent_tokens_consumed_total', { agent_id, type: 'input' }, traffic * 400);
    counter('agent_tokens_consumed_total', { agent_id, type: 'output' }, traffic * 150);
    counter('agent_hallucination_total', { agent_id }, traffic * 0.01);
    // A histogram: cumulative buckets scraped together.
    const buckets = LE.map(() => [] as [number, number][]);
    const counts = LE.map(() => 0);
    const sum: [number, number][] = [];
    let total = 0;
    for (let i = 0; i < n; i++) {
      const t = start + i * SCRAPE + r.int(1, 999);
      const k = r.int(0, Math.ceil(traffic * 20));
      for (let j = 0; j < k; j++) {
        const latency = Math.exp(r.next() * 3 - 2) * (ai + 1);
        total += latency;
        LE.forEach((le, b) => {
          if (le === '+Inf' || latency <= Number(le)) counts[b]++;
        });
      }
      if (r.chance(0.02)) continue;
      LE.forEach((_, b) => buckets[b].push([t, counts[b]]));
      sum.push([t, Math.round(total * 1000) / 1000]);
    }
    LE.forEach((le, b) => series.push({ metric: 'agent_request_duration_seconds_bucket', labels: { agent_id, le }, samples: buckets[b], type: 'histogram' }));
    series.push({ metric: 'agent_request_duration_seconds_sum', labels: { agent_id }, samples: sum, type: 'histogram' });
    const gauge: [number, number][] = [];
    let g = r.int(0, 50);
    for (let i = 0; i < n; i++) {
      g = Math.max(0, g + r.int(-3, 3));
      if (!r.chance(0.05)) gauge.push([start + i * SCRAPE + r.int(1, 999), g]);
    }
    series.push({ metric: 'agent_active_sessions', labels: { agent_id }, samples: gauge, type: 'gauge' });
  }
  return series;
}

/** A random, valid query over those shapes. Depth-limited; every branch is PromQL 2.42 accepts. */
function generateQuery(r: Rand): string {
  const COUNTERS: [string, string[]][] = [
    ['agent_requests_total', ['agent_id', 'status']],
    ['agent_tool_calls_total', ['agent_id', 'tool_name', 'status']],
    ['agent_tokens_consumed_total', ['agent_id', 'type']],
    ['agent_hallucination_total', ['agent_id']],
    ['agent_request_duration_seconds_bucket', ['agent_id', 'le']],
  ];
  const GAUGE: [string, string[]] = ['agent_active_sessions', ['agent_id']];
  const VALUES: Record<string, string[]> = { agent_id: AGENTS, status: ['success', 'failure'], tool_name: TOOLS, type: ['input', 'output'], le: LE };
  const RANGES = ['1m', '2m', '5m', '10m', '30m'];
  const matcher = (labels: string[]) => {
    const l = r.pick(labels);
    const vals = VALUES[l];
    switch (r.int(0, 3)) {
      case 0:
        return `${l}="${r.pick(vals)}"`;
      case 1:
        return `${l}!="${r.pick(vals)}"`;
      case 2:
        return `${l}=~"${r.pick([`${r.pick(vals)}|${r.pick(vals)}`, `${r.pick(vals).slice(0, 2)}.*`, '.+', `(?i)${r.pick(vals).toUpperCase()}`])}"`;
      default:
        return `${l}!~"${r.pick([r.pick(vals), `${r.pick(vals).slice(0, 1)}.*`, 'x|y'])}"`;
    }
  };
  const selector = (m: [string, string[]]) => {
    const ms = r.chance(0.6) ? Array.from({ length: r.int(1, 2) }, () => matcher(m[1])) : [];
    return ms.length ? `${m[0]}{${ms.join(', ')}}` : m[0];
  };
  const offset = () => (r.chance(0.12) ? ` offset ${r.pick(['1m', '5m', '17m', '1h'])}` : '');
  const groupLabels = (labels: string[]) => {
    const picked = labels.filter(() => r.chance(0.5));
    return picked.length ? picked : [labels[0]];
  };

  // Returns an instant-vector expression and the labels its series may carry. No subquery inside
  // a subquery: the outer one evaluates the inner at multiples of its step, so the inner window
  // always starts on an inner step — the boundary where 2.42 and Prometheus 3 differ by design.
  let inSubquery = false;
  const vector = (depth: number): [string, string[]] => {
    let choice = depth <= 0 ? r.int(0, 2) : r.int(0, 12);
    if (choice === 10 && inSubquery) choice = 1;
    switch (choice) {
      case 0: {
        const m = r.chance(0.8) ? r.pick(COUNTERS) : GAUGE;
        return [selector(m) + offset(), m[1]];
      }
      case 1:
      case 2: {
        const m = r.chance(0.8) ? r.pick(COUNTERS) : GAUGE;
        const fns = m === GAUGE
          ? ['delta', 'deriv', 'idelta', 'avg_over_time', 'min_over_time', 'max_over_time', 'sum_over_time', 'count_over_time', 'stddev_over_time', 'stdvar_over_time', 'last_over_time', 'changes', 'present_over_time']
          : ['rate', 'increase', 'irate', 'resets', 'changes', 'max_over_time', 'count_over_time', 'last_over_time'];
        const fn = r.pick([...fns, 'quantile_over_time', 'predict_linear']);
        const range = `${selector(m)}[${r.pick(RANGES)}]${offset()}`;
        if (fn === 'quantile_over_time') return [`quantile_over_time(${r.pick(['0', '0.5', '0.9', '1'])}, ${range})`, m[1]];
        if (fn === 'predict_linear') return [`predict_linear(${range}, ${r.pick(['60', '600', '3600'])})`, m[1]];
        return [`${fn}(${range})`, m[1]];
      }
      case 3:
      case 4: {
        const [e, labels] = vector(depth - 1);
        const op = r.pick(['sum', 'avg', 'min', 'max', 'count', 'stddev', 'stdvar', 'group']);
        if (r.chance(0.15)) {
          const k = r.pick(['topk', 'bottomk']);
          return [`${k}(${r.int(1, 3)}, ${e})`, labels];
        }
        if (r.chance(0.1)) return [`quantile(${r.pick(['0.1', '0.5', '0.99'])}, ${e})`, []];
        const by = groupLabels(labels);
        if (r.chance(0.3)) return [`${op} without (${by.join(', ')}) (${e})`, labels.filter((l) => !by.includes(l))];
        return [`${op} by (${by.join(', ')}) (${e})`, by];
      }
      case 5: {
        const [e, labels] = vector(depth - 1);
        const op = r.pick(['+', '-', '*', '/', '%', '^', '>', '<', '>=', '<=', '==', '!=']);
        const bool = ['>', '<', '>=', '<=', '==', '!='].includes(op) && r.chance(0.5) ? ' bool' : '';
        const n = r.pick(['0', '1', '2', '0.5', '100', '1e3']);
        return [r.chance(0.5) ? `${e} ${op}${bool} ${n}` : `${n} ${op}${bool} ${e}`, labels];
      }
      case 6: {
        // One-to-one or many-to-one between two aggregates over the agent.
        const [a] = vector(depth - 1);
        const [b] = vector(depth - 1);
        const op = r.pick(['+', '-', '*', '/', '>', '<']);
        if (r.chance(0.5)) return [`sum by (agent_id) (${a}) ${op} on (agent_id) sum by (agent_id) (${b})`, ['agent_id']];
        return [`sum by (agent_id, tool_name) (rate(agent_tool_calls_total[5m])) ${op} on (agent_id) group_left sum by (agent_id) (${b})`, ['agent_id', 'tool_name']];
      }
      case 7: {
        const [a, la] = vector(depth - 1);
        const [b] = vector(depth - 1);
        const op = r.pick(['and', 'or', 'unless']);
        return [r.chance(0.5) ? `${a} ${op} ${b}` : `${a} ${op} on (agent_id) ${b}`, la];
      }
      case 8: {
        const [e, labels] = vector(depth - 1);
        const fn = r.pick(['abs', 'ceil', 'floor', 'round', 'sqrt', 'ln', 'log2', 'log10', 'exp', 'sgn', 'timestamp', 'clamp_min', 'clamp_max', 'clamp']);
        if (fn === 'round' && r.chance(0.5)) return [`round(${e}, 0.5)`, labels];
        if (fn === 'clamp_min' || fn === 'clamp_max') return [`${fn}(${e}, ${r.pick(['0', '1', '10'])})`, labels];
        if (fn === 'clamp') return [`clamp(${e}, 1, 50)`, labels];
        return [`${fn}(${e})`, labels];
      }
      case 9: {
        const q = r.pick(['0', '0.5', '0.9', '0.99', '1']);
        const by = r.chance(0.5) ? 'le' : 'le, agent_id';
        return [`histogram_quantile(${q}, sum by (${by}) (rate(agent_request_duration_seconds_bucket[${r.pick(['5m', '10m'])}])))`, by === 'le' ? [] : ['agent_id']];
      }
      case 10: {
        inSubquery = true;
        const [e, labels] = vector(depth - 1);
        inSubquery = false;
        const fn = r.pick(['max_over_time', 'min_over_time', 'avg_over_time', 'sum_over_time', 'count_over_time', 'last_over_time']);
        const step = r.chance(0.3) ? '' : r.pick(['30s', '1m', '5m']);
        return [`${fn}((${e})[${r.pick(['10m', '30m', '1h'])}:${step}]${offset()})`, labels];
      }
      case 11: {
        const [e, labels] = vector(depth - 1);
        if (r.chance(0.5)) return [`label_replace(${e}, "short", "$1", "agent_id", "(.{3}).*")`, [...labels, 'short']];
        return [`label_join(${e}, "joined", "-", ${labels.map((l) => `"${l}"`).join(', ') || '"agent_id"'})`, [...labels, 'joined']];
      }
      default: {
        const [e, labels] = vector(depth - 1);
        return r.chance(0.5) ? [`absent(${e})`, []] : [`${e} * on () group_left scalar(sum(${selector(GAUGE)}))`, labels];
      }
    }
  };
  if (r.chance(0.03)) return r.pick(['time()', 'vector(1)', 'scalar(sum(agent_active_sessions))', '2 ^ 3 % 5']);
  return vector(r.int(1, 3))[0];
}

type Answer = { error: string } | { series: Map<string, { t: number[]; v: number[] }> };

const key = (m: Record<string, string>) => JSON.stringify(Object.entries(m).sort(([a], [b]) => (a < b ? -1 : 1)));

function fromSeries(list: Series[]): Answer {
  const series = new Map<string, { t: number[]; v: number[] }>();
  for (const s of list) series.set(key(s.metric), { t: s.points.map((p) => p[0]), v: s.points.map((p) => p[1]) });
  return { series };
}

const parseValue = (s: string) => (s === 'NaN' ? NaN : s === '+Inf' ? Infinity : s === '-Inf' ? -Infinity : Number(s));

/** Prometheus' HTTP answer as the same shape: every result a set of series by label set. */
function fromPrometheus(body: { status: string; error?: string; data?: { resultType: string; result: unknown } }): Answer {
  if (body.status !== 'success') return { error: body.error ?? 'error' };
  const { resultType, result } = body.data!;
  const series = new Map<string, { t: number[]; v: number[] }>();
  if (resultType === 'scalar' || resultType === 'string') {
    const [t, v] = result as [number, string];
    series.set('[]', { t: [t * 1000], v: [parseValue(v)] });
  } else if (resultType === 'vector') {
    for (const s of result as { metric: Record<string, string>; value: [number, string] }[]) series.set(key(s.metric), { t: [s.value[0] * 1000], v: [parseValue(s.value[1])] });
  } else {
    for (const s of result as { metric: Record<string, string>; values: [number, string][] }[]) {
      series.set(key(s.metric), { t: s.values.map((p) => Math.round(p[0] * 1000)), v: s.values.map((p) => parseValue(p[1])) });
    }
  }
  return { series };
}

function close(a: number, b: number): boolean {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b);
  if (a === b) return true;
  // 1e-6 relative; values within 1e-9 of zero count as zero (a sum that cancels to 1e-17 vs 0).
  return Math.abs(a - b) <= 1e-6 * Math.max(Math.abs(a), Math.abs(b)) || (Math.abs(a) < 1e-9 && Math.abs(b) < 1e-9);
}

/** Undefined when the answers agree, else what differs. */
function compare(ours: Answer, theirs: Answer): string | undefined {
  if ('error' in ours || 'error' in theirs) {
    if ('error' in ours && 'error' in theirs) return undefined;
    return 'error' in ours ? `only vigil failed: ${ours.error}` : `only Prometheus failed: ${(theirs as { error: string }).error}`;
  }
  for (const k of theirs.series.keys()) if (!ours.series.has(k)) return `series missing from vigil: ${k}`;
  for (const k of ours.series.keys()) if (!theirs.series.has(k)) return `series only vigil has: ${k}`;
  for (const [k, p] of theirs.series) {
    const o = ours.series.get(k)!;
    if (o.t.join() !== p.t.join()) return `${k}: timestamps ${o.t.length} vs ${p.t.length} points`;
    for (let i = 0; i < p.v.length; i++) if (!close(o.v[i], p.v[i])) return `${k} at ${new Date(p.t[i]).toISOString()}: vigil ${o.v[i]}, Prometheus ${p.v[i]}`;
  }
  return undefined;
}

/**
 * Disagreements with a known cause, each a difference between Prometheus 2.42 and the
 * Prometheus 3 semantics the engine implements. A disagreement matching none fails the test.
 */
const SUBQUERY = /\[\d+[smhdwy]:(\d+[smhdwy])?\]/g;
const EXPLAINED: { why: string; match: (expr: string, diff: string, sameValues: boolean) => boolean }[] = [
  {
    why: 'topk/bottomk among equal values: which of the tied series is kept is unspecified (Prometheus keeps its heap order); the kept values agree at every step',
    match: (expr, _diff, sameValues) => /^(topk|bottomk)\(/.test(expr) && sameValues,
  },
  {
    why: 'a set operator or matching on the result of a tied topk/bottomk: the tied series kept differ (see above), so what they select does',
    match: (expr, diff) => /(topk|bottomk)\(/.test(expr) && /\b(and|or|unless|on)\b/.test(expr) && /^series (missing from|only) /.test(diff),
  },
  {
    why: 'rate/increase of a counter that starts inside the window (series start, or a gap at the window start): Prometheus 3 limits the extrapolation to half a sample interval before clamping it at the zero point, 2.42 clamps first (prometheus/prometheus#13725)',
    match: (expr, diff) => /\b(rate|increase)\(/.test(expr) && / at .*: vigil -?[\d.e+-]+, Prometheus -?[\d.e+-]+$/.test(diff),
  },
  {
    // Prometheus 3 starts the running mean at 0, so one ±Inf/NaN deviates by NaN; 2.42 seeded the
    // mean with the first sample and answers 0. The engine's prometheus2 mode answers 0 (test/promql/engine.test.ts).
    why: 'stddev/stdvar of a group holding one +Inf/-Inf/NaN: NaN in Prometheus 3, 0 in 2.42',
    match: (expr, diff) => /\b(stddev|stdvar)\b/.test(expr) && /: vigil NaN, Prometheus 0$/.test(diff),
  },
];

/** The values at each time, whatever series carries them: equal for a topk/bottomk that broke a tie differently. */
function sameValues(ours: Answer, theirs: Answer): boolean {
  if ('error' in ours || 'error' in theirs) return false;
  const byTime = (a: { series: Map<string, { t: number[]; v: number[] }> }) => {
    const m = new Map<number, number[]>();
    for (const { t, v } of a.series.values()) t.forEach((ts, i) => m.set(ts, [...(m.get(ts) ?? []), v[i]]));
    return m;
  };
  const o = byTime(ours);
  const p = byTime(theirs);
  if (o.size !== p.size) return false;
  for (const [t, vs] of p) {
    const ws = o.get(t);
    if (!ws || ws.length !== vs.length) return false;
    const a = [...vs].sort((x, y) => x - y);
    const b = [...ws].sort((x, y) => x - y);
    if (!a.every((x, i) => close(x, b[i]))) return false;
  }
  return true;
}

interface Job {
  expr: string;
  kind: 'instant' | 'range';
  time?: number;
  start?: number;
  end?: number;
  step?: number;
}

const describeProm = requireOrSkip('PromQL engine vs Prometheus 2.42 (differential)') ? describe : describe.skip;

describeProm('the embedded engine agrees with Prometheus 2.42 on random queries', () => {
  let prom: PrometheusInstance;
  const r = prng(SEED);
  const start = Math.floor(Date.now() / 3_600_000) * 3_600_000 - (HOURS + 2) * 3_600_000;
  const data = generateData(r, start);
  const text = toOpenMetrics(data);
  const store = new MemoryStore();
  loadOpenMetrics(store, text, 'differential.om');
  // Prometheus runs step-less subqueries at its global evaluation_interval: 15s in startPrometheus' config.
  const engine = new EmbeddedDatasource(store, { noStepSubqueryIntervalMs: 15_000 });

  beforeAll(async () => {
    prom = await startPrometheus({ series: data });
  }, 120_000);
  afterAll(() => prom?.stop());

  test(`≥99.5% of ${QUERIES} queries agree at instants and as range queries; every disagreement is explained`, async () => {
    const jobs: Job[] = [];
    for (let i = 0; i < QUERIES; i++) {
      const expr = generateQuery(r);
      // Evaluation times 7s past a whole minute (and range steps of whole half-minutes) keep the
      // subqueries' inner steps (multiples of 15s and more) off every window start.
      const from = start + 40 * MIN + 7 * SEC;
      const span = (HOURS * 60 - 41) * MIN;
      for (let k = 0; k < 2; k++) jobs.push({ expr, kind: 'instant', time: from + r.int(0, span / MIN) * MIN + r.pick([0, 30 * SEC]) });
      const step = r.pick([30 * SEC, MIN, 2 * MIN, 5 * MIN]);
      const s = from + r.int(0, (span - 60 * MIN) / MIN) * MIN;
      jobs.push({ expr, kind: 'range', start: s, end: s + r.int(20, 60) * MIN, step });
    }

    const ask = async (j: Job): Promise<Answer> => {
      const params = new URLSearchParams({ query: j.expr });
      if (j.kind === 'instant') params.set('time', String(j.time! / 1000));
      else {
        params.set('start', String(j.start! / 1000));
        params.set('end', String(j.end! / 1000));
        params.set('step', String(j.step! / 1000));
      }
      const res = await fetch(`${prom.url}/api/v1/${j.kind === 'instant' ? 'query' : 'query_range'}`, { method: 'POST', body: params });
      return fromPrometheus(await res.json());
    };
    const ours = async (j: Job): Promise<Answer> => {
      try {
        if (j.kind === 'range') return fromSeries((await engine.rangeQuery(j.expr, j.start!, j.end!, j.step!)).series);
        const { value } = await engine.instantQuery(j.expr, j.time!);
        if (value.resultType === 'vector') return fromSeries(value.samples.map((s) => ({ metric: s.metric, points: [[j.time!, s.value]] })));
        if (value.resultType === 'matrix') return fromSeries(value.series);
        if (value.resultType === 'scalar') return { series: new Map([['[]', { t: [j.time!], v: [value.value] }]]) };
        return { series: new Map([['[]', { t: [j.time!], v: [NaN] }]]) };
      } catch (err) {
        if (err instanceof DatasourceError && err.kind === 'query') return { error: err.message };
        throw err;
      }
    };

    // Prometheus answers 8 at a time; the engine runs in this process meanwhile.
    const theirs: Answer[] = new Array(jobs.length);
    let next = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < jobs.length) {
          const i = next++;
          theirs[i] = await ask(jobs[i]);
        }
      }),
    );
    const disagreeing = new Map<string, { job: Job; diff: string; sameValues: boolean }>();
    for (const [i, j] of jobs.entries()) {
      const answer = await ours(j);
      const diff = compare(answer, theirs[i]);
      if (diff && !disagreeing.has(j.expr)) disagreeing.set(j.expr, { job: j, diff, sameValues: sameValues(answer, theirs[i]) });
    }
    const unexplained: string[] = [];
    const explained = new Map<string, number>();
    for (const [expr, { job, diff, sameValues: same }] of disagreeing) {
      const why = EXPLAINED.find((e) => e.match(expr, diff, same))?.why;
      if (why) explained.set(why, (explained.get(why) ?? 0) + 1);
      else unexplained.push(`${job.kind} ${expr}\n    ${diff}`);
    }
    const queries = new Set(jobs.map((j) => j.expr)).size;
    const agreement = 1 - disagreeing.size / QUERIES;
    console.log(
      `engine vs Prometheus 2.42 (seed ${SEED}): ${QUERIES - disagreeing.size}/${QUERIES} queries agree (${(agreement * 100).toFixed(2)}%), ` +
        `${queries} distinct, ${jobs.length} evaluations\n` +
        [...explained].map(([why, n]) => `  explained (${n}): ${why}`).join('\n') +
        (unexplained.length ? `\n  unexplained:\n  ${unexplained.slice(0, 40).join('\n  ')}` : ''),
    );
    expect(QUERIES).toBeGreaterThanOrEqual(2000);
    expect(unexplained).toEqual([]);
    expect(agreement).toBeGreaterThanOrEqual(0.995);
  }, 300_000);
});
