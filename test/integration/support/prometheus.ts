/**
 * A real Prometheus for tests: history written with `promtool tsdb create-blocks-from
 * openmetrics`, served on a free loopback port, stopped and cleaned up after.
 *
 *   const describeProm = requireOrSkip('datasource') ? describe : describe.skip;
 *   let prom: PrometheusInstance;
 *   beforeAll(async () => { prom = await startPrometheus({ series }); });
 *   afterAll(() => prom?.stop());
 */

import { spawn } from 'node:child_process';
import { accessSync, constants, rmSync } from 'node:fs';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { stringify } from 'yaml';
import { toOpenMetrics, type SeriesSpec } from './series.js';

export * from './series.js';

/** Binaries the integration tests run, and the Debian package that has each. */
const PACKAGES: Record<string, string> = {
  prometheus: 'prometheus',
  promtool: 'prometheus',
  'prometheus-alertmanager': 'prometheus-alertmanager',
  amtool: 'prometheus-alertmanager',
};

/** Absolute path of an executable on PATH (or in /usr/bin), or undefined. */
export function which(binary: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter).filter(Boolean), '/usr/bin', '/usr/local/bin'];
  for (const dir of dirs) {
    const candidate = join(dir, binary);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** True when `prometheus` and `promtool` can be run. */
export function prometheusAvailable(): boolean {
  return which('prometheus') !== undefined && which('promtool') !== undefined;
}

function inCI(): boolean {
  const ci = process.env.CI;
  return ci !== undefined && ci !== '' && ci !== '0' && ci.toLowerCase() !== 'false';
}

/**
 * True if the binaries are there. If not: in CI (CI=true) throws, naming the Debian
 * package to install; elsewhere warns `skipped: <what>: ...` and returns false.
 */
export function requireOrSkip(what: string, binaries: string[] = ['prometheus', 'promtool']): boolean {
  const missing = binaries.filter((b) => which(b) === undefined);
  if (missing.length === 0) return true;
  const packages = [...new Set(missing.map((b) => PACKAGES[b] ?? b))];
  const reason = `${missing.join(', ')} not found; install the Debian package${packages.length > 1 ? 's' : ''} ${packages.join(' ')} (apt-get install ${packages.join(' ')})`;
  if (inCI()) throw new Error(`${what}: ${reason}`);
  console.warn(`skipped: ${what}: ${reason}`);
  return false;
}

/** `describe` when Prometheus is available, else `describe.skip` (or a thrown error in CI). */
export function describeWithPrometheus(what: string, fn: () => void): void {
  (requireOrSkip(what) ? describe : describe.skip)(what, fn);
}

export interface StartPrometheusOptions {
  /** History to load; may span days and end at "now". */
  series?: SeriesSpec[];
  /** Merged into the minimal config (which has no scrape targets): rule_files, remote_read, alerting, global... */
  config?: Record<string, unknown>;
  /** Files written next to prometheus.yml (relative paths in `config` resolve there), e.g. { 'rules.yml': ... }. */
  files?: Record<string, string>;
  /** Extra command-line flags, e.g. ['--query.lookback-delta=1m']. */
  args?: string[];
  /** --storage.tsdb.retention.time; default 30d. Blocks older than this (relative to the newest) are deleted at start. */
  retention?: string;
  /** How long to wait for /-/ready. Default 30s. */
  readyTimeoutMs?: number;
}

export interface PrometheusInstance {
  /** http://127.0.0.1:<port> */
  url: string;
  port: number;
  /** The TSDB directory (blocks written by promtool). */
  dataDir: string;
  /** The temporary directory holding config, files and data; removed by stop(). */
  dir: string;
  /** Prometheus' log so far (stderr and stdout, last 64 KiB). */
  logs(): string;
  /** SIGTERM, wait for exit (SIGKILL after 10s), remove the temporary directory. Safe to call twice. */
  stop(): Promise<void>;
}

/** Writes history with promtool, starts Prometheus on a free loopback port, waits for /-/ready. */
export async function startPrometheus(opts: StartPrometheusOptions = {}): Promise<PrometheusInstance> {
  const prometheus = which('prometheus');
  const promtool = which('promtool');
  if (!prometheus || !promtool) throw new Error('startPrometheus: prometheus/promtool not found (Debian package: prometheus)');

  const dir = await mkdtemp(join(tmpdir(), 'vigil-prometheus-'));
  const forgetDir = atExit(() => rmSync(dir, { recursive: true, force: true }));
  try {
    const dataDir = join(dir, 'data');
    await mkdir(dataDir);
    for (const [name, content] of Object.entries(opts.files ?? {})) {
      const path = join(dir, name);
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, content);
    }
    const config = { global: { scrape_interval: '15s', evaluation_interval: '15s' }, ...opts.config };
    const configFile = join(dir, 'prometheus.yml');
    await writeFile(configFile, stringify(config));

    const series = opts.series ?? [];
    if (series.length > 0) {
      // promtool reads its whole input once per 2h block it writes, so a week in one file
      // takes 84 passes over it; one file per UTC day (days are whole blocks) reads each
      // sample about 12 times instead. Same samples, same blocks.
      const chunks = [...byDay(series)];
      for (let i = 0; i < chunks.length; i += 2) {
        await Promise.all(
          chunks.slice(i, i + 2).map(async ([day, daySeries]) => {
            const input = join(dir, `history-${day}.om`);
            await writeFile(input, toOpenMetrics(daySeries));
            const r = await run(promtool, ['tsdb', 'create-blocks-from', 'openmetrics', '--quiet', input, dataDir]);
            if (r.code !== 0) throw new Error(`promtool tsdb create-blocks-from openmetrics ${input} failed (exit ${r.code}): ${r.output.trim()}`);
          }),
        );
      }
    }

    const args = [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${dataDir}`,
      `--storage.tsdb.retention.time=${opts.retention ?? '30d'}`,
      ...(opts.args ?? []),
    ];
    // The free port can be taken between probing and binding; try again then.
    for (let tries = 1; ; tries++) {
      const port = await freePort();
      try {
        const server = await launch(prometheus, [...args, `--web.listen-address=127.0.0.1:${port}`], port, opts.readyTimeoutMs ?? 30_000);
        let stopping: Promise<void> | undefined;
        const instance: PrometheusInstance = {
          url: `http://127.0.0.1:${port}`,
          port,
          dataDir,
          dir,
          logs: server.logs,
          stop: () =>
            (stopping ??= (async () => {
              await server.stop();
              await rm(dir, { recursive: true, force: true });
              forgetDir();
            })()),
        };
        return instance;
      } catch (err) {
        if (tries < 3 && err instanceof PortInUseError) continue;
        throw err;
      }
    }
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    forgetDir();
    throw err;
  }
}

