import { existsSync } from 'node:fs';
import {
  expandNotation,
  fromPromtoolSeries,
  parseSeriesSelector,
  requireOrSkip,
  samplesFrom,
  startPrometheus,
  toOpenMetrics,
  type PrometheusInstance,
  type SeriesSpec,
} from './prometheus.js';

describe('promtool series notation', () => {
  test('expands like promtool: a+bxn is n+1 values, _xn is n gaps, axn repeats', () => {
    expect(expandNotation('-2+4x3')).toEqual([-2, 2, 6, 10]);
    expect(expandNotation(' 1-2x4')).toEqual([1, -1, -3, -5, -7]);
    expect(expandNotation('1x4')).toEqual([1, 1, 1, 1, 1]);
    expect(expandNotation('1 _x3 stale')).toEqual([1, '_', '_', '_', 'stale']);
    expect(expandNotation('0 1 2 _ 4')).toEqual([0, 1, 2, '_', 4]);
    expect(expandNotation('Inf -Inf +Inf 1e3')).toEqual([Infinity, -Infinity, Infinity, 1000]);
    expect(expandNotation('NaN')[0]).toBeNaN();
  });

  test('increments are added step by step, as promtool does', () => {
    // 0.1+0.1+0.1 is 0.30000000000000004, not 0.1+2*0.1
    expect(expandNotation('0.1+0.1x2')).toEqual([0.1, 0.2, 0.1 + 0.1 + 0.1]);
  });

  test('unreadable items are refused with the item named', () => {
    expect(() => expandNotation('1 2 three')).toThrow('cannot read "three"');
    expect(() => expandNotation('_+1x3')).toThrow('cannot increment');
  });

  test('samples sit at start + i*interval; gaps stay gaps; stale is refused unless omitted', () => {
    expect(samplesFrom('5 _ 7', { start: 1000, intervalMs: 60_000 })).toEqual([
      [1000, 5],
      [121_000, 7],
    ]);
    expect(() => samplesFrom('1 stale', { start: 0, intervalMs: 1 })).toThrow("stale: 'omit'");
    expect(samplesFrom('1 stale 3', { start: 0, intervalMs: 10, stale: 'omit' })).toEqual([
      [0, 1],
      [20, 3],
    ]);
  });

  test('reads promtool series selectors', () => {
    expect(parseSeriesSelector('agent_requests_total{status="failure", agent_id="a\\"b"}')).toEqual({
      metric: 'agent_requests_total',
      labels: { status: 'failure', agent_id: 'a"b' },
    });
    expect(parseSeriesSelector('{__name__="up",job="x",}')).toEqual({ metric: 'up', labels: { job: 'x' } });
    expect(() => parseSeriesSelector('{job="x"}')).toThrow('no metric name');
    expect(fromPromtoolSeries({ series: 'up{job="x"}', values: '1x2' }, { start: 0, intervalMs: 1000 })).toEqual({
      metric: 'up',
      labels: { job: 'x' },
      type: undefined,
      samples: [
        [0, 1],
        [1000, 1],
        [2000, 1],
      ],
    });
  });
});

describe('OpenMetrics history', () => {
  test('one # TYPE per family, samples by time in seconds with ms, escaped labels, # EOF', () => {
    const text = toOpenMetrics([
      { metric: 'agent_requests_total', labels: { status: 'ok', agent: 'a"\\\nb' }, samples: [[2_000, 2], [1_500, 1]] },
      { metric: 'agent_requests_total', labels: { status: 'failure' }, samples: [[1_000, 0]] },
      { metric: 'lat_bucket', labels: { le: '+Inf' }, samples: [[1_000, NaN]] },
      { metric: 'lat_count', type: 'histogram', samples: [[1_000, Infinity]] },
      { metric: 'temp', samples: [[1_001, -Infinity]] },
    ]);
    expect(text).toBe(
      [
        '# TYPE agent_requests counter',
        'agent_requests_total{agent="a\\"\\\\\\nb",status="ok"} 1 1.500',
        'agent_requests_total{agent="a\\"\\\\\\nb",status="ok"} 2 2.000',
        'agent_requests_total{status="failure"} 0 1.000',
        '# TYPE lat histogram',
        'lat_bucket{le="+Inf"} NaN 1.000',
        'lat_count +Inf 1.000',
        '# TYPE temp gauge',
        'temp -Inf 1.001',
        '# EOF',
        '',
      ].join('\n'),
    );
  });

  test('refuses what promtool would silently drop: two samples at one time, a series given twice', () => {
    expect(() => toOpenMetrics([{ metric: 'g', samples: [[1000, 1], [1000, 2]] }])).toThrow('two samples at');
    expect(() =>
      toOpenMetrics([
        { metric: 'g', labels: { a: '1' }, samples: [[1000, 1]] },
        { metric: 'g', labels: { a: '1' }, samples: [[2000, 1]] },
      ]),
    ).toThrow('given twice');
    expect(() => toOpenMetrics([{ metric: 'g-h', samples: [] }])).toThrow('not a valid metric name');
  });
});

