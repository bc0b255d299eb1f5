// The sliced OTLP decoder against protobufjs decoding the whole message at once: same objects.
import { decodeMetricsRequest, OtlpTypes } from '../../src/tsdb/index.js';

const T = OtlpTypes.ExportMetricsServiceRequest;
const attrs = (i: number) => [
  { key: 'gen_ai.agent.name', value: { stringValue: `agent-${i}` } },
  { key: 'retries', value: { intValue: i } },
  { key: 'ok', value: { boolValue: i % 2 === 0 } },
];

/** A request with every kind of metric the receiver reads, and some it drops. */
function request(points: number) {
  const number = (i: number) => ({ attributes: attrs(i), startTimeUnixNano: 1_700_000_000_000_000_000, timeUnixNano: 1_700_000_060_000_000_000 + i, ...(i % 3 === 0 ? { asInt: i } : { asDouble: i / 3 }), flags: i % 7 === 0 ? 1 : 0 });
  const seq = (n: number) => Array.from({ length: n }, (_, i) => i);
  return {
    resourceMetrics: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'support-bot' } }, { key: 'service.instance.id', value: { stringValue: 'pod-1' } }] },
        scopeMetrics: [
          {
            scope: { name: 'agents', version: '1.0' },
            metrics: [
              { name: 'gen_ai.client.token.usage', unit: '{token}', description: 'tokens', sum: { dataPoints: seq(points).map(number), aggregationTemporality: 2, isMonotonic: true } },
              { name: 'queue.depth', unit: '1', gauge: { dataPoints: seq(5).map(number) } },
              { name: 'delta.sum', sum: { dataPoints: seq(3).map(number), aggregationTemporality: 1 } },
              {
                name: 'gen_ai.client.operation.duration', unit: 's',
                histogram: { aggregationTemporality: 2, dataPoints: seq(4).map((i) => ({ attributes: attrs(i), timeUnixNano: 1_700_000_060_000_000_000, count: 10 + i, sum: 2.5 * i, bucketCounts: [1, 2, 3, 4 + i], explicitBounds: [0.1, 1, 10] })) },
              },
              { name: 'exp', exponentialHistogram: { dataPoints: [{ attributes: attrs(1) }], aggregationTemporality: 2 } },
              { name: 'rpc.latency', summary: { dataPoints: [{ attributes: attrs(2), timeUnixNano: 5_000_000, count: 3, sum: 1.5, quantileValues: [{ quantile: 0.5, value: 0.4 }, { quantile: 0.99, value: 1.2 }] }] } },
              { name: 'empty' },
            ],
          },
        ],
      },
      { scopeMetrics: [{ metrics: [{ name: 'no.resource', gauge: { dataPoints: [number(1)] } }] }] },
    ],
  };
}

/** What protobufjs gives for the whole message (the decoder before slicing), minus the fields the receiver never reads. */
function whole(body: Uint8Array) {
  const o = T.toObject(T.decode(body), { defaults: true, arrays: true, oneofs: false, longs: Number }) as { resourceMetrics: { scopeMetrics: Record<string, unknown>[] }[] };
  for (const rm of o.resourceMetrics) for (const sm of rm.scopeMetrics) for (const k of Object.keys(sm)) if (k !== 'metrics') delete sm[k];
  return o;
}

describe('OTLP decoding a data point at a time', () => {
  test('protobuf: the same objects as decoding the whole message', async () => {
    for (const points of [0, 1, 2500]) {
      const body = T.encode(T.fromObject(request(points))).finish();
      expect(await decodeMetricsRequest(body, 'protobuf')).toEqual(whole(body));
    }
  });

  test('JSON: the same objects as the protobuf of the same request', async () => {
    const req = request(1200);
    const body = T.encode(T.fromObject(req)).finish();
    const fromJson = await decodeMetricsRequest(Buffer.from(JSON.stringify(req)), 'json');
    const expected = whole(body);
    for (const rm of expected.resourceMetrics as unknown as Record<string, unknown>[]) rm.schemaUrl = '';
    expect(fromJson).toEqual(expected);
  });

  test('a truncated protobuf body and a malformed JSON one are 400s that say where', async () => {
    const body = T.encode(T.fromObject(request(10))).finish();
    await expect(decodeMetricsRequest(body.subarray(0, body.length - 7), 'protobuf')).rejects.toMatchObject({ status: 400, message: expect.stringMatching(/^protobuf: not an ExportMetricsServiceRequest: .*out of range/) });
    const bad = { resourceMetrics: [{ scopeMetrics: [{ metrics: [{ name: 'x', gauge: { dataPoints: [{ asDouble: 1 }, { attributes: 'nope' }] } }] }] }] };
    await expect(decodeMetricsRequest(Buffer.from(JSON.stringify(bad)), 'json')).rejects.toMatchObject({
      status: 400,
      message: 'JSON: not an ExportMetricsServiceRequest: resourceMetrics[0].scopeMetrics[0].metrics[0].gauge.dataPoints[1].attributes: array expected',
    });
  });

  test('a large body is decoded over many turns of the event loop', async () => {
    const body = T.encode(T.fromObject(request(20_000))).finish();
    let turns = 0;
    let counting = true;
    const tick = () => {
      turns++;
      if (counting) setImmediate(tick);
    };
    setImmediate(tick);
    const decoded = await decodeMetricsRequest(body, 'protobuf');
    counting = false;
    expect(decoded.resourceMetrics[0]!.scopeMetrics[0]!.metrics[0]!.sum!.dataPoints).toHaveLength(20_000);
    expect(turns).toBeGreaterThanOrEqual(10);
  });
});
