/** The demo's vigil.yaml: the embedded datasource scraping the fleet, receivers pointing at the stand-ins, routing by severity. */
import { DEMO_REPO, type StandIns } from './standins.js';

export interface DemoConfigOptions {
  /** host:port vigil serves its API on. */
  listen: string;
  /** The fleet's host:port. */
  fleetTarget: string;
  /** Folder of the SQLite file and the TSDB. */
  dataDir: string;
  /** The rule pack's folder. */
  rules: string;
  standIns: Pick<StandIns, 'pagerduty' | 'slack' | 'github' | 'grafana' | 'secrets'>;
  scrapeInterval?: string;
}

/** The job a scrape of the fleet is labelled with; the backfill writes the same. */
export const FLEET_JOB = 'agents';

const q = (s: string) => JSON.stringify(s);

export function demoConfigYaml(o: DemoConfigOptions): string {
  const s = o.standIns;
  return `# Written by \`vigil demo\`: the embedded datasource scrapes the simulated fleet; receivers are loopback stand-ins.
datasource:
  embedded:
    path: ${q(`${o.dataDir}/tsdb`)}
    retention: 8d
    scrape_interval: ${o.scrapeInterval ?? '15s'}
    scrape_configs:
      - job_name: ${FLEET_JOB}
        static_configs: [{ targets: [${q(o.fleetTarget)}] }]
rule_files: [${q(o.rules)}]
storage:
  sqlite: { path: ${q(`${o.dataDir}/vigil.db`)} }
server:
  listen: ${q(o.listen)}
  external_url: ${q(`http://${o.listen}`)}
evaluation:
  outage_tolerance: 1h
# As README's routing: P1 pages and pings the channel, P2 opens a ticket, P3 annotates Grafana.
route:
  receiver: observe
  group_by: [alertname, agent_id]
  group_wait: 10s
  group_interval: 1m
  repeat_interval: 4h
  routes:
    - { matchers: ['severity="P1"'], receiver: page }
    - { matchers: ['severity="P2"'], receiver: triage }
    - { matchers: ['severity="P3"'], receiver: observe }
receivers:
  - name: page
    pagerduty_configs: [{ routing_key: ${q(s.secrets.pagerdutyRoutingKey)}, url: ${q(`${s.pagerduty}/v2/enqueue`)} }]
    slack_configs: [{ webhook_url: ${q(s.slack)}, mention: channel }]
  - name: triage
    slack_configs: [{ webhook_url: ${q(s.slack)}, mention: here }]
    ticket_configs: [{ kind: github, url: ${q(s.github)}, repo: ${q(DEMO_REPO)}, token: ${q(s.secrets.githubToken)} }]
  - name: observe
    slack_configs: [{ webhook_url: ${q(s.slack)}, mention: none }]
    grafana_annotation_configs: [{ url: ${q(s.grafana)}, token: ${q(s.secrets.grafanaToken)} }]
inhibit_rules:
  - { source_matchers: ['severity="P1"'], target_matchers: ['severity=~"P2|P3"'], equal: [agent_id] }
`;
}
