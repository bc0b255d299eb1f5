#!/usr/bin/env node
/**
 * Remote-write ingestion from a real Prometheus 2.42. One Prometheus scrapes a loopback fleet
 * (AGENTS agents × 35 series, in TARGETS pages) every SCRAPE_S seconds and remote-writes every
 * sample twice, with its default queue settings: to vigil's POST /api/v1/write (in its own
 * process, into a MemoryStore) and, as the anchor, to a second Prometheus 2.42 started with
 * --web.enable-remote-write-receiver. After WARMUP_S it measures MEASURE_S seconds: samples
 * received per second and CPU per 100k samples on each receiver, from /proc.
 *
 *   node bench/remote-write.mjs        (after npm run build)
 *   AGENTS=1000 TARGETS=10 SCRAPE_S=1 WARMUP_S=20 MEASURE_S=60 node bench/remote-write.mjs
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { BUCKETS, MODELS, SERIES_PER_AGENT, TOOLS, agentId } from './lib/fleet.mjs';
import { processCpuSeconds, processRssMiB, startPrometheus, systemCpuSeconds, tempDir } from './lib/prometheus.mjs';
import { BENCH_DIR, env, log, saveResult, table } from './lib/stats.mjs';

const AGENTS = env('AGENTS', 1000);
const TARGETS = env('TARGETS', 10);
const SCRAPE_S = env('SCRAPE_S', 1);
const WARMUP_S = env('WARMUP_S', 20);
const MEASURE_S = env('MEASURE_S', 60);

/** One target's page: its agents' 35 series each, counters growing with the clock. */
function page(target) {
  const t = Date.now() / 1000;
  const lines = [];
  for (let i = target; i < AGENTS; i += TARGETS) {
    const id = agentId(i);
    const n = Math.floor(t * (0.5 + (i % 10) / 2));
    lines.push(`agent_requests_total{agent_id="${id}",status="success"} ${n}`, `agent_requests_total{agent_id="${id}",status="failure"} ${Math.floor(n / 100)}`);
    for (const le of BUCKETS) lines.push(`agent_request_duration_seconds_bucket{agent_id="${id}",le="${le}"} ${Math.floor((n * Math.min(1, le / 5)))}`);
    lines.push(`agent_request_duration_seconds_bucket{agent_id="${id}",le="+Inf"} ${n}`, `agent_request_duration_seconds_count{agent_id="${id}"} ${n}`, `agent_request_duration_seconds_sum{agent_id="${id}"} ${n * 1.3}`);
    for (const [model] of MODELS) for (const direction of ['input', 'output']) lines.push(`agent_tokens_consumed_total{agent_id="${id}",direction="${direction}",model="${model}"} ${n * 700}`);
    for (const [tool] of TOOLS) for (const status of ['success', 'failure']) lines.push(`agent_tool_calls_total{agent_id="${id}",status="${status}",tool_name="${tool}"} ${status === 'success' ? n : Math.floor(n / 200)}`);
    for (const type of ['factual', 'citation', 'tool_output']) lines.push(`agent_hallucination_total{agent_id="${id}",type="${type}"} ${Math.floor(n / 1000)}`);
  }
  return lines.join('\n') + '\n';
}

