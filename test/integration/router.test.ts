/**
 * The incident router end to end: a real Prometheus pushes its alerts to vigil's
 * /api/v2/alerts, a real Alertmanager posts its webhooks, vigil's own evaluator fires, and
 * vigil routes them by severity to loopback PagerDuty (over TLS) and Slack servers that check
 * the documented contracts. Silences go through the `vigil silence` CLI; a kill -9 restart
 * must not page twice; a broken reload must leave the running config in place.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { scratchDir } from '../support/scratch.js';
import { startPagerDuty, startSlack, type LoopbackReceiver } from '../support/receivers.js';
import { vigil as runVigil } from '../cli/run.js';
import { startGrafana, type LoopbackGrafana } from '../support/grafana.js';
import { startAlertmanager, type AlertmanagerInstance } from './support/alertmanager.js';
import { freePort, requireOrSkip, startPrometheus, type PrometheusInstance } from './support/prometheus.js';
import { sleep, waitFor } from '../support/wait.js';
import { VIGIL } from '../support/vigil-bin.js';

const available = requireOrSkip('the router against a real Prometheus and Alertmanager', ['prometheus', 'promtool', 'prometheus-alertmanager']);
const describeIt = available ? describe : describe.skip;
const TOKEN = 'integration-test-token-0123456789';
const PD_WEBHOOK_SECRET = 'pd-webhook-signing-secret';

/** Slack messages (text and blocks flattened) that mention an agent. */
function slackTexts(slack: LoopbackReceiver): string[] {
  return slack.requests.filter((r) => r.status === 200).map((r) => JSON.stringify(r.json));
}

const OWN_RULES = `groups:
  - name: own
    interval: 1s
    rules:
      - alert: AgentHallucinationTrend
        expr: label_replace(vector(1), "agent_id", "own-evaluator", "", "")
        labels: { severity: P3 }
        annotations: { summary: "hallucinations up on {{ $labels.agent_id }}" }
`;

const PROMETHEUS_RULES = `groups:
  - name: pushed
    interval: 1s
    rules:
      - alert: AgentErrorRateSpike
        expr: vector(0.12)
        labels: { severity: P1, agent_id: checkout }
        annotations:
          summary: "checkout fails {{ $value | humanizePercentage }} of requests"
          runbook_url: https://runbooks.example.org/error-spike
`;

