/** A Datasource over Prometheus' HTTP query API (/api/v1/query, /api/v1/query_range). */

import http from 'node:http';
import https from 'node:https';
import type { AxiosInstance, AxiosResponse } from 'axios';
import {
  DatasourceError,
  type Datasource,
  type DatasourceErrorKind,
  type InstantQueryResult,
  type InstantValue,
  type Labels,
  type QueryOptions,
  type RangeQueryResult,
  type Sample,
  type Series,
} from './types.js';
import { retry } from '../retry/index.js';
import { mergeSeries, planChunks, PROMETHEUS_MAX_POINTS } from './range.js';

/** The part of a pino logger the datasource uses. */
export interface DatasourceLogger {
  warn(obj: object, msg: string): void;
}

export interface PrometheusDatasourceOptions {
  /** Base URL, with any path prefix: http://prometheus:9090 or https://host/prometheus. */
  url: string;
  bearerToken?: string;
  basicAuth?: { username: string; password: string };
  /** Extra headers on every request (e.g. X-Scope-OrgID for Mimir/Cortex). */
  headers?: Record<string, string>;
  /** Per HTTP attempt; also sent to Prometheus as its `timeout` parameter. Default 30s. */
  timeoutMs?: number;
  /** Further attempts after network errors, timeouts and 5xx answers. Default 3. */
  retries?: number;
  /** First backoff delay; doubles per attempt, with jitter. Default 250ms. */
  retryBaseDelayMs?: number;
  /** Cap on one backoff delay. Default 5s. */
  retryMaxDelayMs?: number;
  /** The backoff's jitter, in [0, 1). Default Math.random. */
  random?: () => number;
  /** Points per series per range-query chunk. Default (and maximum useful) 11,000. */
  maxPointsPerChunk?: number;
  /** Chunks of one range query in flight at once. Default 2. */
  rangeConcurrency?: number;
  /** Receives Prometheus' warnings and retry notices. Default: none. */
  logger?: DatasourceLogger;
}

interface PromSuccess {
  status: 'success';
  data: { resultType: string; result: unknown };
  warnings?: unknown;
  infos?: unknown;
}

interface RawAnswer {
  data: { resultType: string; result: unknown };
  warnings: string[];
}

const NO_LOGGER: DatasourceLogger = { warn() {} };

export class PrometheusDatasource implements Datasource {
  /** The URL as shown in messages and logs: no credentials, no query string. */
  readonly displayUrl: string;
  private readonly endpoint: string;
  private readonly search: string;
  private readonly headers: Record<string, string>;
  private readonly secrets: string[];
  private readonly timeoutMs: number;
  private readonly retries: number;
  private readonly retryBaseDelayMs: number;
  private readonly retryMaxDelayMs: number;
  private readonly random: () => number;
  private readonly maxPointsPerChunk: number;
  private readonly rangeConcurrency: number;
  private readonly logger: DatasourceLogger;
  private readonly httpAgent = new http.Agent({ keepAlive: true });
  private readonly httpsAgent = new https.Agent({ keepAlive: true });
  /** Created at the first query: axios and node:http2 under it cost ~8 MiB of RSS that a vigil with no rules never needs. */
  private client?: Promise<AxiosInstance>;

