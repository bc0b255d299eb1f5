import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SeriesData, SeriesMatcher } from '../../src/promql/index.js';
import {
  appendSequence,
  expandSeriesValues,
  loadOpenMetrics,
  loadOpenMetricsFile,
  MemoryStore,
  parseSeriesLine,
  parseSeriesSelector,
} from '../../src/tsdb/index.js';

const eq = (name: string, value: string): SeriesMatcher => ({ type: '=', name, value });
const plain = (s: SeriesData) => ({ labels: { ...s.labels }, t: [...s.timestamps], v: [...s.values], stale: s.stale && [...s.stale] });

describe('expanding notation (promtool input_series, promqltest load)', () => {
  const values = (text: string) => expandSeriesValues(text).map((v) => (v.omitted ? '_' : v.stale ? 'stale' : v.value));

  test('a+bxn and a-bxn are n+1 values, axn repeats a n+1 times', () => {
    expect(values('-2+4x3')).toEqual([-2, 2, 6, 10]);
    expect(values(' 1-2x4')).toEqual([1, -1, -3, -5, -7]);
    expect(values('1x4')).toEqual([1, 1, 1, 1, 1]);
    // 0x10 is 0 repeated, not hex (promqltest's `{} 0x59 60 60`)
    expect(values('0x2 60')).toEqual([0, 0, 0, 60]);
    expect(values('1e3+1e-1x1 -1e+2')).toEqual([1000, 1000.1, -100]);
  });

  test('_ is a gap, _xn is n gaps, stale is a staleness marker', () => {
    expect(values('1 _x3 stale')).toEqual([1, '_', '_', '_', 'stale']);
    expect(values('0 1 _ 4')).toEqual([0, 1, '_', 4]);
  });

  test('Inf, -Inf, NaN in any case; increments accumulate as Prometheus adds them', () => {
    expect(values('Inf -Inf +Inf inf')).toEqual([Infinity, -Infinity, Infinity, Infinity]);
    expect(values('NaN nan')).toEqual([NaN, NaN]);
    expect(values('0.1+0.1x2')).toEqual([0.1, 0.2, 0.1 + 0.1 + 0.1]);
  });

  test('unreadable items are refused with the item named', () => {
    expect(() => expandSeriesValues('1 2 three')).toThrow('cannot read "three"');
    expect(() => expandSeriesValues('_+1x3')).toThrow('cannot increment');
    expect(() => expandSeriesValues('{{schema:0 sum:1 count:1}}')).toThrow('native histogram samples');
  });

  test('series lines and selectors: names, quoted values with escapes, {__name__=...}, {} for expected results', () => {
    expect(parseSeriesLine('http_requests{job="api", instance="0",} 0+10x2')).toEqual({
      labels: { __name__: 'http_requests', job: 'api', instance: '0' },
      values: [{ value: 0 }, { value: 10 }, { value: 20 }],
    });
    expect(parseSeriesSelector(`{__name__="up", a='x\\ny', b=\`raw\\n\`, c=""}`)).toEqual({ __name__: 'up', a: 'x\ny', b: 'raw\\n' });
    expect(parseSeriesLine('{} 1', { requireName: false }).labels).toEqual({});
    expect(parseSeriesLine('{"my.metric", a="b"} 1').labels).toEqual({ __name__: 'my.metric', a: 'b' });
    expect(() => parseSeriesSelector('{job="x"}')).toThrow('no metric name');
    expect(() => parseSeriesSelector('up{job=~"x"}')).toThrow('only = matchers');
    expect(() => parseSeriesSelector('up{job="x"')).toThrow('expected "," or "}"');
    expect(() => parseSeriesSelector('up{job="x}')).toThrow('unterminated');
  });
});

