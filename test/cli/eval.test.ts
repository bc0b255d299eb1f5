/** `vigil eval` as a user runs it when Prometheus cannot be reached: the real binary, spawned. */
import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { scratchDir } from '../support/scratch.js';
import { vigil } from './run.js';

/** A loopback port nothing listens on. */
function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

test('Prometheus down: every rule is an error, no "0 alerts active", exit 1', async () => {
  const dir = await scratchDir(join(tmpdir(), 'vigil-cli-eval-'));
  await writeFile(
    join(dir, 'rules.yaml'),
    `groups:
  - name: g
    rules:
      - alert: AgentDown
        expr: up{job="agent"} == 0
        labels: { severity: P1 }
      - alert: AgentSlow
        expr: histogram_quantile(0.99, sum by (le) (rate(agent_request_duration_seconds_bucket[5m]))) > 3
        labels: { severity: P2 }
`,
  );
  const port = await closedPort();
  const r = await vigil(['eval', '--prometheus', `http://127.0.0.1:${port}`, '--rules', join(dir, 'rules.yaml')], dir);
  expect(r.code).toBe(1);
  expect(r.stdout).not.toMatch(/0 alerts active/);
  expect(r.stderr).toContain('error: g/AgentDown: ');
  expect(r.stderr).toContain('error: g/AgentSlow: ');
  expect(r.stderr).toContain('error: none of the 2 rules could be evaluated');
}, 60_000);
