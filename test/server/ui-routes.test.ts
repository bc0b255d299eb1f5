/** The web UI's endpoints over real HTTP: the cross-site write guard, the silence preview and the feedback buttons' endpoint. */
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildRouteTree, Silences, type RoutedAlert } from '../../src/route/index.js';
import { createApp, EvaluationMetrics, uiRoutes, type RouterPort } from '../../src/server/index.js';
import { SqliteStore } from '../../src/store/index.js';
import { scratchDir } from '../support/scratch.js';
import { listening, urlOf } from '../support/listen.js';

const T = Date.UTC(2026, 11, 1, 9);
const alert: RoutedAlert = { fingerprint: 'abc123', labels: { alertname: 'Err', severity: 'P1', agent_id: 'a' }, annotations: {}, startsAt: T - 60_000, endsAt: T + 3600_000, updatedAt: T };

let store: SqliteStore;
const servers: Server[] = [];

async function start(token?: string): Promise<string> {
  const router: RouterPort = {
    receive: () => undefined,
    alerts: () => [{ alert, status: { state: 'active', silencedBy: [], inhibitedBy: [] }, receivers: ['page'] }],
    silences: await Silences.open({ store }),
    resolveTimeoutMs: 300_000,
  };
  const app = createApp({
    evaluator: { allGroups: () => [] },
    metrics: new EvaluationMetrics({ allGroups: () => [] }),
    isReady: () => true,
    router,
    now: () => T,
    bearerToken: () => token,
    routes: [uiRoutes({ router, routing: () => ({ route: buildRouteTree({ receiver: 'page' }), inhibitRules: [] }), evaluator: { allGroups: () => [] }, store, tokenRequired: () => token !== undefined, now: () => T })],
  });
  const server = await listening(app);
  servers.push(server);
  return urlOf(server);
}

beforeAll(async () => {
  store = new SqliteStore(join(await scratchDir(join(tmpdir(), 'vigil-ui-routes-')), 'vigil.db'));
});
afterAll(async () => {
  for (const s of servers) await new Promise((r) => s.close(r));
  store.close();
});

const feedback = (url: string, headers: Record<string, string> = {}) =>
  fetch(`${url}/api/v1/alerts/feedback`, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify({ fingerprint: 'abc123', verdict: 'noise', by: 'me' }) });

test('without a token, a write a browser says is cross-site is refused; same-origin and programs get through', async () => {
  const url = await start();
  expect((await feedback(url, { Origin: 'https://evil.example' })).status).toBe(403);
  expect((await feedback(url, { 'Sec-Fetch-Site': 'cross-site' })).status).toBe(403);
  const body = (await (await fetch(`${url}/api/v2/silences`, { method: 'POST', headers: { 'Content-Type': 'application/json', Origin: 'null' }, body: '{}' })).json()) as string;
  expect(body).toMatch(/^cross-site write refused/);
  expect((await feedback(url, { Origin: url, 'Sec-Fetch-Site': 'same-origin' })).status).toBe(200);
  expect((await feedback(url)).status).toBe(200);
  const events = (await store.queryAlertEvents({ fingerprint: 'abc123', kinds: ['feedback'] })).items;
  expect(events.map((e) => e.detail)).toEqual([
    { verdict: 'noise', by: 'me' },
    { verdict: 'noise', by: 'me' },
  ]);
});

test('with a token, the bearer header is what counts, whatever the origin', async () => {
  const url = await start('s3cret');
  expect((await feedback(url, { Origin: url })).status).toBe(401);
  expect((await feedback(url, { Origin: 'https://elsewhere.example', Authorization: 'Bearer s3cret' })).status).toBe(200);
});

test('feedback names a bad field or an alert not held', async () => {
  const url = await start();
  const bad = await fetch(`${url}/api/v1/alerts/feedback`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ fingerprint: 'abc123', verdict: 'meh', by: 'me' }) });
  expect(bad.status).toBe(400);
  expect(((await bad.json()) as { message: string }).message).toMatch(/verdict/);
  const gone = await fetch(`${url}/api/v1/alerts/feedback`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ fingerprint: 'ffff', verdict: 'noise', by: 'me' }) });
  expect(gone.status).toBe(404);
});

test('silence preview: the parsed matchers in the API shape and what they would mute; a bad matcher is a 400 naming it', async () => {
  const url = await start();
  const ok = (await (await fetch(`${url}/api/v1/silences/preview?matchers=${encodeURIComponent('{agent_id=~"a|b"}')}`)).json()) as { count: number; matchers: unknown[] };
  expect(ok).toMatchObject({ count: 1, matchers: [{ name: 'agent_id', value: 'a|b', isRegex: true, isEqual: true }] });
  const none = (await (await fetch(`${url}/api/v1/silences/preview?matchers=${encodeURIComponent('{agent_id="z"}')}`)).json()) as { count: number };
  expect(none.count).toBe(0);
  const bad = await fetch(`${url}/api/v1/silences/preview?matchers=${encodeURIComponent('{agent_id=~"("}')}`);
  expect(bad.status).toBe(400);
  expect(((await bad.json()) as { message: string }).message).toMatch(/^matchers: .*invalid regular expression/);
});

test('pages carry a strict Content-Security-Policy, and the assets are served by vigil', async () => {
  const url = await start();
  const page = await fetch(`${url}/`);
  expect(page.headers.get('content-security-policy')).toMatch(/script-src 'self'/);
  expect(await page.text()).toContain('<script type="module" src="/ui/app.js"></script>');
  const js = await fetch(`${url}/ui/app.js`);
  expect(js.headers.get('content-type')).toMatch(/javascript/);
  expect(await js.text()).toContain('sessionStorage');
});
