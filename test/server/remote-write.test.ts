/** POST /api/v1/write over real HTTP into a MemoryStore: Prometheus' answers for good and bad bodies. */
import type { Server } from 'node:http';
import express from 'express';
import { Registry } from 'prom-client';
import snappy from 'snappyjs';
import { ingestionRoutes, IngestionMetrics } from '../../src/server/index.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryStore, TSDB, WriteRequestType } from '../../src/tsdb/index.js';
import { scratchDir } from '../support/scratch.js';
import { listening, urlOf } from '../support/listen.js';
import { vectorAt } from '../support/query.js';
import { watchTurns } from '../support/turns.js';

const T0 = Date.parse('2026-12-01T10:00:00Z');
let store: MemoryStore;
let registry: Registry;
let server: Server;
let base: string;

beforeEach(async () => {
  store = new MemoryStore();
  registry = new Registry();
  server = await listening(express().use(ingestionRoutes({ storage: () => store, metrics: new IngestionMetrics(registry), maxRequestBytes: 64 * 1024 })));
  base = urlOf(server);
});
afterEach(() => new Promise((r) => server.close(r)));

type Series = { labels: { name: string; value: string }[]; samples?: { value: number; timestamp: number }[]; histograms?: object[] };
const encode = (timeseries: Series[]) => Buffer.from(snappy.compress(WriteRequestType.encode(WriteRequestType.fromObject({ timeseries })).finish()));
const labels = (o: Record<string, string>) => Object.entries(o).map(([name, value]) => ({ name, value }));

async function write(body: Uint8Array, headers: Record<string, string> = {}) {
  const res = await fetch(`${base}/api/v1/write`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-protobuf', 'content-encoding': 'snappy', 'x-prometheus-remote-write-version': '0.1.0', ...headers },
    body: new Uint8Array(body),
  });
  return { status: res.status, text: await res.text() };
}

const value = (expr: string, t = T0 + 60_000) => vectorAt(store, expr, t);
const refused = async () => (await registry.getSingleMetricAsString('vigil_ingest_requests_refused_total')).split('\n').filter((l) => !l.startsWith('#'));

test('a valid request is answered 204 and its samples are queryable', async () => {
  const body = encode([
    { labels: labels({ __name__: 'agent_requests_total', agent_id: 'a1', instance: 'x:1', job: 'agents' }), samples: [{ value: 5, timestamp: T0 }, { value: 9, timestamp: T0 + 30_000 }] },
    { labels: labels({ __name__: 'up', instance: 'x:1', job: 'agents' }), samples: [{ value: 1, timestamp: T0 + 30_000 }] },
  ]);
  expect(await write(body)).toEqual({ status: 204, text: '' });
  expect(value('agent_requests_total')).toEqual([[{ __name__: 'agent_requests_total', agent_id: 'a1', instance: 'x:1', job: 'agents' }, 9]]);
  expect(value('up')).toEqual([[{ __name__: 'up', instance: 'x:1', job: 'agents' }, 1]]);
  expect(await registry.getSingleMetricAsString('vigil_ingested_samples_total')).toContain('vigil_ingested_samples_total{endpoint="remote_write"} 3');
});

test('a staleness marker ends the series: absent from an instant query right after', async () => {
  const staleNaN = Buffer.from([2, 0, 0, 0, 0, 0, 0xf0, 0x7f]).readDoubleLE(0);
  const up = labels({ __name__: 'up', job: 'agents' });
  expect((await write(encode([{ labels: up, samples: [{ value: 1, timestamp: T0 }, { value: staleNaN, timestamp: T0 + 15_000 }] }]))).status).toBe(204);
  expect(value('up', T0 + 10_000)).toEqual([[{ __name__: 'up', job: 'agents' }, 1]]);
  expect(value('up', T0 + 20_000)).toEqual([]);
});

test('no Content-Encoding and no Content-Type are taken as remote write 1.0 with snappy', async () => {
  const body = encode([{ labels: labels({ __name__: 'up' }), samples: [{ value: 1, timestamp: T0 }] }]);
  const res = await fetch(`${base}/api/v1/write`, { method: 'POST', body });
  expect(res.status).toBe(204);
});

