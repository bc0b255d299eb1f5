/** PagerDuty v3 webhooks over real HTTP: signed bodies, acknowledgements into a real SQLite history. */
import { createHmac } from 'node:crypto';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dedupKey } from '../../src/notify/index.js';
import type { RoutedAlert } from '../../src/route/index.js';
import { createApp, EvaluationMetrics } from '../../src/server/index.js';
import { pagerdutyWebhookRoutes, validPagerdutySignature } from '../../src/server/pagerduty-webhook.js';
import { SqliteStore } from '../../src/store/index.js';
import { scratchDir } from '../support/scratch.js';
import { listening, urlOf } from '../support/listen.js';

const T0 = Date.parse('2026-11-16T09:00:00Z');
const SECRET = 'pd-webhook-secret';
const GROUP = '{}/{severity="P1"}:{agent_id="checkout"}';
let store: SqliteStore;
const servers: Server[] = [];
let base: string;
let secret: string | undefined = SECRET;

const alert = (name: string): RoutedAlert => ({
  fingerprint: `fp-${name}`,
  labels: { alertname: name, severity: 'P1', agent_id: 'checkout' },
  annotations: {},
  startsAt: T0,
  endsAt: T0 + 3600_000,
  updatedAt: T0,
});
const groupAlerts = [alert('ErrorSpike'), alert('LatencyP99')];

async function listen(routes: ReturnType<typeof pagerdutyWebhookRoutes>, token?: string): Promise<string> {
  const app = createApp({ evaluator: { allGroups: () => [] }, metrics: new EvaluationMetrics({ allGroups: () => [] }), isReady: () => true, routes: [routes], bearerToken: () => token });
  const server = await listening(app);
  servers.push(server);
  return urlOf(server);
}

beforeAll(async () => {
  store = new SqliteStore(join(await scratchDir(join(tmpdir(), 'vigil-pd-webhook-')), 'vigil.db'));
  base = await listen(
    pagerdutyWebhookRoutes({
      secret: () => secret,
      resolveGroup: (key) => (key === dedupKey(GROUP) ? { alerts: groupAlerts } : undefined),
      store,
      now: () => T0 + 300_000,
    }),
  );
});

afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  store.close();
});

/** A v3 webhook body as PagerDuty sends it (trimmed to what matters plus some of the rest). */
const webhook = (eventType: string, incidentKey: string | null, id = '01DFX2SX64XYEDVWRSWQNTANWV') =>
  JSON.stringify({
    event: {
      id,
      event_type: eventType,
      resource_type: 'incident',
      occurred_at: '2026-11-16T09:05:00.000Z',
      agent: { html_url: 'https://acme.pagerduty.com/users/PLH1HKV', id: 'PLH1HKV', self: 'https://api.pagerduty.com/users/PLH1HKV', summary: 'Ann On-Call', type: 'user_reference' },
      client: null,
      data: {
        id: 'PGR0VU2',
        type: 'incident',
        self: 'https://api.pagerduty.com/incidents/PGR0VU2',
        html_url: 'https://acme.pagerduty.com/incidents/PGR0VU2',
        number: 2,
        status: 'acknowledged',
        incident_key: incidentKey,
        created_at: '2026-11-16T09:01:00Z',
        title: '[P1] ErrorSpike agent_id=checkout',
        urgency: 'high',
      },
    },
  });

const sign = (body: string, key = SECRET) => `v1=${createHmac('sha256', key).update(body).digest('hex')}`;

const post = async (body: string, signature?: string, url = base, headers: Record<string, string> = {}) => {
  const res = await fetch(`${url}/api/v1/webhooks/pagerduty`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'user-agent': 'PagerDuty-Webhook/V3.0', ...(signature ? { 'x-pagerduty-signature': signature } : {}), ...headers },
    body,
  });
  return { status: res.status, body: (await res.json()) as { acknowledged?: number; ignored?: string; message?: string } };
};

const acks = async (fp: string) => (await store.queryAlertEvents({ fingerprint: fp, kinds: ['acknowledged'] })).items;

