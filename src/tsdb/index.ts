// Embedded storage: an in-memory series store the PromQL engine reads (promql's Queryable),
// and the loaders that fill it: OpenMetrics files and the expanding notation of test files.
export { MemoryStore, type SeriesRef, type StoreStats } from './memory.js';
export { loadOpenMetrics, loadOpenMetricsFile, OpenMetricsError, type LoadReport } from './openmetrics.js';
export { expandSeriesValues, parseSeriesLine, parseSeriesSelector, parseNumber, NotationError, type SequenceValue } from './notation.js';
export { appendSequence } from './sequence.js';
export type { Appender, CommitResult, Labels, SampleStorage, SeriesHandle } from './storage.js';
export { ChunkEncoder, decodeChunk, isStaleNaN, STALE_NAN } from './chunkenc.js';
export { Head, type HeadSeries, type HeadStats } from './head.js';
export { TSDB, TSDBAppender, type TSDBLogger, type TSDBOptions, type TSDBStats } from './db.js';
export {
  appendWriteRequest, checkRemoteWriteHeaders, decodeWriteRequest, IngestError, WriteRequestType,
  type WriteReport, type WriteRequest,
} from './ingest/index.js';
export {
  ScrapeManager, compileRelabel, parseExposition, parseSeriesText, ExpositionError,
  type ScrapeManagerOptions, type TargetHealth, type ScrapeResult, type ScrapeTarget, type Relabel, type ScrapedLine,
} from './scrape/index.js';
export {
  appendMetricsRequest, decodeMetricsRequest, encodeMetricsResponse, encodeRpcStatus, otlpEncoding, partialSuccessMessage, OtlpTypes,
  prometheusLabelName, prometheusMetricName,
  type MetricsReport, type MetricsRequest, type OtlpEncoding, type OtlpMetricKind,
} from './ingest/index.js';
export { importOpenMetricsFiles, type ImportReport } from './import.js';
