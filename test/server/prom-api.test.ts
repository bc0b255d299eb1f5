/**
 * The query API's own rules, without a Prometheus to compare with (test/integration/prom-api.test.ts
 * compares every endpoint with Prometheus 2.42): Prometheus' time parsing, the 11,001 points it
 * allows, series deduplicated across match[], and the paths vanishing when there is no embedded storage.
 */
import type { Server } from 'node:http';
import express from 'express';
import type { Queryable } from '../../src/promql/index.js';
import { promQueryRoutes } from '../../src/server/index.js';
import { parsePromTime } from '../../src/server/prom-params.js';
import { MemoryStore } from '../../src/tsdb/index.js';
import { listening, urlOf } from '../support/listen.js';

describe('parsePromTime reads times as Prometheus does', () => {
  test.each([
    ['1700000000', 1_700_000_000_000],
    ['1700000000.5', 1_700_000_000_500],
    ['1.0625', 1063], // fractions round to the millisecond, halves away from zero (Go's math.Round)
    ['-1.0625', -1063],
    ['-1.5', -1500],
    ['1e3', 1_000_000],
    ['2023-11-14T22:13:20Z', 1_700_000_000_000],
    ['2023-11-14T22:13:20.123456789Z', 1_700_000_000_123], // RFC 3339 fractions are cut, not rounded
    ['2023-11-15T00:13:20.5+02:00', 1_700_000_000_500],
    ['2023-11-14T17:13:20-05:00', 1_700_000_000_000],
    ['-292273086-05-16T16:47:06Z', Number.MIN_SAFE_INTEGER], // Prometheus' MinTime and MaxTime, as client_golang sends them
    ['292277025-08-18T07:12:54.999999999Z', Number.MAX_SAFE_INTEGER],
  ])('%s', (text, ms) => {
    expect(parsePromTime(text)).toBe(ms);
  });

  test.each(['', 'now', '2023-02-30T00:00:00Z', '2023-11-14 22:13:20Z', '2023-11-14T22:13:20', '1e400', '0x10'])('refuses %j', (text) => {
    expect(parsePromTime(text)).toBeUndefined();
  });
});

describe('the query API over a store', () => {
  const store = new MemoryStore();
  for (let t = 0; t <= 600_000; t += 15_000) {
    store.add({ __name__: 'up', job: 'api', instance: 'a:1' }, t + 1, 1);
    store.add({ __name__: 'up', job: 'db', instance: 'b:1' }, t + 1, 0);
  }
  let current: Queryable | undefined = store;
  let server: Server;
  let base: string;

  beforeAll(async () => {
    const app = express();
    app.use(promQueryRoutes({ storage: () => current, engine: { timeoutMs: 10_000, maxSamples: 1_000_000 }, version: '0.1.0', maxRequestBytes: 1 << 16 }));
    app.use((_req, res) => void res.status(404).json({ status: 'error', errorType: 'not_found', error: 'no such endpoint' }));
    server = await listening(app);
    base = urlOf(server);
  });
  afterAll(() => new Promise((r) => server.close(r)));
  afterEach(() => (current = store));

  const get = async (path: string) => {
    const res = await fetch(base + path);
    return { status: res.status, body: (await res.json()) as { status: string; data: unknown; error?: string } };
  };

  test('a range query of exactly 11,000 intervals (11,001 points) runs; one more is refused', async () => {
    const ok = await get('/api/v1/query_range?query=vector(1)&start=0&end=11000&step=1');
    expect(ok.status).toBe(200);
    expect((ok.body.data as { result: { values: unknown[] }[] }).result[0].values).toHaveLength(11_001);
    const refused = await get('/api/v1/query_range?query=vector(1)&start=0&end=11001&step=1');
    expect(refused.status).toBe(400);
    expect(refused.body.error).toBe('exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)');
  });

  test('a series matched by two match[] is listed once, in label order', async () => {
    const r = await get(`/api/v1/series?match[]=up&match[]=${encodeURIComponent('up{job="api"}')}`);
    expect(r.body).toEqual({
      status: 'success',
      data: [
        { __name__: 'up', instance: 'a:1', job: 'api' },
        { __name__: 'up', instance: 'b:1', job: 'db' },
      ],
    });
  });

  test('labels and label values count only series with samples in [start, end]', async () => {
    expect((await get('/api/v1/label/job/values?start=0&end=600')).body.data).toEqual(['api', 'db']);
    expect((await get('/api/v1/label/job/values?start=700&end=800')).body.data).toEqual([]);
    expect((await get('/api/v1/labels?start=700&end=800')).body.data).toEqual([]);
  });

  test('a step with a fraction of a millisecond is cut to whole milliseconds, as Prometheus cuts it', async () => {
    const r = await get('/api/v1/query_range?query=vector(1)&start=0&end=0.01&step=0.0025009');
    expect((r.body.data as { result: { values: [number, string][] }[] }).result[0].values.map(([t]) => t)).toEqual([0, 0.002, 0.004, 0.006, 0.008, 0.01]);
  });

  test('without embedded storage (a reload moved to a Prometheus) the paths are not found', async () => {
    current = undefined;
    expect((await get('/api/v1/query?query=up')).status).toBe(404);
    const post = await fetch(`${base}/api/v1/query`, { method: 'POST', body: new URLSearchParams({ query: 'up' }) });
    expect(post.status).toBe(404);
  });
});