  constructor(options: PrometheusDatasourceOptions) {
    let parsed: URL;
    try {
      parsed = new URL(options.url);
    } catch {
      throw new Error('Prometheus url is not a valid URL (expected e.g. http://prometheus:9090)');
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      throw new Error(`Prometheus url must be http:// or https://, not ${parsed.protocol}//`);
    }
    if (options.bearerToken !== undefined && options.basicAuth !== undefined) {
      throw new Error('Prometheus datasource: give either bearerToken or basicAuth, not both');
    }
    let basicAuth = options.basicAuth;
    if (!basicAuth && options.bearerToken === undefined && (parsed.username || parsed.password)) {
      basicAuth = { username: decodeURIComponent(parsed.username), password: decodeURIComponent(parsed.password) };
    }
    const path = parsed.pathname.replace(/\/+$/, '');
    this.displayUrl = `${parsed.protocol}//${parsed.host}${path}`;
    this.endpoint = this.displayUrl;
    this.search = parsed.search;

    this.headers = {
      Accept: 'application/json',
      'Content-Type': 'application/x-www-form-urlencoded',
      'User-Agent': 'vigil',
      ...options.headers,
    };
    this.secrets = [];
    if (options.bearerToken !== undefined) {
      this.headers.Authorization = `Bearer ${options.bearerToken}`;
      this.secrets.push(options.bearerToken);
    } else if (basicAuth) {
      const encoded = Buffer.from(`${basicAuth.username}:${basicAuth.password}`).toString('base64');
      this.headers.Authorization = `Basic ${encoded}`;
      this.secrets.push(basicAuth.password, encoded);
    }
    for (const [name, value] of Object.entries(options.headers ?? {})) {
      if (/^(authorization|cookie|x-api-key)$/i.test(name)) this.secrets.push(value);
    }

    this.timeoutMs = positive(options.timeoutMs, 30_000, 'timeoutMs');
    this.retries = Math.max(0, Math.floor(options.retries ?? 3));
    this.retryBaseDelayMs = Math.max(0, options.retryBaseDelayMs ?? 250);
    this.retryMaxDelayMs = Math.max(0, options.retryMaxDelayMs ?? 5_000);
    this.random = options.random ?? Math.random;
    this.maxPointsPerChunk = Math.min(PROMETHEUS_MAX_POINTS, positive(options.maxPointsPerChunk, PROMETHEUS_MAX_POINTS, 'maxPointsPerChunk'));
    this.rangeConcurrency = Math.max(1, Math.floor(options.rangeConcurrency ?? 2));
    this.logger = options.logger ?? NO_LOGGER;
  }

  private axios(): Promise<AxiosInstance> {
    this.client ??= import('axios').then(({ default: axios }) =>
      axios.create({
        adapter: 'http',
        httpAgent: this.httpAgent,
        httpsAgent: this.httpsAgent,
        // A redirect would turn the POST into a GET without the query; report it instead.
        maxRedirects: 0,
        responseType: 'text',
        transformResponse: [(data: unknown) => data],
        validateStatus: () => true,
      }),
    );
    return this.client;
  }

  async instantQuery(expr: string, time: number, options: QueryOptions = {}): Promise<InstantQueryResult> {
    assertTime(time, 'time');
    const answer = await this.request('/api/v1/query', { query: expr, time: formatTime(time) }, options.signal);
    const value = this.instantValue(answer.data);
    this.logWarnings(expr, answer.warnings);
    return { value, warnings: answer.warnings };
  }

  async rangeQuery(expr: string, start: number, end: number, stepMs: number, options: QueryOptions = {}): Promise<RangeQueryResult> {
    assertTime(start, 'start');
    assertTime(end, 'end');
    if (!(stepMs > 0) || !Number.isFinite(stepMs)) {
      throw new DatasourceError('query', `range query step must be a positive number of milliseconds, got ${stepMs}`);
    }
    if (end < start) {
      throw new DatasourceError('query', `range query end (${new Date(end).toISOString()}) is before its start (${new Date(start).toISOString()})`);
    }
    const chunks = planChunks(start, end, stepMs, this.maxPointsPerChunk);
    const step = formatSeconds(stepMs);

    // One failed chunk fails the query: the rest are cancelled rather than left running.
    const group = new AbortController();
    const onCallerAbort = () => group.abort(options.signal?.reason);
    if (options.signal?.aborted) throw abortReason(options.signal);
    options.signal?.addEventListener('abort', onCallerAbort, { once: true });

    const parts: Series[][] = new Array(chunks.length);
    const warnings: string[] = [];
    let next = 0;
    const worker = async () => {
      while (next < chunks.length) {
        const i = next++;
        const chunk = chunks[i];
        const answer = await this.request(
          '/api/v1/query_range',
          { query: expr, start: formatTime(chunk.start), end: formatTime(chunk.end), step },
          group.signal,
        );
        if (answer.data.resultType !== 'matrix') {
          throw this.error('protocol', `answered a range query with resultType "${answer.data.resultType}" instead of "matrix"`);
        }
        parts[i] = this.matrix(answer.data.result);
        for (const w of answer.warnings) if (!warnings.includes(w)) warnings.push(w);
      }
    };
    try {
      const workers = Array.from({ length: Math.min(this.rangeConcurrency, chunks.length) }, () =>
        worker().catch((err: unknown) => {
          group.abort(err);
          throw err;
        }),
      );
      const settled = await Promise.allSettled(workers);
      if (options.signal?.aborted) throw abortReason(options.signal);
      const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
      if (failed) throw failed.reason;
    } finally {
      options.signal?.removeEventListener('abort', onCallerAbort);
    }
    this.logWarnings(expr, warnings);
    return { series: mergeSeries(parts), warnings };
  }

