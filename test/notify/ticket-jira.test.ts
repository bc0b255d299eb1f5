/** Jira Cloud tickets against a loopback Jira that enforces REST v3's contract: create, comment, reopen, resolve, recovery by label, errors. */
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TicketConfig } from '../../src/config/index.js';
import { classifyError, deliver, NotifyError, TicketIntegration, type Delivery } from '../../src/notify/index.js';
import { SqliteStore } from '../../src/store/index.js';
import { scratchDir } from '../support/scratch.js';
import { T0, testAlert, testDelivery } from '../support/receivers.js';
import { startJira, type JiraServer } from '../support/ticketing.js';

const EMAIL = 'vigil@example.com';
const TOKEN = 'jira-secret-token-123';
const HOUR = 3_600_000;

let jira: JiraServer;
let dir: string;
let now = T0;
beforeAll(async () => {
  jira = await startJira({ email: EMAIL, apiToken: TOKEN });
  dir = await scratchDir(join(tmpdir(), 'vigil-ticket-jira-'));
});
afterAll(() => jira.close());

let dbs = 0;
const newStore = () => new SqliteStore(join(dir, `t${++dbs}.db`));

function config(over: Partial<TicketConfig> = {}): TicketConfig {
  return {
    kind: 'jira', url: jira.url, project: 'OPS', issueType: 'Task', email: EMAIL, apiToken: TOKEN, resolveTransition: 'Done',
    priorities: { P1: 'Highest', P2: 'High', P3: 'Medium' }, labels: ['agents', 'on call'], reopenWindowMs: 24 * HOUR, autoResolve: true,
    http: { insecureSkipVerify: false, timeoutMs: 5000 }, ...over,
  };
}

const toolFailure = (agent: string, ann: Record<string, string> = {}, extra = {}) =>
  testAlert({ alertname: 'AgentToolFailure', agent_id: agent, severity: 'P2', tool_name: 'web_search' }, { summary: `web_search fails 7% for ${agent}`, runbook_url: 'https://runbooks.example.com/tool-failure', ...ann }, { generatorURL: 'http://prometheus:9090/graph?g0.expr=x', ...extra });

const group = (agent: string, opts: Parameters<typeof testDelivery>[0] = {}): Delivery => {
  const d = testDelivery({ groupKey: `{}/{severity="P2"}:{alertname="AgentToolFailure", agent_id="${agent}"}`, groupLabels: { alertname: 'AgentToolFailure', agent_id: agent }, ...opts });
  return { ...d, notification: { ...d.notification, receiver: 'triage' } };
};

const send = (i: TicketIntegration, d: Delivery) => i.send(d, new AbortController().signal);
const issueOf = (key: string) => jira.issues.get(key)!;
const since = (n: number) => jira.requests.slice(n).map((r) => `${r.method} ${r.path.replace(/\?.*/, '')}`);

test('a firing group creates one issue: summary, ADF description with links, labels with ALERT{hash}, priority by severity, basic auth', async () => {
  const store = newStore();
  const integ = new TicketIntegration(config(), 0, { store, now: () => now });
  const d = { ...group('search', { firing: [toolFailure('search')] }), feedback: { actionable: 'https://vigil.example.com/fb/yes?sig=a', noise: 'https://vigil.example.com/fb/no?sig=b' } };
  const before = jira.requests.length;
  await send(integ, d);
  // no record in the Store: Jira is asked first, then the issue is created
  expect(since(before)).toEqual(['POST /rest/api/3/search/jql', 'POST /rest/api/3/issue']);
  const create = jira.requests[before + 1];
  expect(create.status).toBe(201);
  expect(create.headers.authorization).toBe(`Basic ${Buffer.from(`${EMAIL}:${TOKEN}`).toString('base64')}`);
  const fields = (create.json as any).fields;
  const hash = createHash('sha256').update(d.notification.groupKey).digest('hex').slice(0, 16);
  expect(fields).toMatchObject({ project: { key: 'OPS' }, summary: '[P2] AgentToolFailure agent_id=search', issuetype: { name: 'Task' }, priority: { name: 'High' } });
  expect(fields.labels).toEqual(['agents', 'on-call', 'vigil', `ALERT${hash}`]);
  expect(fields.description).toMatchObject({ type: 'doc', version: 1 });
  const json = JSON.stringify(fields.description);
  expect(json).toContain('web_search fails 7% for search');
  expect(json).toContain('{"type":"link","attrs":{"href":"https://runbooks.example.com/tool-failure"}}');
  expect(json).toContain('{"type":"link","attrs":{"href":"http://prometheus:9090/graph?g0.expr=x"}}');
  expect(json).toContain('Was this actionable? yes: ');
  expect(json).toContain('https://vigil.example.com/fb/no?sig=b');
  const t = (await store.latestTicket('triage', 'jira', d.notification.groupKey))!;
  expect(t).toMatchObject({ id: 'jira:OPS-1', externalId: 'OPS-1', url: `${jira.url}/browse/OPS-1`, status: 'open', severity: 'P2', title: '[P2] AgentToolFailure agent_id=search', firingSince: T0 - 600_000 });
  expect((await store.ticketEvents('jira:OPS-1')).map((e) => e.action)).toEqual(['created']);
  expect(JSON.stringify((await store.ticketEvents('jira:OPS-1')))).not.toContain(TOKEN);
});

