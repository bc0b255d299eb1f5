// Metrics in: remote write 1.0, OTLP/HTTP metrics, scraping.
export { IngestError } from './errors.js';
export { appendWriteRequest, checkRemoteWriteHeaders, decodeWriteRequest, WriteRequestType, type WriteReport, type WriteRequest } from './remote-write.js';
export {
  appendMetricsRequest, decodeMetricsRequest, encodeMetricsResponse, encodeRpcStatus, otlpEncoding, partialSuccessMessage, OtlpTypes,
  type MetricsReport, type MetricsRequest, type OtlpEncoding,
} from './otlp.js';
export { prometheusLabelName, prometheusMetricName, type OtlpMetricKind } from './otlp-names.js';
