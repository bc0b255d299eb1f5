import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { isScalar, isSeq, stringify, visit } from 'yaml';
import { parseDuration } from '../promql/index.js';
import { compileRE2 } from '../regex/index.js';
import { buildInhibitRules, buildRouteTree, buildTimeIntervals, RoutingConfigError, type TimeInterval, type InhibitRule, type InhibitRuleConfig, type Route, type RouteConfig } from '../route/index.js';
import { compileSchema, formatPath, validateShape, YamlSource, type Diagnostic, type Path } from '../yaml/index.js';
import { configSchema } from './schema.js';
import cron from 'node-cron';
import type { ClusterConfig, Config, EmbeddedDatasourceConfig, HttpConfig, Receiver, RelabelConfig, ScrapeConfig, TicketConfig } from './types.js';

const validate = compileSchema(configSchema);
const ENV_REFERENCE = /\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;
const PROTECTED_REFERENCE = /\uE003\uE003\uE003|\uE000\uE001([A-Za-z_][A-Za-z0-9_]*)\uE002/g;

/**
 * `${VAR}` is not valid YAML inside a flow mapping (`{ key: ${VAR} }`: the braces are
 * syntax), yet that is how configs are written. So references are swapped, before
 * parsing, for private-use characters of the same length (positions stay exact) and
 * resolved in the parsed values.
 */
function protectEnvReferences(text: string): string {
  return text.replace(ENV_REFERENCE, (match: string, name: string | undefined) =>
    name === undefined ? '\uE003\uE003\uE003' : `\uE000\uE001${name}\uE002`,
  );
}

export class ConfigError extends Error {
  constructor(readonly diagnostics: Diagnostic[]) {
    diagnostics.sort((a, b) => a.line - b.line || a.column - b.column);
    super(diagnostics.map((d) => `${d.file}:${d.line}:${d.column}: ${d.path ? d.path + ': ' : ''}${d.message}`).join('\n'));
    this.name = 'ConfigError';
  }
}

export async function loadConfigFile(file: string, env: NodeJS.ProcessEnv = process.env): Promise<Config> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new ConfigError([{ file, line: 1, column: 1, path: '', message: (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message, severity: 'error' }]);
  }
  return parseConfig(file, text, env);
}

/**
 * Parses vigil.yaml: `${VAR}` from the environment in any value, `*_file` secrets
 * read from disk, then schema and meaning checked. Throws ConfigError listing every problem.
 */
