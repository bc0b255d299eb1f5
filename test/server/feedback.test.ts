/** Signed feedback links and acknowledgements over real HTTP, with a real SQLite history. */
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RoutedAlert } from '../../src/route/index.js';
import { createApp, EvaluationMetrics } from '../../src/server/index.js';
import { FeedbackLinks, feedbackRoutes, SIGNING_KEY_SETTING } from '../../src/server/feedback.js';
import { SqliteStore } from '../../src/store/index.js';
import { scratchDir } from '../support/scratch.js';
import { listening, urlOf } from '../support/listen.js';

const T0 = Date.parse('2026-11-16T09:00:00Z');
const TOKEN = 'server-write-token';
let dir: string;
let store: SqliteStore;
let server: Server;
let base: string;
let current: RoutedAlert[] = [];
let links: FeedbackLinks;

const alert = (alertname: string, agent: string, startsAt = T0, endsAt = T0 + 3600_000): RoutedAlert => ({
  fingerprint: `fp-${alertname}-${agent}`,
  labels: { alertname, severity: 'P2', agent_id: agent },
  annotations: {},
  startsAt,
  endsAt,
  updatedAt: startsAt,
});

const notification = (firing: RoutedAlert[], resolved: RoutedAlert[] = []) => ({ groupKey: '{}:{alertname="ToolFailure"}', firing, resolved });

beforeAll(async () => {
  dir = await scratchDir(join(tmpdir(), 'vigil-feedback-'));
  store = new SqliteStore(join(dir, 'vigil.db'));
  links = await FeedbackLinks.open({ store, externalURL: 'https://vigil.example.com/' });
  const app = createApp({
    evaluator: { allGroups: () => [] },
    metrics: new EvaluationMetrics({ allGroups: () => [] }),
    isReady: () => true,
    bearerToken: () => TOKEN,
    routes: [feedbackRoutes({ links, store, currentAlerts: () => current, now: () => T0 + 60_000 })],
  });
  server = await listening(app);
  base = urlOf(server);
});

afterAll(async () => {
  await new Promise((r) => server.close(r));
  store.close();
});

/** Follows a link as a browser would, on the test server instead of the external URL. */
const click = async (url: string, headers: Record<string, string> = {}) => {
  const res = await fetch(url.replace('https://vigil.example.com', base), { headers });
  return { status: res.status, type: res.headers.get('content-type') ?? '', text: await res.text() };
};

const feedbackOf = async (fp: string) => (await store.queryAlertEvents({ fingerprint: fp, kinds: ['feedback'] })).items;

describe('feedback links', () => {
  test('are short GET URLs under the external URL, one per verdict', () => {
    const l = links.linksFor(notification([alert('ToolFailure', 'a'), alert('ToolFailure', 'b')]))!;
    expect(l.actionable).toMatch(/^https:\/\/vigil\.example\.com\/api\/v1\/feedback\/[\w-]{22}\.a\.[\w-]{43}$/);
    expect(l.noise).toMatch(/^https:\/\/vigil\.example\.com\/api\/v1\/feedback\/[\w-]{22}\.n\.[\w-]{43}$/);
    expect(links.linksFor(notification([]))).toBeUndefined();
  });

  test('a click records the verdict for every alert episode of the notification; a second click changes nothing; the other verdict replaces it', async () => {
    const a = alert('ToolFailure', 'checkout');
    const b = alert('ToolFailure', 'search');
    const l = links.linksFor(notification([a, b]))!;

    const first = await click(l.noise);
    expect(first.status).toBe(200);
    expect(first.type).toMatch(/text\/html/);
    expect(first.text).toContain('Thanks — marked as noise');
    for (const x of [a, b]) {
      expect(await feedbackOf(x.fingerprint)).toEqual([
        expect.objectContaining({ kind: 'feedback', source: 'link', detail: { verdict: 'noise' }, startsAt: T0, alertname: 'ToolFailure', severity: 'P2', at: T0 + 60_000 }),
      ]);
    }
    expect((await click(l.noise)).status).toBe(200);
    expect(await feedbackOf(a.fingerprint)).toHaveLength(1);

    const changed = await click(l.actionable);
    expect(changed.text).toContain('Thanks — marked as actionable');
    expect((await feedbackOf(a.fingerprint)).map((e) => e.detail)).toEqual([{ verdict: 'actionable' }, { verdict: 'noise' }]);
  });

  test('link preview bots and HEAD requests record nothing', async () => {
    const a = alert('Unfurled', 'x');
    const l = links.linksFor(notification([a]))!;
    expect((await click(l.noise, { 'user-agent': 'Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)' })).status).toBe(200);
    expect((await fetch(l.noise.replace('https://vigil.example.com', base), { method: 'HEAD' })).status).toBe(200);
    expect(await feedbackOf(a.fingerprint)).toEqual([]);
  });

  test('a forged, altered or swapped link gets 403 and records nothing', async () => {
    const a = alert('Forged', 'x');
    const other = alert('Forged', 'y');
    const l = links.linksFor(notification([a]))!;
    const lo = links.linksFor(notification([other]))!;
    const [id, , mac] = l.noise.split('/').at(-1)!.split('.');
    const [otherId] = lo.noise.split('/').at(-1)!.split('.');
    const bad = [
      `${id}.a.${mac}`, // the noise MAC with the other verdict
      `${otherId}.n.${mac}`, // this MAC for other alerts
      `${id}.n.${mac.slice(0, -1)}${mac.endsWith('A') ? 'B' : 'A'}`, // one character changed
      `${'A'.repeat(22)}.n.${mac}`, // an id vigil never made
      'garbage',
    ];
    for (const token of bad) {
      const res = await fetch(`${base}/api/v1/feedback/${token}`);
      expect(res.status).toBe(403);
      expect(await res.text()).toContain('Link not valid');
    }
    expect(await feedbackOf(a.fingerprint)).toEqual([]);
    expect(await feedbackOf(other.fingerprint)).toEqual([]);
  });

  test('a new episode of the same alert (another startsAt) gets its own link; feedback on one is not feedback on the other', async () => {
    const early = alert('Episodes', 'x', T0);
    const late = alert('Episodes', 'x', T0 + 7200_000);
    const l1 = links.linksFor(notification([early]))!;
    const l2 = links.linksFor(notification([late]))!;
    expect(l2.noise).not.toBe(l1.noise);
    await click(l1.noise);
    await click(l2.actionable);
    expect((await feedbackOf(early.fingerprint)).map((e) => [e.startsAt, e.detail])).toEqual([
      [T0 + 7200_000, { verdict: 'actionable' }],
      [T0, { verdict: 'noise' }],
    ]);
  });

  test('links of a resolved notification are about its resolved alerts', async () => {
    const r = alert('ResolvedOnly', 'x', T0, T0 + 1000);
    const l = links.linksFor(notification([], [r]))!;
    await click(l.actionable);
    expect(await feedbackOf(r.fingerprint)).toHaveLength(1);
  });

  test('the generated key is kept in the Store: links made before a restart still work, and a configured key makes other links', async () => {
    const a = alert('Restart', 'x');
    const l = links.linksFor(notification([a]))!;
    expect(await store.getSetting(SIGNING_KEY_SETTING)).toMatch(/^[\w-]{43}$/);
    const reborn = await FeedbackLinks.open({ store, externalURL: 'https://vigil.example.com' });
    expect(reborn.linksFor(notification([a]))).toEqual(l);
    const token = l.noise.split('/').at(-1)!;
    expect(await reborn.verify(token)).toMatchObject({ verdict: 'noise', episodes: [{ fingerprint: a.fingerprint, startsAt: T0 }] });
    const configured = await FeedbackLinks.open({ store, externalURL: 'https://vigil.example.com', signingKey: 'a configured key' });
    expect(await configured.verify(token)).toBeUndefined();
    expect(configured.linksFor(notification([a]))!.noise).not.toBe(l.noise);
  });
});

