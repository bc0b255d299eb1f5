#!/usr/bin/env node
/**
 * The anchor for bench/tsdb-memory.mjs: Prometheus 2.42's head against vigil's TSDB holding the
 * same 1,000 agents (35,000 series), both fed the same number of scrapes.
 *
 *   npm run build && node --expose-gc bench/tsdb-prometheus-head.mjs
 *   AGENTS=1000 SCRAPES=120 INTERVAL_S=1 node --expose-gc bench/tsdb-prometheus-head.mjs
 *
 * A loopback exporter serves the fleet's series (Prometheus text format, counters that grow every
 * scrape). Prometheus scrapes it every INTERVAL_S seconds until it has appended SCRAPES samples a
 * series; its memory is read from /proc (RSS) and its own /metrics (Go heap in use) before the
 * first scrape and at the end. vigil's TSDB then takes the same SCRAPES rounds of the same series
 * (with the job and instance labels Prometheus adds) through its Appender, and its memory is read
 * after a forced GC. Prometheus' scrape cache (~145 B a series) is in its figure; vigil's
 * scraper is not part of this bench.
 */
import { createServer } from 'node:http';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Fleet, agentId } from './lib/fleet.mjs';
import { freePort } from './lib/net.mjs';
import { startPrometheus, tempDir, which } from './lib/prometheus.mjs';
import { REPO_DIR, env, log, saveResult } from './lib/stats.mjs';

if (typeof globalThis.gc !== 'function') {
  console.error('run with node --expose-gc bench/tsdb-prometheus-head.mjs');
  process.exit(2);
}
if (!which('prometheus')) {
  console.error('prometheus not found (Debian package: prometheus)');
  process.exit(2);
}
const { TSDB } = await import(pathToFileURL(join(REPO_DIR, 'dist', 'tsdb', 'index.js')).href);

const AGENTS = env('AGENTS', 1000);
const SCRAPES = env('SCRAPES', 120);
const INTERVAL_S = env('INTERVAL_S', 1);
const FAMILIES = [
  ['agent_requests', 'agent_requests_total'],
  ['agent_request_duration_seconds', null],
  ['agent_tokens_consumed', 'agent_tokens_consumed_total'],
  ['agent_tool_calls', 'agent_tool_calls_total'],
  ['agent_hallucination', 'agent_hallucination_total'],
];

// The series: the fleet's label sets, each with a start value and a per-scrape increment.
const fleet = new Fleet({ agents: AGENTS, timestamps: [0, 60_000] });
const series = [];
for (let i = 0; i < AGENTS; i++) {
  for (const [family, metric] of FAMILIES) {
    for (const [labels, values, name] of fleet.series(family, i)) {
      const full = { __name__: name ?? metric, ...labels };
      series.push({ labels: full, base: values[1], inc: Math.max(1, values[1] - values[0]) });
    }
  }
}
const valueAt = (k, round) => series[k].base + round * series[k].inc + ((round * 7 + k) % 5);
const lines = series.map(({ labels }) => {
  const { __name__, ...rest } = labels;
  return `${__name__}{${Object.keys(rest)
    .map((k) => `${k}="${rest[k]}"`)
    .join(',')}} `;
});
log(`${series.length} series (${AGENTS} agents, e.g. ${agentId(0)})`);

/** A field of /proc/<pid>/status in bytes (VmRSS). */
const procStatus = (pid, field) => {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : NaN;
};

/** The sum of a metric's series in Prometheus' own /metrics (2.42 labels some, e.g. {type="float"}). */
async function promMetric(url, name) {
  const text = await (await fetch(`${url}/metrics`)).text();
  let sum = 0;
  for (const l of text.split('\n')) if (l.startsWith(`${name} `) || l.startsWith(`${name}{`)) sum += Number(l.slice(l.lastIndexOf(' ') + 1));
  return sum;
}

