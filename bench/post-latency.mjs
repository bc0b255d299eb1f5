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

import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { tempDir, which } from './lib/prometheus.mjs';
import { REPO_DIR, env, log, quantile, saveResult, table, vigilNodeArgs } from './lib/stats.mjs';
import { freePort, waitReady } from './lib/net.mjs';

const REQUESTS = env('REQUESTS', 400);
const WARMUP = 50;
const BATCH = env('BATCH', 64);
const ROUNDS = env('ROUNDS', 3);
const SERVERS = (process.env.SERVERS ?? 'vigil,alertmanager').split(',');
const ROUTE = { receiver: 'sink', group_by: ['group'], group_wait: '1h', group_interval: '1h', repeat_interval: '1h' };

async function startVigil(repoDir, dir, port) {
  await writeFile(join(dir, 'rules.yaml'), 'groups: []\n');
  await writeFile(
    join(dir, 'vigil.yaml'),
    stringify({
      datasource: { prometheus: { url: 'http://127.0.0.1:9' } },
      rule_files: ['rules.yaml'],
      storage: { sqlite: { path: 'data/vigil.db' } },
      server: { listen: `127.0.0.1:${port}` },
      limits: { alerts: 0 },
      route: ROUTE,
      receivers: [{ name: 'sink' }],
    }),
  );
  const child = spawn(process.execPath, [...vigilNodeArgs(repoDir), join(repoDir, 'bin/vigil.js'), 'serve', '--config', join(dir, 'vigil.yaml'), '--log-level', 'warn'], { cwd: dir, stdio: ['ignore', 'ignore', 'inherit'] });
  await waitReady(`http://127.0.0.1:${port}/readyz`);
  return child;
}

async function startAlertmanager(dir, port) {
  const bin = which('prometheus-alertmanager') ?? which('alertmanager');
  if (!bin) throw new Error('prometheus-alertmanager not found (apt-get install prometheus-alertmanager)');
  await writeFile(join(dir, 'am.yml'), stringify({ route: ROUTE, receivers: [{ name: 'sink' }] }));
  const child = spawn(bin, [`--config.file=${join(dir, 'am.yml')}`, `--storage.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--cluster.listen-address=', '--log.level=warn'], { stdio: ['ignore', 'ignore', 'inherit'] });
  await waitReady(`http://127.0.0.1:${port}/-/ready`);
  return child;
}

async function measure(name, start, round) {
  const { dir, remove } = await tempDir('vigil-bench-latency-');
  const port = await freePort();
  const child = await start(dir, port);
  try {
    const latencies = [];
    for (let b = 0; b < REQUESTS; b++) {
      const body = JSON.stringify(
        Array.from({ length: BATCH }, (_, i) => ({ labels: { alertname: 'BenchAlert', group: `g${i % 100}`, id: `${round}-${b}-${i}`, severity: 'P3' }, annotations: { summary: `bench alert ${i}` } })),
      );
      const t = performance.now();
      const res = await fetch(`http://127.0.0.1:${port}/api/v2/alerts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      await res.arrayBuffer();
      if (!res.ok) throw new Error(`${name}: ${res.status}`);
      if (b >= WARMUP) latencies.push(performance.now() - t);
    }
    const ms = (q) => Number(quantile(latencies, q).toFixed(2));
    const mean = latencies.reduce((a, b) => a + b, 0) / latencies.length;
    return { server: name, round, meanMs: Number(mean.toFixed(2)), p50ms: ms(0.5), p90ms: ms(0.9), p99ms: ms(0.99) };
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    await remove();
  }
}

const runs = [
  ...(SERVERS.includes('vigil') ? [['vigil', (dir, port) => startVigil(REPO_DIR, dir, port)]] : []),
  ...(process.env.BASELINE ? [['vigil (baseline)', (dir, port) => startVigil(process.env.BASELINE, dir, port)]] : []),
  ...(SERVERS.includes('alertmanager') ? [['alertmanager', startAlertmanager]] : []),
];
const rows = [];
for (let round = 1; round <= ROUNDS; round++) {
  for (const [name, start] of round % 2 ? runs : [...runs].reverse()) {
    rows.push(await measure(name, start, round));
    log(JSON.stringify(rows.at(-1)));
  }
}
console.log(table([['server', 'round', 'mean ms', 'p50 ms', 'p90 ms', 'p99 ms'], ...rows.map((r) => [r.server, r.round, r.meanMs, r.p50ms, r.p90ms, r.p99ms])]));
console.log(`results: ${saveResult('post-latency', { requests: REQUESTS, batch: BATCH, rows })}`);
