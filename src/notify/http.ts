/** HTTP as the notifiers need it: TLS from http_config, aborted by a signal, never throwing on a status. */
import { Agent, type Dispatcher } from 'undici';
import type { HttpConfig } from '../config/index.js';

export interface HttpAnswer {
  status: number;
  /** Header names lower-cased. */
  headers: Record<string, string>;
  body: string;
}

/** A notifier's connection pool to its receiver (undici's). */
export type HttpAgent = Dispatcher;

/**
 * At most this many connections per origin, kept alive a few seconds when idle: unbounded,
 * 10,000 groups flushed at once opened 10,000 sockets and closed all but 256 after, every second
 * (bench/README.md, "10,000 groups, measured").
 */
const MAX_CONNECTIONS = 256;
const KEEP_ALIVE_MS = 5_000;

/**
 * The agent a notifier keeps for its URL: the CA of tls_config, insecure_skip_verify, and
 * keep-alive. undici rather than node:http: a webhook send cost 40% less CPU (bench/README.md).
 */
export function agentFor(url: string, config: HttpConfig): HttpAgent {
  const tls = new URL(url).protocol === 'https:' ? { connect: { ca: config.ca, rejectUnauthorized: !config.insecureSkipVerify } } : {};
  // undici's own headers and body timeouts (300 s) are off: the attempt's signal is the one timeout (http_config's)
  return new Agent({ connections: MAX_CONNECTIONS, keepAliveTimeout: KEEP_ALIVE_MS, headersTimeout: 0, bodyTimeout: 0, ...tls });
}

/**
 * One request; `body` (a string is sent as is) as JSON; returns whatever the server answered;
 * throws only when no answer came. Not axios: at 10,000 groups a second, axios' per-request
 * config merging and adapter chain cost more than the send. undici's dispatch with a handler of
 * its own rather than its request(): request()'s response stream and promise layers cost as much
 * CPU as the rest of the send (bench/README.md, "Sends through undici's dispatch").
 */
export function request(
  method: 'GET' | 'POST' | 'PATCH' | 'PUT',
  url: string,
  body: unknown,
  agent: HttpAgent,
  signal: AbortSignal,
  headers: Record<string, string> = {},
): Promise<HttpAnswer> {
  // all of it inside the executor: a bad URL, a circular body or an unsendable header rejects, as from an async function, rather than throwing
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const data = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    const target = new URL(url);
    const head: Record<string, string> = { accept: 'application/json, text/plain, */*', 'user-agent': 'vigil' };
    if (data !== undefined) head['content-type'] = 'application/json';
    // user:password@ in the URL becomes basic auth, as with axios; no proxy and no redirects are followed
    if (target.username || target.password) {
      head.authorization = `Basic ${Buffer.from(`${decodeURIComponent(target.username)}:${decodeURIComponent(target.password)}`).toString('base64')}`;
    }
    for (const [k, v] of Object.entries(headers)) head[k.toLowerCase()] = v; // the caller's win, whatever their case
    agent.dispatch({ origin: target.origin, path: target.pathname + target.search, method, headers: head, body: data }, new Answer(resolve, reject, signal));
  });
}

/** undici's handler for one request: collects the answer, and aborts it when the signal does (or at once, if it did before the connection). */
class Answer implements Dispatcher.DispatchHandlers {
  private status = 0;
  private rawHeaders: Buffer[] = [];
  private readonly chunks: Buffer[] = [];
  private abortRequest: ((err: Error) => void) | undefined;
  private readonly onAbort = () => {
    this.abortRequest?.(this.signal.reason);
    this.reject(this.signal.reason); // a request still waiting for a connection settles now, not when it gets one
  };

  constructor(
    private readonly resolve: (a: HttpAnswer) => void,
    private readonly reject: (err: unknown) => void,
    private readonly signal: AbortSignal,
  ) {
    signal.addEventListener('abort', this.onAbort, { once: true });
  }

  onConnect(abort: (err?: Error) => void): void {
    this.abortRequest = abort;
    if (this.signal.aborted) abort(this.signal.reason);
  }

  onHeaders(status: number, rawHeaders: Buffer[]): boolean {
    this.status = status;
    this.rawHeaders = rawHeaders;
    return true;
  }

  onData(chunk: Buffer): boolean {
    this.chunks.push(chunk);
    return true;
  }

  onComplete(): void {
    this.signal.removeEventListener('abort', this.onAbort);
    // decoded once, whole: a character may straddle two chunks
    this.resolve({ status: this.status, headers: headerRecord(this.rawHeaders), body: Buffer.concat(this.chunks).toString('utf8') });
  }

  onError(err: Error): void {
    this.signal.removeEventListener('abort', this.onAbort);
    this.reject(err);
  }
}

/** Raw header pairs as one record: names lower-cased, repeated headers joined by ", " (RFC 9110, 5.3). */
function headerRecord(raw: Buffer[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i].toString('latin1').toLowerCase();
    const value = raw[i + 1].toString('utf8');
    out[name] = Object.hasOwn(out, name) ? `${out[name]}, ${value}` : value;
  }
  return out;
}

/** POSTs `body` as JSON; see request(). */
export function post(url: string, body: unknown, agent: HttpAgent, signal: AbortSignal, headers: Record<string, string> = {}): Promise<HttpAnswer> {
  return request('POST', url, body, agent, signal, headers);
}
