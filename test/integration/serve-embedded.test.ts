/**
 * `vigil serve` with no datasource configured: it runs on the embedded datasource (no Prometheus
 * anywhere), evaluates its rules there, names the datasource in its logs and /api/v2/status, and
 * serves Prometheus' query API, which the real promtool reads.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '../support/wait.js';
import { freePort, requireOrSkip, which } from './support/prometheus.js';
import { run } from '../cli/run.js';
import { VIGIL } from '../support/vigil-bin.js';

const describePromtool = requireOrSkip('vigil serve on the embedded datasource', ['promtool']) ? describe : describe.skip;

const RULES = `groups:
  - name: embedded
    interval: 1s
    rules:
      - alert: NoAgentTraffic
        expr: absent(agent_requests_total)
        labels: { severity: P3 }
        annotations: { summary: "no agent has reported yet" }
      - alert: NeverTrue
        expr: sum(agent_requests_total) > 0
        labels: { severity: P1 }
`;


describePromtool('vigil serve with no datasource configured', () => {
  let dir: string;
  let base: string;
  let vigil: ChildProcess | undefined;
  let output = '';

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vigil-embedded-'));
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    await writeFile(join(dir, 'rules.yaml'), RULES);
    // no datasource: the embedded one is the default; a bearer token guards writes only
    await writeFile(
      join(dir, 'vigil.yaml'),
      `rule_files: [rules.yaml]
storage: { sqlite: { path: data/vigil.db } }
server: { listen: 127.0.0.1:${port}, bearer_token: write-secret }
`,
    );
    vigil = spawn(process.execPath, [...VIGIL, 'serve', '--config', join(dir, 'vigil.yaml')], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    vigil.stdout!.on('data', (d) => (output += d));
    vigil.stderr!.on('data', (d) => (output += d));
    await waitFor('/readyz', async () => ((await fetch(`${base}/readyz`).catch(() => undefined))?.ok ? true : undefined));
  }, 60_000);

  afterAll(async () => {
    if (vigil && vigil.exitCode === null) {
      vigil.kill('SIGTERM');
      await new Promise((r) => vigil!.once('exit', r));
    }
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('evaluates its rules on the embedded engine: an absent() alert fires, nothing is unreachable', async () => {
    type ApiAlert = { labels: Record<string, string>; state: string };
    const firing = await waitFor('NoAgentTraffic to fire', async () => {
      const body = (await (await fetch(`${base}/api/v1/alerts`)).json()) as { data: { alerts: ApiAlert[] } };
      return body.data.alerts.find((a) => a.labels.alertname === 'NoAgentTraffic' && a.state === 'firing');
    });
    expect(firing.labels).toEqual({ alertname: 'NoAgentTraffic', severity: 'P3' });
    const rules = (await (await fetch(`${base}/api/v1/rules`)).json()) as { data: { groups: { name: string; rules: { name: string; health: string }[] }[] } };
    const group = rules.data.groups.find((g) => g.name === 'embedded')!;
    expect(group.rules.map((r) => [r.name, r.health])).toEqual([
      ['NoAgentTraffic', 'ok'],
      ['NeverTrue', 'ok'],
    ]);
    expect(output).not.toMatch(/unreachable|VigilDatasourceDown/);
  });

  test('names the embedded datasource and its path in the log and /api/v2/status', async () => {
    const serving = output.split('\n').find((l) => l.includes('"vigil serving"'));
    expect(JSON.parse(serving!).datasource).toBe(`embedded ${join(dir, 'data', 'tsdb')}`);
    const status = (await (await fetch(`${base}/api/v2/status`)).json()) as { datasource: string };
    expect(status.datasource).toBe(`embedded ${join(dir, 'data', 'tsdb')}`);
  });

  test('serves the query API: GET, and POST without the write token (a read)', async () => {
    const get = await fetch(`${base}/api/v1/query?query=${encodeURIComponent('absent(agent_requests_total)')}&time=1700000000`);
    expect(await get.json()).toEqual({ status: 'success', data: { resultType: 'vector', result: [{ metric: {}, value: [1700000000, '1'] }] } });
    const post = await fetch(`${base}/api/v1/query`, { method: 'POST', body: new URLSearchParams({ query: '1+1', time: '4' }) });
    expect(post.status).toBe(200);
    expect(await post.json()).toEqual({ status: 'success', data: { resultType: 'scalar', result: [4, '2'] } });
    const bad = await fetch(`${base}/api/v1/query_range?query=up&start=10&end=5&step=1`);
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ status: 'error', errorType: 'bad_data', error: 'invalid parameter "end": end timestamp must not be before start time' });
    // writes still need it
    expect((await fetch(`${base}/api/v2/silences`, { method: 'POST', body: '{}', headers: { 'Content-Type': 'application/json' } })).status).toBe(401);
  });

  test('the real promtool queries it', async () => {
    const promtool = which('promtool')!;
    const instant = await run(promtool, ['query', 'instant', base, 'vector(1) * 3', '--time=1700000000']);
    expect(instant).toEqual({ code: 0, stdout: '{} => 3 @[1700000000]\n', stderr: '' });
    const labels = await run(promtool, ['query', 'labels', base, '__name__']);
    expect(labels).toEqual({ code: 0, stdout: '', stderr: '' });
  });

  test('`vigil eval` and `vigil backtest` with --prometheus <vigil serve URL> query it', async () => {
    const evaluated = await run(process.execPath, [...VIGIL, 'eval', '--prometheus', base, '--rules', join(dir, 'rules.yaml'), '--output', 'json']);
    expect(evaluated.code).toBe(0);
    expect(evaluated.stdout).toContain('NoAgentTraffic');
    const ranged = await run(process.execPath, [...VIGIL, 'eval', '--prometheus', base, '--expr', 'vector(2)', '--from', '1700000000', '--to', '1700000120', '--step', '1m', '--output', 'json']);
    expect(ranged.code).toBe(0);
    expect(JSON.parse(ranged.stdout).result.result).toEqual([{ metric: {}, values: [[1700000000, '2'], [1700000060, '2'], [1700000120, '2']] }]);
    const backtest = await run(process.execPath, [...VIGIL, 'backtest', '--prometheus', base, '--rules', join(dir, 'rules.yaml'), '--from', '1700000000', '--to', '1700003600', '--output', 'json']);
    expect(backtest.code).toBe(0);
    const { episodes } = JSON.parse(backtest.stdout) as { episodes: { alert: string; firedAt: string; resolvedAt: string | null }[] };
    expect(episodes).toEqual([expect.objectContaining({ alert: 'NoAgentTraffic', firedAt: '2023-11-14T22:13:20.000Z', resolvedAt: null })]);
  });

  test('a reload keeps the embedded datasource; one to a Prometheus takes the query API away', async () => {
    const reload = () => fetch(`${base}/-/reload`, { method: 'POST', headers: { Authorization: 'Bearer write-secret' } });
    const config = join(dir, 'vigil.yaml');
    const embeddedYaml = await readFile(config, 'utf8');
    expect((await reload()).status).toBe(200);
    expect((await fetch(`${base}/api/v1/query?query=1`)).status).toBe(200);
    const status = async () => ((await (await fetch(`${base}/api/v2/status`)).json()) as { datasource: string }).datasource;
    expect(await status()).toBe(`embedded ${join(dir, 'data', 'tsdb')}`);

    await writeFile(config, `datasource: { prometheus: { url: 'http://127.0.0.1:9' } }\n${embeddedYaml}`);
    expect((await reload()).status).toBe(200);
    expect((await fetch(`${base}/api/v1/query?query=1`)).status).toBe(404);
    expect(await status()).toBe('http://127.0.0.1:9');

    await writeFile(config, embeddedYaml);
    expect((await reload()).status).toBe(200);
    expect((await fetch(`${base}/api/v1/query?query=1`)).status).toBe(200);
  });
});

describe('vigil serve refuses an embedded TSDB it cannot open, naming the setting', () => {
  test('a path under a file, and a directory another running serve holds', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vigil-embedded-bad-'));
    try {
      await writeFile(join(dir, 'rules.yaml'), RULES);
      const yaml = (path: string, port: number) =>
        `datasource: { embedded: { path: ${path} } }\nrule_files: [rules.yaml]\nstorage: { sqlite: { path: ${port}.db } }\nserver: { listen: 127.0.0.1:${port} }\n`;
      await writeFile(join(dir, 'bad.yaml'), yaml('rules.yaml/tsdb', await freePort()));
      const bad = await run(process.execPath, [...VIGIL, 'serve', '--config', join(dir, 'bad.yaml')], { cwd: dir });
      expect(bad.code).toBe(1);
      expect(bad.stderr).toContain(`datasource.embedded.path: cannot open the TSDB at ${join(dir, 'rules.yaml', 'tsdb')}: ENOTDIR`);

      const port = await freePort();
      await writeFile(join(dir, 'first.yaml'), yaml('tsdb', port));
      await writeFile(join(dir, 'second.yaml'), yaml('tsdb', await freePort()));
      const first = spawn(process.execPath, [...VIGIL, 'serve', '--config', join(dir, 'first.yaml')], { cwd: dir, stdio: 'ignore' });
      try {
        await waitFor('the first serve', async () => ((await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined))?.ok ? true : undefined));
        const second = await run(process.execPath, [...VIGIL, 'serve', '--config', join(dir, 'second.yaml')], { cwd: dir });
        expect(second.code).toBe(1);
        expect(second.stderr).toContain(`datasource.embedded.path: cannot open the TSDB at ${join(dir, 'tsdb')}: tsdb: ${join(dir, 'tsdb')} is in use by process ${first.pid}`);
      } finally {
        first.kill('SIGTERM');
        await new Promise((r) => first.once('exit', r));
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
