// The engine's API as the datasource and the commands use it, over a small array-backed Queryable.
import {
  compileRegex, formatFloat, formatPrometheusJSON, instantQuery, PromQLError, rangeQuery,
  type Queryable, type SeriesData, type SeriesMatcher,
} from '../../src/promql/index.js';

/** Series given as [labels, [[ms, value], …]]; NaN with stale=true is a staleness marker. */
class ArrayQueryable implements Queryable {
  selects = 0;
  constructor(private readonly data: { labels: Record<string, string>; samples: [number, number, boolean?][] }[]) {}

  select(matchers: readonly SeriesMatcher[], mint: number, maxt: number): SeriesData[] {
    this.selects++;
    const ok = (m: SeriesMatcher, v: string) => {
      switch (m.type) {
        case '=': return v === m.value;
        case '!=': return v !== m.value;
        case '=~': return compileRegex(m.value).test(v);
        case '!~': return !compileRegex(m.value).test(v);
      }
    };
    return this.data
      .filter((s) => matchers.every((m) => ok(m, s.labels[m.name] ?? '')))
      .filter((s) => s.samples.some(([t]) => t >= mint && t <= maxt))
      .map((s) => {
        const stale = s.samples.some(([, , st]) => st) ? Uint8Array.from(s.samples, ([, , st]) => (st ? 1 : 0)) : undefined;
        return {
          labels: s.labels,
          timestamps: Float64Array.from(s.samples, ([t]) => t),
          values: Float64Array.from(s.samples, ([, v, st]) => (st ? NaN : v)),
          ...(stale ? { stale } : {}),
        };
      });
  }
}

const counter = (labels: Record<string, string>, perMinute: number, minutes: number) => ({
  labels,
  samples: Array.from({ length: minutes + 1 }, (_, i) => [i * 60_000, i * perMinute] as [number, number]),
});

const store = new ArrayQueryable([
  counter({ __name__: 'agent_requests_total', agent_id: 'a', status: 'success' }, 60, 30),
  counter({ __name__: 'agent_requests_total', agent_id: 'a', status: 'failure' }, 6, 30),
  counter({ __name__: 'agent_requests_total', agent_id: 'b', status: 'success' }, 120, 30),
  { labels: { __name__: 'up', job: 'x' }, samples: [[0, 1], [60_000, 1], [120_000, NaN, true]] },
]);

const vectorOf = (r: ReturnType<typeof instantQuery>) => {
  if (r.value.type !== 'vector') throw new Error(`not a vector: ${r.value.type}`);
  return r.value.samples.map((s): [Record<string, string>, number] => [s.labels, s.value]);
};