test('a large request gives the event loop turns while it is decoded and appended', async () => {
  const { storage: watching, turnTaken } = watchTurns(store);
  const app = express().use(ingestionRoutes({ storage: () => watching, metrics: new IngestionMetrics(new Registry()), maxRequestBytes: 4 << 20 }));
  const big = await listening(app);
  try {
    const body = encode(Array.from({ length: 5000 }, (_, i) => ({ labels: labels({ __name__: 'load', i: String(i) }), samples: [{ value: i, timestamp: T0 }] })));
    const res = await fetch(`${urlOf(big)}/api/v1/write`, { method: 'POST', headers: { 'content-type': 'application/x-protobuf', 'content-encoding': 'snappy' }, body: new Uint8Array(body) });
    expect(res.status).toBe(204);
    expect(turnTaken()).toBe(true);
    expect(vectorAt(store, 'count(load)', T0)).toEqual([[{}, 5000]]);
  } finally {
    await new Promise((r) => big.close(r));
  }
});

describe('bad input is refused with a text body and nothing is appended', () => {
  afterEach(() => expect(store.stats().series).toBe(0));

  test('400: a body that is not snappy', async () => {
    const r = await write(Buffer.from('not snappy at all, just text'));
    expect(r.status).toBe(400);
    expect(r.text).toMatch(/^snappy: /);
    expect(await refused()).toContain('vigil_ingest_requests_refused_total{endpoint="remote_write",reason="decode"} 1');
  });

  test('400: a snappy header that claims more than 16 × server.max_request_bytes, refused before allocating', async () => {
    const r = await write(Buffer.from([0x80, 0x80, 0x80, 0x40, 0]));
    expect(r).toEqual({ status: 400, text: 'snappy: The uncompressed length of 134217728 is too big, expect at most 1048576\n' });
  });

  test('400: snappy around something that is not a WriteRequest', async () => {
    const r = await write(Buffer.from(snappy.compress(Buffer.from([0x0a, 0xff, 0xff, 0xff, 0x0f, 1, 2]))));
    expect(r.status).toBe(400);
    expect(r.text).toMatch(/^protobuf: not a prometheus.WriteRequest/);
  });

  test('400: labels not sorted by name', async () => {
    const r = await write(encode([{ labels: labels({ job: 'a', __name__: 'up' }), samples: [{ value: 1, timestamp: T0 }] }]));
    expect(r).toEqual({ status: 400, text: 'timeseries[0]: labels are not sorted by name ("__name__" after "job")\n' });
  });

  test('400: a duplicate label name', async () => {
    const r = await write(encode([{ labels: [{ name: '__name__', value: 'up' }, { name: 'job', value: 'a' }, { name: 'job', value: 'b' }], samples: [{ value: 1, timestamp: T0 }] }]));
    expect(r).toEqual({ status: 400, text: 'timeseries[0]: duplicate label name "job"\n' });
  });

  test('400: an empty label name', async () => {
    const r = await write(encode([{ labels: [{ name: '', value: 'x' }, { name: '__name__', value: 'up' }], samples: [{ value: 1, timestamp: T0 }] }]));
    expect(r).toEqual({ status: 400, text: 'timeseries[0]: empty label name\n' });
  });

  test('400: a series without a metric name, and an invalid label name', async () => {
    expect((await write(encode([{ labels: labels({ job: 'a' }), samples: [{ value: 1, timestamp: T0 }] }]))).text).toBe('timeseries[0]: no __name__ label\n');
    expect((await write(encode([{ labels: labels({ __name__: 'up', 'a-b': 'x' }), samples: [{ value: 1, timestamp: T0 }] }]))).text).toBe('timeseries[0]: invalid label name "a-b"\n');
  });

  test('400: out-of-order and duplicate samples in a series (so that the sender does not retry)', async () => {
    const ok = { labels: labels({ __name__: 'ok' }), samples: [{ value: 1, timestamp: T0 }] };
    const ooo = await write(encode([ok, { labels: labels({ __name__: 'up' }), samples: [{ value: 1, timestamp: T0 + 1000 }, { value: 2, timestamp: T0 }] }]));
    expect(ooo).toEqual({ status: 400, text: `timeseries[1] (up): out of order sample ${T0}\n` });
    const dup = await write(encode([{ labels: labels({ __name__: 'up' }), samples: [{ value: 1, timestamp: T0 }, { value: 2, timestamp: T0 }] }]));
    expect(dup).toEqual({ status: 400, text: `timeseries[0] (up): duplicate sample for timestamp ${T0}\n` });
    expect(await refused()).toContain('vigil_ingest_requests_refused_total{endpoint="remote_write",reason="out_of_order"} 2');
  });

  test('400: native histograms, with a message', async () => {
    const r = await write(encode([{ labels: labels({ __name__: 'latency' }), histograms: [{ timestamp: T0 }] }]));
    expect(r.status).toBe(400);
    expect(r.text).toBe('timeseries[0] (latency): native histograms are not supported by vigil\'s TSDB; send classic histograms\n');
  });

  test('415: a wrong Content-Type, a remote write 2.0 proto, a wrong Content-Encoding', async () => {
    const body = encode([{ labels: labels({ __name__: 'up' }), samples: [{ value: 1, timestamp: T0 }] }]);
    expect(await write(body, { 'content-type': 'application/json' })).toEqual({
      status: 415,
      text: 'Content-Type "application/json" is not accepted: remote write sends application/x-protobuf\n',
    });
    expect((await write(body, { 'content-type': 'application/x-protobuf;proto=io.prometheus.write.v2.Request' })).status).toBe(415);
    expect(await write(body, { 'content-encoding': 'gzip' })).toEqual({ status: 415, text: 'Content-Encoding "gzip" is not accepted: only snappy (block format) is\n' });
  });

  test('413: a body over server.max_request_bytes', async () => {
    const r = await write(Buffer.alloc(100 * 1024, 1));
    expect(r.status).toBe(413);
    expect(r.text).toMatch(/larger than the limit of 65536 bytes \(server.max_request_bytes\)/);
  });
});

