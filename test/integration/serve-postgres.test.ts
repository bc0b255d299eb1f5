// `vigil serve` with storage.postgres, against a real PostgreSQL (Debian package postgresql:
// fails in CI without it, skipped elsewhere): what it keeps survives a restart.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { vigil } from '../cli/run.js';
import { startWebhookReceiver, type LoopbackReceiver } from '../support/receivers.js';
import { scratchDir } from '../support/scratch.js';
import { waitFor } from '../support/wait.js';
import { freePort } from './support/prometheus.js';
import { requirePostgresOrSkip, startPostgres, type PostgresInstance } from './support/postgres.js';
import { VIGIL } from '../support/vigil-bin.js';

const describePg = requirePostgresOrSkip('vigil serve on PostgreSQL') ? describe : describe.skip;

describePg('vigil serve with storage.postgres', () => {
  let pg: PostgresInstance;
  let hook: LoopbackReceiver;
  let dir: string;
  let base: string;
  let env: Record<string, string>;
  let child: ChildProcess | undefined;
  let output = '';

  beforeAll(async () => {
    pg = await startPostgres();
    hook = await startWebhookReceiver();
    dir = await scratchDir(join(tmpdir(), 'vigil-serve-pg-'));
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    env = { VIGIL_TEST_PG_URL: await pg.database('serve') };
    await writeFile(join(dir, 'rules.yaml'), 'groups: []\n');
    await writeFile(
      join(dir, 'vigil.yaml'),
      `datasource: { prometheus: { url: "http://127.0.0.1:1" } }
rule_files: [rules.yaml]
storage:
  postgres: { url: \${VIGIL_TEST_PG_URL}, flush_interval: 20ms }
server: { listen: 127.0.0.1:${port} }
route: { receiver: hook, group_by: [alertname], group_wait: 0s, group_interval: 2s, repeat_interval: 4h }
receivers:
  - name: hook
    webhook_configs: [{ url: "${hook.url}/hook" }]
`,
    );
  }, 120_000);

  afterAll(async () => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    await hook?.close();
    await pg?.stop();
  });

  const start = async () => {
    child = spawn(process.execPath, [...VIGIL, 'serve', '--config', join(dir, 'vigil.yaml')], { cwd: dir, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (d) => (output += d));
    child.stderr!.on('data', (d) => (output += d));
    await waitFor('vigil serving', async () => ((await fetch(`${base}/readyz`).catch(() => undefined))?.ok ? true : undefined), 30_000);
  };
  const stop = async () => {
    const c = child!;
    const exited = new Promise<number | null>((r) => c.once('exit', (code) => r(code)));
    c.kill('SIGTERM');
    expect(await exited).toBe(0);
  };
  const post = (path: string, body: unknown) => fetch(base + path, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  const json = async <T>(path: string) => (await (await fetch(base + path)).json()) as T;

  test('vigil check --config validates storage.postgres', async () => {
    const ok = await vigil(['check', '--config', join(dir, 'vigil.yaml')], dir, env);
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    const bad = join(dir, 'bad.yaml');
    await writeFile(bad, 'rule_files: [rules.yaml]\nstorage:\n  postgres: { url: "mysql://root:hunter2@db/vigil", pool_size: 10 }\n');
    const r = await vigil(['check', '--config', bad], dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${bad}:3:20: storage.postgres.url: "mysql://***@db/vigil" is not a postgres:// or postgresql:// URL`);
    expect(r.stderr).not.toContain('hunter2');
  }, 60_000);

  test('a PostgreSQL that does not answer stops serve before it starts, naming storage.postgres and not the password', async () => {
    const port = await freePort();
    const cfg = join(dir, 'unreachable.yaml');
    await writeFile(cfg, `datasource: { prometheus: { url: "http://127.0.0.1:1" } }\nrule_files: [rules.yaml]\nstorage: { postgres: { url: "postgres://vigil:hunter2@127.0.0.1:${port}/vigil" } }\nserver: { listen: "127.0.0.1:0" }\n`);
    const r = await vigil(['serve', '--config', cfg], dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`error: storage.postgres: cannot open postgres://***@127.0.0.1:${port}/vigil: connect ECONNREFUSED 127.0.0.1:${port}`);
    expect(r.stderr + r.stdout).not.toContain('hunter2');
    expect(r.stdout).not.toContain('vigil serving');
  }, 60_000);

  test('an alert posted, a silence made; after a restart its history, the silence and the notified alert are there, and nothing is sent twice', async () => {
    await start();
    const startsAt = new Date(Date.now() - 60_000).toISOString();
    const endsAt = new Date(Date.now() + 3600_000).toISOString();
    expect((await post('/api/v2/alerts', [{ labels: { alertname: 'KeptInPostgres', severity: 'P2', agent_id: 'a' }, startsAt, endsAt }])).status).toBe(200);
    const [sent] = await hook.waitForRequests(1, 10_000);
    expect((sent.json as { alerts: { labels: Record<string, string> }[] }).alerts.map((a) => a.labels.alertname)).toEqual(['KeptInPostgres']);
    const made = await post('/api/v2/silences', {
      matchers: [{ name: 'agent_id', value: 'b', isRegex: false, isEqual: true }],
      startsAt: new Date().toISOString(),
      endsAt: endsAt,
      createdBy: 'ann',
      comment: 'kept across restarts',
    });
    expect(made.status).toBe(200);
    const { silenceID } = (await made.json()) as { silenceID: string };
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/^vigil_store_connected 1$/m);
    expect(metrics).toMatch(/^vigil_store_writes_dropped_total 0$/m);
    await waitFor('the firing event in the history', async () => ((await json<{ data: unknown[] }>('/api/v1/alerts/history?alertname=KeptInPostgres')).data.length ? true : undefined), 10_000);
    await stop();
    expect(existsSync(join(dir, 'data', 'vigil.db'))).toBe(false); // nothing went to SQLite

    // the CLI reads the same database
    const cli = await vigil(['alerts', 'history', '--config', join(dir, 'vigil.yaml'), '-o', 'json'], dir, env);
    expect(cli.stderr).toBe('');
    expect((JSON.parse(cli.stdout) as { events: { alertname: string; kind: string }[] }).events).toEqual([expect.objectContaining({ alertname: 'KeptInPostgres', kind: 'firing' })]);

    await start();
    const silences = await json<{ id: string; comment: string; status: { state: string } }[]>('/api/v2/silences');
    expect(silences).toEqual([expect.objectContaining({ id: silenceID, comment: 'kept across restarts', status: { state: 'active' } })]);
    const history = await json<{ data: { alertname: string; kind: string }[] }>('/api/v1/alerts/history?alertname=KeptInPostgres');
    expect(history.data.map((e) => e.kind)).toEqual(['firing']);
    // the notified alert came back from PostgreSQL (its resolve would still be sent)
    const held = await json<{ labels: Record<string, string> }[]>('/api/v2/alerts');
    expect(held.map((a) => a.labels.alertname)).toEqual(['KeptInPostgres']);
    // re-sent by its source after the restart: the notification logs in PostgreSQL say the hook was told already
    expect((await post('/api/v2/alerts', [{ labels: { alertname: 'KeptInPostgres', severity: 'P2', agent_id: 'a' }, startsAt, endsAt }])).status).toBe(200);
    // a new alert in the same group: the next flush tells of both; had the log been lost, the restart would have re-sent the first alone
    expect((await post('/api/v2/alerts', [{ labels: { alertname: 'KeptInPostgres', severity: 'P2', agent_id: 'c' }, startsAt, endsAt }])).status).toBe(200);
    const [, second] = await hook.waitForRequests(2, 10_000);
    expect((second.json as { alerts: { labels: Record<string, string> }[] }).alerts.map((a) => a.labels.agent_id).sort()).toEqual(['a', 'c']);
    expect(hook.requests).toHaveLength(2);
    await stop();
    expect(output).not.toMatch(/could not write/);
  }, 120_000);
});
