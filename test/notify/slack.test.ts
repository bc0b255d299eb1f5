import { deliver, SlackIntegration, type Delivery } from '../../src/notify/index.js';
import type { SlackConfig } from '../../src/config/index.js';
import { startSlack, testAlert, testDelivery, type LoopbackReceiver, type RecordedRequest } from '../support/receivers.js';

let slack: LoopbackReceiver;
beforeAll(async () => {
  slack = await startSlack();
});
afterAll(() => slack.close());

function config(over: Partial<SlackConfig> = {}): SlackConfig {
  return { webhookUrl: `${slack.url}/services/T000/B000/XXXX`, mention: undefined, maxAlerts: 10, sendResolved: true, http: { insecureSkipVerify: false, timeoutMs: 5000 }, ...over };
}

interface Message {
  text: string;
  channel?: string;
  attachments: { color: string; blocks: { type: string; text?: { text: string }; elements?: { text: string }[] }[] }[];
}

async function send(delivery: Delivery, over: Partial<SlackConfig> = {}) {
  const before = slack.requests.length;
  const [result] = await deliver([new SlackIntegration(config(over))], delivery, { deadline: Date.now() + 10_000, baseBackoffMs: 1 });
  const received: RecordedRequest[] = slack.requests.slice(before);
  const message = received.at(-1)?.json as Message;
  return { result, received, message, all: JSON.stringify(message) };
}

/** Every text Slack renders as mrkdwn: the message text and each block's. */
const texts = (m: Message) => [m.text, ...m.attachments.flatMap((a) => a.blocks.flatMap((b) => [b.text?.text ?? '', ...(b.elements ?? []).map((e) => e.text)]))];
const alertOf = (sev: string, agent = 'checkout', ann: Record<string, string> = {}) => testAlert({ alertname: 'ErrorSpike', agent_id: agent, severity: sev }, { summary: `${agent} fails`, ...ann });

