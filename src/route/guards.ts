/**
 * Volume guards beyond the rules': a per-receiver cap on notifications (pages per hour) and
 * storm collapse. Pure, with time as a parameter; as delivery stages they run before the fan-out.
 */
import type { Delivery, DeliveryStage } from './stage.js';

export interface RateLimitOptions {
  max: number;
  perMs: number;
}

/** What the cap decided for one notification. */
export interface RateLimitDecision {
  allowed: boolean;
  /** Sends left in the window after this one (0 on the last one allowed). */
  remaining: number;
  /** Notifications held back since the last one sent (told in the next one that goes out). */
  suppressed: number;
  /** When the oldest send leaves the window, so the next one may go. */
  resumesAt: number;
}

/** A sliding window of sends per receiver. Resolved-only notifications are not capped: an open incident must be able to close. */
export class RateLimiter {
  private readonly sent: number[] = [];
  private held = 0;
  /** Every notification held back, for /metrics. */
  suppressedTotal = 0;

  constructor(readonly options: RateLimitOptions) {
    if (!(options.max >= 1) || !(options.perMs > 0)) throw new RangeError('rate_limit needs max ≥ 1 and a positive period');
  }

  /** Asks to send at `now`; an allowed send is counted at once (the caller sends it). */
  admit(now: number): RateLimitDecision {
    const from = now - this.options.perMs;
    while (this.sent.length > 0 && this.sent[0] <= from) this.sent.shift();
    if (this.sent.length >= this.options.max) {
      this.held++;
      this.suppressedTotal++;
      return { allowed: false, remaining: 0, suppressed: this.held, resumesAt: this.sent[0] + this.options.perMs };
    }
    this.sent.push(now);
    const suppressed = this.held;
    this.held = 0;
    return { allowed: true, remaining: this.options.max - this.sent.length, suppressed, resumesAt: this.sent[0] + this.options.perMs };
  }

  /** Gives back a send that failed, so a failure does not eat the budget. */
  refund(at: number): void {
    const i = this.sent.lastIndexOf(at);
    if (i >= 0) this.sent.splice(i, 1);
  }
}

/** Whether a group flush is a storm: more alerts than the threshold, notified as one summary. */
export function isStorm(alerts: number, threshold: number | undefined): boolean {
  return threshold !== undefined && alerts > threshold;
}

/** The rate-limit guard as a delivery stage: holds back a firing notification past the receiver's cap. */
export class RateLimitStage implements DeliveryStage {
  readonly name = 'rate_limit';

  constructor(
    /** The receiver's limiter, kept by the caller across reloads; undefined when it has none. */
    private readonly limiterFor: (receiver: string) => RateLimiter | undefined,
    private readonly onHeldBack?: (receiver: string, decision: RateLimitDecision) => void,
  ) {}

  run(d: Delivery, now: number): Delivery | undefined {
    const limiter = this.limiterFor(d.notification.receiver);
    if (!limiter || d.notification.firing.length === 0) return d;
    const decision = limiter.admit(now);
    if (!decision.allowed) {
      this.onHeldBack?.(d.notification.receiver, decision);
      return undefined;
    }
    const out: Delivery = { ...d, refund: () => limiter.refund(now) };
    if (decision.remaining === 0 || decision.suppressed > 0) out.rateLimit = { max: limiter.options.max, perMs: limiter.options.perMs, ...decision };
    return out;
  }
}

/** The storm guard as a delivery stage: a group past the receiver's storm_threshold goes out as one summary. */
export class StormStage implements DeliveryStage {
  readonly name = 'storm';

  constructor(
    private readonly thresholdFor: (receiver: string) => number | undefined,
    private readonly onStorm?: (receiver: string, alerts: number) => void,
  ) {}

  run(d: Delivery): Delivery {
    const n = d.notification;
    const alerts = n.firing.length + n.resolved.length;
    const threshold = this.thresholdFor(n.receiver);
    if (!isStorm(alerts, threshold)) return d;
    this.onStorm?.(n.receiver, alerts);
    return { ...d, storm: { threshold: threshold as number, alerts } };
  }
}

/** The receivers' rate limiters; an update that keeps a receiver's limit keeps its window, so a reload does not reset the page budget. */
export class RateLimiters {
  private byReceiver = new Map<string, RateLimiter>();

  update(receivers: readonly { name: string; rateLimit?: RateLimitOptions }[]): void {
    const next = new Map<string, RateLimiter>();
    for (const r of receivers) {
      if (!r.rateLimit) continue;
      const held = this.byReceiver.get(r.name);
      const same = held && held.options.max === r.rateLimit.max && held.options.perMs === r.rateLimit.perMs;
      next.set(r.name, same ? held : new RateLimiter(r.rateLimit));
    }
    this.byReceiver = next;
  }

  get(receiver: string): RateLimiter | undefined {
    return this.byReceiver.get(receiver);
  }
}
