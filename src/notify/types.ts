/** The notify stage's words: what a receiver is asked to deliver and how an integration answers. */
import type { Delivery } from '../route/index.js';
import type { Store } from '../store/index.js';

/** A group flush for one receiver, with what the volume guards did to it (declared with the stages, in route). */
export type { Delivery };

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
