/**
 * The flush claim: between dedup and retry, so that of several replicas that flush the same group
 * with the same content only one sends. The others adopt what it sent into their own notification
 * log. A claim whose holder died (or stalled past the claim's TTL) is taken over, so nothing is
 * lost; the price is at most one extra copy of a notification whose holder was cut off mid-send.
 */
import { createHash } from 'node:crypto';
import { NotifyError, type Integration, type IntegrationDelivery, type IntegrationLog, type IntegrationStage } from '../notify/index.js';
import type { IntegrationLogEntry } from '../route/index.js';
import type { ClusterLogger } from './postgres.js';
import type { Coordinator, HeldClaim } from './coordinator.js';

/** What became of one claim, for /metrics. */
export type ClaimResult = 'claimed' | 'adopted' | 'not_claimed' | 'fail_open';

export interface ClaimStageOptions {
  coordinator: Coordinator;
  onClaim?: (integration: string, result: ClaimResult) => void;
  log: IntegrationLog;
  /** How often to ask again while another replica sends the same content (default 250 ms). */
  pollMs?: number;
  /** How long to wait for an unreachable database before sending anyway (default 10 s; fail open: a page beats no page). */
  failOpenAfterMs?: number;
  /** How often a held claim is extended while its send runs (default: a third of `claimTtlMs`). */
  extendEveryMs?: number;
  logger?: ClusterLogger;
  now?: () => number;
}

/** What a notification says, as the log records it: the same hash is the same message. */
export function contentHash(entry: Pick<IntegrationLogEntry, 'firingFingerprints' | 'resolvedFingerprints' | 'flappingFingerprints'>): string {
  const body = JSON.stringify([entry.firingFingerprints, entry.resolvedFingerprints, entry.flappingFingerprints]);
  return createHash('sha256').update(body).digest('hex').slice(0, 32);
}

/**
 * The integration, refusing to start an attempt once the claim may have passed to another replica
 * (this one stalled, or lost the database): a late send would repeat, out of order, what the other
 * replica already sent.
 */
function whileClaimed(integration: Integration, valid: () => boolean): Integration {
  return {
    kind: integration.kind,
    index: integration.index,
    sendResolved: integration.sendResolved,
    timeoutMs: integration.timeoutMs,
    send(delivery, signal) {
      if (!valid()) return Promise.reject(new NotifyError('the flush claim expired before this attempt; another replica may send it', false));
      return integration.send(delivery, signal);
    },
  };
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class ClaimStage implements IntegrationStage {
  readonly name = 'claim';
  private readonly held = new WeakMap<IntegrationDelivery, { claim: HeldClaim; timer: NodeJS.Timeout }>();
  private readonly now: () => number;

  constructor(private readonly opts: ClaimStageOptions & { claimTtlMs?: number }) {
    this.now = opts.now ?? Date.now;
  }

  async run(t: IntegrationDelivery): Promise<IntegrationDelivery | undefined> {
    const entry = t.entry;
    if (!entry) return t;
    const n = t.delivery.notification;
    const key = { receiver: n.receiver, integration: t.integration.kind, index: t.integration.index, groupKey: n.groupKey };
    const hash = contentHash(entry);
    const failOpenAt = this.now() + (this.opts.failOpenAfterMs ?? 10_000);
    const log = this.opts.logger;
    for (;;) {
      const asked = performance.now();
      const outcome = await this.opts.coordinator.claim(key, hash, n.repeatIntervalMs);
      if (outcome.kind === 'claimed') {
        const ttl = this.opts.claimTtlMs ?? 10_000;
        // on the local monotonic clock from before the claim was asked for: never later than the database's expiry,
        // even when this process stopped between the database granting it and this line
        let validUntil = asked + ttl;
        const every = this.opts.extendEveryMs ?? Math.floor(ttl / 3);
        const timer = setInterval(() => {
          const asked = performance.now();
          outcome.claim.extend().then(() => (validUntil = asked + ttl), () => undefined);
        }, every);
        timer.unref();
        const guarded: IntegrationDelivery = { ...t, integration: whileClaimed(t.integration, () => performance.now() < validUntil) };
        this.held.set(guarded, { claim: outcome.claim, timer });
        this.opts.onClaim?.(key.integration, 'claimed');
        return guarded;
      }
      if (outcome.kind === 'sent') {
        // another replica told the integration this very content: remember it as told, on our clock
        const at = Math.round(this.now() - outcome.ageMs);
        this.opts.log.record({ ...outcome.entry, ...key, at, expiresAt: at + 2 * n.repeatIntervalMs });
        log?.info({ ...key, by: outcome.by }, 'cluster: another replica sent this notification; not sent again');
        this.opts.onClaim?.(key.integration, 'adopted');
        return undefined;
      }
      const now = this.now();
      if (outcome.kind === 'unavailable' && now >= failOpenAt) {
        log?.warn({ ...key, err: outcome.error }, 'cluster: the database does not answer; sending without a claim');
        this.opts.onClaim?.(key.integration, 'fail_open');
        return t;
      }
      if (now + (this.opts.pollMs ?? 250) >= n.deadline) {
        // not sent here: the group retries at its next group_interval, and finds it sent, or takes the claim over
        const why = outcome.kind === 'busy' ? `replica ${outcome.holder} is sending it` : `the database does not answer (${outcome.error})`;
        t.result = { kind: t.integration.kind, index: t.integration.index, ok: false, attempts: 0, error: `not claimed: ${why}` };
        this.opts.onClaim?.(key.integration, 'not_claimed');
        return undefined;
      }
      await sleep(this.opts.pollMs ?? 250);
    }
  }

  /** Marks the claim sent (others adopt it) or lets it go (another may send); in the background, so an outage holds up no flush. */
  done(t: IntegrationDelivery): void {
    const h = this.held.get(t);
    if (!h) return;
    this.held.delete(t);
    clearInterval(h.timer);
    const ok = t.result?.ok === true && t.entry !== undefined;
    void this.settle(() => (ok ? h.claim.sent(t.entry!) : h.claim.release()));
  }

  /**
   * Retries while the database is away: a "sent" that lands before another replica takes the
   * expired claim over still saves a copy (the mark checks the holder, not the expiry).
   */
  private async settle(write: () => Promise<void>): Promise<void> {
    const giveUpAt = this.now() + Math.max(this.opts.claimTtlMs ?? 10_000, 30_000);
    for (;;) {
      try {
        return await write();
      } catch (err) {
        if (this.now() >= giveUpAt) {
          this.opts.logger?.warn({ err: (err as Error).message }, 'cluster: could not mark a notification as sent');
          return;
        }
        await sleep(this.opts.pollMs ?? 250);
      }
    }
  }
}
