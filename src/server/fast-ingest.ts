// POST /api/v2/alerts without express: the path Prometheus posts to every few seconds per rule
// group, where express' routing, its middleware chain and body-parser were ~6% of vigil's work
// (bench/README.md) and nothing the request needs. Only the plain request takes it — JSON in UTF-8, a Content-Length within the
// limit, no Content-Encoding, authorized, no browser headers; anything else goes through express,
// which answers it as before. The answers are the express route's (the same ingestAlerts).

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Express, Request, Response } from 'express';
import type { Logger } from 'pino';
import { sameToken } from './auth.js';
import { convertPostableAlerts, ingestAlerts, sendError, type IngestDeps } from './ingest.js';
import { parseJsonYielding } from './json-body.js';

export interface FastIngestOptions {
  deps: IngestDeps;
  /** server.max_request_bytes; a larger Content-Length goes to express (413 there). */
  limit: number;
  bearerToken: () => string | undefined;
  /** Answers a bad body (400, 413) through express' response, as the express route does. */
  app: Express;
  logger?: Logger;
}

const PLAIN_JSON = new Set(['application/json', 'application/json; charset=utf-8', 'application/json;charset=utf-8']);

/** Whether this request is the plain one the fast path takes (else express answers it). */
function plain(req: IncomingMessage, limit: number, token: string | undefined): boolean {
  if (req.method !== 'POST' || req.url !== '/api/v2/alerts') return false;
  const h = req.headers;
  const type = h['content-type'];
  if (type === undefined || !PLAIN_JSON.has(type.toLowerCase())) return false;
  const length = h['content-length'];
  if (length === undefined || h['transfer-encoding'] !== undefined || !(Number(length) <= limit)) return false;
  if (h['content-encoding'] !== undefined && h['content-encoding'].toLowerCase() !== 'identity') return false;
  if (token) {
    const m = /^Bearer[ \t]+(.+)$/i.exec(h.authorization ?? '');
    return m !== null && sameToken(m[1].trim(), token);
  }
  // without a token, a browser's write is checked by the CSRF guard in express
  return h.origin === undefined && h['sec-fetch-site'] === undefined;
}

/**
 * Wraps the app's request handling: the plain POST /api/v2/alerts is taken here, every other
 * request goes to express unchanged. Returns nothing; `app` itself keeps working as a listener.
 */
export function mountFastIngest({ deps, limit, bearerToken, app, logger }: FastIngestOptions): void {
  type Handle = (req: IncomingMessage, res: ServerResponse, next?: unknown) => void;
  // express' app function calls app.handle on each request (not in its types): the fast path goes in front of it
  const withHandle = app as unknown as { handle: Handle };
  const handle = withHandle.handle.bind(app);
  withHandle.handle = (req, res, next) => {
    if (!plain(req, limit, bearerToken())) return handle(req, res, next);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('error', () => res.destroy());
    req.on('end', () => {
      let text = (chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)).toString('utf8');
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1); // body-parser drops a BOM too
      const reply = (status: number, error?: string) => {
        if (error === undefined) {
          res.statusCode = status;
          res.end();
          return;
        }
        // an error is rare: answered by express' own response, as the express route answers it
        const r = req as Request;
        r.res = res as Response;
        (res as Response).req = r;
        Object.setPrototypeOf(req, app.request);
        Object.setPrototypeOf(res, app.response);
        sendError(res as Response, status, error);
      };
      const taken = text.length === 0 ? Promise.resolve({}) : parseJsonYielding(text);
      taken.then(
        (body) => ingestAlerts(deps, convertPostableAlerts, 'api-v2', body, reply),
        (err: Error) => reply(400, `body is not valid JSON: ${err.message}`),
      ).catch((err: Error) => {
        logger?.error({ err: err.message }, 'request failed');
        if (!res.headersSent) reply(500, 'internal error');
      });
    });
  };
}
