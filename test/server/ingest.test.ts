/**
 * Alert ingestion over real HTTP: a real express server on 127.0.0.1, real requests. The router
 * behind it is a small recording RouterPort (our own interface) with real Silences in SQLite.
 */
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fingerprint } from '../../src/eval/labels.js';
import type { RoutedAlert } from '../../src/route/index.js';
import { Silences } from '../../src/route/silences.js';
import { createApp, EvaluationMetrics, type AlertSource, type RouterPort } from '../../src/server/index.js';
import { SqliteStore } from '../../src/store/index.js';
import { scratchDir } from '../support/scratch.js';
import { listening, urlOf } from '../support/listen.js';

const T = Date.UTC(2026, 10, 2, 9, 0, 0);
const MIN = 60_000;
const RESOLVE_TIMEOUT = 5 * MIN;
const iso = (ms: number) => new Date(ms).toISOString();

/** Records what the HTTP layer hands over and answers alerts() from it, with real silences. */
class RecordingRouter implements RouterPort {
  readonly received: { alerts: RoutedAlert[]; source: AlertSource }[] = [];
  private readonly held = new Map<string, RoutedAlert>();
  readonly resolveTimeoutMs = RESOLVE_TIMEOUT;
  constructor(
    readonly silences: Silences,
    private readonly now: () => number,
  ) {}
  receive(alerts: RoutedAlert[], source: AlertSource): void {
    this.received.push({ alerts, source });
    for (const a of alerts) this.held.set(a.fingerprint, a);
  }
  alerts() {
    return [...this.held.values()].map((alert) => {
      const silencedBy = this.silences.mutes(alert.labels, this.now());
      const inhibitedBy = alert.labels.inhibited === 'yes' ? ['0000000000000001'] : [];
      const state = silencedBy.length || inhibitedBy.length ? ('suppressed' as const) : ('active' as const);
      return { alert, status: { state, silencedBy, inhibitedBy }, receivers: [alert.labels.severity === 'P1' ? 'page' : 'triage'] };
    });
  }
  get ingested(): RoutedAlert[] {
    return this.received.flatMap((r) => r.alerts);
  }
}

interface Harness {
  url: string;
  router: RecordingRouter;
  reloads: number;
}

const servers: Server[] = [];
const stores: SqliteStore[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise((done) => s.close(done))));
  stores.forEach((s) => s.close());
});

async function start(opts: { token?: string; maxRequestBytes?: number; reloadError?: string } = {}): Promise<Harness> {
  const store = new SqliteStore(join(await scratchDir(join(tmpdir(), 'vigil-ingest-')), 'vigil.db'));
  stores.push(store);
  const now = () => T;
  const router = new RecordingRouter(await Silences.open({ store }), now);
  const h = { url: '', router, reloads: 0 };
  const app = createApp({
    evaluator: { allGroups: () => [] },
    metrics: new EvaluationMetrics({ allGroups: () => [] }),
    isReady: () => true,
    router,
    bearerToken: () => opts.token,
    maxRequestBytes: opts.maxRequestBytes ?? 4096,
    reload: async () => {
      if (opts.reloadError) throw new Error(opts.reloadError);
      h.reloads++;
    },
    now,
  });
  const server = await listening(app);
  servers.push(server);
  h.url = urlOf(server);
  return h;
}

function post(url: string, body: unknown, headers: Record<string, string> = {}) {
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });
}

