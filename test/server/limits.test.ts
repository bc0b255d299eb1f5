/**
 * Bounded state over real HTTP: the real router runtime behind a real express server on
 * 127.0.0.1. Past a limit a client gets 429 or 413 naming it, what is held stays, and /metrics
 * counts the refusals.
 */
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { Router } from '../../src/dispatch/index.js';
import { buildRouteTree, Silences } from '../../src/route/index.js';
import { createApp, EvaluationMetrics, RouterMetrics } from '../../src/server/index.js';
import { SqliteStore } from '../../src/store/index.js';
import { scratchDir } from '../support/scratch.js';
import { listening, urlOf } from '../support/listen.js';

const servers: Server[] = [];
const routers: Router[] = [];
afterAll(async () => {
  for (const r of routers) await r.stop();
  await Promise.all(servers.map((s) => new Promise((done) => s.close(done))));
});

async function start(limits: { alerts?: number; alertsPerAlertname?: number; alertsPerRequest?: number; silences?: number; maxRequestBytes?: number }) {
  const store = new SqliteStore(join(await scratchDir(join(tmpdir(), 'vigil-limits-')), 'vigil.db'));
  const silences = await Silences.open({ store });
  const metrics = new EvaluationMetrics({ allGroups: () => [] });
  const routerMetrics: RouterMetrics = new RouterMetrics(metrics.registry as Registry, () => router);
  const router: Router = await Router.open({
    config: { route: buildRouteTree({ receiver: 'nobody' }), receivers: [{ name: 'nobody', pagerduty: [], slack: [], webhook: [], ticket: [], grafana: [] }], inhibitRules: [] },
    pipeline: { group: [], delivery: [], integrations: () => [], integration: [] },
    limits: { alerts: limits.alerts ?? 0, alertsPerAlertname: limits.alertsPerAlertname ?? 0 },
    silences,
    store,
    externalURL: 'http://vigil.test',
    resolveTimeoutMs: 300_000,
    logger: pino({ level: 'silent' }),
    metrics: routerMetrics,
  });
  routers.push(router);
  const app = createApp({
    evaluator: { allGroups: () => [] },
    metrics,
    isReady: () => true,
    router,
    maxRequestBytes: limits.maxRequestBytes ?? 1024 * 1024,
    limits: () => ({ alertsPerRequest: limits.alertsPerRequest ?? 0, silences: limits.silences ?? 0 }),
  });
  const server = await listening(app);
  servers.push(server);
  const url = urlOf(server);
  const post = async (path: string, body: unknown) => {
    const res = await fetch(url + path, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as unknown) : undefined };
  };
  const metric = async (series: string) => {
    const line = (await (await fetch(url + '/metrics')).text()).split('\n').find((l) => l.startsWith(series + ' '));
    return line === undefined ? undefined : Number(line.slice(series.length + 1));
  };
  const held = async () => ((await (await fetch(url + '/api/v2/alerts')).json()) as { labels: Record<string, string> }[]).map((a) => a.labels.id).sort();
  return { url, post, metric, held };
}

const alerts = (name: string, from: number, n: number) => Array.from({ length: n }, (_, i) => ({ labels: { alertname: name, id: String(from + i).padStart(3, '0') } }));

