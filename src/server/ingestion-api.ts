// Metrics in over HTTP: Prometheus remote write 1.0 (POST /api/v1/write) into the embedded TSDB.
// This file only speaks HTTP; decoding, checks and appending are tsdb's.
import type { Request } from 'express';
import express from 'express';
import type { Logger } from 'pino';
import { appendWriteRequest, checkRemoteWriteHeaders, decodeWriteRequest, IngestError, type SampleStorage } from '../tsdb/index.js';
import type { IngestionMetrics } from './ingestion-metrics.js';

export interface IngestionDeps {
  storage: SampleStorage;
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

export function ingestionRoutes({ storage, metrics, maxRequestBytes, logger }: IngestionDeps): express.Router {
  const r = express.Router();
  // Prometheus' receiver answers in text/plain: 204 on success, 400 so the sender drops bad data, 415, 413, 500.
  r.post('/api/v1/write', async (req, res) => {
    try {
      checkRemoteWriteHeaders(req.get('content-type'), req.get('content-encoding'));
      const body = await readBody(req, maxRequestBytes);
      const report = await appendWriteRequest(storage, decodeWriteRequest(body));
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
  return r;
}
