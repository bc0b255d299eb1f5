// Metrics in over HTTP into the embedded TSDB: Prometheus remote write 1.0 (POST /api/v1/write) and
// OTLP/HTTP metrics (POST /v1/metrics).
// This file only speaks HTTP; decoding, checks and appending are tsdb's.
import type { Request } from 'express';
import express from 'express';
import type { Logger } from 'pino';
import { promisify } from 'node:util';
import { gunzip as gunzipCallback } from 'node:zlib';
import type { OtlpEncoding, SampleStorage } from '../tsdb/index.js';
import type { IngestionMetrics } from './ingestion-metrics.js';

export interface IngestionDeps {
  /** The embedded TSDB, read per request; undefined (datasource.prometheus) → 404, as Prometheus without its receiver flag. */
  storage: () => SampleStorage | undefined;
  metrics: IngestionMetrics;
  /** server.max_request_bytes: larger bodies get 413. */
  maxRequestBytes: number;
  logger?: Logger;
}

class TooLarge extends Error {}

/** The raw body, at most `limit` bytes (body-parser cannot: it refuses Content-Encoding snappy). */
export function readBody(req: Request, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.removeAllListeners('data');
        req.resume();
        reject(new TooLarge(`request body is larger than the limit of ${limit} bytes (server.max_request_bytes)`));
      } else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

const NOT_EMBEDDED = 'vigil receives metrics only into its embedded TSDB (datasource.embedded); with datasource.prometheus, send them to that Prometheus\n';
class NotEmbedded extends Error {}

type Tsdb = typeof import('../tsdb/index.js');
let tsdbModule: Promise<Tsdb> | undefined;
/** The TSDB's code (decoders, protobuf) is loaded at the first metrics request: a vigil on Prometheus never needs it. */
const tsdb = (): Promise<Tsdb> => (tsdbModule ??= import('../tsdb/index.js'));

export function ingestionRoutes({ storage: storageOf, metrics, maxRequestBytes, logger }: IngestionDeps): express.Router {
  const r = express.Router();
  // Prometheus' receiver answers in text/plain: 204 on success, 400 so the sender drops bad data, 415, 413, 500.
  r.post('/api/v1/write', async (req, res) => {
    const storage = storageOf();
    if (!storage) {
      res.status(404).type('text/plain').send(NOT_EMBEDDED);
      return;
    }
    const { appendWriteRequest, checkRemoteWriteHeaders, decodeWriteRequest, IngestError } = await tsdb();
    try {
      checkRemoteWriteHeaders(req.get('content-type'), req.get('content-encoding'));
      const body = await readBody(req, maxRequestBytes);
      // Prometheus' batches compress about 5-10×; 16× the body limit leaves room and bounds the allocation
      const report = await appendWriteRequest(storage, await decodeWriteRequest(body, 16 * maxRequestBytes));
      metrics.appended('remote_write', report.samples);
      res.status(204).end();
    } catch (err) {
      if (err instanceof IngestError) {
        metrics.refusedRequest('remote_write', err.reason);
        logger?.warn({ err: err.message }, 'remote write refused');
        res.status(err.status).type('text/plain').send(err.message + '\n');
      } else if (err instanceof TooLarge) {
        metrics.refusedRequest('remote_write', 'too_large');
        res.status(413).type('text/plain').send(err.message + '\n');
      } else {
        logger?.error({ err: (err as Error).message }, 'remote write: appending failed');
        res.status(500).type('text/plain').send(`${(err as Error).message}\n`);
      }
    }
  });
  // OTLP/HTTP: the response in the request's encoding; errors as google.rpc.Status. Also at
  // Prometheus' own OTLP path, so an exporter set up for Prometheus works unchanged.
  r.post(['/v1/metrics', '/api/v1/otlp/v1/metrics'], async (req, res) => {
    const { appendMetricsRequest, decodeMetricsRequest, encodeMetricsResponse, encodeRpcStatus, IngestError, otlpEncoding } = await tsdb();
    let encoding: OtlpEncoding = 'json';
    const send = (status: number, body: Uint8Array | string) =>
      res.status(status).type(encoding === 'json' ? 'application/json' : 'application/x-protobuf').send(typeof body === 'string' ? body : Buffer.from(body));
    const storage = storageOf();
    try {
      if (!storage) throw new NotEmbedded(NOT_EMBEDDED.trim());
      encoding = otlpEncoding(req.get('content-type'));
      let body = await readBody(req, maxRequestBytes);
      const contentEncoding = (req.get('content-encoding') ?? '').trim().toLowerCase();
      // JSON.parse is one native call of ~20 ms per MiB: JSON may inflate to the limit, protobuf (decoded in slices) to 4 × it.
      if (contentEncoding === 'gzip') body = await gunzip(body, maxRequestBytes, encoding === 'json' ? 1 : 4, IngestError);
      else if (contentEncoding !== '' && contentEncoding !== 'identity') {
        throw new IngestError(415, `Content-Encoding ${JSON.stringify(contentEncoding)} is not accepted: send gzip or nothing`, 'media_type');
      }
      const report = await appendMetricsRequest(storage, await decodeMetricsRequest(body, encoding));
      metrics.appended('otlp', report.samples);
      for (const [reason, { count }] of report.rejectedByReason) metrics.droppedPoints('otlp', reason, count);
      if (report.rejected > 0) logger?.warn({ rejected: report.rejected, reasons: [...report.rejectedByReason.keys()] }, 'OTLP data points dropped');
      send(200, encodeMetricsResponse(report, encoding));
    } catch (err) {
      if (err instanceof IngestError) {
        metrics.refusedRequest('otlp', err.reason);
        logger?.warn({ err: err.message }, 'OTLP export refused');
        send(err.status, encodeRpcStatus(err.message, encoding));
      } else if (err instanceof NotEmbedded) {
        send(404, encodeRpcStatus(err.message, encoding, 12));
      } else if (err instanceof TooLarge) {
        metrics.refusedRequest('otlp', 'too_large');
        send(413, encodeRpcStatus(err.message, encoding, 8));
      } else {
        logger?.error({ err: (err as Error).message }, 'OTLP: appending failed');
        send(500, encodeRpcStatus((err as Error).message, encoding, 13));
      }
    }
  });
  return r;
}

const gunzipAsync = promisify(gunzipCallback);

/** A gzip body, inflated off the event loop to at most `times` × the body limit (a zip bomb is refused, not allocated). */
async function gunzip(body: Buffer, limit: number, times: number, IngestError: Tsdb['IngestError']): Promise<Buffer> {
  try {
    return await gunzipAsync(body, { maxOutputLength: times * limit });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ERR_BUFFER_TOO_LARGE') throw new TooLarge(`the gzip body inflates past ${times * limit} bytes (${times === 1 ? '' : `${times} × `}server.max_request_bytes)`);
    throw new IngestError(400, `gzip: ${e.message}`, 'decode');
  }
}