describe('POST /api/v1/alerts/ack', () => {
  const ack = (body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${base}/api/v1/alerts/ack`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}`, ...headers },
      body: JSON.stringify(body),
    }).then(async (r) => ({ status: r.status, body: (await r.json()) as { acknowledged?: number; message?: string } }));
  const acks = async (fp: string) => (await store.queryAlertEvents({ fingerprint: fp, kinds: ['acknowledged'] })).items;

  test('acknowledges the current firing alerts the matchers match, one event each', async () => {
    const a = alert('AckMe', 'checkout');
    const b = alert('AckMe', 'search');
    const gone = alert('AckMe', 'old', T0 - 7200_000, T0); // resolved before now
    current = [a, b, gone, alert('Other', 'checkout')];
    const res = await ack({ matchers: ['alertname="AckMe"', 'agent_id=~"checkout|old"'], by: 'ann', comment: 'on it' });
    expect(res).toEqual({ status: 200, body: { acknowledged: 1 } });
    expect(await acks(a.fingerprint)).toEqual([
      expect.objectContaining({ kind: 'acknowledged', source: 'api', detail: { by: 'ann', comment: 'on it' }, startsAt: T0, at: T0 + 60_000 }),
    ]);
    expect(await acks(b.fingerprint)).toEqual([]);
    expect(await acks(gone.fingerprint)).toEqual([]);

    const byFp = await ack({ fingerprint: b.fingerprint, by: 'bob' }, { 'user-agent': 'vigil-cli/0.1.0' });
    expect(byFp.body).toEqual({ acknowledged: 1 });
    expect((await acks(b.fingerprint))[0]).toMatchObject({ source: 'cli', detail: { by: 'bob' } });
    expect((await ack({ fingerprint: 'nope', by: 'bob' })).body).toEqual({ acknowledged: 0 });
  });

  test('bad bodies get 400 naming the field; no token gets 401', async () => {
    expect(await ack({ matchers: ['alertname="X"'] })).toMatchObject({ status: 400, body: { message: expect.stringContaining('by') } });
    expect(await ack({ by: 'ann' })).toMatchObject({ status: 400, body: { message: expect.stringMatching(/^fingerprint or matchers/) } });
    expect(await ack({ by: 'ann', matchers: ['alertname=~"("'] })).toMatchObject({ status: 400, body: { message: expect.stringMatching(/^matchers\[0\]/) } });
    expect(await ack({ by: 'ann', matchers: 'alertname="X"' })).toMatchObject({ status: 400, body: { message: expect.stringContaining('matchers') } });
    expect(await ack({ by: 'ann', fingerprint: 'x', extra: 1 })).toMatchObject({ status: 400, body: { message: expect.stringContaining('extra') } });
    const noToken = await fetch(`${base}/api/v1/alerts/ack`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"by":"x","fingerprint":"y"}' });
    expect(noToken.status).toBe(401);
    const badJson = await fetch(`${base}/api/v1/alerts/ack`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` }, body: '{' });
    expect(badJson.status).toBe(400);
  });
});
