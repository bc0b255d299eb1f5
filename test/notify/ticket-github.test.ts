/** GitHub issue tickets against a loopback GitHub that enforces the REST issues contract: create, comment, close, reopen, not_planned, errors. */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TicketConfig } from '../../src/config/index.js';
import { NotifyError, TicketIntegration, type Delivery } from '../../src/notify/index.js';
import { SqliteStore } from '../../src/store/index.js';
import { scratchDir } from '../support/scratch.js';
import { T0, testAlert, testDelivery } from '../support/receivers.js';
import { startGithub, type GithubServer } from '../support/ticketing.js';

const TOKEN = 'ghp_secretsecretsecret';
const HOUR = 3_600_000;
let gh: GithubServer;
let store: SqliteStore;
let clock = T0;

beforeAll(async () => {
  gh = await startGithub({ repo: 'acme/agents', token: TOKEN });
  store = new SqliteStore(join(await scratchDir(join(tmpdir(), 'vigil-ticket-gh-')), 'vigil.db'));
});
afterAll(async () => {
  store.close();
  await gh.close();
});

function config(over: Partial<TicketConfig> = {}): TicketConfig {
  return {
    kind: 'github', url: gh.url, repo: 'acme/agents', token: TOKEN, issueType: 'Task', resolveTransition: 'Done', priorities: {},
    labels: ['alert'], reopenWindowMs: 24 * HOUR, autoResolve: true, http: { insecureSkipVerify: false, timeoutMs: 5000 }, ...over,
  };
}
const integration = (over: Partial<TicketConfig> = {}) => new TicketIntegration(config(over), 0, { store, now: () => clock });
const alert = (agent: string, startsAt = T0 - 600_000) => testAlert({ alertname: 'AgentTokenCost', agent_id: agent, severity: 'P2' }, { description: `tokens 2.4x the 24h average for ${agent}`, runbook_url: 'https://runbooks.example.com/token-cost' }, { startsAt });
const group = (agent: string, opts: Parameters<typeof testDelivery>[0] = {}): Delivery =>
  testDelivery({ groupKey: `{}:{agent_id="${agent}"}`, groupLabels: { agent_id: agent }, ...opts });
const send = (i: TicketIntegration, d: Delivery) => i.send(d, new AbortController().signal);
const latest = async (agent: string) => (await store.latestTicket('oncall', 'github', group(agent).notification.groupKey))!;
const since = (n: number) => gh.requests.slice(n).map((r) => `${r.method} ${r.path}`);

test('creates an issue with title, Markdown body, labels and the documented headers', async () => {
  const n = gh.requests.length;
  await send(integration(), { ...group('writer', { firing: [alert('writer')] }), feedback: { actionable: 'https://vigil.example.com/fb/y', noise: 'https://vigil.example.com/fb/n' } });
  expect(since(n)).toEqual(['POST /repos/acme/agents/issues']);
  const req = gh.requests[n];
  expect(req.status).toBe(201);
  expect(req.headers).toMatchObject({ authorization: `Bearer ${TOKEN}`, accept: 'application/vnd.github+json', 'x-github-api-version': '2022-11-28', 'user-agent': 'vigil' });
  const body = req.json as { title: string; body: string; labels: string[] };
  expect(body.title).toBe('[P2] AgentTokenCost agent_id=writer');
  expect(body.labels).toEqual(['alert', 'vigil']);
  expect(body.body).toContain('**AgentTokenCost** agent\\_id=writer severity=P2 — tokens 2.4x the 24h average for writer [runbook](https://runbooks.example.com/token-cost)');
  expect(body.body).toContain('Was this actionable? yes: [https://vigil.example.com/fb/y](https://vigil.example.com/fb/y) / no: [https://vigil.example.com/fb/n](https://vigil.example.com/fb/n)');
  expect(await latest('writer')).toMatchObject({ id: 'github:1', externalId: '1', url: 'https://github.com/acme/agents/issues/1', status: 'open' });
});

