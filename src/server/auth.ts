// Optional bearer token on every write (ingestion, silences, reload); reads stay open, as
// Prometheus' and Alertmanager's read APIs are.

import { createHash, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { PROM_QUERY_POST_PATHS } from './prom-api.js';

const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
/** Writes that prove themselves another way: PagerDuty signs its webhooks with their own secret. */
const SIGNED_PATHS = new Set(['/api/v1/webhooks/pagerduty']);
/** POSTs that only read: Prometheus' query API takes form-encoded queries by POST, and reads stay open. */
const READ_POSTS = new Set(PROM_QUERY_POST_PATHS);

/** Hashing both sides first makes the comparison constant-time whatever the lengths. */
export function sameToken(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/**
 * Requires `Authorization: Bearer <token>` on writes when a token is configured. The token is read
 * per request (a reload may change it) and never logged or echoed.
 */
export function requireBearerOnWrites(token: () => string | undefined): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const expected = token();
    if (!expected || !WRITE_METHODS.has(req.method) || SIGNED_PATHS.has(req.path) || READ_POSTS.has(req.path)) return next();
    const header = req.get('authorization') ?? '';
    const m = /^Bearer[ \t]+(.+)$/i.exec(header);
    if (m && sameToken(m[1].trim(), expected)) return next();
    const message = header ? 'the bearer token is not valid' : 'this endpoint needs Authorization: Bearer <token> (server.bearer_token)';
    // a JSON string on Alertmanager's v2 paths, as its swagger declares error bodies there
    res
      .status(401)
      .set('WWW-Authenticate', 'Bearer realm="vigil"')
      .json(req.path.startsWith('/api/v2/') ? message : { code: 401, message });
  };
}
