// Metrics in: remote write 1.0, OTLP/HTTP metrics, scraping.
export { IngestError, isStaleNaN } from './errors.js';
export { appendWriteRequest, checkRemoteWriteHeaders, decodeWriteRequest, WriteRequestType, type WriteReport, type WriteRequest } from './remote-write.js';
