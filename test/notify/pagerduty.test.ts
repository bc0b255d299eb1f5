import { createHash } from 'node:crypto';
import { deliver, PagerdutyIntegration, dedupKey, type Delivery } from '../../src/notify/index.js';
import type { PagerdutyConfig } from '../../src/config/index.js';
import { startPagerDuty, testAlert, testDelivery, type LoopbackReceiver } from '../support/receivers.js';

const ROUTING_KEY = 'R0123456789abcdef0123456789abcde'.slice(0, 32);

let pd: LoopbackReceiver;
beforeAll(async () => {
  pd = await startPagerDuty({ tls: true });
});
afterAll(() => pd.close());

function config(over: Partial<PagerdutyConfig> = {}): PagerdutyConfig {
  return { routingKey: ROUTING_KEY, url: `${pd.url}/v2/enqueue`, sendResolved: true, http: { ca: pd.ca, insecureSkipVerify: false, timeoutMs: 5000 }, ...over };
}

/** Sends one delivery and returns the result and the event PagerDuty received. */
async function send(delivery: Delivery, over: Partial<PagerdutyConfig> = {}) {
  const before = pd.requests.length;
  const [result] = await deliver([new PagerdutyIntegration(config(over))], delivery, { deadline: Date.now() + 10_000, baseBackoffMs: 1 });
  const received = pd.requests.slice(before);
  return { result, received, event: received.at(-1)?.json as any };
}

const spike = (agent: string, sev = 'P1', ann: Record<string, string> = {}) =>
  testAlert({ alertname: 'ErrorSpike', agent_id: agent, severity: sev }, { summary: `Failure ratio of ${agent} is 12%`, ...ann }, { generatorURL: 'http://prometheus.internal:9090/graph?g0.expr=x' });