describe('Slack incoming webhook', () => {
  test.each([
    ['P1', undefined, '<!channel>'],
    ['P2', undefined, '<!here>'],
    ['P3', undefined, ''],
    ['P1', 'none', ''],
    ['P3', 'here', '<!here>'],
    ['P2', 'channel', '<!channel>'],
  ] as const)('a %s alert with mention %s pings %j', async (sev, mention, ping) => {
    const { result, received, message } = await send(testDelivery({ firing: [alertOf(sev)] }), { mention });
    expect(result.ok).toBe(true);
    expect(received[0].status).toBe(200);
    const pings = message.text.match(/<!(channel|here)>/g) ?? [];
    expect(pings).toEqual(ping ? [ping] : []);
    expect(message.text).toContain(`FIRING: [${sev}] ErrorSpike agent_id=checkout: 1 firing (1 new)`);
  });

  test('colors by severity, header says FIRING, channel is passed on', async () => {
    const { message } = await send(testDelivery({ firing: [alertOf('P3'), alertOf('P2', 'search')] }), { channel: '#agents' });
    expect(message.attachments[0].color).toBe('warning');
    expect(message.attachments[0].blocks[0]).toEqual({ type: 'header', text: { type: 'plain_text', text: 'FIRING [P2] ErrorSpike agent_id=checkout: 2 firing (2 new)' } });
    expect(message.channel).toBe('#agents');
    const p3 = await send(testDelivery({ firing: [alertOf('P3')] }));
    expect(p3.message.attachments[0].color).toBe('#439FE0');
    const p1 = await send(testDelivery({ firing: [alertOf('P1')] }));
    expect(p1.message.attachments[0].color).toBe('danger');
  });

  test('a malicious label or annotation cannot ping or link: only vigil’s own syntax is live', async () => {
    const evil = testAlert(
      { alertname: 'ErrorSpike', agent_id: '<!channel>', tool: '<https://evil.example|x>', severity: 'P3' },
      { summary: 'click <https://evil.example|here> & <@U123>', runbook_url: 'https://rb.example.com/a?x=1&y=<2>|z' },
    );
    const { message, result } = await send(testDelivery({ firing: [evil], groupLabels: { agent_id: '<!channel>' } }));
    expect(result.ok).toBe(true);
    for (const t of texts(message)) {
      expect(t).not.toContain('<!channel>');
      expect(t).not.toContain('<https://evil');
      expect(t).not.toContain('<@U123>');
    }
    const all = texts(message).join('\n');
    expect(all).toContain('&lt;!channel&gt;');
    expect(all).toContain('&lt;https://evil.example|x&gt;');
    expect(all).toContain('&amp; &lt;@U123&gt;');
    // vigil's runbook link stays a link, its URL unable to close it early
    expect(all).toMatch(/<https:\/\/rb\.example\.com\/a\?x=1&amp;y=%3C2%3E%7Cz\|Runbook>/);
  });

  test('lists at most max_alerts, then "and N more"', async () => {
    const firing = Array.from({ length: 15 }, (_, i) => alertOf('P2', `agent-${String(i).padStart(2, '0')}`));
    const { message } = await send(testDelivery({ firing }), { maxAlerts: 10 });
    const all = texts(message).join('\n');
    expect(all.match(/agent-\d\d fails/g)).toHaveLength(10);
    expect(all).toContain('and 5 more');
  });

  test('sections New, Still firing and Resolved follow the changes, with flapping alerts marked', async () => {
    const a = alertOf('P1', 'a');
    const b = alertOf('P1', 'b');
    const c = alertOf('P1', 'c');
    const { message } = await send(testDelivery({ firing: [a, b], resolved: [c], stillFiring: [b.fingerprint], flapping: [{ fingerprint: b.fingerprint, refires: 4 }] }));
    const t = texts(message);
    const at = (s: string) => t.findIndex((x) => x.includes(s));
    expect(at('*New* (1)')).toBeLessThan(at('a fails'));
    expect(at('a fails')).toBeLessThan(at('*Still firing* (1)'));
    expect(at('*Still firing* (1)')).toBeLessThan(at('b fails'));
    expect(at('b fails')).toBeLessThan(at('*Resolved* (1)'));
    expect(at('*Resolved* (1)')).toBeLessThan(at('c fails'));
    expect(t[at('b fails')]).toContain('flapping (re-fired 4 times)');
    expect(t[at('a fails')]).not.toContain('flapping');
  });

  test('a resolved message is green, says RESOLVED and pings nobody', async () => {
    const { message, result } = await send(testDelivery({ resolved: [alertOf('P1')] }));
    expect(result.ok).toBe(true);
    expect(message.attachments[0].color).toBe('good');
    expect(message.text).not.toMatch(/<!/);
    expect(message.text).toContain('RESOLVED: [P1] ErrorSpike agent_id=checkout: 1 resolved');
  });

  test('a storm is one summary with counts per alertname and top agent_id, not a list', async () => {
    const firing = [
      ...Array.from({ length: 30 }, (_, i) => testAlert({ alertname: 'ErrorSpike', agent_id: i < 20 ? 'checkout' : 'search', pod: `p${i}`, severity: 'P1' }, { summary: `pod ${i}` })),
      ...Array.from({ length: 12 }, (_, i) => testAlert({ alertname: 'ToolFailure', agent_id: 'search', pod: `q${i}`, severity: 'P2' }, { summary: `tool ${i}` })),
    ];
    const { message, result } = await send(testDelivery({ firing, groupLabels: {}, storm: { threshold: 25, alerts: 42 } }));
    expect(result.ok).toBe(true);
    const all = texts(message).join('\n');
    expect(all).toContain('42 alerts in this group (threshold 25)');
    expect(all).toContain('ErrorSpike: 30, ToolFailure: 12');
    expect(all).toContain('*Top agent_id:* search: 22, checkout: 20');
    expect(all).not.toMatch(/pod \d+/);
  });

  test('the rate-limit notice is shown', async () => {
    const { message } = await send(testDelivery({ firing: [alertOf('P2')], rateLimit: { max: 5, perMs: 3_600_000, remaining: 0, suppressed: 3, resumesAt: Date.parse('2026-03-02T11:00:00Z') } }));
    expect(texts(message).join('\n')).toMatch(/3 notification\(s\) were held back.*last notification allowed \(5 per 3600s\) until 2026-03-02T11:00:00.000Z/);
  });

  test('a huge group stays within Slack’s limits (Slack rejects more than 50 blocks or 3000 characters)', async () => {
    const firing = Array.from({ length: 200 }, (_, i) => alertOf('P2', `agent-${i}`, { description: 'd'.repeat(5000) }));
    const { result, message, received } = await send(testDelivery({ firing }), { maxAlerts: 500 });
    expect(received[0].status).toBe(200);
    expect(result.ok).toBe(true);
    expect(message.attachments[0].blocks.length).toBeLessThanOrEqual(50);
  });

  test('429 with Retry-After: the next attempt waits at least that long, by the server’s clock', async () => {
    slack.tooManyRequests(1, '1');
    const { result, received } = await send(testDelivery({ firing: [alertOf('P2')] }));
    expect(result).toMatchObject({ ok: true, attempts: 2 });
    expect(received.map((r) => r.status)).toEqual([429, 200]);
    expect(received[1].at - received[0].at).toBeGreaterThanOrEqual(1000);
  });

  test('Slack’s 400 invalid_payload is not retried; the webhook URL never appears in the error', async () => {
    slack.answerNext(1, { status: 400, body: 'invalid_payload' });
    const { result, received } = await send(testDelivery({ firing: [alertOf('P2')] }));
    expect(received).toHaveLength(1);
    expect(result).toMatchObject({ ok: false, attempts: 1, statusCode: 400 });
    expect(result.error).toContain('invalid_payload');
    expect(result.error).not.toContain('XXXX');
  });
});
