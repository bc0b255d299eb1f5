/** PrometheusDatasource against a real Prometheus 2.x with history written by promtool. */

import { DatasourceError, PrometheusDatasource, type Series } from '../../src/datasource/index.js';
import {
  freePort,
  requireOrSkip,
  startPrometheus,
  type Point,
  type PrometheusInstance,
  type SeriesSpec,
} from '../integration/support/prometheus.js';

const SEC = 1000;
const MIN = 60 * SEC;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const STEP = 10 * SEC;

// History: 50h of data at 10s ending a minute ago, on the 10s grid.
const END = Math.floor(Date.now() / STEP) * STEP - MIN;
const START = END - 50 * HOUR;

function every(from: number, to: number, interval: number, value: (t: number, i: number) => number): Point[] {
  const out: Point[] = [];
  for (let t = from, i = 0; t <= to; t += interval, i++) out.push([t, value(t, i)]);
  return out;
}

// `early` and `late` sit 5s off the grid so no query time meets the lookback edge.
const DATA: Record<string, Point[]> = {
  dense: every(START, END, STEP, (_, i) => i),
  sparse: every(START, END, MIN, (_, i) => i * 0.25),
  early: every(START + 5 * SEC, START + 12 * HOUR + 5 * SEC, STEP, (_, i) => -i),
  late: every(END - 6 * HOUR + 5 * SEC, END, STEP, (_, i) => 1e6 + i),
};
const SPECIAL_AT = START + HOUR;

const series: SeriesSpec[] = [
  ...Object.entries(DATA).map(([name, samples]) => ({ metric: 'vigil_test_gauge', labels: { series: name }, samples })),
  { metric: 'vigil_test_special', labels: { kind: 'nan' }, samples: [[SPECIAL_AT, NaN]] },
  { metric: 'vigil_test_special', labels: { kind: 'inf' }, samples: [[SPECIAL_AT, Infinity]] },
  { metric: 'vigil_test_special', labels: { kind: 'ninf' }, samples: [[SPECIAL_AT, -Infinity]] },
  { metric: 'vigil_test_dup', labels: { a: '1' }, samples: [[SPECIAL_AT, 1]] },
  { metric: 'vigil_test_dup', labels: { a: '2' }, samples: [[SPECIAL_AT, 2]] },
];

/** What Prometheus answers for the selector at t: the newest sample in [t-5m, t]. */
function expectedAt(points: Point[], t: number): number | undefined {
  let lo = 0;
  let hi = points.length; // first index with time > t
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (points[mid][0] <= t) lo = mid + 1;
    else hi = mid;
  }
  const newest = points[lo - 1];
  return newest && newest[0] >= t - 5 * MIN ? newest[1] : undefined;
}

function expectedRange(start: number, end: number, step: number): Series[] {
  const out: Series[] = [];
  for (const name of Object.keys(DATA).sort()) {
    const points: [number, number][] = [];
    for (let t = start; t <= end; t += step) {
      const v = expectedAt(DATA[name], t);
      if (v !== undefined) points.push([t, v]);
    }
    if (points.length > 0) out.push({ metric: { __name__: 'vigil_test_gauge', series: name }, points });
  }
  return out;
}

function collectingLogger() {
  const lines: { obj: any; msg: string }[] = [];
  return { lines, warn: (obj: object, msg: string) => void lines.push({ obj, msg }) };
}

const describeProm = requireOrSkip('PrometheusDatasource against a real Prometheus') ? describe : describe.skip;

