#!/usr/bin/env node
/**
 * What one huge POST does to everyone else: a single body of ALERTS alerts (100,000 by default,
 * ~16 MB) to /api/v2/alerts while another client asks the health endpoint every 10 ms. Reported
 * per server: the POST's wall time, and the health probe's latency (p50, p99, max) while the body
 * is taken: a stalled event loop shows as a slow /healthz. vigil runs with max_request_bytes and
 * limits.alerts_per_request raised so the body is taken at all; Alertmanager 0.25 has no such limit.
 *
 *   npm run build && node bench/ingest-lag.mjs
 */
import { processRssMiB } from './lib/prometheus.mjs';
import { withAlertmanager, withVigil } from './lib/servers.mjs';
import { env, log, quantile, table } from './lib/stats.mjs';

const ALERTS = env('ALERTS', 100_000);

async function measure(name, base, health, pid) {
  const body = JSON.stringify(
    Array.from({ length: ALERTS }, (_, i) => ({ labels: { alertname: 'LagBench', group: `g${i % 1000}`, id: `${name}-${i}`, severity: 'P3' }, annotations: { summary: `lag bench ${i}` } })),
  );
  const probes = [];
  let posting = true;
  const prober = (async () => {
    while (posting) {
      const t = performance.now();
      await (await fetch(base + health)).arrayBuffer();
      probes.push(performance.now() - t);
      await new Promise((r) => setTimeout(r, 10));
    }
  })();
  const t0 = performance.now();
  const res = await fetch(`${base}/api/v2/alerts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  await res.arrayBuffer();
  const postMs = performance.now() - t0;
  posting = false;
  await prober;
  const row = {
    server: name,
    alerts: ALERTS,
    bodyMiB: Number((body.length / 2 ** 20).toFixed(1)),
    status: res.status,
    postMs: Math.round(postMs),
    probes: probes.length,
    p50ms: Math.round(quantile(probes, 0.5)),
    p99ms: Math.round(quantile(probes, 0.99)),
    maxMs: Math.round(Math.max(...probes)),
    rssMiB: Math.round(processRssMiB(pid)),
  };
  log(`${name}: ${JSON.stringify(row)}`);
  return row;
}

function vigil() {
  const config = {
    server: { max_request_bytes: 64 * 2 ** 20 },
    limits: { alerts: 0, alerts_per_request: 0 },
    route: { receiver: 'nobody', group_by: ['group'] },
    receivers: [{ name: 'nobody' }],
  };
  return withVigil({ prefix: 'vigil-bench-lag-', config, stdout: process.env.VIGIL_STDOUT ? 'inherit' : 'ignore' }, ({ url, pid }) => measure('vigil', url, '/healthz', pid));
}

function alertmanager() {
  const config = { route: { receiver: 'nobody', group_by: ['group'] }, receivers: [{ name: 'nobody' }] };
  return withAlertmanager({ prefix: 'vigil-bench-lag-am-', config }, ({ url, pid }) => measure('alertmanager', url, '/-/healthy', pid));
}

const rows = [await vigil(), await alertmanager()];
console.log(
  table([
    ['server', 'alerts', 'body MiB', 'status', 'POST ms', 'probes', 'health p50 ms', 'p99 ms', 'max ms', 'RSS MiB'],
    ...rows.map((r) => [r.server, r.alerts, r.bodyMiB, r.status, r.postMs, r.probes, r.p50ms, r.p99ms, r.maxMs, r.rssMiB]),
  ]),
);
