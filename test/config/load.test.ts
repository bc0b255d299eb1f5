import { writeFile } from 'node:fs/promises';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { scratchDir } from '../support/scratch.js';
import { join } from 'node:path';
import { ConfigError, parseConfig } from '../../src/config/index.js';

function errors(text: string, env: Record<string, string> = {}): string[] {
  try {
    parseConfig('vigil.yaml', text, env);
  } catch (err) {
    if (err instanceof ConfigError) return err.message.split('\n');
    throw err;
  }
  return [];
}

const defaultHttp = { ca: undefined, insecureSkipVerify: false, timeoutMs: 10_000 };

describe('vigil.yaml', () => {
  test('defaults fill what is not set; relative paths resolve against the file', () => {
    const c = parseConfig('/etc/vigil/vigil.yaml', 'datasource:\n  prometheus:\n    url: http://prom:9090\n', {});
    expect(c.datasource.prometheus).toEqual({ url: 'http://prom:9090', headers: {}, timeoutMs: 30_000, retries: 3, bearerToken: undefined, basicAuth: undefined });
    expect(c.ruleFiles).toEqual(['/etc/vigil/rules']);
    expect(c.storage.sqlite.path).toBe('/etc/vigil/data/vigil.db');
    expect(c.server).toEqual({ host: '127.0.0.1', port: 9095, externalURL: 'http://127.0.0.1:9095', bearerToken: undefined, maxRequestBytes: 4 * 1024 * 1024 });
    expect(c.global).toEqual({ resolveTimeoutMs: 300_000, flapping: { minRefires: 3, windowMs: 3_600_000 } });
    expect(c.history).toEqual({ retentionMs: 90 * 24 * 3_600_000 });
    expect(c.report).toEqual({
      schedule: '0 9 * * 1',
      timeZone: 'UTC',
      receiver: undefined,
      outDir: '/etc/vigil/reports',
      workingHours: { start: '09:00', end: '18:00', days: ['mon', 'tue', 'wed', 'thu', 'fri'] },
    });
    expect(c.evaluation).toEqual({ externalLabels: {}, outageToleranceMs: 3_600_000, datasourceDownAfter: 3 });
  });

  test('${VAR} comes from the environment; $${ is a literal', () => {
    const c = parseConfig('v.yaml', 'datasource:\n  prometheus:\n    url: ${PROM_URL}\n    headers: { X-Note: "$${not-a-var}" }\n', { PROM_URL: 'http://10.0.0.1:9090' });
    expect(c.datasource.prometheus!.url).toBe('http://10.0.0.1:9090');
    expect(c.datasource.prometheus!.headers).toEqual({ 'X-Note': '${not-a-var}' });
  });

  test('an unset variable, an unknown key and a bad duration are all reported with their lines', () => {
    const text = `datasource:
  prometheus:
    url: \${PROM_URL}
    timout: 5s
evaluation:
  outage_tolerance: an hour
`;
    expect(errors(text)).toEqual([
      'vigil.yaml:3:10: datasource.prometheus.url: environment variable PROM_URL is not set',
      'vigil.yaml:4:5: datasource.prometheus.timout: unknown field "timout" (did you mean "timeout"?)',
    ]);
    expect(errors(text.replace('    timout: 5s\n', ''), { PROM_URL: 'http://p:9090' })).toEqual([
      'vigil.yaml:5:21: evaluation.outage_tolerance: "an hour" is not a duration (e.g. 5m, 1h30m)',
    ]);
  });

  test('an unset variable inside lists is named with its [i] indexes', () => {
    const text = `datasource: { prometheus: { url: http://p:9090 } }
route: { receiver: page }
receivers:
  - name: page
    pagerduty_configs:
      - routing_key: \${PD_KEY}
    slack_configs: [{ webhook_url: \${SLACK_URL} }]
`;
    expect(errors(text)).toEqual([
      'vigil.yaml:6:22: receivers[0].pagerduty_configs[0].routing_key: environment variable PD_KEY is not set',
      'vigil.yaml:7:36: receivers[0].slack_configs[0].webhook_url: environment variable SLACK_URL is not set',
    ]);
  });

  test('original: the config as loaded, secrets shown as <secret>, for /api/v2/status', () => {
    const c = parseConfig(
      'vigil.yaml',
      `datasource: { prometheus: { url: "http://u:pw@p:9090", bearer_token: \${PROM_TOKEN}, headers: { X-Key: k } } }
route: { receiver: page, group_by: [alertname] }
receivers:
  - name: page
    pagerduty_configs: [{ routing_key: \${PD_KEY} }]
    slack_configs: [{ webhook_url: "https://hooks.slack.com/services/T/B/x", mention: channel }]
    webhook_configs: [{ url: "https://hook.example.org/?token=abc" }]
server: { bearer_token: server-token }
`,
      { PROM_TOKEN: 'prom-secret', PD_KEY: 'pd-secret-key' },
    );
    for (const secret of ['pw', 'prom-secret', 'pd-secret-key', 'hooks.slack.com', 'token=abc', 'server-token', 'X-Key: k']) {
      expect(c.original).not.toContain(secret);
    }
    expect(c.original).toContain('url: http://***@p:9090');
    expect(c.original).toContain('routing_key: <secret>');
    expect(c.original).toContain('webhook_url: <secret>');
    expect(c.original).toContain('mention: channel');
    expect(c.original).toContain('group_by:\n    - alertname');
  });

  test('secrets come from *_file, never both ways at once', async () => {
    const dir = await scratchDir(join(tmpdir(), 'vigil-config-'));
    await writeFile(join(dir, 'token'), 's3cret\n');
    const c = parseConfig(join(dir, 'vigil.yaml'), 'datasource:\n  prometheus:\n    url: http://p:9090\n    bearer_token_file: token\n', {});
    expect(c.datasource.prometheus!.bearerToken).toBe('s3cret');
    expect(errors('datasource:\n  prometheus:\n    url: http://p:9090\n    bearer_token: a\n    bearer_token_file: /nonexistent\n')).toEqual([
      'vigil.yaml:5:24: datasource.prometheus.bearer_token_file: set either bearer_token or bearer_token_file, not both',
    ]);
    expect(errors('datasource:\n  prometheus:\n    url: http://p:9090\n    bearer_token_file: /nonexistent/token\n')).toEqual([
      'vigil.yaml:4:24: datasource.prometheus.bearer_token_file: cannot read secret file "/nonexistent/token": ENOENT',
    ]);
  });

  test('a URL that is not http(s) and a listen address that is not host:port are errors; credentials are not echoed', () => {
    expect(errors('datasource:\n  prometheus:\n    url: ftp://user:pw@host\nserver:\n  listen: localhost\n')).toEqual([
      'vigil.yaml:3:10: datasource.prometheus.url: "ftp://***@host" is not an http(s) URL',
      'vigil.yaml:5:11: server.listen: "localhost" is not host:port (e.g. 127.0.0.1:9095)',
    ]);
  });
});

