/** POST /v1/metrics over real HTTP with hand-built OTLP bodies: JSON mapping, gzip, partialSuccess, errors. */
import type { Server } from 'node:http';
import { gzipSync } from 'node:zlib';
import express from 'express';
import { Registry } from 'prom-client';
import { ingestionRoutes, IngestionMetrics } from '../../src/server/index.js';
import { MemoryStore, OtlpTypes, prometheusLabelName, prometheusMetricName } from '../../src/tsdb/index.js';
import { listening, urlOf } from '../support/listen.js';
import { vectorAt } from '../support/query.js';
import { watchTurns } from '../support/turns.js';

const T0 = Date.parse('2026-12-01T10:00:00Z');
const ns = (ms: number) => `${ms}000000`;
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

const post = async (body: string | Uint8Array, headers: Record<string, string>) => {
  const res = await fetch(`${base}/v1/metrics`, { method: 'POST', headers, body: typeof body === 'string' ? body : new Uint8Array(body) });
  return { status: res.status, type: res.headers.get('content-type') ?? '', body: new Uint8Array(await res.arrayBuffer()) };
};
const postJson = async (payload: unknown, headers: Record<string, string> = {}) => {
  const r = await post(JSON.stringify(payload), { 'content-type': 'application/json', ...headers });
  return { status: r.status, type: r.type, json: JSON.parse(Buffer.from(r.body).toString('utf8')) };
};
const resource = { attributes: [{ key: 'service.name', value: { stringValue: 'agents' } }, { key: 'service.namespace', value: { stringValue: 'ai' } }, { key: 'service.instance.id', value: { stringValue: 'i-1' } }] };
const request = (metrics: object[]) => ({ resourceMetrics: [{ resource, scopeMetrics: [{ scope: { name: 'test' }, metrics }] }] });
const attrs = (o: Record<string, string | number>) => Object.entries(o).map(([key, v]) => ({ key, value: typeof v === 'string' ? { stringValue: v } : { intValue: String(v) } }));

test('OTLP JSON (lowerCamelCase, int64 as strings): sums, gauges, histograms, summaries, job from service.namespace/service.name', async () => {
  const r = await postJson(request([
    { name: 'http.server.request.duration', unit: 's', histogram: { aggregationTemporality: 2, dataPoints: [{ attributes: attrs({ 'http.route': '/chat' }), timeUnixNano: ns(T0), count: '3', sum: 1.5, bucketCounts: ['1', '2', '0'], explicitBounds: [0.25, 1] }] } },
    { name: 'agent.requests', unit: '{request}', sum: { aggregationTemporality: 2, isMonotonic: true, dataPoints: [{ attributes: attrs({ status: 'ok', 'retry.count': 2 }), timeUnixNano: ns(T0), asInt: '42' }] } },
    { name: 'process.memory', unit: 'By', gauge: { dataPoints: [{ timeUnixNano: ns(T0), asDouble: 1024.5 }] } },
    { name: 'rpc.latency', unit: 'ms', summary: { dataPoints: [{ timeUnixNano: ns(T0), count: '4', sum: 10, quantileValues: [{ quantile: 0.99, value: 7 }] }] } },
  ]));
  expect(r).toEqual({ status: 200, type: 'application/json; charset=utf-8', json: {} });
  const at = (expr: string) => vectorAt(store, expr, T0);
  const target = { job: 'ai/agents', instance: 'i-1' };
  expect(at('http_server_request_duration_seconds_bucket').map(([l, v]) => [l.le, v])).toEqual([['+Inf', 3], ['0.25', 1], ['1', 3]]);
  expect(at('http_server_request_duration_seconds_sum')).toEqual([[{ __name__: 'http_server_request_duration_seconds_sum', http_route: '/chat', ...target }, 1.5]]);
  expect(at('agent_requests_total')).toEqual([[{ __name__: 'agent_requests_total', retry_count: '2', status: 'ok', ...target }, 42]]);
  expect(at('process_memory_bytes')[0][1]).toBe(1024.5);
  expect(at('rpc_latency_milliseconds')).toEqual([[{ __name__: 'rpc_latency_milliseconds', quantile: '0.99', ...target }, 7]]);
  expect(at('rpc_latency_milliseconds_count')[0][1]).toBe(4);
});