describe('MemoryStore', () => {
  function store() {
    const s = new MemoryStore();
    const at = { startMs: 0, intervalMs: 60_000 };
    appendSequence(s, { __name__: 'req', job: 'api', status: 'ok' }, expandSeriesValues('1+1x4'), at);
    appendSequence(s, { __name__: 'req', job: 'api', status: 'failure' }, expandSeriesValues('0 _ 2 stale'), at);
    appendSequence(s, { __name__: 'req', job: 'web' }, expandSeriesValues('5x4'), at);
    appendSequence(s, { __name__: 'up', job: 'api' }, expandSeriesValues('1'), { startMs: 600_000, intervalMs: 1 });
    return s;
  }
  const names = (data: SeriesData[]) => data.map((d) => `${d.labels.__name__}/${d.labels.job}/${d.labels.status ?? ''}`).sort();

  test('selects by all four matcher kinds; an absent label matches the empty string', () => {
    const s = store();
    expect(names(s.select([eq('__name__', 'req')], 0, 1e9))).toEqual(['req/api/failure', 'req/api/ok', 'req/web/']);
    expect(names(s.select([eq('__name__', 'req'), { type: '!=', name: 'status', value: 'ok' }], 0, 1e9))).toEqual(['req/api/failure', 'req/web/']);
    expect(names(s.select([{ type: '=~', name: 'job', value: 'a.*' }], 0, 1e9))).toEqual(['req/api/failure', 'req/api/ok', 'up/api/']);
    expect(names(s.select([{ type: '=~', name: '__name__', value: 'req|up' }, { type: '!~', name: 'job', value: 'api' }], 0, 1e9))).toEqual(['req/web/']);
    expect(names(s.select([eq('__name__', 'req'), eq('status', '')], 0, 1e9))).toEqual(['req/web/']);
    // regexes are anchored as Prometheus anchors them
    expect(names(s.select([{ type: '=~', name: 'job', value: 'ap' }], 0, 1e9))).toEqual([]);
    expect(s.select([eq('__name__', 'nope')], 0, 1e9)).toEqual([]);
  });

  test('returns samples in [mint, maxt], typed arrays, staleness markers as NaN with a flag', () => {
    const s = store();
    const [ok] = s.select([eq('status', 'ok')], 60_000, 180_000);
    expect(ok.timestamps).toBeInstanceOf(Float64Array);
    expect(plain(ok)).toEqual({ labels: { __name__: 'req', job: 'api', status: 'ok' }, t: [60_000, 120_000, 180_000], v: [2, 3, 4], stale: undefined });
    const [failure] = s.select([eq('status', 'failure')], 0, 1e9);
    expect(plain(failure)).toEqual({ labels: { __name__: 'req', job: 'api', status: 'failure' }, t: [0, 120_000, 180_000], v: [0, 2, NaN], stale: [0, 0, 1] });
    // a series with no sample in the range is not selected
    expect(s.select([eq('__name__', 'up')], 0, 599_999)).toEqual([]);
  });

  test('appends out of order go to their place, a repeated time overwrites; clear() empties it', () => {
    const s = new MemoryStore();
    const ref = s.seriesRef({ __name__: 'g', a: '' });
    for (const t of [5, 1, 3, 9, 3]) s.append(ref, t, t * 10);
    s.append(ref, 7, 0, true);
    expect(plain(s.select([eq('__name__', 'g')], 0, 100)[0])).toEqual({ labels: { __name__: 'g' }, t: [1, 3, 5, 7, 9], v: [10, 30, 50, NaN, 90], stale: [0, 0, 0, 1, 0] });
    expect(s.seriesRef({ __name__: 'g' })).toBe(ref);
    expect(s.stats()).toMatchObject({ series: 1, samples: 5 });
    s.clear();
    expect(s.select([eq('__name__', 'g')], 0, 100)).toEqual([]);
  });

  test('a thousand series grow their arrays without losing samples', () => {
    const s = new MemoryStore();
    for (let i = 0; i < 1000; i++) appendSequence(s, { __name__: 'm', i: String(i) }, expandSeriesValues(`${i}+1x99`), { startMs: 0, intervalMs: 15_000 });
    const all = s.select([eq('__name__', 'm')], 0, 1e9);
    expect(all).toHaveLength(1000);
    expect(all.every((d) => d.values.length === 100 && d.values[99] === Number(d.labels.i) + 99)).toBe(true);
    expect(s.stats()).toMatchObject({ series: 1000, samples: 100_000 });
  });
});

