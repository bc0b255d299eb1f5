/** Kind local: tickets kept in vigil's Store alone, end to end through buildIntegrations and deliver. */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Receiver } from '../../src/config/index.js';
import { buildIntegrations, deliver, firedFor, type Delivery } from '../../src/notify/index.js';
import { SqliteStore } from '../../src/store/index.js';
import { scratchDir } from '../support/scratch.js';
import { T0, testAlert, testDelivery } from '../support/receivers.js';

const HOUR = 3_600_000;
let store: SqliteStore;
beforeAll(async () => {
  store = new SqliteStore(join(await scratchDir(join(tmpdir(), 'vigil-ticket-local-')), 'vigil.db'));
});
afterAll(() => store.close());

const receiver: Receiver = {
  name: 'triage', pagerduty: [], slack: [], webhook: [], grafana: [],
  ticket: [{ kind: 'local', issueType: 'Task', resolveTransition: 'Done', priorities: {}, labels: [], reopenWindowMs: 24 * HOUR, autoResolve: true, http: { insecureSkipVerify: false, timeoutMs: 5000 } }],
} as unknown as Receiver;

test('firedFor reads like a person would say it', () => {
  expect([firedFor(45_000), firedFor(5 * 60_000), firedFor(2 * HOUR + 5 * 60_000), firedFor(2 * HOUR), firedFor(27 * HOUR)]).toEqual(['45s', '5m', '2h 5m', '2h', '1d 3h']);
});

test('create, comment, resolve, reopen and a new ticket after the window, all in the Store with local:<n> ids', async () => {
  let clock = T0;
  const [integ] = buildIntegrations(receiver, { store, now: () => clock });
  expect(integ.kind).toBe('ticket');
  const run = async (d: Delivery) => (await deliver([integ], d, { deadline: Date.now() + 5000 }))[0];
  const a = testAlert({ alertname: 'AgentHallucinationTrend', agent_id: 'support', severity: 'P2' }, { summary: 'hallucinations up' }, { startsAt: T0 - 60_000 - HOUR });
  const b = testAlert({ alertname: 'AgentHallucinationTrend', agent_id: 'sales', severity: 'P2' });
  const d = (o: Parameters<typeof testDelivery>[0]) => {
    const x = testDelivery({ groupKey: 'g-halluc', groupLabels: { alertname: 'AgentHallucinationTrend' }, ...o });
    return { ...x, notification: { ...x.notification, receiver: 'triage' } };
  };
  expect(await run(d({ firing: [a] }))).toMatchObject({ ok: true });
  const t = (await store.latestTicket('triage', 'local', 'g-halluc'))!;
  expect(t).toMatchObject({ id: expect.stringMatching(/^local:\d+$/), kind: 'local', title: '[P2] AgentHallucinationTrend', status: 'open', url: `https://vigil.example.com/api/v1/tickets/${t.id}` });
  await run(d({ firing: [a, b], stillFiring: [a.fingerprint] }));
  await run(d({ resolved: [a, b] }));
  expect(await store.getTicket(t.id)).toMatchObject({ status: 'resolved', resolvedAt: T0 });
  clock += HOUR;
  await run(d({ firing: [a] }));
  expect((await store.getTicket(t.id))!.status).toBe('open');
  await run(d({ resolved: [a] }));
  clock += 25 * HOUR;
  await run(d({ firing: [a] }));
  const next = (await store.latestTicket('triage', 'local', 'g-halluc'))!;
  expect(Number(next.externalId)).toBe(Number(t.externalId) + 1);
  const events = await store.ticketEvents(t.id);
  expect(events.map((e) => e.action)).toEqual(['created', 'commented', 'resolved', 'reopened', 'resolved']);
  expect(events[0].detail).toContain('AgentHallucinationTrend agent_id=support severity=P2 — hallucinations up');
  expect(events[1].detail).toContain('1 new alert firing (2 in all)');
  expect(events[2].detail).toBe('All alerts resolved; fired for 1h. Resolved by vigil.');
});
