import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { instantQuery, rangeQuery, type Queryable, type SeriesData, type SeriesMatcher } from '../../src/promql/index.js';
import { Head, MemoryStore, TSDB } from '../../src/tsdb/index.js';
import { scratchDir } from '../support/scratch.js';
import { appendAll, randomSamples, rng, T0 } from './support/random.js';

const quiet = { info: () => {}, warn: () => {} };
const plain = (s: SeriesData) => ({
  labels: { ...s.labels },
  t: [...s.timestamps],
  v: [...s.values].map((v) => (Object.is(v, -0) ? '-0' : Number.isNaN(v) ? 'NaN' : v)),
  stale: s.stale ? [...s.stale].flatMap((x, i) => (x ? [i] : [])) : [],
});

async function both(seed: number, series: number, hours: number) {
  const samples = randomSamples(seed, series, hours);
  const mem = new MemoryStore();
  await appendAll(() => mem.appender(), samples);
  const db = await TSDB.open(await scratchDir(join(tmpdir(), 'vigil-head-')), { logger: quiet, checkpointIntervalMs: 0 });
  await appendAll(() => db.appender(), samples);
  return { mem, db, samples };
}

describe('TSDB head against MemoryStore on the same random data', () => {
  let mem: MemoryStore;
  let db: TSDB;
  beforeAll(async () => {
    ({ mem, db } = await both(11, 60, 6));
  });
  afterAll(() => db.close());

  const cases: [string, SeriesMatcher[]][] = [
    ['one metric', [{ type: '=', name: '__name__', value: 'agent_requests_total' }]],
    ['regex and negation', [{ type: '=~', name: '__name__', value: 'agent_.*' }, { type: '!=', name: 'job', value: 'web' }]],
    ['absent label as empty', [{ type: '=', name: 'status', value: '' }]],
    ['not-regex only', [{ type: '!~', name: 'job', value: 'api|batch' }]],
    ['nothing', [{ type: '=', name: 'job', value: 'nope' }]],
  ];

  test.each(cases)('select %s returns the same series, samples, NaNs and staleness markers in every range', (_, matchers) => {
    const r = rng(5);
    const ranges = [[0, Infinity], [T0, T0 + 3600_000], [T0 + 7_777_777, T0 + 7_777_777 + 300_000], [T0 + 6 * 3600_000 - 1, T0 + 9e9]];
    for (let i = 0; i < 10; i++) {
      const a = T0 + Math.floor(r() * 6 * 3600_000);
      ranges.push([a, a + Math.floor(r() * 3 * 3600_000)]);
    }
    for (const [mint, maxt] of ranges) {
      const want = mem.select(matchers, mint, maxt).map(plain);
      const got = db.select(matchers, mint, maxt).map(plain);
      expect(got).toEqual(want);
    }
  });

  test('series, label names and label values come from the index and agree with select', () => {
    const name = { type: '=~' as const, name: '__name__', value: 'agent_.*' };
    const labelsOf = (from: number, to: number) => mem.select([name], from, to).map((s) => ({ ...s.labels }));
    expect(db.selectLabels([name]).map((l) => ({ ...l }))).toEqual(labelsOf(-Infinity, Infinity));
    // A range: every series with a sample in it is listed (whole chunks decide, so a few more may be).
    const inRange = labelsOf(T0 + 3600_000, T0 + 3700_000);
    const listed = db.selectLabels([name], T0 + 3600_000, T0 + 3700_000).map((l) => ({ ...l }));
    expect(listed).toEqual(expect.arrayContaining(inRange));
    expect(listed.length).toBeLessThanOrEqual(labelsOf(T0 + 3600_000 - 2 * 3600_000, T0 + 3700_000 + 2 * 3600_000).length);
    expect(db.labelNames()).toEqual(['__name__', 'instance', 'job', 'status']);
    expect(db.labelValues('job')).toEqual(['api', 'batch', 'web']);
    expect(db.labelValues('__name__', [{ type: '=', name: 'job', value: 'web' }])).toEqual(
      [...new Set(mem.select([{ type: '=', name: 'job', value: 'web' }], -Infinity, Infinity).map((s) => s.labels.__name__))].sort(),
    );
    expect(db.labelNames([{ type: '=', name: '__name__', value: 'up' }, { type: '=', name: 'status', value: '' }])).toEqual(['__name__', 'instance', 'job']);
    expect(db.labelValues('nope')).toEqual([]);
  });

  test('the data is compressed: under a third of the 16 bytes of MemoryStore a sample even on random values', () => {
    const st = db.stats();
    expect(st.samples).toBe(mem.stats().samples);
    expect(st.series).toBe(60);
    // Random fractions and NaN/Inf flips are the worst case; fleet counters take ~1.2 B (bench/tsdb-memory.mjs).
    expect(st.chunkBytes / st.samples).toBeLessThan(16 / 3);
  });
});