describe('vigil.yaml routing, in Alertmanager words', () => {
  const EXAMPLE = `datasource: { prometheus: { url: http://127.0.0.1:9090 } }
rule_files: [rules/*.yaml]
route:
  receiver: observe
  group_by: [alertname, agent_id]
  group_wait: 30s
  group_interval: 5m
  repeat_interval: 4h
  routes:
    - { matchers: ['severity="P1"'], receiver: page }
    - { matchers: ['severity="P2"'], receiver: triage }
    - { matchers: ['severity="P3"'], receiver: observe }
receivers:
  - name: page
    pagerduty_configs: [{ routing_key: \${PAGERDUTY_ROUTING_KEY} }]
    slack_configs: [{ webhook_url: \${SLACK_WEBHOOK_URL}, mention: channel }]
  - name: triage
    slack_configs: [{ webhook_url: \${SLACK_WEBHOOK_URL}, mention: here }]
  - name: observe
    slack_configs: [{ webhook_url: \${SLACK_WEBHOOK_URL}, mention: none }]
inhibit_rules:
  - { source_matchers: ['severity="P1"'], target_matchers: ['severity=~"P2|P3"'], equal: [agent_id] }
`;
  const env = { PAGERDUTY_ROUTING_KEY: 'a'.repeat(32), SLACK_WEBHOOK_URL: 'https://hooks.slack.example/T/B/x' };

  test("the issue's example config loads: tree, receivers with secrets from the environment, inhibit rules", () => {
    const c = parseConfig('vigil.yaml', EXAMPLE, env);
    expect(c.route!.options).toEqual({ receiver: 'observe', groupBy: ['alertname', 'agent_id'], groupWaitMs: 30_000, groupIntervalMs: 300_000, repeatIntervalMs: 14_400_000 });
    expect(c.route!.routes.map((r) => [r.options.receiver, r.options.groupWaitMs])).toEqual([
      ['page', 30_000],
      ['triage', 30_000],
      ['observe', 30_000],
    ]);
    expect(c.receivers[0]).toEqual({
      name: 'page',
      rateLimit: undefined,
      stormThreshold: undefined,
      pagerduty: [{ routingKey: 'a'.repeat(32), url: 'https://events.pagerduty.com/v2/enqueue', sendResolved: true, http: defaultHttp }],
      slack: [{ webhookUrl: env.SLACK_WEBHOOK_URL, mention: 'channel', channel: undefined, maxAlerts: 10, sendResolved: true, http: defaultHttp }],
      webhook: [],
      ticket: [],
      grafana: [],
    });
    expect(c.inhibitRules).toHaveLength(1);
    expect(c.inhibitRules[0].equal).toEqual(['agent_id']);
  });

  test('shape mistakes are reported at their line: a typo in a key, a value outside its enum', () => {
    const broken = EXAMPLE.replace('  - name: triage\n    slack_configs', '  - name: triage\n    slack_config').replace('mention: none', 'mention: nobody');
    expect(errors(broken, env)).toEqual([
      'vigil.yaml:18:5: receivers[1].slack_config: unknown field "slack_config" (did you mean "slack_configs"?)',
      'vigil.yaml:20:67: receivers[2].slack_configs[0].mention: must be one of channel, here, none',
    ]);
  });

  test('meaning mistakes are reported at their line: unknown receiver, bad matcher, missing secret', () => {
    const unknownReceiver = EXAMPLE.replace('receiver: triage }', 'receiver: triag }').replace(
      'pagerduty_configs: [{ routing_key: ${PAGERDUTY_ROUTING_KEY} }]',
      'pagerduty_configs: [{ url: https://pd.example/v2/enqueue }]',
    );
    expect(errors(unknownReceiver, env)).toEqual([
      expect.stringMatching(/^vigil.yaml:11:\d+: route.routes\[1\].receiver: .*"triag"/),
      'vigil.yaml:15:25: receivers[0].pagerduty_configs[0]: missing routing_key (or routing_key_file)',
    ]);
    const badMatcher = EXAMPLE.replace(`['severity="P3"']`, `['severity=="P3"']`);
    expect(errors(badMatcher, env)).toEqual([expect.stringMatching(/^vigil.yaml:12:\d+: route.routes\[2\].matchers\[0\]: /)]);
  });
});