test('into the TSDB: a sample not newer than what it holds is refused with 400, the rest of the request stored', async () => {
  const db = await TSDB.open(await scratchDir(join(tmpdir(), 'vigil-rw-ooo-')), { checkpointIntervalMs: 0, logger: { info: () => {}, warn: () => {} } });
  const onDb = await listening(express().use(ingestionRoutes({ storage: () => db, metrics: new IngestionMetrics(new Registry()), maxRequestBytes: 64 * 1024 })));
  const post = async (timeseries: Series[]) => {
    const res = await fetch(`${urlOf(onDb)}/api/v1/write`, { method: 'POST', headers: { 'content-type': 'application/x-protobuf', 'content-encoding': 'snappy' }, body: new Uint8Array(encode(timeseries)) });
    return { status: res.status, text: await res.text() };
  };
  try {
    expect((await post([{ labels: labels({ __name__: 'a' }), samples: [{ value: 1, timestamp: T0 + 60_000 }] }])).status).toBe(204);
    // A retry of the same sample is no error; an older one is.
    expect((await post([{ labels: labels({ __name__: 'a' }), samples: [{ value: 1, timestamp: T0 + 60_000 }] }])).status).toBe(204);
    const late = await post([
      { labels: labels({ __name__: 'a' }), samples: [{ value: 7, timestamp: T0 }] },
      { labels: labels({ __name__: 'b' }), samples: [{ value: 2, timestamp: T0 }] },
    ]);
    expect(late).toEqual({ status: 400, text: 'out of order sample: 1 of 2 samples are not newer than what the storage holds for their series; the other 1 were stored\n' });
    expect(vectorAt(db, 'a', T0 + 60_000)).toEqual([[{ __name__: 'a' }, 1]]);
    expect(vectorAt(db, 'b', T0)).toEqual([[{ __name__: 'b' }, 2]]);
  } finally {
    await new Promise((r) => onDb.close(r));
    await db.close();
  }
});
