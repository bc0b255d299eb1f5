import express, { type Express } from 'express';
import type { Logger } from 'pino';
import type { Evaluator } from '../eval/index.js';
import { alertsResponse, rulesResponse } from './api.js';
import { requireBearerOnWrites } from './auth.js';
import { rejectCrossSiteWrites } from './csrf.js';
import { bodyErrors, ingestRoutes, jsonBody, sendError } from './ingest.js';
import type { EvaluationMetrics } from './metrics.js';
import type { RouterPort } from './ports.js';
import { silencesRoutes } from './silences-api.js';
import { mountFastIngest } from './fast-ingest.js';

/** vigil.yaml's default server.max_request_bytes. */
const DEFAULT_MAX_REQUEST_BYTES = 4 * 1024 * 1024;

export interface AppDeps {
  /** Read through a view so that a reload can swap the evaluator underneath. */
  evaluator: Pick<Evaluator, 'allGroups'>;
  metrics: EvaluationMetrics;
  /** Ready once state is restored and the scheduler runs. */
  isReady: () => boolean;
  /** More lines for /readyz (the database a replica shares with the others, and whether it answers). */
  readiness?: () => string[];
  /** Alert ingestion, GET /api/v2/alerts and the silences API; without it those endpoints are absent. */
  router?: RouterPort;
  /** server.bearer_token, read per request so a reload applies; unset → writes are open. */
  bearerToken?: () => string | undefined;
  /** server.max_request_bytes; larger bodies get 413. */
  maxRequestBytes?: number;
  /** POST /-/reload, as Prometheus and Alertmanager have it; rejects when the new config is bad. */
  reload?: () => Promise<void>;
  logger?: Logger;
  /** The clock the API stamps alerts and silences with. */
  now?: () => number;
  /** limits.alerts_per_request and limits.silences (0: none), read per request so a reload applies. */
  limits?: () => { alertsPerRequest: number; silences: number };
  /** More endpoints (tickets, history, feedback), mounted before the 404; serve builds them. */
  routes?: express.Router[];
}

export function createApp(deps: AppDeps): Express {
  const { evaluator, metrics, isReady, router, reload, logger } = deps;
  const now = deps.now ?? Date.now;
  const limit = deps.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES;
  const app = express();
  app.disable('x-powered-by');
  // before any body is read: an unauthenticated writer never gets to send megabytes
  app.use(requireBearerOnWrites(deps.bearerToken ?? (() => undefined)));
  // without a token, a browser's cross-site write is refused (the web UI's CSRF guard)
  app.use(rejectCrossSiteWrites(() => Boolean(deps.bearerToken?.())));
  app.get('/healthz', (_req, res) => {
    res.type('text/plain').send('vigil is healthy.\n');
  });
  app.get('/readyz', (_req, res) => {
    // a replica cut off from its database still routes what it holds: ready, and it says so
    const more = deps.readiness?.() ?? [];
    if (isReady()) res.type('text/plain').send(['vigil is ready.', ...more].join('\n') + '\n');
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
  if (reload) {
    // POST or PUT, as Prometheus and Alertmanager take it
    const reloadHandler: express.RequestHandler = async (req, res) => {
      try {
        await reload();
        res.type('text/plain').send('vigil configuration reloaded.\n');
      } catch (err) {
        logger?.error({ err: (err as Error).message, how: `${req.method} /-/reload` }, 'reload failed; the previous configuration keeps running');
        res.status(500).type('text/plain').send(`failed to reload config: ${(err as Error).message}\n`);
      }
    };
    app.route('/-/reload').post(reloadHandler).put(reloadHandler);
  }
  if (router) {
    app.post(['/api/v2/alerts', '/api/v1/webhooks/alertmanager', '/api/v2/silences'], ...jsonBody(limit));
    const ingest = { router, now, alertsPerRequest: () => deps.limits?.().alertsPerRequest ?? 0 };
    app.use(ingestRoutes(ingest));
    mountFastIngest({ deps: ingest, limit, bearerToken: deps.bearerToken ?? (() => undefined), app, logger });
    app.use(
      silencesRoutes({
        silences: router.silences,
        now,
        maxSilences: () => deps.limits?.().silences ?? 0,
        onRefused: () => router.refused?.('api-v2', 'limits.silences', 1),
      }),
    );
  }
  for (const r of deps.routes ?? []) app.use(r);
  app.use(bodyErrors(limit, (path) => router?.refused?.(path, 'server.max_request_bytes', 1)));
  app.use((_req, res) => {
    res.status(404).json({ status: 'error', errorType: 'not_found', error: 'no such endpoint' });
  });
  app.use(((err, _req, res, _next) => {
    logger?.error({ err: (err as Error).message }, 'request failed');
    sendError(res, 500, 'internal error');
  }) as express.ErrorRequestHandler);
  return app;
}
