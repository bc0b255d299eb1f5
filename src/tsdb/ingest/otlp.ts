/**
 * OTLP/HTTP metrics (`POST /v1/metrics`): an ExportMetricsServiceRequest in protobuf or in OTLP's
 * JSON mapping, translated the way Prometheus' OTLP receiver translates it. Cumulative sums,
 * gauges, cumulative explicit-bucket histograms and summaries are stored; delta temporality and
 * exponential histograms are dropped and reported in the response's partialSuccess.
 */
import protobuf from 'protobufjs';
import type { Appender, SampleStorage } from '../storage.js';
import { IngestError } from './errors.js';
import { decodeProtobufSliced, fromJsonSliced, type OtlpTypesForDecode } from './otlp-decode.js';
import { formatBound, prometheusLabelName, prometheusMetricName, type OtlpMetricKind } from './otlp-names.js';

// opentelemetry-proto (common, resource, metrics, collector/metrics) and google.rpc.Status: the fields vigil reads.
const PROTOS = [
  `syntax = "proto3"; package opentelemetry.proto.common.v1;
  message AnyValue { oneof value { string string_value = 1; bool bool_value = 2; int64 int_value = 3; double double_value = 4;
    ArrayValue array_value = 5; KeyValueList kvlist_value = 6; bytes bytes_value = 7; } }
  message ArrayValue { repeated AnyValue values = 1; }
  message KeyValueList { repeated KeyValue values = 1; }
  message KeyValue { string key = 1; AnyValue value = 2; }
  message InstrumentationScope { string name = 1; string version = 2; repeated KeyValue attributes = 3; }`,
  `syntax = "proto3"; package opentelemetry.proto.resource.v1;
  message Resource { repeated opentelemetry.proto.common.v1.KeyValue attributes = 1; }`,
  `syntax = "proto3"; package opentelemetry.proto.metrics.v1;
  message ResourceMetrics { opentelemetry.proto.resource.v1.Resource resource = 1; repeated ScopeMetrics scope_metrics = 2; string schema_url = 3; }
  message ScopeMetrics { opentelemetry.proto.common.v1.InstrumentationScope scope = 1; repeated Metric metrics = 2; string schema_url = 3; }
  message Metric { string name = 1; string description = 2; string unit = 3;
    oneof data { Gauge gauge = 5; Sum sum = 7; Histogram histogram = 9; ExponentialHistogram exponential_histogram = 10; Summary summary = 11; } }
  message Gauge { repeated NumberDataPoint data_points = 1; }
  message Sum { repeated NumberDataPoint data_points = 1; int32 aggregation_temporality = 2; bool is_monotonic = 3; }
  message Histogram { repeated HistogramDataPoint data_points = 1; int32 aggregation_temporality = 2; }
  message ExponentialHistogram { repeated ExponentialHistogramDataPoint data_points = 1; int32 aggregation_temporality = 2; }
  message Summary { repeated SummaryDataPoint data_points = 1; }
  message NumberDataPoint { repeated opentelemetry.proto.common.v1.KeyValue attributes = 7; fixed64 start_time_unix_nano = 2;
    fixed64 time_unix_nano = 3; oneof value { double as_double = 4; sfixed64 as_int = 6; } uint32 flags = 8; }
  message HistogramDataPoint { repeated opentelemetry.proto.common.v1.KeyValue attributes = 9; fixed64 start_time_unix_nano = 2;
    fixed64 time_unix_nano = 3; fixed64 count = 4; optional double sum = 5; repeated fixed64 bucket_counts = 6;
    repeated double explicit_bounds = 7; uint32 flags = 10; }
  message ExponentialHistogramDataPoint { repeated opentelemetry.proto.common.v1.KeyValue attributes = 1; }
  message SummaryDataPoint { repeated opentelemetry.proto.common.v1.KeyValue attributes = 7; fixed64 start_time_unix_nano = 2;
    fixed64 time_unix_nano = 3; fixed64 count = 4; double sum = 5; repeated ValueAtQuantile quantile_values = 6; uint32 flags = 8;
    message ValueAtQuantile { double quantile = 1; double value = 2; } }`,
  `syntax = "proto3"; package opentelemetry.proto.collector.metrics.v1;
  message ExportMetricsServiceRequest { repeated opentelemetry.proto.metrics.v1.ResourceMetrics resource_metrics = 1; }
  message ExportMetricsServiceResponse { ExportMetricsPartialSuccess partial_success = 1; }
  message ExportMetricsPartialSuccess { int64 rejected_data_points = 1; string error_message = 2; }`,
  `syntax = "proto3"; package google.rpc;
  message Status { int32 code = 1; string message = 2; }`,
];
const root = new protobuf.Root();
for (const p of PROTOS) protobuf.parse(p, root);
root.resolveAll();
export const ExportMetricsServiceRequest = root.lookupType('opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest');
const ExportMetricsServiceResponse = root.lookupType('opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceResponse');
const RpcStatus = root.lookupType('google.rpc.Status');

