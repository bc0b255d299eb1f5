/**
 * vigil's scraper and a real Prometheus 2.42 scrape the same exporters with the same
 * scrape_configs (relabel_configs, metric_relabel_configs, honor_labels, params, a target that
 * fails): both must store the same series with the same values.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parse, stringify } from 'yaml';
import { parseConfig } from '../../src/config/index.js';
import { MemoryStore, ScrapeManager } from '../../src/tsdb/index.js';
import { vectorAt } from '../support/query.js';
import { waitFor } from '../support/wait.js';
import { requireOrSkip, startPrometheus, type PrometheusInstance } from './support/prometheus.js';

const describeProm = requireOrSkip('scraping, compared with Prometheus', ['prometheus']) ? describe : describe.skip;

const PAGE = [
  '# HELP agent_requests_total Requests.',
  '# TYPE agent_requests_total counter',
  'agent_requests_total{agent_id="a1",status="success",job="pushed",instance="agent-1"} 17',
  'agent_requests_total{agent_id="a1",status="failure",job="pushed",exported_job="older"} 2',
  'agent_requests_total{agent_id="a2",status="success",pod="p-7"} 5',
  '# TYPE go_goroutines gauge',
  'go_goroutines 12',
  '# TYPE agent_request_duration_seconds histogram',
  'agent_request_duration_seconds_bucket{agent_id="a1",le="0.5"} 3',
  'agent_request_duration_seconds_bucket{agent_id="a1",le="+Inf"} 4',
  'agent_request_duration_seconds_sum{agent_id="a1"} 2.5',
  'agent_request_duration_seconds_count{agent_id="a1"} 4',
  'agent_info{agent_id="a1",version="1.2.3",empty=""} 1',
].join('\n') + '\n';

describeProm('vigil scrapes as Prometheus scrapes', () => {
  let exporter: Server;
  let prom: PrometheusInstance | undefined;
  let manager: ScrapeManager | undefined;
  const store = new MemoryStore();
  let scrapeConfigs: Record<string, unknown>[];

  beforeAll(async () => {
    exporter = createServer((req, res) => {
      if (req.url?.startsWith('/broken')) return void res.writeHead(503).end('down');
      res.setHeader('content-type', 'text/plain; version=0.0.4');
      res.end(req.url?.includes('module=extra') ? PAGE + 'probe_success 1\n' : PAGE);
    });
    await new Promise<void>((r) => exporter.listen(0, '127.0.0.1', r));
    const addr = `127.0.0.1:${(exporter.address() as AddressInfo).port}`;
    scrapeConfigs = parse(`
- job_name: agents
  scrape_interval: 1s
  scrape_timeout: 1s
  static_configs:
    - targets: ['${addr}']
      labels: { env: prod, team: '' }
  relabel_configs:
    - { source_labels: [__address__], regex: '([^:]+):(\\d+)', target_label: host, replacement: 'h-$1' }
  metric_relabel_configs:
    - { source_labels: [__name__], regex: 'go_.*', action: drop }
    - { regex: pod, action: labeldrop }
    - { source_labels: [agent_id, status], separator: '/', regex: 'a1/(.*)', target_label: outcome, replacement: '\${1}!' }
- job_name: honoring
  scrape_interval: 1s
  scrape_timeout: 1s
  honor_labels: true
  metrics_path: /probe
  params: { module: [extra] }
  static_configs: [{ targets: ['${addr}'] }]
  metric_relabel_configs:
    - { source_labels: [__name__], regex: 'agent_requests_total|probe_success|up', action: keep }
- job_name: broken
  scrape_interval: 1s
  scrape_timeout: 1s
  metrics_path: /broken
  static_configs: [{ targets: ['${addr}'] }]
`) as Record<string, unknown>[];
    prom = await startPrometheus({ config: { scrape_configs: scrapeConfigs } });
    const config = parseConfig('/etc/vigil/vigil.yaml', stringify({ datasource: { embedded: { path: '/tmp/unused', scrape_configs: scrapeConfigs } } }), {});
    manager = new ScrapeManager({ storage: store });
    await manager.reload(config.datasource.embedded!.scrapeConfigs);
  }, 60_000);
  afterAll(async () => {
    await manager?.stop();
    await prom?.stop();
    await new Promise((r) => exporter?.close(r));
  });

  /** Every series of the three jobs, with its value, as `{labels} value` lines, sorted. */
  const ours = () =>
    vectorAt(store, '{job=~"agents|honoring|broken|pushed"}', Date.now())
      .map(([l, v]) => `${JSON.stringify(Object.fromEntries(Object.entries(l).sort()))} ${v}`)
      .sort();
  const theirs = async () => {
    const res = await fetch(`${prom!.url}/api/v1/query?query=${encodeURIComponent('{job=~"agents|honoring|broken|pushed"}')}`);
    const body = (await res.json()) as { data: { result: { metric: Record<string, string>; value: [number, string] }[] } };
    return body.data.result.map((r) => `${JSON.stringify(Object.fromEntries(Object.entries(r.metric).sort()))} ${Number(r.value[1])}`).sort();
  };
  const timing = /^(scrape_duration_seconds)$/;
  const comparable = (lines: string[]) =>
    lines.map((l) => {
      const labels = JSON.parse(l.slice(0, l.lastIndexOf(' '))) as Record<string, string>;
      return timing.test(labels.__name__) ? JSON.stringify(labels) : l; // durations differ by nature
    });

  test('the same series and values, report series included', async () => {
    // past each job's first scrape, where scrape_series_added counts every series as new
    const settled = (lines: string[]) =>
      ['agents', 'honoring', 'broken'].every((job) => lines.some((l) => l.includes('"scrape_series_added"') && l.includes(`"job":"${job}"`) && l.endsWith(' 0')));
    const expected = await waitFor('Prometheus to scrape all three jobs twice', async () => {
      const t = await theirs();
      return settled(t) ? t : undefined;
    });
    const got = await waitFor('vigil to scrape all three jobs twice', () => {
      const o = ours();
      return settled(o) ? o : undefined;
    });
    expect(comparable(got)).toEqual(comparable(expected));
    // what the comparison covers, so that it cannot pass on two empty lists
    expect(got.join('\n')).toContain('"exported_instance":"agent-1","exported_job":"pushed"');
    expect(got.join('\n')).toContain('"outcome":"success!"');
    expect(got).toContain('{"__name__":"up","instance":"' + (exporter.address() as AddressInfo).address + ':' + (exporter.address() as AddressInfo).port + '","job":"broken"} 0');
    expect(got.length).toBeGreaterThan(20);
  }, 60_000);
});
