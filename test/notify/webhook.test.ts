import { buildIntegrations, deliver, webhookBody, webhookPayload, WebhookIntegration } from '../../src/notify/index.js';
import type { Receiver, WebhookConfig } from '../../src/config/index.js';
import { startWebhookReceiver, T0, testAlert, testDelivery, type LoopbackReceiver } from '../support/receivers.js';

let hook: LoopbackReceiver;
beforeAll(async () => {
  hook = await startWebhookReceiver({ tls: true });
});
afterAll(() => hook.close());

function config(over: Partial<WebhookConfig> = {}): WebhookConfig {
  return { url: `${hook.url}/alerts`, maxAlerts: 0, sendResolved: true, http: { ca: hook.ca, insecureSkipVerify: false, timeoutMs: 5000 }, ...over };
}

async function send(delivery: ReturnType<typeof testDelivery>, over: Partial<WebhookConfig> = {}) {
  const before = hook.requests.length;
  const [result] = await deliver([new WebhookIntegration(config(over))], delivery, { deadline: Date.now() + 10_000 });
  return { result, body: hook.requests.slice(before).at(-1)?.json as any };
}

const a = testAlert({ alertname: 'ToolFailure', agent_id: 'checkout', tool_name: 'search', severity: 'P2' }, { summary: 'search fails', runbook_url: 'https://rb/x' }, { generatorURL: 'http://prom:9090/graph' });
const b = testAlert({ alertname: 'ToolFailure', agent_id: 'checkout', tool_name: 'refund', severity: 'P2' }, { summary: 'refund fails', runbook_url: 'https://rb/x' });

