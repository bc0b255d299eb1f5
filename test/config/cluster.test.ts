/** vigil.yaml's cluster block: replicas on one PostgreSQL, checked before anything starts. */
import { ConfigError, parseConfig } from '../../src/config/index.js';

function errors(text: string): string[] {
  try {
    parseConfig('vigil.yaml', text, {});
  } catch (err) {
    if (err instanceof ConfigError) return err.message.split('\n');
    throw err;
  }
  return [];
}

describe('vigil.yaml cluster', () => {
  test('absent: one replica, as before', () => {
    expect(parseConfig('vigil.yaml', 'rule_files: []\n', {}).cluster).toBeUndefined();
  });

  test('with storage.postgres: the timings given, the rest defaulted', () => {
    const c = parseConfig('vigil.yaml', 'storage: { postgres: { url: "postgres://vigil@db:5432/vigil" } }\ncluster:\n  lease_duration: 4s\n', {});
    expect(c.cluster).toEqual({ replicaId: expect.stringMatching(/-\d+$/), leaseDurationMs: 4_000, leaseRenewIntervalMs: 1_333, claimTimeoutMs: 10_000, claimFailOpenAfterMs: 10_000 });
    expect(parseConfig('vigil.yaml', 'storage: { postgres: { url: "postgres://db/vigil" } }\ncluster: { replica_id: vigil-0 }\n', {}).cluster?.replicaId).toBe('vigil-0');
  });

  test('without storage.postgres it is refused, naming the field', () => {
    expect(errors('cluster:\n  replica_id: a\n')).toEqual(['vigil.yaml:2:3: cluster: replicas share one PostgreSQL: set storage.postgres too']);
  });

  test('bad timings are named by their field', () => {
    const text = `cluster:
  lease_duration: 5s
  lease_renew_interval: 10s
  claim_timeout: 0s
  claim_fail_open_after: soon
  leese: 1s
`;
    expect(errors(text)).toEqual([
      'vigil.yaml:6:3: cluster.leese: unknown field "leese" (allowed: replica_id, lease_duration, lease_renew_interval, claim_timeout, claim_fail_open_after)',
    ]);
    expect(errors(text.replace('  leese: 1s\n', ''))).toEqual([
      'vigil.yaml:2:3: cluster: replicas share one PostgreSQL: set storage.postgres too',
      'vigil.yaml:3:25: cluster.lease_renew_interval: must be shorter than cluster.lease_duration (5s), or leases lapse between renewals',
      'vigil.yaml:4:18: cluster.claim_timeout: must be longer than 0s',
      'vigil.yaml:5:26: cluster.claim_fail_open_after: "soon" is not a duration (e.g. 5m, 1h30m)',
    ]);
  });
});
