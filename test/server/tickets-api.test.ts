/** GET /api/v1/tickets and /api/v1/tickets/:id over real HTTP, on a real SQLite Store. */
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import { ticketRoutes } from '../../src/server/tickets-api.js';
import { SqliteStore, type TicketRecord } from '../../src/store/index.js';
import { scratchDir } from '../support/scratch.js';
import { listening, urlOf } from '../support/listen.js';

const T0 = Date.parse('2026-11-16T09:00:00Z');
let store: SqliteStore;
let server: Server;
let base: string;

const ticket = (n: number, status: TicketRecord['status'], over: Partial<TicketRecord> = {}): TicketRecord => ({
  id: `local:${n}`, kind: 'local', receiver: 'triage', groupKey: `g${n}`, groupLabels: { agent_id: `a${n}` }, externalId: String(n),
  title: `[P2] AgentToolFailure agent_id=a${n}`, severity: 'P2', status, wontFix: false,
  createdAt: T0 + n * 60_000, updatedAt: T0 + n * 60_000, firingSince: T0, ...(status === 'resolved' ? { resolvedAt: T0 + HOUR } : {}), ...over,
});
const HOUR = 3_600_000;

beforeAll(async () => {
  store = new SqliteStore(join(await scratchDir(join(tmpdir(), 'vigil-tickets-api-')), 'vigil.db'));
  store.saveTicket(ticket(1, 'resolved'));
  store.saveTicket(ticket(2, 'open'));
  store.saveTicket(ticket(3, 'open', { id: 'jira:OPS-7', kind: 'jira', externalId: 'OPS-7', url: 'https://acme.atlassian.net/browse/OPS-7' }));
  store.recordTicketEvent({ ticketId: 'local:1', at: T0 + 60_000, action: 'created', detail: '1 alert firing' });
  store.recordTicketEvent({ ticketId: 'local:1', at: T0 + HOUR, action: 'resolved', detail: 'All alerts resolved; fired for 1h. Resolved by vigil.' });
  const app = express().use(ticketRoutes({ store }));
  server = await listening(app);
  base = urlOf(server);
});
afterAll(async () => {
  await new Promise((r) => server.close(r));
  store.close();
});

const get = async (path: string) => {
  const res = await fetch(base + path);
  return { status: res.status, body: (await res.json()) as { data: any; next?: string; message?: string } };
};

test('lists tickets newest first with RFC 3339 times, filtered by status', async () => {
  const all = await get('/api/v1/tickets');
  expect(all.status).toBe(200);
  expect(all.body.data.map((t: TicketRecord) => t.id)).toEqual(['jira:OPS-7', 'local:2', 'local:1']);
  expect(all.body.data[2]).toMatchObject({ status: 'resolved', createdAt: '2026-11-16T09:01:00.000Z', resolvedAt: '2026-11-16T10:00:00.000Z', firingSince: '2026-11-16T09:00:00.000Z' });
  expect(all.body.next).toBeUndefined();
  expect((await get('/api/v1/tickets?status=open')).body.data.map((t: TicketRecord) => t.id)).toEqual(['jira:OPS-7', 'local:2']);
  expect((await get('/api/v1/tickets?status=resolved')).body.data.map((t: TicketRecord) => t.id)).toEqual(['local:1']);
});

test('pages with limit and before', async () => {
  const first = await get('/api/v1/tickets?limit=2');
  expect(first.body.data).toHaveLength(2);
  expect(first.body.next).toBe('local:2');
  const rest = await get(`/api/v1/tickets?limit=2&before=${encodeURIComponent(first.body.next!)}`);
  expect(rest.body.data.map((t: TicketRecord) => t.id)).toEqual(['local:1']);
  expect(rest.body.next).toBeUndefined();
});

test('bad parameters are 400 naming the parameter', async () => {
  expect(await get('/api/v1/tickets?status=closed')).toEqual({ status: 400, body: { code: 400, message: 'status: "closed" is not one of open, resolved' } });
  expect((await get('/api/v1/tickets?limit=0')).body.message).toBe('limit: "0" is not a whole number from 1 to 1000');
  expect((await get('/api/v1/tickets?before=local:99')).status).toBe(400);
  expect((await get('/api/v1/tickets?status=open&status=resolved')).body.message).toBe('status: give it once');
});

test('one ticket with its events; an unknown id is 404', async () => {
  const one = await get('/api/v1/tickets/local:1');
  expect(one.status).toBe(200);
  expect(one.body.data).toMatchObject({ id: 'local:1', title: '[P2] AgentToolFailure agent_id=a1', groupLabels: { agent_id: 'a1' } });
  expect(one.body.data.events).toEqual([
    { at: '2026-11-16T09:01:00.000Z', action: 'created', detail: '1 alert firing' },
    { at: '2026-11-16T10:00:00.000Z', action: 'resolved', detail: 'All alerts resolved; fired for 1h. Resolved by vigil.' },
  ]);
  expect((await get('/api/v1/tickets/jira:OPS-7')).body.data).toMatchObject({ kind: 'jira', url: 'https://acme.atlassian.net/browse/OPS-7', events: [] });
  expect(await get('/api/v1/tickets/local:42')).toEqual({ status: 404, body: { code: 404, message: 'no ticket "local:42"' } });
});
