export { createApp, type AppDeps } from './app.js';
export { EvaluationMetrics } from './metrics.js';
export { formatValue } from './api.js';
export type { RouterPort, AlertSource, AlertStatus } from './ports.js';
export { requireBearerOnWrites } from './auth.js';
export { convertPostableAlerts, convertWebhook, gettableAlerts, parseRfc3339 } from './ingest.js';
export { gettableSilence } from './silences-api.js';
