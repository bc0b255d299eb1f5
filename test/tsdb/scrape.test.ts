/**
 * The scrape manager against real exporters on loopback (prom-client's registry, hand-written
 * OpenMetrics pages), asserting what an instant query over the MemoryStore sees.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { RelabelConfig, ScrapeConfig } from '../../src/config/index.js';
import { MemoryStore, ScrapeManager, type ScrapeResult } from '../../src/tsdb/index.js';
import { vectorAt } from '../support/query.js';
import { scratchDir } from '../support/scratch.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

/** An exporter on 127.0.0.1 whose handler a test can swap; remembers the requests it got. */
class Exporter {
  handler: Handler = (_req, res) => void res.end();
  requests: IncomingMessage[] = [];
  server: Server;
  constructor(server?: Server) {
    this.server = (server ?? createServer()).on('request', (req: IncomingMessage, res: ServerResponse) => {
      this.requests.push(req);
      void this.handler(req, res);
    });
  }
  async listen(): Promise<this> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    return this;
  }
  get address() {
    return `127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }
  close() {
    this.server.closeAllConnections?.();
    return new Promise((r) => this.server.close(r));
  }
}

const page = (contentType: string, body: string | (() => string)): Handler => (_req, res) => {
  res.setHeader('content-type', contentType);
  res.end(typeof body === 'function' ? body() : body);
};
const TEXT = 'text/plain; version=0.0.4; charset=utf-8';
const OPENMETRICS = 'application/openmetrics-text; version=1.0.0; charset=utf-8';

function scrapeConfig(job: string, targets: string[], over: Partial<ScrapeConfig> = {}): ScrapeConfig {
  return {
    jobName: job, scrapeIntervalMs: 300, scrapeTimeoutMs: 300, metricsPath: '/metrics', scheme: 'http', honorLabels: false, params: {},
    staticConfigs: [{ targets, labels: {} }], relabelConfigs: [], metricRelabelConfigs: [], ...over,
  };
}
const relabel = (r: Partial<RelabelConfig>): RelabelConfig => ({ action: 'replace', sourceLabels: [], separator: ';', regex: '(.*)', replacement: '$1', ...r });

let store: MemoryStore;
let manager: ScrapeManager;
let results: ScrapeResult[];
let waiters: { job: string; instance?: string; resolve: (r: ScrapeResult) => void }[];
const exporters: Exporter[] = [];

beforeEach(() => {
  store = new MemoryStore();
  results = [];
  waiters = [];
  manager = new ScrapeManager({
    storage: store,
    userAgent: 'vigil/test',
    onScrape: (r) => {
      results.push(r);
      const w = waiters.findIndex((x) => x.job === r.target.job && (x.instance === undefined || x.instance === r.target.labels.instance));
      if (w >= 0) waiters.splice(w, 1)[0].resolve(r);
    },
  });
});
afterEach(async () => {
  await manager.stop();
  await Promise.all(exporters.splice(0).map((e) => e.close()));
});

/** Resolves with the job's next scrape (one waiter per scrape): tests wait for the event, never for a fixed time. */
const nextScrape = (job: string, instance?: string) => new Promise<ScrapeResult>((resolve) => waiters.push({ job, instance, resolve }));
const exporter = async (server?: Server) => {
  const e = await new Exporter(server).listen();
  exporters.push(e);
  return e;
};
const at = (r: ScrapeResult, expr: string) => vectorAt(store, expr, r.timestampMs);

test('scrapes a prom-client registry: samples with job and instance, up=1 and the scrape report', async () => {
  const registry = new Registry();
  new Counter({ name: 'agent_requests_total', help: 'requests', labelNames: ['agent_id', 'status'], registers: [registry] }).inc({ agent_id: 'a1', status: 'success' }, 7);
  new Gauge({ name: 'agent_inflight', help: 'in flight', registers: [registry] }).set(2);
  new Histogram({ name: 'agent_request_duration_seconds', help: 'latency', buckets: [0.5, 1], registers: [registry] }).observe(0.7);
  const e = await exporter();
  e.handler = async (_req, res) => {
    res.setHeader('content-type', registry.contentType);
    res.end(await registry.metrics());
  };
  await manager.reload([scrapeConfig('agents', [e.address])]);
  const r = await nextScrape('agents');
  const target = { instance: e.address, job: 'agents' };
  expect(r.up).toBe(true);
  expect(at(r, 'up')).toEqual([[{ __name__: 'up', ...target }, 1]]);
  expect(at(r, 'agent_requests_total')).toEqual([[{ __name__: 'agent_requests_total', agent_id: 'a1', status: 'success', ...target }, 7]]);
  expect(at(r, 'agent_inflight')).toEqual([[{ __name__: 'agent_inflight', ...target }, 2]]);
  expect(at(r, 'agent_request_duration_seconds_bucket')).toEqual([
    [{ __name__: 'agent_request_duration_seconds_bucket', le: '+Inf', ...target }, 1],
    [{ __name__: 'agent_request_duration_seconds_bucket', le: '0.5', ...target }, 0],
    [{ __name__: 'agent_request_duration_seconds_bucket', le: '1', ...target }, 1],
  ]);
  expect(at(r, 'scrape_samples_scraped')).toEqual([[{ __name__: 'scrape_samples_scraped', ...target }, 7]]);
  expect(at(r, 'scrape_samples_post_metric_relabeling')[0][1]).toBe(7);
  expect(at(r, 'scrape_series_added')[0][1]).toBe(7);
  expect(at(r, 'scrape_duration_seconds')[0][1]).toBeGreaterThan(0);
  const req = e.requests[0];
  expect(req.headers.accept).toMatch(/^application\/openmetrics-text;version=1.0.0,.*text\/plain;version=0.0.4;q=0.5/);
  expect(req.headers['user-agent']).toBe('vigil/test');
  expect(req.headers['x-prometheus-scrape-timeout-seconds']).toBe('0.3');
  // the next scrape finds its series in the cache: none added
  const r2 = await nextScrape('agents');
  expect(at(r2, 'scrape_series_added')[0][1]).toBe(0);
});

test('prom-client in OpenMetrics mode: counters with _total, exemplars and # EOF read as Prometheus reads them', async () => {
  const registry = new Registry<typeof Registry.OPENMETRICS_CONTENT_TYPE>();
  registry.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
  const counter = new Counter<string>({ name: 'agent_requests', help: 'requests', labelNames: ['status'], registers: [registry], enableExemplars: true });
  counter.inc({ labels: { status: 'success' }, value: 3, exemplarLabels: { trace_id: 'abc123' } });
  const e = await exporter();
  e.handler = async (_req, res) => {
    res.setHeader('content-type', registry.contentType);
    res.end(await registry.metrics());
  };
  await manager.reload([scrapeConfig('om', [e.address])]);
  const r = await nextScrape('om');
  expect(r.error).toBeUndefined();
  expect(at(r, 'agent_requests_total')).toEqual([[{ __name__: 'agent_requests_total', instance: e.address, job: 'om', status: 'success' }, 3]]);
});

test('OpenMetrics: explicit timestamps are honoured, # EOF, counters with _total and _created, exemplars skipped', async () => {
  const e = await exporter();
  e.handler = page(OPENMETRICS, [
    '# TYPE agent_tokens_consumed counter',
    '# HELP agent_tokens_consumed Tokens.',
    'agent_tokens_consumed_total{agent_id="a1"} 1234 # {trace_id="abc"} 12 1765000000.5',
    'agent_tokens_consumed_created{agent_id="a1"} 1765000000',
    '# TYPE batch_last_success gauge',
    'batch_last_success{job_kind="nightly"} 1 1765000100.250',
    '# EOF',
    '',
  ].join('\n'));
  await manager.reload([scrapeConfig('om', [e.address])]);
  const r = await nextScrape('om');
  expect(r.up).toBe(true);
  expect(at(r, 'agent_tokens_consumed_total')).toEqual([[{ __name__: 'agent_tokens_consumed_total', agent_id: 'a1', instance: e.address, job: 'om' }, 1234]]);
  expect(at(r, 'agent_tokens_consumed_created')[0][1]).toBe(1765000000);
  // the sample sits at its own time, not at the scrape's
  expect(vectorAt(store, 'timestamp(batch_last_success)', 1765000100_250 + 1000)).toEqual([[{ instance: e.address, job: 'om', job_kind: 'nightly' }, 1765000100.25]]);
});

test('an OpenMetrics page without # EOF, or a bad line, fails the scrape: up=0 and the last series go stale', async () => {
  const e = await exporter();
  e.handler = page(OPENMETRICS, 'agent_inflight 3\n# EOF\n');
  await manager.reload([scrapeConfig('om', [e.address])]);
  const ok = await nextScrape('om');
  expect(at(ok, 'agent_inflight')[0][1]).toBe(3);
  e.handler = page(OPENMETRICS, 'agent_inflight 4\n');
  const failed = await nextScrape('om');
  expect(failed).toMatchObject({ up: false, error: 'line 2: no "# EOF" at the end of an OpenMetrics page' });
  expect(at(failed, 'up')[0][1]).toBe(0);
  expect(at(failed, 'agent_inflight')).toEqual([]);
  e.handler = page(TEXT, 'agent_inflight{agent_id="a1} 4\n');
  expect((await nextScrape('om')).error).toBe('line 1: unterminated label set: no closing "}"');
  e.handler = page(TEXT, 'agent_inflight{a-b="x"} 4\n');
  expect((await nextScrape('om')).error).toBe('line 1: "a-b" is not a valid label name in agent_inflight{a-b="x"}');
});

test('a series that leaves the page is stale at the next scrape: absent from an instant query right after', async () => {
  let tools = ['search', 'browse'];
  const e = await exporter();
  e.handler = page(TEXT, () => tools.map((t) => `agent_tool_calls_total{tool_name="${t}"} 5`).join('\n') + '\n');
  await manager.reload([scrapeConfig('agents', [e.address])]);
  const before = await nextScrape('agents');
  expect(at(before, 'agent_tool_calls_total')).toHaveLength(2);
  tools = ['search'];
  const after = await nextScrape('agents');
  expect(at(after, 'agent_tool_calls_total').map(([l]) => l.tool_name)).toEqual(['search']);
  // without the marker the engine would still see "browse" for 5 minutes (the lookback)
  expect(vectorAt(store, 'agent_tool_calls_total{tool_name="browse"}', after.timestampMs + 1)).toEqual([]);
  expect(vectorAt(store, 'agent_tool_calls_total{tool_name="browse"}', after.timestampMs - 1)).toHaveLength(1);
});

test('a page that changes between scrapes: lines added, removed and moved, comments, duplicates and \\r\\n are read as a fresh page', async () => {
  const pages = [
    '# HELP a_total A.\n# TYPE a_total counter\na_total{x="1"} 1\na_total{x="2"} 2\nb 3\n',
    // moved, one removed, one added, a duplicate series (kept once), \r\n endings, blank lines, a timestamp
    '# HELP a_total A.\r\n# TYPE a_total counter\r\n\r\nb 30\r\na_total{x="3"} 300\r\na_total{x="1"}\t10\r\na_total{x="1"} 11\r\nc 5 1765000000000\r\n',
    // every line as it was last time, with new values
    '# HELP a_total A.\r\n# TYPE a_total counter\r\n\r\nb 31\r\na_total{x="3"} 301\r\na_total{x="1"}\t12\r\na_total{x="1"} 13\r\nc 6 1765000001000\r\n',
  ];
  let n = 0;
  const e = await exporter();
  e.handler = page(TEXT, () => pages[Math.min(n, pages.length - 1)]);
  await manager.reload([scrapeConfig('changes', [e.address])]);
  const values = (r: ScrapeResult) => at(r, '{job="changes", __name__=~"a_total|b"}').map(([l, v]) => `${l.__name__}${l.x ?? ''}=${v}`).sort();
  const first = await nextScrape('changes');
  expect(values(first)).toEqual(['a_total1=1', 'a_total2=2', 'b=3']);
  n = 1;
  const second = await nextScrape('changes');
  // x="2" left the page: stale at once; the duplicate x="1" line is not stored again
  expect(values(second)).toEqual(['a_total1=10', 'a_total3=300', 'b=30']);
  expect(second).toMatchObject({ samplesScraped: 5, samplesPostRelabeling: 4, seriesAdded: 2 });
  n = 2;
  const third = await nextScrape('changes');
  expect(values(third)).toEqual(['a_total1=12', 'a_total3=301', 'b=31']);
  expect(third).toMatchObject({ samplesScraped: 5, samplesPostRelabeling: 4, seriesAdded: 0 });
  expect(vectorAt(store, 'c', 1765000001000)).toEqual([[{ __name__: 'c', instance: e.address, job: 'changes' }, 6]]);
});

test('a line that breaks on a later scrape fails it, though the same series read fine before', async () => {
  let body = '# TYPE a gauge\na{x="1"} 1\n';
  const e = await exporter();
  e.handler = page(TEXT, () => body);
  await manager.reload([scrapeConfig('breaks', [e.address])]);
  expect((await nextScrape('breaks')).up).toBe(true);
  for (const [bad, error] of [
    ['# TYPE a gauge\na{x="1"} 1x\n', 'line 2: "1x" is not a number (after a{x="1"})'],
    ['# TYPE a gauge\na{x="1"} 1 2 3\n', 'line 2: expected "value [timestamp]" after a{x="1"}, got "1 2 3"'],
    ['# TYPE a gauge\na{x="1"}\n', 'line 2: no value after a{x="1"}'],
    ['# TYPE a gauges\na{x="1"} 1\n', 'line 1: unknown metric type "gauges" for a'],
  ]) {
    body = bad;
    expect(await nextScrape('breaks')).toMatchObject({ up: false, error });
    body = '# TYPE a gauge\na{x="1"} 1\n';
    expect((await nextScrape('breaks')).up).toBe(true);
  }
});

test('numbers read from a known line equal what Number() and Go read: decimals, exponents, long mantissas, Inf and NaN', async () => {
  const texts = [
    '0', '-0', '7', '+7', '12345678901234', '123456789012345', '1234567890123456789', '9007199254740993', '0.1', '0.3', '-2.5', '.5', '5.', '1e3',
    '1E-7', '2.5e+10', '1.7976931348623157e308', '5e-324', '4.9e-325', '123.456e-5', '0.30000000000000004', '3.141592653589793', '1e22', '1e23',
    '+Inf', '-Inf', 'NaN', 'inf', '00012', '1.000000000000000000001',
  ];
  const body = () => texts.map((t, i) => `n{i="${i}"} ${t}\n`).join('');
  const e = await exporter();
  e.handler = page(TEXT, body);
  await manager.reload([scrapeConfig('numbers', [e.address])]);
  await nextScrape('numbers');
  // the second scrape reads every line through the cache's own number parser
  const r = await nextScrape('numbers');
  const got = new Map(at(r, 'n').map(([l, v]) => [Number(l.i), v]));
  texts.forEach((t, i) => {
    const lower = t.toLowerCase();
    const want = lower.endsWith('nan') ? NaN : lower.endsWith('inf') ? (t.startsWith('-') ? -Infinity : Infinity) : Number(t);
    expect([t, got.get(i)]).toEqual([t, want]);
  });
});

test('a target removed by reload ends with staleness markers; an unchanged one keeps scraping', async () => {
  const a = await exporter();
  const b = await exporter();
  a.handler = b.handler = page(TEXT, 'agent_inflight 1\n');
  await manager.reload([scrapeConfig('agents', [a.address, b.address])]);
  await Promise.all([nextScrape('agents', a.address), nextScrape('agents', b.address)]);
  expect(vectorAt(store, 'up', Date.now())).toHaveLength(2);
  const kept = results.filter((r) => r.target.labels.instance === a.address).length;
  await manager.reload([scrapeConfig('agents', [a.address])]);
  const t = Date.now();
  expect(vectorAt(store, 'up', t).map(([l]) => l.instance)).toEqual([a.address]);
  expect(vectorAt(store, 'agent_inflight', t).map(([l]) => l.instance)).toEqual([a.address]);
  await nextScrape('agents');
  expect(results.filter((r) => r.target.labels.instance === a.address).length).toBeGreaterThan(kept);
  expect(manager.targets()).toEqual([expect.objectContaining({ job: 'agents', url: `http://${a.address}/metrics`, health: 'up' })]);
});