describe('POST /api/v2/alerts', () => {
  test('valid alerts: 200 with an empty body; converted as Alertmanager does', async () => {
    const h = await start();
    const res = await post(`${h.url}/api/v2/alerts`, [
      { labels: { alertname: 'AgentErrorSpike', agent_id: 'checkout', severity: 'P1' }, annotations: { summary: 'errors' }, startsAt: iso(T - 10 * MIN), generatorURL: 'http://prom/graph' },
      { labels: { alertname: 'AgentTokenCost', agent_id: 'search' }, endsAt: iso(T - MIN) },
      { labels: { alertname: 'Bare' } },
    ]);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('');
    expect(h.router.received.map((r) => r.source)).toEqual(['api-v2']);
    const [a, b, c] = h.router.ingested;
    expect(a).toEqual({
      fingerprint: fingerprint({ alertname: 'AgentErrorSpike', agent_id: 'checkout', severity: 'P1' }),
      labels: { alertname: 'AgentErrorSpike', agent_id: 'checkout', severity: 'P1' },
      annotations: { summary: 'errors' },
      startsAt: T - 10 * MIN,
      endsAt: T + RESOLVE_TIMEOUT, // no endsAt: resolve_timeout from now
      generatorURL: 'http://prom/graph',
      updatedAt: T,
    });
    expect(b).toMatchObject({ startsAt: T - MIN, endsAt: T - MIN, annotations: {} }); // no startsAt: its endsAt
    expect(c).toMatchObject({ startsAt: T, endsAt: T + RESOLVE_TIMEOUT }); // neither: now
  });

  test('a label with an empty value is dropped, as Alertmanager drops it: same alert, same fingerprint', async () => {
    const h = await start();
    const res = await post(`${h.url}/api/v2/alerts`, [{ labels: { alertname: 'AgentErrorSpike', team: '', agent_id: 'checkout' } }]);
    expect(res.status).toBe(200);
    expect(h.router.ingested[0].labels).toEqual({ alertname: 'AgentErrorSpike', agent_id: 'checkout' });
    expect(h.router.ingested[0].fingerprint).toBe(fingerprint({ alertname: 'AgentErrorSpike', agent_id: 'checkout' }));
  });

  test('an empty list: 200, nothing received', async () => {
    const h = await start();
    const res = await post(`${h.url}/api/v2/alerts`, []);
    expect(res.status).toBe(200);
    expect(h.router.received).toEqual([]);
  });

  const good = { labels: { alertname: 'Good' } };
  test.each<[string, unknown, string]>([
    ['not a list', { labels: { a: 'b' } }, 'body: must be a list'],
    ['labels missing', [good, { annotations: {} }], '[1]: missing required field "labels"'],
    ['labels empty', [good, { labels: {} }], '[1].labels: at least one label pair required'],
    ['only empty label values', [good, { labels: { alertname: '' } }], '[1].labels: at least one label pair required'],
    ['a label value not a string', [good, { labels: { severity: 1 } }], '[1].labels.severity: must be a string'],
    ['an empty label name', [good, { labels: { '': 'x' } }], '[1].labels: invalid label name ""'],
    ['a label name starting with a digit', [good, { labels: { '1bad': 'x' } }], '[1].labels: invalid label name "1bad"'],
    ['a label name with a dash', [good, { labels: { 'agent-id': 'x' } }], '[1].labels: invalid label name "agent-id"'],
    ['a label name with a dot', [good, { labels: { 'k8s.pod': 'x' } }], '[1].labels: invalid label name "k8s.pod"'],
    ['a label value not UTF-8', [good, { labels: { a: 'x\ud800' } }], '[1].labels.a: invalid label value'],
    ['startsAt not RFC 3339', [good, { labels: { a: 'b' }, startsAt: '2026-11-02 09:00' }], '[1].startsAt: must be an RFC 3339 time'],
    ['an impossible date', [good, { labels: { a: 'b' }, endsAt: '2026-02-30T09:00:00Z' }], '[1].endsAt: must be an RFC 3339 time'],
    ['endsAt before startsAt', [good, { labels: { a: 'b' }, startsAt: iso(T), endsAt: iso(T - MIN) }], '[1].endsAt: start time must be before end time'],
    ['annotations not a map', [good, { labels: { a: 'b' }, annotations: ['x'] }], '[1].annotations: must be a map'],
  ])('%s: 400 naming the field, nothing ingested', async (_what, body, message) => {
    const h = await start();
    const res = await post(`${h.url}/api/v2/alerts`, body);
    expect(res.status).toBe(400);
    // a JSON string, as Alertmanager's swagger declares the 400 body, so amtool prints it
    const json = (await res.json()) as string;
    expect(typeof json).toBe('string');
    expect(json).toContain(message);
    expect(h.router.received).toEqual([]);
  });

  test('many bad alerts: the first ten problems and a count, nothing ingested', async () => {
    const h = await start({ maxRequestBytes: 1 << 20 });
    const res = await post(`${h.url}/api/v2/alerts`, Array.from({ length: 25 }, () => ({ labels: {} })));
    expect(res.status).toBe(400);
    const message = (await res.json()) as string;
    expect(message.startsWith('[0].labels: at least one label pair required; [1].labels:')).toBe(true);
    expect(message.endsWith('[9].labels: at least one label pair required; and 15 more')).toBe(true);
    expect(h.router.received).toEqual([]);
  });

  test('a body over server.max_request_bytes: 413 with a JSON error, nothing ingested', async () => {
    const h = await start({ maxRequestBytes: 2048 });
    const many = Array.from({ length: 100 }, (_, i) => ({ labels: { alertname: 'A', n: String(i) } }));
    const res = await post(`${h.url}/api/v2/alerts`, many);
    expect(res.status).toBe(413);
    expect(await res.json()).toEqual('request body is larger than the limit of 2048 bytes (server.max_request_bytes)');
    expect(h.router.received).toEqual([]);
  });

  test('bad JSON: 400 with the parse error', async () => {
    const h = await start();
    const res = await post(`${h.url}/api/v2/alerts`, '[{"labels": ');
    expect(res.status).toBe(400);
    expect((await res.json()) as string).toMatch(/^body is not valid JSON: /);
  });

  test('a large body, parsed a slice at a time: every alert taken, in order; bad JSON in one: 400 naming the position', async () => {
    const h = await start({ maxRequestBytes: 4 << 20 });
    const many = Array.from({ length: 5_000 }, (_, i) => ({ labels: { alertname: 'Many', n: String(i) }, annotations: { summary: `alert ${i} of a large body` } }));
    const body = JSON.stringify(many);
    expect(body.length).toBeGreaterThan(256 * 1024);
    expect((await post(`${h.url}/api/v2/alerts`, body)).status).toBe(200);
    expect(h.router.ingested.map((a) => a.labels.n)).toEqual(many.map((a) => a.labels.n));
    const broken = body.replace('},{"labels":{"alertname":"Many","n":"4000"}', '}{"labels":{"alertname":"Many","n":"4000"}');
    const res = await post(`${h.url}/api/v2/alerts`, broken);
    expect(res.status).toBe(400);
    expect((await res.json()) as string).toMatch(new RegExp(`^body is not valid JSON: .* at position ${broken.indexOf('}{"labels":{"alertname":"Many","n":"4000"}') + 1}`));
    expect(h.router.ingested).toHaveLength(5_000);
  });

  test('not JSON: 415 saying what content type is needed', async () => {
    const h = await start();
    const res = await fetch(`${h.url}/api/v2/alerts`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '[]' });
    expect(res.status).toBe(415);
    expect(await res.json()).toEqual('Content-Type must be application/json (got "text/plain")');
  });
});

