/**
 * `vigil serve` alone does the whole job: it scrapes an exporter (prom-client, a real client
 * library) into its embedded TSDB, evaluates a rule on what it scraped, serves the samples through
 * Prometheus' query API to the real promtool, and after `kill -9` keeps every sample it had
 * committed except at most the last scrape interval.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Counter, Registry } from 'prom-client';
import { run } from '../cli/run.js';
import { waitFor } from '../support/wait.js';
import { freePort, requireOrSkip, which } from './support/prometheus.js';
import { VIGIL } from '../support/vigil-bin.js';

const describePromtool = requireOrSkip('vigil serve scraping into its embedded TSDB', ['promtool']) ? describe : describe.skip;

const RULES = `groups:
  - name: scraped
    interval: 1s
    rules:
      - alert: AgentFailing
        expr: sum by (agent_id) (agent_requests_total{status="failure"}) > 0
        labels: { severity: P2 }
`;

type Vector = { metric: Record<string, string>; value: [number, string] }[];

describePromtool('vigil serve scraping into its embedded TSDB', () => {
  let dir: string;
  let base: string;
  let exporter: http.Server;
  let requests: Counter;
  let vigil: ChildProcess | undefined;
  let output = '';

  const start = async () => {
    vigil = spawn(process.execPath, [...VIGIL, 'serve', '--config', join(dir, 'vigil.yaml')], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    vigil.stdout!.on('data', (d) => (output += d));
    vigil.stderr!.on('data', (d) => (output += d));
    await waitFor('/readyz', async () => ((await fetch(`${base}/readyz`).catch(() => undefined))?.ok ? true : undefined));
  };
  const query = async (q: string, time?: number): Promise<Vector> => {
    const body = (await (await fetch(`${base}/api/v1/query?query=${encodeURIComponent(q)}${time ? `&time=${time}` : ''}`)).json()) as { data: { result: Vector } };
    return body.data.result;
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vigil-serve-ingest-'));
    const registry = new Registry();
    requests = new Counter({ name: 'agent_requests_total', help: 'requests', labelNames: ['agent_id', 'status'], registers: [registry] });
    requests.inc({ agent_id: 'checkout-bot', status: 'success' }, 10);
    exporter = http.createServer((_req, res) => {
      void registry.metrics().then((text) => res.writeHead(200, { 'Content-Type': registry.contentType }).end(text));
    });
    await new Promise<void>((r) => exporter.listen(0, '127.0.0.1', r));
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    await writeFile(join(dir, 'rules.yaml'), RULES);
    await writeFile(
      join(dir, 'vigil.yaml'),
      `datasource:
  embedded:
    path: tsdb
    scrape_interval: 1s
    scrape_configs:
      - job_name: agents
        static_configs: [{ targets: ['127.0.0.1:${(exporter.address() as AddressInfo).port}'], labels: { env: test } }]
rule_files: [rules.yaml]
storage: { sqlite: { path: vigil.db } }
server: { listen: 127.0.0.1:${port} }
`,
    );
    await start();
  }, 60_000);

  afterAll(async () => {
    if (vigil && vigil.exitCode === null) {
      vigil.kill('SIGTERM');
      await new Promise((r) => vigil!.once('exit', r));
    }
    await new Promise((r) => exporter?.close(r));
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('scrapes: up is 1 and the samples carry job, instance and the target labels', async () => {
    const up = await waitFor('up', async () => (await query('up{job="agents"}')).at(0));
    expect(up.metric).toMatchObject({ job: 'agents', env: 'test', instance: expect.stringMatching(/^127\.0\.0\.1:\d+$/) });
    expect(up.value[1]).toBe('1');
    const [series] = await waitFor('a scraped series', async () => ((await query('agent_requests_total')).length ? query('agent_requests_total') : undefined));
    expect(series.metric).toMatchObject({ __name__: 'agent_requests_total', agent_id: 'checkout-bot', status: 'success', job: 'agents', env: 'test' });
    expect(series.value[1]).toBe('10');
  });

  test('a rule fires on what was scraped', async () => {
    requests.inc({ agent_id: 'checkout-bot', status: 'failure' }, 3);
    type ApiAlert = { labels: Record<string, string>; state: string };
    const alert = await waitFor('AgentFailing', async () => {
      const body = (await (await fetch(`${base}/api/v1/alerts`)).json()) as { data: { alerts: ApiAlert[] } };
      return body.data.alerts.find((a) => a.labels.alertname === 'AgentFailing');
    });
    expect(alert.labels).toEqual({ alertname: 'AgentFailing', agent_id: 'checkout-bot', severity: 'P2' });
  });

  test('the real promtool reads the scraped series', async () => {
    await waitFor('the failure series', async () => ((await query('agent_requests_total{status="failure"}')).length ? true : undefined));
    const { code, stdout: out } = await run(which('promtool')!, ['query', 'instant', base, 'sum by (status) (agent_requests_total)']);
    expect(code).toBe(0);
    expect(out.split('\n').filter(Boolean).sort()).toEqual([expect.stringMatching(/^\{status="failure"\} => 3 @\[/), expect.stringMatching(/^\{status="success"\} => 10 @\[/)]);
  });

  test('kill -9 keeps what was scraped: after a restart the samples from before are still there', async () => {
    const now = Date.now() / 1000;
    const before = await query('count_over_time(agent_requests_total{status="success"}[1h])', now);
    const countBefore = Number(before[0].value[1]);
    expect(countBefore).toBeGreaterThan(1);
    vigil!.kill('SIGKILL');
    await new Promise((r) => vigil!.once('exit', r));
    await start();
    // At the same instant as before: only what the WAL had not yet synced (at most one interval) may be gone.
    const after = await query('count_over_time(agent_requests_total{status="success"}[1h])', now);
    expect(Number(after[0].value[1])).toBeGreaterThanOrEqual(countBefore - 2);
    // And scraping goes on.
    await waitFor('new samples after the restart', async () => {
      const r = await query('count_over_time(agent_requests_total{status="success"}[1h])');
      return Number(r[0]?.value[1]) > countBefore ? true : undefined;
    });
  });
});