  /** Closes idle keep-alive connections; the datasource stays usable. */
  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }

  // --- HTTP, retries, timeouts ------------------------------------------------

  private async request(path: string, params: Record<string, string>, signal?: AbortSignal): Promise<RawAnswer> {
    const body = new URLSearchParams({ ...params, timeout: formatSeconds(this.timeoutMs) }).toString();
    let attempts = 0;
    try {
      return await retry(
        (n) => {
          attempts = n;
          if (signal?.aborted) throw abortReason(signal);
          return this.attempt(path, body, signal);
        },
        {
          baseMs: this.retryBaseDelayMs,
          maxMs: this.retryMaxDelayMs,
          jitter: 'equal',
          maxAttempts: this.retries + 1,
          random: this.random,
          ...(signal ? { signal } : {}),
          retryable: (err) => !signal?.aborted && err instanceof DatasourceError && retryable(err) && {},
          onRetry: ({ attempt, error, waitMs }) =>
            this.logger.warn({ datasource: this.displayUrl, attempt, retryInMs: waitMs, error: (error as Error).message }, 'Prometheus query failed; retrying'),
        },
      );
    } catch (err) {
      if (signal?.aborted) throw abortReason(signal);
      if (err instanceof DatasourceError && retryable(err) && attempts > 1) {
        throw new DatasourceError(err.kind, `${err.message} (gave up after ${attempts} attempts)`, err.status);
      }
      throw err;
    }
  }

  private async attempt(path: string, body: string, signal?: AbortSignal): Promise<RawAnswer> {
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, this.timeoutMs);
    const onAbort = () => controller.abort();
    signal?.addEventListener('abort', onAbort, { once: true });
    let res: AxiosResponse<string>;
    try {
      const client = await this.axios();
      res = await client.post<string>(`${this.endpoint}${path}${this.search}`, body, {
        headers: this.headers,
        signal: controller.signal,
      });
    } catch (err) {
      if (signal?.aborted) throw abortReason(signal);
      if (timedOut) throw this.error('timeout', `did not answer within ${formatDuration(this.timeoutMs)}`);
      throw this.error('unavailable', `is unreachable: ${networkMessage(err)}`);
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    }
    return this.interpret(path, res);
  }

  private interpret(path: string, res: AxiosResponse<string>): RawAnswer {
    const status = res.status;
    const text = typeof res.data === 'string' ? res.data : '';
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    const prom = isObject(json) ? json : undefined;
    const errorType = typeof prom?.errorType === 'string' ? prom.errorType : undefined;
    const promError = typeof prom?.error === 'string' ? prom.error : undefined;
    const statusLine = `${status} ${res.statusText || http.STATUS_CODES[status] || ''}`.trim();
    const detail = promError ?? snippet(text);

    if (status >= 200 && status < 300) {
      if (prom?.status === 'success' && isObject(prom.data) && typeof prom.data.resultType === 'string') {
        const ok = prom as unknown as PromSuccess;
        return { data: ok.data, warnings: [...stringList(ok.warnings), ...stringList(ok.infos)] };
      }
      if (prom?.status === 'error') return this.fail(status, errorType, promError ?? '', statusLine);
      throw this.error('protocol', `sent an answer that is not Prometheus' query API (${statusLine}): ${detail || 'empty body'}`, status);
    }
    if (status === 401 || status === 403) {
      throw this.error('auth', `refused the credentials (${statusLine})${detail ? `: ${detail}` : ''}`, status);
    }
    if (status === 400 || status === 422) return this.fail(status, errorType, detail, statusLine);
    if (status >= 500) return this.fail(status, errorType, detail, statusLine);
    if (status === 429) throw this.error('unavailable', `is rate limiting (${statusLine})${detail ? `: ${detail}` : ''}`, status);
    if (status >= 300 && status < 400) {
      const location = typeof res.headers.location === 'string' ? ` to ${stripUrl(res.headers.location)}` : '';
      throw this.error('protocol', `redirected the request${location} (${statusLine}); configure the final URL`, status);
    }
    if (status === 404) {
      throw this.error('protocol', `has no ${path} (${statusLine}); is the URL, including any path prefix, right?`, status);
    }
    throw this.error('protocol', `answered ${statusLine}${detail ? `: ${detail}` : ''}`, status);
  }

  /** Turns one of Prometheus' error answers into a DatasourceError. */
  private fail(status: number, errorType: string | undefined, message: string, statusLine: string): never {
    const tail = message ? `: ${message}` : '';
    if (status === 400 || status === 422 || errorType === 'bad_data' || errorType === 'execution') {
      throw this.error('query', `rejected the query (${errorType ?? statusLine})${tail}`, status);
    }
    if (errorType === 'timeout' || errorType === 'canceled') {
      throw this.error('timeout', `gave up on the query (${errorType})${tail}`, status);
    }
    throw this.error('unavailable', `failed (${errorType ? `${errorType}, ` : ''}${statusLine})${tail}`, status);
  }

  private error(kind: DatasourceErrorKind, what: string, status?: number): DatasourceError {
    return new DatasourceError(kind, this.redact(`Prometheus at ${this.displayUrl} ${what}`), status);
  }

  private redact(message: string): string {
    let out = message;
    for (const secret of this.secrets) if (secret.length >= 4) out = out.split(secret).join('***');
    return out;
  }

  private logWarnings(expr: string, warnings: string[]): void {
    if (warnings.length === 0) return;
    this.logger.warn({ datasource: this.displayUrl, query: expr, warnings }, 'Prometheus answered with warnings');
  }

  // --- Result parsing ------------------------------------------------------------

  private instantValue(data: { resultType: string; result: unknown }): InstantValue {
    switch (data.resultType) {
      case 'vector':
        return { resultType: 'vector', samples: this.vector(data.result) };
      case 'matrix':
        return { resultType: 'matrix', series: this.matrix(data.result) };
      case 'scalar':
        return { resultType: 'scalar', value: this.point(data.result)[1] };
      case 'string': {
        const r = data.result;
        if (!Array.isArray(r) || r.length !== 2 || typeof r[1] !== 'string') throw this.malformed('string result');
        return { resultType: 'string', value: r[1] };
      }
      default:
        throw this.error('protocol', `answered with unknown resultType "${data.resultType}"`);
    }
  }

  private vector(result: unknown): Sample[] {
    if (!Array.isArray(result)) throw this.malformed('vector result');
    return result.map((el: unknown) => {
      if (!isObject(el)) throw this.malformed('vector element');
      if (el.histogram !== undefined) throw this.nativeHistogram();
      return { metric: this.labels(el.metric), value: this.point(el.value)[1] };
    });
  }

  private matrix(result: unknown): Series[] {
    if (!Array.isArray(result)) throw this.malformed('matrix result');
    return result.map((el: unknown) => {
      if (!isObject(el)) throw this.malformed('matrix element');
      if (el.histograms !== undefined) throw this.nativeHistogram();
      if (!Array.isArray(el.values)) throw this.malformed('matrix values');
      return { metric: this.labels(el.metric), points: el.values.map((p: unknown) => this.point(p)) };
    });
  }

  private point(p: unknown): [number, number] {
    if (!Array.isArray(p) || p.length !== 2 || typeof p[0] !== 'number' || typeof p[1] !== 'string') {
      throw this.malformed('sample');
    }
    const value = parseSampleValue(p[1]);
    if (value === undefined) throw this.malformed(`sample value "${p[1]}"`);
    return [Math.round(p[0] * 1000), value];
  }

  private labels(m: unknown): Labels {
    if (m === undefined) return {};
    if (!isObject(m)) throw this.malformed('label set');
    for (const v of Object.values(m)) if (typeof v !== 'string') throw this.malformed('label value');
    return m as Labels;
  }

  private malformed(what: string): DatasourceError {
    return this.error('protocol', `sent a malformed ${what}`);
  }

  private nativeHistogram(): DatasourceError {
    return this.error('protocol', 'answered with native histogram samples, which vigil does not read yet');
  }
}