test('comments on a re-fire, closes as completed with the firing time, and reopens within the window', async () => {
  const a = alert('reader', T0 - 60_000 - 45 * 60_000);
  const i = integration();
  await send(i, group('reader', { firing: [a] }));
  const t = await latest('reader');
  await send(i, group('reader', { firing: [a, alert('reader2')], stillFiring: [a.fingerprint] }));
  expect(gh.issues.get(Number(t.externalId))!.comments[0]).toContain('1 new alert firing (2 in all)');
  let n = gh.requests.length;
  await send(i, group('reader', { resolved: [a] }));
  expect(since(n)).toEqual([`PATCH /repos/acme/agents/issues/${t.externalId}`, `POST /repos/acme/agents/issues/${t.externalId}/comments`]);
  expect(gh.requests[n].json).toEqual({ state: 'closed', state_reason: 'completed' });
  expect(gh.issues.get(Number(t.externalId))!.comments.at(-1)).toBe('All alerts resolved; fired for 45m. Resolved by vigil.');
  clock += 2 * HOUR;
  n = gh.requests.length;
  await send(i, group('reader', { firing: [a] }));
  expect(since(n)).toEqual([`GET /repos/acme/agents/issues/${t.externalId}`, `PATCH /repos/acme/agents/issues/${t.externalId}`, `POST /repos/acme/agents/issues/${t.externalId}/comments`]);
  expect(gh.requests[n + 1].json).toEqual({ state: 'open' });
  expect(gh.issues.get(Number(t.externalId))).toMatchObject({ state: 'open', state_reason: 'reopened' });
  expect((await store.ticketEvents(t.id)).map((e) => e.action)).toEqual(['created', 'commented', 'resolved', 'reopened']);
});

test('an issue a person closed as not planned is not reopened: a new issue instead', async () => {
  const a = alert('planner');
  const i = integration();
  await send(i, group('planner', { firing: [a] }));
  const first = await latest('planner');
  await send(i, group('planner', { resolved: [a] }));
  gh.closeAsNotPlanned(Number(first.externalId));
  await send(i, group('planner', { firing: [a] }));
  const second = await latest('planner');
  expect(second.externalId).not.toBe(first.externalId);
  expect((await store.getTicket(first.id))!.wontFix).toBe(true);
  expect(gh.issues.get(Number(first.externalId))!.state).toBe('closed');
});

test('after the reopen window a re-fire opens a new issue without asking GitHub about the old one', async () => {
  const a = alert('late');
  const i = integration({ reopenWindowMs: HOUR });
  await send(i, group('late', { firing: [a] }));
  await send(i, group('late', { resolved: [a] }));
  const first = await latest('late');
  clock += 2 * HOUR;
  const n = gh.requests.length;
  await send(i, group('late', { firing: [a] }));
  expect(since(n)).toEqual(['POST /repos/acme/agents/issues']);
  expect((await latest('late')).id).not.toBe(first.id);
});

test('auto_resolve: false leaves the issue open (resolved notifications are not even asked for)', async () => {
  const i = integration({ autoResolve: false });
  expect(i.sendResolved).toBe(false);
  await send(i, group('manual', { firing: [alert('manual')] }));
  const n = gh.requests.length;
  await send(i, group('manual', { resolved: [alert('manual')] }));
  expect(gh.requests.length).toBe(n);
  expect((await latest('manual')).status).toBe('open');
});

test('422 validation and 401 are not retried; 502 and 429 are; the token is never in the error', async () => {
  // vigil never sends an empty title, so the 422 GitHub gives for one is answered on purpose
  gh.answerNext(1, { status: 422, body: { message: 'Validation Failed', errors: [{ resource: 'Issue', code: 'missing_field', field: 'title' }] } });
  const e422 = await send(integration(), group('x', { firing: [alert('x')] })).catch((e: unknown) => e);
  expect(e422).toBeInstanceOf(NotifyError);
  expect(e422).toMatchObject({ retryable: false, statusCode: 422 });
  expect((e422 as Error).message).toContain('Validation Failed');
  const e401 = await send(integration({ token: 'nope' }), group('x', { firing: [alert('x')] })).catch((e: unknown) => e);
  expect(e401).toMatchObject({ retryable: false, statusCode: 401, message: expect.stringContaining('Bad credentials') });
  expect((e401 as Error).message).not.toContain('nope');
  gh.answerNext(1, { status: 502, body: { message: 'Server Error' } });
  expect(await send(integration(), group('x', { firing: [alert('x')] })).catch((e: unknown) => e)).toMatchObject({ retryable: true, statusCode: 502 });
  gh.answerNext(1, { status: 429, body: { message: 'API rate limit exceeded' }, headers: { 'Retry-After': '30' } });
  expect(await send(integration(), group('x', { firing: [alert('x')] })).catch((e: unknown) => e)).toMatchObject({ retryable: true, statusCode: 429, retryAfterMs: 30_000 });
  expect(await latest('x')).toBeUndefined();
});

test('an issue deleted on GitHub (410) is forgotten and the group gets a new one', async () => {
  const a = alert('deleted');
  const i = integration();
  await send(i, group('deleted', { firing: [a] }));
  const first = await latest('deleted');
  gh.deleteIssue(Number(first.externalId));
  await send(i, group('deleted', { firing: [a, alert('deleted2')], stillFiring: [a.fingerprint] }));
  expect((await latest('deleted')).id).not.toBe(first.id);
  expect((await store.getTicket(first.id))!.status).toBe('resolved');
});
