// The one-command demo's parts: a simulated fleet (model, prom-client instruments, /metrics), its backfilled history, loopback stand-ins for the notified services, and the demo's vigil.yaml.
export { INCIDENT_ALERT, INCIDENT_KINDS, DURATION_BUCKETS, HEALTHY_CDF, SLOW_CDF, dayShape, activeIncident, type AgentModel, type FleetModel, type Incident, type IncidentKind, type Profile } from './model.js';
export { Fleet } from './fleet.js';
export { startExporter, type Exporter, type ExporterOptions } from './exporter.js';
export { writeBackfill, type BackfillOptions, type BackfillReport } from './backfill.js';
export { startStandIns, formatDelivered, DEMO_REPO, type StandIns, type Delivered, type Service } from './standins.js';
export { demoConfigYaml, FLEET_JOB, type DemoConfigOptions } from './config.js';
export { demoFleet, DEMO_AGENTS, ROUND, ROUND_PERIOD_MS, type ScenarioOptions } from './scenario.js';
