/**
 * Several real `vigil serve` processes (bin/vigil.js, from dist/: `npm run build` first), each in
 * its own folder and on its own loopback port, kept across restarts. They are killed (SIGKILL) if
 * the test process exits first.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { waitFor } from '../../support/wait.js';
import { atExit, freePort } from './prometheus.js';

const BIN = resolve(process.cwd(), 'bin/vigil.js');

export interface ReplicaProcess {
  readonly id: string;
  readonly base: string;
  readonly dir: string;
  /** Everything it printed, across restarts. */
  output(): string;
  running(): boolean;
  /** Starts it (again) and waits for /readyz. */
  start(): Promise<void>;
  /** Sends `signal`; for SIGKILL and SIGTERM waits until it is gone. */
  signal(signal: NodeJS.Signals): Promise<void>;
  /** GET /readyz's text ('' when it does not answer). */
  readyz(): Promise<string>;
}

/** `n` replicas named r0, r1, … whose vigil.yaml is `yaml(id, port)` (relative paths are in the replica's folder). */
export async function replicas(root: string, n: number, yaml: (id: string, port: number) => string): Promise<ReplicaProcess[]> {
  const out: ReplicaProcess[] = [];
  for (let i = 0; i < n; i++) {
    const id = `r${i}`;
    const dir = join(root, id);
    await mkdir(dir, { recursive: true });
    const port = await freePort();
    await writeFile(join(dir, 'vigil.yaml'), yaml(id, port));
    let child: ChildProcess | undefined;
    let printed = '';
    let forget = () => undefined as void;
    const base = `http://127.0.0.1:${port}`;
    const running = () => child !== undefined && child.exitCode === null && child.signalCode === null;
    out.push({
      id,
      base,
      dir,
      output: () => printed,
      running,
      async start() {
        const c = spawn(process.execPath, [BIN, 'serve', '--config', join(dir, 'vigil.yaml'), '--log-level', 'info'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
        child = c;
        c.stdout!.on('data', (d) => (printed += d));
        c.stderr!.on('data', (d) => (printed += d));
        forget = atExit(() => c.kill('SIGKILL'));
        c.once('exit', () => forget());
        await waitFor(`${id} /readyz`, async () => {
          if (!running()) throw new Error(`${id} exited:\n${printed.slice(-3000)}`);
          return (await fetch(`${base}/readyz`).catch(() => undefined))?.ok ? true : undefined;
        }, 60_000);
      },
      async signal(signal) {
        const c = child;
        if (!c || !running()) return;
        const gone = new Promise((r) => c.once('exit', r));
        c.kill(signal);
        if (signal === 'SIGKILL' || signal === 'SIGTERM') await gone;
      },
      readyz: async () => {
        const res = await fetch(`${base}/readyz`, { signal: AbortSignal.timeout(2_000) }).catch(() => undefined);
        return res ? res.text() : '';
      },
    });
  }
  return out;
}

/** POSTs Alertmanager API v2 alerts to one replica; false if it did not take them (down, stopped). */
export async function postAlerts(base: string, alerts: { labels: Record<string, string>; annotations?: Record<string, string>; startsAt: string; endsAt: string }[], timeoutMs = 1_000): Promise<boolean> {
  try {
    const res = await fetch(`${base}/api/v2/alerts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(alerts), signal: AbortSignal.timeout(timeoutMs) });
    return res.ok;
  } catch {
    return false;
  }
}
