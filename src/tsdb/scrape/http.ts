// One scrape over HTTP(S): node:http rather than fetch, for a per-target CA file, a keep-alive agent
// per target, and a timeout that covers the whole body.
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { createGunzip } from 'node:zlib';

/** What Prometheus 2.42 sends: OpenMetrics first, then the text format. */
export const SCRAPE_ACCEPT =
  'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1';

export interface PageRequest {
  url: URL;
  timeoutMs: number;
  headers: Record<string, string>;
}

export interface Page {
  contentType: string;
  body: string;
}

/** A connection reused across one target's scrapes; `ca` is the tls_config ca_file's contents. */
export function targetAgent(scheme: 'http' | 'https', tls?: { ca?: Buffer; insecureSkipVerify?: boolean }): HttpAgent {
  if (scheme === 'http') return new HttpAgent({ keepAlive: true, maxSockets: 1 });
  return new HttpsAgent({ keepAlive: true, maxSockets: 1, ca: tls?.ca, rejectUnauthorized: !tls?.insecureSkipVerify });
}

/** GETs one page; rejects with Prometheus-like reasons (status, timeout, connection error). */
export function fetchPage(req: PageRequest, agent: HttpAgent): Promise<Page> {
  return new Promise((resolve, reject) => {
    const send = req.url.protocol === 'https:' ? httpsRequest : httpRequest;
    const r = send(req.url, { method: 'GET', agent, headers: req.headers });
    const timer = setTimeout(() => r.destroy(new Error(`scrape timed out after ${req.timeoutMs / 1000}s (scrape_timeout)`)), req.timeoutMs);
    const fail = (err: Error) => {
      clearTimeout(timer);
      reject(err);
    };
    r.on('error', fail);
    r.on('response', (res: IncomingMessage) => {
      if (res.statusCode !== 200) {
        res.resume();
        return fail(new Error(`server returned HTTP status ${res.statusCode} ${res.statusMessage ?? ''}`.trim()));
      }
      const gzip = /gzip/i.test(res.headers['content-encoding'] ?? '');
      const stream = gzip ? res.pipe(createGunzip()) : res;
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('error', fail);
      res.on('error', fail);
      stream.on('end', () => {
        clearTimeout(timer);
        resolve({ contentType: res.headers['content-type'] ?? '', body: Buffer.concat(chunks).toString('utf8') });
      });
    });
    r.end();
  });
}
