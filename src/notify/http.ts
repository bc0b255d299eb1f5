/** HTTP as the notifiers need it: TLS from http_config, aborted by a signal, never throwing on a status. */
import http from 'node:http';
import https from 'node:https';
import axios from 'axios';
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

/** One request; `body` (a string is sent as is) as JSON; returns whatever the server answered; throws only when no answer came. */
export async function request(
  method: 'GET' | 'POST' | 'PATCH' | 'PUT',
  url: string,
  body: unknown,
  agent: http.Agent,
  signal: AbortSignal,
  headers: Record<string, string> = {},
): Promise<HttpAnswer> {
  const res = await axios.request<string>({
    method,
    url,
    data: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    headers: { ...(body === undefined ? {} : { 'Content-Type': 'application/json' }), 'User-Agent': 'vigil', ...headers },
    httpAgent: agent,
    httpsAgent: agent,
    signal,
    proxy: false,
    maxRedirects: 0,
    responseType: 'text',
    // the body is a JSON string already: axios' default would parse it again to check it
    transformRequest: (d: unknown) => d,
    transformResponse: (x: string) => x,
    validateStatus: () => true,
  });
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(res.headers ?? {})) if (v != null) out[k.toLowerCase()] = String(v);
  return { status: res.status, headers: out, body: typeof res.data === 'string' ? res.data : String(res.data ?? '') };
}

/** POSTs `body` as JSON; see request(). */
export function post(url: string, body: unknown, agent: http.Agent, signal: AbortSignal, headers: Record<string, string> = {}): Promise<HttpAnswer> {
  return request('POST', url, body, agent, signal, headers);
}