// --- Prometheus ---
let round = 0;
const port = await freePort();
const server = createServer((req, res) => {
  const r = round++;
  let body = '';
  for (let k = 0; k < lines.length; k++) body += `${lines[k]}${valueAt(k, r)}\n`;
  res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
  res.end(body);
});
await new Promise((r) => server.listen(port, '127.0.0.1', r));
const work = await tempDir('vigil-bench-promhead-');
const config = `global:\n  scrape_interval: ${INTERVAL_S}s\n  scrape_timeout: ${INTERVAL_S}s\nscrape_configs:\n  - job_name: fleet\n    static_configs:\n      - targets: ['127.0.0.1:${port}']\n`;
const prom = await startPrometheus({ dir: work.dir, dataDir: join(work.dir, 'data'), config });
const before = { rss: procStatus(prom.pid, 'VmRSS'), heap: await promMetric(prom.url, 'go_memstats_heap_inuse_bytes') };
log(`prometheus ready: RSS ${(before.rss / 2 ** 20).toFixed(0)} MiB, heap in use ${(before.heap / 2 ** 20).toFixed(0)} MiB`);
const want = SCRAPES * series.length;
for (;;) {
  const appended = await promMetric(prom.url, 'prometheus_tsdb_head_samples_appended_total');
  if (appended >= want) break;
  await new Promise((r) => setTimeout(r, 1000));
}
const promAfter = {
  rss: procStatus(prom.pid, 'VmRSS'),
  heap: await promMetric(prom.url, 'go_memstats_heap_inuse_bytes'),
  series: await promMetric(prom.url, 'prometheus_tsdb_head_series'),
  samples: await promMetric(prom.url, 'prometheus_tsdb_head_samples_appended_total'),
  chunks: await promMetric(prom.url, 'prometheus_tsdb_head_chunks'),
};
await prom.stop();
server.close();
await work.remove();
const prometheus = {
  ...promAfter,
  rssPerSeries: (promAfter.rss - before.rss) / promAfter.series,
  heapPerSeries: (promAfter.heap - before.heap) / promAfter.series,
};
log(`prometheus after ${(promAfter.samples / promAfter.series).toFixed(0)} samples a series: RSS +${((promAfter.rss - before.rss) / 2 ** 20).toFixed(0)} MiB (${prometheus.rssPerSeries.toFixed(0)} B/series), heap in use +${((promAfter.heap - before.heap) / 2 ** 20).toFixed(0)} MiB (${prometheus.heapPerSeries.toFixed(0)} B/series)`);

// --- vigil ---
const dir = mkdtempSync(join(tmpdir(), 'vigil-bench-tsdbhead-'));
try {
  const labels = series.map((s) => ({ ...s.labels, job: 'fleet', instance: `127.0.0.1:${port}` }));
  const rounds = Math.round(promAfter.samples / promAfter.series);
  const held = () => {
    globalThis.gc();
    globalThis.gc();
    const m = process.memoryUsage();
    return m.heapUsed + m.arrayBuffers;
  };
  const heldBefore = held();
  const rssBefore = process.memoryUsage().rss;
  const db = await TSDB.open(dir, { checkpointIntervalMs: 0, logger: { info: () => {}, warn: log } });
  let t = Date.UTC(2026, 11, 1);
  for (let r = 0; r < rounds; r++) {
    const a = db.appender();
    for (let k = 0; k < labels.length; k++) a.append(labels[k], t, valueAt(k, r));
    await a.commit();
    t += INTERVAL_S * 1000;
  }
  labels.length = 0;
  const heldBytes = held() - heldBefore;
  const st = db.stats();
  const vigil = {
    series: st.series,
    samples: st.samples,
    chunkBytes: st.chunkBytes,
    heldBytes,
    heldPerSeries: heldBytes / st.series,
    rssPerSeries: (process.memoryUsage().rss - rssBefore) / st.series,
  };
  await db.close();
  log(`vigil after ${rounds} samples a series: held +${(heldBytes / 2 ** 20).toFixed(0)} MiB (${vigil.heldPerSeries.toFixed(0)} B/series), RSS +${(vigil.rssPerSeries * st.series / 2 ** 20).toFixed(0)} MiB (${vigil.rssPerSeries.toFixed(0)} B/series)`);
  const result = { agents: AGENTS, scrapes: SCRAPES, intervalS: INTERVAL_S, prometheus, vigil };
  console.log(JSON.stringify(result, null, 2));
  log(`saved ${saveResult('tsdb-prometheus-head', result)}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
