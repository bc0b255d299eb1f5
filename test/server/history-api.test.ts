/** GET /api/v1/alerts/history and /api/v1/notifications over real HTTP, on a real SQLite history. */
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp, EvaluationMetrics, historyRoutes } from '../../src/server/index.js';
import { SqliteStore, type AlertEvent } from '../../src/store/index.js';
import { scratchDir } from '../support/scratch.js';
import { listening, urlOf } from '../support/listen.js';

const T0 = Date.parse('2026-11-16T09:00:00Z');
let store: SqliteStore;
let server: Server;
let base: string;

const event = (minutes: number, kind: AlertEvent['kind'], alertname: string, severity = 'P1'): AlertEvent => ({
  at: T0 + minutes * 60_000,
  fingerprint: `fp-${alertname}`,
  startsAt: T0,
  alertname,
  severity,
  labels: { alertname, severity, agent_id: 'checkout' },
  kind,
  source: 'router',
});

beforeAll(async () => {
  store = new SqliteStore(join(await scratchDir(join(tmpdir(), 'vigil-history-api-')), 'vigil.db'));
  store.recordAlertEvent(event(0, 'firing', 'AgentErrorRateSpike'));
  store.recordAlertEvent(event(1, 'firing', 'AgentToolFailure', 'P2'));
  store.recordAlertEvent(event(2, 'inhibited', 'AgentToolFailure', 'P2'));
  store.recordAlertEvent({ ...event(5, 'acknowledged', 'AgentErrorRateSpike'), source: 'pagerduty', detail: { by: 'Ann' } });
  store.recordAlertEvent(event(30, 'resolved', 'AgentErrorRateSpike'));
  store.recordNotification({ at: T0 + 30_000, receiver: 'page', integration: 'pagerduty', groupKey: 'g', groupLabels: { agent_id: 'checkout' }, reason: 'first', firing: ['fp-AgentErrorRateSpike'], resolved: [], outcome: 'success', attempts: 2 });
  const app = createApp({ evaluator: { allGroups: () => [] }, metrics: new EvaluationMetrics({ allGroups: () => [] }), isReady: () => true, routes: [historyRoutes({ store })] });
  server = await listening(app);
  base = urlOf(server);
});

afterAll(async () => {
  await new Promise((r) => server.close(r));
  store.close();
});

const get = async (path: string) => {
  const res = await fetch(base + path);
  return { status: res.status, body: (await res.json()) as { data: Record<string, unknown>[]; next?: number; message?: string } };
};

test('the history is newest first, filtered by alert and kind, with times in RFC 3339', async () => {
  const { status, body } = await get('/api/v1/alerts/history?alertname=AgentErrorRateSpike');
  expect(status).toBe(200);
  expect(body.data.map((e) => [e.kind, e.at])).toEqual([
    ['resolved', '2026-11-16T09:30:00.000Z'],
    ['acknowledged', '2026-11-16T09:05:00.000Z'],
    ['firing', '2026-11-16T09:00:00.000Z'],
  ]);
  expect(body.data[1]).toMatchObject({ source: 'pagerduty', detail: { by: 'Ann' }, startsAt: '2026-11-16T09:00:00.000Z' });
  const muted = await get('/api/v1/alerts/history?kind=inhibited,silenced');
  expect(muted.body.data.map((e) => e.alertname)).toEqual(['AgentToolFailure']);
  const window = await get(`/api/v1/alerts/history?from=2026-11-16T09:01:00Z&to=${(T0 + 5 * 60_000) / 1000}`);
  expect(window.body.data.map((e) => e.kind)).toEqual(['inhibited', 'firing']);
});

test('pages of `limit` entries chain through `next`', async () => {
  const first = await get('/api/v1/alerts/history?limit=2');
  expect(first.body.data).toHaveLength(2);
  const second = await get(`/api/v1/alerts/history?limit=2&before=${first.body.next}`);
  const third = await get(`/api/v1/alerts/history?limit=2&before=${second.body.next}`);
  expect(third.body.next).toBeUndefined();
  expect([...first.body.data, ...second.body.data, ...third.body.data].map((e) => e.kind)).toEqual(['resolved', 'acknowledged', 'inhibited', 'firing', 'firing']);
});

test('notifications are listed with their outcome; a bad parameter is a 400 that names it', async () => {
  const { body } = await get('/api/v1/notifications?receiver=page');
  expect(body.data).toEqual([expect.objectContaining({ receiver: 'page', integration: 'pagerduty', outcome: 'success', attempts: 2, at: '2026-11-16T09:00:30.000Z' })]);
  for (const [query, field] of [
    ['kind=exploded', 'kind'],
    ['limit=0', 'limit'],
    ['from=yesterday', 'from'],
  ]) {
    const res = await get(`/api/v1/alerts/history?${query}`);
    expect(res.status).toBe(400);
    expect(res.body.message).toMatch(new RegExp(`^${field}: `));
  }
});
