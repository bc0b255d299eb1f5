/**
 * The silences API over real HTTP, in Alertmanager's paths and shapes, backed by the real
 * Silences registry in a real SqliteStore.
 */
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Silences } from '../../src/route/silences.js';
import { createApp, EvaluationMetrics, type RouterPort } from '../../src/server/index.js';
import { SqliteStore } from '../../src/store/index.js';
import { scratchDir } from '../support/scratch.js';
import { listening, urlOf } from '../support/listen.js';

const T = Date.UTC(2026, 10, 2, 9, 0, 0);
const MIN = 60_000;
const H = 60 * MIN;
const iso = (ms: number) => new Date(ms).toISOString();

let clock = T;
let url = '';
let server: Server;
let store: SqliteStore;
let dbPath: string;

beforeAll(async () => {
  dbPath = join(await scratchDir(join(tmpdir(), 'vigil-silences-api-')), 'vigil.db');
  store = new SqliteStore(dbPath);
  // only the silences matter here: no alerts are held
  const router: RouterPort = { receive: () => undefined, alerts: () => [], silences: await Silences.open({ store }), resolveTimeoutMs: 5 * MIN };
  const app = createApp({
    evaluator: { allGroups: () => [] },
    metrics: new EvaluationMetrics({ allGroups: () => [] }),
    isReady: () => true,
    router,
    now: () => clock,
  });
  server = await listening(app);
  url = urlOf(server);
});

afterAll(async () => {
  await new Promise((done) => server.close(done));
  store.close();
});

beforeEach(() => {
  clock = T;
});

const postable = (over: object = {}) => ({
  matchers: [
    { name: 'agent_id', value: 'checkout', isRegex: false, isEqual: true },
    { name: 'severity', value: 'P[12]', isRegex: true },
  ],
  startsAt: iso(T),
  endsAt: iso(T + 2 * H),
  createdBy: 'ann',
  comment: 'deploying a fix',
  ...over,
});

