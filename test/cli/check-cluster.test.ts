/** `vigil check --config` on the cluster block (runs bin/vigil.js: `npm run build` first). */
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { scratchDir } from '../support/scratch.js';
import { vigil } from './run.js';

const RULES = 'groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: vector(1)\n        labels: { severity: P3 }\n';

test('vigil check --config: a valid cluster block passes; a bad one exits 1 naming the line and field', async () => {
  const dir = await scratchDir(join(tmpdir(), 'vigil-check-cluster-'));
  await writeFile(join(dir, 'rules.yaml'), RULES);
  const good = 'rule_files: [rules.yaml]\nstorage: { postgres: { url: "postgres://vigil@db:5432/vigil" } }\ncluster:\n  replica_id: vigil-0\n  lease_duration: 6s\n';
  await writeFile(join(dir, 'vigil.yaml'), good);
  const ok = await vigil(['check', '--config', join(dir, 'vigil.yaml')]);
  expect(ok.stderr).toBe('');
  expect(ok.code).toBe(0);
  await writeFile(join(dir, 'vigil.yaml'), good.replace('lease_duration: 6s', 'lease_duration: 6s\n  lease_renew_interval: 6s'));
  const bad = await vigil(['check', '--config', join(dir, 'vigil.yaml')]);
  expect(bad.code).toBe(1);
  expect(bad.stderr).toContain(`${join(dir, 'vigil.yaml')}:6:25: cluster.lease_renew_interval: must be shorter than cluster.lease_duration (6s), or leases lapse between renewals`);
});