test('a re-fire with a new alert comments on the open issue; a pure repeat adds nothing', async () => {
  const store = newStore();
  const integ = new TicketIntegration(config(), 0, { store, now: () => now });
  await send(integ, group('browse', { firing: [toolFailure('browse')] }));
  const t = (await store.latestTicket('triage', 'jira', group('browse').notification.groupKey))!;
  const n = jira.requests.length;
  const second = testAlert({ alertname: 'AgentToolFailure', agent_id: 'browse', severity: 'P2', tool_name: 'fetch' }, { summary: 'fetch fails' });
  await send(integ, group('browse', { firing: [toolFailure('browse'), second], stillFiring: [toolFailure('browse').fingerprint] }));
  expect(since(n)).toEqual([`POST /rest/api/3/issue/${t.externalId}/comment`]);
  expect(JSON.stringify(issueOf(t.externalId).comments[0])).toContain('1 new alert firing (2 in all)');
  expect(JSON.stringify(issueOf(t.externalId).comments[0])).toContain('fetch fails');
  const m = jira.requests.length;
  await send(integ, group('browse', { firing: [toolFailure('browse'), second], stillFiring: [toolFailure('browse').fingerprint, second.fingerprint], isRepeat: true }));
  expect(jira.requests.length).toBe(m);
  expect((await store.ticketEvents(t.id)).map((e) => e.action)).toEqual(['created', 'commented']);
});

test('the group resolving transitions the issue to Done and comments how long it fired', async () => {
  const store = newStore();
  const integ = new TicketIntegration(config(), 0, { store, now: () => now });
  const started = T0 - 60_000 - (2 * HOUR + 5 * 60_000);
  const a = toolFailure('plan', {}, { startsAt: started });
  await send(integ, group('plan', { firing: [a] }));
  const t = (await store.latestTicket('triage', 'jira', group('plan').notification.groupKey))!;
  const n = jira.requests.length;
  await send(integ, group('plan', { resolved: [a] }));
  expect(since(n)).toEqual([`GET /rest/api/3/issue/${t.externalId}/transitions`, `POST /rest/api/3/issue/${t.externalId}/transitions`, `POST /rest/api/3/issue/${t.externalId}/comment`]);
  expect(jira.requests[n + 1].json).toEqual({ transition: { id: '31' } });
  expect(issueOf(t.externalId).fields.status.name).toBe('Done');
  expect(JSON.stringify(issueOf(t.externalId).comments.at(-1))).toContain('fired for 2h 5m');
  expect(await store.getTicket(t.id)).toMatchObject({ status: 'resolved', resolvedAt: now });
  expect((await store.ticketEvents(t.id)).at(-1)).toMatchObject({ action: 'resolved', detail: expect.stringContaining('fired for 2h 5m') });
});

test('a re-fire within reopen_window reopens the issue by a transition to a not-done status; after the window, a new issue', async () => {
  const store = newStore();
  let clock = T0;
  const integ = new TicketIntegration(config({ reopenWindowMs: 2 * HOUR }), 0, { store, now: () => clock });
  const a = toolFailure('code');
  await send(integ, group('code', { firing: [a] }));
  await send(integ, group('code', { resolved: [a] }));
  const first = (await store.latestTicket('triage', 'jira', group('code').notification.groupKey))!;
  clock += HOUR;
  const n = jira.requests.length;
  await send(integ, group('code', { firing: [a] }));
  expect(since(n)).toEqual([
    `GET /rest/api/3/issue/${first.externalId}`,
    `GET /rest/api/3/issue/${first.externalId}/transitions`,
    `POST /rest/api/3/issue/${first.externalId}/transitions`,
    `POST /rest/api/3/issue/${first.externalId}/comment`,
  ]);
  expect(jira.requests[n].path).toBe(`/rest/api/3/issue/${first.externalId}?fields=status,resolution`);
  expect(issueOf(first.externalId).fields.status.statusCategory.key).toBe('new');
  expect(JSON.stringify(issueOf(first.externalId).comments.at(-1))).toContain('Firing again 1h after it was resolved');
  expect(await store.latestTicket('triage', 'jira', group('code').notification.groupKey)).toMatchObject({ id: first.id, status: 'open' });
  // resolve again, then re-fire 3h later: outside the window
  await send(integ, group('code', { resolved: [a] }));
  clock += 3 * HOUR;
  await send(integ, group('code', { firing: [a] }));
  const second = (await store.latestTicket('triage', 'jira', group('code').notification.groupKey))!;
  expect(second.id).not.toBe(first.id);
  expect(second.status).toBe('open');
  expect((await store.getTicket(first.id))!.status).toBe('resolved');
  expect((await store.ticketEvents(first.id)).map((e) => e.action)).toEqual(['created', 'resolved', 'reopened', 'resolved']);
});

