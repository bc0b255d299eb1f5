/**
 * vigil's Prometheus query API against the real Prometheus 2.42 on the same data: every endpoint,
 * GET and form POST, answers and error bodies compared as JSON; and the real promtool's
 * `query instant|range|series|labels` print the same against both.
 *
 * Both read the same OpenMetrics text: Prometheus through `promtool tsdb create-blocks-from
 * openmetrics`, vigil through its in-memory store. Samples sit at odd milliseconds and queries at
 * whole seconds, so that no sample falls on a window's start (where Prometheus 3, whose semantics
 * the engine follows, leaves out a point that 2.42 counts).
 */
import type { Server } from 'node:http';
import express from 'express';
import { QueryPool } from '../../src/promql/index.js';
import { promQueryRoutes, requireBearerOnWrites } from '../../src/server/index.js';
import { loadOpenMetrics, MemoryStore } from '../../src/tsdb/index.js';
import { listening, urlOf } from '../support/listen.js';
import { requireOrSkip, startPrometheus, toOpenMetrics, which, type PrometheusInstance, type SeriesSpec } from './support/prometheus.js';
import { run } from '../cli/run.js';

const SEC = 1000;
const MIN = 60 * SEC;
const SCRAPE = 15 * SEC;
const START = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 3 * 3_600_000;
const END = START + 2 * 3_600_000;
const s = (ms: number) => String(ms / 1000);

/** Two hours of the pack's shapes: counters, a histogram, a gauge, an agent that stops, odd label values. */
function history(): SeriesSpec[] {
  const series: SeriesSpec[] = [];
  const n = (END - START) / SCRAPE;
  const at = (i: number, k: number) => START + i * SCRAPE + 1 + ((i * 7919 + k * 104729) % 997);
  let k = 0;
  const counter = (metric: string, labels: Record<string, string>, perScrape: number, stopAt = n) => {
    const key = ++k;
    const samples: [number, number][] = [];
    for (let i = 0; i < stopAt; i++) samples.push([at(i, key), 1000 + i * perScrape + (i % 3)]);
    series.push({ metric, labels, samples, type: 'counter' });
  };
  for (const [ai, agent_id] of ['checkout', 'search', 'support'].entries()) {
    const stopAt = agent_id === 'support' ? n / 2 : n;
    counter('agent_requests_total', { agent_id, status: 'success' }, 10 * (ai + 1), stopAt);
    counter('agent_requests_total', { agent_id, status: 'failure' }, ai, stopAt);
    for (const tool_name of ['sql', 'web_search']) counter('agent_tool_calls_total', { agent_id, tool_name, status: 'success' }, 3 + ai);
    for (const [b, le] of ['0.5', '1', '2.5', '+Inf'].entries()) counter('agent_request_duration_seconds_bucket', { agent_id, le }, 2 * (b + 1) + ai);
    const gauge: [number, number][] = [];
    for (let i = 0; i < n; i++) gauge.push([at(i, 100 + ai), (i * (ai + 3)) % 17]);
    series.push({ metric: 'agent_active_sessions', labels: { agent_id }, samples: gauge, type: 'gauge' });
  }
  // label values with quotes, a backslash and non-ASCII, as a user's may have
  series.push({ metric: 'agent_info', labels: { agent_id: 'checkout', model: 'gpt "4o" \\ mini', owner: 'équipe-paiement' }, samples: [[START + 5 * MIN + 3, 1]], type: 'gauge' });
  return series;
}

const available = requireOrSkip('Prometheus query API vs Prometheus 2.42');
const describeProm = available ? describe : describe.skip;

type Body = { status: string; data?: unknown; errorType?: string; error?: string; warnings?: string[]; infos?: string[] };

/** The answer as compared: warnings left out (2.42 has no PromQL infos), instant vectors in label order (Prometheus leaves their order open). */
function comparable(body: Body): Body {
  const { warnings: _w, infos: _i, ...rest } = body;
  const data = rest.data as { resultType?: string; result?: { metric: Record<string, string> }[] } | undefined;
  if (data?.resultType === 'vector' && Array.isArray(data.result)) {
    const key = (m: Record<string, string>) => JSON.stringify(Object.entries(m).sort());
    data.result = [...data.result].sort((a, b) => (key(a.metric) < key(b.metric) ? -1 : key(a.metric) > key(b.metric) ? 1 : 0));
  }
  return rest;
}


