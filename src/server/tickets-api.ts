/** GET /api/v1/tickets and /api/v1/tickets/:id: the tickets vigil keeps (every kind), newest first, with their events. */
import express from 'express';
import type { Store, TicketEvent, TicketRecord } from '../store/index.js';
import { rfc3339, sendError } from './ingest.js';

export interface TicketQuery {
  status?: 'open' | 'resolved';
  limit: number;
  before?: string;
}

const MAX_LIMIT = 1000;

/** The query string of a list request; throws naming the bad parameter. */
export async function ticketQuery(q: Record<string, unknown>, known: (id: string) => Promise<boolean>): Promise<TicketQuery> {
  const one = (name: string): string | undefined => {
    const v = q[name];
    if (v === undefined) return undefined;
    if (typeof v !== 'string') throw new Error(`${name}: give it once`);
    return v;
  };
  const status = one('status');
  if (status !== undefined && status !== 'open' && status !== 'resolved') throw new Error(`status: "${status}" is not one of open, resolved`);
  const limit = one('limit');
  if (limit !== undefined && (!/^\d+$/.test(limit) || Number(limit) < 1 || Number(limit) > MAX_LIMIT)) throw new Error(`limit: "${limit}" is not a whole number from 1 to ${MAX_LIMIT}`);
  const before = one('before');
  // an unknown id would silently page to nothing
  if (before !== undefined && !(await known(before))) throw new Error(`before: no ticket "${before}"`);
  return { status, limit: limit === undefined ? 100 : Number(limit), before };
}

/** A ticket as the API and `vigil tickets -o json` show it: times in RFC 3339. */
export function ticketJson(t: TicketRecord) {
  return {
    ...t,
    createdAt: rfc3339(t.createdAt),
    updatedAt: rfc3339(t.updatedAt),
    firingSince: rfc3339(t.firingSince),
    ...(t.resolvedAt === undefined ? {} : { resolvedAt: rfc3339(t.resolvedAt) }),
  };
}

export function ticketEventJson(e: TicketEvent) {
  return { at: rfc3339(e.at), action: e.action, ...(e.detail === undefined ? {} : { detail: e.detail }) };
}

/** One page of tickets and the id to ask for the next one (undefined on the last page). */
export async function ticketPage(store: Pick<Store, 'listTickets'>, q: TicketQuery): Promise<{ items: TicketRecord[]; next?: string }> {
  // one more than asked tells whether another page exists
  const rows = await store.listTickets({ status: q.status, before: q.before, limit: q.limit + 1 });
  const items = rows.slice(0, q.limit);
  return { items, ...(rows.length > q.limit ? { next: items.at(-1)!.id } : {}) };
}

export function ticketRoutes({ store }: { store: Pick<Store, 'listTickets' | 'getTicket' | 'ticketEvents'> }): express.Router {
  const r = express.Router();
  r.get('/api/v1/tickets', async (req, res) => {
    let q: TicketQuery;
    try {
      q = await ticketQuery(req.query as Record<string, unknown>, async (id) => (await store.getTicket(id)) !== undefined);
    } catch (err) {
      return sendError(res, 400, (err as Error).message);
    }
    const { items, next } = await ticketPage(store, q);
    res.json({ status: 'success', data: items.map(ticketJson), ...(next === undefined ? {} : { next }) });
  });
  r.get('/api/v1/tickets/:id', async (req, res) => {
    const t = await store.getTicket(req.params.id);
    if (!t) return sendError(res, 404, `no ticket "${req.params.id}"`);
    res.json({ status: 'success', data: { ...ticketJson(t), events: (await store.ticketEvents(t.id)).map(ticketEventJson) } });
  });
  return r;
}
