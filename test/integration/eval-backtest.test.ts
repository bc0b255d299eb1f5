import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireOrSkip, startPrometheus, type PrometheusInstance, type SeriesSpec } from './support/prometheus.js';
import { vigil } from '../cli/run.js';

const MIN = 60_000;
const describeProm = requireOrSkip('vigil eval and backtest against a real Prometheus') ? describe : describe.skip;

/**
 * checkout-bot serves 1 req/s; from minute 60 to 120 it also fails 0.2 req/s.
 * Failure ratio over 5m: 24/324 = 7.4% at minute 62 (first above 5%), 60/360 = 16.7% steady,
 * 12/312 = 3.8% again at minute 124.
 */
function history(base: number): SeriesSpec[] {
  const success: [number, number][] = [];
  const failure: [number, number][] = [];
  for (let m = 0; m <= 180; m++) {
    success.push([base + m * MIN, 60 * m]);
    failure.push([base + m * MIN, 12 * Math.min(60, Math.max(0, m - 60))]);
  }
  return [
    { metric: 'agent_requests_total', labels: { agent_id: 'checkout-bot', status: 'success' }, samples: success },
    { metric: 'agent_requests_total', labels: { agent_id: 'checkout-bot', status: 'failure' }, samples: failure },
  ];
}

describeProm('vigil eval and vigil backtest', () => {
  let prom: PrometheusInstance;
  const base = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 5 * 3_600_000;
  const at = (m: number) => new Date(base + m * MIN).toISOString();

  beforeAll(async () => {
    prom = await startPrometheus({ series: history(base) });
  }, 60_000);
  afterAll(() => prom?.stop());

  test('backtest --output json reports the episode with exact activeAt, firedAt and resolvedAt', async () => {
    const r = await vigil(['backtest', '--prometheus', prom.url, '--from', at(30), '--to', at(150), '--output', 'json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(Object.keys(out)).toEqual(['from', 'to', 'episodes']);
    expect(out.from).toBe(at(30));
    expect(out.episodes).toHaveLength(1);
    const [e] = out.episodes;
    expect(e).toMatchObject({
      alert: 'AgentErrorRateSpike',
      severity: 'P1',
      labels: { agent_id: 'checkout-bot', alertname: 'AgentErrorRateSpike', severity: 'P1' },
      activeAt: at(62),
      firedAt: at(67),
      resolvedAt: at(124),
    });
    expect(e.maxValue).toBeCloseTo(1 / 6, 10);
  });

  test('an episode still firing at --to has resolvedAt null; one that never fired has firedAt null', async () => {
    const firing = JSON.parse((await vigil(['backtest', '--prometheus', prom.url, '--from', at(30), '--to', at(100), '-o', 'json'])).stdout);
    expect(firing.episodes[0]).toMatchObject({ firedAt: at(67), resolvedAt: null });
    const pending = JSON.parse((await vigil(['backtest', '--prometheus', prom.url, '--from', at(30), '--to', at(65), '-o', 'json'])).stdout);
    expect(pending.episodes[0]).toMatchObject({ activeAt: at(62), firedAt: null, resolvedAt: null });
  });

  test("a group's query_offset shifts every query, so the episode comes that much later", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vigil-offset-'));
    const pack = await readFile('rules/error-spike.yaml', 'utf8');
    await writeFile(join(dir, 'offset.yaml'), pack.replace('    interval: 1m\n', '    interval: 1m\n    query_offset: 10m\n'));
    const r = await vigil(['backtest', '--prometheus', prom.url, '--rules', join(dir, 'offset.yaml'), '--from', at(30), '--to', at(150), '-o', 'json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).episodes[0]).toMatchObject({ activeAt: at(72), firedAt: at(77), resolvedAt: at(134) });
    await rm(dir, { recursive: true, force: true });
  });

  test('the table summary counts fires and time spent firing', async () => {
    const r = await vigil(['backtest', '--prometheus', prom.url, '--from', at(30), '--to', at(150)]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/AgentErrorRateSpike\s+P1\s+1\s+1\s+57m\s+0/);
  });

  test('the table has a row for every rule, also one that never fired, and tells same-named rules of two groups apart', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vigil-backtest-rows-'));
    const rule = (severity: string, threshold: number) => `      - alert: AgentFailing
        expr: sum by (agent_id) (rate(agent_requests_total{status="failure"}[5m])) / sum by (agent_id) (rate(agent_requests_total[5m])) > ${threshold}
        for: 5m
        labels: { severity: ${severity} }
`;
    await writeFile(
      join(dir, 'rules.yaml'),
      `groups:
  - name: page
    interval: 1m
    rules:
${rule('P1', 0.1)}  - name: observe
    interval: 1m
    rules:
${rule('P3', 0.05)}      - alert: AgentNeverFails
        expr: sum by (agent_id) (rate(agent_requests_total{status="failure"}[5m])) > 100
        labels: { severity: P2 }
`,
    );
    const r = await vigil(['backtest', '--prometheus', prom.url, '--rules', join(dir, 'rules.yaml'), '--from', at(30), '--to', at(150)]);
    await rm(dir, { recursive: true, force: true });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const rows = r.stdout.trim().split('\n').slice(2);
    expect(rows).toHaveLength(3);
    // 16.7% steady from minute 65 or so: above 10% for less time than above 5%
    expect(rows[0]).toMatch(/^page\/AgentFailing\s+P1\s+1\s+1\s+/);
    expect(rows[1]).toMatch(/^AgentNeverFails\s+P2\s+0\s+0\s+0s\s+0$/);
    expect(rows[2]).toMatch(/^observe\/AgentFailing\s+P3\s+1\s+1\s+57m\s+0$/);
  });

  test('eval prints each active alert with severity, labels and value at --at', async () => {
    const r = await vigil(['eval', '--prometheus', prom.url, '--at', at(90)]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/AgentErrorRateSpike\s+P1\s+\{agent_id="checkout-bot"\}\s+0\.1666/);
    const json = JSON.parse((await vigil(['eval', '--prometheus', prom.url, '--at', String((base + 150 * MIN) / 1000), '-o', 'json'])).stdout);
    expect(json).toEqual({ at: at(150), results: [], errors: [] });
  });

  test('eval --expr runs one query; a bad one quotes Prometheus and exits 1', async () => {
    const r = await vigil(['eval', '--prometheus', prom.url, '--at', at(90), '--expr', 'sum by (status) (rate(agent_requests_total[5m]))']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/\{status="failure"\}\s+0\.2\n/);
    expect(r.stdout).toMatch(/\{status="success"\}\s+1\n/);
    const bad = await vigil(['eval', '--prometheus', prom.url, '--expr', 'sum(rate(agent_requests_total[5m])']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/rejected the query \(bad_data\).*parse error/);
  });

  test('bad times and windows are usage errors naming the flag', async () => {
    const r = await vigil(['backtest', '--prometheus', prom.url, '--from', 'yesterday', '--to', 'now']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--from "yesterday" is not a time');
    const backwards = await vigil(['backtest', '--prometheus', prom.url, '--from', 'now', '--to', 'now-1h']);
    expect(backwards.code).toBe(2);
    expect(backwards.stderr).toMatch(/--to .* must be after --from/);
  });
});
