export type { Config, HttpConfig, PagerdutyConfig, RateLimit, Receiver, SlackConfig, WebhookConfig } from './types.js';
export { loadConfigFile, parseConfig, ConfigError, redact } from './load.js';
