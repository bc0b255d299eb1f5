/**
 * `vigil eval --data` and `vigil backtest --data` (the embedded engine over OpenMetrics files)
 * print exactly what the same commands print against a real Prometheus holding the same
 * history, backfilled by promtool from the very same file.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireOrSkip, startPrometheus, toOpenMetrics, type PrometheusInstance, type SeriesSpec } from './support/prometheus.js';
import { vigil } from '../cli/run.js';

const MIN = 60_000;
const describeProm = requireOrSkip('vigil eval/backtest --data vs --prometheus') ? describe : describe.skip;

/**
 * Two agents over 3h: checkout fails 20% from minute 60 to 120; search is healthy. Scrapes sit at
 * odd milliseconds, never on an evaluation's window boundary: there Prometheus 3 (whose semantics
 * the engine follows) leaves out a sample that 2.42 counts (windows became left-open in 3.0).
 */
function history(base: number): SeriesSpec[] {
  const series: SeriesSpec[] = [];
  const add = (labels: Record<string, string>, f: (m: number) => number, jitter = 0) =>
    series.push({ metric: 'agent_requests_total', labels, samples: Array.from({ length: 181 }, (_, m) => [base + m * MIN + jitter, f(m)] as [number, number]) });
  add({ agent_id: 'checkout-bot', status: 'success' }, (m) => 60 * m, 211);
  add({ agent_id: 'checkout-bot', status: 'failure' }, (m) => 12 * Math.min(60, Math.max(0, m - 60)), 211);
  add({ agent_id: 'search', status: 'success' }, (m) => 90 * m + (m % 7), 137);
  add({ agent_id: 'search', status: 'failure' }, (m) => Math.floor(m / 10), 137);
  return series;
}

function unordered(stdout: string) {
  const out = JSON.parse(stdout);
  if (out.result.resultType === 'vector') out.result.result.sort((a: { metric: object }, b: { metric: object }) => JSON.stringify(a.metric).localeCompare(JSON.stringify(b.metric)));
  return out;
}

describeProm('--data answers as --prometheus does', () => {
  let prom: PrometheusInstance;
  let dir: string;
  let data: string;
  const base = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 5 * 3_600_000;
  const at = (m: number) => new Date(base + m * MIN).toISOString();

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vigil-data-'));
    data = join(dir, 'history.om');
    const series = history(base);
    await writeFile(data, toOpenMetrics(series));
    prom = await startPrometheus({ series });
  }, 60_000);
  afterAll(async () => {
    await prom?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const both = async (args: string[]) => {
    const [viaProm, viaData] = await Promise.all([vigil([...args, '--prometheus', prom.url]), vigil([...args, '--data', data])]);
    return { viaProm, viaData };
  };

  test('backtest --output json: the same episodes, byte for byte', async () => {
    const { viaProm, viaData } = await both(['backtest', '--from', at(20), '--to', at(170), '-o', 'json']);
    expect(viaProm.code).toBe(0);
    expect(JSON.parse(viaProm.stdout).episodes.length).toBeGreaterThan(0);
    expect(viaData).toEqual(viaProm);
  });

  test('backtest table, and eval of the rule pack at several instants', async () => {
    const table = await both(['backtest', '--from', at(20), '--to', at(170)]);
    expect(table.viaData).toEqual(table.viaProm);
    for (const m of [30, 63, 90, 125, 180]) {
      for (const output of ['table', 'json']) {
        const { viaProm, viaData } = await both(['eval', '--at', at(m), '-o', output]);
        expect(viaProm.code).toBe(0);
        expect(viaData).toEqual(viaProm);
      }
    }
  });

  test('eval --expr at an instant and as a range query, in Prometheus API result shapes', async () => {
    const exprs = [
      'sum by (agent_id, status) (rate(agent_requests_total[5m]))',
      'agent_requests_total{status="failure"}',
      'agent_requests_total[3m]',
      'scalar(sum(agent_requests_total))',
      'max_over_time(rate(agent_requests_total{agent_id=~"se.*"}[5m])[30m:1m]) > 1',
    ];
    for (const expr of exprs) {
      const instant = await both(['eval', '--expr', expr, '--at', at(95), '-o', 'json']);
      expect(instant.viaProm.code).toBe(0);
      expect(instant.viaData.code).toBe(0);
      expect(instant.viaData.stderr).toBe(instant.viaProm.stderr);
      // Prometheus promises no order for an instant vector (a sum's comes from a hash map): compare as sets.
      expect(unordered(instant.viaData.stdout)).toEqual(unordered(instant.viaProm.stdout));
      if (expr.endsWith('[3m]')) continue;
      const range = await both(['eval', '--expr', expr, '--from', at(50), '--to', at(130), '--step', '5m', '-o', 'json']);
      expect(range.viaProm.code).toBe(0);
      expect(range.viaData).toEqual(range.viaProm);
    }
    // One second after the 10m scrapes: checkout 600 + 0, search 900 + 10 % 7 + 1.
    const t = (base + 10 * MIN + 1000) / 1000;
    const shape = JSON.parse((await vigil(['eval', '--expr', 'sum(agent_requests_total)', '--at', String(t), '--data', data, '-o', 'json'])).stdout);
    expect(shape.result).toEqual({ resultType: 'vector', result: [{ metric: {}, value: [t, '1504'] }] });
  });
});