test('incident.acknowledged acknowledges every alert of the group whose dedup_key is the incident_key, once per PagerDuty event', async () => {
  const body = webhook('incident.acknowledged', dedupKey(GROUP));
  expect(await post(body, sign(body))).toEqual({ status: 200, body: { acknowledged: 2 } });
  for (const a of groupAlerts) {
    expect(await acks(a.fingerprint)).toEqual([
      expect.objectContaining({ kind: 'acknowledged', source: 'pagerduty', at: T0 + 300_000, startsAt: T0, alertname: a.labels.alertname, severity: 'P1', detail: { by: 'Ann On-Call', incident: 'PGR0VU2', event: '01DFX2SX64XYEDVWRSWQNTANWV' } }),
    ]);
  }
  // PagerDuty retries a delivery it thinks failed: the same event id is not recorded again
  expect(await post(body, sign(body))).toEqual({ status: 200, body: { acknowledged: 0 } });
  expect(await acks(groupAlerts[0].fingerprint)).toHaveLength(1);
});

test('several signatures (a secret being rotated): any one valid is enough', async () => {
  const body = webhook('incident.acknowledged', dedupKey(GROUP), 'rotated-event');
  expect((await post(body, `${sign(body, 'old-secret')}, ${sign(body)}`)).body).toEqual({ acknowledged: 2 });
  expect(validPagerdutySignature(`v1=zz,${sign(body)}`, Buffer.from(body), SECRET)).toBe(true);
  expect(validPagerdutySignature(`${sign(body, 'a')},${sign(body, 'b')}`, Buffer.from(body), SECRET)).toBe(false);
});

test('a bad, missing or stale signature gets 401 and records nothing', async () => {
  const body = webhook('incident.acknowledged', dedupKey(GROUP), 'forged-event');
  const before = (await acks(groupAlerts[0].fingerprint)).length;
  expect((await post(body)).status).toBe(401);
  expect((await post(body, sign(body, 'wrong-secret'))).status).toBe(401);
  expect((await post(body, sign(body + ' '))).status).toBe(401); // signature of other bytes
  expect((await post(body, sign(body).replace('v1=', 'v0='))).status).toBe(401);
  // the same JSON re-serialised is other bytes: the raw body is what is signed
  const reformatted = JSON.stringify(JSON.parse(body), null, 2);
  expect((await post(reformatted, sign(body))).status).toBe(401);
  expect(await acks(groupAlerts[0].fingerprint)).toHaveLength(before);
});

test('other event types, unknown incident keys and pings are answered 200 and ignored', async () => {
  for (const [type, key] of [['incident.resolved', dedupKey(GROUP)], ['incident.triggered', dedupKey(GROUP)], ['incident.acknowledged', 'some-other-key'], ['incident.acknowledged', null], ['pagerduty.webhook.ping', null]] as const) {
    const body = webhook(type, key, `ignored-${type}-${key}`);
    const res = await post(body, sign(body));
    expect(res.status).toBe(200);
    expect(res.body.acknowledged).toBe(0);
    expect(res.body.ignored).toBeTruthy();
  }
  const notJson = 'not json';
  expect((await post(notJson, sign(notJson))).status).toBe(400);
});

test('without a secret the endpoint is refused with 404', async () => {
  secret = undefined;
  try {
    const body = webhook('incident.acknowledged', dedupKey(GROUP), 'no-secret');
    expect((await post(body, sign(body))).status).toBe(404);
  } finally {
    secret = SECRET;
  }
  const url = await listen(pagerdutyWebhookRoutes({ secret: undefined, resolveGroup: () => undefined, store }));
  expect((await post('{}', sign('{}'), url)).status).toBe(404);
});

test('with server.bearer_token set, the webhook is still authenticated by its signature alone', async () => {
  const url = await listen(pagerdutyWebhookRoutes({ secret: SECRET, resolveGroup: () => ({ alerts: [] }), store }), 'srv-token');
  const body = webhook('incident.acknowledged', 'k', 'with-token');
  expect((await post(body, sign(body), url)).status).toBe(200);
  expect((await post(body, 'v1=' + '0'.repeat(64), url)).status).toBe(401);
});
