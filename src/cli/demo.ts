/**
 * `vigil demo` (`npm start`): the whole pipeline on one machine. A simulated fleet exports the
 * metrics contract; a day of its history is written and imported into the embedded TSDB; the
 * rules are replayed over the last hour of it (the live evaluator's own code) so that `for`
 * clocks of incidents already under way keep running; then `vigil serve` scrapes the fleet,
 * evaluates, and routes to loopback stand-ins that print each notification.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { InvalidArgumentError, type Command } from 'commander';
import { loadConfigFile } from '../config/index.js';
import { demoConfigYaml, demoFleet, Fleet, FLEET_JOB, formatDelivered, startExporter, startStandIns, writeBackfill, type Exporter, type StandIns } from '../demo/index.js';
import { Evaluator, type Clock } from '../eval/index.js';
import { parseDuration } from '../promql/index.js';
import { openStore } from './store.js';
import { datasourceFromFlags } from './datasource.js';
import type { Io } from './output.js';
import { shebangNodeFlags } from './node-flags.js';
import { loadRules } from './serve.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const BIN = join(ROOT, 'bin', 'vigil.js');
/** The children run as `./bin/vigil.js` runs, with its node flags, whatever node started the demo. */
const NODE_FLAGS = shebangNodeFlags(BIN);
const MIN = 60_000;
/** How far back the rules are replayed at start: longer than the longest `for` (30m) plus its window. */
const CATCH_UP_MS = 60 * MIN;
/** vigil serve logs "vigil serving" within seconds; past this it is stuck. */
const SERVE_READY_MS = 60_000;

interface DemoFlags {
  listen: string;
  dir?: string;
  history: string;
  seed: string;
  logLevel: string;
}

export function registerDemo(program: Command, io: Io, setExit: (code: number) => void): void {
  program
    .command('demo')
    .description(
      'run the whole pipeline on this machine: a simulated fleet of agents with incidents of all six kinds, scraped into the embedded TSDB over a backfilled day, ' +
        'the rule pack evaluated, alerts routed to loopback PagerDuty, Slack, GitHub and Grafana stand-ins that print each notification; Ctrl-C stops it all',
    )
    .option('--listen <host:port>', "where vigil serves its API (port 0: any free port; the URL is printed)", '127.0.0.1:9095')
    .option('--dir <folder>', 'keep the demo here (vigil.yaml, history, SQLite, TSDB, serve.log) instead of a temporary folder removed at exit')
    .option('--history <duration>', 'backfilled history: a day or more gives the pack its same-hour baselines (8d also gives the weekly ones, and takes longer)', '26h')
    .option('--seed <n>', 'seed of the fleet\'s noise', '12')
    .option('--log-level <level>', "vigil serve's log level (its log goes to serve.log in the folder)", 'info')
    .action(async (flags: DemoFlags) => setExit(await demo(flags, io)));
}

function parseListen(listen: string): { host: string; port: number } {
  const m = /^(.*):(\d{1,5})$/.exec(listen);
  if (!m || !m[1] || Number(m[2]) > 65535) throw new InvalidArgumentError(`--listen "${listen}" is not host:port, e.g. 127.0.0.1:9095`);
  return { host: m[1], port: Number(m[2]) };
}

function parseFlags(flags: DemoFlags): { listen: { host: string; port: number }; historyMs: number; seed: number } {
  const listen = parseListen(flags.listen);
  let historyMs: number;
  try {
    historyMs = parseDuration(flags.history);
  } catch (err) {
    throw new InvalidArgumentError(`--history: ${(err as Error).message}`);
  }
  if (historyMs < 2 * CATCH_UP_MS) throw new InvalidArgumentError(`--history ${flags.history} is too short: give at least 2h (26h or more gives the pack its same-hour baselines)`);
  const seed = Number(flags.seed);
  if (!Number.isInteger(seed)) throw new InvalidArgumentError(`--seed "${flags.seed}" is not an integer`);
  return { listen, historyMs, seed };
}

/**
 * Checks now that vigil serve will be able to listen (not after a minute of preparation), and
 * turns port 0 into a free port, so that vigil.yaml's external_url (the links in notifications)
 * names the real one.
 */
function choosePort(host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (err: NodeJS.ErrnoException) => {
      const why = err.code === 'EADDRINUSE' ? 'the address is already in use (another vigil?)' : err.code === 'EADDRNOTAVAIL' ? 'no such local address' : err.message;
      reject(new Error(`cannot listen on ${host}:${port} (--listen): ${why}`));
    });
    probe.listen(port, host, () => {
      const { port: chosen } = probe.address() as { port: number };
      probe.close(() => resolve(chosen));
    });
  });
}

