import type { InhibitRule, Route } from '../route/index.js';

/** One integration of a receiver, its secret resolved (from the value, ${VAR} or the *_file). */
export interface PagerdutyConfig {
  routingKey: string;
  url: string;
  sendResolved: boolean;
}

export interface SlackConfig {
  webhookUrl: string;
  mention: 'channel' | 'here' | 'none' | undefined;
  channel?: string;
  sendResolved: boolean;
}

export interface WebhookConfig {
  url: string;
  sendResolved: boolean;
}

export interface Receiver {
  name: string;
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
  server: { host: string; port: number; externalURL: string };
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