describe('limits', () => {
  test('limits.alerts: new alerts past the limit get 429 naming it; the held ones stay, and their re-sends still get in', async () => {
    const h = await start({ alerts: 5 });
    expect((await h.post('/api/v2/alerts', alerts('A', 0, 3))).status).toBe(200);
    const over = await h.post('/api/v2/alerts', alerts('A', 0, 6)); // 3 held (re-sent) + 3 new, room for 2
    expect(over.status).toBe(429);
    // On Alertmanager's paths the error body is a JSON string, as its swagger declares (amtool prints it).
    expect(over.body).toEqual('1 of 6 alerts refused: limits.alerts (5 alerts held) reached; the alerts already held are kept');
    expect(await h.held()).toEqual(['000', '001', '002', '003', '004']);
    expect((await h.post('/api/v2/alerts', alerts('A', 0, 5))).status).toBe(200);
    expect(await h.metric('vigil_refused_total{source="api-v2",limit="alerts"}')).toBe(1);
  });

  test('limits.alerts_per_alertname: one noisy alertname cannot crowd out the others', async () => {
    const h = await start({ alertsPerAlertname: 2 });
    const res = await h.post('/api/v2/alerts', [...alerts('Noisy', 0, 4), ...alerts('Quiet', 10, 1)]);
    expect(res.status).toBe(429);
    expect(res.body).toBe('2 of 5 alerts refused: limits.alerts_per_alertname (2 alerts named "Noisy" held) reached; the alerts already held are kept');
    expect(await h.held()).toEqual(['000', '001', '010']);
    expect(await h.metric('vigil_refused_total{source="api-v2",limit="alerts_per_alertname"}')).toBe(2);
  });

  test('limits.alerts_per_request and server.max_request_bytes: 413 naming the limit; nothing of the body is taken', async () => {
    const h = await start({ alertsPerRequest: 3, maxRequestBytes: 2048 });
    const many = await h.post('/api/v2/alerts', alerts('A', 0, 4));
    expect(many).toEqual({ status: 413, body: '4 alerts in one request is more than limits.alerts_per_request (3); send them in smaller batches' });
    const webhook = await h.post('/api/v1/webhooks/alertmanager', { version: '4', status: 'firing', receiver: 'x', groupKey: 'g', groupLabels: {}, commonLabels: {}, commonAnnotations: {}, externalURL: 'http://am', alerts: alerts('A', 0, 4).map((a) => ({ ...a, status: 'firing', annotations: {}, startsAt: new Date().toISOString(), endsAt: '0001-01-01T00:00:00Z', generatorURL: '', fingerprint: 'f' })) });
    expect(webhook.status).toBe(413);
    const big = await h.post('/api/v2/alerts', [{ labels: { alertname: 'A', id: '1', filler: 'x'.repeat(4000) } }]);
    expect(big).toEqual({ status: 413, body: 'request body is larger than the limit of 2048 bytes (server.max_request_bytes)' });
    expect(await h.held()).toEqual([]);
    expect(await h.metric('vigil_refused_total{source="api-v2",limit="alerts_per_request"}')).toBe(4);
    expect(await h.metric('vigil_refused_total{source="/api/v2/alerts",limit="max_request_bytes"}')).toBe(1);
  });

  test('limits.silences: a new silence past the limit gets 429; an update of a held one and one after an expiry get in', async () => {
    const h = await start({ silences: 1 });
    const now = Date.now();
    const silence = (over: object = {}) => ({ matchers: [{ name: 'alertname', value: 'A', isRegex: false }], startsAt: new Date(now).toISOString(), endsAt: new Date(now + 3_600_000).toISOString(), createdBy: 'ann', comment: 'deploy', ...over });
    const first = await h.post('/api/v2/silences', silence());
    expect(first.status).toBe(200);
    const id = (first.body as unknown as { silenceID: string }).silenceID;
    const second = await h.post('/api/v2/silences', silence({ comment: 'another' }));
    expect(second).toEqual({ status: 429, body: 'limits.silences reached: 1 silences are active or pending (at most 1); expire some first' });
    expect((await h.post('/api/v2/silences', silence({ id, comment: 'longer' }))).status).toBe(200);
    expect((await fetch(`${h.url}/api/v2/silence/${id}`, { method: 'DELETE' })).status).toBe(200);
    expect((await h.post('/api/v2/silences', silence({ comment: 'after the expiry' }))).status).toBe(200);
    expect(await h.metric('vigil_refused_total{source="api-v2",limit="silences"}')).toBe(1);
  });

  test('a large body is taken in chunks: every alert arrives, and a bad one is named by its own index', async () => {
    const h = await start({ maxRequestBytes: 4 * 1024 * 1024 });
    const many = alerts('Big', 0, 5_000);
    const bad = many.map((a, i) => (i === 4_500 ? { labels: {} } : a));
    const refused = await h.post('/api/v2/alerts', bad);
    expect(refused).toEqual({ status: 400, body: '[4500].labels: at least one label pair required' });
    expect(await h.held()).toEqual([]);
    expect((await h.post('/api/v2/alerts', many)).status).toBe(200);
    expect((await h.held()).length).toBe(5_000);
  });
});