describeProm('PrometheusDatasource against Prometheus', () => {
  let prom: PrometheusInstance;
  let ds: PrometheusDatasource;
  let remoteReadPort: number;

  beforeAll(async () => {
    remoteReadPort = await freePort();
    prom = await startPrometheus({
      series,
      // A remote read endpoint that refuses connections turns into a warning, only for selectors with remote="yes".
      config: {
        remote_read: [{ url: `http://127.0.0.1:${remoteReadPort}/read`, read_recent: true, required_matchers: { remote: 'yes' } }],
      },
    });
    ds = new PrometheusDatasource({ url: prom.url, timeoutMs: 10_000 });
  });
  afterAll(async () => {
    ds?.close();
    await prom?.stop();
  });

  /** Prometheus' own answer to one unsplit range query, read without the datasource. */
  async function rawRange(expr: string, start: number, end: number, step: number): Promise<Series[]> {
    const body = new URLSearchParams({ query: expr, start: String(start / 1000), end: String(end / 1000), step: String(step / 1000) });
    const res = await fetch(`${prom.url}/api/v1/query_range`, { method: 'POST', body });
    const json = (await res.json()) as any;
    expect(json.status).toBe('success');
    return json.data.result.map((r: any) => ({
      metric: r.metric,
      points: r.values.map(([t, v]: [number, string]) => [Math.round(t * 1000), Number(v)]),
    }));
  }

  describe('instant queries', () => {
    const T = START + 1000 * STEP;

    test('vector: exact values and labels at a past time', async () => {
      const r = await ds.instantQuery('vigil_test_gauge{series=~"dense|sparse"}', T + 1);
      expect(r.warnings).toEqual([]);
      expect(r.value).toEqual({
        resultType: 'vector',
        samples: [
          { metric: { __name__: 'vigil_test_gauge', series: 'dense' }, value: 1000 },
          { metric: { __name__: 'vigil_test_gauge', series: 'sparse' }, value: expectedAt(DATA.sparse, T) },
        ],
      });
    });

    test('scalar, string and matrix results', async () => {
      expect((await ds.instantQuery('scalar(vigil_test_gauge{series="dense"}) * 2', T)).value).toEqual({ resultType: 'scalar', value: 2000 });
      expect((await ds.instantQuery('"hello, vigil"', T)).value).toEqual({ resultType: 'string', value: 'hello, vigil' });
      const m = await ds.instantQuery('vigil_test_gauge{series="dense"}[1m]', T + 5 * SEC);
      expect(m.value).toEqual({
        resultType: 'matrix',
        series: [{ metric: { __name__: 'vigil_test_gauge', series: 'dense' }, points: [995, 996, 997, 998, 999, 1000].map((i) => [START + i * STEP, i]) }],
      });
    });

    test('NaN, +Inf and -Inf come back as JavaScript numbers', async () => {
      const r = await ds.instantQuery('vigil_test_special', SPECIAL_AT);
      const byKind = Object.fromEntries(
        (r.value.resultType === 'vector' ? r.value.samples : []).map((s) => [s.metric.kind, s.value]),
      );
      expect(byKind).toEqual({ nan: NaN, inf: Infinity, ninf: -Infinity });
      expect((await ds.instantQuery('-1/0', SPECIAL_AT)).value).toEqual({ resultType: 'scalar', value: -Infinity });
      const nan = await ds.instantQuery('0/0', SPECIAL_AT);
      expect(nan.value.resultType === 'scalar' && Number.isNaN(nan.value.value)).toBe(true);
    });

    test('an empty result is an empty vector, not an error', async () => {
      const r = await ds.instantQuery('vigil_test_gauge{series="none"}', T);
      expect(r.value).toEqual({ resultType: 'vector', samples: [] });
    });

    test('an expression longer than any URL limit goes through (POST)', async () => {
      const long = 'x'.repeat(1_200_000); // Go's default header limit is 1 MiB
      const r = await ds.instantQuery(`vigil_test_gauge{series="dense", series!="${long}"}`, T);
      expect(r.value).toEqual({ resultType: 'vector', samples: [{ metric: { __name__: 'vigil_test_gauge', series: 'dense' }, value: 1000 }] });
    });
  });

  describe('range queries', () => {
    const Q0 = START + HOUR;
    const Q1 = Q0 + 2 * DAY; // 17,281 points at 10s: Prometheus alone refuses it

    test('Prometheus itself refuses the 2-day, 10s range (so splitting is needed)', async () => {
      const body = new URLSearchParams({ query: 'vigil_test_gauge', start: String(Q0 / 1000), end: String(Q1 / 1000), step: '10' });
      const res = await fetch(`${prom.url}/api/v1/query_range`, { method: 'POST', body });
      expect(res.status).toBe(400);
      expect(await res.text()).toContain('exceeded maximum resolution of 11,000 points per timeseries');
    });

    test('2 days at 10s is split, merged, and equals the data point for point', async () => {
      const r = await ds.rangeQuery('vigil_test_gauge', Q0, Q1, STEP);
      expect(r.warnings).toEqual([]);
      expect(r.series.map((s) => [s.metric.series, s.points.length])).toEqual([
        ['dense', 17_281],
        ['early', (11 * HOUR + 5 * MIN) / STEP + 1], // Q0 .. its last sample + 5m lookback
        ['late', (5 * HOUR) / STEP], // its first sample + 5s .. Q1 = END - 1h
        ['sparse', 17_281],
      ]);
      expect(r.series).toEqual(expectedRange(Q0, Q1, STEP));
    });

    test('the merged answer equals unsplit queries over sub-ranges, including across the seam', async () => {
      const merged = await ds.rangeQuery('vigil_test_gauge', Q0, Q1, STEP);
      const seam = Q0 + 11_000 * STEP;
      for (const [from, to] of [
        [Q0, Q0 + 10_999 * STEP],
        [seam - 50 * STEP, seam + 50 * STEP],
        [Q1 - 10_000 * STEP, Q1],
      ]) {
        const unsplit = await rawRange('vigil_test_gauge', from, to, STEP);
        const slice = merged.series
          .map((s) => ({ metric: s.metric, points: s.points.filter(([t]) => t >= from && t <= to) }))
          .filter((s) => s.points.length > 0);
        expect(slice).toEqual(unsplit);
      }
    });

    test('an end off the step grid, tiny chunks and odd steps give what one query gives', async () => {
      const small = new PrometheusDatasource({ url: prom.url, maxPointsPerChunk: 7, rangeConcurrency: 3 });
      try {
        const start = Q0 + 123;
        const end = start + 100 * 7_000 + 4_321;
        const split = await small.rangeQuery('vigil_test_gauge{series=~"dense|sparse"} * 2', start, end, 7_000);
        expect(split.series).toEqual(await rawRange('vigil_test_gauge{series=~"dense|sparse"} * 2', start, end, 7_000));
        expect(split.series[0].points).toHaveLength(101);
      } finally {
        small.close();
      }
    });
  });

  describe('errors and warnings', () => {
    test("a bad query is a 'query' error quoting Prometheus", async () => {
      const err = await ds.instantQuery('sum(rate(vigil_test_gauge[5m])', END).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DatasourceError);
      expect(err).toMatchObject({ kind: 'query', status: 400 });
      expect((err as Error).message).toBe(
        `Prometheus at ${prom.url} rejected the query (bad_data): invalid parameter "query": 1:31: parse error: unclosed left parenthesis`,
      );
    });

    test("an execution error (422) is a 'query' error too", async () => {
      const err = await ds.instantQuery('vector(1) + on() vigil_test_dup', SPECIAL_AT).catch((e: unknown) => e);
      expect(err).toMatchObject({ kind: 'query', status: 422 });
      expect((err as Error).message).toMatch(/^Prometheus at .* rejected the query \(execution\): found duplicate series for the match group/);
    });

    test('range-query mistakes are refused before asking', async () => {
      await expect(ds.rangeQuery('up', 2000, 1000, 1000)).rejects.toMatchObject({ kind: 'query', message: expect.stringContaining('before its start') });
      await expect(ds.rangeQuery('up', 1000, 2000, 0)).rejects.toMatchObject({ kind: 'query' });
    });

    test('Prometheus warnings are returned and logged', async () => {
      const logger = collectingLogger();
      const warned = new PrometheusDatasource({ url: prom.url, logger });
      try {
        const r = await warned.instantQuery('vigil_test_gauge{remote="yes"}', END);
        expect(r.warnings).toHaveLength(1);
        expect(r.warnings[0]).toMatch(/^remote_read: error sending request: .*connection refused/);
        expect(logger.lines).toEqual([
          { obj: { datasource: prom.url, query: 'vigil_test_gauge{remote="yes"}', warnings: r.warnings }, msg: 'Prometheus answered with warnings' },
        ]);
        const range = await warned.rangeQuery('vigil_test_gauge{remote="yes"}', Q(0), Q(30_000), STEP);
        expect(range.warnings).toEqual(r.warnings); // one per distinct text, not one per chunk
      } finally {
        warned.close();
      }
    });

    test("a stopped Prometheus is 'unavailable' after the retries", async () => {
      const gone = await startPrometheus();
      await gone.stop();
      const logger = collectingLogger();
      const down = new PrometheusDatasource({ url: gone.url, retries: 2, retryBaseDelayMs: 20, logger });
      const err = await down.instantQuery('up', END).catch((e: unknown) => e);
      expect(err).toMatchObject({ kind: 'unavailable', status: undefined });
      expect((err as Error).message).toBe(
        `Prometheus at ${gone.url} is unreachable: connect ECONNREFUSED 127.0.0.1:${gone.port} (gave up after 3 attempts)`,
      );
      expect(logger.lines.map((l) => l.msg)).toEqual(['Prometheus query failed; retrying', 'Prometheus query failed; retrying']);
      down.close();
    });
  });

  function Q(stepsFromQ0: number): number {
    return START + HOUR + stepsFromQ0 * STEP;
  }
});
