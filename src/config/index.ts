export type { ClusterConfig, Config, GrafanaAnnotationConfig, HttpConfig, PagerdutyConfig, PostgresStorageConfig, RateLimit, Receiver, SlackConfig, TicketConfig, WebhookConfig } from './types.js';
export { loadConfigFile, parseConfig, ConfigError, redact } from './load.js';
export type { RelabelConfig, ScrapeConfig } from './types.js';
