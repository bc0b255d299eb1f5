/**
 * The notify pipeline as on-call sees it, through `vigil serve` (the built binary), loopback
 * PagerDuty (TLS) and Slack servers that check their documented contracts, and alerts POSTed to
 * /api/v2/alerts the way amtool or a one-shot script does:
 * - PagerDuty answering 503 for a minute while Slack is healthy gives exactly one Slack message;
 * - kill -9 right after the page, a source that never sends again: the resolve still goes out, once.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { scratchDir } from '../support/scratch.js';
import { startPagerDuty, startSlack, type LoopbackReceiver } from '../support/receivers.js';
import { freePort } from './support/prometheus.js';
import { sleep, waitFor } from '../support/wait.js';
import { VIGIL } from '../support/vigil-bin.js';

describe('the notify pipeline through vigil serve', () => {
  let pd: LoopbackReceiver;
  let slack: LoopbackReceiver;
  let dir: string;
  let base: string;
  let child: ChildProcess | undefined;
  let output = '';

  const yaml = (port: number) => `datasource: { prometheus: { url: "http://127.0.0.1:1" } }
rule_files: [rules.yaml]
storage: { sqlite: { path: data/vigil.db } }
server: { listen: "127.0.0.1:${port}" }
global: { resolve_timeout: 1m }
route:
  receiver: page
  group_by: [alertname, agent_id]
  group_wait: 1s
  group_interval: 2s
  repeat_interval: 1h
receivers:
  - name: page
    pagerduty_configs:
      - routing_key: R0UTINGKEY0123456789abcdef012345
        url: ${pd.url}/v2/enqueue
        http_config: { tls_config: { ca_file: pd-ca.pem } }
    slack_configs: [{ webhook_url: "${slack.url}/hooks/page", mention: channel }]
`;

  function start(): ChildProcess {
    const c = spawn(process.execPath, [...VIGIL, 'serve', '--config', join(dir, 'vigil.yaml')], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    c.stdout!.on('data', (d) => (output += d));
    c.stderr!.on('data', (d) => (output += d));
    return c;
  }

  const ready = () =>
    waitFor('vigil /readyz', async () => {
      try {
        return (await fetch(`${base}/readyz`)).ok ? true : undefined;
      } catch {
        return undefined;
      }
    });

  const post = async (alerts: unknown[]) => {
    const res = await fetch(`${base}/api/v2/alerts`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(alerts) });
    expect(res.status).toBe(200);
  };

  /** PagerDuty events of the group whose trigger names the agent (a resolve carries only the dedup_key). */
  const pdEvents = (agent: string) => {
    const events = pd.requests.filter((r) => r.status === 202).map((r) => r.json as { event_action: string; dedup_key: string; payload?: { summary: string } });
    const key = events.find((e) => e.payload?.summary.includes(agent))?.dedup_key;
    return events.filter((e) => key !== undefined && e.dedup_key === key);
  };
  const slackMessages = (agent: string) => slack.requests.filter((r) => r.status === 200 && r.body.includes(agent));

  beforeAll(async () => {
    dir = await scratchDir(join(tmpdir(), 'vigil-pipeline-it-'));
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    pd = await startPagerDuty({ tls: true });
    slack = await startSlack();
    await writeFile(join(dir, 'pd-ca.pem'), pd.ca!);
    await writeFile(join(dir, 'vigil.yaml'), yaml(port));
    await writeFile(join(dir, 'rules.yaml'), 'groups: []\n'); // alerts come through the API only
    child = start();
    await ready();
  }, 60_000);

  afterAll(async () => {
    child?.kill('SIGKILL');
    await pd?.close();
    await slack?.close();
  });

  afterEach(() => {
    if (expect.getState().assertionCalls === 0) console.log(output);
  });

  test('PagerDuty answering 503 for a minute while Slack is healthy: exactly one Slack message; the page goes out once PagerDuty is back', async () => {
    pd.fail(100_000, 503);
    const failingFrom = pd.requests.length;
    const alert = { labels: { alertname: 'AgentErrorRateSpike', agent_id: 'checkout', severity: 'P1' }, annotations: { summary: 'checkout fails 12% of requests' } };
    await post([alert]);
    await waitFor('the first Slack message', () => (slackMessages('checkout').length > 0 ? true : undefined));
    // the source re-sends the firing alert, as Prometheus does, while PagerDuty is down
    for (let waited = 0, down = Number(process.env.PD_DOWN_MS ?? 60_000); waited < down; waited += 10_000) {
      await sleep(Math.min(10_000, down - waited));
      await post([alert]);
    }
    const refused = pd.requests.slice(failingFrom).filter((r) => r.status === 503).length;
    expect(refused).toBeGreaterThan(10); // PagerDuty was asked again and again, every group_interval and in between
    expect(slackMessages('checkout')).toHaveLength(1);
    pd.clearAnswers();
    await waitFor('the page once PagerDuty is back', () => (pdEvents('checkout').length > 0 ? true : undefined));
    await sleep(5_000); // two more group_intervals: nothing else goes out
    expect(pdEvents('checkout').map((e) => e.event_action)).toEqual(['trigger']);
    expect(slackMessages('checkout')).toHaveLength(1);
  }, 120_000);

  test('kill -9 right after the page, a source that never sends again: the resolve goes out at its endsAt, once', async () => {
    const endsAt = new Date(Date.now() + 15_000).toISOString();
    await post([{ labels: { alertname: 'AgentToolFailure', agent_id: 'search', severity: 'P1' }, annotations: { summary: 'search tool fails' }, endsAt }]);
    await waitFor('the page', () => (pdEvents('search').length > 0 ? true : undefined));
    // right after vigil took the answer (its log line), before anything else
    await waitFor('vigil to log the page', () => (output.split('\n').some((l) => l.includes('"notified"') && l.includes('search')) ? true : undefined));
    child!.kill('SIGKILL');
    await new Promise((r) => child!.once('exit', r));
    expect(pdEvents('search').map((e) => e.event_action)).toEqual(['trigger']);
    child = start();
    await ready();
    await waitFor('the resolve after the restart', () => (pdEvents('search').some((e) => e.event_action === 'resolve') ? true : undefined), 40_000);
    await sleep(6_000); // three more group_intervals
    expect(pdEvents('search').map((e) => e.event_action)).toEqual(['trigger', 'resolve']);
    const slackSearch = slackMessages('search').map((r) => r.body);
    expect(slackSearch).toHaveLength(2);
    expect(slackSearch[1]).toMatch(/RESOLVED|resolved/);
  }, 90_000);

  test('kill -9 while the source keeps sending: neither PagerDuty nor Slack is told again', async () => {
    const alert = { labels: { alertname: 'AgentLatency', agent_id: 'billing', severity: 'P1' }, annotations: { summary: 'billing is slow' } };
    await post([alert]);
    await waitFor('the page and the Slack message', () => (pdEvents('billing').length > 0 && slackMessages('billing').length > 0 ? true : undefined));
    await sleep(3_000);
    child!.kill('SIGKILL');
    await new Promise((r) => child!.once('exit', r));
    child = start();
    await ready();
    for (let i = 0; i < 4; i++) {
      await post([alert]);
      await sleep(2_000);
    }
    if (pdEvents('billing').length !== 1) console.log(output.slice(-6000));
    expect(pdEvents('billing').map((e) => e.event_action)).toEqual(['trigger']);
    expect(slackMessages('billing')).toHaveLength(1);
  }, 60_000);
});