test('protobuf with gzip; the response is an ExportMetricsServiceResponse in protobuf', async () => {
  const { ExportMetricsServiceRequest, ExportMetricsServiceResponse } = OtlpTypes;
  const body = ExportMetricsServiceRequest.encode(ExportMetricsServiceRequest.fromObject(request([
    { name: 'queue.depth', gauge: { dataPoints: [{ timeUnixNano: ns(T0), asInt: 7 }] } },
    { name: 'llm.tokens', exponentialHistogram: { aggregationTemporality: 2, dataPoints: [{}, {}] } },
  ]))).finish();
  const r = await post(gzipSync(body), { 'content-type': 'application/x-protobuf', 'content-encoding': 'gzip' });
  expect(r.status).toBe(200);
  expect(r.type).toBe('application/x-protobuf');
  expect(ExportMetricsServiceResponse.toObject(ExportMetricsServiceResponse.decode(r.body), { longs: Number })).toEqual({
    partialSuccess: { rejectedDataPoints: 2, errorMessage: '2 data point(s) of llm.tokens and others dropped: exponential histograms are not supported, use explicit bucket histograms' },
  });
  expect(vectorAt(store, 'queue_depth', T0)[0][1]).toBe(7);
});

test('delta sums are dropped and reported in partialSuccess (JSON), the rest is stored', async () => {
  const r = await postJson(request([
    { name: 'tokens', sum: { aggregationTemporality: 1, isMonotonic: true, dataPoints: [{ timeUnixNano: ns(T0), asInt: '5' }] } },
    { name: 'up.ok', gauge: { dataPoints: [{ timeUnixNano: ns(T0), asDouble: 1 }] } },
  ]));
  expect(r.json).toEqual({
    partialSuccess: { rejectedDataPoints: '1', errorMessage: '1 data point(s) of tokens dropped: delta temporality is not supported, export cumulative (OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE=cumulative)' },
  });
  expect(vectorAt(store, 'up_ok', T0)).toHaveLength(1);
  expect(await registry.getSingleMetricAsString('vigil_ingest_points_dropped_total')).toContain('{endpoint="otlp",reason="delta_temporality"} 1');
});

test('Prometheus\' OTLP path /api/v1/otlp/v1/metrics takes the same requests', async () => {
  const res = await fetch(`${base}/api/v1/otlp/v1/metrics`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(request([{ name: 'g', gauge: { dataPoints: [{ timeUnixNano: ns(T0), asDouble: 2 }] } }])),
  });
  expect(res.status).toBe(200);
  expect(vectorAt(store, 'g', T0)[0][1]).toBe(2);
});

test('a data point flagged "no recorded value" is a staleness marker', async () => {
  await postJson(request([{ name: 'g', gauge: { dataPoints: [{ timeUnixNano: ns(T0), asDouble: 1 }] } }]));
  await postJson(request([{ name: 'g', gauge: { dataPoints: [{ timeUnixNano: ns(T0 + 1000), flags: 1 }] } }]));
  expect(vectorAt(store, 'g', T0 + 500)).toHaveLength(1);
  expect(vectorAt(store, 'g', T0 + 1500)).toEqual([]);
});

test('a large export gives the event loop turns while it is appended', async () => {
  const { storage: watching, turnTaken } = watchTurns(store);
  const big = await listening(express().use(ingestionRoutes({ storage: () => watching, metrics: new IngestionMetrics(new Registry()), maxRequestBytes: 4 << 20 })));
  try {
    const dataPoints = Array.from({ length: 5000 }, (_, i) => ({ attributes: attrs({ i }), timeUnixNano: ns(T0), asDouble: i }));
    const res = await fetch(`${urlOf(big)}/v1/metrics`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(request([{ name: 'load', gauge: { dataPoints } }])) });
    expect(res.status).toBe(200);
    expect(turnTaken()).toBe(true);
    expect(vectorAt(store, 'count(load)', T0)).toEqual([[{}, 5000]]);
  } finally {
    await new Promise((r) => big.close(r));
  }
});

