/**
 * A real Prometheus 2.42 scrapes a prom-client exporter on loopback and remote-writes to vigil's
 * POST /api/v1/write; what it sent is queryable in vigil's store, staleness markers included.
 */
import { createServer, type Server } from 'node:http';
import express from 'express';
import { Counter, Gauge, Registry } from 'prom-client';
import { ingestionRoutes, IngestionMetrics } from '../../src/server/index.js';
import { MemoryStore } from '../../src/tsdb/index.js';
import { listening, urlOf } from '../support/listen.js';
import { vectorAt } from '../support/query.js';
import { waitFor } from '../support/wait.js';
import { requireOrSkip, startPrometheus, type PrometheusInstance } from './support/prometheus.js';

const describeProm = requireOrSkip('remote write from Prometheus', ['prometheus']) ? describe : describe.skip;

describeProm('remote write from a real Prometheus', () => {
  const store = new MemoryStore();
  const registry = new Registry();
  const exporterRegistry = new Registry();
  const requests = new Counter({ name: 'agent_requests_total', help: 'requests', labelNames: ['agent_id', 'status'], registers: [exporterRegistry] });
  const inflight = new Gauge({ name: 'agent_inflight', help: 'in flight', labelNames: ['agent_id'], registers: [exporterRegistry] });
  let vigil: Server;
  let exporter: Server;
  let prom: PrometheusInstance | undefined;

  beforeAll(async () => {
    vigil = await listening(express().use(ingestionRoutes({ storage: () => store, metrics: new IngestionMetrics(registry), maxRequestBytes: 4 << 20 })));
    exporter = createServer(async (_req, res) => {
      res.setHeader('content-type', exporterRegistry.contentType);
      res.end(await exporterRegistry.metrics());
    });
    await new Promise<void>((r) => exporter.listen(0, '127.0.0.1', r));
    requests.inc({ agent_id: 'a1', status: 'success' }, 41);
    requests.inc({ agent_id: 'a1', status: 'failure' }, 2);
    inflight.set({ agent_id: 'a1' }, 3);
    prom = await startPrometheus({
      config: {
        global: { scrape_interval: '1s', scrape_timeout: '1s' },
        scrape_configs: [{ job_name: 'agents', static_configs: [{ targets: [urlOf(exporter).slice('http://'.length)] }] }],
        remote_write: [{ url: `${urlOf(vigil)}/api/v1/write`, queue_config: { batch_send_deadline: '500ms', min_backoff: '100ms', max_backoff: '1s' } }],
      },
    });
  }, 60_000);
  afterAll(async () => {
    await prom?.stop();
    await new Promise((r) => exporter?.close(r));
    await new Promise((r) => vigil?.close(r));
  });

  const now = () => Date.now();

  test('scraped series arrive with their values and Prometheus\' target labels', async () => {
    const target = urlOf(exporter).slice('http://'.length);
    const rows = await waitFor('agent_requests_total over remote write', () => {
      const v = vectorAt(store, 'agent_requests_total', now());
      return v.length === 2 ? v : undefined;
    });
    expect(rows).toEqual([
      [{ __name__: 'agent_requests_total', agent_id: 'a1', instance: target, job: 'agents', status: 'failure' }, 2],
      [{ __name__: 'agent_requests_total', agent_id: 'a1', instance: target, job: 'agents', status: 'success' }, 41],
    ]);
    expect(vectorAt(store, 'up{job="agents"}', now())).toEqual([[{ __name__: 'up', instance: target, job: 'agents' }, 1]]);
    expect(vectorAt(store, 'sum(agent_inflight)', now())).toEqual([[{}, 3]]);
    requests.inc({ agent_id: 'a1', status: 'success' }, 10);
    await waitFor('the new value', () => (vectorAt(store, 'agent_requests_total{status="success"}', now())[0]?.[1] === 51 ? true : undefined));
    expect(await registry.getSingleMetricAsString('vigil_ingest_requests_refused_total')).not.toMatch(/endpoint=/);
  }, 60_000);

  test('a series that leaves the exporter ends with Prometheus\' staleness marker', async () => {
    await waitFor('agent_inflight', () => (vectorAt(store, 'agent_inflight', now()).length === 1 ? true : undefined));
    inflight.remove({ agent_id: 'a1' });
    // Prometheus writes the marker on the next scrape; vigil's engine then drops the series at once, not 5m later.
    await waitFor('agent_inflight to go stale', () => (vectorAt(store, 'agent_inflight', now()).length === 0 ? true : undefined));
    expect(vectorAt(store, 'agent_requests_total{status="success"}', now())).toHaveLength(1);
  }, 60_000);
});
