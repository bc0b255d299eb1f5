/** `vigil rules diff|sync` against a loopback Mimir ruler that checks the documented configuration API. */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { vigil } from './run.js';
import { startRuler, MIMIR_PREFIX, type LoopbackRuler } from '../support/ruler.js';

const PACK_GROUPS = ['agent-error-spike', 'agent-hallucination', 'agent-latency', 'agent-token-cost', 'agent-tool-failure', 'agent-tool-selection-drift'];

describe('vigil rules diff|sync --to mimir', () => {
  let ruler: LoopbackRuler;
  beforeEach(async () => (ruler = await startRuler()));
  afterEach(() => ruler.close());
  const writes = () => ruler.requests.filter((r) => r.method !== 'GET');
  const stored = (tenant = 't1', ns = 'vigil') => [...(ruler.tenants.get(tenant)?.get(ns)?.keys() ?? [])].sort();

  test('diff and --dry-run show every group as new and change nothing; sync stores what generate writes', async () => {
    const diff = await vigil(['rules', 'diff', ruler.url, '--to', 'mimir', '--tenant', 't1']);
    expect(diff.code).toBe(0);
    expect(diff.stdout).toContain(`namespace "vigil" of tenant "t1" at ${ruler.url}${MIMIR_PREFIX}/vigil:`);
    expect(diff.stdout).toContain('+ agent-error-spike (1 rules)');
    expect(diff.stdout).toContain('6 to add, 0 to change, 0 to delete, 0 unchanged');
    const dry = await vigil(['rules', 'sync', ruler.url, '--to', 'mimir', '--tenant', 't1', '--dry-run']);
    expect(dry.stdout).toContain('6 to add');
    expect(writes()).toEqual([]);

    const sync = await vigil(['rules', 'sync', ruler.url, '--to', 'mimir', '--tenant', 't1']);
    expect(sync.code).toBe(0);
    expect(sync.stdout).toContain('SUCCESS');
    expect(writes().map((r) => `${r.method} ${r.status} ${r.tenant}`)).toEqual(Array(6).fill('POST 202 t1'));
    expect(stored()).toEqual(PACK_GROUPS);
    // Each stored group is exactly what `vigil generate` compiles.
    const out = await mkdtemp(join(tmpdir(), 'vigil-rules-sync-'));
    try {
      expect((await vigil(['generate', '--out', out])).code).toBe(0);
      const group = parse(await readFile(join(out, 'error-spike.yaml'), 'utf8')).groups[0];
      expect(ruler.tenants.get('t1')!.get('vigil')!.get('agent-error-spike')).toEqual(group);
    } finally {
      await rm(out, { recursive: true, force: true });
    }

    // In sync: a second run only reads.
    const again = await vigil(['rules', 'sync', ruler.url, '--to', 'mimir', '--tenant', 't1']);
    expect(again.stdout).toContain('0 to add, 0 to change, 0 to delete, 6 unchanged');
    expect(again.stdout).toContain('nothing to change');
    expect(writes()).toHaveLength(6);
  });

  test('a changed var updates one group; a group gone from the files is deleted; other namespaces and tenants are left alone', async () => {
    expect((await vigil(['rules', 'sync', ruler.url, '--to', 'mimir', '--tenant', 't1'])).code).toBe(0);
    expect((await vigil(['rules', 'sync', ruler.url, '--to', 'mimir', '--tenant', 't1', '--namespace', 'other', 'rules/error-spike.yaml'])).code).toBe(0);
    expect((await vigil(['rules', 'sync', ruler.url, '--to', 'mimir', '--tenant', 't2'])).code).toBe(0);
    const before = writes().length;

    const changed = await vigil(['rules', 'sync', ruler.url, '--to', 'mimir', '--tenant', 't1', '--var', 'error_ratio_threshold=0.1']);
    expect(changed.stdout).toContain('~ agent-error-spike\n    rule AgentErrorRateSpike: expr, annotations\n');
    expect(changed.stdout).toContain('0 to add, 1 to change, 0 to delete, 5 unchanged');
    expect(writes().slice(before).map((r) => `${r.method} ${r.path}`)).toEqual([`POST ${MIMIR_PREFIX}/vigil`]);
    expect(String((ruler.tenants.get('t1')!.get('vigil')!.get('agent-error-spike')!.rules as { expr: string }[])[0].expr)).toContain('> 0.1');

    const pruned = await vigil(['rules', 'sync', ruler.url, '--to', 'mimir', '--tenant', 't1', 'rules/latency.yaml', '-o', 'json']);
    expect(pruned.code).toBe(0);
    const summary = JSON.parse(pruned.stdout);
    expect(summary.deleted.sort()).toEqual(PACK_GROUPS.filter((g) => g !== 'agent-latency'));
    expect(summary.applied).toBe(true);
    expect(stored()).toEqual(['agent-latency']);
    expect(stored('t1', 'other')).toEqual(['agent-error-spike']);
    expect(stored('t2')).toEqual(PACK_GROUPS);
  });

  test('errors name what failed: a ruler that refuses, one that does not answer, bad flags', async () => {
    const noTenant = await vigil(['rules', 'sync', ruler.url, '--to', 'mimir']);
    expect(noTenant.code).toBe(1);
    expect(noTenant.stderr).toContain('error: the ruler refused to list the rule groups of namespace "vigil": HTTP 401: no org id');
    const down = await vigil(['rules', 'diff', 'http://127.0.0.1:1', '--to', 'mimir', '--tenant', 't1']);
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/cannot reach the ruler at http:\/\/127\.0\.0\.1:1\/prometheus\/config\/v1\/rules\/vigil: ECONNREFUSED/);
    const wrongPrefix = await vigil(['rules', 'diff', ruler.url, '--to', 'cortex', '--tenant', 't1']);
    expect(wrongPrefix.code).toBe(0); // Cortex' path answers 404 here: an empty namespace, as the API means it.
    expect(wrongPrefix.stdout).toContain(`${ruler.url}/api/v1/rules/vigil`);
    const kind = await vigil(['rules', 'diff', ruler.url, '--to', 'thanos']);
    expect(kind.code).toBe(2);
    expect(kind.stderr).toContain('--to must be one of mimir, cortex, loki; got "thanos"');
    const badRules = await vigil(['rules', 'sync', ruler.url, '--to', 'mimir', '--tenant', 't1', '--var', 'nope=1']);
    expect(badRules.code).toBe(1);
    expect(badRules.stderr).toContain('FAILED: nothing sent');
    expect(writes()).toEqual([]);
  });
});