type Int64 = number | string | { toNumber(): number };
interface AnyValue { stringValue?: string; boolValue?: boolean; intValue?: Int64; doubleValue?: number; arrayValue?: { values: AnyValue[] }; kvlistValue?: { values: KeyValue[] }; bytesValue?: Uint8Array }
interface KeyValue { key: string; value?: AnyValue }
interface NumberPoint { attributes: KeyValue[]; timeUnixNano: Int64; asDouble?: number; asInt?: Int64; flags: number }
interface HistogramPoint { attributes: KeyValue[]; timeUnixNano: Int64; count: Int64; sum?: number | null; bucketCounts: Int64[]; explicitBounds: number[]; flags: number }
interface SummaryPoint { attributes: KeyValue[]; timeUnixNano: Int64; count: Int64; sum: number; quantileValues: { quantile: number; value: number }[]; flags: number }
interface Metric {
  name: string;
  unit: string;
  gauge?: { dataPoints: NumberPoint[] };
  sum?: { dataPoints: NumberPoint[]; aggregationTemporality: number; isMonotonic: boolean };
  histogram?: { dataPoints: HistogramPoint[]; aggregationTemporality: number };
  exponentialHistogram?: { dataPoints: unknown[] };
  summary?: { dataPoints: SummaryPoint[] };
}
export interface MetricsRequest {
  resourceMetrics: { resource?: { attributes: KeyValue[] }; scopeMetrics: { metrics: Metric[] }[] }[];
}

export type OtlpEncoding = 'protobuf' | 'json';

/** The encoding of a Content-Type, or a 415. */
export function otlpEncoding(contentType: string | undefined): OtlpEncoding {
  const type = (contentType ?? '').split(';')[0].trim().toLowerCase();
  if (type === 'application/x-protobuf') return 'protobuf';
  if (type === 'application/json') return 'json';
  throw new IngestError(415, `Content-Type ${JSON.stringify(contentType ?? '')} is not accepted: OTLP/HTTP sends application/x-protobuf or application/json`, 'media_type');
}

const DECODE_TYPES: OtlpTypesForDecode = {
  Resource: root.lookupType('opentelemetry.proto.resource.v1.Resource'),
  points: new Map(
    ([[5, 'gauge', 'NumberDataPoint'], [7, 'sum', 'NumberDataPoint'], [9, 'histogram', 'HistogramDataPoint'], [10, 'exponentialHistogram', 'ExponentialHistogramDataPoint'], [11, 'summary', 'SummaryDataPoint']] as const).map(
      ([field, key, point]) => [field, { key, type: root.lookupType(`opentelemetry.proto.metrics.v1.${point}`) }],
    ),
  ),
};

