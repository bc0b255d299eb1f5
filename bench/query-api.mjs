#!/usr/bin/env node
/**
 * The Prometheus query API of `vigil serve` (embedded datasource) against Prometheus 2.42's, on
 * the same data: a Grafana-like dashboard refresh (range queries over the last hour at 15s, an
 * instant query, the label and series calls of the query editor) for AGENTS agents, over HTTP.
 * Reported per server: wall time per refresh, CPU per refresh, and on vigil the longest event-loop
 * stall (perf_hooks' monitorEventLoopDelay): queries run on a worker thread (QueryPool, as serve runs
 * them), so what stalls the loop is the selects it asks of this thread and the series/label calls.
 * Answers are compared too.
 *
 *   npm run build && node --expose-gc bench/query-api.mjs
 *   AGENTS=200 REFRESHES=5 node bench/query-api.mjs
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import express from 'express';
import { Fleet, SERIES_PER_AGENT, timeline } from './lib/fleet.mjs';
import { createBlocks, loadAverage, startPrometheus, tempDir } from './lib/prometheus.mjs';
import { env, log, REPO_DIR, saveResult, summarize, table, vigilCpuSeconds } from './lib/stats.mjs';

const load = (mod) => import(pathToFileURL(join(REPO_DIR, 'dist', mod, 'index.js')).href);
const tsdb = await load('tsdb');
const server = await load('server');
const promql = await load('promql');
const { API_QUERY_LIMITS } = await import(pathToFileURL(join(REPO_DIR, 'dist', 'cli', 'embedded.js')).href);

const MIN = 60_000;
const AGENTS = env('AGENTS', 1000);
const REFRESHES = env('REFRESHES', 10);
const f = (x) => x.toFixed(x < 10 ? 1 : 0);

const end = Math.floor(Date.now() / (15 * MIN)) * 15 * MIN;
const timestamps = timeline([{ from: end - 3 * 60 * MIN, to: end, stepMs: MIN }]);
// 7s past the sample grid: no sample on a window's edge, where Prometheus 2.42 and 3 differ
const qEnd = (end - 10 * MIN + 7_000) / 1000;
const range = { start: String(qEnd - 3600), end: String(qEnd), step: '15' };
const DASHBOARD = [
  ['query_range', { query: 'sum by (agent_id) (rate(agent_requests_total[5m]))', ...range }],
  ['query_range', { query: 'sum(rate(agent_requests_total{status="failure"}[5m])) / sum(rate(agent_requests_total[5m]))', ...range }],
  ['query_range', { query: 'histogram_quantile(0.99, sum by (le) (rate(agent_request_duration_seconds_bucket[5m])))', ...range }],
  ['query_range', { query: 'topk(10, sum by (agent_id) (rate(agent_tokens_consumed_total[5m])))', ...range }],
  ['query_range', { query: 'sum by (tool_name, status) (rate(agent_tool_calls_total[5m]))', ...range }],
  ['query', { query: 'count by (status) (agent_requests_total)', time: String(qEnd) }],
  ['label/agent_id/values', {}],
  ['series', { 'match[]': 'agent_tool_calls_total{agent_id="agent-0007"}', start: range.start, end: range.end }],
  ['labels', { 'match[]': 'agent_tokens_consumed_total' }],
];

/** One refresh: every panel, one after the other, as Grafana sends them (POST for queries). */
async function refresh(base, longest = []) {
  const answers = [];
  let slowest = 0;
  for (const [path, params] of DASHBOARD) {
    const t = performance.now();
    const body = new URLSearchParams(params);
    const res = path.startsWith('label/')
      ? await fetch(`${base}/api/v1/${path}?${body}`)
      : await fetch(`${base}/api/v1/${path}`, { method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    const json = await res.json();
    if (json.status !== 'success') throw new Error(`${path} ${params.query ?? ''}: ${res.status} ${JSON.stringify(json)}`);
    answers.push(json.data);
    slowest = Math.max(slowest, performance.now() - t);
  }
  longest.push(slowest);
  return answers;
}

/** Values agree within 1e-6 (relative), series matched by labels; vectors and label lists compared as sets. */
function differences(a, b) {
  let n = 0;
  const key = (m) => JSON.stringify(Object.entries(m).sort());
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    if (Array.isArray(x)) {
      const sx = new Set(x.map((v) => (typeof v === 'string' ? v : key(v))));
      const sy = new Set(y.map((v) => (typeof v === 'string' ? v : key(v))));
      if (sx.size !== sy.size || [...sx].some((v) => !sy.has(v))) n++;
      continue;
    }
    const ys = new Map(y.result.map((s) => [key(s.metric), s]));
    if (x.result.length !== y.result.length) n++;
    for (const s of x.result) {
      const t = ys.get(key(s.metric));
      const pa = s.values ?? [s.value];
      const pb = t ? (t.values ?? [t.value]) : [];
      if (pa.length !== pb.length) {
        n++;
        continue;
      }
      for (let k = 0; k < pa.length; k++) {
        const [u, v] = [Number(pa[k][1]), Number(pb[k][1])];
        if (pa[k][0] !== pb[k][0] || (Math.abs(u - v) > 1e-6 * Math.max(1, Math.abs(v)) && !(Number.isNaN(u) && Number.isNaN(v)))) {
          n++;
          break;
        }
      }
    }
  }
  return n;
}

const tmp = await tempDir('vigil-bench-query-api-');
let prom;
let http;
let pool;
try {
  const input = join(tmp.dir, 'history.om');
  log(`writing ${AGENTS} agents × ${SERIES_PER_AGENT} series × ${timestamps.length} samples (3h at 1m)`);
  await new Fleet({ agents: AGENTS, timestamps }).writeOpenMetrics(input);
  const store = new tsdb.MemoryStore();
  await tsdb.loadOpenMetricsFile(store, input);
  store.compact();
  const stats = store.stats();
  log(`  store: ${stats.series} series, ${(stats.samples / 1e6).toFixed(2)}M samples; promtool and Prometheus...`);
  await createBlocks(input, join(tmp.dir, 'data'));
  await rm(input);
  prom = await startPrometheus({ dir: tmp.dir, dataDir: join(tmp.dir, 'data') });

  // vigil's query API as serve mounts it: the same routes and limits, queries on a worker thread, in this process
  const app = express();
  pool = new promql.QueryPool(() => store);
  app.use(server.promQueryRoutes({ storage: () => store, engine: API_QUERY_LIMITS, version: 'bench', maxRequestBytes: 4 << 20, engineRunner: pool }));
  http = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const vigilUrl = `http://127.0.0.1:${http.address().port}`;

  log('  warm-up: 2 refreshes on each');
  for (let i = 0; i < 2; i++) {
    await refresh(vigilUrl);
    await refresh(prom.url);
  }
  const v = { wall: [], cpu: [], stall: [], slowest: [] };
  const p = { wall: [], cpu: [], clientCpu: [], slowest: [] };
  const stall = monitorEventLoopDelay({ resolution: 5 });
  let differing = 0;
  log(`  ${REFRESHES} measured refreshes on each, alternating`);
  for (let i = 0; i < REFRESHES; i++) {
    stall.reset();
    stall.enable();
    let t = performance.now();
    let c = vigilCpuSeconds();
    const ours = await refresh(vigilUrl, v.slowest);
    v.wall.push(performance.now() - t);
    v.cpu.push((vigilCpuSeconds() - c) * 1000);
    stall.disable();
    v.stall.push(stall.max / 1e6);
    t = performance.now();
    c = vigilCpuSeconds();
    const pc = prom.cpuSeconds();
    const theirs = await refresh(prom.url, p.slowest);
    p.wall.push(performance.now() - t);
    p.cpu.push((prom.cpuSeconds() - pc) * 1000);
    p.clientCpu.push((vigilCpuSeconds() - c) * 1000);
    differing += differences(ours, theirs);
  }
  const vs = { wall: summarize(v.wall), cpu: summarize(v.cpu), stallMs: summarize(v.stall), slowestMs: summarize(v.slowest) };
  const ps = { wall: summarize(p.wall), cpu: summarize(p.cpu), clientCpu: summarize(p.clientCpu), slowestMs: summarize(p.slowest) };
  console.log(`\nquery API: ${AGENTS} agents, ${stats.series} series, ${(stats.samples / 1e6).toFixed(2)}M samples; one refresh = ${DASHBOARD.length} requests (5 range queries of 241 steps); median of ${REFRESHES}`);
  console.log(
    table([
      ['', 'wall / refresh', 'server CPU / refresh', 'slowest request', 'longest event-loop stall'],
      ['vigil (embedded)', `${f(vs.wall.median)} ms`, `${f(vs.cpu.median)} ms (with the client's)`, `${f(vs.slowestMs.median)} ms (max ${f(vs.slowestMs.max)})`, `${f(vs.stallMs.median)} ms (max ${f(vs.stallMs.max)})`],
      ['Prometheus 2.42', `${f(ps.wall.median)} ms`, `${f(ps.cpu.median)} ms (+ client ${f(ps.clientCpu.median)} ms)`, `${f(ps.slowestMs.median)} ms (max ${f(ps.slowestMs.max)})`, '-'],
    ]),
  );
  console.log(`answers differing from Prometheus' (panels × refreshes): ${differing}; load average at the end: ${loadAverage().join(" ")}`);
  saveResult('query-api', { agents: AGENTS, stats, refreshes: REFRESHES, vigil: vs, prometheus: ps, differing, raw: { v, p } });
} finally {
  await new Promise((r) => (http ? http.close(r) : r()));
  await pool?.close();
  await prom?.stop();
  await tmp.remove();
}