/** Prometheus writes sample values as Go formats floats: "NaN", "+Inf", "-Inf", "1e+300". */
export function parseSampleValue(s: string): number | undefined {
  switch (s) {
    case 'NaN':
      return NaN;
    case '+Inf':
    case 'Inf':
      return Infinity;
    case '-Inf':
      return -Infinity;
  }
  if (s.trim() === '') return undefined;
  const n = Number(s);
  return Number.isNaN(n) ? undefined : n;
}

/** Unix ms to Prometheus' seconds with millisecond precision. */
function formatTime(ms: number): string {
  return (Math.round(ms) / 1000).toFixed(3);
}

function formatSeconds(ms: number): string {
  return String(ms / 1000);
}

function formatDuration(ms: number): string {
  return ms < 1000 ? `${ms}ms` : `${ms / 1000}s`;
}

function assertTime(t: number, name: string): void {
  if (!Number.isFinite(t)) throw new DatasourceError('query', `query ${name} must be a finite unix time in ms, got ${t}`);
}

function positive(v: number | undefined, fallback: number, name: string): number {
  if (v === undefined) return fallback;
  if (!(v > 0) || !Number.isFinite(v)) throw new Error(`Prometheus datasource: ${name} must be a positive number, got ${v}`);
  return v;
}

function retryable(err: DatasourceError): boolean {
  return (err.kind === 'unavailable' || err.kind === 'timeout') && (err.status === undefined || err.status >= 500);
}

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('This operation was aborted', 'AbortError');
}