describeIt('the router end to end', () => {
  let prom: PrometheusInstance;
  let am: AlertmanagerInstance;
  let pd: LoopbackReceiver;
  let slack: LoopbackReceiver;
  let grafana: LoopbackGrafana;
  let dir: string;
  let port: number;
  let base: string;
  let child: ChildProcess | undefined;
  let output = '';

  function vigilYaml(extra = ''): string {
    return `datasource: { prometheus: { url: ${prom.url} } }
rule_files: [own-rules.yaml]
storage: { sqlite: { path: data/vigil.db } }
server:
  listen: 127.0.0.1:${port}
  bearer_token_file: token
global: { resolve_timeout: 1m }
route:
  receiver: observe
  group_by: [alertname, agent_id]
  group_wait: 1s
  group_interval: 2s
  repeat_interval: 1h
  routes:
    - { matchers: ['severity="P1"'], receiver: page }
    - { matchers: ['severity="P2"'], receiver: triage }
    - { matchers: ['severity="P3"'], receiver: observe }
receivers:
  - name: page
    pagerduty_configs:
      - routing_key_file: pd-key
        url: ${pd.url}/v2/enqueue
        http_config: { tls_config: { ca_file: pd-ca.pem } }
    slack_configs: [{ webhook_url: "${slack.url}/hooks/page", mention: channel }]
  - name: triage
    slack_configs: [{ webhook_url: "${slack.url}/hooks/triage", mention: here }]
    ticket_configs: [{ kind: local }]
  - name: observe
    slack_configs: [{ webhook_url: "${slack.url}/hooks/observe", mention: none }]
    grafana_annotation_configs: [{ url: "${grafana.url}", token: ${grafana.token}, tags: [agents] }]
inhibit_rules:
  - { source_matchers: ['severity="P1"'], target_matchers: ['severity=~"P2|P3"'], equal: [agent_id] }
feedback: { pagerduty_webhook_secret: ${PD_WEBHOOK_SECRET} }
${extra}`;
  }

  function start(): ChildProcess {
    const c = spawn(process.execPath, [...VIGIL, 'serve', '--config', join(dir, 'vigil.yaml')], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    c.stdout!.on('data', (d) => (output += d));
    c.stderr!.on('data', (d) => (output += d));
    return c;
  }

  async function ready(): Promise<void> {
    await waitFor('vigil /readyz', async () => {
      try {
        return (await fetch(`${base}/readyz`)).ok ? true : undefined;
      } catch {
        return undefined;
      }
    });
  }

  const pdEvents = () => pd.requests.filter((r) => r.status === 202).map((r) => r.json as { dedup_key: string; event_action: string; payload?: { summary: string; severity: string } });

  beforeAll(async () => {
    dir = await scratchDir(join(tmpdir(), 'vigil-router-it-'));
    port = await freePort();
    base = `http://127.0.0.1:${port}`;
    pd = await startPagerDuty({ tls: true });
    slack = await startSlack();
    grafana = await startGrafana();
    await writeFile(join(dir, 'pd-ca.pem'), pd.ca!);
    await writeFile(join(dir, 'pd-key'), 'R0UTINGKEY0123456789abcdef012345\n');
    await writeFile(join(dir, 'token'), TOKEN + '\n');
    await writeFile(join(dir, 'own-rules.yaml'), OWN_RULES);
    prom = await startPrometheus({
      config: {
        global: { evaluation_interval: '1s' },
        rule_files: ['rules.yml'],
        alerting: { alertmanagers: [{ api_version: 'v2', authorization: { credentials: TOKEN }, static_configs: [{ targets: [`127.0.0.1:${port}`] }] }] },
      },
      files: { 'rules.yml': PROMETHEUS_RULES },
      // the first send races Alertmanager discovery and is dropped; re-send every second, not every minute
      args: ['--rules.alert.resend-delay=1s'],
    });
    am = await startAlertmanager({
      route: { receiver: 'vigil', group_by: ['...'], group_wait: '0s', group_interval: '1s', repeat_interval: '1h' },
      receivers: [{ name: 'vigil', webhook_configs: [{ url: `${base}/api/v1/webhooks/alertmanager`, http_config: { authorization: { credentials: TOKEN } } }] }],
    });
    await writeFile(join(dir, 'vigil.yaml'), vigilYaml());
    child = start();
    await ready();
  }, 90_000);

  afterAll(async () => {
    child?.kill('SIGKILL');
    await Promise.all([prom?.stop(), am?.stop(), pd?.close(), slack?.close(), grafana?.close()]);
  });

  afterEach(() => {
    if (expect.getState().assertionCalls === 0) console.log(output.slice(-4000));
  });

  test("Prometheus' pushed P1 pages PagerDuty over TLS (trigger, critical) and pings Slack with @channel", async () => {
    const [event] = await waitFor('a PagerDuty trigger', () => (pdEvents().length ? pdEvents() : undefined));
    expect(event.event_action).toBe('trigger');
    expect(event.payload!.severity).toBe('critical');
    expect(event.payload!.summary).toContain('checkout');
    expect(event.dedup_key).toMatch(/^[0-9a-f]{64}$/);
    const page = await waitFor('the Slack page', () => slack.requests.find((r) => r.path === '/hooks/page' && r.status === 200));
    expect(JSON.stringify(page.json)).toContain('<!channel>');
    expect(JSON.stringify(page.json)).toContain('12%');
  }, 60_000);

  test("vigil's own evaluator fires a P3 that reaches Slack without a ping", async () => {
    const msg = await waitFor('the Slack observe message', () => slack.requests.find((r) => r.path === '/hooks/observe' && r.status === 200 && JSON.stringify(r.json).includes('own-evaluator')));
    const text = JSON.stringify(msg.json);
    expect(text).not.toMatch(/<!channel>|<!here>/);
    expect(text).toContain('hallucinations up on own-evaluator');
    // and it is marked on Grafana's dashboards, as an annotation region that is still open
    const annotation = await waitFor('the Grafana annotation', () => [...grafana.annotations.values()].find((a) => a.tags.includes('agent_id:own-evaluator')));
    expect(annotation.tags).toEqual(expect.arrayContaining(['alertname:AgentHallucinationTrend', 'severity:P3', 'agents', 'vigil']));
    expect(annotation.timeEnd).toBe(annotation.time); // a point until the group resolves and PATCH sets timeEnd
  }, 60_000);

  test("Alertmanager's webhook brings a P2 to Slack @here; the P2 of the agent whose P1 fires is inhibited", async () => {
    const now = new Date().toISOString();
    await am.postAlerts([
      { labels: { alertname: 'AgentToolFailure', severity: 'P2', agent_id: 'checkout', tool_name: 'refund' }, startsAt: now },
      { labels: { alertname: 'AgentToolFailure', severity: 'P2', agent_id: 'search', tool_name: 'web' }, annotations: { summary: 'web tool fails for search' }, startsAt: now },
    ]);
    const triage = await waitFor('the Slack triage message', () => slack.requests.find((r) => r.path === '/hooks/triage' && r.status === 200));
    const text = JSON.stringify(triage.json);
    expect(text).toContain('<!here>');
    expect(text).toContain('search');
    // both alerts reached vigil; the checkout one is held back by its agent's P1
    const alerts = await waitFor('both P2s in vigil', async () => {
      const list = (await (await fetch(`${base}/api/v2/alerts`)).json()) as { labels: Record<string, string>; status: { state: string; inhibitedBy: string[] } }[];
      const p2 = list.filter((a) => a.labels.severity === 'P2');
      return p2.length === 2 ? p2 : undefined;
    });
    const checkout = alerts.find((a) => a.labels.agent_id === 'checkout')!;
    expect(checkout.status.state).toBe('suppressed');
    expect(checkout.status.inhibitedBy).toHaveLength(1);
    await sleep(4000); // two group_intervals: the inhibited one never goes out
    expect(slackTexts(slack).filter((t) => t.includes('refund'))).toEqual([]);
    // the P2 that went out is a ticket (kind local: in vigil's Store), the inhibited one is not
    const tickets = (await (await fetch(`${base}/api/v1/tickets?status=open`)).json()) as { data: { title: string; severity: string }[] };
    expect(tickets.data.map((t) => t.title)).toEqual([expect.stringContaining('agent_id=search')]);
    expect(tickets.data[0].severity).toBe('P2');
  }, 60_000);

  test('a silence added with `vigil silence add` mutes an alert; `list` shows it and `expire` ends it', async () => {
    const auth = ['--url', base, '--token-file', join(dir, 'token')];
    const add = await runVigil(['silence', 'add', 'agent_id="billing"', '--comment', 'migrating billing', '--author', 'ann', '--duration', '1h', ...auth], dir);
    expect(add.stderr).toBe('');
    expect(add.code).toBe(0);
    const id = add.stdout.trim();
    const now = new Date().toISOString();
    await am.postAlerts([
      { labels: { alertname: 'AgentTokenCostSurge', severity: 'P2', agent_id: 'billing' }, startsAt: now },
      { labels: { alertname: 'AgentTokenCostSurge', severity: 'P2', agent_id: 'ledger' }, startsAt: now },
    ]);
    await waitFor('the ledger message', () => slackTexts(slack).find((t) => t.includes('ledger')));
    await sleep(3000);
    expect(slackTexts(slack).filter((t) => t.includes('billing'))).toEqual([]);
    const list = await runVigil(['silence', 'list', '-o', 'json', ...auth], dir);
    expect(list.code).toBe(0);
    expect((JSON.parse(list.stdout) as { id: string; createdBy: string }[]).map((s) => [s.id, s.createdBy])).toEqual([[id, 'ann']]);
    const expire = await runVigil(['silence', 'expire', id, ...auth], dir);
    expect(expire.code).toBe(0);
    // unsilenced, it goes out at the group's next flush
    await waitFor('the billing message after the silence ended', () => slackTexts(slack).find((t) => t.includes('billing')), 20_000);
  }, 60_000);

  test("the page's Slack 'noise' link and PagerDuty's acknowledgement webhook land in the alert history", async () => {
    const page = await waitFor('the Slack page', () => slack.requests.find((r) => r.path === '/hooks/page' && r.status === 200));
    const noise = /<(http:[^|>]+\/api\/v1\/feedback\/[^|>]+)\|No, noise>/.exec(JSON.stringify(page.json))?.[1];
    expect(noise).toBeDefined();
    const click = await fetch(noise!.replace(/&amp;/g, '&'));
    expect(click.status).toBe(200);

    const [event] = pdEvents();
    const body = JSON.stringify({
      event: {
        id: 'EVT-1',
        event_type: 'incident.acknowledged',
        resource_type: 'incident',
        occurred_at: new Date().toISOString(),
        agent: { summary: 'Ann On-Call', type: 'user_reference' },
        data: { id: 'PINC1', type: 'incident', status: 'acknowledged', incident_key: event.dedup_key, title: event.payload!.summary },
      },
    });
    const signature = `v1=${createHmac('sha256', PD_WEBHOOK_SECRET).update(body).digest('hex')}`;
    const forged = await fetch(`${base}/api/v1/webhooks/pagerduty`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-pagerduty-signature': 'v1=00' }, body });
    expect(forged.status).toBe(401);
    const ack = await fetch(`${base}/api/v1/webhooks/pagerduty`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-pagerduty-signature': signature }, body });
    expect(ack.status).toBe(200);

    const history = (await (await fetch(`${base}/api/v1/alerts/history?alertname=AgentErrorRateSpike&kind=feedback,acknowledged`)).json()) as { data: { kind: string; source: string; detail: Record<string, unknown> }[] };
    expect(history.data.map((e) => [e.kind, e.source])).toEqual([
      ['acknowledged', 'pagerduty'],
      ['feedback', 'link'],
    ]);
    expect(history.data[1].detail).toMatchObject({ verdict: 'noise' });
    expect(history.data[0].detail).toMatchObject({ by: 'Ann On-Call' });
  }, 60_000);

  test('kill -9 and restart: the P1 that already paged is not paged again', async () => {
    await waitFor('the first page', () => (pdEvents().length ? true : undefined));
    const before = pdEvents().filter((e) => e.event_action === 'trigger').length;
    child!.kill('SIGKILL');
    await new Promise((r) => child!.once('exit', r));
    child = start();
    await ready();
    // Prometheus re-sends the alert within seconds; give the new groups group_wait and two group_intervals
    await waitFor('vigil to hold the P1 again', async () => {
      const list = (await (await fetch(`${base}/api/v2/alerts`)).json()) as { labels: Record<string, string> }[];
      return list.some((a) => a.labels.agent_id === 'checkout' && a.labels.severity === 'P1') ? true : undefined;
    });
    await sleep(6000);
    expect(pdEvents().filter((e) => e.event_action === 'trigger')).toHaveLength(before);
  }, 60_000);

  test('a reload that fails keeps the running config; one that works applies at once', async () => {
    const good = await readFile(join(dir, 'vigil.yaml'), 'utf8');
    await writeFile(join(dir, 'vigil.yaml'), good.replace('receiver: observe\n  group_by', 'receiver: nobody\n  group_by'));
    const bad = await fetch(`${base}/-/reload`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } });
    expect(bad.status).toBe(500);
    expect(await bad.text()).toMatch(/vigil\.yaml:\d+:\d+: route\.receiver: .*nobody/);
    expect((await fetch(`${base}/readyz`)).ok).toBe(true);

    // the fixed config sends P3 alerts to triage instead of observe
    await writeFile(join(dir, 'vigil.yaml'), good.replace(`- { matchers: ['severity="P3"'], receiver: observe }`, `- { matchers: ['severity="P3"'], receiver: triage }`));
    const unauthorized = await fetch(`${base}/-/reload`, { method: 'POST' });
    expect(unauthorized.status).toBe(401);
    const ok = await fetch(`${base}/-/reload`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } });
    expect(ok.status).toBe(200);
    await waitFor('the P3 in triage', () => slack.requests.find((r) => r.path === '/hooks/triage' && JSON.stringify(r.json).includes('own-evaluator')), 20_000);

    // SIGHUP reloads too; a broken file is logged and the running config stays
    const fixed = await readFile(join(dir, 'vigil.yaml'), 'utf8');
    await writeFile(join(dir, 'vigil.yaml'), fixed.replace('group_wait: 1s', 'group_wait: soon'));
    child!.kill('SIGHUP');
    await waitFor('the failed SIGHUP reload in the log', () => (/"how":"SIGHUP".*reload failed|reload failed.*"how":"SIGHUP"/.test(output) ? true : undefined));
    expect(output).toMatch(/route\.group_wait: \\"soon\\" is not a duration/);
    expect((await fetch(`${base}/readyz`)).ok).toBe(true);
    await writeFile(join(dir, 'vigil.yaml'), fixed);
    expect(output).not.toContain(TOKEN);
    expect(output).not.toContain('R0UTINGKEY');
  }, 60_000);
});