describe('webhook: Alertmanager payload version 4', () => {
  test('carries the group, common labels and annotations, and each alert as Alertmanager writes it', async () => {
    const { result, body } = await send(testDelivery({ firing: [a], resolved: [b], groupLabels: { alertname: 'ToolFailure' }, groupKey: '{}:{alertname="ToolFailure"}' }));
    expect(result.ok).toBe(true);
    expect(body).toEqual({
      version: '4',
      groupKey: '{}:{alertname="ToolFailure"}',
      truncatedAlerts: 0,
      status: 'firing',
      receiver: 'oncall',
      groupLabels: { alertname: 'ToolFailure' },
      commonLabels: { alertname: 'ToolFailure', agent_id: 'checkout', severity: 'P2' },
      commonAnnotations: { runbook_url: 'https://rb/x' },
      externalURL: 'https://vigil.example.com',
      alerts: [
        {
          status: 'firing',
          labels: a.labels,
          annotations: a.annotations,
          startsAt: new Date(T0 - 600_000).toISOString(),
          endsAt: '0001-01-01T00:00:00Z',
          generatorURL: 'http://prom:9090/graph',
          fingerprint: a.fingerprint,
        },
        {
          status: 'resolved',
          labels: b.labels,
          annotations: b.annotations,
          startsAt: new Date(T0 - 600_000).toISOString(),
          endsAt: new Date(T0 - 60_000).toISOString(),
          generatorURL: '',
          fingerprint: b.fingerprint,
        },
      ],
    });
    expect(body.alerts[0].startsAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
  });

  test('status is resolved when nothing fires', async () => {
    const { body } = await send(testDelivery({ resolved: [a, b] }));
    expect(body.status).toBe('resolved');
    expect(body.alerts.map((x: { status: string }) => x.status)).toEqual(['resolved', 'resolved']);
  });

  test('max_alerts keeps the first alerts and counts the others in truncatedAlerts', async () => {
    const firing = Array.from({ length: 7 }, (_, i) => testAlert({ alertname: 'X', n: String(i) }));
    const { body } = await send(testDelivery({ firing }), { maxAlerts: 3 });
    expect(body.alerts.map((x: { labels: { n: string } }) => x.labels.n)).toEqual(['0', '1', '2']);
    expect(body.truncatedAlerts).toBe(4);
    expect(body.commonLabels).toEqual({ alertname: 'X' });
  });

  test('the body sent is JSON.stringify of the payload, byte for byte, also for alerts printed before and for escapes', async () => {
    const odd = testAlert({ alertname: 'Quote"d', agent_id: 'ch\\eck\nout', note: 'ünïcødé ✓ \u2028' }, { summary: 'says "hi"\t<b>' });
    const deliveries = [
      testDelivery({ firing: [a], resolved: [b] }),
      testDelivery({ firing: [a, b, odd] }), // a printed before, now beside others
      testDelivery({ firing: [], resolved: [a, odd] }), // the same alerts resolved
      testDelivery({ firing: [odd, a], resolved: [b] }),
    ];
    for (const d of deliveries) for (const max of [0, 1, 2]) expect(webhookBody(d, max)).toBe(JSON.stringify(webhookPayload(d, max)));
    const { body } = await send(deliveries[1]);
    expect(body.alerts.map((x: { labels: Record<string, string> }) => x.labels)).toEqual([a.labels, b.labels, odd.labels]);
  });
});

describe('webhook: the connection', () => {
  test("the URL's user:password goes as basic auth, and is not part of the path", async () => {
    const { result } = await send(testDelivery({ firing: [a] }), { url: `${hook.url.replace('https://', 'https://ops%40corp:p%3Ass@')}/alerts?x=1` });
    expect(result.ok).toBe(true);
    const rec = hook.requests.at(-1)!;
    expect(rec.path).toBe('/alerts?x=1');
    expect(rec.headers.authorization).toBe(`Basic ${Buffer.from('ops@corp:p:ss').toString('base64')}`);
    expect(rec.headers['content-type']).toBe('application/json');
  });

  test('600 sends at once go over at most 256 connections, which the next 600 reuse', async () => {
    const integration = new WebhookIntegration(config());
    const before = hook.requests.length;
    const wave = () => Promise.all(Array.from({ length: 600 }, () => deliver([integration], testDelivery({ firing: [a] }), { deadline: Date.now() + 30_000 })));
    const first = await wave();
    const ports = new Set(hook.requests.slice(before).map((r) => r.remotePort));
    await wave();
    const all = new Set(hook.requests.slice(before).map((r) => r.remotePort));
    expect([...first.flat()].every((r) => r.ok)).toBe(true);
    expect(hook.requests.length - before).toBe(1200);
    expect(ports.size).toBeLessThanOrEqual(256);
    expect(all.size).toBe(ports.size); // kept alive: the second wave opened none
  });
});

describe('buildIntegrations', () => {
  test('one integration per config entry, numbered per kind, each sending to its own URL', async () => {
    const other = await startWebhookReceiver();
    try {
      const http = { insecureSkipVerify: false, timeoutMs: 5000 };
      const receiver: Receiver = {
        name: 'team',
        pagerduty: [{ routingKey: 'k'.repeat(32), url: 'https://127.0.0.1:1/v2/enqueue', sendResolved: true, http }],
        slack: [],
        webhook: [config(), { url: `${other.url}/second`, maxAlerts: 0, sendResolved: false, http }],
        ticket: [],
        grafana: [],
      };
      const integrations = buildIntegrations(receiver);
      expect(integrations.map((i) => [i.kind, i.index, i.sendResolved])).toEqual([
        ['pagerduty', 0, true],
        ['webhook', 0, true],
        ['webhook', 1, false],
      ]);
      const before = hook.requests.length;
      const results = await deliver(integrations.slice(1), testDelivery({ firing: [a] }), { deadline: Date.now() + 5000 });
      expect(results.every((r) => r.ok)).toBe(true);
      expect(hook.requests.slice(before).map((r) => r.path)).toEqual(['/alerts']);
      expect(other.requests.map((r) => r.path)).toEqual(['/second']);
    } finally {
      await other.close();
    }
  });
});