describe('POST /api/v1/webhooks/alertmanager', () => {
  const payload = (over: object = {}) => ({
    version: '4',
    groupKey: '{}:{alertname="AgentErrorSpike"}',
    truncatedAlerts: 0,
    status: 'firing',
    receiver: 'vigil',
    groupLabels: { alertname: 'AgentErrorSpike' },
    commonLabels: { alertname: 'AgentErrorSpike' },
    commonAnnotations: {},
    externalURL: 'http://alertmanager:9093',
    alerts: [
      {
        status: 'firing',
        labels: { alertname: 'AgentErrorSpike', agent_id: 'checkout', severity: 'P1' },
        annotations: { summary: 'errors' },
        startsAt: iso(T - 5 * MIN),
        endsAt: '0001-01-01T00:00:00Z',
        generatorURL: 'http://prom/graph',
        fingerprint: 'ffffffffffffffff',
      },
      {
        status: 'resolved',
        labels: { alertname: 'AgentErrorSpike', agent_id: 'search', severity: 'P1' },
        annotations: {},
        startsAt: iso(T - 30 * MIN),
        endsAt: iso(T - 2 * MIN),
        generatorURL: '',
        fingerprint: '0123456789abcdef',
      },
    ],
    ...over,
  });

  test('version 4: firing lives resolve_timeout from now (zero endsAt is unset), resolved ends when it says; fingerprints from the labels', async () => {
    const h = await start();
    const res = await post(`${h.url}/api/v1/webhooks/alertmanager`, payload());
    expect(res.status).toBe(200);
    expect(h.router.received.map((r) => r.source)).toEqual(['alertmanager-webhook']);
    const [firing, resolved] = h.router.ingested;
    expect(firing).toEqual({
      fingerprint: fingerprint({ alertname: 'AgentErrorSpike', agent_id: 'checkout', severity: 'P1' }),
      labels: { alertname: 'AgentErrorSpike', agent_id: 'checkout', severity: 'P1' },
      annotations: { summary: 'errors' },
      startsAt: T - 5 * MIN,
      endsAt: T + RESOLVE_TIMEOUT,
      generatorURL: 'http://prom/graph',
      updatedAt: T,
    });
    expect(resolved).toMatchObject({ fingerprint: fingerprint({ alertname: 'AgentErrorSpike', agent_id: 'search', severity: 'P1' }), startsAt: T - 30 * MIN, endsAt: T - 2 * MIN });
    expect(resolved.generatorURL).toBeUndefined();
  });

  test('a firing alert with an endsAt ahead keeps it', async () => {
    const h = await start();
    const p = payload();
    p.alerts = [{ ...p.alerts[0], endsAt: iso(T + 30 * MIN) }];
    expect((await post(`${h.url}/api/v1/webhooks/alertmanager`, p)).status).toBe(200);
    expect(h.router.ingested[0].endsAt).toBe(T + 30 * MIN);
  });

  test.each<[string, object, string]>([
    ['version 3', { version: '3' }, 'version: unsupported webhook payload version "3"; vigil reads version "4"'],
    ['no groupKey', { groupKey: undefined }, 'body: missing required field "groupKey"'],
    ['a bad alert status', { alerts: [{ status: 'pending', labels: { a: 'b' } }] }, 'alerts[0].status: must be one of firing, resolved'],
    ['an alert without labels', { alerts: [{ status: 'firing', labels: {} }] }, 'alerts[0].labels: at least one label pair required'],
    ['a bad startsAt', { alerts: [{ status: 'firing', labels: { a: 'b' }, startsAt: 'yesterday' }] }, 'alerts[0].startsAt: must be an RFC 3339 time'],
  ])('%s: 400 naming the field, nothing ingested', async (_what, over, message) => {
    const h = await start();
    const res = await post(`${h.url}/api/v1/webhooks/alertmanager`, JSON.parse(JSON.stringify(payload(over))));
    expect(res.status).toBe(400);
    expect(((await res.json()) as { message: string }).message).toContain(message);
    expect(h.router.received).toEqual([]);
  });
});

