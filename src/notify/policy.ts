/**
 * The retry/timeout policy every integration shares (Alertmanager's RetryStage): each
 * integration on its own, attempts bounded by a per-attempt timeout and the flush deadline,
 * exponential backoff with full jitter, Retry-After as the minimum wait.
 */
import { DeadlinePassed, retry } from '../retry/index.js';
import { NotifyError, type Delivery, type Integration, type IntegrationResult } from './types.js';

export interface AttemptInfo {
  kind: string;
  index: number;
  attempt: number;
  ok: boolean;
  error?: NotifyError;
  /** The wait before the next attempt; undefined when there is none. */
  nextInMs?: number;
}

export interface DeliverOptions {
  /** Unix ms; every attempt is aborted by then and no retry starts after it. */
  deadline: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** In [0, 1); the jitter. */
  random?: () => number;
  baseBackoffMs?: number;
  maxBackoffMs?: number;
  onAttempt?: (info: AttemptInfo) => void;
}

const RETRYABLE_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH',
  'ENETUNREACH', 'ENETDOWN', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT', 'ERR_SOCKET_CONNECTION_TIMEOUT',
]);

/** Retry-After as milliseconds from `now`: delay-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null | undefined, now: number = Date.now()): number | undefined {
  if (value == null) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  if (!/[a-z]/i.test(v)) return undefined; // "1.5" or "-3" are not HTTP dates either
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** The error for an HTTP answer that is not 2xx: 429 and 5xx are worth another try, other statuses are not. */
export function errorForStatus(status: number, detail: string, headers: Record<string, string | undefined> = {}, now?: number): NotifyError {
  const retryable = status === 429 || status >= 500;
  const retryAfter = retryable ? parseRetryAfter(headers['retry-after'], now) : undefined;
  return new NotifyError(`${status}${detail ? ': ' + detail : ''}`, retryable, status, retryAfter);
}

/**
 * Turns whatever a send threw (axios, fetch, node:http, @slack/webhook) into a NotifyError.
 * Network errors and timeouts are retryable; a status decides for HTTP answers; anything
 * else (a bug, a bad URL) is not, so that it fails once instead of until the deadline.
 */
export function classifyError(err: unknown, now?: number): NotifyError {
  if (err instanceof NotifyError) return err;
  const e = err as {
    name?: string; message?: string; code?: string; cause?: unknown; original?: unknown;
    statusCode?: number; body?: unknown; response?: { status: number; headers?: Record<string, unknown>; data?: unknown };
  } | undefined;
  if (!e || typeof e !== 'object') return new NotifyError(String(err), false);
  if (e.response && typeof e.response.status === 'number') {
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(e.response.headers ?? {})) if (v != null) headers[k.toLowerCase()] = String(v);
    return errorForStatus(e.response.status, bodyDetail(e.response.data), headers, now);
  }
  if (typeof e.statusCode === 'number') return errorForStatus(e.statusCode, bodyDetail(e.body), {}, now);
  if (e.name === 'AbortError' || e.name === 'TimeoutError' || e.name === 'CanceledError' || e.code === 'ERR_CANCELED') {
    return new NotifyError('request aborted (timeout or deadline)', true);
  }
  if (e.code && RETRYABLE_CODES.has(e.code)) return new NotifyError(`network error: ${e.code}`, true);
  if (e.original) return classifyError(e.original, now); // @slack/webhook's request error
  if (e.cause) return classifyError(e.cause, now); // fetch's "fetch failed"
  if (e.code && /^(E[A-Z]+|ERR_TLS|UNABLE_TO|CERT_|DEPTH_|SELF_SIGNED)/.test(e.code)) return new NotifyError(`network error: ${e.code}`, !/CERT|SELF_SIGNED|UNABLE_TO|DEPTH_/.test(e.code));
  return new NotifyError(e.message ?? String(err), false);
}

function bodyDetail(body: unknown): string {
  const s = typeof body === 'string' ? body : body == null ? '' : JSON.stringify(body);
  return s.length > 200 ? s.slice(0, 199) + '…' : s;
}