describe('requireOrSkip', () => {
  const ci = process.env.CI;
  const warn = console.warn;
  afterEach(() => {
    if (ci === undefined) delete process.env.CI;
    else process.env.CI = ci;
    console.warn = warn;
  });

  test('outside CI a missing binary is skipped with a warning naming the Debian package', () => {
    delete process.env.CI;
    const warned: unknown[][] = [];
    console.warn = (...args: unknown[]) => void warned.push(args);
    expect(requireOrSkip('routing against Alertmanager', ['vigil-no-such-binary'])).toBe(false);
    expect(warned).toEqual([
      ['skipped: routing against Alertmanager: vigil-no-such-binary not found; install the Debian package vigil-no-such-binary (apt-get install vigil-no-such-binary)'],
    ]);
  });

  test('in CI a missing binary fails, naming the package', () => {
    process.env.CI = 'true';
    expect(() => requireOrSkip('x', ['vigil-no-such-binary'])).toThrow('x: vigil-no-such-binary not found; install the Debian package');
  });

  test('present binaries pass', () => {
    expect(requireOrSkip('node itself', ['node'])).toBe(true);
  });
});

const describeProm = requireOrSkip('startPrometheus (integration support)') ? describe : describe.skip;

describeProm('startPrometheus', () => {
  const MIN = 60_000;
  const HOUR = 60 * MIN;
  // 27 hours at 1m ending this minute: the 1h and 24h baselines of the rule pack exist at once.
  const end = Math.floor(Date.now() / MIN) * MIN;
  const start = end - 27 * HOUR;
  const series: SeriesSpec[] = [
    fromPromtoolSeries({ series: 'agent_requests_total{status="ok"}', values: `0+10x${27 * 60}` }, { start, intervalMs: MIN }),
    // odd milliseconds survive the trip through OpenMetrics seconds
    { metric: 'ms_probe', samples: [[end - HOUR + 1, 1], [end - HOUR + 999, 2], [end - HOUR + 1_001, 3]] },
  ];
  let prom: PrometheusInstance;

  beforeAll(async () => {
    prom = await startPrometheus({ series });
  });
  afterAll(() => prom?.stop());

  async function query(expr: string, timeMs: number): Promise<{ resultType: string; result: any[] }> {
    const body = new URLSearchParams({ query: expr, time: (timeMs / 1000).toFixed(3) });
    const res = await fetch(`${prom.url}/api/v1/query`, { method: 'POST', body });
    const json = (await res.json()) as { status: string; data: { resultType: string; result: any[] } };
    expect(json.status).toBe('success');
    return json.data;
  }

  test('every sample of 27h ending now is loaded and queryable', async () => {
    const count = await query('count_over_time(agent_requests_total[28h])', end);
    expect(count.result.map((r) => r.value[1])).toEqual([String(27 * 60 + 1)]);
    for (const ago of [0, HOUR, 24 * HOUR, 27 * HOUR]) {
      const v = await query('agent_requests_total', end - ago);
      expect(v.result[0].value[1]).toBe(String(((27 * HOUR - ago) / MIN) * 10));
    }
    const offset = await query('rate(agent_requests_total[5m] offset 1d)', end);
    expect(Number(offset.result[0].value[1])).toBeCloseTo(10 / 60, 10);
  });

  test('timestamps keep their milliseconds', async () => {
    const m = await query('ms_probe[1m]', end - HOUR + 5_000);
    expect(m.resultType).toBe('matrix');
    expect(m.result[0].values.map((p: [number, string]) => Math.round(p[0] * 1000) - (end - HOUR))).toEqual([1, 999, 1001]);
  });

  test('stop() ends the process, frees the port and removes the temporary directory', async () => {
    const other = await startPrometheus();
    expect(existsSync(other.dataDir)).toBe(true);
    await other.stop();
    await other.stop();
    expect(existsSync(other.dir)).toBe(false);
    await expect(fetch(`${other.url}/-/ready`)).rejects.toThrow();
  });

  test('invalid history is refused before anything starts', async () => {
    await expect(startPrometheus({ series: [{ metric: 'x', samples: [[-1, 1]] }] })).rejects.toThrow('non-negative integer');
  });
});