test("an issue closed as Won't Do is not reopened: a re-fire within the window opens a new one", async () => {
  const store = newStore();
  const integ = new TicketIntegration(config(), 0, { store, now: () => now });
  const a = toolFailure('mail');
  await send(integ, group('mail', { firing: [a] }));
  const first = (await store.latestTicket('triage', 'jira', group('mail').notification.groupKey))!;
  await send(integ, group('mail', { resolved: [a] }));
  // a person reopens and closes it as won't do
  jira.transition(first.externalId, 'Reopen');
  jira.transition(first.externalId, "Won't Do");
  await send(integ, group('mail', { firing: [a] }));
  const second = (await store.latestTicket('triage', 'jira', group('mail').notification.groupKey))!;
  expect(second.id).not.toBe(first.id);
  expect(await store.getTicket(first.id)).toMatchObject({ wontFix: true, status: 'resolved' });
  expect(issueOf(first.externalId).fields.resolution).toEqual({ name: "Won't Do" });
});

test('with no record in the Store (a lost database), the open issue is found by POST /search/jql on its ALERT label and commented on', async () => {
  const a = toolFailure('db');
  const before = new TicketIntegration(config(), 0, { store: newStore(), now: () => now });
  await send(before, group('db', { firing: [a] }));
  const key = [...jira.issues.values()].at(-1)!.key;
  const fresh = newStore();
  const after = new TicketIntegration(config(), 0, { store: fresh, now: () => now });
  const n = jira.requests.length;
  const b = testAlert({ alertname: 'AgentToolFailure', agent_id: 'db', severity: 'P2', tool_name: 'sql' });
  await send(after, group('db', { firing: [a, b], stillFiring: [a.fingerprint] }));
  expect(since(n)).toEqual(['POST /rest/api/3/search/jql', `POST /rest/api/3/issue/${key}/comment`]);
  const hash = createHash('sha256').update(group('db').notification.groupKey).digest('hex').slice(0, 16);
  expect(jira.requests[n].json).toEqual({ jql: `labels = "ALERT${hash}" AND statusCategory != Done ORDER BY created DESC`, fields: ['summary', 'status'], maxResults: 1 });
  expect(await fresh.latestTicket('triage', 'jira', group('db').notification.groupKey)).toMatchObject({ id: `jira:${key}`, status: 'open', title: '[P2] AgentToolFailure agent_id=db' });
  expect([...jira.issues.values()].filter((i) => i.fields.labels.includes(`ALERT${hash}`))).toHaveLength(1);
});

test('a 400 for a bad field is not retried and names the field; a 500 is retried; the token never shows', async () => {
  const store = newStore();
  const bad = new TicketIntegration(config({ priorities: { P2: 'Urgent!!' } }), 0, { store, now: () => now });
  const err = await send(bad, group('err', { firing: [toolFailure('err')] })).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(NotifyError);
  expect(err).toMatchObject({ retryable: false, statusCode: 400 });
  expect((err as Error).message).toMatch(/priority: Specify a valid priority/);
  expect((err as Error).message).not.toContain(TOKEN);
  expect(await store.latestTicket('triage', 'jira', group('err').notification.groupKey)).toBeUndefined();

  const unauth = new TicketIntegration(config({ apiToken: 'wrong' }), 0, { store, now: () => now });
  const e401 = await send(unauth, group('err', { firing: [toolFailure('err')] })).catch((e: unknown) => e);
  expect(e401).toMatchObject({ retryable: false, statusCode: 401 });

  const good = new TicketIntegration(config(), 0, { store, now: () => now });
  jira.answerNext(1, { status: 500, body: { errorMessages: ['Internal server error'] } });
  const [result] = await deliver([good], group('err', { firing: [toolFailure('err')] }), { deadline: Date.now() + 10_000, baseBackoffMs: 1 });
  expect(result).toMatchObject({ ok: true, attempts: 2 });
  expect((await store.latestTicket('triage', 'jira', group('err').notification.groupKey))?.status).toBe('open');
  jira.answerNext(1, { status: 429, body: { errorMessages: ['Rate limit'] }, headers: { 'Retry-After': '1' } });
  const e429 = await send(good, group('err', { firing: [toolFailure('err'), toolFailure('err2')] })).catch((e: unknown) => e);
  expect(e429).toMatchObject({ retryable: true, statusCode: 429, retryAfterMs: 1000 });
});

