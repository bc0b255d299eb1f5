/**
 * Tickets: one per aggregation group and ticket integration. A re-fire comments on the open
 * ticket, reopens one resolved within reopen_window (unless closed as won't-fix), or opens a
 * new one; the group resolving resolves it. Every action is kept in the Store as a TicketEvent,
 * whatever the kind; kind `local` is the Store alone.
 */
import type { TicketConfig } from '../config/index.js';
import type { Store, TicketEvent, TicketRecord } from '../store/index.js';
import { highestSeverity } from './render.js';
import { changeComment, reopenComment, resolveComment, ticketBody, ticketTitle, toPlainText, type Block } from './tickets/content.js';
import { GithubTracker } from './tickets/github.js';
import { JiraTracker } from './tickets/jira.js';
import type { RemoteState, RemoteTicket, Tracker } from './tickets/tracker.js';
import { NotifyError, type Delivery, type Integration, type IntegrationContext } from './types.js';

export { groupHash, firedFor, ticketTitle, ticketBody, toAdf, toMarkdown, type Block, type Inline, type AdfNode } from './tickets/content.js';
export { JiraTracker, alertLabel, jiraLabel, WONT_FIX } from './tickets/jira.js';
export { GithubTracker } from './tickets/github.js';
export type { Tracker, NewTicket, RemoteTicket, RemoteState } from './tickets/tracker.js';

/** Event details are kept short in the Store. */
const MAX_DETAIL = 4000;

/** Kind `local`: nothing to call; the Store is the tracker. */
class LocalTracker implements Tracker {
  constructor(private readonly store: Store, private readonly externalURL: () => string) {}
  async create(): Promise<RemoteTicket> {
    const n = String(await this.store.nextLocalTicketNumber());
    return { externalId: n, url: `${this.externalURL().replace(/\/+$/, '')}/api/v1/tickets/local:${n}` };
  }
  async comment(): Promise<void> {}
  async resolve(): Promise<void> {}
  async reopen(): Promise<void> {}
  async state(id: string): Promise<RemoteState> {
    const t = await this.store.getTicket(`local:${id}`);
    return { open: t?.status === 'open', wontFix: t?.wontFix ?? false };
  }
}

export class TicketIntegration implements Integration {
  readonly kind = 'ticket';
  /** Resolved notifications are wanted only to auto-resolve. */
  readonly sendResolved: boolean;
  readonly timeoutMs: number;
  private readonly store: Store;
  private readonly now: () => number;
  private readonly tracker: Tracker;
  private externalURL = '';

  constructor(private readonly config: TicketConfig, readonly index = 0, ctx: IntegrationContext = {}) {
    if (!ctx.store) throw new Error(`ticket_configs[${index}] (kind ${config.kind}) needs vigil's Store to remember its tickets; none was given to the integration`);
    this.store = ctx.store;
    this.now = ctx.now ?? Date.now;
    this.sendResolved = config.autoResolve;
    this.timeoutMs = config.http.timeoutMs;
    this.tracker =
      config.kind === 'jira' ? new JiraTracker(config) : config.kind === 'github' ? new GithubTracker(config) : new LocalTracker(this.store, () => this.externalURL);
  }

  async send(delivery: Delivery, signal: AbortSignal): Promise<void> {
    this.externalURL = delivery.externalURL;
    const n = delivery.notification;
    let ticket = await this.store.latestTicket(n.receiver, this.config.kind, n.groupKey);
    if (!ticket && this.tracker.findOpen) ticket = await this.recover(delivery, signal);
    if (n.firing.length === 0) {
      if (ticket?.status === 'open' && this.config.autoResolve) {
        await this.resolve(ticket, delivery, signal).catch((err: unknown) => (err instanceof TicketGone ? this.forget(ticket!) : Promise.reject(err)));
      }
      return;
    }
    if (!ticket) return void (await this.create(delivery, signal));
    try {
      await this.refire(ticket, delivery, signal);
    } catch (err) {
      if (!(err instanceof TicketGone)) throw err;
      // deleted in the tracker (or moved out of reach): the group gets a new ticket
      this.forget(ticket);
      await this.create(delivery, signal);
    }
  }

  /** The ticket was deleted in the tracker: closed in the Store, so that nothing waits on it. */
  private forget(ticket: TicketRecord): void {
    const at = this.now();
    this.event(this.save({ ...ticket, status: 'resolved', resolvedAt: ticket.resolvedAt ?? at, updatedAt: at }), 'resolved', `${this.config.kind} says the ticket is gone (deleted); the group gets a new one`);
  }

  private async refire(ticket: TicketRecord, delivery: Delivery, signal: AbortSignal): Promise<void> {
    const n = delivery.notification;
    if (ticket.status === 'open') return this.commentOnRefire(ticket, delivery, signal);
    const since = this.now() - (ticket.resolvedAt ?? ticket.updatedAt);
    if (ticket.wontFix || since > this.config.reopenWindowMs) return void (await this.create(delivery, signal));
    // the tracker may know better: someone reopened it already, or closed it as won't fix
    const remote = await gone(this.tracker.state(ticket.externalId, signal));
    if (remote.wontFix) {
      this.save({ ...ticket, wontFix: true, updatedAt: this.now() });
      return void (await this.create(delivery, signal));
    }
    if (!remote.open) await gone(this.tracker.reopen(ticket.externalId, signal));
    const reopened = this.save({ ...ticket, status: 'open', resolvedAt: undefined, firingSince: firingSince(delivery), severity: highestSeverity(n.firing) ?? ticket.severity, updatedAt: this.now() });
    const comment = reopenComment(delivery, since);
    this.event(reopened, 'reopened', comment);
    await this.tracker.comment(ticket.externalId, comment, signal);
  }