/** The socket-level reason of a failed request, e.g. "connect ECONNREFUSED 127.0.0.1:9090". */
function networkMessage(err: unknown): string {
  const e = err as { message?: unknown; code?: unknown; cause?: unknown; errors?: unknown };
  // Node 20 reports a failed dual-stack connect as an AggregateError with an empty message.
  const nested = Array.isArray(e?.errors) ? e.errors : Array.isArray((e?.cause as { errors?: unknown })?.errors) ? (e.cause as { errors: unknown[] }).errors : [];
  const nestedMessages = [...new Set(nested.map((n) => String((n as { message?: unknown })?.message ?? '')).filter(Boolean))];
  if (typeof e?.message === 'string' && e.message !== '') return stripUrlsIn(e.message);
  if (nestedMessages.length > 0) return stripUrlsIn(nestedMessages.join('; '));
  if (typeof e?.code === 'string') return e.code;
  return 'network error';
}

function stripUrl(raw: string): string {
  try {
    const u = new URL(raw);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return '(unparseable location)';
  }
}

function stripUrlsIn(message: string): string {
  return message.replace(/\b(https?:\/\/)[^\s/@]*@/g, '$1');
}

function snippet(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 200 ? `${flat.slice(0, 200)}…` : flat;
}

function stringList(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((w): w is string => typeof w === 'string') : [];
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
