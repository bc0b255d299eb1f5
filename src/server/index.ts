export { createApp, type AppDeps } from './app.js';
export { EvaluationMetrics } from './metrics.js';
export { formatValue } from './api.js';
