import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, requireOrSkip, startPrometheus, type PrometheusInstance } from './support/prometheus.js';
import { VIGIL } from '../support/vigil-bin.js';

const available = requireOrSkip('vigil serve against a real Prometheus');
const describeProm = available ? describe : describe.skip;

const RULES = `groups:
  - name: restart
    interval: 1s
    rules:
      - alert: ConditionHeld
        expr: vigil_test_condition > 0
        for: 10s
        labels: { severity: P2 }
        annotations:
          summary: "{{ $labels.agent_id }} at {{ $value }}"
      - alert: NeverTrue
        expr: vigil_test_condition > 100
        labels: { severity: P3 }
`;

interface ApiAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  state: string;
  activeAt: string;
  value: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url);
  return (await res.json()) as T;
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    await sleep(200);
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}

describeProm('vigil serve', () => {
  let prom: PrometheusInstance;
  let dir: string;
  let base: string;
  let vigil: ChildProcess | undefined;
  let output = '';

  const alerts = async () => (await getJson<{ data: { alerts: ApiAlert[] } }>(`${base}/api/v1/alerts`)).data.alerts;
  const alert = async (name: string) => (await alerts()).find((a) => a.labels.alertname === name);

  function start(): ChildProcess {
    const child = spawn(process.execPath, [...VIGIL, 'serve', '--config', join(dir, 'vigil.yaml')], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (d) => (output += d));
    child.stderr!.on('data', (d) => (output += d));
    return child;
  }

  async function ready(): Promise<void> {
    await waitFor('/readyz', async () => ((await fetch(`${base}/readyz`)).ok ? true : undefined));
  }

  beforeAll(async () => {
    // A condition true for the last 15 minutes, sampled every 5s up to now; Prometheus' 5m lookback keeps it true for the test.
    const now = Date.now();
    const samples: [number, number][] = [];
    for (let t = now - 15 * 60_000; t <= now - 1000; t += 5000) samples.push([t, 1]);
    prom = await startPrometheus({ series: [{ metric: 'vigil_test_condition', labels: { agent_id: 'a' }, type: 'gauge', samples }] });
    dir = await mkdtemp(join(tmpdir(), 'vigil-serve-'));
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    await writeFile(join(dir, 'rules.yaml'), RULES);
    await writeFile(
      join(dir, 'vigil.yaml'),
      `datasource:
  prometheus: { url: ${prom.url}, timeout: 2s, retries: 0 }
rule_files: [rules.yaml]
storage: { sqlite: { path: data/vigil.db } }
server: { listen: 127.0.0.1:${port} }
evaluation: { datasource_down_after: 3 }
`,
    );
    vigil = start();
    await ready();
  }, 60_000);

  afterAll(async () => {
    if (vigil && vigil.exitCode === null) vigil.kill('SIGKILL');
    await prom?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('serves health, readiness, metrics and the rules API in Prometheus shape', async () => {
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const pending = await waitFor('a pending alert', () => alert('ConditionHeld'));
    expect(pending).toMatchObject({
      labels: { alertname: 'ConditionHeld', agent_id: 'a', severity: 'P2' },
      annotations: { summary: 'a at 1' },
      value: '1e+00',
    });
    type RulesBody = { status: string; data: { groups: { name: string; interval: number; rules: Record<string, unknown>[] }[] } };
    // The alert shows as soon as its rule is evaluated; the group's next rule may still be running.
    const rules = await waitFor('every rule of the group evaluated', async () => {
      const body = await getJson<RulesBody>(`${base}/api/v1/rules`);
      const g = body.data.groups.find((x) => x.name === 'restart');
      return g?.rules.every((r) => r.health !== 'unknown') ? body : undefined;
    });
    expect(rules.status).toBe('success');
    const group = rules.data.groups.find((g) => g.name === 'restart')!;
    expect(group.interval).toBe(1);
    expect(group.rules.map((r) => [r.name, r.type, r.health, r.duration])).toEqual([
      ['ConditionHeld', 'alerting', 'ok', 10],
      ['NeverTrue', 'alerting', 'ok', 0],
    ]);
    expect(group.rules[1]).toMatchObject({ state: 'inactive', alerts: [], query: 'vigil_test_condition > 100' });
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/vigil_rule_group_iterations_total\{rule_group=".*rules\.yaml;restart"\} [1-9]/);
    expect(metrics).toMatch(/vigil_alerts\{state="(pending|firing)"\} 1/);
    expect(metrics).toContain('process_cpu_seconds_total');
    // the query API is served on the embedded datasource only: here, ask Prometheus
    expect((await fetch(`${base}/api/v1/query?query=up`)).status).toBe(404);
  });

  test('kill -9 mid-`for` and restart: the alert fires on its original schedule, not a fresh `for` later', async () => {
    const pending = await waitFor('a pending alert', async () => {
      const a = await alert('ConditionHeld');
      return a?.state === 'pending' ? a : undefined;
    });
    const activeAt = Date.parse(pending.activeAt);
    // Let 6s of the 10s `for` pass, then crash without any chance to clean up.
    await sleep(Math.max(0, activeAt + 6000 - Date.now()));
    expect((await alert('ConditionHeld'))?.state).toBe('pending');
    vigil!.kill('SIGKILL');
    await new Promise((r) => vigil!.once('exit', r));
    const restartedAt = Date.now();
    vigil = start();
    await ready();
    const firing = await waitFor('the alert to fire after the restart', async () => {
      const a = await alert('ConditionHeld');
      return a?.state === 'firing' ? { a, at: Date.now() } : undefined;
    });
    expect(firing.a.activeAt).toBe(pending.activeAt);
    // Restored: fires ~4s after the restart. A fresh `for` could not fire before restart + 10s,
    // since its clock would start at the first evaluation after the restart.
    expect(firing.at - restartedAt).toBeLessThan(10_000);
    expect(firing.at).toBeGreaterThanOrEqual(activeAt + 10_000);
    expect(output).toContain('"msg":"alert firing"');
  }, 60_000);

  test('Prometheus down: nothing resolves, VigilDatasourceDown fires, SIGTERM exits cleanly', async () => {
    await waitFor('firing', async () => ((await alert('ConditionHeld'))?.state === 'firing' ? true : undefined));
    await prom.stop();
    const down = await waitFor('VigilDatasourceDown', async () => {
      const a = await alert('VigilDatasourceDown');
      return a?.state === 'firing' ? a : undefined;
    });
    expect(down.labels).toMatchObject({ severity: 'P1', datasource: prom.url });
    expect((await alert('ConditionHeld'))?.state).toBe('firing');
    const rules = await getJson<{ data: { groups: { name: string; rules: { health: string; lastError: string }[] }[] } }>(`${base}/api/v1/rules`);
    const rule = rules.data.groups.find((g) => g.name === 'restart')!.rules[0];
    expect(rule.health).toBe('err');
    expect(rule.lastError).toMatch(/unreachable/);

    vigil!.kill('SIGTERM');
    const code = await new Promise((r) => vigil!.once('exit', r));
    expect(code).toBe(0);
    expect(output).toContain('state persisted; bye');
  }, 60_000);
});
