/**
 * The demo's stand-ins take what vigil's real notifiers send, configured from the very vigil.yaml
 * the demo writes: each receiver's integrations deliver a firing and then a resolved
 * notification, and each stand-in reports one readable line per delivery.
 */
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { parseConfig, type Config } from '../../src/config/index.js';
import { demoConfigYaml, formatDelivered, startStandIns, type StandIns } from '../../src/demo/index.js';
import { buildIntegrations, deliver } from '../../src/notify/index.js';
import { SqliteStore } from '../../src/store/index.js';
import { scratchDir } from '../support/scratch.js';
import { testAlert, testDelivery } from '../support/receivers.js';

let standIns: StandIns;
let config: Config;
let store: SqliteStore;

beforeAll(async () => {
  standIns = await startStandIns();
  const dir = await scratchDir(join(tmpdir(), 'vigil-standins-'));
  const yaml = demoConfigYaml({ listen: '127.0.0.1:9095', fleetTarget: '127.0.0.1:9100', dataDir: dir, rules: join(process.cwd(), 'rules'), standIns });
  config = parseConfig(join(dir, 'vigil.yaml'), yaml, {});
  store = new SqliteStore(join(dir, 'vigil.db'));
});
afterAll(async () => {
  store.close();
  await standIns.close();
});

const receiver = (name: string) => {
  const r = config.receivers.find((x) => x.name === name);
  if (!r) throw new Error(`no receiver ${name}`);
  return r;
};

async function notify(name: string, severity: string, alertname: string) {
  const alert = testAlert({ alertname, agent_id: 'checkout-bot', severity }, { summary: `checkout-bot: ${alertname}` });
  const groupKey = `{}/{severity="${severity}"}:{alertname="${alertname}", agent_id="checkout-bot"}`;
  const groupLabels = { alertname, agent_id: 'checkout-bot' };
  const integrations = buildIntegrations(receiver(name), { store });
  const before = standIns.delivered.length;
  const firing = await deliver(integrations, testDelivery({ deadline: Date.now() + 10_000, firing: [alert], groupKey, groupLabels }), { deadline: Date.now() + 10_000, baseBackoffMs: 1 });
  const resolved = await deliver(integrations, testDelivery({ deadline: Date.now() + 10_000, resolved: [alert], groupKey, groupLabels }), { deadline: Date.now() + 10_000, baseBackoffMs: 1 });
  return { results: [...firing, ...resolved], lines: standIns.delivered.slice(before).map(formatDelivered) };
}

describe('the stand-ins accept what vigil sends to the receivers of the demo', () => {
  test('page: a PagerDuty trigger and resolve, Slack with @channel', async () => {
    const { results, lines } = await notify('page', 'P1', 'AgentErrorRateSpike');
    expect(results.every((r) => r.ok)).toBe(true);
    expect(lines).toEqual([
      expect.stringMatching(/^\d\d:\d\d:\d\d PagerDuty trigger {2}critical \[P1\] AgentErrorRateSpike agent_id=checkout-bot: 1 firing \(1 new\) — checkout-bot: AgentErrorRateSpike$/),
      expect.stringMatching(/^\d\d:\d\d:\d\d Slack {5}post {5}@channel FIRING: \[P1\] AgentErrorRateSpike agent_id=checkout-bot: 1 firing \(1 new\)$/),
      expect.stringMatching(/PagerDuty resolve {2}\[P1\] AgentErrorRateSpike agent_id=checkout-bot: 1 firing/),
      expect.stringMatching(/Slack {5}post {5}RESOLVED: \[P1\] AgentErrorRateSpike agent_id=checkout-bot: 1 resolved$/),
    ]);
  });

  test('triage: Slack with @here, a GitHub issue opened, then closed with a comment', async () => {
    const { results, lines } = await notify('triage', 'P2', 'AgentTokenCostSpike');
    expect(results.every((r) => r.ok)).toBe(true);
    expect(lines).toEqual([
      expect.stringMatching(/Slack {5}post {5}@here FIRING: \[P2\] AgentTokenCostSpike/),
      expect.stringMatching(/GitHub {4}open {5}#1 .*AgentTokenCostSpike/),
      expect.stringMatching(/Slack {5}post {5}RESOLVED: \[P2\] AgentTokenCostSpike/),
      expect.stringMatching(/GitHub {4}close {4}#1 .*AgentTokenCostSpike/),
      expect.stringMatching(/GitHub {4}comment {2}#1 All alerts resolved/),
    ]);
  });

  test('observe: Slack without a ping, a Grafana annotation region added and ended', async () => {
    const { results, lines } = await notify('observe', 'P3', 'AgentHallucinationTrend');
    expect(results.every((r) => r.ok)).toBe(true);
    expect(lines).toEqual([
      expect.stringMatching(/Slack {5}post {5}FIRING: \[P3\] AgentHallucinationTrend/),
      expect.stringMatching(/Grafana {3}add {6}#1 \[P3\] AgentHallucinationTrend/),
      expect.stringMatching(/Slack {5}post {5}RESOLVED: \[P3\] AgentHallucinationTrend/),
      expect.stringMatching(/Grafana {3}end {6}#1 \[P3\] AgentHallucinationTrend/),
    ]);
  });

  test('they refuse what the services refuse, and report nothing then', async () => {
    const before = standIns.delivered.length;
    const post = (url: string, body: unknown, headers: Record<string, string> = {}) =>
      fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(body) });
    const pd = await post(`${standIns.pagerduty}/v2/enqueue`, { routing_key: 'wrong', event_action: 'trigger', payload: { summary: 's', source: 'x', severity: 'critical' } });
    expect(pd.status).toBe(400);
    expect(((await pd.json()) as { errors: string[] }).errors).toEqual([expect.stringContaining('routing_key')]);
    expect((await post(standIns.slack, {})).status).toBe(400);
    expect((await post(`${standIns.github}/repos/demo/agents/issues`, { title: 'x' })).status).toBe(401);
    expect((await post(`${standIns.grafana}/api/annotations`, { time: 'noon', text: 'x' }, { Authorization: `Bearer ${standIns.secrets.grafanaToken}` })).status).toBe(400);
    expect(standIns.delivered.length).toBe(before);
  });
});