/**
 * Delivers to every integration at once; one slow or failing receiver never delays the
 * others. Resolves when each has succeeded, given up, or hit the deadline. When nothing
 * fires, integrations without send_resolved are skipped and have no result.
 */
export function deliver(integrations: readonly Integration[], delivery: Delivery, opts: DeliverOptions): Promise<IntegrationResult[]> {
  const resolvedOnly = delivery.notification.firing.length === 0;
  // a skipped integration sends nothing, so it has no result (and no metrics)
  return Promise.all(integrations.filter((i) => i.sendResolved || !resolvedOnly).map((i) => deliverOne(i, delivery, opts)));
}

/** One integration, with retries (the shared helper in src/retry); its result, never a throw. */
export async function deliverOne(integration: Integration, delivery: Delivery, opts: DeliverOptions): Promise<IntegrationResult> {
  const { kind, index } = integration;
  const now = opts.now ?? Date.now;
  let attempts = 0;
  let lastErr: NotifyError | undefined;
  let errBefore: NotifyError | undefined;
  try {
    await retry(
      async () => {
        attempts++;
        const remaining = opts.deadline - now();
        const err = await attempt(integration, delivery, Math.min(integration.timeoutMs, remaining), remaining <= integration.timeoutMs);
        if (err) {
          errBefore = lastErr;
          throw (lastErr = err);
        }
        opts.onAttempt?.({ kind, index, attempt: attempts, ok: true });
      },
      {
        baseMs: opts.baseBackoffMs ?? 500,
        maxMs: opts.maxBackoffMs ?? 30_000,
        jitter: 'full',
        deadline: opts.deadline,
        retryable: (err) => (err as NotifyError).retryable && { afterMs: (err as NotifyError).retryAfterMs },
        now,
        ...(opts.random ? { random: opts.random } : {}),
        ...(opts.sleep ? { sleep: opts.sleep } : {}),
        onRetry: ({ attempt: n, error, waitMs }) => opts.onAttempt?.({ kind, index, attempt: n, ok: false, error: error as NotifyError, nextInMs: waitMs }),
      },
    );
    return { kind, index, ok: true, attempts };
  } catch (e) {
    const deadlinePassed = e instanceof DeadlinePassed;
    let last = deadlinePassed ? (lastErr ?? new NotifyError(e.message, false)) : e instanceof NotifyError ? e : new NotifyError((e as Error).message, false);
    // an attempt the deadline cut short says nothing about the receiver: what the one before met does
    if (last instanceof DeadlineAbort && errBefore) last = new NotifyError(`${errBefore.message}; then ${last.message}`, false, errBefore.statusCode);
    // the final failure is an attempt without a next one
    if (!deadlinePassed) opts.onAttempt?.({ kind, index, attempt: attempts, ok: false, error: last, nextInMs: undefined });
    return { kind, index, ok: false, attempts, error: last.message, statusCode: last.statusCode };
  }
}

/** An attempt ended by the notification deadline rather than by the receiver. */
class DeadlineAbort extends NotifyError {}

/** One attempt, aborted after `ms`; resolves to the error or undefined. Never waits for a send that ignores its signal. */
async function attempt(integration: Integration, delivery: Delivery, ms: number, atDeadline: boolean): Promise<NotifyError | undefined> {
  const ctrl = new AbortController();
  // made when the timer fires: an Error captures a stack, and almost every attempt ends in time
  const timer = setTimeout(() => {
    ctrl.abort(atDeadline ? new DeadlineAbort(`aborted at the notification deadline after ${ms}ms`, false) : new NotifyError(`timed out after ${ms}ms`, true));
  }, ms);
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(ctrl.signal.reason);
    ctrl.signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    await Promise.race([integration.send(delivery, ctrl.signal), aborted]);
    return undefined;
  } catch (err) {
    return ctrl.signal.aborted ? (ctrl.signal.reason as NotifyError) : classifyError(err);
  } finally {
    clearTimeout(timer);
    if (onAbort) ctrl.signal.removeEventListener('abort', onAbort);
    aborted.catch(() => undefined);
  }
}
