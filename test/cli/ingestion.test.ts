/** serve's ingestion wiring: vigil.yaml's scrape_configs drive the scrape manager; reloads add and end targets. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { Ingestion } from '../../src/cli/ingestion.js';
import { parseConfig } from '../../src/config/index.js';
import { MemoryStore } from '../../src/tsdb/index.js';
import { listening, urlOf } from '../support/listen.js';
import { vectorAt } from '../support/query.js';
import { waitFor } from '../support/wait.js';

let exporter: Server;
let address: string;
let ingestion: Ingestion;
const registry = new Registry();

beforeAll(async () => {
  exporter = createServer((_req, res) => res.setHeader('content-type', 'text/plain; version=0.0.4').end('agent_inflight{agent_id="a1"} 2\n'));
  await new Promise<void>((r) => exporter.listen(0, '127.0.0.1', r));
  address = `127.0.0.1:${(exporter.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await ingestion?.stop();
  await new Promise((r) => exporter.close(r));
});

const config = (jobs: string) =>
  parseConfig('/etc/vigil/vigil.yaml', `datasource:\n  embedded:\n    path: /tmp/unused\n    scrape_interval: 500ms\n    scrape_configs:\n${jobs}`, {});

test('scrape_configs from vigil.yaml are scraped; a reload that removes a job ends its series at once', async () => {
  const store = new MemoryStore();
  ingestion = new Ingestion({ registry, logger: pino({ level: 'silent' }), userAgent: 'vigil/test' });
  await ingestion.apply(config(`      - job_name: agents\n        static_configs: [{ targets: ['${address}'], labels: { env: prod } }]\n`), store);
  const up = await waitFor('the first scrape', () => vectorAt(store, 'up', Date.now())[0]);
  expect(up).toEqual([{ __name__: 'up', env: 'prod', instance: address, job: 'agents' }, 1]);
  expect(vectorAt(store, 'agent_inflight', Date.now())).toEqual([[{ __name__: 'agent_inflight', agent_id: 'a1', env: 'prod', instance: address, job: 'agents' }, 2]]);
  expect(ingestion.targets()).toEqual([expect.objectContaining({ job: 'agents', health: 'up' })]);

  await ingestion.apply(config('      []\n'), store);
  expect(vectorAt(store, 'up', Date.now())).toEqual([]);
  expect(vectorAt(store, 'agent_inflight', Date.now())).toEqual([]);
  expect(ingestion.targets()).toEqual([]);
});

test('with datasource.prometheus nothing is scraped and the endpoints answer 404', async () => {
  const ing = new Ingestion({ registry: new Registry(), logger: pino({ level: 'silent' }), userAgent: 'vigil/test' });
  await ing.apply(parseConfig('/etc/vigil/vigil.yaml', 'datasource:\n  prometheus:\n    url: http://127.0.0.1:9090\n', {}), undefined);
  expect(ing.targets()).toEqual([]);
  const server = await listening(express().use(ing.routes(() => undefined, 1 << 20)));
  try {
    const write = await fetch(`${urlOf(server)}/api/v1/write`, { method: 'POST', body: 'x' });
    expect(write.status).toBe(404);
    expect(await write.text()).toMatch(/^vigil receives metrics only into its embedded TSDB \(datasource.embedded\)/);
    const otlp = await fetch(`${urlOf(server)}/v1/metrics`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(otlp.status).toBe(404);
    expect(await otlp.json()).toMatchObject({ code: 12, message: expect.stringMatching(/^vigil receives metrics only/) });
  } finally {
    await new Promise((r) => server.close(r));
  }
});