test('a scrape slower than scrape_timeout, a 500 and a refused connection are up=0 with the reason', async () => {
  const e = await exporter();
  e.handler = (_req, res) => void setTimeout(() => res.end('agent_inflight 1\n'), 1000);
  await manager.reload([scrapeConfig('slow', [e.address], { scrapeTimeoutMs: 100 })]);
  const slow = await nextScrape('slow');
  expect(slow).toMatchObject({ up: false, error: 'scrape timed out after 0.1s (scrape_timeout)' });
  expect(at(slow, 'up')).toEqual([[{ __name__: 'up', instance: e.address, job: 'slow' }, 0]]);
  e.handler = (_req, res) => void res.writeHead(500).end('oops');
  expect((await nextScrape('slow')).error).toBe('server returned HTTP status 500 Internal Server Error');
  await e.close();
  const refused = await nextScrape('slow');
  expect(refused.up).toBe(false);
  expect(refused.error).toMatch(/ECONNREFUSED/);
});

test('metrics_path, params, bearer and basic auth reach the exporter', async () => {
  const e = await exporter();
  e.handler = page(TEXT, 'agent_inflight 1\n');
  await manager.reload([
    scrapeConfig('bearer', [e.address], { metricsPath: '/probe', params: { module: ['http_2xx', 'tcp'] }, bearerToken: 's3cr3t' }),
    scrapeConfig('basic', [e.address], { basicAuth: { username: 'vigil', password: 'pa:ss' } }),
  ]);
  await Promise.all([nextScrape('bearer'), nextScrape('basic')]);
  const probe = e.requests.find((r) => r.url?.startsWith('/probe'))!;
  expect(probe.url).toBe('/probe?module=http_2xx&module=tcp');
  expect(probe.headers.authorization).toBe('Bearer s3cr3t');
  const basic = e.requests.find((r) => r.url === '/metrics')!;
  expect(basic.headers.authorization).toBe(`Basic ${Buffer.from('vigil:pa:ss').toString('base64')}`);
});

