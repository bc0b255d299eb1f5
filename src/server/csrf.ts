// Cross-site request forgery: with server.bearer_token set, a cross-site form cannot add the
// Authorization header, so writes are safe already. Without a token, a browser's cross-site write
// is refused by what the browser itself says: Sec-Fetch-Site, or an Origin that is not this host.
// Programs (curl, amtool, Prometheus) send neither header and are not affected.
import type { RequestHandler } from 'express';
import { sendError } from './ingest.js';
import { PROM_QUERY_POST_PATHS } from './prom-api.js';

const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
/** POSTs that only read (Prometheus' query API by form): nothing to forge. */
const READ_POSTS = new Set(PROM_QUERY_POST_PATHS);

/** Whether the request says it comes from a page of another site (or another origin than this host). */
export function isCrossSite(headers: { secFetchSite?: string; origin?: string; host?: string }): boolean {
  if (headers.secFetchSite === 'cross-site') return true;
  if (headers.origin === undefined) return false;
  // "null" is what a sandboxed or file:// page sends
  if (headers.origin === 'null') return true;
  try {
    return new URL(headers.origin).host !== headers.host;
  } catch {
    return true;
  }
}

export function rejectCrossSiteWrites(tokenConfigured: () => boolean): RequestHandler {
  return (req, res, next) => {
    if (!WRITE_METHODS.has(req.method) || READ_POSTS.has(req.path) || tokenConfigured()) return next();
    const cross = isCrossSite({ secFetchSite: req.get('sec-fetch-site'), origin: req.get('origin'), host: req.get('host') });
    if (!cross) return next();
    sendError(res, 403, 'cross-site write refused: this request came from a page on another site (Origin/Sec-Fetch-Site); set server.bearer_token to allow writes from other origins with the token');
  };
}