describe('GET /api/v2/alerts', () => {
  async function seeded() {
    const h = await start();
    await post(`${h.url}/api/v2/alerts`, [
      { labels: { alertname: 'A', agent_id: 'checkout', severity: 'P1' }, generatorURL: 'http://prom/a' },
      { labels: { alertname: 'B', agent_id: 'search', severity: 'P2' } },
      { labels: { alertname: 'C', agent_id: 'search', severity: 'P3', inhibited: 'yes' } },
      { labels: { alertname: 'Gone', agent_id: 'x' }, startsAt: iso(T - 10 * MIN), endsAt: iso(T - MIN) },
    ]);
    h.router.silences.upsert({ id: undefined, matchers: [{ name: 'alertname', type: '=', value: 'B' }], startsAt: T, endsAt: T + 60 * MIN, createdBy: 'ann', comment: 'known' }, T);
    return h;
  }
  const names = async (res: Response) => ((await res.json()) as { labels: { alertname: string } }[]).map((a) => a.labels.alertname).sort();

  test("Alertmanager's gettable alerts: unresolved ones, with status, receivers and times", async () => {
    const h = await seeded();
    const res = await fetch(`${h.url}/api/v2/alerts`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>[];
    expect(body.map((a) => (a.labels as Record<string, string>).alertname)).toHaveLength(3);
    const fps = body.map((a) => a.fingerprint as string);
    expect(fps).toEqual([...fps].sort());
    const a = body.find((x) => (x.labels as Record<string, string>).alertname === 'A');
    expect(a).toEqual({
      labels: { alertname: 'A', agent_id: 'checkout', severity: 'P1' },
      annotations: {},
      startsAt: iso(T),
      endsAt: iso(T + RESOLVE_TIMEOUT),
      updatedAt: iso(T),
      fingerprint: fingerprint({ alertname: 'A', agent_id: 'checkout', severity: 'P1' }),
      receivers: [{ name: 'page' }],
      status: { state: 'active', silencedBy: [], inhibitedBy: [], mutedBy: [] },
      generatorURL: 'http://prom/a',
    });
    const b = body.find((x) => (x.labels as Record<string, string>).alertname === 'B');
    expect(b?.status).toMatchObject({ state: 'suppressed', silencedBy: [expect.any(String)] });
  });

  test('filter=, silenced=, inhibited=, active= as Alertmanager', async () => {
    const h = await seeded();
    expect(await names(await fetch(`${h.url}/api/v2/alerts?filter=${encodeURIComponent('agent_id="search"')}`))).toEqual(['B', 'C']);
    expect(await names(await fetch(`${h.url}/api/v2/alerts?filter=agent_id%3D%22search%22&filter=severity%3D~%22P3%22`))).toEqual(['C']);
    expect(await names(await fetch(`${h.url}/api/v2/alerts?silenced=false`))).toEqual(['A', 'C']);
    expect(await names(await fetch(`${h.url}/api/v2/alerts?inhibited=false&silenced=false`))).toEqual(['A']);
    expect(await names(await fetch(`${h.url}/api/v2/alerts?active=false`))).toEqual(['B', 'C']);
    expect(await names(await fetch(`${h.url}/api/v2/alerts?receiver=page`))).toEqual(['A']);
  });

  test('a bad filter or boolean: 400 saying which', async () => {
    const h = await seeded();
    const bad = await fetch(`${h.url}/api/v2/alerts?filter=${encodeURIComponent('agent_id=~"("')}`);
    expect(bad.status).toBe(400);
    expect((await bad.json()) as string).toMatch(/^filter: /);
    const flag = await fetch(`${h.url}/api/v2/alerts?silenced=maybe`);
    expect(await flag.json()).toEqual('silenced: must be true or false');
  });
});

describe('bearer token on writes', () => {
  const TOKEN = 'the-s3cret-token';

  test('a POST without a token: 401 with WWW-Authenticate: Bearer, nothing ingested, the token never echoed', async () => {
    const h = await start({ token: TOKEN });
    const res = await post(`${h.url}/api/v2/alerts`, [{ labels: { a: 'b' } }]);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer\b/);
    expect(await res.text()).not.toContain(TOKEN);
    expect(h.router.received).toEqual([]);
  });

  test('a wrong token: 401; the right one: 200', async () => {
    const h = await start({ token: TOKEN });
    const wrong = await post(`${h.url}/api/v2/alerts`, [{ labels: { a: 'b' } }], { authorization: 'Bearer the-s3cret-tokeN' });
    expect(wrong.status).toBe(401);
    expect(await wrong.text()).not.toContain(TOKEN);
    const basic = await post(`${h.url}/api/v2/alerts`, [{ labels: { a: 'b' } }], { authorization: `Basic ${Buffer.from(`u:${TOKEN}`).toString('base64')}` });
    expect(basic.status).toBe(401);
    const right = await post(`${h.url}/api/v2/alerts`, [{ labels: { a: 'b' } }], { authorization: `Bearer ${TOKEN}` });
    expect(right.status).toBe(200);
    expect(h.router.ingested).toHaveLength(1);
  });

  test('the 401 comes before the body is read: an oversized unauthenticated body gets 401, not 413', async () => {
    const h = await start({ token: TOKEN, maxRequestBytes: 1024 });
    const res = await post(`${h.url}/api/v2/alerts`, 'x'.repeat(10_000));
    expect(res.status).toBe(401);
  });

  test('webhooks, silences and /-/reload need it too; reads stay open', async () => {
    const h = await start({ token: TOKEN });
    expect((await post(`${h.url}/api/v1/webhooks/alertmanager`, {})).status).toBe(401);
    expect((await post(`${h.url}/api/v2/silences`, {})).status).toBe(401);
    expect((await fetch(`${h.url}/api/v2/silence/x`, { method: 'DELETE' })).status).toBe(401);
    expect((await fetch(`${h.url}/-/reload`, { method: 'POST' })).status).toBe(401);
    expect(h.reloads).toBe(0);
    expect((await fetch(`${h.url}/-/reload`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(200);
    expect(h.reloads).toBe(1);
    for (const path of ['/api/v2/alerts', '/api/v2/silences', '/healthz', '/api/v1/rules']) {
      expect((await fetch(`${h.url}${path}`)).status).toBe(200);
    }
  });

  test('/-/reload takes POST and PUT; a failed reload is 500 with the reason', async () => {
    const h = await start();
    expect((await fetch(`${h.url}/-/reload`, { method: 'PUT' })).status).toBe(200);
    expect(h.reloads).toBe(1);
    const bad = await start({ reloadError: 'vigil.yaml:3:5: route.receiver: unknown receiver "pager"' });
    const res = await fetch(`${bad.url}/-/reload`, { method: 'POST' });
    expect(res.status).toBe(500);
    expect(await res.text()).toBe('failed to reload config: vigil.yaml:3:5: route.receiver: unknown receiver "pager"\n');
  });

  test('without a configured token, writes are open', async () => {
    const h = await start();
    expect((await post(`${h.url}/api/v2/alerts`, [{ labels: { a: 'b' } }])).status).toBe(200);
  });
});