async function startVigilReceiver() {
  const child = spawn(process.execPath, [...(process.env.RECEIVER_NODE_ARGS ?? '').split(' ').filter(Boolean), join(BENCH_DIR, 'lib', 'rw-receiver.mjs')], { stdio: ['ignore', 'pipe', 'inherit'] });
  process.once('exit', () => child.kill('SIGKILL'));
  const port = await new Promise((resolve, reject) => {
    createInterface({ input: child.stdout }).once('line', (l) => resolve(Number(l)));
    child.once('exit', (code) => reject(new Error(`the vigil receiver exited (${code})`)));
  });
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    pid: child.pid,
    stats: async () => (await fetch(`${url}/stats`)).json(),
    stop: async () => {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Samples Prometheus has taken in over remote write, from its own /metrics. */
async function promReceived(url) {
  const text = await (await fetch(`${url}/metrics`)).text();
  let total = 0; // 0 before the first batch arrives; one line per sample type in newer versions
  for (const m of text.matchAll(/^prometheus_tsdb_head_samples_appended_total(?:\{[^}]*\})? (\S+)$/gm)) total += Number(m[1]);
  return total;
}

async function main() {
  if (TARGETS < 1 || AGENTS < TARGETS) throw new Error('need AGENTS >= TARGETS >= 1');
  const fleet = createServer((req, res) => {
    const target = Number(/target=(\d+)/.exec(req.url ?? '')?.[1] ?? 0);
    res.setHeader('content-type', 'text/plain; version=0.0.4');
    res.end(page(target));
  });
  await new Promise((r) => fleet.listen(0, '127.0.0.1', r));
  const fleetAddr = `127.0.0.1:${fleet.address().port}`;

  const vigil = await startVigilReceiver();
  const anchorDir = await tempDir('vigil-bench-rw-anchor-');
  const anchor = await startPrometheus({ dir: anchorDir.dir, dataDir: join(anchorDir.dir, 'data'), args: ['--web.enable-remote-write-receiver'] });
  const senderDir = await tempDir('vigil-bench-rw-sender-');
  const targets = Array.from({ length: TARGETS }, (_, i) => i);
  const config = [
    'global:',
    `  scrape_interval: ${SCRAPE_S}s`,
    `  scrape_timeout: ${SCRAPE_S}s`,
    'scrape_configs:',
    ...targets.map((i) => `  - job_name: fleet-${i}\n    params: { target: ['${i}'] }\n    static_configs: [{ targets: ['${fleetAddr}'] }]`),
    'remote_write:',
    `  - { name: vigil, url: '${vigil.url}/api/v1/write' }`,
    `  - { name: prometheus, url: '${anchor.url}/api/v1/write' }`,
    '',
  ].join('\n');
  const sender = await startPrometheus({ dir: senderDir.dir, dataDir: join(senderDir.dir, 'data'), config });
  const perRound = AGENTS * SERIES_PER_AGENT + TARGETS * 5;
  log(`fleet: ${AGENTS} agents × ${SERIES_PER_AGENT} series in ${TARGETS} targets every ${SCRAPE_S}s → ${perRound} samples per round (with up & co.)`);
  try {
    log(`warming up ${WARMUP_S}s`);
    await new Promise((r) => setTimeout(r, WARMUP_S * 1000));
    const before = {
      vigil: (await vigil.stats()).samples,
      vigilCpu: processCpuSeconds(vigil.pid),
      anchor: await promReceived(anchor.url),
      anchorCpu: anchor.cpuSeconds(),
      senderCpu: sender.cpuSeconds(),
      system: systemCpuSeconds(),
      at: performance.now(),
    };
    log(`measuring ${MEASURE_S}s`);
    await new Promise((r) => setTimeout(r, MEASURE_S * 1000));
    const stats = await vigil.stats();
    const after = {
      vigil: stats.samples,
      vigilCpu: processCpuSeconds(vigil.pid),
      anchor: await promReceived(anchor.url),
      anchorCpu: anchor.cpuSeconds(),
      senderCpu: sender.cpuSeconds(),
      system: systemCpuSeconds(),
      at: performance.now(),
    };
    const seconds = (after.at - before.at) / 1000;
    const v = { samples: after.vigil - before.vigil, cpu: after.vigilCpu - before.vigilCpu };
    const a = { samples: after.anchor - before.anchor, cpu: after.anchorCpu - before.anchorCpu };
    const senderCpu = after.senderCpu - before.senderCpu;
    const per100k = (cpu, samples) => (samples > 0 ? ((cpu / samples) * 1e5 * 1000).toFixed(0) : 'n/a');
    const result = {
      params: { AGENTS, TARGETS, SCRAPE_S, WARMUP_S, MEASURE_S, samplesPerRound: perRound },
      seconds,
      vigil: { samplesPerSecond: v.samples / seconds, cpuSeconds: v.cpu, cpuMsPer100k: (v.cpu / v.samples) * 1e8, refused: stats.refused, series: stats.series, rssMiB: processRssMiB(vigil.pid) },
      prometheusReceiver: { samplesPerSecond: a.samples / seconds, cpuSeconds: a.cpu, cpuMsPer100k: (a.cpu / a.samples) * 1e8, rssMiB: anchor.rssMiB() },
      prometheusSender: { cpuSeconds: senderCpu },
      otherCpuSeconds: after.system - before.system - v.cpu - a.cpu - senderCpu,
    };
    console.log(
      table([
        ['receiver', 'samples/s', 'CPU s', 'CPU ms per 100k samples', 'RSS MiB'],
        ['vigil', (v.samples / seconds).toFixed(0), v.cpu.toFixed(2), per100k(v.cpu, v.samples), result.vigil.rssMiB.toFixed(0)],
        ['prometheus 2.42 (--web.enable-remote-write-receiver)', (a.samples / seconds).toFixed(0), a.cpu.toFixed(2), per100k(a.cpu, a.samples), result.prometheusReceiver.rssMiB.toFixed(0)],
      ]),
    );
    console.log(`sender Prometheus (scrape + 2 remote-write queues): ${senderCpu.toFixed(2)} CPU s; other processes: ${result.otherCpuSeconds.toFixed(1)} CPU s over ${seconds.toFixed(0)} s; vigil refused ${stats.refused} requests`);
    console.log(`saved ${saveResult('remote-write', result)}`);
  } finally {
    await sender.stop();
    await anchor.stop();
    await vigil.stop();
    fleet.close();
    await senderDir.remove();
    await anchorDir.remove();
  }
}

await main();