/** Decodes a request body (already un-gzipped), yielding to the event loop as it goes; a 400 IngestError names what is wrong. */
export async function decodeMetricsRequest(body: Uint8Array, encoding: OtlpEncoding): Promise<MetricsRequest> {
  try {
    if (encoding === 'protobuf') return (await decodeProtobufSliced(body, DECODE_TYPES)) as unknown as MetricsRequest;
    // V8's JSON.parse is native and fast (~10 ms per MiB); the conversion after it is what is sliced.
    const json: unknown = JSON.parse(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8'));
    if (json === null || typeof json !== 'object' || Array.isArray(json)) throw new Error('the body must be a JSON object (ExportMetricsServiceRequest)');
    return (await fromJsonSliced(json as Record<string, unknown>, DECODE_TYPES)) as unknown as MetricsRequest;
  } catch (err) {
    const what = encoding === 'protobuf' ? 'protobuf: not an ExportMetricsServiceRequest' : 'JSON: not an ExportMetricsServiceRequest';
    throw new IngestError(400, `${what}: ${(err as Error).message}`, 'decode');
  }
}

const num = (v: Int64 | undefined): number => (v === undefined ? 0 : typeof v === 'number' ? v : typeof v === 'string' ? Number(v) : v.toNumber());
/** OTLP's nanoseconds to Prometheus' milliseconds, truncated as Prometheus does. */
const toMs = (ns: Int64): number => Math.floor(num(ns) / 1e6);
const NO_RECORDED_VALUE = 1;

function attributeValue(v: AnyValue | undefined): string {
  if (!v) return '';
  if (v.stringValue !== undefined && v.stringValue !== null) return v.stringValue;
  if (v.boolValue !== undefined && v.boolValue !== null) return String(v.boolValue);
  if (v.intValue !== undefined && v.intValue !== null) return String(num(v.intValue));
  if (v.doubleValue !== undefined && v.doubleValue !== null) return String(v.doubleValue);
  if (v.bytesValue) return Buffer.from(v.bytesValue).toString('base64');
  if (v.arrayValue) return JSON.stringify(v.arrayValue.values.map(attributeValue));
  if (v.kvlistValue) return JSON.stringify(Object.fromEntries(v.kvlistValue.values.map((kv) => [kv.key, attributeValue(kv.value)])));
  return '';
}

/** Attributes as labels; two keys that translate to one name get their values joined with `;`, in key order. */
function attributeLabels(attrs: readonly KeyValue[], into: Record<string, string>): Record<string, string> {
  const sorted = [...attrs].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const fromAttrs: Record<string, string> = {};
  for (const kv of sorted) {
    const name = prometheusLabelName(kv.key);
    const value = attributeValue(kv.value);
    if (name === '' || value === '') continue;
    fromAttrs[name] = name in fromAttrs ? `${fromAttrs[name]};${value}` : value;
  }
  return Object.assign(into, fromAttrs);
}

const IDENTIFYING = new Set(['service.name', 'service.namespace', 'service.instance.id']);

/** job and instance from the resource, as Prometheus derives them; the rest of the resource goes to target_info. */
function resourceLabels(attrs: readonly KeyValue[]): { target: Record<string, string>; info: KeyValue[] } {
  const get = (k: string) => attributeValue(attrs.find((a) => a.key === k)?.value);
  const name = get('service.name');
  const namespace = get('service.namespace');
  const target: Record<string, string> = {};
  if (name !== '') target.job = namespace !== '' ? `${namespace}/${name}` : name;
  const instance = get('service.instance.id');
  if (instance !== '') target.instance = instance;
  return { target, info: attrs.filter((a) => !IDENTIFYING.has(a.key)) };
}

export interface MetricsReport {
  samples: number;
  /** Data points not stored. */
  rejected: number;
  /** By reason (delta_temporality, exponential_histogram, invalid_name, no_data): how many, why, and one metric as an example. */
  rejectedByReason: Map<string, { count: number; message: string; example: string }>;
}

/** The partialSuccess message: what was dropped and why. */
export function partialSuccessMessage(report: MetricsReport): string {
  return [...report.rejectedByReason.values()].map(({ count, message, example }) => `${count} data point(s) of ${example}${count > 1 ? ' and others' : ''} dropped: ${message}`).join('; ');
}

const REASONS = {
  delta: ['delta_temporality', 'delta temporality is not supported, export cumulative (OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE=cumulative)'],
  exponential: ['exponential_histogram', 'exponential histograms are not supported, use explicit bucket histograms'],
  name: ['invalid_name', 'the metric name has no valid character left after translation'],
  unset: ['no_data', 'the metric has no gauge, sum, histogram or summary'],
} as const;

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));
/** Data points between two turns of the event loop while a large request is appended. */
const SLICE = 2000;

