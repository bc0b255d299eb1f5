/**
 * Volume guards beyond the rules': a per-receiver cap on notifications (pages per hour) and
 * storm collapse. Pure, with time as a parameter; the server applies them before delivery.
 */

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