test('an integration without a Store says so', () => {
  expect(() => new TicketIntegration(config(), 2)).toThrow(/ticket_configs\[2\].*needs vigil's Store/);
});

test('an issue deleted in Jira (404) is forgotten: the re-fire opens a new one instead of failing forever', async () => {
  const store = newStore();
  const integ = new TicketIntegration(config(), 0, { store, now: () => now });
  const a = toolFailure('gone');
  await send(integ, group('gone', { firing: [a] }));
  const first = (await store.latestTicket('triage', 'jira', group('gone').notification.groupKey))!;
  jira.issues.delete(first.externalId);
  await send(integ, group('gone', { firing: [a, toolFailure('gone2')], stillFiring: [a.fingerprint] }));
  const second = (await store.latestTicket('triage', 'jira', group('gone').notification.groupKey))!;
  expect(second.id).not.toBe(first.id);
  expect((await store.getTicket(first.id))!.status).toBe('resolved');
  expect((await store.ticketEvents(first.id)).at(-1)).toMatchObject({ action: 'resolved', detail: expect.stringContaining('gone') });
});

test('over TLS with the CA of http_config, and a summary never holds a newline', async () => {
  const tlsJira = await startJira({ email: EMAIL, apiToken: TOKEN, tls: true });
  try {
    const integ = new TicketIntegration(config({ url: tlsJira.url, http: { ca: tlsJira.ca, insecureSkipVerify: false, timeoutMs: 5000 } }), 0, { store: newStore(), now: () => now });
    await send(integ, group('multi\nline', { firing: [toolFailure('multi\nline')] }));
    expect([...tlsJira.issues.values()][0].fields.summary).toBe('[P2] AgentToolFailure agent_id=multi line');
    const untrusted = new TicketIntegration(config({ url: tlsJira.url }), 0, { store: newStore(), now: () => now });
    const err = await send(untrusted, group('x', { firing: [toolFailure('x')] })).catch((e: unknown) => e);
    // a certificate vigil was not told to trust fails at once rather than retrying until the deadline
    expect(classifyError(err)).toMatchObject({ retryable: false, message: expect.stringMatching(/network error: (SELF_SIGNED|DEPTH_ZERO|UNABLE_TO)/) });
  } finally {
    await tlsJira.close();
  }
});

test('an issue a person already moved to Done resolves without a transition; an unknown resolve_transition on an open issue is an error', async () => {
  const store = newStore();
  const integ = new TicketIntegration(config(), 0, { store, now: () => now });
  const a = toolFailure('manual');
  await send(integ, group('manual', { firing: [a] }));
  const t = (await store.latestTicket('triage', 'jira', group('manual').notification.groupKey))!;
  jira.transition(t.externalId, 'Done');
  const n = jira.requests.length;
  await send(integ, group('manual', { resolved: [a] }));
  expect(since(n)).toEqual([`GET /rest/api/3/issue/${t.externalId}/transitions`, `GET /rest/api/3/issue/${t.externalId}`, `POST /rest/api/3/issue/${t.externalId}/comment`]);
  expect((await store.getTicket(t.id))!.status).toBe('resolved');

  const odd = new TicketIntegration(config({ resolveTransition: 'Close Issue' }), 0, { store: newStore(), now: () => now });
  await send(odd, group('odd', { firing: [toolFailure('odd')] }));
  const err = await send(odd, group('odd', { resolved: [toolFailure('odd')] })).catch((e: unknown) => e);
  expect(err).toMatchObject({ retryable: false, message: expect.stringContaining('no transition named "Close Issue" (resolve_transition)') });
});

test('with no record in the Store, a resolving group still finds its open issue by label and resolves it', async () => {
  const a = toolFailure('lost');
  await send(new TicketIntegration(config(), 0, { store: newStore(), now: () => now }), group('lost', { firing: [a] }));
  const key = [...jira.issues.values()].at(-1)!.key;
  const fresh = newStore();
  await send(new TicketIntegration(config(), 0, { store: fresh, now: () => now }), group('lost', { resolved: [a] }));
  expect(issueOf(key).fields.status.name).toBe('Done');
  expect((await fresh.ticketEvents(`jira:${key}`)).map((e) => e.action)).toEqual(['commented', 'resolved']);
});