describe('vigil.yaml delivery settings', () => {
  const base = 'datasource:\n  prometheus:\n    url: http://p:9090\n';
  test('volume guards, http_config and the server token load; a CA file is read', async () => {
    const dir = await scratchDir(join(tmpdir(), 'vigil-config-'));
    writeFileSync(join(dir, 'ca.pem'), '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
    writeFileSync(join(dir, 'token'), 's3cret\n');
    const text =
      base +
      'server:\n  bearer_token_file: token\n  max_request_bytes: 65536\n' +
      'global:\n  resolve_timeout: 2m\n  flapping: { min_refires: 4, window: 30m }\n' +
      'receivers:\n  - name: page\n    rate_limit: { max: 6, per: 1h }\n    storm_threshold: 25\n' +
      '    pagerduty_configs:\n      - routing_key: k\n        url: https://127.0.0.1:8443/v2/enqueue\n' +
      '        http_config: { timeout: 3s, tls_config: { ca_file: ca.pem } }\n';
    const c = parseConfig(join(dir, 'vigil.yaml'), text, {});
    expect(c.server.bearerToken).toBe('s3cret');
    expect(c.server.maxRequestBytes).toBe(65536);
    expect(c.global).toEqual({ resolveTimeoutMs: 120_000, flapping: { minRefires: 4, windowMs: 1_800_000 } });
    expect(c.receivers[0].rateLimit).toEqual({ max: 6, perMs: 3_600_000 });
    expect(c.receivers[0].stormThreshold).toBe(25);
    expect(c.receivers[0].pagerduty[0].http).toEqual({ ca: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----', insecureSkipVerify: false, timeoutMs: 3000 });
  });

  test('flapping can be turned off; a bad duration or URL names its line', () => {
    expect(parseConfig('v.yaml', base + 'global:\n  flapping: { enabled: false }\n', {}).global.flapping).toBeUndefined();
    const text = base + 'receivers:\n  - name: r\n    rate_limit: { max: 2, per: soon }\n    slack_configs: [{ webhook_url: "hooks.slack.com/x" }]\n';
    expect(errors(text)).toEqual([
      expect.stringMatching(/^vigil.yaml:6:\d+: receivers\[0\]\.rate_limit\.per: /),
      expect.stringMatching(/^vigil.yaml:7:\d+: receivers\[0\]\.slack_configs\[0\]\.webhook_url: "hooks.slack.com\/x" is not an http\(s\) URL/),
    ]);
  });
});

describe('vigil.yaml tickets, annotations, feedback and the report', () => {
  const base = 'datasource:\n  prometheus:\n    url: http://p:9090\n';
  test('ticket and Grafana configs load with their defaults; secrets come from the environment', () => {
    const text =
      base +
      'receivers:\n  - name: triage\n    ticket_configs:\n      - {}\n' +
      '      - { kind: jira, url: "https://acme.atlassian.net/", project: OPS, email: ops@acme.io, api_token: "${JIRA_TOKEN}", reopen_window: 2h }\n' +
      '      - { kind: github, repo: acme/agents, token: "${GH_TOKEN}", labels: [alert] }\n' +
      '    grafana_annotation_configs: [{ url: "https://grafana.acme.io", token: "${GRAFANA_TOKEN}", dashboard_uid: abc, panel_id: 2 }]\n' +
      'report: { schedule: "30 8 * * 1", time_zone: Europe/Berlin, receiver: triage }\n';
    const c = parseConfig('/etc/vigil/vigil.yaml', text, { JIRA_TOKEN: 'jt', GH_TOKEN: 'gt', GRAFANA_TOKEN: 'glsa_x' });
    const [local, jira, github] = c.receivers[0].ticket;
    expect(local).toMatchObject({ kind: 'local', url: undefined, reopenWindowMs: 86_400_000, autoResolve: true });
    expect(jira).toMatchObject({ kind: 'jira', url: 'https://acme.atlassian.net', project: 'OPS', issueType: 'Task', apiToken: 'jt', resolveTransition: 'Done', reopenWindowMs: 7_200_000 });
    expect(jira.priorities).toEqual({ P1: 'Highest', P2: 'High', P3: 'Medium' });
    expect(github).toMatchObject({ kind: 'github', url: 'https://api.github.com', repo: 'acme/agents', token: 'gt', labels: ['alert'] });
    expect(c.receivers[0].grafana).toEqual([{ url: 'https://grafana.acme.io', token: 'glsa_x', dashboardUid: 'abc', panelId: 2, tags: [], http: defaultHttp }]);
    expect(c.report).toMatchObject({ schedule: '30 8 * * 1', timeZone: 'Europe/Berlin', receiver: 'triage' });
  });

  test('what a ticket kind needs, a bad schedule, time zone or report receiver are named at their line', () => {
    const text =
      base +
      'receivers:\n  - name: triage\n    ticket_configs:\n      - { kind: jira, url: "https://x.atlassian.net", api_token: t }\n      - { kind: local, repo: a/b }\n' +
      'report:\n  schedule: "every monday"\n  time_zone: Mars/Olympus\n  receiver: nobody\n';
    expect(errors(text)).toEqual([
      expect.stringMatching(/^vigil.yaml:7:\d+: receivers\[0\]\.ticket_configs\[0\]: a jira ticket config needs project/),
      expect.stringMatching(/^vigil.yaml:7:\d+: receivers\[0\]\.ticket_configs\[0\]: a jira ticket config needs email/),
      expect.stringMatching(/^vigil.yaml:8:\d+: receivers\[0\]\.ticket_configs\[1\]\.repo: a local ticket config takes no repo/),
      expect.stringMatching(/^vigil.yaml:10:\d+: report\.schedule: "every monday" is not a cron expression/),
      expect.stringMatching(/^vigil.yaml:11:\d+: report\.time_zone: "Mars\/Olympus" is not an IANA time zone/),
      expect.stringMatching(/^vigil.yaml:12:\d+: report\.receiver: no receiver named "nobody"/),
    ]);
  });

  test('a Grafana config without url or token, and working hours that end before they start, are named at their line', () => {
    const text =
      base +
      'receivers:\n  - name: observe\n    grafana_annotation_configs: [{ dashboard_uid: abc }]\n' +
      'report:\n  working_hours: { start: "18:00", end: "09:00" }\n';
    expect(errors(text)).toEqual([
      expect.stringMatching(/^vigil.yaml:6:\d+: receivers\[0\]\.grafana_annotation_configs\[0\]: missing url/),
      expect.stringMatching(/^vigil.yaml:6:\d+: receivers\[0\]\.grafana_annotation_configs\[0\]: missing token \(or token_file\)/),
      expect.stringMatching(/^vigil.yaml:8:\d+: report\.working_hours: start 18:00 must be before end 09:00/),
    ]);
  });
});


describe('datasource.embedded', () => {
  test('is the default when no Prometheus is configured: tsdb/ beside the SQLite file, 8d retention', () => {
    const c = parseConfig('/etc/vigil/vigil.yaml', 'storage:\n  sqlite:\n    path: /var/lib/vigil/vigil.db\n', {});
    expect(c.datasource.prometheus).toBeUndefined();
    expect(c.datasource.embedded).toEqual({ path: '/var/lib/vigil/tsdb', retentionMs: 8 * 86_400_000, scrapeConfigs: [] });
  });

  test('scrape_configs take Prometheus words and defaults; the global interval and timeout apply', () => {
    const c = parseConfig(
      '/etc/vigil/vigil.yaml',
      `datasource:
  embedded:
    path: tsdb-data
    retention: 2d
    scrape_interval: 15s
    scrape_configs:
      - job_name: agents
        static_configs: [{ targets: ['127.0.0.1:9464'], labels: { env: prod } }]
        metric_relabel_configs:
          - { source_labels: [__name__], regex: 'go_.*', action: drop }
      - job_name: slow
        scrape_interval: 1m
        scrape_timeout: 20s
        scheme: https
        metrics_path: /m
        honor_labels: true
        bearer_token: t0k
        static_configs: [{ targets: ['a:1'] }]
        relabel_configs:
          - { source_labels: [__address__], target_label: instance, regex: '(.*):.*' }
`,
      {},
    );
    expect(c.datasource.embedded?.path).toBe('/etc/vigil/tsdb-data');
    expect(c.datasource.embedded?.retentionMs).toBe(2 * 86_400_000);
    const [agents, slow] = c.datasource.embedded!.scrapeConfigs;
    expect(agents).toMatchObject({ jobName: 'agents', scrapeIntervalMs: 15_000, scrapeTimeoutMs: 10_000, metricsPath: '/metrics', scheme: 'http', honorLabels: false });
    expect(agents.staticConfigs).toEqual([{ targets: ['127.0.0.1:9464'], labels: { env: 'prod' } }]);
    expect(agents.metricRelabelConfigs).toEqual([{ action: 'drop', sourceLabels: ['__name__'], separator: ';', regex: 'go_.*', targetLabel: undefined, replacement: '$1' }]);
    expect(slow).toMatchObject({ scrapeIntervalMs: 60_000, scrapeTimeoutMs: 20_000, scheme: 'https', metricsPath: '/m', honorLabels: true, bearerToken: 't0k' });
    expect(slow.relabelConfigs[0]).toMatchObject({ action: 'replace', targetLabel: 'instance', regex: '(.*):.*' });
  });

  test('bad scrape configs are named by line and field', () => {
    expect(
      errors(`datasource:
  embedded:
    scrape_configs:
      - job_name: a
        scrape_interval: 10s
        scrape_timeout: 20s
        static_configs: [{ targets: ['http://x:9'] }]
      - job_name: a
        relabel_configs: [{ regex: '(a', action: keep }, { source_labels: [x] }]
`),
    ).toEqual([
      'vigil.yaml:4:9: datasource.embedded.scrape_configs[0]: scrape timeout greater than scrape interval for scrape config with job name "a"',
      'vigil.yaml:7:38: datasource.embedded.scrape_configs[0].static_configs[0].targets[0]: "http://x:9" is not host:port',
      'vigil.yaml:8:19: datasource.embedded.scrape_configs[1].job_name: found multiple scrape configs with job name "a"',
      expect.stringMatching(/^vigil\.yaml:9:36: datasource\.embedded\.scrape_configs\[1\]\.relabel_configs\[0\]\.regex: invalid regex: .*missing closing \): `\(a`/),
      'vigil.yaml:9:58: datasource.embedded.scrape_configs[1].relabel_configs[1]: relabel action replace needs target_label',
    ]);
    expect(errors('datasource: { prometheus: { url: http://p:9090 }, embedded: {} }\n')).toEqual([expect.stringMatching(/datasource/)]);
  });
});

describe('storage.postgres', () => {
  test('url from the environment or url_file; defaults for the rest; the URL is a secret in the status', async () => {
    const c = parseConfig('v.yaml', 'storage:\n  postgres:\n    url: postgres://vigil:${PGPASS}@db:5432/vigil\n', { PGPASS: 's3cret' });
    expect(c.storage.postgres).toEqual({ url: 'postgres://vigil:s3cret@db:5432/vigil', poolSize: 10, flushIntervalMs: 50, maxQueue: 200_000 });
    expect(c.original).toContain('url: <secret>');
    expect(c.original).not.toContain('s3cret');
    const dir = await scratchDir(join(tmpdir(), 'vigil-config-pg-'));
    await writeFile(join(dir, 'pg-url'), 'postgresql://vigil:from-file@db/vigil\n');
    const f = parseConfig(join(dir, 'vigil.yaml'), 'storage:\n  postgres:\n    url_file: pg-url\n    pool_size: 4\n    flush_interval: 100ms\n    max_queue: 5000\n', {});
    expect(f.storage.postgres).toEqual({ url: 'postgresql://vigil:from-file@db/vigil', poolSize: 4, flushIntervalMs: 100, maxQueue: 5000 });
    expect(parseConfig('v.yaml', 'rule_files: []\n', {}).storage.postgres).toBeUndefined();
  });

  test('mistakes are named at their line: no url, both url and url_file, not a postgres URL (password not echoed), bad numbers', () => {
    expect(errors('storage:\n  postgres:\n    pool_size: 3\n')).toEqual(['vigil.yaml:3:5: storage.postgres: missing url (or url_file): postgres://user:password@host:5432/database']);
    expect(errors('storage:\n  postgres:\n    url: postgres://db/v\n    url_file: /nonexistent\n')).toEqual(['vigil.yaml:4:15: storage.postgres.url_file: set either url or url_file, not both']);
    expect(errors('storage:\n  postgres:\n    url_file: /nonexistent\n')).toEqual(['vigil.yaml:3:15: storage.postgres.url_file: cannot read secret file "/nonexistent": ENOENT']);
    expect(errors('storage:\n  postgres:\n    url: mysql://root:hunter2@db/v\n')).toEqual(['vigil.yaml:3:10: storage.postgres.url: "mysql://***@db/v" is not a postgres:// or postgresql:// URL']);
    expect(errors('storage:\n  postgres:\n    url: postgres://db/v\n    pool_size: 0\n    flush_interval: 0s\n    max_queue: many\n')).toEqual([
      'vigil.yaml:4:16: storage.postgres.pool_size: must be 1 or more',
      'vigil.yaml:6:16: storage.postgres.max_queue: must be a whole number',
    ]);
    expect(errors('storage:\n  postgres:\n    url: postgres://db/v\n    flush_interval: 0s\n')).toEqual(['vigil.yaml:4:21: storage.postgres.flush_interval: must be more than 0 and at most 10s']);
    expect(errors('storage:\n  postgres:\n    url: ${PG_URL}\n')).toEqual(['vigil.yaml:3:10: storage.postgres.url: environment variable PG_URL is not set']);
  });
});