  private save(t: TicketRecord): TicketRecord {
    if (t.resolvedAt === undefined) delete t.resolvedAt;
    this.store.saveTicket(t);
    return t;
  }

  private event(t: TicketRecord, action: TicketEvent['action'], detail: Block[] | string): void {
    const text = typeof detail === 'string' ? detail : toPlainText(detail);
    this.store.recordTicketEvent({ ticketId: t.id, at: this.now(), action, detail: text.length > MAX_DETAIL ? text.slice(0, MAX_DETAIL - 1) + '…' : text });
  }

  private async create(delivery: Delivery, signal: AbortSignal): Promise<TicketRecord> {
    const n = delivery.notification;
    const title = ticketTitle(delivery);
    const severity = highestSeverity(n.firing) ?? '';
    const body = ticketBody(delivery);
    const remote = await this.tracker.create({ title, body, severity, groupKey: n.groupKey }, signal);
    const at = this.now();
    const t = this.save({
      id: `${this.config.kind}:${remote.externalId}`,
      kind: this.config.kind,
      receiver: n.receiver,
      groupKey: n.groupKey,
      groupLabels: n.groupLabels,
      externalId: remote.externalId,
      ...(remote.url ? { url: remote.url } : {}),
      title,
      severity,
      status: 'open',
      wontFix: false,
      createdAt: at,
      updatedAt: at,
      firingSince: firingSince(delivery),
    });
    this.event(t, 'created', body);
    return t;
  }

  /** A re-fire while open: one comment with what changed; a pure repeat (nothing new, nothing resolved) adds nothing. */
  private async commentOnRefire(ticket: TicketRecord, delivery: Delivery, signal: AbortSignal): Promise<void> {
    const comment = changeComment(delivery);
    if (!comment) return;
    await gone(this.tracker.comment(ticket.externalId, comment, signal));
    const sev = highestSeverity(delivery.notification.firing);
    this.event(this.save({ ...ticket, updatedAt: this.now(), ...(sev ? { severity: sev } : {}) }), 'commented', comment);
  }

  private async resolve(ticket: TicketRecord, delivery: Delivery, signal: AbortSignal): Promise<void> {
    const n = delivery.notification;
    // the firing ended when the last alert resolved, or at this flush when their ends are unknown
    const ended = n.resolved.length > 0 ? Math.min(n.at, Math.max(...n.resolved.map((a) => a.endsAt))) : n.at;
    const comment = resolveComment(ended - ticket.firingSince);
    await gone(this.tracker.resolve(ticket.externalId, signal));
    // saved before commenting: a retry after a failed comment must not transition again
    const at = this.now();
    const resolved = this.save({ ...ticket, status: 'resolved', resolvedAt: at, updatedAt: at });
    this.event(resolved, 'resolved', comment);
    await this.tracker.comment(ticket.externalId, comment, signal);
  }

  /** The Store lost the group's ticket (a new database): adopt the open one the tracker still has. */
  private async recover(delivery: Delivery, signal: AbortSignal): Promise<TicketRecord | undefined> {
    const n = delivery.notification;
    const found = await this.tracker.findOpen!(n.groupKey, signal);
    if (!found) return undefined;
    const at = this.now();
    const t = this.save({
      id: `${this.config.kind}:${found.externalId}`,
      kind: this.config.kind,
      receiver: n.receiver,
      groupKey: n.groupKey,
      groupLabels: n.groupLabels,
      externalId: found.externalId,
      ...(found.url ? { url: found.url } : {}),
      title: found.title ?? ticketTitle(delivery),
      severity: highestSeverity(n.firing.length > 0 ? n.firing : n.resolved) ?? '',
      status: 'open',
      wontFix: false,
      createdAt: at,
      updatedAt: at,
      firingSince: firingSince(delivery),
    });
    this.event(t, 'commented', `found open in ${this.config.kind} by its ALERT label after the Store had no record of it`);
    return t;
  }
}

/** A 404 (410 on GitHub) from the tracker about a ticket vigil knows: it was deleted. */
class TicketGone extends NotifyError {}

/** Turns a 404 of a call on an existing ticket into TicketGone; a 404 elsewhere (a wrong repo) stays an error. */
function gone<T>(p: Promise<T>): Promise<T> {
  return p.catch((err: unknown) => Promise.reject(err instanceof NotifyError && (err.statusCode === 404 || err.statusCode === 410) ? new TicketGone(err.message, false, err.statusCode) : err));
}

/** When the current firing began: the oldest firing alert's start (the flush time when none fires). */
function firingSince(delivery: Delivery): number {
  const n = delivery.notification;
  return n.firing.length > 0 ? Math.min(...n.firing.map((a) => a.startsAt)) : n.at;
}
