/**
 * vigil's remote-write receiver alone in its own process (so the bench reads its CPU from /proc):
 * POST /api/v1/write into a MemoryStore, from dist/. Prints its port; GET /stats answers the
 * samples and series taken so far.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { REPO_DIR } from './stats.mjs';

const load = (m) => import(pathToFileURL(join(REPO_DIR, 'dist', m, 'index.js')).href);
const { ingestionRoutes, IngestionMetrics } = await load('server');
const { MemoryStore } = await load('tsdb');
const express = (await import('express')).default;
const { Registry } = await import('prom-client');

const store = new MemoryStore();
const registry = new Registry();
const app = express();
app.use(ingestionRoutes({ storage: () => store, metrics: new IngestionMetrics(registry), maxRequestBytes: 32 << 20 }));
app.get('/stats', async (_req, res) => {
  const m = await registry.getSingleMetric('vigil_ingested_samples_total').get();
  const refused = await registry.getSingleMetric('vigil_ingest_requests_refused_total').get();
  res.json({
    samples: m.values.reduce((a, v) => a + v.value, 0),
    refused: refused.values.reduce((a, v) => a + v.value, 0),
    series: store.stats().series,
  });
});
const server = app.listen(0, '127.0.0.1', () => process.stdout.write(`${server.address().port}\n`));
process.once('SIGTERM', () => server.close(() => process.exit(0)));
