#!/usr/bin/env node
/**
 * The router against Alertmanager on the same machine: 10,000 alerts over 100 groups posted
 * to API v2 in batches of 64 (as Prometheus' notifier sends them), each server notifying a
 * loopback webhook receiver (Alertmanager's webhook payload v4, which both speak).
 *
 *   npm run build && node bench/router.mjs
 *
 * Reported per server: alerts/s ingested (alerts ÷ wall time of all POSTs, one at a time
 * as one Prometheus does, and CONCURRENCY at a time), ingest-to-notify latency p50/p99
 * (from the POST that carried an alert to the first webhook that contains it), CPU seconds,
 * peak RSS, and the webhooks the sink took meanwhile. Both run group_wait 1s and group_interval
 * 1s, so ~1s of every latency is the configured wait, not work. Each server first takes one unmeasured pass of WARMUP alerts
 * (10000; 0 for a cold start), as a server that has run a while: vigil's JIT compiles on the
 * first requests, which cost the first measured run 40–100 ms of p99 (bench/README.md, "Cold and
 * warm"). Knobs: ALERTS (10000), AGG_GROUPS (100), BATCH (64), CONCURRENCY (4), WARMUP,
 * VIGIL_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof" to profile vigil),
 * SERVERS (vigil,alertmanager; one of them to run it alone), VIGIL_POSTGRES_URL (vigil as one replica of
 * a cluster on that PostgreSQL: its Store there, and every notification claimed in it).
 */

import { createServer } from 'node:http';
import { freePort } from './lib/net.mjs';
import { processCpuSeconds, processRssMiB } from './lib/prometheus.mjs';
import { withAlertmanager, withVigil } from './lib/servers.mjs';
import { env, log, quantile, saveResult, table } from './lib/stats.mjs';

const ALERTS = env('ALERTS', 10_000);
const GROUPS = env('AGG_GROUPS', 100); // not GROUPS: bash keeps that name for itself, and an assignment to it is silently dropped
const BATCH = env('BATCH', 64);
const CONCURRENCY = env('CONCURRENCY', 4);
const WARMUP = env('WARMUP', 10_000);