test('relabel_configs: meta labels, replace into instance, __param_, drop a target; meta labels are gone after', async () => {
  const e = await exporter();
  e.handler = page(TEXT, 'agent_inflight 1\n');
  const cfg = scrapeConfig('agents', [e.address, '127.0.0.1:1'], {
    staticConfigs: [{ targets: [e.address, '127.0.0.1:1'], labels: { env: 'prod', __meta_team: 'ai' } }],
    relabelConfigs: [
      relabel({ action: 'drop', sourceLabels: ['__address__'], regex: '127\\.0\\.0\\.1:1' }),
      relabel({ sourceLabels: ['__address__'], regex: '([^:]+):(\\d+)', targetLabel: 'instance', replacement: 'agent-host-$2' }),
      relabel({ sourceLabels: ['__meta_team'], targetLabel: 'team' }),
      relabel({ sourceLabels: ['env'], regex: 'prod', targetLabel: '__param_target', replacement: 'p' }),
    ],
  });
  await manager.reload([cfg]);
  const r = await nextScrape('agents');
  const port = e.address.split(':')[1];
  expect(at(r, 'up')).toEqual([[{ __name__: 'up', env: 'prod', instance: `agent-host-${port}`, job: 'agents', team: 'ai' }, 1]]);
  expect(e.requests[0].url).toBe('/metrics?target=p');
  expect(manager.targets()).toHaveLength(1);
});