export function parseConfig(file: string, text: string, env: NodeJS.ProcessEnv = process.env): Config {
  const src = new YamlSource(file, protectEnvReferences(text));
  const diagnostics: Diagnostic[] = [];
  const report = (offset: number, path: Path, message: string) => {
    const { line, column } = src.position(offset);
    diagnostics.push({ file, line, column, path: formatPath(path), message, severity: 'error' });
  };
  for (const e of src.doc.errors) report(e.pos[0], [], `YAML: ${e.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '')}`);
  if (diagnostics.length) throw new ConfigError(diagnostics);

  visit(src.doc, {
    Scalar(_, node, path) {
      if (!isScalar(node) || typeof node.value !== 'string' || !/[\uE000\uE003]/.test(node.value)) return;
      const start = node.range?.[0] ?? 0;
      node.value = node.value.replace(PROTECTED_REFERENCE, (match: string, name: string | undefined) => {
        if (name === undefined) return '${';
        const value = env[name];
        if (value === undefined) {
          report(start, pathOf(path, node), `environment variable ${name} is not set`);
          return `\${${name}}`;
        }
        return value;
      });
    },
  });
  const data = (src.doc.toJS() ?? {}) as Record<string, unknown>;
  for (const e of validateShape(validate, data)) report(src.offsetOf(e.path, e.at), e.path, e.message);
  if (diagnostics.length) throw new ConfigError(diagnostics);

  const dir = dirname(resolve(file));
  const at = (path: Path) => src.offsetOf(path);
  const get = (path: Path): unknown => path.reduce<unknown>((v, k) => (v as Record<string | number, unknown> | undefined)?.[k], data);
  const durationAt = (path: Path, fallback: number): number => {
    const raw = get(path);
    if (typeof raw !== 'string') return fallback;
    try {
      return parseDuration(raw);
    } catch (err) {
      report(at(path), path, (err as Error).message);
      return fallback;
    }
  };
  const secretFile = (path: Path): string | undefined => {
    const raw = get(path);
    if (typeof raw !== 'string') return undefined;
    try {
      return readFileSync(isAbsolute(raw) ? raw : resolve(dir, raw), 'utf8').trim();
    } catch (err) {
      report(at(path), path, `cannot read secret file "${raw}": ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      return undefined;
    }
  };
  const exclusive = (a: Path, b: Path) => {
    if (get(a) !== undefined && get(b) !== undefined) report(at(b), b, `set either ${a[a.length - 1]} or ${b[b.length - 1]}, not both`);
  };

  /** bearer_token(_file) and basic_auth at `path`, as Prometheus' http client config has them: each secret inline or from a file, not both. */
  const httpCredentials = (path: Path): { bearerToken?: string; basicAuth?: { username: string; password: string } } => {
    exclusive([...path, 'bearer_token'], [...path, 'bearer_token_file']);
    exclusive([...path, 'basic_auth', 'password'], [...path, 'basic_auth', 'password_file']);
    const basic = get([...path, 'basic_auth']) as { username: string; password?: string } | undefined;
    return {
      bearerToken: (get([...path, 'bearer_token']) as string | undefined) ?? secretFile([...path, 'bearer_token_file']),
      basicAuth: basic ? { username: basic.username, password: basic.password ?? secretFile([...path, 'basic_auth', 'password_file']) ?? '' } : undefined,
    };
  };
  const labelName = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
  const relabelConfigs = (path: Path): RelabelConfig[] =>
    ((get(path) as Record<string, unknown>[] | undefined) ?? []).map((r, i) => {
      const at_ = [...path, i];
      const action = (r.action as RelabelConfig['action'] | undefined) ?? 'replace';
      const regex = (r.regex as string | undefined) ?? '(.*)';
      try {
        compileRE2(regex);
      } catch (err) {
        report(at([...at_, 'regex']), [...at_, 'regex'], `invalid regex: ${(err as Error).message}`);
      }
      const targetLabel = r.target_label as string | undefined;
      if (action === 'replace' && targetLabel === undefined) report(at(at_), at_, 'relabel action replace needs target_label');
      return { action, sourceLabels: (r.source_labels as string[] | undefined) ?? [], separator: (r.separator as string | undefined) ?? ';', regex, targetLabel, replacement: (r.replacement as string | undefined) ?? '$1' };
    });
  const embeddedConfig = (path: Path): EmbeddedDatasourceConfig => {
    const interval = durationAt([...path, 'scrape_interval'], 60_000);
    const timeout = durationAt([...path, 'scrape_timeout'], Math.min(10_000, interval));
    const jobs = new Set<string>();
    const scrapeConfigs = ((get([...path, 'scrape_configs']) as Record<string, unknown>[] | undefined) ?? []).map((j, i): ScrapeConfig => {
      const at_ = [...path, 'scrape_configs', i];
      const jobName = String(j.job_name);
      if (jobs.has(jobName)) report(at([...at_, 'job_name']), [...at_, 'job_name'], `found multiple scrape configs with job name "${jobName}"`);
      jobs.add(jobName);
      const scrapeIntervalMs = durationAt([...at_, 'scrape_interval'], interval);
      const scrapeTimeoutMs = durationAt([...at_, 'scrape_timeout'], Math.min(timeout, scrapeIntervalMs));
      if (scrapeTimeoutMs > scrapeIntervalMs) report(at(at_), at_, `scrape timeout greater than scrape interval for scrape config with job name "${jobName}"`);
      const tls = j.tls_config as { ca_file?: string; insecure_skip_verify?: boolean } | undefined;
      const staticConfigs = ((j.static_configs as { targets: string[]; labels?: Record<string, string> }[] | undefined) ?? []).map((sc, k) => {
        sc.targets.forEach((t, n) => {
          if (!/^[^/\s]+:\d{1,5}$/.test(t)) report(at([...at_, 'static_configs', k, 'targets', n]), [...at_, 'static_configs', k, 'targets', n], `"${t}" is not host:port`);
        });
        for (const name of Object.keys(sc.labels ?? {}))
          if (!labelName.test(name)) report(at([...at_, 'static_configs', k, 'labels', name]), [...at_, 'static_configs', k, 'labels', name], `"${name}" is not a valid label name`);
        return { targets: sc.targets, labels: sc.labels ?? {} };
      });
      return {
        jobName,
        scrapeIntervalMs,
        scrapeTimeoutMs,
        metricsPath: (j.metrics_path as string | undefined) ?? '/metrics',
        scheme: (j.scheme as 'http' | 'https' | undefined) ?? 'http',
        honorLabels: (j.honor_labels as boolean | undefined) ?? false,
        params: (j.params as Record<string, string[]> | undefined) ?? {},
        ...httpCredentials(at_),
        tls: tls ? { caFile: tls.ca_file && (isAbsolute(tls.ca_file) ? tls.ca_file : resolve(dir, tls.ca_file)), insecureSkipVerify: tls.insecure_skip_verify } : undefined,
        staticConfigs,
        relabelConfigs: relabelConfigs([...at_, 'relabel_configs']),
        metricRelabelConfigs: relabelConfigs([...at_, 'metric_relabel_configs']),
      };
    });
    const raw = get([...path, 'path']) as string | undefined;
    return {
      path: raw === undefined ? resolve(dirname(sqlitePath), 'tsdb') : resolve(dir, raw),
      retentionMs: durationAt([...path, 'retention'], 8 * 86_400_000),
      scrapeConfigs,
    };
  };

  function postgresConfig(): Config['storage']['postgres'] {
    const path = ['storage', 'postgres'];
    if (get(path) === undefined) return undefined;
    exclusive([...path, 'url'], [...path, 'url_file']);
    const url = (get([...path, 'url']) as string | undefined) ?? secretFile([...path, 'url_file']);
    if (get([...path, 'url']) === undefined && get([...path, 'url_file']) === undefined) report(at(path), path, 'missing url (or url_file): postgres://user:password@host:5432/database');
    else if (url !== undefined && !/^postgres(ql)?:\/\/./.test(url)) {
      const field = get([...path, 'url']) === undefined ? 'url_file' : 'url';
      report(at([...path, field]), [...path, field], `"${redact(url)}" is not a postgres:// or postgresql:// URL`);
    }
    const flushIntervalMs = durationAt([...path, 'flush_interval'], 50);
    if (flushIntervalMs <= 0 || flushIntervalMs > 10_000) report(at([...path, 'flush_interval']), [...path, 'flush_interval'], 'must be more than 0 and at most 10s');
    return {
      url: url ?? '',
      poolSize: (get([...path, 'pool_size']) as number | undefined) ?? 10,
      flushIntervalMs,
      maxQueue: (get([...path, 'max_queue']) as number | undefined) ?? 200_000,
    };
  }

  const prom = ['datasource', 'prometheus'];
  let prometheus: Config['datasource']['prometheus'];
  if (get(prom) !== undefined) {
    const url = String(get([...prom, 'url']));
    if (!/^https?:\/\/[^/]/.test(url)) report(at([...prom, 'url']), [...prom, 'url'], `"${redact(url)}" is not an http(s) URL`);
    prometheus = {
      url,
      ...httpCredentials(prom),
      headers: (get([...prom, 'headers']) as Record<string, string> | undefined) ?? {},
      timeoutMs: durationAt([...prom, 'timeout'], 30_000),
      retries: (get([...prom, 'retries']) as number | undefined) ?? 3,
    };
  }
  const sqlitePath = resolve(dir, (get(['storage', 'sqlite', 'path']) as string | undefined) ?? 'data/vigil.db');
  const postgres = postgresConfig();
  const embedded = prometheus ? undefined : embeddedConfig(['datasource', 'embedded']);

  const receivers: Receiver[] = [];
  const receiverNames = new Set<string>();
  ((get(['receivers']) as Record<string, unknown>[] | undefined) ?? []).forEach((r, i) => {
    const at_ = ['receivers', i];
    const name = String(r.name);
    if (receiverNames.has(name)) report(at([...at_, 'name']), [...at_, 'name'], `receiver "${name}" is defined twice; names must be unique`);
    receiverNames.add(name);
    const integrations = (kind: string) => ((r[kind] as Record<string, unknown>[] | undefined) ?? []).map((c, j) => ({ c, path: [...at_, kind, j] as Path }));
    // The secret of an integration: the value (often ${VAR}) or the content of <field>_file, never both.
    const secret = (c: Record<string, unknown>, path: Path, field: string): string => {
      exclusive([...path, field], [...path, `${field}_file`]);
      if (typeof c[field] === 'string') return c[field] as string;
      if (typeof c[`${field}_file`] === 'string') return secretFile([...path, `${field}_file`]) ?? '';
      report(at(path), path, `missing ${field} (or ${field}_file)`);
      return '';
    };
    const http = (path: Path): HttpConfig => ({
      ca: get([...path, 'http_config', 'tls_config', 'ca_file']) === undefined ? undefined : secretFile([...path, 'http_config', 'tls_config', 'ca_file']),
      insecureSkipVerify: (get([...path, 'http_config', 'tls_config', 'insecure_skip_verify']) as boolean | undefined) ?? false,
      timeoutMs: durationAt([...path, 'http_config', 'timeout'], 10_000),
    });
    const httpUrl = (value: string, path: Path) => {
      if (value && !/^https?:\/\/[^/]/.test(value)) report(at(path), path, `"${redact(value)}" is not an http(s) URL`);
      return value;
    };
    const rateLimit = r.rate_limit as { max: number; per: string } | undefined;
    const ticketConfig = (c: Record<string, unknown>, path: Path): TicketConfig => {
      const kind = (c.kind as TicketConfig['kind'] | undefined) ?? 'local';
      const required = (field: string, what: string) => {
        if (c[field] === undefined) report(at(path), path, `a ${kind} ticket config needs ${field} (${what})`);
      };
      let apiToken: string | undefined;
      let token: string | undefined;
      if (kind === 'jira') {
        required('url', 'the Jira site, e.g. https://acme.atlassian.net');
        required('project', 'the project key');
        required('email', 'the account the API token belongs to');
        apiToken = secret(c, path, 'api_token');
      } else if (kind === 'github') {
        required('repo', 'owner/name');
        token = secret(c, path, 'token');
      } else {
        for (const field of ['url', 'project', 'email', 'api_token', 'api_token_file', 'repo', 'token', 'token_file']) {
          if (c[field] !== undefined) report(at([...path, field]), [...path, field], `a local ticket config takes no ${field} (kind: local keeps tickets in vigil's Store)`);
        }
      }
      const url = c.url === undefined ? (kind === 'github' ? 'https://api.github.com' : undefined) : httpUrl(String(c.url).replace(/\/+$/, ''), [...path, 'url']);
      return {
        kind,
        url,
        project: c.project as string | undefined,
        issueType: (c.issue_type as string | undefined) ?? 'Task',
        email: c.email as string | undefined,
        apiToken,
        resolveTransition: (c.resolve_transition as string | undefined) ?? 'Done',
        priorities: { P1: 'Highest', P2: 'High', P3: 'Medium', ...((c.priorities as Record<string, string> | undefined) ?? {}) },
        repo: c.repo as string | undefined,
        token,
        labels: (c.labels as string[] | undefined) ?? [],
        reopenWindowMs: durationAt([...path, 'reopen_window'], 24 * 3_600_000),
        autoResolve: (c.auto_resolve as boolean | undefined) ?? true,
        http: http(path),
      };
    };
    receivers.push({
      name,
      rateLimit: rateLimit && { max: rateLimit.max, perMs: durationAt([...at_, 'rate_limit', 'per'], 3_600_000) },
      stormThreshold: r.storm_threshold as number | undefined,
      pagerduty: integrations('pagerduty_configs').map(({ c, path }) => ({
        routingKey: secret(c, path, 'routing_key'),
        url: httpUrl((c.url as string | undefined) ?? 'https://events.pagerduty.com/v2/enqueue', [...path, 'url']),
        sendResolved: (c.send_resolved as boolean | undefined) ?? true,
        http: http(path),
      })),
      slack: integrations('slack_configs').map(({ c, path }) => ({
        webhookUrl: httpUrl(secret(c, path, 'webhook_url'), [...path, 'webhook_url']),
        mention: c.mention as 'channel' | 'here' | 'none' | undefined,
        channel: c.channel as string | undefined,
        maxAlerts: (c.max_alerts as number | undefined) ?? 10,
        sendResolved: (c.send_resolved as boolean | undefined) ?? true,
        http: http(path),
      })),
      webhook: integrations('webhook_configs').map(({ c, path }) => ({
        url: httpUrl(secret(c, path, 'url'), [...path, 'url']),
        maxAlerts: (c.max_alerts as number | undefined) ?? 0,
        sendResolved: (c.send_resolved as boolean | undefined) ?? true,
        http: http(path),
      })),
      ticket: integrations('ticket_configs').map(({ c, path }) => ticketConfig(c, path)),
      grafana: integrations('grafana_annotation_configs').map(({ c, path }) => {
        if (typeof c.url !== 'string') report(at(path), path, 'missing url (Grafana\'s base URL)');
        return {
          url: httpUrl(String(c.url ?? ''), [...path, 'url']),
          token: secret(c, path, 'token'),
          dashboardUid: c.dashboard_uid as string | undefined,
          panelId: c.panel_id as number | undefined,
          tags: (c.tags as string[] | undefined) ?? [],
          http: http(path),
        };
      }),
    });
  });
  let timeIntervals = new Map<string, TimeInterval[]>();
  for (const field of ['mute_time_intervals', 'time_intervals']) {
    try {
      // `mute_time_intervals` at the top is Alertmanager's older name for the same list
      for (const [name, list] of buildTimeIntervals(get([field]), field)) {
        if (timeIntervals.has(name)) report(at([field]), [field], `time interval ${JSON.stringify(name)} is defined twice`);
        timeIntervals.set(name, list);
      }
    } catch (err) {
      if (!(err instanceof RoutingConfigError)) throw err;
      const path = parsePath(err.field === undefined ? err.path : `${err.path}.${err.field}`);
      report(at(path), path, err.reason);
      timeIntervals = new Map();
    }
  }
  let route: Route | undefined;
  if (get(['route']) !== undefined) {
    try {
      route = buildRouteTree(get(['route']) as RouteConfig, { receivers: receiverNames, timeIntervals: timeIntervals.keys() });
    } catch (err) {
      if (!(err instanceof RoutingConfigError)) throw err;
      const path = parsePath(err.field === undefined ? err.path : `${err.path}.${err.field}`);
      report(at(path), path, err.reason);
    }
  }
  let inhibitRules: InhibitRule[] = [];
  try {
    inhibitRules = buildInhibitRules((get(['inhibit_rules']) as InhibitRuleConfig[] | undefined) ?? []);
  } catch (err) {
    if (!(err instanceof RoutingConfigError)) throw err;
    const path = parsePath(err.field === undefined ? err.path : `${err.path}.${err.field}`);
    report(at(path), path, err.reason);
  }

  exclusive(['feedback', 'signing_key'], ['feedback', 'signing_key_file']);
  exclusive(['feedback', 'pagerduty_webhook_secret'], ['feedback', 'pagerduty_webhook_secret_file']);
  const schedule = (get(['report', 'schedule']) as string | undefined) ?? '0 9 * * 1';
  if (!cron.validate(schedule)) report(at(['report', 'schedule']), ['report', 'schedule'], `"${schedule}" is not a cron expression (minute hour day-of-month month day-of-week, e.g. "0 9 * * 1")`);
  const timeZone = (get(['report', 'time_zone']) as string | undefined) ?? 'UTC';
  try {
    if (timeZone !== 'UTC') new Intl.DateTimeFormat('en', { timeZone }); // UTC needs no check, and Intl's ICU data costs ~8 MiB of RSS
  } catch {
    report(at(['report', 'time_zone']), ['report', 'time_zone'], `"${timeZone}" is not an IANA time zone (e.g. Europe/Berlin)`);
  }
  const hours = get(['report', 'working_hours']) as { start?: string; end?: string } | undefined;
  if (hours && (hours.start ?? '09:00') >= (hours.end ?? '18:00')) {
    report(at(['report', 'working_hours']), ['report', 'working_hours'], `start ${hours.start ?? '09:00'} must be before end ${hours.end ?? '18:00'} (working hours within one day)`);
  }
  const reportReceiver = get(['report', 'receiver']) as string | undefined;
  if (reportReceiver !== undefined && !receiverNames.has(reportReceiver)) {
    report(at(['report', 'receiver']), ['report', 'receiver'], `no receiver named "${reportReceiver}"`);
  }
  exclusive(['server', 'bearer_token'], ['server', 'bearer_token_file']);
  const serverToken = (get(['server', 'bearer_token']) as string | undefined) ?? secretFile(['server', 'bearer_token_file']);
  const flapping = get(['global', 'flapping']) as { enabled?: boolean; min_refires?: number } | undefined;

  /** The cluster block: replicas share one PostgreSQL, so it needs storage.postgres; its timings must fit together. */
  function clusterConfig(): ClusterConfig | undefined {
    if (get(['cluster']) === undefined) return undefined;
    if (get(['storage', 'postgres']) === undefined) report(at(['cluster']), ['cluster'], 'replicas share one PostgreSQL: set storage.postgres too');
    const positive = (path: Path, fallback: number): number => {
      const ms = durationAt(path, fallback);
      if (ms <= 0) report(at(path), path, 'must be longer than 0s');
      return ms;
    };
    const leaseDurationMs = positive(['cluster', 'lease_duration'], 6_000);
    const leaseRenewIntervalMs = positive(['cluster', 'lease_renew_interval'], Math.max(100, Math.floor(leaseDurationMs / 3)));
    if (leaseRenewIntervalMs >= leaseDurationMs) {
      report(at(['cluster', 'lease_renew_interval']), ['cluster', 'lease_renew_interval'], `must be shorter than cluster.lease_duration (${leaseDurationMs / 1000}s), or leases lapse between renewals`);
    }
    return {
      replicaId: (get(['cluster', 'replica_id']) as string | undefined) ?? `${hostname()}-${process.pid}`,
      leaseDurationMs,
      leaseRenewIntervalMs,
      claimTimeoutMs: positive(['cluster', 'claim_timeout'], 10_000),
      claimFailOpenAfterMs: durationAt(['cluster', 'claim_fail_open_after'], 10_000),
    };
  }

  const listen = (get(['server', 'listen']) as string | undefined) ?? '127.0.0.1:9095';
  const listenMatch = /^(.*):(\d{1,5})$/.exec(listen);
  if (!listenMatch || Number(listenMatch[2]) > 65535) report(at(['server', 'listen']), ['server', 'listen'], `"${listen}" is not host:port (e.g. 127.0.0.1:9095)`);

  const cluster = clusterConfig();
  const config: Config = {
    file,
    original: stringify(redactSecrets(data, [])),
    datasource: { prometheus, embedded },
    ruleFiles: ((get(['rule_files']) as string[] | undefined) ?? ['rules/']).map((p) => (isAbsolute(p) ? p : resolve(dir, p))),
    ruleProfile: get(['rule_profile']) === undefined ? undefined : { name: get(['rule_profile']) as string, base: dir },
    storage: { sqlite: { path: sqlitePath }, ...(postgres ? { postgres } : {}) },
    server: {
      host: listenMatch?.[1].replace(/^\[|\]$/g, '') || '127.0.0.1',
      port: Number(listenMatch?.[2] ?? 9095),
      externalURL: (get(['server', 'external_url']) as string | undefined) ?? `http://${listen}`,
      bearerToken: serverToken,
      maxRequestBytes: (get(['server', 'max_request_bytes']) as number | undefined) ?? 4 * 1024 * 1024,
    },
    global: {
      resolveTimeoutMs: durationAt(['global', 'resolve_timeout'], 5 * 60_000),
      flapping:
        flapping?.enabled === false
          ? undefined
          : { minRefires: flapping?.min_refires ?? 3, windowMs: durationAt(['global', 'flapping', 'window'], 3_600_000) },
    },
    route,
    receivers,
    inhibitRules,
    timeIntervals,
    history: { retentionMs: durationAt(['history', 'retention'], 90 * 24 * 3_600_000) },
    // 0 turns a limit off, as Alertmanager's flags do
    limits: {
      alerts: (get(['limits', 'alerts']) as number | undefined) ?? 100_000,
      alertsPerAlertname: (get(['limits', 'alerts_per_alertname']) as number | undefined) ?? 0,
      alertsPerRequest: (get(['limits', 'alerts_per_request']) as number | undefined) ?? 10_000,
      silences: (get(['limits', 'silences']) as number | undefined) ?? 10_000,
    },
    feedback: {
      signingKey: (get(['feedback', 'signing_key']) as string | undefined) ?? secretFile(['feedback', 'signing_key_file']),
      pagerdutyWebhookSecret: (get(['feedback', 'pagerduty_webhook_secret']) as string | undefined) ?? secretFile(['feedback', 'pagerduty_webhook_secret_file']),
    },
    report: {
      schedule,
      timeZone,
      receiver: reportReceiver,
      outDir: resolve(dir, (get(['report', 'out_dir']) as string | undefined) ?? 'reports'),
      workingHours: {
        start: (get(['report', 'working_hours', 'start']) as string | undefined) ?? '09:00',
        end: (get(['report', 'working_hours', 'end']) as string | undefined) ?? '18:00',
        days: (get(['report', 'working_hours', 'days']) as Config['report']['workingHours']['days'] | undefined) ?? ['mon', 'tue', 'wed', 'thu', 'fri'],
      },
    },
    evaluation: {
      externalLabels: (get(['evaluation', 'external_labels']) as Record<string, string> | undefined) ?? {},
      outageToleranceMs: durationAt(['evaluation', 'outage_tolerance'], 3_600_000),
      datasourceDownAfter: (get(['evaluation', 'datasource_down_after']) as number | undefined) ?? 3,
    },
    ...(cluster ? { cluster } : {}),
  };
  if (diagnostics.length) throw new ConfigError(diagnostics);
  return config;
}

/** The field path of a visited node: keys of the pairs and indexes into the sequences above it. */
function pathOf(path: readonly unknown[], node: unknown): Path {
  const out: Path = [];
  path.forEach((ancestor, i) => {
    const n = ancestor as { key?: { value?: unknown }; items?: unknown[] };
    if (isSeq(ancestor)) out.push(ancestor.items.indexOf((path[i + 1] ?? node) as never));
    else if (n && typeof n === 'object' && 'key' in n && n.key && typeof n.key === 'object') out.push(String((n.key as { value: unknown }).value));
  });
  return out;
}

/** Fields whose value is a secret, as Alertmanager marks its Secret/SecretURL fields. */
const SECRET_FIELDS = new Set([
  'routing_key', 'webhook_url', 'token', 'api_token', 'bearer_token', 'password', 'signing_key', 'pagerduty_webhook_secret',
]);

/** A copy of the parsed config with every secret replaced by <secret> and URLs without userinfo. */
function redactSecrets(value: unknown, path: Path): unknown {
  const key = path[path.length - 1];
  const parent = path[path.length - 3];
  if (typeof value === 'string') {
    const secret =
      (typeof key === 'string' && SECRET_FIELDS.has(key)) || (key === 'url' && (parent === 'webhook_configs' || path[path.length - 2] === 'postgres')) || path.includes('headers');
    return secret ? '<secret>' : redact(value);
  }
  if (Array.isArray(value)) return value.map((v, i) => redactSecrets(v, [...path, i]));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactSecrets(v, [...path, k])]));
  }
  return value;
}

/** `route.routes[1].matchers[0]` → ['route', 'routes', 1, 'matchers', 0] */
function parsePath(text: string): Path {
  const out: Path = [];
  for (const m of text.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) out.push(m[2] !== undefined ? Number(m[2]) : m[1]);
  return out;
}

/** A URL without its userinfo, safe to print. */
export function redact(url: string): string {
  return url.replace(/\/\/[^/@]*@/, '//***@');
}