export class PortInUseError extends Error {}

const DAY_MS = 24 * 60 * 60 * 1000;

/** The series cut at UTC midnights (multiples of promtool's 2h block grid), per day; a series with no sample that day is left out. */
function byDay(series: SeriesSpec[]): Map<number, SeriesSpec[]> {
  const days = new Map<number, SeriesSpec[]>();
  for (const s of series) {
    const parts = new Map<number, SeriesSpec['samples']>();
    for (const point of s.samples) {
      const day = Math.floor(point[0] / DAY_MS);
      let samples = parts.get(day);
      if (!samples) parts.set(day, (samples = []));
      samples.push(point);
    }
    for (const [day, samples] of parts) {
      let list = days.get(day);
      if (!list) days.set(day, (list = []));
      list.push({ ...s, samples });
    }
  }
  return new Map([...days].sort(([a], [b]) => a - b));
}

// A test that forgets stop() must not leave a Prometheus or a temp dir behind.
const exitHooks = new Set<() => void>();
let exitHooked = false;
export function atExit(fn: () => void): () => void {
  if (!exitHooked) {
    exitHooked = true;
    process.on('exit', () => {
      for (const hook of exitHooks) {
        try {
          hook();
        } catch {
          // best effort
        }
      }
    });
  }
  exitHooks.add(fn);
  return () => exitHooks.delete(fn);
}

export interface Launched {
  logs(): string;
  stop(): Promise<void>;
}

export async function launch(binary: string, args: string[], port: number, readyTimeoutMs: number): Promise<Launched> {
  const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  const collect = (chunk: Buffer) => {
    log += chunk.toString();
    if (log.length > 65_536) log = log.slice(-65_536);
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let alive = true;
  void exited.then(() => (alive = false));
  const forgetChild = atExit(() => child.kill('SIGKILL'));

  const stop = async () => {
    if (alive) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    forgetChild();
  };

  const deadline = Date.now() + readyTimeoutMs;
  while (true) {
    if (!alive) {
      await stop();
      if (/address already in use/.test(log)) throw new PortInUseError(log);
      throw new Error(`${binary} exited before it was ready:\n${tail(log)}`);
    }
    if (await ready(port)) return { logs: () => log, stop };
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`${binary} was not ready within ${readyTimeoutMs}ms:\n${tail(log)}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function ready(port: number): Promise<boolean> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/-/ready`, { signal: AbortSignal.timeout(1000) });
    await res.arrayBuffer();
    return res.status === 200;
  } catch {
    return false;
  }
}

/** A port nothing listens on right now: bind port 0, read it, let it go. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function run(binary: string, args: string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code: code ?? 1, output }));
  });
}

function tail(text: string, lines = 30): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

