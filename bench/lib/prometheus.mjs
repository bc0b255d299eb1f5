/**
 * A real Prometheus (Debian's 2.42) for benchmarks: history written by promtool,
 * served on a free loopback port, CPU read from /proc, stopped and cleaned up after.
 * test/integration/support/prometheus.ts does the same for tests, but builds the
 * whole OpenMetrics text in memory, which a thousand agents do not fit.
 */

import { spawn, execFileSync } from 'node:child_process';
import { accessSync, constants, readdirSync, readFileSync, rmSync } from 'node:fs';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './net.mjs';

const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;

export function which(binary) {
  for (const dir of [...(process.env.PATH ?? '').split(':').filter(Boolean), '/usr/bin', '/usr/local/bin']) {
    try {
      accessSync(join(dir, binary), constants.X_OK);
      return join(dir, binary);
    } catch {
      // not here
    }
  }
  return undefined;
}

export function prometheusVersion() {
  const bin = which('prometheus');
  if (!bin) return undefined;
  return execFileSync(bin, ['--version'], { stdio: ['ignore', 'pipe', 'pipe'] }).toString().split('\n')[0];
}

/** A temporary directory removed at exit even if the bench throws. */
export async function tempDir(prefix) {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  const cleanup = () => rmSync(dir, { recursive: true, force: true });
  process.once('exit', cleanup);
  return { dir, remove: async () => rm(dir, { recursive: true, force: true }) };
}

function run(binary, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c) => (output += c));
    child.stderr.on('data', (c) => (output += c));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code: code ?? 1, output }));
  });
}

/**
 * promtool tsdb create-blocks-from openmetrics. promtool re-reads the whole input
 * once per block, so larger blocks (its hidden --max-block-duration) mean fewer passes;
 * 54h is Prometheus' largest range at 30d retention, so it never compacts them again.
 */
export async function createBlocks(input, dataDir, maxBlockDuration = '54h') {
  const promtool = which('promtool');
  if (!promtool) throw new Error('promtool not found (Debian package: prometheus)');
  await mkdir(dataDir, { recursive: true });
  const started = performance.now();
  const r = await run(promtool, ['tsdb', 'create-blocks-from', 'openmetrics', `--max-block-duration=${maxBlockDuration}`, '--quiet', input, dataDir]);
  if (r.code !== 0) throw new Error(`promtool tsdb create-blocks-from openmetrics failed (exit ${r.code}): ${r.output.trim().slice(-2000)}`);
  return { ms: performance.now() - started };
}

/** CPU seconds (user + system) a process has used so far, from /proc/<pid>/stat. */
export function processCpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state); utime and stime are fields 14 and 15.
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

/** CPU seconds of each thread of a process: `main`, the others summed by thread name (V8's GC and compiler helpers, libuv's pool). */
export function threadCpuSeconds(pid) {
  const out = {};
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    let stat;
    try {
      stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    } catch {
      continue; // the thread ended meanwhile
    }
    const name = tid === String(pid) ? 'main' : stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')).replace(/\d+$/, '');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    out[name] = (out[name] ?? 0) + (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
  }
  return out;
}

/** CPU seconds all processes have used so far (every core), from /proc/stat: to see what else ran meanwhile. */
export function systemCpuSeconds() {
  const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal: everything but idle and iowait is busy.
  return (cpu[0] + cpu[1] + cpu[2] + cpu[5] + cpu[6] + (cpu[7] ?? 0)) / CLK_TCK;
}

export function loadAverage() {
  return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).map(Number);
}

/** Resident memory of a process in MiB, from /proc/<pid>/status. */
export function processRssMiB(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/**
 * Starts Prometheus on `dataDir` (no scrape targets unless `config`, a prometheus.yml text, has
 * some) and waits for /-/ready. `--storage.tsdb.max-block-duration=2h` keeps it from compacting
 * blocks in the background while it is measured; `args` adds flags.
 */
export async function startPrometheus({ dir, dataDir, readyTimeoutMs = 120_000, config, args = [] }) {
  const bin = which('prometheus');
  if (!bin) throw new Error('prometheus not found (Debian package: prometheus)');
  const configFile = join(dir, 'prometheus.yml');
  await writeFile(configFile, config ?? 'global:\n  scrape_interval: 15s\n  evaluation_interval: 15s\n');
  const port = await freePort();
  const child = spawn(
    bin,
    [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${dataDir}`,
      '--storage.tsdb.retention.time=30d',
      '--storage.tsdb.min-block-duration=2h',
      '--storage.tsdb.max-block-duration=2h',
      `--web.listen-address=127.0.0.1:${port}`,
      ...args,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let log = '';
  const collect = (c) => {
    log += c;
    if (log.length > 65_536) log = log.slice(-65_536);
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  let alive = true;
  const exited = new Promise((resolve) => child.once('exit', () => resolve()));
  void exited.then(() => (alive = false));
  const kill = () => child.kill('SIGKILL');
  process.once('exit', kill);

  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (alive) {
      child.kill('SIGTERM');
      const timer = setTimeout(kill, 10_000);
      await exited;
      clearTimeout(timer);
    }
    process.removeListener('exit', kill);
  };
  const deadline = Date.now() + readyTimeoutMs;
  for (;;) {
    if (!alive) throw new Error(`prometheus exited before it was ready:\n${log.slice(-3000)}`);
    try {
      const res = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(1000) });
      await res.arrayBuffer();
      if (res.status === 200) break;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`prometheus not ready within ${readyTimeoutMs}ms:\n${log.slice(-3000)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    pid: child.pid,
    cpuSeconds: () => processCpuSeconds(child.pid),
    rssMiB: () => processRssMiB(child.pid),
    logs: () => log,
    stop,
  };
}

/** Selected counters from Prometheus' own /metrics: query requests by handler, engine time. */
export async function prometheusSelfMetrics(url) {
  const text = await (await fetch(`${url}/metrics`)).text();
  const value = (re) => {
    let total = 0;
    for (const line of text.split('\n')) {
      if (line.startsWith('#')) continue;
      if (re.test(line)) total += Number(line.slice(line.lastIndexOf(' ') + 1));
    }
    return total;
  };
  return {
    cpuSeconds: value(/^process_cpu_seconds_total /),
    instantQueries: value(/^prometheus_http_requests_total\{[^}]*handler="\/api\/v1\/query"/),
    rangeQueries: value(/^prometheus_http_requests_total\{[^}]*handler="\/api\/v1\/query_range"/),
    innerEvalSeconds: value(/^prometheus_engine_query_duration_seconds_sum\{slice="inner_eval"\}/),
    prepareSeconds: value(/^prometheus_engine_query_duration_seconds_sum\{slice="prepare_time"\}/),
    queueSeconds: value(/^prometheus_engine_query_duration_seconds_sum\{slice="queue_time"\}/),
  };
}

export function diffMetrics(after, before) {
  const out = {};
  for (const k of Object.keys(after)) out[k] = after[k] - before[k];
  return out;
}
