/**
 * The integration stages of the notify pipeline (Alertmanager's per-integration
 * dedup → retry → set-notifies): a receiver's notification fans out to its integrations,
 * and each runs these on its own, so one failing integration never holds back or re-sends another.
 */
import { decideForIntegration, type Delivery, type IntegrationLogEntry, type Stage } from '../route/index.js';
import type { IntegrationLog } from './nflog.js';
import { deliverOne, type DeliverOptions } from './policy.js';
import type { Integration, IntegrationResult } from './types.js';

/** One integration's share of a delivery, as it goes through the integration stages. */
export interface IntegrationDelivery {
  delivery: Delivery;
  integration: Integration;
  /** What the log records once it is sent (set by the dedup stage). */
  entry?: IntegrationLogEntry;
  /** The send's outcome (set by the retry stage). */
  result?: IntegrationResult;
}

export type IntegrationStage = Stage<IntegrationDelivery, IntegrationDelivery | undefined | Promise<IntegrationDelivery | undefined>> & {
  /** Called once the integration's run has ended (sent, deduped or failed), for every stage that ran: to let go of what `run` took. */
  done?(t: IntegrationDelivery): void | Promise<void>;
};

/** Compares with the integration's own log entry (or the receiver's, before it has one); stops when it needs nothing. */
export class DedupStage implements IntegrationStage {
  readonly name = 'dedup';
  constructor(private readonly log: IntegrationLog) {}

  run(t: IntegrationDelivery, now: number): IntegrationDelivery | undefined {
    const n = t.delivery.notification;
    const key = { receiver: n.receiver, groupKey: n.groupKey, integration: t.integration.kind, index: t.integration.index };
    const decision = decideForIntegration(n, this.log.get(key) ?? n.lastNotified, t.integration, now);
    if (!decision) return undefined;
    const entry = decision.entry;
    if (!decision.send) {
      this.log.record(entry); // all resolved, and this integration takes no resolved notifications: logged, not sent
      return undefined;
    }
    // spelled out, not spread: the spread copies had a map of their own each (a heap snapshot mid-wave: 20 of 20)
    return { delivery: { ...t.delivery, notification: decision.notification }, integration: t.integration, entry };
  }
}

/** Sends with retries until the notification's deadline; stops on failure, with the result kept for the caller. */
export class RetryStage implements IntegrationStage {
  readonly name = 'retry';
  constructor(private readonly opts: Omit<DeliverOptions, 'deadline'> = {}) {}

  async run(t: IntegrationDelivery): Promise<IntegrationDelivery | undefined> {
    t.result = await deliverOne(t.integration, t.delivery, { ...this.opts, deadline: t.delivery.notification.deadline });
    return t.result.ok ? t : undefined;
  }
}

/** Records what the integration was told, once it was told. */
export class LogStage implements IntegrationStage {
  readonly name = 'log';
  constructor(private readonly log: IntegrationLog) {}

  run(t: IntegrationDelivery): IntegrationDelivery {
    if (t.entry) this.log.record(t.entry);
    return t;
  }
}

/** What became of one integration's share. `sent: false, result: undefined`: it needed nothing (deduped). */
export interface FanOutOutcome {
  integration: Integration;
  result?: IntegrationResult;
  /** The notification as this integration saw it (its own reason and changes). */
  delivery: Delivery;
}

/**
 * Fans a delivery out to the receiver's integrations, each through `stages` on its own, all at
 * once. A stage that throws is a failure of that integration alone.
 */
export async function fanOut(integrations: readonly Integration[], delivery: Delivery, stages: readonly IntegrationStage[], now: () => number): Promise<FanOutOutcome[]> {
  return Promise.all(
    integrations.map(async (integration): Promise<FanOutOutcome> => {
      let t: IntegrationDelivery = { delivery, integration };
      // the stages that ran and have something to let go of (the flush claim); none for one replica
      const toRelease: IntegrationStage[] = [];
      try {
        for (const s of stages) {
          if (s.done) toRelease.push(s);
          const next = await s.run(t, now());
          if (!next) break;
          t = next;
        }
      } catch (err) {
        t.result = { kind: integration.kind, index: integration.index, ok: false, attempts: 0, error: (err as Error).message };
      }
      for (const s of toRelease.reverse()) await Promise.resolve(s.done!(t)).catch(() => undefined);
      return { integration, delivery: t.delivery, ...(t.result ? { result: t.result } : {}) };
    }),
  );
}

/** The stages each integration runs, in Alertmanager's order; replicas put their flush claim between dedup and retry. */
export function integrationStages(log: IntegrationLog, retry: Omit<DeliverOptions, 'deadline'> = {}, claim?: IntegrationStage): IntegrationStage[] {
  return [new DedupStage(log), ...(claim ? [claim] : []), new RetryStage(retry), new LogStage(log)];
}
