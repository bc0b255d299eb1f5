/**
 * The notify pipeline's shared words (Alertmanager's notify.Stage): a stage is one method that
 * takes a value and `now` and returns what goes on, or nothing. Group stages (mute, time
 * intervals) see a group's alerts before the dedup decision; delivery stages (volume guards,
 * feedback links) see the notification the group decided to send; integration stages (dedup,
 * retry, log, in src/notify) see one integration's share of it.
 */
import type { Notification } from './aggregation.js';
import type { Route, RoutedAlert } from './types.js';

export interface Stage<T, R = T | undefined> {
  /** Names the stage in logs and in why a notification stopped (e.g. `rate_limit`). */
  readonly name: string;
  run(value: T, now: number): R;
}

/** A group's alerts at a flush, before anything is decided; the mute stages mark what they mute. */
export interface GroupFlush {
  groupKey: string;
  route: Route;
  receiver: string;
  /** Every alert the group holds at the flush. */
  alerts: readonly RoutedAlert[];
  /** Muted alerts by fingerprint → why (`silenced:<ids>` or `inhibited:<fingerprint>`). */
  muted: Map<string, Muting>;
}

export type Muting = { by: 'silence'; silencedBy: string[] } | { by: 'inhibition'; inhibitedBy: string; rule: string | number };

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
  /** Undoes what a guard counted when the delivery fails (the rate limit's send). */
  refund?: () => void;
}

/** A stage that runs on a group flush, synchronously inside the dispatcher's tick. */
export type GroupStage = Stage<GroupFlush>;
/** A stage that runs on a notification a group decided to send, before it fans out to the integrations. */
export type DeliveryStage = Stage<Delivery, Delivery | undefined | Promise<Delivery | undefined>>;

/** Runs group stages in order; the name of the stage that stopped the flush, or the flush. */
export function runGroupStages(stages: readonly GroupStage[], flush: GroupFlush, now: number): GroupFlush | { stoppedBy: string } {
  let v: GroupFlush = flush;
  for (const s of stages) {
    const next = s.run(v, now);
    if (!next) return { stoppedBy: s.name };
    v = next;
  }
  return v;
}

/** Runs delivery stages in order; the name of the stage that held the delivery back, or the delivery. */
export async function runDeliveryStages(stages: readonly DeliveryStage[], delivery: Delivery, now: number): Promise<Delivery | { stoppedBy: string }> {
  let v: Delivery = delivery;
  for (const s of stages) {
    const next = await s.run(v, now);
    if (!next) return { stoppedBy: s.name };
    v = next;
  }
  return v;
}