/** Appends a decoded request in one batch, yielding to the event loop every SLICE points. */
export async function appendMetricsRequest(storage: SampleStorage, req: MetricsRequest): Promise<MetricsReport> {
  const report: MetricsReport = { samples: 0, rejected: 0, rejectedByReason: new Map() };
  const reject = ([reason, message]: readonly [string, string], metric: string, count: number) => {
    if (count === 0) return;
    report.rejected += count;
    const r = report.rejectedByReason.get(reason);
    if (r) r.count += count;
    else report.rejectedByReason.set(reason, { count, message, example: metric });
  };
  const app: Appender = storage.appender();
  let points = 0;
  const pace = async () => {
    if (++points % SLICE === 0) await nextTurn();
  };
  const put = (labels: Record<string, string>, t: number, v: number, stale: boolean) => {
    if (stale) app.markStale(labels, t);
    else app.append(labels, t, v);
    report.samples++;
  };
  try {
    for (const rm of req.resourceMetrics) {
      const { target, info } = resourceLabels(rm.resource?.attributes ?? []);
      let latest = -Infinity;
      for (const sm of rm.scopeMetrics) {
        for (const m of sm.metrics) {
          const base = (kind: OtlpMetricKind) => prometheusMetricName(m.name, m.unit, kind);
          const series = (name: string, attrs: readonly KeyValue[], extra?: Record<string, string>) => ({
            ...attributeLabels(attrs, {}),
            ...target,
            ...extra,
            __name__: name,
          });
          if (m.gauge || m.sum) {
            const points = (m.gauge ?? m.sum)!.dataPoints;
            if (m.sum && m.sum.aggregationTemporality !== 2) {
              reject(REASONS.delta, m.name, points.length);
              continue;
            }
            const name = base(m.gauge ? 'gauge' : m.sum!.isMonotonic ? 'counter' : 'sum');
            if (name === '') {
              reject(REASONS.name, m.name, points.length);
              continue;
            }
            for (const p of points) {
              await pace();
              const t = toMs(p.timeUnixNano);
              latest = Math.max(latest, t);
              const v = p.asDouble !== undefined && p.asDouble !== null ? p.asDouble : num(p.asInt ?? 0);
              put(series(name, p.attributes), t, v, (p.flags & NO_RECORDED_VALUE) !== 0);
            }
          } else if (m.histogram) {
            const points = m.histogram.dataPoints;
            if (m.histogram.aggregationTemporality !== 2) {
              reject(REASONS.delta, m.name, points.length);
              continue;
            }
            const name = base('histogram');
            if (name === '') {
              reject(REASONS.name, m.name, points.length);
              continue;
            }
            for (const p of points) {
              await pace();
              const t = toMs(p.timeUnixNano);
              latest = Math.max(latest, t);
              const stale = (p.flags & NO_RECORDED_VALUE) !== 0;
              const count = num(p.count);
              if (p.sum !== undefined && p.sum !== null) put(series(`${name}_sum`, p.attributes), t, p.sum, stale);
              put(series(`${name}_count`, p.attributes), t, count, stale);
              let cumulative = 0;
              p.explicitBounds.forEach((bound, i) => {
                cumulative += num(p.bucketCounts[i]);
                put(series(`${name}_bucket`, p.attributes, { le: formatBound(bound) }), t, cumulative, stale);
              });
              put(series(`${name}_bucket`, p.attributes, { le: '+Inf' }), t, count, stale);
            }
          } else if (m.summary) {
            const name = base('summary');
            if (name === '') {
              reject(REASONS.name, m.name, m.summary.dataPoints.length);
              continue;
            }
            for (const p of m.summary.dataPoints) {
              await pace();
              const t = toMs(p.timeUnixNano);
              latest = Math.max(latest, t);
              const stale = (p.flags & NO_RECORDED_VALUE) !== 0;
              put(series(`${name}_sum`, p.attributes), t, p.sum, stale);
              put(series(`${name}_count`, p.attributes), t, num(p.count), stale);
              for (const q of p.quantileValues) put(series(name, p.attributes, { quantile: formatBound(q.quantile) }), t, q.value, stale);
            }
          } else if (m.exponentialHistogram) {
            reject(REASONS.exponential, m.name, m.exponentialHistogram.dataPoints.length);
          } else {
            reject(REASONS.unset, m.name, 1);
          }
        }
      }
      // Prometheus' target_info: the resource's other attributes, once per resource, at its latest point
      if (info.length > 0 && latest > -Infinity && (target.job || target.instance)) {
        put({ ...attributeLabels(info, {}), ...target, __name__: 'target_info' }, latest, 1, false);
      }
    }
  } catch (err) {
    app.rollback();
    throw err;
  }
  await app.commit();
  return report;
}

/** ExportMetricsServiceResponse in the request's encoding; partialSuccess only when something was dropped. */
export function encodeMetricsResponse(report: MetricsReport, encoding: OtlpEncoding): Uint8Array | string {
  const body = report.rejected > 0 ? { partialSuccess: { rejectedDataPoints: report.rejected, errorMessage: partialSuccessMessage(report) } } : {};
  if (encoding === 'json') {
    const json = report.rejected > 0 ? { partialSuccess: { rejectedDataPoints: String(report.rejected), errorMessage: partialSuccessMessage(report) } } : {};
    return JSON.stringify(json);
  }
  return ExportMetricsServiceResponse.encode(ExportMetricsServiceResponse.fromObject(body)).finish();
}

/** google.rpc.Status, OTLP's error body; code 3 is INVALID_ARGUMENT. */
export function encodeRpcStatus(message: string, encoding: OtlpEncoding, code = 3): Uint8Array | string {
  if (encoding === 'json') return JSON.stringify({ code, message, details: [] });
  return RpcStatus.encode(RpcStatus.fromObject({ code, message })).finish();
}

/** Decoders for tests and tools: the response and the error body. */
export const OtlpTypes = { ExportMetricsServiceRequest, ExportMetricsServiceResponse, RpcStatus };
