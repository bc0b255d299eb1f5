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
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { processRssMiB, tempDir, which } from './lib/prometheus.mjs';
import { REPO_DIR, env, log, quantile, table, vigilNodeArgs } from './lib/stats.mjs';
import { freePort, waitReady } from './lib/net.mjs';

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

async function vigil() {
  const { dir, remove } = await tempDir('vigil-bench-lag-');
  const port = await freePort();
  await writeFile(join(dir, 'rules.yaml'), 'groups: []\n');
  await writeFile(
    join(dir, 'vigil.yaml'),
    stringify({
      datasource: { prometheus: { url: 'http://127.0.0.1:9' } },
      rule_files: ['rules.yaml'],
      storage: { sqlite: { path: 'data/vigil.db' } },
      server: { listen: `127.0.0.1:${port}`, max_request_bytes: 64 * 2 ** 20 },
      limits: { alerts: 0, alerts_per_request: 0 },
      route: { receiver: 'nobody', group_by: ['group'] },
      receivers: [{ name: 'nobody' }],
    }),
  );
  const nodeArgs = vigilNodeArgs(); // bin/vigil.js's own flags, then VIGIL_NODE_ARGS
  const child = spawn(process.execPath, [...nodeArgs, join(REPO_DIR, 'bin/vigil.js'), 'serve', '--config', join(dir, 'vigil.yaml'), '--log-level', 'warn'], { cwd: dir, stdio: ['ignore', process.env.VIGIL_STDOUT ? 'inherit' : 'ignore', 'inherit'] });
  try {
    await waitReady(`http://127.0.0.1:${port}/readyz`);
    return await measure('vigil', `http://127.0.0.1:${port}`, '/healthz', child.pid);
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    await remove();
  }
}

async function alertmanager() {
  const bin = which('prometheus-alertmanager') ?? which('alertmanager');
  if (!bin) throw new Error('prometheus-alertmanager not found (apt-get install prometheus-alertmanager)');
  const { dir, remove } = await tempDir('vigil-bench-lag-am-');
  const port = await freePort();
  await writeFile(join(dir, 'am.yml'), stringify({ route: { receiver: 'nobody', group_by: ['group'] }, receivers: [{ name: 'nobody' }] }));
  const child = spawn(bin, [`--config.file=${join(dir, 'am.yml')}`, `--storage.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--cluster.listen-address=', '--log.level=warn'], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  try {
    await waitReady(`http://127.0.0.1:${port}/-/ready`);
    return await measure('alertmanager', `http://127.0.0.1:${port}`, '/-/healthy', child.pid);
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    await remove();
  }
}

const rows = [await vigil(), await alertmanager()];
console.log(
  table([
    ['server', 'alerts', 'body MiB', 'status', 'POST ms', 'probes', 'health p50 ms', 'p99 ms', 'max ms', 'RSS MiB'],
    ...rows.map((r) => [r.server, r.alerts, r.bodyMiB, r.status, r.postMs, r.probes, r.p50ms, r.p99ms, r.maxMs, r.rssMiB]),
  ]),
);
