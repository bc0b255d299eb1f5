import type { InhibitRule, Route } from '../route/index.js';

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
}

/** vigil.yaml after loading: secrets resolved, durations in ms, paths absolute. */
export interface Config {
  file: string;
  datasource: {
    prometheus: {
      url: string;
      bearerToken?: string;
      basicAuth?: { username: string; password: string };
      headers: Record<string, string>;
      timeoutMs: number;
      retries: number;
    };
  };
  /** Rule files or folders, absolute (relative ones are resolved against the config file's folder). */
  ruleFiles: string[];
  storage: { sqlite: { path: string } };
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
  evaluation: {
    externalLabels: Record<string, string>;
    outageToleranceMs: number;
    datasourceDownAfter: number;
  };
}