/** A webhook receiver that notes when each alert (by its `id` label) first arrives firing. */
async function startSink() {
  const firstSeen = new Map();
  let requests = 0;
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const at = performance.now();
      requests++;
      try {
        for (const a of JSON.parse(body).alerts ?? []) if (a.status === 'firing' && !firstSeen.has(a.labels.id)) firstSeen.set(a.labels.id, at);
      } catch {
        // not JSON: ignored, the bench then reports missing alerts
      }
      res.end('ok');
    });
  });
  const port = await freePort();
  await new Promise((r) => server.listen(port, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${port}/hook`, firstSeen, requests: () => requests, close: () => new Promise((r) => server.close(r)) };
}

function makeAlerts(run) {
  const startsAt = new Date().toISOString();
  return Array.from({ length: ALERTS }, (_, i) => ({
    labels: { alertname: 'BenchAlert', group: `${run}-g${i % GROUPS}`, id: `${run}-${i}`, severity: 'P3' }, // fresh groups per run: each latency starts at a group_wait
    annotations: { summary: `bench alert ${i}` },
    startsAt,
  }));
}

async function post(url, alerts, concurrency, postedAt) {
  const batches = [];
  for (let i = 0; i < alerts.length; i += BATCH) batches.push(alerts.slice(i, i + BATCH));
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < batches.length) {
        const batch = batches[next++];
        const sent = performance.now();
        for (const a of batch) postedAt.set(a.labels.id, sent);
        const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(batch) });
        await res.arrayBuffer();
        if (!res.ok) throw new Error(`${url}: ${res.status}`);
      }
    }),
  );
  return performance.now() - t0;
}

/** Posts `alerts` and waits until each was notified (or a minute passed). */
async function postAndWait(base, alerts, concurrency, postedAt, sink) {
  const wallMs = await post(`${base}/api/v2/alerts`, alerts, concurrency, postedAt);
  const deadline = Date.now() + 60_000;
  while (alerts.some((a) => !sink.firstSeen.has(a.labels.id)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  return wallMs;
}

async function measure(name, base, pid, sink) {
  const rows = [];
  if (WARMUP > 0) {
    await postAndWait(base, makeAlerts(`${name}-warmup`).slice(0, WARMUP), CONCURRENCY, new Map(), sink);
    await new Promise((r) => setTimeout(r, 2000));
  }
  for (const concurrency of [1, CONCURRENCY]) {
    const run = `${name}-c${concurrency}`;
    const alerts = makeAlerts(run);
    const postedAt = new Map();
    const cpu0 = processCpuSeconds(pid);
    const requests0 = sink.requests();
    const wallMs = await postAndWait(base, alerts, concurrency, postedAt, sink);
    const latencies = alerts.filter((a) => sink.firstSeen.has(a.labels.id)).map((a) => sink.firstSeen.get(a.labels.id) - postedAt.get(a.labels.id));
    rows.push({
      server: name,
      concurrency,
      alertsPerSecond: Math.round(ALERTS / (wallMs / 1000)),
      ingestSeconds: wallMs / 1000,
      notified: latencies.length,
      p50ms: Math.round(quantile(latencies, 0.5)),
      p99ms: Math.round(quantile(latencies, 0.99)),
      cpuSeconds: Number((processCpuSeconds(pid) - cpu0).toFixed(2)),
      rssMiB: Math.round(processRssMiB(pid)),
      webhooks: sink.requests() - requests0, // notifications sent while the pass was posted and notified
    });
    log(`${name} c=${concurrency}: ${JSON.stringify(rows.at(-1))}`);
    { const t0 = Math.min(...postedAt.values()); const lastPost = Math.max(...postedAt.values()) - t0; const seen = alerts.map((a) => sink.firstSeen.get(a.labels.id) - t0).sort((a, b) => a - b);
      log(`timeline: last post at ${lastPost.toFixed(0)} ms; notified at deciles ` + [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.99, 1].map((q) => seen[Math.min(seen.length - 1, Math.floor(q * seen.length))].toFixed(0)).join(' '));
      { const { readFileSync } = await import('node:fs'); const sm = readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n'); const maps = []; let cur; for (const l of sm) { if (/^[0-9a-f]+-[0-9a-f]+ /.test(l)) { cur = { name: l.split(/\s+/).slice(5).join(' ') || '[anon]', rss: 0 }; maps.push(cur); } else if (l.startsWith('Rss:')) cur.rss += Number(l.split(/\s+/)[1]); } const by = new Map(); for (const m of maps) by.set(m.name, (by.get(m.name) ?? 0) + m.rss); log([...by].sort((a, b) => b[1] - a[1]).slice(0, 8).map(([n, r]) => `${(r / 1024).toFixed(1)} MiB ${n}`).join(' | ')); const anon = maps.filter((m) => m.name === '[anon]').sort((a, b) => b.rss - a.rss).slice(0, 12).map((m) => (m.rss / 1024).toFixed(1)); log('biggest anon: ' + anon.join(' ')); }
      { const m = await (await fetch(`${base}/metrics`)).text(); log(m.split('\n').filter((l) => /^(nodejs_heap_space_size_(used|total)_bytes|nodejs_external_memory_bytes|process_resident_memory_bytes|nodejs_heap_size_(used|total)_bytes)/.test(l)).map((l) => l.replace(/nodejs_|_bytes/g, '').replace(/ (\d+)$/, (_, v) => ' ' + (v / 1048576).toFixed(1))).join('\n')); }
      const lat = alerts.map((a) => [sink.firstSeen.get(a.labels.id) - postedAt.get(a.labels.id), postedAt.get(a.labels.id) - t0, sink.firstSeen.get(a.labels.id) - t0]).sort((a, b) => b[0] - a[0]); log('slowest: ' + lat.slice(0, 5).map((x) => x.map((v) => v.toFixed(0)).join('/')).join(' ')); }
    await new Promise((r) => setTimeout(r, 2000)); // let the last group flushes go out before the next run
  }
  return rows;
}

function routeFor() {
  return { receiver: 'sink', group_by: ['group'], group_wait: '1s', group_interval: '1s', repeat_interval: '1h' };
}

function benchVigil(sink) {
  const config = {
    // VIGIL_POSTGRES_URL: vigil as one replica of a cluster (its store and its flush claims on PostgreSQL)
    ...(process.env.VIGIL_POSTGRES_URL ? { storage: { postgres: { url: process.env.VIGIL_POSTGRES_URL } }, cluster: { replica_id: 'bench-0' } } : {}),
    limits: { alerts: 0 }, // the 100k runs hold 200k alerts; Alertmanager has no such limit by default
    route: routeFor(),
    receivers: [{ name: 'sink', webhook_configs: [{ url: sink.url }] }],
  };
  return withVigil({ prefix: 'vigil-bench-router-', config, stdout: process.env.VIGIL_STDOUT ? 'inherit' : 'ignore' }, ({ url, pid }) => measure('vigil', url, pid, sink));
}

function benchAlertmanager(sink) {
  const config = { route: routeFor(), receivers: [{ name: 'sink', webhook_configs: [{ url: sink.url }] }] };
  return withAlertmanager({ config }, ({ url, pid }) => measure('alertmanager', url, pid, sink));
}

const sink = await startSink();
const SERVERS = (process.env.SERVERS ?? 'vigil,alertmanager').split(',');
const rows = [...(SERVERS.includes('vigil') ? await benchVigil(sink) : []), ...(SERVERS.includes('alertmanager') ? await benchAlertmanager(sink) : [])];
await sink.close();
console.log(`${ALERTS} alerts over ${GROUPS} groups a pass, in batches of ${BATCH}, after a warm-up of ${WARMUP}`);
console.log(
  table([
    ['server', 'posters', 'alerts/s in', 'notified', 'p50 ms', 'p99 ms', 'CPU s', 'RSS MiB', 'webhooks'],
    ...rows.map((r) => [r.server, r.concurrency, r.alertsPerSecond, `${r.notified}/${ALERTS}`, r.p50ms, r.p99ms, r.cpuSeconds, r.rssMiB, r.webhooks]),
  ]),
);
console.log(`results: ${saveResult('router', { alerts: ALERTS, groups: GROUPS, batch: BATCH, warmup: WARMUP, rows })}`);
