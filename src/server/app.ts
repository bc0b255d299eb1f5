import express, { type Express } from 'express';
import type { Evaluator } from '../eval/index.js';
import { alertsResponse, rulesResponse } from './api.js';
import type { EvaluationMetrics } from './metrics.js';

export interface AppDeps {
  evaluator: Evaluator;
  metrics: EvaluationMetrics;
  /** Ready once state is restored and the scheduler runs. */
  isReady: () => boolean;
}

export function createApp({ evaluator, metrics, isReady }: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.get('/healthz', (_req, res) => {
    res.type('text/plain').send('vigil is healthy.\n');
  });
  app.get('/readyz', (_req, res) => {
    if (isReady()) res.type('text/plain').send('vigil is ready.\n');
    else res.status(503).type('text/plain').send('vigil is not ready yet.\n');
  });
  app.get('/metrics', async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
  app.get('/api/v1/alerts', (_req, res) => {
    res.json(alertsResponse(evaluator.allGroups()));
  });
  app.get('/api/v1/rules', (req, res) => {
    const type = typeof req.query.type === 'string' ? req.query.type : undefined;
    if (type !== undefined && type !== 'alert' && type !== 'record') {
      res.status(400).json({ status: 'error', errorType: 'bad_data', error: `type: "${type}" is not alert or record` });
      return;
    }
    res.json(rulesResponse(evaluator.allGroups(), type));
  });
  app.use((_req, res) => {
    res.status(404).json({ status: 'error', errorType: 'not_found', error: 'no such endpoint' });
  });
  return app;
}
