/** The commands that work with no Prometheus at all: eval and backtest over --data files. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { vigil } from './run.js';

const MIN = 60_000;
const base = Date.UTC(2026, 10, 20, 12, 0, 0);
const at = (m: number) => new Date(base + m * MIN).toISOString();

/** checkout-bot: 1 req/s; from minute 60 to 120 it also fails 0.2 req/s. */
function openMetrics(): string {
  const lines = ['# TYPE agent_requests counter'];
  for (let m = 0; m <= 180; m++) {
    const t = ((base + m * MIN) / 1000).toFixed(3);
    lines.push(`agent_requests_total{agent_id="checkout-bot",status="success"} ${60 * m} ${t}`);
    lines.push(`agent_requests_total{agent_id="checkout-bot",status="failure"} ${12 * Math.min(60, Math.max(0, m - 60))} ${t}`);
  }
  return lines.join('\n') + '\n# EOF\n';
}

describe('vigil eval and backtest --data (embedded engine, no Prometheus)', () => {
  let dir: string;
  let data: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vigil-data-cli-'));
    data = join(dir, 'history.om');
    await writeFile(data, openMetrics());
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  // Prometheus 3 semantics: a range window is left-open, (t-5m, t]. At 123m it holds 119m..123m,
  // one minute of failures (4.8%, below 5%), so the alert resolves at 123m; Prometheus 2.42 also
  // counts the sample at 118m (7.4%) and resolves at 124m.
  test('backtest finds the episode with exact activeAt, firedAt and resolvedAt', async () => {
    const r = await vigil(['backtest', '--data', data, '--from', at(30), '--to', at(150), '-o', 'json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const { episodes } = JSON.parse(r.stdout);
    expect(episodes).toHaveLength(1);
    expect(episodes[0]).toMatchObject({ alert: 'AgentErrorRateSpike', severity: 'P1', activeAt: at(62), firedAt: at(67), resolvedAt: at(123) });
    expect(episodes[0].maxValue).toBeCloseTo(1 / 6, 10);
  });

  test('eval defaults --at to the newest sample of the data and prints the active alert', async () => {
    const quiet = await vigil(['eval', '--data', data]);
    expect(quiet.code).toBe(0);
    expect(quiet.stdout).toContain(`0 alerts active at ${at(180)}`);
    const r = await vigil(['eval', '--data', data, '--at', at(90)]);
    expect(r.stdout).toMatch(/AgentErrorRateSpike\s+P1\s+\{agent_id="checkout-bot"\}\s+0\.1666/);
  });

  test('eval --expr as an instant and a range query', async () => {
    const r = await vigil(['eval', '--data', data, '--at', at(90), '--expr', 'sum by (status) (rate(agent_requests_total[5m]))']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/\{status="failure"\}\s+0\.2\n/);
    const range = JSON.parse((await vigil(['eval', '--data', data, '--expr', 'sum(agent_requests_total)', '--from', at(0), '--to', at(2), '--step', '1m', '-o', 'json'])).stdout);
    expect(range.result).toEqual({
      resultType: 'matrix',
      result: [{ metric: {}, values: [[base / 1000, '0'], [base / 1000 + 60, '60'], [base / 1000 + 120, '120']] }],
    });
  });

  test('bad input: a broken file names its line, a bad query exits 1, flags that do not go together are refused', async () => {
    const broken = join(dir, 'broken.om');
    await writeFile(broken, 'up 1 1\nup{a=1} 2 2\n# EOF\n');
    const r = await vigil(['eval', '--data', broken, '--expr', 'up']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${broken}:2: the value of label "a" is not quoted`);
    const missing = await vigil(['eval', '--data', join(dir, 'nope.om'), '--expr', 'up']);
    expect(missing.stderr).toContain('cannot read');
    const bad = await vigil(['eval', '--data', data, '--expr', 'sum(rate(agent_requests_total[5m])']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/rejected the query \(bad_data\).*parse error/);
    const both = await vigil(['eval', '--data', data, '--prometheus', 'http://127.0.0.1:1', '--expr', 'up']);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('--data and --prometheus cannot be used together');
    const neither = await vigil(['eval', '--expr', 'up']);
    expect(neither.code).toBe(2);
    expect(neither.stderr).toContain('give --prometheus URL, or --data FILE');
    const rangeNoExpr = await vigil(['eval', '--data', data, '--from', at(0), '--to', at(1)]);
    expect(rangeNoExpr.code).toBe(2);
    expect(rangeNoExpr.stderr).toContain('need --expr');
  });

  test('--timeout bounds a query on the embedded engine, inside one long operator too', async () => {
    // A 1ms-step subquery over 3h: about ten million steps per series, in one selector and one range function.
    const slow = await vigil(['eval', '--data', data, '--expr', 'count_over_time(agent_requests_total[3h:1ms])', '--at', at(180), '--timeout', '20ms']);
    expect(slow.code).toBe(1);
    expect(slow.stderr).toContain('the embedded engine rejected the query (timeout): query timed out in expression evaluation');
  });
});
