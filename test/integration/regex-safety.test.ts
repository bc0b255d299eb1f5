/**
 * User-supplied regexes cannot stall vigil: patterns that take a backtracking engine exponential
 * time (`(a+)+b`, `(x+x+)+y`, `(.*a){20}`) meet long inputs through every entry point of
 * `vigil serve` — a silence posted to the API, a route matcher and an inhibit rule in vigil.yaml,
 * a rule annotation's reReplaceAll, GET /api/v2/alerts' filter and receiver parameters — and
 * the service keeps answering /healthz while normal patterns keep their answers.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { scratchDir } from '../support/scratch.js';
import { startSlack, type LoopbackReceiver } from '../support/receivers.js';
import { vigil as runVigil } from '../cli/run.js';
import { freePort, requireOrSkip, startPrometheus, type PrometheusInstance } from './support/prometheus.js';
import { waitFor } from '../support/wait.js';
import { VIGIL } from '../support/vigil-bin.js';

const available = requireOrSkip('catastrophic regexes against vigil serve and a real Prometheus');
const describeIt = available ? describe : describe.skip;

// 2^44 paths for a backtracking `(a+)+b`; linear for RE2
const LONG_A = 'a'.repeat(44) + 'c';
const LONG_X = 'x'.repeat(40);
const HUGE_A = 'a'.repeat(20_000) + 'c';

const RULES = `groups:
  - name: templated
    interval: 1s
    rules:
      - alert: AgentTemplated
        expr: label_replace(vector(1), "agent_id", "${LONG_A}", "", "")
        labels: { severity: P3 }
        annotations:
          summary: 'kept {{ reReplaceAll "(a+)+b" "X" $labels.agent_id }} replaced {{ reReplaceAll "a+c$" "Y" $labels.agent_id }} match {{ match "(.*a){20}c$" $labels.agent_id }}'
`;

interface GettableAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  status: { state: string; silencedBy: string[]; inhibitedBy: string[] };
}

describeIt('catastrophic regexes through every entry point', () => {
  let prom: PrometheusInstance;
  let slack: LoopbackReceiver;
  let dir: string;
  let base: string;
  let child: ChildProcess | undefined;
  let output = '';

  const healthy = async () => {
    const res = await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(5_000) });
    return res.status;
  };
  const getAlerts = async (query: string): Promise<GettableAlert[]> => {
    const res = await fetch(`${base}/api/v2/alerts?${query}`, { signal: AbortSignal.timeout(5_000) });
    expect(res.status).toBe(200);
    return (await res.json()) as GettableAlert[];
  };
  const post = (path: string, body: unknown) =>
    fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal: AbortSignal.timeout(5_000) });
  const silence = (matchers: { name: string; value: string; isRegex: boolean }[]) =>
    post('/api/v2/silences', {
      matchers: matchers.map((m) => ({ ...m, isEqual: true })),
      startsAt: new Date(Date.now() - 1000).toISOString(),
      endsAt: new Date(Date.now() + 3_600_000).toISOString(),
      createdBy: 'test',
      comment: 'regex safety',
    });

  beforeAll(async () => {
    dir = await scratchDir(join(tmpdir(), 'vigil-regex-it-'));
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    slack = await startSlack();
    prom = await startPrometheus();
    await writeFile(join(dir, 'rules.yaml'), RULES);
    await writeFile(
      join(dir, 'vigil.yaml'),
      `datasource: { prometheus: { url: ${prom.url} } }
rule_files: [rules.yaml]
server: { listen: 127.0.0.1:${port} }
route:
  receiver: normal
  group_by: [alertname, agent_id]
  group_wait: 1s
  group_interval: 2s
  repeat_interval: 1h
  routes:
    - { matchers: ['agent_id=~"(a+)+b"'], receiver: trap }
    - { matchers: ['agent_id=~"(x+x+)+y"'], receiver: trap }
    - { matchers: ['agent_id=~"a+c"', 'alertname="AgentRouted"'], receiver: routed }
receivers:
  - name: normal
    slack_configs: [{ webhook_url: "${slack.url}/hooks/normal", mention: none }]
  - name: trap
    slack_configs: [{ webhook_url: "${slack.url}/hooks/trap", mention: none }]
  - name: routed
    slack_configs: [{ webhook_url: "${slack.url}/hooks/routed", mention: none }]
inhibit_rules:
  - { source_matchers: ['agent_id=~"(.*a){20}c"'], target_matchers: ['severity="P2"'], equal: [] }
  - { source_matchers: ['alertname="AgentSource"', 'agent_id=~"x+"'], target_matchers: ['alertname="AgentTarget"'], equal: [] }
`,
    );
    child = spawn(process.execPath, [...VIGIL, 'serve', '--config', join(dir, 'vigil.yaml')], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (d) => (output += d));
    child.stderr!.on('data', (d) => (output += d));
    await waitFor('vigil /readyz', async () => {
      try {
        return (await fetch(`${base}/readyz`)).ok ? true : undefined;
      } catch {
        return undefined;
      }
    });
  }, 90_000);

  afterAll(async () => {
    child?.kill('SIGKILL');
    await Promise.all([prom?.stop(), slack?.close()]);
  });

  afterEach(() => {
    if (expect.getState().assertionCalls === 0) console.log(output.slice(-4000));
  });

  test('silences, routes and inhibit rules meet long label values; vigil answers and matches as before', async () => {
    expect((await silence([{ name: 'agent_id', value: '(a+)+b', isRegex: true }])).status).toBe(200);
    expect((await silence([{ name: 'agent_id', value: '(x+x+)+y', isRegex: true }])).status).toBe(200);
    // a normal pattern that does match: this one silences AgentSilenced
    const matching = await silence([{ name: 'alertname', value: 'AgentSilenc.d', isRegex: true }]);
    expect(matching.status).toBe(200);
    const { silenceID } = (await matching.json()) as { silenceID: string };

    const startsAt = new Date().toISOString();
    const res = await post('/api/v2/alerts', [
      { labels: { alertname: 'AgentLong', severity: 'P2', agent_id: LONG_A }, startsAt },
      { labels: { alertname: 'AgentLongX', severity: 'P3', agent_id: LONG_X }, startsAt },
      { labels: { alertname: 'AgentHuge', severity: 'P3', agent_id: HUGE_A }, startsAt },
      { labels: { alertname: 'AgentRouted', severity: 'P3', agent_id: 'aaac' }, startsAt },
      { labels: { alertname: 'AgentSilenced', severity: 'P3', agent_id: 'quiet' }, startsAt },
      { labels: { alertname: 'AgentSource', severity: 'P3', agent_id: 'xxx' }, startsAt },
      { labels: { alertname: 'AgentTarget', severity: 'P3', agent_id: 'target' }, startsAt },
    ]);
    expect(res.status).toBe(200);
    expect(await healthy()).toBe(200);

    const alerts = await getAlerts('');
    const byName = (n: string) => alerts.find((a) => a.labels.alertname === n)!;
    // no catastrophic silence matched; the normal one did
    expect(byName('AgentLong').status.silencedBy).toEqual([]);
    expect(byName('AgentLongX').status.silencedBy).toEqual([]);
    expect(byName('AgentHuge').status.silencedBy).toEqual([]);
    expect(byName('AgentSilenced').status.silencedBy).toEqual([silenceID]);
    // `(.*a){20}c` needs 20 a's then c: AgentHuge (20k) is a source, so the P2 AgentLong is inhibited
    expect(byName('AgentLong').status.inhibitedBy.length).toBeGreaterThan(0);
    expect(byName('AgentTarget').status.inhibitedBy.length).toBeGreaterThan(0);

    // the routes with catastrophic patterns never match; the normal one still routes
    await waitFor('the routed Slack message', () => slack.requests.find((r) => r.path === '/hooks/routed' && r.status === 200));
    await waitFor('the Slack message for the long x label', () => slack.requests.find((r) => r.path === '/hooks/normal' && r.body.includes('AgentLongX')));
    expect(slack.requests.filter((r) => r.path === '/hooks/trap')).toEqual([]);
    expect(await healthy()).toBe(200);
  }, 60_000);

  test('GET /api/v2/alerts filter and receiver parameters with catastrophic patterns', async () => {
    await waitFor('the posted alerts', async () => ((await getAlerts('')).some((a) => a.labels.alertname === 'AgentHuge') ? true : undefined));
    expect(await getAlerts(`filter=${encodeURIComponent('agent_id=~"(a+)+b"')}`)).toEqual([]);
    expect(await getAlerts(`filter=${encodeURIComponent('agent_id=~"(.*a){20}c"')}&filter=${encodeURIComponent('alertname="AgentHuge"')}`)).toHaveLength(1);
    expect(await getAlerts(`receiver=${encodeURIComponent('(x+x+)+y')}`)).toEqual([]);
    const routed = await getAlerts(`receiver=${encodeURIComponent('rout(e|i)d')}`);
    expect(routed.map((a) => a.labels.alertname)).toEqual(['AgentRouted']);
    expect(await healthy()).toBe(200);
  }, 30_000);

  test("a rule annotation's reReplaceAll and match on a long label value", async () => {
    const msg = await waitFor('the templated alert', async () => (await getAlerts(`filter=${encodeURIComponent('alertname="AgentTemplated"')}`))[0]);
    expect(msg.annotations.summary).toBe(`kept ${LONG_A} replaced Y match true`);
    expect(await healthy()).toBe(200);
  }, 30_000);

  test('vigil check takes a catastrophic PromQL matcher and answers at once', async () => {
    await writeFile(
      join(dir, 'check-rules.yaml'),
      `groups:
  - name: g
    rules:
      - alert: A
        expr: up{job=~"(a+)+b", instance!~"(x+x+)+y"} == 0
        labels: { severity: P3 }
        annotations: { summary: '{{ reReplaceAll "(.*a){20}" "x" "${LONG_A}" }}' }
`,
    );
    const r = await runVigil(['check', join(dir, 'check-rules.yaml')], dir);
    expect(r.stderr + r.stdout).not.toMatch(/error/i);
    expect(r.code).toBe(0);
  }, 30_000);
});