/** Runs `vigil ARGS` as a child and resolves with its exit code and what it wrote to stderr. */
function vigilChild(args: string[], readStdout = false): { child: ChildProcess; done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> } {
  const child = spawn(process.execPath, [...NODE_FLAGS, BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr = (stderr + c.toString('utf8')).slice(-8000)));
  if (!readStdout) child.stdout!.resume();
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal, stderr })));
  return { child, done };
}

/**
 * Replays the rules over the last hour of the history with the live evaluator's code (its state
 * machine, persisted to the SQLite file serve restores from), so that an incident that began
 * before the demo started has the same `for` clock as if vigil had been watching it.
 */
interface CaughtUp {
  alert: string;
  labels: Record<string, string>;
  state: 'pending' | 'firing';
  /** When its `for` runs out (unix ms), for a pending alert. */
  firesAt?: number;
}

async function catchUp(configFile: string, historyFile: string, to: number, signal: AbortSignal): Promise<CaughtUp[] | string> {
  const config = await loadConfigFile(configFile);
  const rules = await loadRules(config);
  if (typeof rules === 'string') return rules;
  const { datasource } = await datasourceFromFlags({ data: [historyFile], header: [], timeout: '2m' });
  const store = await openStore(config);
  let now = to - CATCH_UP_MS;
  const clock: Clock = { now: () => now, sleep: async () => undefined };
  try {
    const evaluator = new Evaluator(rules, {
      datasource,
      store,
      clock,
      externalLabels: config.evaluation.externalLabels,
      externalURL: config.server.externalURL,
      outageToleranceMs: config.evaluation.outageToleranceMs,
    });
    for (const group of evaluator.groups) {
      for (let ts = group.evalTimestamp(to - CATCH_UP_MS); ts <= to && !signal.aborted; ts += group.intervalMs) {
        now = ts;
        await evaluator.evaluateGroup(group, ts);
        // the engine answers synchronously: let a Ctrl-C in between evaluations
        await new Promise((resolve) => setImmediate(resolve));
      }
    }
    return evaluator.groups.flatMap((g) =>
      g.alertingRules().flatMap((rule) =>
        [...rule.active.values()].flatMap((a): CaughtUp[] =>
          a.state === 'inactive' ? [] : [{ alert: rule.name, labels: a.labels, state: a.state, firesAt: a.state === 'pending' ? a.activeAt + rule.spec.forMs : undefined }],
        ),
      ),
    );
  } finally {
    await store.close();
  }
}

/** Waits for serve's "vigil serving" log line and returns the address it listens on. */
function servingAddress(child: ChildProcess, log: NodeJS.WritableStream): Promise<string | undefined> {
  return new Promise((resolve) => {
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      log.write(line + '\n');
      try {
        const entry = JSON.parse(line) as { msg?: string; listen?: string };
        if (entry.msg === 'vigil serving') resolve(entry.listen);
      } catch {
        // not a log line of ours
      }
    });
    lines.once('close', () => resolve(undefined));
  });
}

