#!/usr/bin/env node
/**
 * vigil's CPU per 10,000 alerts on the router path, A/B between two builds in one run: a shared,
 * busy machine moves rates by 30% or more, CPU seconds much less. Each round starts each build's
 * `vigil serve` (alternating, ROUNDS times), posts ALERTS alerts over AGG_GROUPS groups in batches of
 * BATCH with CONCURRENCY posters to a loopback webhook (group_wait/group_interval 1s, as
 * bench/router.mjs), waits until every alert was notified, and reports per build: the process's
 * CPU seconds per 10k alerts (all threads, and the main thread alone), wall time of the POSTs,
 * the RSS when idle after start and at the end.
 *
 *   npm run build && node bench/router-cpu.mjs                        # this build alone
 *   BASELINE=/tmp/vigil-base node bench/router-cpu.mjs                # A/B: a copy of an older dist/ + bin/
 *
 * BASELINE is a directory with an older build's dist/, bin/ and package.json (node_modules may be a
 * symlink to this checkout's); each build runs with the node flags of its own bin/vigil.js. VIGIL_NODE_ARGS adds node flags (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof").
 */

import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import { freePort } from './lib/net.mjs';
import { processCpuSeconds, processRssMiB } from './lib/prometheus.mjs';
import { withVigil } from './lib/servers.mjs';
import { REPO_DIR, env, log, saveResult, table } from './lib/stats.mjs';

const ALERTS = env('ALERTS', 10_000);
const GROUPS = env('AGG_GROUPS', 100); // not GROUPS: bash keeps that name for itself, and an assignment to it is silently dropped
const BATCH = env('BATCH', 64);
const CONCURRENCY = env('CONCURRENCY', 1);
const ROUNDS = env('ROUNDS', 3);
const CLK_TCK = 100;

/** CPU seconds of the main thread alone (its task's stat): what limits a single-threaded server. */
function mainThreadCpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/task/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / CLK_TCK;
}

async function startSink() {
  const seen = new Set();
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      for (const a of JSON.parse(body).alerts ?? []) if (a.status === 'firing') seen.add(a.labels.id);
      res.end('ok');
    });
  });
  const port = await freePort();
  await new Promise((r) => server.listen(port, '127.0.0.1', r));
  const waitFor = async (ids, timeoutMs) => {
    const deadline = Date.now() + timeoutMs;
    while (ids.some((id) => !seen.has(id)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    return ids.filter((id) => seen.has(id)).length;
  };
  return { url: `http://127.0.0.1:${port}/hook`, waitFor, close: () => new Promise((r) => server.close(r)) };
}

function runOnce(name, repoDir, sink, round) {
  const config = {
    limits: { alerts: 0 },
    route: { receiver: 'sink', group_by: ['group'], group_wait: '1s', group_interval: '1s', repeat_interval: '1h' },
    receivers: [{ name: 'sink', webhook_configs: [{ url: sink.url }] }],
  };
  return withVigil({ prefix: 'vigil-bench-cpu-', config, repoDir }, ({ url, pid }) => measure(name, url, pid, sink, round));
}

async function measure(name, url, pid, sink, round) {
  await new Promise((r) => setTimeout(r, 500));
  const idleRss = processRssMiB(pid);
  const run = `${name}-${round}`;
  const alerts = Array.from({ length: ALERTS }, (_, i) => ({
    labels: { alertname: 'BenchAlert', group: `${run}-g${i % GROUPS}`, id: `${run}-${i}`, severity: 'P3' },
    annotations: { summary: `bench alert ${i}` },
    startsAt: new Date().toISOString(),
  }));
  const bodies = [];
  for (let i = 0; i < alerts.length; i += BATCH) bodies.push(JSON.stringify(alerts.slice(i, i + BATCH)));
  const cpu0 = processCpuSeconds(pid);
  const main0 = mainThreadCpuSeconds(pid);
  const t0 = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < bodies.length) {
        const res = await fetch(`${url}/api/v2/alerts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: bodies[next++] });
        await res.arrayBuffer();
        if (!res.ok) throw new Error(`${name}: ${res.status}`);
      }
    }),
  );
  const postSeconds = (performance.now() - t0) / 1000;
  const ingestCpu = processCpuSeconds(pid) - cpu0;
  const ingestMain = mainThreadCpuSeconds(pid) - main0;
  const notified = await sink.waitFor(alerts.map((a) => a.labels.id), 60_000);
  await new Promise((r) => setTimeout(r, 1500)); // the history and the last flushes
  const per10k = 10_000 / ALERTS;
  return {
    build: name,
    round,
    alertsPerSecond: Math.round(ALERTS / postSeconds),
    ingestCpuPer10k: (ingestCpu * per10k),
    ingestMainPer10k: (ingestMain * per10k),
    totalCpuPer10k: ((processCpuSeconds(pid) - cpu0) * per10k),
    totalMainPer10k: ((mainThreadCpuSeconds(pid) - main0) * per10k),
    notified,
    idleRssMiB: Math.round(idleRss),
    rssMiB: Math.round(processRssMiB(pid)),
  };
}

const builds = [['this', REPO_DIR], ...(process.env.BASELINE ? [['baseline', process.env.BASELINE]] : [])];
const sink = await startSink();
const rows = [];
for (let round = 1; round <= ROUNDS; round++) {
  for (const [name, dir] of round % 2 ? builds : [...builds].reverse()) {
    rows.push(await runOnce(name, dir, sink, round));
    log(JSON.stringify(rows.at(-1)));
  }
}
await sink.close();
const f = (x) => x.toFixed(2);
console.log(
  table([
    ['build', 'round', 'alerts/s in', 'ingest CPU s/10k', 'main thread', 'total CPU s/10k', 'main thread', 'notified', 'idle RSS MiB', 'RSS MiB'],
    ...rows.map((r) => [r.build, r.round, r.alertsPerSecond, f(r.ingestCpuPer10k), f(r.ingestMainPer10k), f(r.totalCpuPer10k), f(r.totalMainPer10k), `${r.notified}/${ALERTS}`, r.idleRssMiB, r.rssMiB]),
  ]),
);
console.log(`results: ${saveResult('router-cpu', { alerts: ALERTS, groups: GROUPS, batch: BATCH, concurrency: CONCURRENCY, rows })}`);