describeProm('the Prometheus query API answers as Prometheus 2.42 does', () => {
  const data = history();
  const store = new MemoryStore();
  loadOpenMetrics(store, toOpenMetrics(data), 'prom-api.om');
  let prom: PrometheusInstance;
  let server: Server;
  let vigil: string;
  const pool = new QueryPool(() => store);

  beforeAll(async () => {
    const app = express();
    // a token on writes must leave the query API's POSTs open: they are reads
    app.use(requireBearerOnWrites(() => 'write-token'));
    // queries run on the worker thread, as under `vigil serve`
    app.use(promQueryRoutes({ storage: () => store, engine: { timeoutMs: 10_000, maxSamples: 10_000_000 }, version: '0.1.0', maxRequestBytes: 1 << 20, engineRunner: pool }));
    server = await listening(app);
    vigil = urlOf(server);
    prom = await startPrometheus({ series: data });
  }, 120_000);
  afterAll(async () => {
    await new Promise((r) => server?.close(r));
    await pool.close();
    await prom?.stop();
  });

  async function both(path: string, form?: Record<string, string | string[]>): Promise<[{ status: number; body: Body }, { status: number; body: Body }]> {
    const ask = async (base: string) => {
      let res: Response;
      if (form) {
        const params = new URLSearchParams();
        for (const [k, v] of Object.entries(form)) for (const x of Array.isArray(v) ? v : [v]) params.append(k, x);
        res = await fetch(base + path, { method: 'POST', body: params, headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
      } else res = await fetch(base + path);
      return { status: res.status, body: (await res.json()) as Body };
    };
    return Promise.all([ask(vigil), ask(prom.url)]);
  }

  async function expectSame(path: string, form?: Record<string, string | string[]>): Promise<Body> {
    const [ours, theirs] = await both(path, form);
    expect({ path, status: ours.status, body: comparable(ours.body) }).toEqual({ path, status: theirs.status, body: comparable(theirs.body) });
    return ours.body;
  }

  const q = (params: Record<string, string>) => new URLSearchParams(params).toString();
  const T = START + 90 * MIN;

  test.each([
    'sum by (agent_id) (rate(agent_requests_total[5m]))',
    'sum by (agent_id) (rate(agent_requests_total{status="failure"}[5m])) / sum by (agent_id) (rate(agent_requests_total[5m]))',
    'histogram_quantile(0.99, sum by (le, agent_id) (rate(agent_request_duration_seconds_bucket[10m])))',
    'agent_active_sessions',
    'agent_requests_total{agent_id="support"}',
    'agent_active_sessions[1m]',
    'topk(2, agent_tool_calls_total)',
    '1 + 1',
    'scalar(sum(agent_active_sessions))',
    '"a string"',
    'agent_info',
    'no_such_metric',
    'agent_active_sessions offset 1h',
  ])('instant query %s', async (expr) => {
    const body = await expectSame(`/api/v1/query?${q({ query: expr, time: s(T) })}`);
    expect(body.status).toBe('success');
  });

  test('instant query: the time as RFC 3339, and by form POST', async () => {
    await expectSame(`/api/v1/query?${q({ query: 'sum(agent_active_sessions)', time: new Date(T).toISOString() })}`);
    await expectSame(`/api/v1/query?${q({ query: 'sum(agent_active_sessions)', time: '2026-01-01T10:00:00.5+02:00' })}`);
    const body = await expectSame('/api/v1/query', { query: 'sum by (agent_id) (agent_active_sessions)', time: s(T + 500) });
    expect((body.data as { result: unknown[] }).result).toHaveLength(3);
  });

  test.each([
    ['rate', 'sum by (agent_id, status) (rate(agent_requests_total[5m]))', '60'],
    ['a step as a duration', 'agent_active_sessions', '5m'],
    ['a float step', 'sum(agent_tool_calls_total)', '90.5'],
    ['a scalar', 'time()', '10m'],
    ['a series that stops', 'agent_requests_total{agent_id="support",status="success"}', '2m'],
  ])('range query: %s', async (_what, expr, step) => {
    const body = await expectSame(`/api/v1/query_range?${q({ query: expr, start: s(START + 20 * MIN), end: s(END), step })}`);
    expect(body.status).toBe('success');
    expect((body.data as { result: unknown[] }).result.length).toBeGreaterThan(0);
  });

  test('range query by form POST, and the 11,001 points Prometheus allows', async () => {
    await expectSame('/api/v1/query_range', { query: 'sum(agent_active_sessions)', start: new Date(START).toISOString(), end: new Date(END).toISOString(), step: '30s' });
    await expectSame(`/api/v1/query_range?${q({ query: 'sum(agent_active_sessions)', start: s(END - 11_000 * SEC), end: s(END), step: '1' })}`);
  });

  test('series, labels and label values: with and without match[], start and end, GET and POST', async () => {
    const range = { start: s(START), end: s(END) };
    await expectSame(`/api/v1/series?${q({ 'match[]': 'agent_requests_total', ...range })}`);
    await expectSame(`/api/v1/series?match[]=agent_active_sessions&match[]=${encodeURIComponent('{__name__=~"agent_info|agent_active_sessions",agent_id="checkout"}')}`);
    const series = await expectSame('/api/v1/series', { 'match[]': ['agent_tool_calls_total{tool_name="sql"}', 'agent_info'], ...range });
    expect(series.data).toHaveLength(4);
    await expectSame(`/api/v1/series?${q({ 'match[]': 'no_such_metric' })}`);
    await expectSame('/api/v1/labels');
    await expectSame(`/api/v1/labels?${q({ 'match[]': 'agent_info', ...range })}`);
    await expectSame('/api/v1/labels', { 'match[]': 'agent_tool_calls_total' });
    await expectSame('/api/v1/label/__name__/values');
    await expectSame(`/api/v1/label/agent_id/values?${q(range)}`);
    await expectSame(`/api/v1/label/le/values?${q({ 'match[]': 'agent_request_duration_seconds_bucket{agent_id="search"}' })}`);
    await expectSame('/api/v1/label/owner/values');
    await expectSame('/api/v1/label/no_such_label/values');
  });

  // vigil's parser words its messages its own way (and says more); the rest of the body is Prometheus'.
  test.each([
    ['a query that does not parse', 'sum(rate(agent_requests_total[5m])'],
    ['an unknown function', 'rote(agent_requests_total[5m])'],
    ['no query', ''],
  ])('error: %s is bad_data with the line and column (on "query" for instant queries)', async (_what, query) => {
    for (const [path, prefix] of [
      [`/api/v1/query?${q({ query })}`, /^invalid parameter "query": 1:\d+: parse error: /],
      [`/api/v1/query_range?${q({ query, start: '1000', end: '2000', step: '15' })}`, /^1:\d+: parse error: /],
    ] as const) {
      const [ours, theirs] = await both(path);
      expect({ path, status: ours.status, errorType: ours.body.errorType }).toEqual({ path, status: theirs.status, errorType: theirs.body.errorType });
      expect(ours.body.error).toMatch(prefix);
      expect(theirs.body.error).toMatch(prefix);
    }
  });

  test.each([
    ['a bad time', `/api/v1/query?${q({ query: 'up', time: 'yesterday' })}`],
    ['a bad timeout', `/api/v1/query?${q({ query: 'up', timeout: 'soon' })}`],
    ['a range vector in a range query', `/api/v1/query_range?${q({ query: 'agent_active_sessions[5m]', start: '1000', end: '2000', step: '15' })}`],
    ['no start', `/api/v1/query_range?${q({ query: 'up', end: '2000', step: '15' })}`],
    ['a bad end', `/api/v1/query_range?${q({ query: 'up', start: '1000', end: '20x0', step: '15' })}`],
    ['end before start', `/api/v1/query_range?${q({ query: 'up', start: '2000', end: '1000', step: '15' })}`],
    ['no step', `/api/v1/query_range?${q({ query: 'up', start: '1000', end: '2000' })}`],
    ['a bad step', `/api/v1/query_range?${q({ query: 'up', start: '1000', end: '2000', step: 'fast' })}`],
    ['a zero step', `/api/v1/query_range?${q({ query: 'up', start: '1000', end: '2000', step: '0' })}`],
    ['a negative step', `/api/v1/query_range?${q({ query: 'up', start: '1000', end: '2000', step: '-15' })}`],
    ['too many points', `/api/v1/query_range?${q({ query: 'up', start: '0', end: '11001', step: '1' })}`],
    ['series without match[]', '/api/v1/series'],
    ['series with a bad start', `/api/v1/series?${q({ 'match[]': 'up', start: 'then' })}`],
    ['labels with a bad end', `/api/v1/labels?${q({ end: 'later' })}`],
    ['an invalid label name', '/api/v1/label/0day/values'],
  ])('error: %s', async (_what, path) => {
    const body = await expectSame(path);
    expect(body.status).toBe('error');
  });

  test('error: a match[] that is not a series selector is bad_data on match[], as in Prometheus', async () => {
    for (const match of ['rate(up[5m])', '{job=""}', 'up{']) {
      const [ours, theirs] = await both(`/api/v1/series?${q({ 'match[]': match })}`);
      expect({ match, status: ours.status, errorType: ours.body.errorType }).toEqual({ match, status: theirs.status, errorType: theirs.body.errorType });
      expect(ours.body.error).toMatch(/^invalid parameter "match\[\]": /);
    }
  });

  test('a query past its `timeout` fails as Prometheus fails it (503, timeout)', async () => {
    const heavy = 'sum(count_over_time({__name__=~"agent_.+"}[2h:1s]))';
    const [ours, theirs] = await both(`/api/v1/query_range?${q({ query: heavy, start: s(START), end: s(END), step: '60', timeout: '0.000001' })}`);
    // Prometheus names the stage the deadline passed in ("query execution", "expression evaluation")
    expect({ status: ours.status, errorType: ours.body.errorType }).toEqual({ status: theirs.status, errorType: theirs.body.errorType });
    expect(ours.body).toEqual({ status: 'error', errorType: 'timeout', error: 'query timed out in expression evaluation' });
    expect(theirs.body.error).toMatch(/^query timed out in /);
  });

  test('a query that needs more points than the API allows fails as Prometheus fails it (422, execution)', async () => {
    const app = express();
    app.use(promQueryRoutes({ storage: () => store, engine: { timeoutMs: 10_000, maxSamples: 100 }, version: '0.1.0', maxRequestBytes: 1 << 20 }));
    const small = await listening(app);
    try {
      const res = await fetch(`${urlOf(small)}/api/v1/query_range?${q({ query: 'agent_active_sessions', start: s(START), end: s(END), step: '15' })}`);
      expect(res.status).toBe(422);
      expect(await res.json()).toEqual({ status: 'error', errorType: 'execution', error: 'query processing would load too many samples into memory in query execution' });
    } finally {
      await new Promise((r) => small.close(r));
    }
  });

  test('buildinfo has the fields Prometheus has (Grafana reads it); metadata and exemplars answer empty', async () => {
    const [ours, theirs] = await both('/api/v1/status/buildinfo');
    expect(ours.status).toBe(200);
    expect(Object.keys(ours.body.data as object).sort()).toEqual(Object.keys(theirs.body.data as object).sort());
    expect((ours.body.data as { version: string }).version).toBe('0.1.0');
    expect(await (await fetch(`${vigil}/api/v1/metadata`)).json()).toEqual({ status: 'success', data: {} });
    await expectSame(`/api/v1/query_exemplars?${q({ query: 'agent_active_sessions', start: s(START), end: s(END) })}`);
  });

  describe('the real promtool prints the same against vigil as against Prometheus', () => {
    const promtool = which('promtool')!;
    const same = async (args: (url: string) => string[]) => {
      const [ours, theirs] = await Promise.all([run(promtool, args(vigil)), run(promtool, args(prom.url))]);
      expect(ours).toEqual(theirs);
      expect(ours.code).toBe(0);
      return ours.stdout;
    };

    test('promtool query instant (promql and json output)', async () => {
      const out = await same((url) => ['query', 'instant', url, 'sort(sum by (agent_id) (rate(agent_requests_total[5m])))', `--time=${s(T)}`]);
      expect(out).toMatch(/\{agent_id="checkout"\} => /);
      await same((url) => ['query', 'instant', '-o', 'json', url, 'agent_info', `--time=${new Date(START + 6 * MIN).toISOString()}`]);
    });

    test('promtool query range', async () => {
      const out = await same((url) => ['query', 'range', url, 'sum by (agent_id) (agent_active_sessions)', `--start=${s(START + 30 * MIN)}`, `--end=${s(START + 40 * MIN)}`, '--step=1m']);
      expect(out.split('\n').filter((l) => l.includes('=>')).length).toBeGreaterThan(0);
    });

    test('promtool query series', async () => {
      const out = await same((url) => ['query', 'series', url, '--match=agent_requests_total{status="failure"}', '--match=agent_info', `--start=${s(START)}`, `--end=${s(END)}`]);
      expect(out.trim().split('\n')).toHaveLength(4);
      // no start or end: promtool asks for ±9999h around now
      await same((url) => ['query', 'series', url, '--match=agent_active_sessions']);
    });

    test('promtool query labels (a label\'s values)', async () => {
      const out = await same((url) => ['query', 'labels', url, 'agent_id']);
      expect(out.trim().split('\n')).toEqual(['checkout', 'search', 'support']);
      await same((url) => ['query', 'labels', url, 'tool_name', '--match=agent_tool_calls_total{agent_id="search"}', `--start=${s(START)}`, `--end=${s(END)}`]);
    });

    test('promtool reports a bad query from vigil as from Prometheus', async () => {
      const [ours, theirs] = await Promise.all([
        run(promtool, ['query', 'instant', vigil, 'sum(']),
        run(promtool, ['query', 'instant', prom.url, 'sum(']),
      ]);
      expect(ours.code).toBe(theirs.code);
      expect(ours.code).not.toBe(0);
      expect(ours.stderr).toMatch(/^query error: bad_data: invalid parameter "query": 1:\d+: parse error: /);
      expect(theirs.stderr).toMatch(/^query error: bad_data: invalid parameter "query": 1:\d+: parse error: /);
    });
  });
});
