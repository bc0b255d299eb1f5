import type { InhibitRule, Route, TimeInterval } from '../route/index.js';

/** Alertmanager's http_config as a notifier uses it; ca is the PEM text of tls_config.ca_file. */
export interface HttpConfig {
  ca?: string;
  insecureSkipVerify: boolean;
  /** Per attempt; the whole delivery is bounded by the notification's deadline. Default 10s. */
  timeoutMs: number;
}

/** One integration of a receiver, its secret resolved (from the value, ${VAR} or the *_file). */
export interface PagerdutyConfig {
  routingKey: string;
  url: string;
  sendResolved: boolean;
  http: HttpConfig;
}

export interface SlackConfig {
  webhookUrl: string;
  /** Who is pinged; undefined: by severity (P1 channel, P2 here, P3 none). */
  mention: 'channel' | 'here' | 'none' | undefined;
  channel?: string;
  /** Alerts listed in one message before "and N more". Default 10. */
  maxAlerts: number;
  sendResolved: boolean;
  http: HttpConfig;
}

export interface WebhookConfig {
  url: string;
  /** Alerts in one payload; 0 means all (Alertmanager's max_alerts). */
  maxAlerts: number;
  sendResolved: boolean;
  http: HttpConfig;
}

/** A ticket_configs entry: one ticket per aggregation group, in vigil's Store, Jira Cloud or GitHub issues. */
export interface TicketConfig {
  kind: 'local' | 'jira' | 'github';
  /** Jira: the site (https://acme.atlassian.net); GitHub: the API (default https://api.github.com). */
  url?: string;
  /** Jira project key. */
  project?: string;
  /** Jira issue type; default Task. */
  issueType: string;
  /** Jira account email, with apiToken for basic auth. */
  email?: string;
  apiToken?: string;
  /** Jira transition that resolves; default Done. */
  resolveTransition: string;
  /** Jira priority name by severity; default P1 Highest, P2 High, P3 Medium. */
  priorities: Record<string, string>;
  /** GitHub owner/name. */
  repo?: string;
  token?: string;
  /** Extra labels on every ticket. */
  labels: string[];
  /** A re-fire within this long after the ticket was resolved reopens it; later, a new ticket. Default 24h. */
  reopenWindowMs: number;
  /** Resolve (transition/close) the ticket when its group resolves. Default true. */
  autoResolve: boolean;
  http: HttpConfig;
}

/** A grafana_annotation_configs entry: the group's firing period as an annotation region. */
export interface GrafanaAnnotationConfig {
  /** Grafana's base URL. */
  url: string;
  /** Service-account token. */
  token: string;
  dashboardUid?: string;
  panelId?: number;
  tags: string[];
  http: HttpConfig;
}

export interface RateLimit {
  max: number;
  perMs: number;
}

export interface Receiver {
  name: string;
  /** At most `max` notifications per `perMs` to this receiver; the rest are held back and counted. */
  rateLimit?: RateLimit;
  /** A group holding more alerts than this is notified as one summary. */
  stormThreshold?: number;
  pagerduty: PagerdutyConfig[];
  slack: SlackConfig[];
  webhook: WebhookConfig[];
  ticket: TicketConfig[];
  grafana: GrafanaAnnotationConfig[];
}

