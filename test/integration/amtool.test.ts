/**
 * The Debian package's amtool (Alertmanager 0.25) as a real client of `vigil serve`: alerts
 * (add, query with filters), silences (add, query, update, expire, import), `config show`
 * and `cluster show` — and vigil's own message when it refuses a request.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { scratchDir } from '../support/scratch.js';
import { freePort, requireOrSkip, which } from './support/prometheus.js';
import { VIGIL } from '../support/vigil-bin.js';

const available = requireOrSkip('amtool against vigil serve', ['amtool']);
const describeIt = available ? describe : describe.skip;
const SLACK_SECRET = 'T000/B000/xoxb-amtool-secret-part';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface AmtoolAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  status: { state: string; silencedBy: string[] };
}

interface AmtoolSilence {
  id: string;
  status: { state: string };
  comment: string;
  createdBy: string;
  endsAt: string;
  matchers: { name: string; value: string; isRegex: boolean; isEqual?: boolean }[];
}

describeIt('amtool against vigil serve', () => {
  let dir: string;
  let url: string;
  let child: ChildProcess | undefined;
  let output = '';

  const amtool = (...args: string[]): Promise<Run> =>
    new Promise((done) => {
      execFile(which('amtool')!, [`--alertmanager.url=${url}`, ...args], { cwd: dir, timeout: 20_000 }, (err, stdout, stderr) => {
        done({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
      });
    });
  const ok = async (...args: string[]): Promise<string> => {
    const r = await amtool(...args);
    if (r.code !== 0) throw new Error(`amtool ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
    return r.stdout;
  };
  const json = async <T>(...args: string[]): Promise<T> => JSON.parse(await ok(...args, '-o', 'json')) as T;

  beforeAll(async () => {
    dir = await scratchDir(join(tmpdir(), 'vigil-amtool-'));
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    await writeFile(join(dir, 'rules.yaml'), 'groups: []\n');
    await writeFile(
      join(dir, 'vigil.yaml'),
      `datasource: { prometheus: { url: "http://127.0.0.1:1" } }
rule_files: [rules.yaml]
server: { listen: 127.0.0.1:${port} }
route:
  receiver: chat
  group_by: [alertname, agent_id]
  routes:
    - { matchers: ['severity="P1"'], receiver: page }
receivers:
  - name: chat
    slack_configs: [{ webhook_url: "http://127.0.0.1:1/services/${SLACK_SECRET}" }]
  - name: page
    slack_configs: [{ webhook_url: "http://127.0.0.1:1/services/${SLACK_SECRET}", mention: channel }]
`,
    );
    child = spawn(process.execPath, [...VIGIL, 'serve', '--config', join(dir, 'vigil.yaml')], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (d) => (output += d));
    child.stderr!.on('data', (d) => (output += d));
    const deadline = Date.now() + 30_000;
    for (;;) {
      try {
        if ((await fetch(`${url}/readyz`)).ok) break;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`vigil serve did not become ready:\n${output}`);
      await sleep(100);
    }
  }, 60_000);

  afterAll(() => {
    child?.kill('SIGKILL');
  });

  afterEach(() => {
    if (expect.getState().assertionCalls === 0) console.log(output.slice(-4000));
  });

  test('config show prints the running config with its secrets redacted; cluster show says disabled', async () => {
    const config = await ok('config', 'show');
    expect(config).toContain('receiver: chat');
    expect(config).toContain('webhook_url: <secret>');
    expect(config).not.toContain(SLACK_SECRET);
    const cluster = await ok('cluster', 'show');
    expect(cluster).toMatch(/Cluster Status:\s+disabled/);
    // the swagger's alertmanagerStatus, every required field there
    const status = (await (await fetch(`${url}/api/v2/status`)).json()) as Record<string, Record<string, unknown>>;
    expect(status.cluster).toEqual({ status: 'disabled', peers: [] });
    expect(Object.keys(status.versionInfo).sort()).toEqual(['branch', 'buildDate', 'buildUser', 'goVersion', 'revision', 'version']);
    expect(status.config.original).toBe(config.trimEnd() + '\n');
    expect(Date.parse(status.uptime as unknown as string)).toBeLessThanOrEqual(Date.now());
  });

  test('alert add, then alert query with filters', async () => {
    await ok('alert', 'add', 'alertname=AgentToolFailure', 'severity=P2', 'agent_id=checkout', '--annotation=summary=refund tool fails');
    await ok('alert', 'add', 'alertname=AgentErrorRateSpike', 'severity=P1', 'agent_id=search');
    const all = await json<AmtoolAlert[]>('alert', 'query');
    expect(all.map((a) => a.labels.alertname).sort()).toEqual(['AgentErrorRateSpike', 'AgentToolFailure']);
    const byRegex = await json<AmtoolAlert[]>('alert', 'query', 'agent_id=~"check.*"');
    expect(byRegex).toHaveLength(1);
    expect(byRegex[0].labels).toEqual({ alertname: 'AgentToolFailure', severity: 'P2', agent_id: 'checkout' });
    expect(byRegex[0].annotations.summary).toBe('refund tool fails');
    const byReceiver = await json<AmtoolAlert[]>('alert', 'query', '--receiver=page');
    expect(byReceiver.map((a) => a.labels.alertname)).toEqual(['AgentErrorRateSpike']);
    // the simple table, as a person reads it
    expect(await ok('alert', 'query', 'severity!=P1')).toMatch(/AgentToolFailure\s+\S+ \S+ UTC\s+refund tool fails\s+active/);
  });

  test("a request vigil refuses: amtool prints vigil's message", async () => {
    const r = await amtool('alert', 'add', 'alertname=Backwards', '--start=2026-01-02T10:00:00Z', '--end=2026-01-02T09:00:00Z');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('[400]');
    expect(r.stderr).toContain('endsAt: start time must be before end time');
    expect(r.stderr).not.toContain('cannot unmarshal');
    const s = await amtool('silence', 'add', 'agent_id=~".*"', '--comment=too wide', '--author=tester');
    expect(s.code).not.toBe(0);
    expect(s.stderr).toContain('at least one matcher must not match the empty string');
  });

  test('silence add, query, update, expire and import', async () => {
    const id = (await ok('silence', 'add', 'agent_id=checkout', '--comment=refund maintenance', '--author=tester', '--duration=1h')).trim();
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    const [listed] = await json<AmtoolSilence[]>('silence', 'query', 'agent_id=checkout');
    expect(listed).toMatchObject({ id, comment: 'refund maintenance', createdBy: 'tester', status: { state: 'active' } });
    expect(listed.matchers).toEqual([{ name: 'agent_id', value: 'checkout', isRegex: false, isEqual: true }]);
    // the silenced alert shows as suppressed
    const silenced = await json<AmtoolAlert[]>('alert', 'query', '--silenced', 'agent_id=checkout');
    expect(silenced[0].status).toMatchObject({ state: 'suppressed', silencedBy: [id] });

    await ok('silence', 'update', id, '--duration=3h', '--comment=takes longer');
    const [after] = await json<AmtoolSilence[]>('silence', 'query', 'agent_id=checkout');
    // an active silence whose matchers stay is updated in place, as Alertmanager does
    expect(after.id).toBe(id);
    const updated = id;
    expect(after.comment).toBe('takes longer');
    expect(Date.parse(after.endsAt) - Date.now()).toBeGreaterThan(2 * 3_600_000);

    // an export as amtool writes it, imported after the original expired: a new silence
    const exported = await ok('silence', 'query', '-o', 'json', 'agent_id=checkout');
    await writeFile(join(dir, 'silences.json'), exported);
    await ok('silence', 'expire', updated);
    expect(await json<AmtoolSilence[]>('silence', 'query', 'agent_id=checkout')).toEqual([]);
    const expired = await json<AmtoolSilence[]>('silence', 'query', '--expired', 'agent_id=checkout');
    expect(expired.map((s) => [s.id, s.status.state])).toEqual([[updated, 'expired']]);

    await ok('silence', 'import', join(dir, 'silences.json'));
    const imported = await json<AmtoolSilence[]>('silence', 'query', 'agent_id=checkout');
    expect(imported).toHaveLength(1);
    expect(imported[0]).toMatchObject({ comment: 'takes longer', status: { state: 'active' } });
  });
});
