#!/usr/bin/env node
/**
 * How long one POST /api/v2/alerts of BATCH alerts takes, from the poster's side, one request at a
 * time (as one Prometheus sends; one poster's rate is BATCH ÷ the mean): vigil against Alertmanager 0.25, alternating ROUNDS times, each
 * a fresh process. group_wait is 1h, so only ingestion counts. On a shared, busy machine the
 * median of hundreds of requests moves much less than a rate of the whole run does.
 *
 *   npm run build && node bench/post-latency.mjs
 *   BASELINE=/tmp/vigil-base node bench/post-latency.mjs     # also an older build (its dist/, bin/, package.json)
 *
 * Knobs: REQUESTS (400, the first 50 are warm-up), BATCH (64), ROUNDS (3), SERVERS (vigil,alertmanager).
 */

import { withAlertmanager, withVigil } from './lib/servers.mjs';
import { env, log, quantile, saveResult, table } from './lib/stats.mjs';

const REQUESTS = env('REQUESTS', 400);
const WARMUP = 50;
const BATCH = env('BATCH', 64);
const ROUNDS = env('ROUNDS', 3);
const SERVERS = (process.env.SERVERS ?? 'vigil,alertmanager').split(',');
const ROUTE = { receiver: 'sink', group_by: ['group'], group_wait: '1h', group_interval: '1h', repeat_interval: '1h' };
const VIGIL = { limits: { alerts: 0 }, route: ROUTE, receivers: [{ name: 'sink' }] };

async function measure(name, url, round) {
  const latencies = [];
  for (let b = 0; b < REQUESTS; b++) {
    const body = JSON.stringify(
      Array.from({ length: BATCH }, (_, i) => ({ labels: { alertname: 'BenchAlert', group: `g${i % 100}`, id: `${round}-${b}-${i}`, severity: 'P3' }, annotations: { summary: `bench alert ${i}` } })),
    );
    const t = performance.now();
    const res = await fetch(`${url}/api/v2/alerts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    await res.arrayBuffer();
    if (!res.ok) throw new Error(`${name}: ${res.status}`);
    if (b >= WARMUP) latencies.push(performance.now() - t);
  }
  const ms = (q) => Number(quantile(latencies, q).toFixed(2));
  const mean = latencies.reduce((a, b) => a + b, 0) / latencies.length;
  return { server: name, round, meanMs: Number(mean.toFixed(2)), p50ms: ms(0.5), p90ms: ms(0.9), p99ms: ms(0.99) };
}

const runs = [
  ...(SERVERS.includes('vigil') ? [['vigil', (fn) => withVigil({ prefix: 'vigil-bench-latency-', config: VIGIL }, fn)]] : []),
  ...(process.env.BASELINE ? [['vigil (baseline)', (fn) => withVigil({ prefix: 'vigil-bench-latency-', config: VIGIL, repoDir: process.env.BASELINE }, fn)]] : []),
  ...(SERVERS.includes('alertmanager') ? [['alertmanager', (fn) => withAlertmanager({ config: { route: ROUTE, receivers: [{ name: 'sink' }] } }, fn)]] : []),
];
const rows = [];
for (let round = 1; round <= ROUNDS; round++) {
  for (const [name, start] of round % 2 ? runs : [...runs].reverse()) {
    rows.push(await start(({ url }) => measure(name, url, round)));
    log(JSON.stringify(rows.at(-1)));
  }
}
console.log(table([['server', 'round', 'mean ms', 'p50 ms', 'p90 ms', 'p99 ms'], ...rows.map((r) => [r.server, r.round, r.meanMs, r.p50ms, r.p90ms, r.p99ms])]));
console.log(`results: ${saveResult('post-latency', { requests: REQUESTS, batch: BATCH, rows })}`);