async function demo(flags: DemoFlags, io: Io): Promise<number> {
  const { listen, historyMs, seed } = parseFlags(flags);
  let port: number;
  try {
    port = await choosePort(listen.host, listen.port);
  } catch (err) {
    io.err(`vigil demo: ${(err as Error).message}\n`);
    return 1;
  }
  const dir = flags.dir ? resolve(flags.dir) : await mkdtemp(join(tmpdir(), 'vigil-demo-'));
  await mkdir(dir, { recursive: true });
  const say = (line: string) => io.out(`${line}\n`);

  let standIns: StandIns | undefined;
  let exporter: Exporter | undefined;
  let serve: ChildProcess | undefined;
  let child: ChildProcess | undefined;
  let log: WriteStream | undefined;
  const stop = new AbortController();
  const stopped = new Promise<void>((resolve) => stop.signal.addEventListener('abort', () => resolve(), { once: true }));
  const signalled = (signal: NodeJS.Signals) => {
    if (stop.signal.aborted) return;
    say(`\n${signal}: stopping the demo`);
    stop.abort();
    child?.kill('SIGTERM');
  };
  const onInt = () => signalled('SIGINT');
  const onTerm = () => signalled('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);

  let code = 0;
  try {
    standIns = await startStandIns((d) => say(formatDelivered(d)));
    const start = Math.floor(Date.now() / 1000) * 1000;
    const fleet = new Fleet(demoFleet(start, { seed }), start - historyMs);
    let live = false;
    exporter = await startExporter(fleet, { ready: () => live });
    say(`vigil demo in ${dir}`);
    say(`  fleet of ${fleet.model.agents.length} agents: ${exporter.url} (${fleet.model.agents.map((a) => a.id + (a.profile === 'otel-genai' ? ' [OTel GenAI names]' : '')).join(', ')})`);
    say(`  stand-ins: PagerDuty ${standIns.pagerduty}, Slack ${standIns.slack}, GitHub ${standIns.github}, Grafana ${standIns.grafana}`);

    say(`writing ${flags.history} of history…`);
    const historyFile = join(dir, 'history.om');
    const backfill = await writeBackfill(fleet, historyFile, { to: start, stepMs: MIN, targetLabels: { job: FLEET_JOB, instance: exporter.target }, signal: stop.signal });
    if (stop.signal.aborted) return 0;
    live = true;
    say(`  ${backfill.samples} samples of ${backfill.series} series in ${historyFile}`);

    const configFile = join(dir, 'vigil.yaml');
    await writeFile(configFile, demoConfigYaml({ listen: `${listen.host}:${port}`, fleetTarget: exporter.target, dataDir: dir, rules: join(ROOT, 'rules'), standIns }));

    say('importing it into the embedded TSDB (vigil tsdb import)…');
    const imported = vigilChild(['tsdb', 'import', '--config', configFile, historyFile]);
    child = imported.child;
    const importResult = await imported.done;
    child = undefined;
    if (stop.signal.aborted) return 0;
    if (importResult.code !== 0) {
      io.err(`vigil demo: vigil tsdb import failed (exit ${importResult.code ?? importResult.signal}):\n${importResult.stderr}`);
      return (code = 1);
    }

    say('replaying the rules over the last hour of history, so that incidents under way keep their for clocks…');
    const caught = await catchUp(configFile, historyFile, start, stop.signal);
    if (stop.signal.aborted) return 0;
    if (typeof caught === 'string') {
      io.err(`vigil demo: the rule files do not load:\n${caught}\n`);
      return (code = 1);
    }
    for (const a of caught.sort((x, y) => (x.firesAt ?? 0) - (y.firesAt ?? 0))) {
      const who = Object.entries(a.labels)
        .filter(([k]) => k === 'agent_id' || k === 'tool_name')
        .map(([k, v]) => `${k}=${v}`)
        .join(' ');
      const when = a.firesAt === undefined ? 'firing already' : `pending, its for runs out at ${new Date(a.firesAt).toISOString().slice(11, 19)}`;
      say(`  ${a.alert} ${who}: ${when}`);
    }

    const logFile = join(dir, 'serve.log');
    const serveLog = (log = createWriteStream(logFile, { flags: 'a' }));
    const served = vigilChild(['serve', '--config', configFile, '--log-level', flags.logLevel], true);
    serve = child = served.child;
    served.child.stderr!.on('data', (c: Buffer) => serveLog.write(c));
    let timer: ReturnType<typeof setTimeout> | undefined;
    const address = await Promise.race([
      servingAddress(served.child, serveLog),
      served.done.then(() => undefined),
      new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), SERVE_READY_MS))),
    ]);
    clearTimeout(timer);
    if (stop.signal.aborted) return 0;
    if (!address) {
      if (served.child.exitCode === null) served.child.kill('SIGTERM');
      const result = await served.done;
      io.err(`vigil demo: vigil serve did not start serving (exit ${result.code ?? result.signal}):\n${result.stderr}(its log: ${logFile})\n`);
      return (code = 1);
    }
    const url = `http://${address}`;
    say(`vigil serves its API at ${url}  (alerts: ${url}/api/v2/alerts · PromQL: ${url}/api/v1/query?query=up · log: ${logFile})`);
    say('notifications, as the stand-ins receive them (a P1 page comes within 3 minutes; all six kinds of incident within 30):');
    const exited = await Promise.race([served.done, stopped.then(() => undefined)]);
    if (exited && !stop.signal.aborted) {
      io.err(`vigil demo: vigil serve exited (${exited.code ?? exited.signal}):\n${exited.stderr}(its log: ${logFile})\n`);
      code = 1;
    }
    return code;
  } finally {
    process.off('SIGINT', onInt);
    process.off('SIGTERM', onTerm);
    if (serve && serve.exitCode === null && serve.signalCode === null) {
      serve.kill('SIGTERM');
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          serve?.kill('SIGKILL');
          resolve();
        }, 15_000);
        serve!.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    if (child && child !== serve && child.exitCode === null) child.kill('SIGKILL');
    await exporter?.close();
    await standIns?.close();
    if (!flags.dir && code === 0) await rm(dir, { recursive: true, force: true });
    else if (!flags.dir) io.err(`vigil demo: its files are kept in ${dir}\n`);
    log?.end();
    if (stop.signal.aborted) say('stopped: vigil serve, the fleet and the stand-ins');
  }
}
