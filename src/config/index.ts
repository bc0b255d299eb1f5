export type { Config } from './types.js';
export { loadConfigFile, parseConfig, ConfigError, redact } from './load.js';