test('metric_relabel_configs: drop, keep, labeldrop, labelkeep and replace on every sample', async () => {
  const e = await exporter();
  e.handler = page(TEXT, [
    'agent_requests_total{agent_id="a1",pod="p-1",status="ok"} 3',
    'go_goroutines 12',
    'agent_debug_info{agent_id="a1"} 1',
    'agent_inflight{agent_id="a1",pod="p-1"} 2',
  ].join('\n') + '\n');
  await manager.reload([
    scrapeConfig('agents', [e.address], {
      metricRelabelConfigs: [
        relabel({ action: 'drop', sourceLabels: ['__name__'], regex: 'go_.*' }),
        relabel({ action: 'keep', sourceLabels: ['__name__'], regex: 'agent_(requests_total|inflight)' }),
        relabel({ action: 'labeldrop', regex: 'pod' }),
        relabel({ sourceLabels: ['agent_id', 'status'], separator: '/', regex: '(.+)/(.+)', targetLabel: 'route', replacement: '$1-${2}' }),
        relabel({ action: 'labelkeep', regex: '__name__|agent_id|route|job|instance' }),
      ],
    }),
  ]);
  const r = await nextScrape('agents');
  const t = { instance: e.address, job: 'agents' };
  expect(at(r, '{__name__=~"agent_.*|go_.*"}')).toEqual([
    [{ __name__: 'agent_inflight', agent_id: 'a1', ...t }, 2],
    [{ __name__: 'agent_requests_total', agent_id: 'a1', route: 'a1-ok', ...t }, 3],
  ]);
  expect(at(r, 'scrape_samples_scraped')[0][1]).toBe(4);
  expect(at(r, 'scrape_samples_post_metric_relabeling')[0][1]).toBe(2);
});

