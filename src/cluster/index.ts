// Coordination between `vigil serve` replicas on one PostgreSQL: rule-group leases and flush claims.
export { SingleNode, type Coordinator, type ClaimKey, type ClaimOutcome, type HeldClaim } from './coordinator.js';
export { PostgresCoordinator, type PostgresCoordinatorOptions, type ClusterLogger } from './postgres.js';
export { ClaimStage, contentHash, type ClaimStageOptions, type ClaimResult } from './claim-stage.js';
export { ClusterMetrics } from './metrics.js';
export { preferredReplica } from './placement.js';