describe('the engine over the TSDB answers as over MemoryStore', () => {
  let mem: MemoryStore;
  let db: TSDB;
  beforeAll(async () => {
    ({ mem, db } = await both(23, 40, 4));
  });
  afterAll(() => db.close());

  const exprs = [
    'agent_requests_total',
    'rate(agent_requests_total[5m])',
    'sum by (job) (rate(agent_tokens_consumed_total[10m]))',
    'queue_depth > 0.5',
    'count_over_time(up[30m])',
    'last_over_time(queue_depth[1h] offset 30m)',
    'max_over_time(agent_requests_total[2h:1m])',
  ];
  test.each(exprs)('%s, instant and range', (expr) => {
    const run = (q: Queryable) => ({
      instant: [T0 + 3600_000, T0 + 2 * 3600_000 + 7_000, T0 + 4 * 3600_000].map((t) => instantQuery(q, expr, t)),
      range: rangeQuery(q, expr, T0, T0 + 4 * 3600_000, 60_000),
    });
    expect(JSON.stringify(run(db))).toEqual(JSON.stringify(run(mem)));
  });
});

describe('appending', () => {
  let db: TSDB;
  beforeEach(async () => {
    db = await TSDB.open(await mkdtemp(join(tmpdir(), 'vigil-append-')), { logger: quiet, checkpointIntervalMs: 0 });
  });
  afterEach(() => db.close());
  const sel = (name: string) => db.select([{ type: '=', name: '__name__', value: name }], 0, Infinity).map(plain);

  test('out-of-order and duplicate samples are rejected one by one; the rest of the batch lands', async () => {
    const a = db.appender();
    a.append({ __name__: 'x' }, 1000, 1);
    a.append({ __name__: 'x' }, 2000, 2);
    a.append({ __name__: 'x' }, 1500, 9); // out of order
    a.append({ __name__: 'x' }, 2000, 2); // same time, same value: nothing to do
    a.append({ __name__: 'x' }, 2000, 3); // duplicate sample for timestamp
    a.append({ __name__: 'y' }, 500, 7);
    expect(await a.commit()).toEqual({ appended: 3, outOfOrder: 1, duplicate: 1 });
    expect(sel('x')).toEqual([{ labels: { __name__: 'x' }, t: [1000, 2000], v: [1, 2], stale: [] }]);
    expect(sel('y')[0].v).toEqual([7]);
    const b = db.appender();
    b.append({ __name__: 'x' }, 1999, 1);
    b.markStale({ __name__: 'x' }, 3000);
    b.markStale({ __name__: 'x' }, 3000); // a repeated marker is the same value
    await b.commit();
    expect(b.lastCommit).toEqual({ appended: 1, outOfOrder: 1, duplicate: 0 });
    expect(sel('x')[0].stale).toEqual([2]);
    expect(db.stats()).toMatchObject({ series: 2, samples: 4, samplesAppended: 4, outOfOrderRejected: 2, duplicateRejected: 1 });
  });

  test('nothing is visible before commit, and rollback drops the batch', async () => {
    const a = db.appender();
    a.append({ __name__: 'z', job: 'a' }, 1000, 1);
    expect(sel('z')).toEqual([]);
    a.rollback();
    await a.commit();
    expect(sel('z')).toEqual([]);
  });

  test('a staleness-marker NaN given as a value is a staleness marker; a plain NaN is a value', async () => {
    const a = db.appender();
    const buf = Buffer.alloc(8);
    buf.writeUInt32BE(0x7ff00000, 0);
    buf.writeUInt32BE(2, 4);
    a.append({ __name__: 'w' }, 1000, NaN);
    a.append({ __name__: 'w' }, 2000, buf.readDoubleBE(0)); // as remote write decodes it
    await a.commit();
    expect(sel('w')[0].stale).toEqual([1]);
    expect(() => a.append({ __name__: 'w' }, NaN, 1)).toThrow('not a finite number');
  });
});