/** vigil.yaml after loading: secrets resolved, durations in ms, paths absolute. */
export interface Config {
  file: string;
  /** The config as loaded (environment references resolved), secrets shown as <secret>: what /api/v2/status shows. */
  original: string;
  /** Exactly one of the two: a Prometheus to query, or vigil's own TSDB and engine (the default). */
  datasource: {
    prometheus?: {
      url: string;
      bearerToken?: string;
      basicAuth?: { username: string; password: string };
      headers: Record<string, string>;
      timeoutMs: number;
      retries: number;
    };
    embedded?: EmbeddedDatasourceConfig;
  };
  /** Rule files or folders, absolute (relative ones are resolved against the config file's folder). */
  ruleFiles: string[];
  /** `rule_profile`: a profile of var overrides for the rule files (a name vigil ships, or a file relative to `base`). */
  ruleProfile?: { name: string; base: string };
  storage: {
    sqlite: { path: string };
    /** storage.postgres: when set, the Store is PostgreSQL (several replicas) instead of SQLite. */
    postgres?: PostgresStorageConfig;
  };
  server: {
    host: string;
    port: number;
    externalURL: string;
    /** Required as `Authorization: Bearer …` on every write (ingestion, silences, reload) when set. */
    bearerToken?: string;
    /** Largest request body accepted; larger ones get 413. */
    maxRequestBytes: number;
  };
  global: {
    /** An ingested alert without endsAt is resolved this long after its last update (Alertmanager's resolve_timeout). */
    resolveTimeoutMs: number;
    /** Flapping detection; undefined when turned off. */
    flapping?: { minRefires: number; windowMs: number };
  };
  /** The routing tree; undefined when vigil.yaml routes nothing (evaluation only). */
  route?: Route;
  receivers: Receiver[];
  inhibitRules: InhibitRule[];
  /** `time_intervals` by name, for routes' mute_time_intervals and active_time_intervals. */
  timeIntervals: Map<string, TimeInterval[]>;
  history: {
    /** Alert events and notification records older than this are dropped. Default 90d. */
    retentionMs: number;
  };
  /** Bounds on what clients can make vigil hold; 0 turns one off. Past one: 429 or 413 naming it, held state kept. */
  limits: Limits;
  feedback: {
    /** HMAC key for the actionable/noise links; undefined → vigil generates one and keeps it in the Store. */
    signingKey?: string;
    /** Verifies PagerDuty v3 webhook signatures; undefined → POST /api/v1/webhooks/pagerduty is refused. */
    pagerdutyWebhookSecret?: string;
  };
  report: {
    /** node-cron expression; default Monday 09:00. */
    schedule: string;
    /** IANA time zone of the schedule and of working hours; default UTC. */
    timeZone: string;
    /** The receiver whose slack_configs get the weekly report; none → only written to outDir. */
    receiver?: string;
    /** Absolute folder the scheduled reports are written to. */
    outDir: string;
    /** Pages outside these count as out of hours. Default 09:00–18:00, Monday to Friday. */
    workingHours: { start: string; end: string; days: ('mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat' | 'sun')[] };
  };
  evaluation: {
    externalLabels: Record<string, string>;
    outageToleranceMs: number;
    datasourceDownAfter: number;
  };
  /** Several `vigil serve` replicas on one PostgreSQL (storage.postgres); undefined: this replica does everything. */
  cluster?: ClusterConfig;
}

export interface ClusterConfig {
  /** Names this replica in leases, claims and logs; default hostname-pid. */
  replicaId: string;
  /** A rule group's lease not renewed for this long goes to another replica. */
  leaseDurationMs: number;
  /** How often a replica renews its leases (less than a third of the lease is wise). */
  leaseRenewIntervalMs: number;
  /** A flush claim whose holder stopped extending it (died, stalled) is taken over after this long. */
  claimTimeoutMs: number;
  /** With the database unreachable, a notification is sent without a claim after this long (a page beats no page). */
  claimFailOpenAfterMs: number;
}

export interface Limits {
  /** Alerts held by the router in all (firing, or resolved and not yet forgotten). Default 100,000. */
  alerts: number;
  /** Alerts held with one alertname (Alertmanager's --alerts.per-alertname-limit). Default 0: none. */
  alertsPerAlertname: number;
  /** Alerts in one POST body. Default 10,000. */
  alertsPerRequest: number;
  /** Silences active or pending (Alertmanager's --silences.max-silences). Default 10,000. */
  silences: number;
}

/** `datasource.embedded`: vigil's own TSDB, fed by scraping (and remote write / OTLP on the API port). */
export interface EmbeddedDatasourceConfig {
  /** Folder of the WAL and blocks, absolute. Default: `tsdb/` beside the SQLite file. */
  path: string;
  /** Samples older than this are dropped. Default 8d, so that `offset 1w` baselines exist. */
  retentionMs: number;
  scrapeConfigs: ScrapeConfig[];
}

/** One `scrape_configs` entry, in Prometheus' words; the global defaults already applied. */
export interface ScrapeConfig {
  jobName: string;
  scrapeIntervalMs: number;
  scrapeTimeoutMs: number;
  metricsPath: string;
  scheme: 'http' | 'https';
  honorLabels: boolean;
  params: Record<string, string[]>;
  basicAuth?: { username: string; password: string };
  bearerToken?: string;
  tls?: { caFile?: string; insecureSkipVerify?: boolean };
  staticConfigs: { targets: string[]; labels: Record<string, string> }[];
  relabelConfigs: RelabelConfig[];
  metricRelabelConfigs: RelabelConfig[];
}

/** Prometheus' relabel_config with its defaults applied (regex `(.*)`, separator `;`, replacement `$1`, action replace). */
export interface RelabelConfig {
  action: 'replace' | 'keep' | 'drop' | 'labeldrop' | 'labelkeep';
  sourceLabels: string[];
  separator: string;
  /** An RE2 pattern, not yet anchored (Prometheus anchors it). */
  regex: string;
  targetLabel?: string;
  replacement: string;
}

/** storage.postgres: one PostgreSQL that any number of replicas share. */
export interface PostgresStorageConfig {
  /** postgres://user:password@host:port/database (from url, or the content of url_file). */
  url: string;
  poolSize: number;
  /** Queued writes wait at most this long before they are committed. */
  flushIntervalMs: number;
  /** Writes held while the database is unreachable; past this they are dropped (logged, counted). */
  maxQueue: number;
}
