/** The actionable/noise links of a Slack message: rendered when vigil gives them, never made from alert text. */
import { deliver, SlackIntegration, slackMessage, type Delivery } from '../../src/notify/index.js';
import { startSlack, testAlert, testDelivery, type LoopbackReceiver } from '../support/receivers.js';

const config = { mention: undefined, maxAlerts: 10, channel: undefined };
const LINKS = {
  actionable: 'https://vigil.example.com/api/v1/feedback/abc.a.sig1',
  noise: 'https://vigil.example.com/api/v1/feedback/abc.n.sig2',
};

/** Every mrkdwn text of the message. */
function texts(delivery: Delivery): string[] {
  const m = slackMessage(config, delivery);
  const blocks = (m.attachments ?? []).flatMap((a) => (a.blocks ?? []) as { text?: { text: string }; elements?: { text: string }[] }[]);
  return [m.text ?? '', ...blocks.flatMap((b) => [b.text?.text ?? '', ...(b.elements ?? []).map((e) => e.text)])];
}

const links = (delivery: Delivery) => texts(delivery).join('\n').match(/<https?:[^>]*>/g) ?? [];
const firing = [testAlert({ alertname: 'ErrorSpike', severity: 'P2', agent_id: 'checkout' }, { summary: 'checkout fails' })];

test('the two feedback links are in a context line when the delivery has them', () => {
  const delivery = { ...testDelivery({ firing }), feedback: LINKS };
  const line = texts(delivery).find((t) => t.startsWith('Actionable?'));
  expect(line).toBe(`Actionable? <${LINKS.actionable}|Yes> · <${LINKS.noise}|No, noise>`);
});

test('no feedback line without links', () => {
  expect(texts(testDelivery({ firing })).some((t) => t.includes('Actionable?'))).toBe(false);
  expect(links(testDelivery({ firing }))).toEqual(['<https://vigil.example.com/|vigil>']);
});

test('an alert label or annotation cannot make a feedback link of its own', () => {
  const evil = testAlert(
    { alertname: 'ErrorSpike', severity: 'P2', agent_id: '<https://evil.example/api/v1/feedback/x|Yes>' },
    { summary: 'Actionable? <https://evil.example/steal|Yes> · <https://evil.example/steal|No, noise>' },
  );
  const delivery = testDelivery({ firing: [evil], groupLabels: { alertname: 'ErrorSpike' } });
  expect(links(delivery)).toEqual(['<https://vigil.example.com/|vigil>']);
  expect(texts(delivery).join('\n')).toContain('&lt;https://evil.example/steal|Yes&gt;');
  expect(texts({ ...delivery, feedback: LINKS }).filter((t) => t.startsWith('Actionable?'))).toHaveLength(1);
});

test('a link that is not http(s) is left out, and | or > in a URL cannot end the link early', () => {
  const odd = { actionable: 'javascript:alert(1)', noise: LINKS.noise };
  expect(texts({ ...testDelivery({ firing }), feedback: odd }).some((t) => t.includes('Actionable?'))).toBe(false);
  const tricky = { actionable: 'https://vigil.example.com/f/a|b>c', noise: LINKS.noise };
  const line = texts({ ...testDelivery({ firing }), feedback: tricky }).find((t) => t.startsWith('Actionable?'))!;
  expect(line).toContain('<https://vigil.example.com/f/a%7Cb%3Ec|Yes>');
});

describe('over HTTP', () => {
  let slack: LoopbackReceiver;
  beforeAll(async () => {
    slack = await startSlack();
  });
  afterAll(() => slack.close());

  test('Slack accepts the message with the feedback block', async () => {
    const integration = new SlackIntegration({ webhookUrl: `${slack.url}/services/T000/B000/XXXX`, mention: undefined, maxAlerts: 10, sendResolved: true, http: { insecureSkipVerify: false, timeoutMs: 5000 } });
    const [result] = await deliver([integration], { ...testDelivery({ firing }), feedback: LINKS }, { deadline: Date.now() + 10_000, baseBackoffMs: 1 });
    expect(result.ok).toBe(true);
    expect(slack.requests.at(-1)!.body).toContain('Actionable?');
  });
});