test('honor_labels: false moves conflicting labels to exported_<name>; true keeps the page\'s', async () => {
  const e = await exporter();
  e.handler = page(TEXT, 'agent_inflight{job="pushed",instance="agent-7",exported_job="x"} 1\n');
  await manager.reload([scrapeConfig('plain', [e.address]), scrapeConfig('honor', [e.address], { honorLabels: true })]);
  const [plain, honor] = await Promise.all([nextScrape('plain'), nextScrape('honor')]);
  expect(at(plain, 'agent_inflight{job="plain"}')).toEqual([
    [{ __name__: 'agent_inflight', exported_exported_job: 'pushed', exported_instance: 'agent-7', exported_job: 'x', instance: e.address, job: 'plain' }, 1],
  ]);
  expect(at(honor, 'agent_inflight{job="pushed"}')).toEqual([[{ __name__: 'agent_inflight', exported_job: 'x', instance: 'agent-7', job: 'pushed' }, 1]]);
});

test('https with tls_config.ca_file, and a gzip page', async () => {
  const dir = await scratchDir(join(tmpdir(), 'vigil-scrape-tls-'));
  const key = join(dir, 'key.pem');
  const cert = join(dir, 'cert.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
  const { gzipSync } = await import('node:zlib');
  const e = await exporter(createHttpsServer({ key: readFileSync(key), cert: readFileSync(cert) }));
  e.handler = (_req, res) => void res.writeHead(200, { 'content-type': TEXT, 'content-encoding': 'gzip' }).end(gzipSync('agent_inflight 5\n'));
  // a TLS handshake on a busy machine can take a while
  const slowOk = { scrapeIntervalMs: 2000, scrapeTimeoutMs: 2000 };
  await manager.reload([
    scrapeConfig('tls', [e.address], { scheme: 'https', tls: { caFile: cert }, ...slowOk }),
    scrapeConfig('untrusted', [e.address], { scheme: 'https', ...slowOk }),
  ]);
  const [ok, untrusted] = await Promise.all([nextScrape('tls'), nextScrape('untrusted')]);
  expect(at(ok, 'agent_inflight{job="tls"}')[0][1]).toBe(5);
  expect(untrusted.up).toBe(false);
  expect(untrusted.error).toMatch(/self[- ]signed certificate/);
  await expect(manager.reload([scrapeConfig('tls', [e.address], { scheme: 'https', tls: { caFile: join(dir, 'missing.pem') } })])).rejects.toThrow(
    /^scrape_configs job "tls": tls_config.ca_file: ENOENT/,
  );
});