describe('a scrape loop passes the same frozen labels every scrape', () => {
  test('its series is found without a lookup, and found again after retention removed it', () => {
    const head = new Head();
    const labels = Object.freeze({ __name__: 'up', job: 'agents' });
    const first = head.getOrCreate(labels);
    expect(head.getOrCreate(labels)).toBe(first);
    expect(head.getOrCreate({ ...labels })).toBe(first); // an equal, unfrozen object: by hash
    head.append(first, 1_000, 1, false);
    expect(head.truncateBefore(2_000)).toBe(1);
    const again = head.getOrCreate(labels);
    expect(again).not.toBe(first);
    head.append(again, 3_000, 2, false);
    const [s] = head.select([{ type: '=', name: 'job', value: 'agents' }], 0, 10_000);
    expect([...s.timestamps]).toEqual([3_000]);
  });
});

describe('the rules ask the same selectors every minute', () => {
  test('a selector asked again sees series created and removed since, in label order, with and without staleness markers', async () => {
    const db = await TSDB.open(await mkdtemp(join(tmpdir(), 'vigil-select-again-')), { logger: quiet, checkpointIntervalMs: 0 });
    try {
      const sel = (mint: number, maxt: number) =>
        db.select([{ type: '=', name: '__name__', value: 'calls' }, { type: '!=', name: 'tool', value: 'mail' }], mint, maxt).map(plain);
      const a = db.appender();
      a.append({ __name__: 'calls', tool: 'web' }, 1_000, 1);
      a.append({ __name__: 'calls', tool: 'mail' }, 1_000, 1);
      await a.commit();
      expect(sel(0, 10_000).map((s) => s.labels.tool)).toEqual(['web']);
      const b = db.appender();
      b.append({ __name__: 'calls', tool: 'code' }, 2_500, 5);
      b.markStale({ __name__: 'calls', tool: 'web' }, 2_000);
      await b.commit();
      expect(sel(0, 10_000)).toEqual([
        { labels: { __name__: 'calls', tool: 'code' }, t: [2_500], v: [5], stale: [] },
        { labels: { __name__: 'calls', tool: 'web' }, t: [1_000, 2_000], v: [1, 'NaN'], stale: [1] },
      ]);
      // a time range outside a series' samples leaves it out, though it matches
      expect(sel(1_500, 10_000).map((s) => s.labels.tool)).toEqual(['code', 'web']);
      expect(sel(0, 1_500).map((s) => s.labels.tool)).toEqual(['web']);
      // retention drops "web" and "mail" (their newest samples are older than the cutoff): gone from the answer
      expect(db.head.truncateBefore(2_001)).toBe(2);
      const c = db.appender();
      c.append({ __name__: 'calls', tool: 'code' }, 3_000, 6);
      c.append({ __name__: 'calls', tool: 'api' }, 3_000, 1);
      await c.commit();
      expect(sel(0, 10_000).map((s) => [s.labels.tool, s.t])).toEqual([['api', [3_000]], ['code', [2_500, 3_000]]]);
    } finally {
      await db.close();
    }
  });
});

describe('a scrape loop keeps the handle appendHandle() returned', () => {
  test('the handle appends without a lookup, and after retention removed its series the sample lands in a new one', async () => {
    const db = await TSDB.open(await mkdtemp(join(tmpdir(), 'vigil-handle-')), { logger: quiet, checkpointIntervalMs: 0 });
    try {
      const labels = Object.freeze({ __name__: 'up', job: 'agents' });
      const a = db.appender();
      const h1 = a.appendHandle(labels, undefined, 1_000, 1);
      await a.commit();
      const b = db.appender();
      expect(b.appendHandle(labels, h1, 2_000, 1)).toBe(h1);
      await b.commit();
      expect(db.head.truncateBefore(3_000)).toBe(1);
      const c = db.appender();
      const h2 = c.appendHandle(labels, h1, 4_000, 0);
      await c.commit();
      expect(h2).not.toBe(h1);
      expect(db.select([{ type: '=', name: 'job', value: 'agents' }], 0, 10_000).map(plain)).toEqual([{ labels, t: [4_000], v: [0], stale: [] }]);
    } finally {
      await db.close();
    }
  });
});
