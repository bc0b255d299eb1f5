#!/usr/bin/env node
/**
 * vigil alone against Prometheus 2.42 doing the same job on the same machine: scrape a fleet of
 * AGENTS agents (35 series each, split over TARGETS exporters) every 15 s and evaluate the pack
 * (vigil's rules; Prometheus the same rules as `vigil generate` writes them) every minute.
 * After WARMUP_S it measures DURATION_S of steady state: CPU seconds of each server process (from
 * /proc), CPU per scrape round, RSS, and that both hold the same series.
 *
 *   npm run build && node bench/scrape.mjs
 *   AGENTS=100 DURATION_S=120 node bench/scrape.mjs
 *
 * BENCH_VIGIL_STDOUT=1 shows vigil's output (with VIGIL_NODE_ARGS=--trace-gc, its collections).
 */
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { freePort, waitReady } from './lib/net.mjs';
import { loadAverage, processCpuSeconds, processRssMiB, tempDir, threadCpuSeconds, which } from './lib/prometheus.mjs';
import { env, log, REPO_DIR, saveResult, table, vigilNodeArgs } from './lib/stats.mjs';

const AGENTS = env('AGENTS', 1000);
const TARGETS = env('TARGETS', 10);
const WARMUP_S = env('WARMUP_S', 60);
const DURATION_S = env('DURATION_S', 300);
const INTERVAL_S = 15;

const children = [];
const stopAll = () => children.forEach((c) => c.exitCode === null && c.kill('SIGKILL'));
process.once('exit', stopAll);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function count(url, q) {
  const body = await (await fetch(`${url}/api/v1/query?query=${encodeURIComponent(q)}`)).json();
  return Number(body.data?.result?.[0]?.value?.[1] ?? NaN);
}

const tmp = await tempDir('vigil-bench-scrape-');
const dir = tmp.dir;
try {
  const exporter = spawn(process.execPath, [join(REPO_DIR, 'bench/lib/fleet-exporter.mjs')], { env: { ...process.env, AGENTS: String(AGENTS), TARGETS: String(TARGETS) }, stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(exporter);
  const [line] = await once(createInterface({ input: exporter.stdout }), 'line');
  const { ports, series } = JSON.parse(line);
  const targets = ports.map((p) => `'127.0.0.1:${p}'`).join(', ');
  log(`fleet: ${AGENTS} agents, ${series} series on ${ports.length} exporters`);

  const gen = spawnSync(process.execPath, [join(REPO_DIR, 'bin/vigil.js'), 'generate', '--out', join(dir, 'prom-rules')], { cwd: REPO_DIR, encoding: 'utf8' });
  if (gen.status !== 0) throw new Error(`vigil generate failed: ${gen.stderr}`);
  const promPort = await freePort();
  await writeFile(
    join(dir, 'prometheus.yml'),
    `global: { scrape_interval: ${INTERVAL_S}s, evaluation_interval: 1m }
rule_files: ['${join(dir, 'prom-rules')}/*.yaml']
scrape_configs:
  - job_name: agents
    static_configs: [{ targets: [${targets}] }]
`,
  );
  const prom = spawn(which('prometheus'), [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'prom-data')}`, `--web.listen-address=127.0.0.1:${promPort}`], { stdio: 'ignore' });
  children.push(prom);

  const vigilPort = await freePort();
  await writeFile(
    join(dir, 'vigil.yaml'),
    `datasource:
  embedded:
    path: ${join(dir, 'tsdb')}
    scrape_interval: ${INTERVAL_S}s
    scrape_configs:
      - job_name: agents
        static_configs: [{ targets: [${targets}] }]
rule_files: ['${join(REPO_DIR, 'rules')}']
storage: { sqlite: { path: ${join(dir, 'vigil.db')} } }
server: { listen: 127.0.0.1:${vigilPort} }
`,
  );
  // bin/vigil.js's own node flags (what users run), then VIGIL_NODE_ARGS
  const vigil = spawn(process.execPath, [...vigilNodeArgs(), join(REPO_DIR, 'bin/vigil.js'), 'serve', '--config', join(dir, 'vigil.yaml'), '--log-level', 'warn'], { stdio: process.env.BENCH_VIGIL_STDOUT ? ['ignore', 'inherit', 'inherit'] : 'ignore' });
  children.push(vigil);
  const promURL = `http://127.0.0.1:${promPort}`;
  const vigilURL = `http://127.0.0.1:${vigilPort}`;
  await waitReady(`${promURL}/-/ready`, 60_000);
  await waitReady(`${vigilURL}/readyz`, 60_000);
  log(`warming up ${WARMUP_S}s`);
  await sleep(WARMUP_S * 1000);

  const before = { vigil: processCpuSeconds(vigil.pid), prom: processCpuSeconds(prom.pid), load: loadAverage(), threads: threadCpuSeconds(vigil.pid) };
  log(`measuring ${DURATION_S}s`);
  await sleep(DURATION_S * 1000);
  const after = { vigil: processCpuSeconds(vigil.pid), prom: processCpuSeconds(prom.pid), threads: threadCpuSeconds(vigil.pid) };
  // Where vigil's CPU went by thread: the main thread (JS, and GC's own share), V8's GC and compiler helpers, libuv's pool (gzip, fs).
  const threads = Object.entries(after.threads)
    .map(([name, s]) => [name, s - (before.threads[name] ?? 0)])
    .filter(([, s]) => s >= 0.005)
    .sort((a, b) => b[1] - a[1]);
  const rounds = DURATION_S / INTERVAL_S;
  const q = 'count({__name__=~"agent_.+"})';
  const rows = [
    ['server', 'CPU s', 'CPU ms per 15s round', 'RSS MiB', 'agent series held'],
    ['vigil', (after.vigil - before.vigil).toFixed(2), (((after.vigil - before.vigil) / rounds) * 1000).toFixed(0), processRssMiB(vigil.pid).toFixed(0), await count(vigilURL, q)],
    ['prometheus', (after.prom - before.prom).toFixed(2), (((after.prom - before.prom) / rounds) * 1000).toFixed(0), processRssMiB(prom.pid).toFixed(0), await count(promURL, q)],
  ];
  console.log(table(rows));
  console.log(`vigil's node flags: ${vigilNodeArgs().join(' ') || '(none)'}`);
  console.log(`vigil's CPU s by thread: ${threads.map(([name, s]) => `${name} ${s.toFixed(2)}`).join(', ')}`);
  console.log(`(${rounds} scrape rounds and ${DURATION_S / 60} evaluation cycles of the pack; load average before: ${before.load})`);
  console.log(`results: ${saveResult('scrape', { agents: AGENTS, targets: TARGETS, series, durationS: DURATION_S, rows, vigilThreads: Object.fromEntries(threads) })}`);
} finally {
  // SIGTERM first: vigil writes its CPU profile (VIGIL_NODE_ARGS=--cpu-prof) only on a clean exit.
  for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
  await Promise.race([Promise.all(children.map((c) => (c.exitCode === null ? once(c, 'exit') : undefined))), sleep(10_000)]);
  stopAll();
  await tmp.remove();
}
