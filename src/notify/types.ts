/** The notify stage's words: what a receiver is asked to deliver and how an integration answers. */
import type { Notification } from '../route/index.js';
import type { Store } from '../store/index.js';

/** A group flush for one receiver, with what the volume guards did to it. */
export interface Delivery {
  notification: Notification;
  /** vigil's external URL, for links back (silence, alert list). */
  externalURL: string;
  /** The group holds more alerts than the receiver's storm_threshold: render one summary, not a list. */
  storm?: { threshold: number; alerts: number };
  /**
   * The receiver's rate limit, when it matters for this message: it is the last one allowed in the
   * window (remaining 0), or `suppressed` notifications were held back since the last one sent.
   */
  rateLimit?: { max: number; perMs: number; remaining: number; suppressed: number; resumesAt: number };
  /** Signed links back to vigil that mark this notification's alerts actionable or noise (Slack messages and tickets carry them). */
  feedback?: { actionable: string; noise: string };
}

/** What stateful integrations (tickets, Grafana annotations) need besides their config. */
export interface IntegrationContext {
  store?: Store;
  now?: () => number;
}

/** Why a send failed, and whether trying again can help. */
export class NotifyError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly statusCode?: number,
    /** From a 429/503 Retry-After header. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'NotifyError';
  }
}

/** One integration of a receiver (a pagerduty_configs, slack_configs or webhook_configs entry). */
export interface Integration {
  /** 'pagerduty' | 'slack' | 'webhook' */
  readonly kind: string;
  /** Position in its receiver's list of that kind, as Alertmanager numbers them. */
  readonly index: number;
  readonly sendResolved: boolean;
  /** Per-attempt timeout. */
  readonly timeoutMs: number;
  /** One attempt. Must stop when `signal` aborts. Throws NotifyError. */
  send(delivery: Delivery, signal: AbortSignal): Promise<void>;
}

/** The outcome of delivering to one integration, after retries. */
export interface IntegrationResult {
  kind: string;
  index: number;
  ok: boolean;
  attempts: number;
  /** Redacted: never a routing key or webhook URL. */
  error?: string;
  statusCode?: number;
}
