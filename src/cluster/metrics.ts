/** The cluster's figures on /metrics: is the database there, how many groups this replica evaluates, what became of its claims. */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { ClaimResult } from './claim-stage.js';

export class ClusterMetrics {
  private readonly claims: Counter<'integration' | 'result'>;

  constructor(registry: Registry, view: { connected(): boolean; heldGroups(): number }) {
    new Gauge({
      name: 'vigil_cluster_database_up',
      help: 'Whether this replica reached the coordination database at its last lease round (1) or not (0).',
      registers: [registry],
      collect() {
        this.set(view.connected() ? 1 : 0);
      },
    });
    new Gauge({
      name: 'vigil_cluster_rule_groups_held',
      help: 'Rule groups whose lease this replica holds (it evaluates them).',
      registers: [registry],
      collect() {
        this.set(view.heldGroups());
      },
    });
    this.claims = new Counter({
      name: 'vigil_cluster_claims_total',
      help: 'Flush claims by result: claimed (sent here), adopted (another replica sent it), not_claimed (another was still sending it at the deadline), fail_open (sent without a claim: database unreachable).',
      labelNames: ['integration', 'result'],
      registers: [registry],
    });
  }

  claim(integration: string, result: ClaimResult): void {
    this.claims.inc({ integration, result });
  }
}
