/** The repository's vigil.yaml works as it stands: embedded datasource, no secrets needed, routing by severity. */
import { join } from 'node:path';
import { loadConfigFile } from '../../src/config/index.js';
import { matchRoutes } from '../../src/route/index.js';

test("the repository's vigil.yaml loads with no environment, on the embedded datasource, and routes by severity", async () => {
  const config = await loadConfigFile(join(process.cwd(), 'vigil.yaml'), {});
  expect(config.datasource.prometheus).toBeUndefined();
  expect(config.datasource.embedded).toMatchObject({ retentionMs: 8 * 86_400_000 });
  const receiverOf = (severity: string) => matchRoutes(config.route!, { alertname: 'AgentErrorRateSpike', agent_id: 'checkout-bot', severity }).map((r) => r.options.receiver);
  expect(['P1', 'P2', 'P3'].map(receiverOf)).toEqual([['page'], ['triage'], ['observe']]);
  // with no secrets set, P2 still becomes a ticket, in vigil's own store
  expect(config.receivers.find((r) => r.name === 'triage')?.ticket).toEqual([expect.objectContaining({ kind: 'local' })]);
  expect(config.inhibitRules).toHaveLength(1);
});
