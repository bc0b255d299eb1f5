/**
 * The composition of replicas: with a `cluster:` block, a PostgresCoordinator on the database of
 * storage.postgres hands out rule-group leases and flush claims; without one, SingleNode does
 * everything and the pipeline has no claim stage (one replica behaves exactly as before).
 */
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { ClaimStage, ClusterMetrics, PostgresCoordinator, SingleNode, type Coordinator } from '../cluster/index.js';
import type { Config } from '../config/index.js';
import type { GroupLeases } from '../eval/index.js';
import type { IntegrationLog, IntegrationStage } from '../notify/index.js';

export interface Replica {
  coordinator: Coordinator;
  /** For the evaluator; undefined for one replica (it evaluates every group). */
  leases?: GroupLeases;
  /** For the notify pipeline; undefined for one replica. */
  claim?: IntegrationStage;
  /** The rule groups (evaluator keys) the replicas share out. */
  setGroups(groupKeys: readonly string[]): void;
  /** Lines for /readyz. */
  readiness(): string[];
  stop(): Promise<void>;
}

/** A rule group's lease: `group:<file>;<name>`. */
export const leaseName = (groupKey: string): string => `group:${groupKey}`;

/** `storeConnected`: whether the Store (which the coordination does not share a pool with) reaches the database. */
export async function openReplica(
  config: Config,
  integrationLog: IntegrationLog,
  log: Logger,
  storeConnected: () => boolean = () => true,
  registry?: Registry,
): Promise<Replica> {
  const cluster = config.cluster;
  // the coordination lives in the store's database, with a pool and tables of its own
  const url = config.storage.postgres?.url;
  if (!cluster || !url) {
    const coordinator = new SingleNode();
    return { coordinator, setGroups: () => undefined, readiness: () => [], stop: () => coordinator.stop() };
  }
  const clusterLog = log.child({ component: 'cluster', replica: cluster.replicaId });
  const coordinator = await PostgresCoordinator.open({
    url,
    replica: cluster.replicaId,
    leaseDurationMs: cluster.leaseDurationMs,
    renewIntervalMs: cluster.leaseRenewIntervalMs,
    claimTtlMs: cluster.claimTimeoutMs,
    logger: clusterLog,
  });
  let groups: string[] = [];
  const metrics = registry && new ClusterMetrics(registry, { connected: () => coordinator.connected(), heldGroups: () => coordinator.heldGroups().length });
  return {
    coordinator,
    leases: { holds: (key) => coordinator.holds(leaseName(key)) },
    claim: new ClaimStage({ coordinator, log: integrationLog, claimTtlMs: cluster.claimTimeoutMs, failOpenAfterMs: cluster.claimFailOpenAfterMs, logger: clusterLog, onClaim: (integration, result) => metrics?.claim(integration, result) }),
    setGroups(keys) {
      groups = keys.map(leaseName);
      coordinator.setGroups(groups);
    },
    readiness: () => [
      `replica ${coordinator.replica}: ${coordinator.heldGroups().length} of ${groups.length} rule groups evaluated here`,
      coordinator.connected() && storeConnected()
        ? 'database: connected'
        : `database: unreachable; routing the alerts held here, evaluating the groups held here, sending without a claim after ${cluster.claimFailOpenAfterMs / 1000}s; writes are queued until it is back`,
    ],
    stop: () => coordinator.stop(),
  };
}
