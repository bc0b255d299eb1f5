/** HTTP as the notifiers need it: TLS from http_config, aborted by a signal, never throwing on a status. */
import http from 'node:http';
import https from 'node:https';
import type { HttpConfig } from '../config/index.js';

export interface HttpAnswer {
  status: number;
  /** Header names lower-cased. */
  headers: Record<string, string>;
  body: string;
}

/** Idle connections are kept a few seconds (as Node's global agent does): 10,000 groups flushed a second need not open 10,000 connections. */
const KEEP_ALIVE = { keepAlive: true, scheduling: 'lifo', timeout: 5_000 } as const;

/**
 * The agent a notifier keeps for its URL: the CA of tls_config, insecure_skip_verify, and
 * keep-alive. An aborted request destroys its own socket, so an abort still closes the connection.
 */
export function agentFor(url: string, config: HttpConfig): http.Agent {
  if (new URL(url).protocol === 'https:') {
    return new https.Agent({ ca: config.ca, rejectUnauthorized: !config.insecureSkipVerify, ...KEEP_ALIVE });
  }
  return new http.Agent(KEEP_ALIVE);
}

/**
 * One request; `body` (a string is sent as is) as JSON; returns whatever the server answered;
 * throws only when no answer came. node:http itself rather than axios: at 10,000 groups a second,
 * axios' per-request config merging and adapter chain cost more than the send.
 */
export function request(
  method: 'GET' | 'POST' | 'PATCH' | 'PUT',
  url: string,
  body: unknown,
  agent: http.Agent,
  signal: AbortSignal,
  headers: Record<string, string> = {},
): Promise<HttpAnswer> {
  const data = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
  const target = new URL(url);
  const send = target.protocol === 'https:' ? https.request : http.request;
  const head: Record<string, string | number> = { Accept: 'application/json, text/plain, */*', 'User-Agent': 'vigil' };
  if (data !== undefined) {
    head['Content-Type'] = 'application/json';
    head['Content-Length'] = Buffer.byteLength(data);
  }
  return new Promise<HttpAnswer>((resolve, reject) => {
    // user:password@ in the URL becomes basic auth, as with axios; no proxy and no redirects are followed
    const req = send(target, { method, agent, signal, headers: { ...head, ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const out: Record<string, string> = {};
        for (const [k, v] of Object.entries(res.headers)) if (v != null) out[k.toLowerCase()] = String(v);
        resolve({ status: res.statusCode ?? 0, headers: out, body: Buffer.concat(chunks).toString('utf8') });
      });
    });
    req.on('error', reject);
    req.end(data);
  });
}

/** POSTs `body` as JSON; see request(). */
export function post(url: string, body: unknown, agent: http.Agent, signal: AbortSignal, headers: Record<string, string> = {}): Promise<HttpAnswer> {
  return request('POST', url, body, agent, signal, headers);
}
