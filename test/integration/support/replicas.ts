/**
 * Several real `vigil serve` processes (bin/vigil.js, from dist/: `npm run build` first), each in
 * its own folder and on its own loopback port, kept across restarts. They are killed (SIGKILL) if
 * the test process exits first.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPagerDuty, startSlack, type LoopbackReceiver } from '../../support/receivers.js';
import { waitFor } from '../../support/wait.js';
import { startPostgres, type PostgresInstance } from './postgres.js';
import { atExit, freePort } from './prometheus.js';
import { VIGIL } from '../../support/vigil-bin.js';


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
/**
 * The vigil.yaml of the replica tests: embedded datasource, the shared PostgreSQL, a short lease and
 * claim timeout, and one receiver paging PagerDuty and posting to Slack (both loopback).
 */
export function pagingReplicaConfig(pgUrl: string, pagerdutyUrl: string, slackUrl: string): (id: string, port: number) => string {
  return (id, port) => `datasource: { embedded: { path: tsdb } }
rule_files: [../rules.yaml]
storage: { postgres: { url: "${pgUrl}" } }
cluster: { replica_id: ${id}, lease_duration: 2s, lease_renew_interval: 500ms, claim_timeout: 3s }
server: { listen: "127.0.0.1:${port}" }
global: { resolve_timeout: 1m }
route:
  receiver: oncall
  group_by: [alertname, incident]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: oncall
    pagerduty_configs:
      - routing_key: R0UTINGKEY0123456789abcdef012345
        url: ${pagerdutyUrl}/v2/enqueue
    slack_configs: [{ webhook_url: "${slackUrl}/hooks/oncall", mention: channel }]
`;
}

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
        const c = spawn(process.execPath, [...VIGIL, 'serve', '--config', join(dir, 'vigil.yaml'), '--log-level', 'info'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
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

/** `n` paging replicas (pagingReplicaConfig) on their own PostgreSQL, with loopback PagerDuty and Slack. */
export interface PagingCluster {
  pg: PostgresInstance;
  pd: LoopbackReceiver;
  slack: LoopbackReceiver;
  rs: ReplicaProcess[];
  /** Ends the replicas (stopped ones too), keeps each one's output as `<logs>/<id>.log`, stops the rest. */
  stop(): Promise<void>;
}

export async function startPagingCluster({ n, rules, logs, prefix }: { n: number; rules: string; logs: string; prefix: string }): Promise<PagingCluster> {
  const pg = await startPostgres();
  const [pd, slack] = await Promise.all([startPagerDuty(), startSlack()]);
  const root = await mkdtemp(join(tmpdir(), prefix));
  await writeFile(join(root, 'rules.yaml'), rules);
  const rs = await replicas(root, n, pagingReplicaConfig(pg.url, pd.url, slack.url));
  await Promise.all(rs.map((r) => r.start()));
  return {
    pg,
    pd,
    slack,
    rs,
    async stop() {
      await mkdir(logs, { recursive: true });
      for (const r of rs) {
        await r.signal('SIGCONT').catch(() => undefined);
        await r.signal('SIGKILL').catch(() => undefined);
        await writeFile(join(logs, `${r.id}.log`), r.output());
      }
      await pd.close();
      await slack.close();
      await pg.stop();
      await rm(root, { recursive: true, force: true });
    },
  };
}