describe('OpenMetrics loader (what promtool tsdb create-blocks-from openmetrics reads)', () => {
  const text = [
    '# HELP agent_requests Requests.',
    '# TYPE agent_requests counter',
    'agent_requests_total{agent="a\\"\\\\\\nb",status="ok"} 1 1.500',
    'agent_requests_total{agent="a\\"\\\\\\nb",status="ok"} 2 2.000 # {trace_id="x"} 1 2.0',
    'agent_requests_total{status="failure"} 0 1',
    '# TYPE temp gauge',
    'temp -Inf 1.001',
    'temp NaN 1.002',
    'temp +Inf 1.003',
    '# EOF',
    '',
  ].join('\n');

  test('reads samples with timestamps in seconds, escaped label values and exemplars', () => {
    const s = new MemoryStore();
    expect(loadOpenMetrics(s, text)).toEqual({ series: 3, samples: 6, minTime: 1000, maxTime: 2000 });
    expect(plain(s.select([eq('status', 'ok')], 0, 1e9)[0])).toEqual({ labels: { __name__: 'agent_requests_total', agent: 'a"\\\nb', status: 'ok' }, t: [1500, 2000], v: [1, 2], stale: undefined });
    expect(plain(s.select([eq('__name__', 'temp')], 0, 1e9)[0]).v).toEqual([-Infinity, NaN, Infinity]);
  });

  test('bad input names the file and line', () => {
    const load = (t: string) => () => loadOpenMetrics(new MemoryStore(), t, 'h.om');
    expect(load('up 1\n# EOF\n')).toThrow('h.om:1: no timestamp for up');
    expect(load('up one 1\n# EOF\n')).toThrow('h.om:1: "one" is not a number');
    expect(load('up 1 1\n')).toThrow('h.om:2: no "# EOF" at the end');
    expect(load('# TYPE up counter\nup{a="1" 1 1\n# EOF\n')).toThrow('h.om:2: unterminated label set');
    expect(load('up{a=1} 1 1\n# EOF\n')).toThrow('h.om:1: the value of label "a" is not quoted');
    expect(load('up 1 1\n# EOF\nup 2 2\n')).toThrow('h.om:3: content after "# EOF"');
    expect(load('# TYPE up countr\n# EOF\n')).toThrow('unknown metric type "countr"');
    expect(load('1up 1 1\n# EOF\n')).toThrow('"1up" is not a valid metric name');
  });

  test('streams a file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vigil-tsdb-'));
    try {
      const lines = ['# TYPE g gauge'];
      for (let i = 0; i < 50_000; i++) lines.push(`g{i="${i % 7}"} ${i} ${i * 15}`);
      await writeFile(join(dir, 'h.om'), lines.join('\n') + '\n# EOF\n');
      const s = new MemoryStore();
      expect(await loadOpenMetricsFile(s, join(dir, 'h.om'))).toEqual({ series: 7, samples: 50_000, minTime: 0, maxTime: 49_999 * 15_000 });
      expect(s.select([eq('i', '3')], 0, Infinity)[0].values.length).toBe(Math.ceil((50_000 - 3) / 7));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

test('select answers in label order, as Prometheus storage does, whatever the order of creation', () => {
  const s = new MemoryStore();
  for (const [job, inst] of [['b', '2'], ['a', '10'], ['b', '1'], ['a', '9']]) s.add({ __name__: 'up', job, instance: inst }, 0, 1);
  s.add({ __name__: 'up', job: 'a' }, 0, 1);
  const order = (d: SeriesData[]) => d.map((x) => `${x.labels.job}/${x.labels.instance ?? ''}`);
  // pairs sorted by name (__name__, instance, job) and compared in turn; values as strings, so 10 < 2
  expect(order(s.select([eq('__name__', 'up')], 0, 1))).toEqual(['b/1', 'a/10', 'b/2', 'a/9', 'a/']);
  s.add({ __name__: 'up', job: 'a', instance: '0' }, 0, 1);
  expect(order(s.select([{ type: '=~', name: 'job', value: 'a' }], 0, 1))).toEqual(['a/0', 'a/10', 'a/9', 'a/']);
});