async function postSilence(body: unknown) {
  const res = await fetch(`${url}/api/v2/silences`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('silences API', () => {
  test('POST creates: 200 {silenceID}; GET /silence/{id} answers in gettableSilence shape', async () => {
    const created = await postSilence(postable());
    expect(created.status).toBe(200);
    const id = created.body.silenceID as string;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    const res = await fetch(`${url}/api/v2/silence/${id}`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      id,
      status: { state: 'active' },
      updatedAt: iso(T),
      matchers: [
        { name: 'agent_id', value: 'checkout', isRegex: false, isEqual: true },
        { name: 'severity', value: 'P[12]', isRegex: true, isEqual: true },
      ],
      startsAt: iso(T),
      endsAt: iso(T + 2 * H),
      createdBy: 'ann',
      comment: 'deploying a fix',
    });
  });

  test('GET /silences lists all, with ?filter= as Alertmanager', async () => {
    const a = (await postSilence(postable({ matchers: [{ name: 'agent_id', value: 'lister-a', isRegex: false }] }))).body.silenceID;
    const b = (await postSilence(postable({ matchers: [{ name: 'agent_id', value: 'lister-b', isRegex: false, isEqual: false }, { name: 'team', value: 'x', isRegex: false }] }))).body.silenceID;
    const all = (await (await fetch(`${url}/api/v2/silences`)).json()) as { id: string }[];
    expect(all.map((s) => s.id)).toEqual(expect.arrayContaining([a, b]));
    const filtered = (await (await fetch(`${url}/api/v2/silences?filter=${encodeURIComponent('agent_id="lister-a"')}`)).json()) as { id: string }[];
    expect(filtered.map((s) => s.id)).toEqual([a]);
    const neg = (await (await fetch(`${url}/api/v2/silences?filter=team%3D%22x%22`)).json()) as { id: string; matchers: unknown[] }[];
    expect(neg).toHaveLength(1);
    expect(neg[0].matchers[0]).toEqual({ name: 'agent_id', value: 'lister-b', isRegex: false, isEqual: false });
    const bad = await fetch(`${url}/api/v2/silences?filter=${encodeURIComponent('{{')}`);
    expect(bad.status).toBe(400);
  });

  test('POST with the id of an active silence: a later end is an update in place, new matchers a new silence', async () => {
    const id = (await postSilence(postable())).body.silenceID as string;
    clock = T + H;
    const longer = await postSilence(postable({ id, endsAt: iso(T + 5 * H) }));
    expect(longer).toEqual({ status: 200, body: { silenceID: id } });
    const replaced = await postSilence(postable({ id, matchers: [{ name: 'agent_id', value: 'search', isRegex: false }] }));
    expect(replaced.status).toBe(200);
    expect(replaced.body.silenceID).not.toBe(id);
    clock = T + H + 1;
    const old = (await (await fetch(`${url}/api/v2/silence/${id}`)).json()) as { status: { state: string }; endsAt: string };
    expect(old).toMatchObject({ status: { state: 'expired' }, endsAt: iso(T + H) });
  });

  test.each<[string, object, string]>([
    ['no matchers', { matchers: [] }, 'matchers: must not be an empty list'],
    ['a label name Alertmanager 0.25 refuses', { matchers: [{ name: '1bad', value: 'x', isRegex: false }] }, 'matchers[0].name: invalid label matcher 0: invalid label name "1bad"'],
    ['a matcher without isRegex', { matchers: [{ name: 'a', value: 'b' }] }, 'matchers[0]: missing required field "isRegex"'],
    ['no comment', { comment: '' }, 'comment: comment is required'],
    ['endsAt not a time', { endsAt: 'tomorrow' }, 'endsAt: must be an RFC 3339 time'],
    ['end before start', { startsAt: iso(T + H), endsAt: iso(T + 30 * MIN) }, 'endsAt: start time must be before end time'],
    ['a bad regex', { matchers: [{ name: 'a', value: '(', isRegex: true }] }, 'matchers[0].value: invalid label matcher 0: invalid regular expression'],
  ])('POST %s: 400 naming the field, nothing created', async (_what, over, message) => {
    const before = ((await (await fetch(`${url}/api/v2/silences`)).json()) as unknown[]).length;
    const res = await postSilence(postable(over));
    expect(res.status).toBe(400);
    expect(typeof res.body).toBe('string'); // Alertmanager's swagger: a JSON string
    expect(res.body).toContain(message);
    expect(((await (await fetch(`${url}/api/v2/silences`)).json()) as unknown[]).length).toBe(before);
  });

  test('POST with an unknown id: 404', async () => {
    const res = await postSilence(postable({ id: 'no-such-silence' }));
    expect(res).toEqual({ status: 404, body: 'silence no-such-silence not found' });
  });

  test('DELETE /silence/{id} expires it (200); again → 400; unknown → 404; it stays listed as expired', async () => {
    const id = (await postSilence(postable())).body.silenceID as string;
    clock = T + 10 * MIN;
    const del = await fetch(`${url}/api/v2/silence/${id}`, { method: 'DELETE' });
    expect(del.status).toBe(200);
    clock = T + 10 * MIN + 1;
    const got = (await (await fetch(`${url}/api/v2/silence/${id}`)).json()) as { status: { state: string }; endsAt: string };
    expect(got).toMatchObject({ status: { state: 'expired' }, endsAt: iso(T + 10 * MIN) });
    expect((await fetch(`${url}/api/v2/silence/${id}`, { method: 'DELETE' })).status).toBe(400);
    const unknown = await fetch(`${url}/api/v2/silence/nope`, { method: 'DELETE' });
    expect(unknown.status).toBe(404);
    expect((await fetch(`${url}/api/v2/silence/nope`)).status).toBe(404);
  });

  test('what the API changed is in the database: a reopened store has it', async () => {
    const id = (await postSilence(postable({ comment: 'persisted' }))).body.silenceID as string;
    const other = new SqliteStore(dbPath);
    expect((await Silences.open({ store: other })).get(id, T)).toMatchObject({ comment: 'persisted', state: 'active' });
    other.close();
  });

  test('only the paths Alertmanager has: no GET /silences/{id}, no DELETE /silences/{id}', async () => {
    expect((await fetch(`${url}/api/v2/silences/abc`)).status).toBe(404);
    expect((await fetch(`${url}/api/v2/silences/abc`, { method: 'DELETE' })).status).toBe(404);
  });
});
