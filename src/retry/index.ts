/**
 * The one retry/backoff helper of vigil, shared by the notifiers and the Prometheus datasource:
 * exponential backoff with jitter, a server's Retry-After as the least wait, a deadline and an
 * attempt cap, and an injectable random source and sleep so tests decide the waits.
 * Hand-written because p-retry has neither a deadline that bounds the waits nor Retry-After.
 */

export interface RetryOptions {
  /** First backoff ceiling; doubles per attempt. */
  baseMs: number;
  /** Cap on one backoff ceiling. */
  maxMs: number;
  /** `full`: a wait in [0, ceiling); `equal`: in [ceiling/2, ceiling), so retries never pile up at zero. */
  jitter?: 'full' | 'equal';
  /** Attempts in all, the first included; default unbounded (then `deadline` bounds them). */
  maxAttempts?: number;
  /** Unix ms: no attempt starts, and no wait is begun that would end, at or after it. */
  deadline?: number;
  /** Whether the error is worth another attempt, and the least wait the server asked for. */
  retryable: (err: unknown) => false | { afterMs?: number };
  /** In [0, 1). */
  random?: () => number;
  now?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Ends the waits at once (the sleep rejects with the signal's reason). */
  signal?: AbortSignal;
  /** Before each wait: the attempt that failed (1-based), its error, and the wait. */
  onRetry?: (info: { attempt: number; error: unknown; waitMs: number }) => void;
}

/** The wait before attempt `attempt + 1` after `attempt` failures (1-based). */
export function backoffDelay(attempt: number, opts: Pick<RetryOptions, 'baseMs' | 'maxMs' | 'jitter' | 'random'>): number {
  const ceiling = Math.min(opts.maxMs, opts.baseMs * 2 ** (attempt - 1));
  const r = (opts.random ?? Math.random)();
  return Math.round(opts.jitter === 'equal' ? ceiling / 2 + r * (ceiling / 2) : r * ceiling);
}

/** Thrown by retry() when the deadline passed before the first attempt. */
export class DeadlinePassed extends Error {
  constructor() {
    super('deadline passed before the first attempt');
    this.name = 'DeadlinePassed';
  }
}

/** Runs `attempt` until it resolves, fails for good, or the attempts or the deadline run out; rejects with the last error. */
export async function retry<T>(attempt: (n: number) => Promise<T>, opts: RetryOptions): Promise<T> {
  const now = opts.now ?? Date.now;
  const sleep = opts.sleep ?? abortableSleep;
  for (let n = 1; ; n++) {
    if (opts.deadline !== undefined && now() >= opts.deadline) throw new DeadlinePassed();
    try {
      return await attempt(n);
    } catch (err) {
      if (opts.signal?.aborted) throw err;
      const verdict = opts.retryable(err);
      if (verdict === false || (opts.maxAttempts !== undefined && n >= opts.maxAttempts)) throw err;
      const waitMs = Math.max(backoffDelay(n, opts), verdict.afterMs ?? 0);
      if (opts.deadline !== undefined && now() + waitMs >= opts.deadline) throw err; // waiting would cross the deadline
      opts.onRetry?.({ attempt: n, error: err, waitMs });
      await sleep(waitMs, opts.signal);
    }
  }
}

function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