describe('instant queries', () => {
  test('a failure ratio per agent, as the error-spike rule computes it', () => {
    const r = instantQuery(store,
      'sum by (agent_id) (rate(agent_requests_total{status="failure"}[5m])) / sum by (agent_id) (rate(agent_requests_total[5m]))',
      20 * 60_000);
    expect(vectorOf(r)).toEqual([[{ agent_id: 'a' }, 6 / 66]]);
  });

  test('a staleness marker ends a series before the lookback delta runs out', () => {
    expect(vectorOf(instantQuery(store, 'up', 90_000))).toEqual([[{ __name__: 'up', job: 'x' }, 1]]);
    expect(vectorOf(instantQuery(store, 'up', 150_000))).toEqual([]);
  });

  test('without a staleness marker a series is seen for 5 minutes after its last sample', () => {
    const t = 30 * 60_000;
    expect(vectorOf(instantQuery(store, 'agent_requests_total{agent_id="b"}', t + 299_999))).toHaveLength(1);
    expect(vectorOf(instantQuery(store, 'agent_requests_total{agent_id="b"}', t + 300_000))).toEqual([]);
    expect(vectorOf(instantQuery(store, 'agent_requests_total{agent_id="b"}', t + 400_000, { lookbackDeltaMs: 600_000 }))).toHaveLength(1);
  });

  test('windows leave out their start as in Prometheus 3, or include it as in 2.x (prometheus2)', () => {
    const t = 10 * 60_000;
    expect(vectorOf(instantQuery(store, 'count_over_time(agent_requests_total{agent_id="b"}[5m])', t))).toEqual([[{ agent_id: 'b', status: 'success' }, 5]]);
    expect(vectorOf(instantQuery(store, 'count_over_time(agent_requests_total{agent_id="b"}[5m])', t, { prometheus2: true }))).toEqual([[{ agent_id: 'b', status: 'success' }, 6]]);
    expect(vectorOf(instantQuery(store, 'count_over_time(agent_requests_total{agent_id="b"}[5m])', t, { closedWindows: true }))).toEqual([[{ agent_id: 'b', status: 'success' }, 6]]);
    const last = 30 * 60_000;
    expect(vectorOf(instantQuery(store, 'agent_requests_total{agent_id="b"}', last + 300_000, { prometheus2: true }))).toHaveLength(1);
    expect(vectorOf(instantQuery(store, 'sum_over_time(agent_requests_total{agent_id="b"}[2m:1m])', t, { prometheus2: true }))).toEqual([[{ agent_id: 'b', status: 'success' }, 8 * 120 + 9 * 120 + 10 * 120]]);
    expect(vectorOf(instantQuery(store, 'sum_over_time(agent_requests_total{agent_id="b"}[2m:1m])', t))).toEqual([[{ agent_id: 'b', status: 'success' }, 9 * 120 + 10 * 120]]);
  });

  test('arithmetic follows Go where JavaScript differs', () => {
    expect(formatPrometheusJSON(instantQuery(store, '1 ^ NaN', 0).value)).toEqual({ resultType: 'scalar', result: [0, '1'] });
    expect(formatPrometheusJSON(instantQuery(store, '(-1) ^ Inf', 0).value)).toEqual({ resultType: 'scalar', result: [0, '1'] });
    expect(formatPrometheusJSON(instantQuery(store, '-7 % 3', 0).value)).toEqual({ resultType: 'scalar', result: [0, '-1'] });
  });

  test('a parse error is bad_data and says where', () => {
    let err: unknown;
    try { instantQuery(store, 'sum(rate(x[5m])', 0); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(PromQLError);
    expect((err as PromQLError).kind).toBe('bad_data');
    expect((err as PromQLError).message).toMatch(/^1:\d+: parse error: /);
  });

  test('two series with one label set after dropping the name fail as in Prometheus', () => {
    const s = new ArrayQueryable([
      { labels: { __name__: 'm1', a: 'x' }, samples: [[0, 1]] },
      { labels: { __name__: 'm2', a: 'x' }, samples: [[0, 2]] },
    ]);
    expect(() => instantQuery(s, 'ceil({__name__=~"m1|m2"})', 0)).toThrow('vector cannot contain metrics with the same labelset');
    expect(() => instantQuery(s, '{__name__=~"m1|m2"} + on(a) {__name__="m1"}', 0))
      .toThrow('multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)');
  });

  test('the name is dropped where the value changes, as Prometheus\' server does, or at the end when asked', () => {
    const s = new ArrayQueryable([
      counter({ __name__: 'a_total', job: 'x' }, 60, 10),
      counter({ __name__: 'b_total', job: 'x' }, 120, 10),
    ]);
    const q = 'sum(rate({__name__=~"a_total|b_total"}[5m]))';
    expect(() => instantQuery(s, q, 600_000)).toThrow('vector cannot contain metrics with the same labelset');
    const r = instantQuery(s, q, 600_000, { delayedNameRemoval: true });
    expect(vectorOf(r)[0][1]).toBeCloseTo(3, 9);
  });

  test('a query that would hold too many points fails as Prometheus\' --query.max-samples does', () => {
    expect(() => instantQuery(store, 'max_over_time(up[1y:1s])', 60_000, { maxSamples: 1_000_000 }))
      .toThrow('query processing would load too many samples into memory in query execution');
    expect(() => rangeQuery(store, 'agent_requests_total', 0, 600_000, 1000, { maxSamples: 1000 }))
      .toThrow('query processing would load too many samples into memory in query execution');
  });

  test('a query past its timeout fails with Prometheus\' timeout error', () => {
    let err: unknown;
    try { instantQuery(store, 'sum(up)', 60_000, { timeoutMs: -1 }); } catch (e) { err = e; }
    expect((err as PromQLError).kind).toBe('timeout');
    expect((err as PromQLError).message).toBe('query timed out in expression evaluation');
  });

  test('native-histogram functions and experimental functions are refused with a reason', () => {
    expect(() => instantQuery(store, 'histogram_count(up)', 0)).toThrow(/native histograms/);
    expect(() => instantQuery(store, 'sort_by_label(up, "job")', 0)).toThrow(/experimental/);
  });

  test('stddev of one +Inf or NaN sample is NaN as in Prometheus 3, 0 as in 2.x', () => {
    const s = new ArrayQueryable([
      { labels: { __name__: 'g', k: 'a' }, samples: [[0, Infinity]] },
      { labels: { __name__: 'g', k: 'b' }, samples: [[0, NaN]] },
      { labels: { __name__: 'g', k: 'c' }, samples: [[0, 3]] },
    ]);
    expect(vectorOf(instantQuery(s, 'stddev by (k) (g)', 0))).toEqual([[{ k: 'a' }, NaN], [{ k: 'b' }, NaN], [{ k: 'c' }, 0]]);
    expect(vectorOf(instantQuery(s, 'stddev by (k) (g)', 0, { prometheus2: true }))).toEqual([[{ k: 'a' }, 0], [{ k: 'b' }, 0], [{ k: 'c' }, 0]]);
    expect(vectorOf(instantQuery(s, 'stdvar(g)', 0, { prometheus2: true }))[0][1]).toBeNaN();
  });

  test('topk among equal values keeps what Prometheus\' heap keeps', () => {
    const s = new ArrayQueryable([
      { labels: { __name__: 'g', k: 'a' }, samples: [[0, 1]] },
      { labels: { __name__: 'g', k: 'b' }, samples: [[0, 1]] },
      { labels: { __name__: 'g', k: 'c' }, samples: [[0, 2]] },
    ]);
    // The heap holds a, b with a at its root; c replaces the root.
    expect(vectorOf(instantQuery(s, 'topk(2, g)', 0)).map(([l]) => l.k)).toEqual(['c', 'b']);
  });

  test('label_replace uses RE2 syntax through compileRegex', () => {
    const r = instantQuery(store, 'label_replace(up, "j", "$1-$1", "job", "(.)")', 60_000);
    expect(vectorOf(r)).toEqual([[{ __name__: 'up', job: 'x', j: 'x-x' }, 1]]);
    expect(() => instantQuery(store, 'label_replace(up, "j", "$1", "job", "(?=x)")', 60_000)).toThrow(/invalid regular expression in label_replace/);
  });
});

describe('range queries', () => {
  test('the selector reads storage once for all steps, and the result is sorted by labels', () => {
    const s = new ArrayQueryable([
      counter({ __name__: 'c_total', k: 'b' }, 60, 60),
      counter({ __name__: 'c_total', k: 'a' }, 120, 60),
    ]);
    const r = rangeQuery(s, 'rate(c_total[5m])', 10 * 60_000, 60 * 60_000, 60_000);
    expect(s.selects).toBe(1);
    if (r.value.type !== 'matrix') throw new Error('not a matrix');
    expect(r.value.series.map((x) => x.labels)).toEqual([{ k: 'a' }, { k: 'b' }]);
    expect(r.value.series[0].timestamps).toHaveLength(51);
    expect(Array.from(r.value.series[1].values).every((v) => Math.abs(v - 1) < 1e-12)).toBe(true);
  });

  test('a subexpression written twice reads storage once', () => {
    const s = new ArrayQueryable([counter({ __name__: 'c_total', k: 'a' }, 60, 60)]);
    const r = rangeQuery(s, 'rate(c_total[5m]) / rate(c_total[5m]) + scalar(count(c_total))', 10 * 60_000, 20 * 60_000, 60_000);
    expect(s.selects).toBe(2);
    if (r.value.type !== 'matrix') throw new Error('not a matrix');
    expect(Array.from(r.value.series[0].values)).toEqual(new Array(11).fill(2));
  });

  test('increase over a long window counts a counter reset inside it', () => {
    // 0, 1, … 30, then a restart: 0, 1, … 29 (one sample a minute).
    const samples = Array.from({ length: 61 }, (_, k) => [k * 60_000, k <= 30 ? k : k - 31] as [number, number]);
    const s = new ArrayQueryable([{ labels: { __name__: 'c_total' }, samples }]);
    // (29 - 1 + 30) over the 3540s between the window's first and last samples, extrapolated by 60s to its start.
    const want = (58 * 3600) / 3540;
    const inst = instantQuery(s, 'increase(c_total[1h])', 3_600_000);
    expect(vectorOf(inst)[0][1]).toBeCloseTo(want, 9);
    const r = rangeQuery(s, 'increase(c_total[1h])', 3_540_000, 3_600_000, 60_000);
    if (r.value.type !== 'matrix') throw new Error('not a matrix');
    expect(r.value.series[0].values[1]).toBeCloseTo(want, 9);
  });

  test('rate extrapolation toward a counter\'s start follows 3.x, or 2.x with prometheus2', () => {
    // 10, 20, 30, 40 at 2m…5m: the window (0, 5m] starts 120s before the first sample, over the 66s threshold.
    const s = new ArrayQueryable([{ labels: { __name__: 'c_total' }, samples: [[120_000, 10], [180_000, 20], [240_000, 30], [300_000, 40]] }]);
    // 3.x: half an interval (30s) first, then the zero point (60s) does not shorten it: 30 * 210/180.
    expect(vectorOf(instantQuery(s, 'increase(c_total[5m])', 300_000))[0][1]).toBeCloseTo(35, 9);
    // 2.x: the zero point (60s) first, which is under the threshold: 30 * 240/180.
    expect(vectorOf(instantQuery(s, 'increase(c_total[5m])', 300_000, { prometheus2: true }))[0][1]).toBeCloseTo(40, 9);
  });

  test('a scalar becomes one series without labels; a range vector is refused', () => {
    const r = rangeQuery(store, 'time()', 0, 120_000, 60_000);
    expect(formatPrometheusJSON(r.value)).toEqual({ resultType: 'matrix', result: [{ metric: {}, values: [[0, '0'], [60, '60'], [120, '120']] }] });
    expect(() => rangeQuery(store, 'up[5m]', 0, 60_000, 60_000)).toThrow('invalid expression type "range vector" for range query, must be Scalar or instant Vector');
  });
});

describe('Prometheus API shapes and number formatting', () => {
  test('floats are written as Go strconv.FormatFloat(f, \'f\', -1, 64)', () => {
    expect([1, 0.1, 1e21, 1.5e-7, -2.5e22, Infinity, -Infinity, NaN, 123456789.125].map(formatFloat))
      .toEqual(['1', '0.1', '1000000000000000000000', '0.00000015', '-25000000000000000000000', '+Inf', '-Inf', 'NaN', '123456789.125']);
  });

  test('vector, scalar and string results have the /api/v1/query data shapes', () => {
    expect(formatPrometheusJSON(instantQuery(store, 'up', 61_500).value))
      .toEqual({ resultType: 'vector', result: [{ metric: { __name__: 'up', job: 'x' }, value: [61.5, '1'] }] });
    expect(formatPrometheusJSON(instantQuery(store, '1/3', 1000).value)).toEqual({ resultType: 'scalar', result: [1, '0.3333333333333333'] });
    expect(formatPrometheusJSON(instantQuery(store, '"hi"', 1000).value)).toEqual({ resultType: 'string', result: [1, 'hi'] });
  });
});
