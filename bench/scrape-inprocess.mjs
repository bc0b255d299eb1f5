#!/usr/bin/env node
/**
 * scrape.mjs' job inside one process, on a virtual clock, to see where vigil's CPU goes without
 * waiting for real time: the live fleet (lib/fleet-exporter.mjs, a child process) is scraped by
 * vigil's scrape loops into a TSDB every virtual 15 s, and the pack is evaluated every virtual
 * minute, as `vigil serve` does. It reports CPU per scrape round and per evaluation cycle (from
 * process.cpuUsage(), so each figure includes the garbage collection its phase triggered).
 * Not in `npm run bench`: it imports the scrape loop from dist/ directly, and has no anchor —
 * scrape.mjs compares with Prometheus.
 *
 *   npm run build && node bench/scrape-inprocess.mjs
 *   PREFILL_ROUNDS=240 ROUNDS=40 node bench/scrape-inprocess.mjs    # 1h of data first (closed chunks), then measure
 *   node --cpu-prof --cpu-prof-dir=/tmp/prof bench/scrape-inprocess.mjs
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { Agent } from 'node:http';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import { tempDir, threadCpuSeconds } from './lib/prometheus.mjs';
import { env, log, REPO_DIR, summarize, table, vigilCpuSeconds } from './lib/stats.mjs';
import { datasource, evaluation, loadPack } from './lib/vigil.mjs';

const AGENTS = env('AGENTS', 1000);
const TARGETS = env('TARGETS', 10);
const PREFILL_ROUNDS = env('PREFILL_ROUNDS', 8);
const ROUNDS = env('ROUNDS', 40);
const INTERVAL_MS = 15_000;

const tsdb = await import(pathToFileURL(join(REPO_DIR, 'dist', 'tsdb', 'index.js')).href);
const { ScrapeLoop } = await import(pathToFileURL(join(REPO_DIR, 'dist', 'tsdb', 'scrape', 'loop.js')).href);

const exporter = spawn(process.execPath, [join(REPO_DIR, 'bench/lib/fleet-exporter.mjs')], { env: { ...process.env, AGENTS: String(AGENTS), TARGETS: String(TARGETS) }, stdio: ['ignore', 'pipe', 'inherit'] });
process.once('exit', () => exporter.kill('SIGKILL'));
const [line] = await once(createInterface({ input: exporter.stdout }), 'line');
const { ports, series } = JSON.parse(line);
const tmp = await tempDir('vigil-bench-scrape-inprocess-');
try {
  const db = await tsdb.TSDB.open(join(tmp.dir, 'tsdb'), { checkpointIntervalMs: 0 });
  let now = Math.floor(Date.now() / 60_000) * 60_000;
  const config = {
    jobName: 'agents', scrapeIntervalMs: INTERVAL_MS, scrapeTimeoutMs: 10_000, metricsPath: '/metrics', scheme: 'http',
    honorLabels: false, relabelConfigs: [], metricRelabelConfigs: [], staticConfigs: [],
  };
  const loops = ports.map((p) => {
    const url = new URL(`http://127.0.0.1:${p}/metrics`);
    const target = { key: url.href, url, job: 'agents', labels: Object.freeze({ job: 'agents', instance: url.host }) };
    return new ScrapeLoop(target, config, { storage: db, agent: new Agent({ keepAlive: true, maxSockets: 1 }), userAgent: 'bench', now: () => now });
  });
  const groups = await loadPack();
  const ev = new evaluation.Evaluator(groups, { datasource: new datasource.EmbeddedDatasource(db, { timeoutMs: 30_000, maxSamples: 20_000_000 }) });

  const scrapeCpu = [];
  const evalCpu = [];
  const round = async (r, measure) => {
    now += INTERVAL_MS;
    let c = vigilCpuSeconds();
    for (const loop of loops) {
      const res = await loop.scrape();
      if (!res.up) throw new Error(`scrape failed: ${res.error}`);
    }
    if (measure) scrapeCpu.push((vigilCpuSeconds() - c) * 1000);
    if (r % 4 !== 3) return;
    c = vigilCpuSeconds();
    for (const g of ev.groups) {
      const res = await ev.evaluateGroup(g, now);
      if (res.failures) throw new Error(`group ${g.name} failed: ${g.rules.map((x) => x.status.lastError).filter(Boolean).join('; ')}`);
    }
    if (measure) evalCpu.push((vigilCpuSeconds() - c) * 1000);
  };
  log(`fleet: ${AGENTS} agents, ${series} series; ${PREFILL_ROUNDS} rounds unmeasured, then ${ROUNDS} measured`);
  let r = 0;
  for (; r < PREFILL_ROUNDS; r++) await round(r, false);
  const total = vigilCpuSeconds();
  const threadsBefore = threadCpuSeconds(process.pid);
  for (let k = 0; k < ROUNDS; k++, r++) await round(r, true);
  const totalS = vigilCpuSeconds() - total;
  const threadsAfter = threadCpuSeconds(process.pid);
  const s = summarize(scrapeCpu);
  const e = summarize(evalCpu);
  console.log(table([
    ['phase', 'n', 'CPU ms median', 'p90', 'min'],
    ['scrape round (all targets)', s.n, s.median.toFixed(1), s.p90.toFixed(1), s.min.toFixed(1)],
    ['evaluation cycle (6 groups)', e.n, e.median.toFixed(1), e.p90.toFixed(1), e.min.toFixed(1)],
  ]));
  console.log(`CPU over the ${ROUNDS} measured rounds: ${totalS.toFixed(2)} s (${((totalS / ROUNDS) * 1000).toFixed(0)} ms per 15 s round, evaluation included); ${db.stats().series} series`);
  // helper threads: V8's parallel scavenges and concurrent marking, its compiler, libuv's pool (the WAL's fdatasync)
  console.log(`by thread: ${Object.entries(threadsAfter).map(([n, v]) => `${n} ${(v - (threadsBefore[n] ?? 0)).toFixed(2)}`).join(', ')}`);
  await db.close();
} finally {
  exporter.kill('SIGKILL');
  await tmp.remove();
}