describe('errors: google.rpc.Status in the request\'s encoding, nothing stored', () => {
  afterEach(() => expect(store.stats().series).toBe(0));

  test('400: JSON that is not JSON, or not an ExportMetricsServiceRequest', async () => {
    const bad = await post('{"resourceMetrics": [', { 'content-type': 'application/json' });
    expect(bad.status).toBe(400);
    expect(JSON.parse(Buffer.from(bad.body).toString())).toMatchObject({ code: 3, message: expect.stringMatching(/^JSON: not an ExportMetricsServiceRequest: /) });
    const wrong = await postJson({ resourceMetrics: 5 });
    expect(wrong).toMatchObject({ status: 400, json: { code: 3, message: 'JSON: not an ExportMetricsServiceRequest: resourceMetrics: array expected', details: [] } });
    expect(await registry.getSingleMetricAsString('vigil_ingest_requests_refused_total')).toContain('{endpoint="otlp",reason="decode"} 2');
  });

  test('400: protobuf that does not decode, answered in protobuf', async () => {
    const r = await post(Buffer.from([0x0a, 0xff, 0xff, 0xff, 0x0f, 1]), { 'content-type': 'application/x-protobuf' });
    expect(r.status).toBe(400);
    const status = OtlpTypes.RpcStatus.toObject(OtlpTypes.RpcStatus.decode(r.body)) as { code: number; message: string };
    expect(status.code).toBe(3);
    expect(status.message).toMatch(/^protobuf: not an ExportMetricsServiceRequest: /);
  });

  test('413: a gzip body that inflates past the limit (JSON) or 4 × it (protobuf, decoded in slices)', async () => {
    const padded = (bytes: number) => JSON.stringify({ resourceMetrics: [], pad: ' '.repeat(bytes) });
    const json = await post(gzipSync(padded(80 * 1024)), { 'content-type': 'application/json', 'content-encoding': 'gzip' });
    expect(json.status).toBe(413);
    expect(JSON.parse(Buffer.from(json.body).toString()).message).toBe(`the gzip body inflates past ${64 * 1024} bytes (server.max_request_bytes)`);
    // the same 80 KiB within JSON's limit once it is protobuf: a skipped field of zeros
    const proto = new Uint8Array(80 * 1024 + 4);
    proto.set([(9 << 3) | 2, 0x80, 0x80, 0x05]); // field 9, 81,920 bytes
    expect((await post(gzipSync(proto), { 'content-type': 'application/x-protobuf', 'content-encoding': 'gzip' })).status).toBe(200);
    const bomb = await post(gzipSync(new Uint8Array(300 * 1024)), { 'content-type': 'application/x-protobuf', 'content-encoding': 'gzip' });
    expect(bomb.status).toBe(413);
  });

  test('400: a body that says gzip and is not', async () => {
    const r = await postJson({}, { 'content-encoding': 'gzip' });
    expect(r.status).toBe(400);
    expect(r.json.message).toMatch(/^gzip: /);
  });

  test('415: another content type or encoding', async () => {
    const r = await post('x', { 'content-type': 'text/plain' });
    expect(r.status).toBe(415);
    expect(JSON.parse(Buffer.from(r.body).toString()).message).toBe('Content-Type "text/plain" is not accepted: OTLP/HTTP sends application/x-protobuf or application/json');
    expect((await postJson({}, { 'content-encoding': 'br' })).status).toBe(415);
  });

  test('413: a body over server.max_request_bytes, and a gzip bomb', async () => {
    expect((await post(Buffer.alloc(100 * 1024, 32), { 'content-type': 'application/json' })).status).toBe(413);
    const bomb = await post(gzipSync(Buffer.alloc(1024 * 1024, 32)), { 'content-type': 'application/json', 'content-encoding': 'gzip' });
    expect(bomb.status).toBe(413);
  });
});

test.each([
  ['gen_ai.client.token.usage', '{token}', 'histogram', 'gen_ai_client_token_usage'],
  ['gen_ai.client.operation.duration', 's', 'histogram', 'gen_ai_client_operation_duration_seconds'],
  ['http.requests', '1', 'counter', 'http_requests_total'],
  ['requests.total', '{request}', 'counter', 'requests_total'],
  ['cpu.utilization', '1', 'gauge', 'cpu_utilization_ratio'],
  ['net.io', 'By/s', 'sum', 'net_io_bytes_per_second'],
  ['latency_seconds', 's', 'histogram', 'latency_seconds'],
  ['disk--free..space', 'MiBy', 'gauge', 'disk_free_space_mebibytes'],
  ['2xx.count', '', 'counter', '_2xx_count_total'],
  ['rate', 'km/h', 'gauge', 'rate_km_per_hour'],
  ['...', '', 'gauge', ''],
] as const)('metric name %s (%s, %s) → %s', (name, unit, kind, want) => {
  expect(prometheusMetricName(name, unit, kind)).toBe(want);
});

test('label names: dots and dashes to _, repeated _ collapsed, key_ before a digit', () => {
  expect(prometheusLabelName('gen_ai.agent.name')).toBe('gen_ai_agent_name');
  expect(prometheusLabelName('error.type')).toBe('error_type');
  expect(prometheusLabelName('http..request-method')).toBe('http_request_method');
  expect(prometheusLabelName('4xx')).toBe('key_4xx');
  expect(prometheusLabelName('__internal')).toBe('__internal');
});
