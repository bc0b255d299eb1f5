// Queries on the worker thread: the same answers as the engine on this thread, the same errors,
// and the event loop free while a heavy one computes. The worker runs dist/ (npm test builds first).
import { instantQuery, PromQLError, QueryPool, rangeQuery, type Queryable } from '../../src/promql/index.js';
import { MemoryStore } from '../../src/tsdb/index.js';

const store = new MemoryStore();
for (let i = 0; i < 200; i++) {
  for (let t = 0; t <= 3_600_000; t += 15_000) {
    store.add({ __name__: 'agent_requests_total', agent: `a${i}`, tool: `t${i % 7}` }, t, t / 1000 + i);
    store.add({ __name__: 'agent_latency_seconds_bucket', agent: `a${i}`, le: String(i % 5 === 4 ? '+Inf' : (i % 5) / 4) }, t, (t / 15_000) * (1 + (i % 5)));
  }
}

describe('QueryPool', () => {
  let selects = 0;
  const counting: Queryable = {
    select(m, mint, maxt) {
      selects++;
      return store.select(m, mint, maxt);
    },
  };
  const pool = new QueryPool(() => counting);
  afterAll(() => pool.close());

  test.each([
    'sum by (tool) (rate(agent_requests_total[5m]))',
    'histogram_quantile(0.99, sum by (le) (rate(agent_latency_seconds_bucket[5m])))',
    'topk(3, agent_requests_total) > 100',
    'count(agent_requests_total offset 10m)',
    '1 + 2',
    '"text"',
  ])('instant %s: the same answer as on this thread', async (expr) => {
    expect(await pool.instant(expr, 1_800_000)).toEqual(instantQuery(store, expr, 1_800_000));
  });

  test('range: the same matrix, Float64Arrays and all', async () => {
    const expr = 'sum by (tool) (increase(agent_requests_total[10m]))';
    const before = selects;
    const got = await pool.range(expr, 600_000, 3_600_000, 60_000);
    // (the worker's arrays come from Node's realm, not jest's: compare their contents and kind)
    const plain = (r: typeof got) => JSON.parse(JSON.stringify(r, (_k, v) => (ArrayBuffer.isView(v) ? Array.from(v as Float64Array) : v)));
    expect(plain(got)).toEqual(plain(rangeQuery(store, expr, 600_000, 3_600_000, 60_000)));
    expect(Object.prototype.toString.call(got.value.type === 'matrix' && got.value.series[0]!.values)).toBe('[object Float64Array]');
    expect(selects).toBeGreaterThan(before); // it read this thread's storage
  });

  test('errors keep their kind: a parse error is bad_data, a query past its timeout is a timeout', async () => {
    await expect(pool.instant('sum(', 0)).rejects.toMatchObject({ name: 'PromQLError', kind: 'bad_data', message: '1:4: parse error: unclosed "("' });
    const slow = pool.instant('sum(rate(agent_requests_total[5m:1s]))', 3_600_000, { timeoutMs: 1 });
    await expect(slow).rejects.toBeInstanceOf(PromQLError);
    await expect(slow).rejects.toMatchObject({ kind: 'timeout' });
    // the worker goes on answering after both
    expect(await pool.instant('1', 0)).toMatchObject({ value: { type: 'scalar', value: 1 } });
  });

  test('a storage that fails fails the query, not the worker', async () => {
    const broken = new QueryPool(() => ({ select: () => { throw new Error('disk on fire'); } }));
    await expect(broken.instant('up', 0)).rejects.toThrow('disk on fire');
    await expect(broken.instant('2 * 3', 0)).resolves.toMatchObject({ value: { value: 6 } });
    await broken.close();
  });

  test('the event loop turns while a heavy query computes', async () => {
    let turns = 0;
    let running = true;
    const spin = () => {
      turns++;
      if (running) setImmediate(spin);
    };
    const heavy = pool.range('histogram_quantile(0.9, sum by (le, agent) (rate(agent_latency_seconds_bucket[5m:15s])))', 0, 3_600_000, 15_000);
    setImmediate(spin);
    const result = await heavy;
    running = false;
    expect(result.value.type).toBe('matrix');
    // On this thread the same query would have run start to end within one turn.
    expect(turns).toBeGreaterThan(20);
  });

  test('a closed pool refuses new queries, and queries beyond the queue are refused', async () => {
    const small = new QueryPool(() => store, { maxQueued: 1 });
    const first = small.range('sum(rate(agent_requests_total[5m:1s]))', 0, 3_600_000, 60_000);
    const second = small.instant('1', 0);
    await expect(small.instant('2', 0)).rejects.toThrow(/too many queries waiting/);
    await Promise.allSettled([first, second]);
    await small.close();
    await expect(small.instant('1', 0)).rejects.toThrow(/shutting down/);
  });
});