describe('PagerDuty Events API v2 over TLS with the CA of http_config', () => {
  test('a firing group triggers with the documented fields and PagerDuty accepts it (202)', async () => {
    const { result, event, received } = await send(testDelivery({ firing: [spike('checkout', 'P1', { runbook_url: 'https://runbooks.example.com/error-spike' })] }));
    expect(result).toMatchObject({ ok: true, attempts: 1 });
    expect(received[0].status).toBe(202);
    expect(event.routing_key).toBe(ROUTING_KEY);
    expect(event.event_action).toBe('trigger');
    expect(event.payload.severity).toBe('critical');
    expect(event.payload.summary).toBe('[P1] ErrorSpike agent_id=checkout: 1 firing (1 new) — Failure ratio of checkout is 12%');
    expect(event.payload.source).toBe('prometheus.internal:9090');
    expect(event.client).toBe('vigil');
    expect(event.client_url).toBe('https://vigil.example.com');
    expect(event.links).toEqual([
      { href: 'https://runbooks.example.com/error-spike', text: 'Runbook: ErrorSpike' },
      { href: 'http://prometheus.internal:9090/graph?g0.expr=x', text: 'Source: ErrorSpike' },
    ]);
    expect(event.payload.custom_details.firing[0].labels).toEqual({ alertname: 'ErrorSpike', agent_id: 'checkout', severity: 'P1' });
    expect(event.payload.custom_details.changes.new).toEqual(['ErrorSpike agent_id=checkout']);
  });

  test('dedup_key is the sha256 of the group key: the same for every flush of a group, across restarts, and another group differs', async () => {
    const groupKey = '{}/{severity="P1"}:{agent_id="checkout"}';
    const first = await send(testDelivery({ groupKey, firing: [spike('checkout')] }));
    // a new alert joins the group that already paged: same alert in PagerDuty, updated summary
    const joined = await send(testDelivery({ groupKey, firing: [spike('checkout'), spike('search')], stillFiring: [spike('checkout').fingerprint] }));
    const other = await send(testDelivery({ groupKey: '{}/{severity="P1"}:{agent_id="search"}', firing: [spike('search')] }));
    expect(first.event.dedup_key).toBe(createHash('sha256').update(groupKey).digest('hex'));
    expect(dedupKey(groupKey)).toBe(first.event.dedup_key);
    expect(joined.event.dedup_key).toBe(first.event.dedup_key);
    expect(joined.event.event_action).toBe('trigger');
    expect(joined.event.payload.summary).toMatch(/: 2 firing \(1 new\)/);
    expect(joined.event.payload.custom_details.changes).toMatchObject({ new: ['ErrorSpike agent_id=search'], still_firing: ['ErrorSpike agent_id=checkout'] });
    expect(other.event.dedup_key).not.toBe(first.event.dedup_key);
  });

  test('a notification with nothing firing resolves the same dedup_key', async () => {
    const groupKey = '{}:{alertname="ErrorSpike"}';
    const trigger = await send(testDelivery({ groupKey, firing: [spike('checkout')] }));
    const resolve = await send(testDelivery({ groupKey, resolved: [spike('checkout')] }));
    expect(resolve.result.ok).toBe(true);
    expect(resolve.event).toEqual({ routing_key: ROUTING_KEY, event_action: 'resolve', dedup_key: trigger.event.dedup_key });
  });

  test.each([
    [['P1', 'P3'], 'critical'],
    [['P3', 'P2'], 'warning'],
    [['P3'], 'info'],
    [['none'], 'error'],
  ])('firing severities %j page as %s', async (sevs, expected) => {
    const { event } = await send(testDelivery({ firing: sevs.map((s, i) => testAlert({ alertname: 'A', agent_id: `a${i}`, ...(s === 'none' ? {} : { severity: s }) })) }));
    expect(event.payload.severity).toBe(expected);
  });

  test('a long summary is cut to PagerDuty’s 1024 characters with an ellipsis, and accepted', async () => {
    const { result, event } = await send(testDelivery({ firing: [spike('checkout', 'P1', { summary: 'x'.repeat(5000) })] }));
    expect(result.ok).toBe(true);
    expect(event.payload.summary).toHaveLength(1024);
    expect(event.payload.summary.endsWith('…')).toBe(true);
  });

  test('links are distinct, http(s) only and capped', async () => {
    const firing = Array.from({ length: 30 }, (_, i) => spike(`a${i}`, 'P2', { runbook_url: i === 0 ? 'javascript:alert(1)' : `https://rb.example.com/${i % 12}` }));
    const { event } = await send(testDelivery({ firing }));
    const hrefs = event.links.map((l: { href: string }) => l.href);
    expect(hrefs).toHaveLength(10);
    expect(new Set(hrefs).size).toBe(10);
    expect(hrefs.some((h: string) => h.startsWith('javascript'))).toBe(false);
  });

  test('storm, flapping and the rate-limit notice reach custom_details', async () => {
    const firing = Array.from({ length: 5 }, (_, i) => spike(`a${i % 2}x${i}`));
    const { event } = await send(
      testDelivery({
        firing,
        flapping: [{ fingerprint: firing[0].fingerprint, refires: 4 }],
        storm: { threshold: 3, alerts: 5 },
        rateLimit: { max: 10, perMs: 3_600_000, remaining: 0, suppressed: 2, resumesAt: Date.parse('2026-03-02T11:00:00Z') },
      }),
    );
    const d = event.payload.custom_details;
    expect(d.storm).toMatchObject({ alerts: 5, threshold: 3, by_alertname: { ErrorSpike: 5 } });
    expect(d.firing).toBeUndefined();
    expect(d.flapping).toEqual([{ alert: expect.stringContaining('ErrorSpike'), refires: 4 }]);
    expect(d.rate_limit).toMatch(/2 notification\(s\) were held back/);
    expect(d.rate_limit).toMatch(/last notification allowed/);
  });

  test('PagerDuty’s 400 is not retried and its error message is reported', async () => {
    const { result, received } = await send(testDelivery({ firing: [spike('checkout')] }), { routingKey: 'too-short' });
    expect(received).toHaveLength(1);
    expect(result).toMatchObject({ ok: false, attempts: 1, statusCode: 400 });
    expect(result.error).toContain('Event object is invalid');
    expect(result.error).toContain('routing_key');
    expect(result.error).not.toContain('too-short');
  });

  test('429 and 500 are retried until PagerDuty accepts', async () => {
    pd.tooManyRequests(1, '0');
    pd.fail(1, 502);
    const { result, received } = await send(testDelivery({ firing: [spike('checkout')] }));
    expect(received.map((r) => r.status)).toEqual([429, 502, 202]);
    expect(result).toMatchObject({ ok: true, attempts: 3 });
  });

  test('without the CA the self-signed server is refused, and that is not retried', async () => {
    const { result, received } = await send(testDelivery({ firing: [spike('checkout')] }), { http: { insecureSkipVerify: false, timeoutMs: 5000 } });
    expect(received).toHaveLength(0);
    expect(result).toMatchObject({ ok: false, attempts: 1 });
    expect(result.error).toMatch(/SELF_SIGNED|certificate/i);
  });
});
