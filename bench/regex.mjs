#!/usr/bin/env node
/**
 * Catastrophic regexes against vigil and Alertmanager 0.25 on the same machine. Each server
 * runs a route matcher `agent_id=~"(a+)+b"` and gets a silence `agent_id=~"(x+x+)+y"`; then
 * ALERTS alerts whose agent_id is a long near-miss (LABEL_LENGTH × "a" + "c", or × "x") are
 * posted in batches of 64 while a poller asks the health endpoint every 10 ms. Reported per
 * server: the health answer's latency (p50, p99, max) during the posts, its max after them
 * (listing and filtering every alert), alerts/s in, and how the alerts were muted, filtered and
 * routed (none may match). group_wait is 1h, so no notification work mixes in. A backtracking engine would never answer.
 *
 * Then, in-process: the cost of one match for the matcher shapes seen in configs, JavaScript's
 * RegExp against src/regex (re2js plus its set/prefix shortcuts).
 *
 *   npm run build && node bench/regex.mjs
 *
 * Knobs: ALERTS (2000), LABEL_LENGTH (2000). Needs prometheus-alertmanager.
 */

import { createServer } from 'node:http';
import { join } from 'node:path';
import { freePort } from './lib/net.mjs';
import { processCpuSeconds } from './lib/prometheus.mjs';
import { withAlertmanager, withVigil } from './lib/servers.mjs';
import { REPO_DIR, env, log, quantile, saveResult, table } from './lib/stats.mjs';

const ALERTS = env('ALERTS', 2000);
const LABEL_LENGTH = env('LABEL_LENGTH', 2000);
const BATCH = 64;

/** A webhook receiver that counts what arrives per path. */
async function startSink() {
  const byPath = new Map();
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      byPath.set(req.url, (byPath.get(req.url) ?? 0) + 1);
      res.end('ok');
    });
  });
  const port = await freePort();
  await new Promise((r) => server.listen(port, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${port}`, byPath, close: () => new Promise((r) => server.close(r)) };
}

const route = (sink) => ({
  receiver: 'normal',
  group_by: ['alertname'],
  // no flush during the run: the figures are ingest, routing, muting and the API, not notification
  group_wait: '1h',
  group_interval: '1h',
  repeat_interval: '1h',
  routes: [{ matchers: ['agent_id=~"(a+)+b"'], receiver: 'trap' }],
});
const receivers = (sink) => [
  { name: 'normal', webhook_configs: [{ url: `${sink.url}/normal` }] },
  { name: 'trap', webhook_configs: [{ url: `${sink.url}/trap` }] },
];

function makeAlerts() {
  const startsAt = new Date().toISOString();
  return Array.from({ length: ALERTS }, (_, i) => ({
    labels: { alertname: 'BenchRegex', id: String(i), agent_id: (i % 2 ? 'a' : 'x').repeat(LABEL_LENGTH) + (i % 2 ? 'c' : '') + i },
    startsAt,
  }));
}

async function measure(name, base, healthPath, pid) {
  const silence = await fetch(`${base}/api/v2/silences`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      matchers: [{ name: 'agent_id', value: '(x+x+)+y', isRegex: true, isEqual: true }],
      startsAt: new Date().toISOString(),
      endsAt: new Date(Date.now() + 3_600_000).toISOString(),
      createdBy: 'bench',
      comment: 'catastrophic',
    }),
  });
  if (!silence.ok) throw new Error(`${name}: silence ${silence.status} ${await silence.text()}`);

  const latencies = [];
  let phase = 'post';
  let polling = true;
  const poller = (async () => {
    while (polling) {
      const t = performance.now();
      const res = await fetch(`${base}${healthPath}`);
      await res.arrayBuffer();
      latencies.push({ phase, ms: performance.now() - t });
      await new Promise((r) => setTimeout(r, 10));
    }
  })();
  const alerts = makeAlerts();
  const cpu0 = processCpuSeconds(pid);
  const t0 = performance.now();
  for (let i = 0; i < alerts.length; i += BATCH) {
    const res = await fetch(`${base}/api/v2/alerts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(alerts.slice(i, i + BATCH)) });
    await res.arrayBuffer();
    if (!res.ok) throw new Error(`${name}: POST ${res.status}`);
  }
  const wallMs = performance.now() - t0;
  phase = 'rest';
  // every alert is then listed, with its silence status: the filter runs the matchers again
  const listed = await (await fetch(`${base}/api/v2/alerts?filter=${encodeURIComponent('agent_id=~"(.*a){20}b"')}`)).json();
  const all = await (await fetch(`${base}/api/v2/alerts`)).json();
  polling = false;
  await poller;
  const during = latencies.filter((l) => l.phase === 'post').map((l) => l.ms);
  const after = latencies.filter((l) => l.phase === 'rest').map((l) => l.ms);
  const row = {
    server: name,
    healthChecks: during.length,
    healthP50ms: Number(quantile(during, 0.5).toFixed(1)),
    healthP99ms: Number(quantile(during, 0.99).toFixed(1)),
    healthMaxMs: Number(Math.max(...during).toFixed(1)),
    // while the whole list is filtered and serialized, twice
    healthMaxAfterMs: Number(Math.max(...after).toFixed(1)),
    alertsPerSecond: Math.round(ALERTS / (wallMs / 1000)),
    cpuSeconds: Number((processCpuSeconds(pid) - cpu0).toFixed(2)),
    silenced: all.filter((a) => a.status.silencedBy.length > 0).length,
    filterMatched: listed.length,
    routedToTrap: all.filter((a) => a.receivers.some((r) => r.name === 'trap')).length,
  };
  log(`${name}: ${JSON.stringify(row)}`);
  return row;
}

function benchVigil(sink) {
  return withVigil({ prefix: 'vigil-bench-regex-', config: { route: route(sink), receivers: receivers(sink) } }, ({ url, pid }) => measure('vigil', url, '/healthz', pid));
}

function benchAlertmanager(sink) {
  return withAlertmanager({ prefix: 'vigil-bench-regex-am-', config: { route: route(sink), receivers: receivers(sink) } }, ({ url, pid }) => measure('alertmanager', url, '/-/healthy', pid));
}

/** ns per anchored match: JavaScript's RegExp against src/regex, over a few inputs each. */
async function matchCosts() {
  const { compileRE2 } = await import(join(REPO_DIR, 'dist/regex/index.js'));
  const cases = [
    ['P1|P2', ['P1', 'P3', 'P2', 'critical']],
    ['checkout-.*', ['checkout-bot', 'search-bot', 'checkout-']],
    ['api-.+', ['api-1', 'checkout', 'api-gateway-eu']],
    ['(?i)prod', ['PROD', 'dev']],
    ['[a-z]+-bot-[0-9]{1,3}', ['checkout-bot-12', 'search-bot-x']],
  ];
  const N = 300_000;
  const time = (fn, inputs) => {
    const t = process.hrtime.bigint();
    for (let i = 0; i < N; i++) fn(inputs[i % inputs.length]);
    return Number(process.hrtime.bigint() - t) / N;
  };
  return cases.map(([pattern, inputs]) => {
    const js = new RegExp(`^(?:${pattern.replace('(?i)', '')})$`, pattern.startsWith('(?i)') ? 'i' : '');
    const re = compileRE2(pattern, { anchored: true });
    time((s) => js.test(s), inputs); // warm-up
    time((s) => re.test(s), inputs);
    return { pattern, jsRegExpNs: Math.round(time((s) => js.test(s), inputs)), vigilNs: Math.round(time((s) => re.test(s), inputs)) };
  });
}

const sink = await startSink();
const rows = [await benchVigil(sink), await benchAlertmanager(sink)];
await sink.close();
console.log(`${ALERTS} alerts, agent_id ${LABEL_LENGTH} characters long, route (a+)+b, silence (x+x+)+y, filter (.*a){20}b`);
console.log(
  table([
    ['server', 'health checks', 'health p50 ms', 'p99 ms', 'max ms', 'max ms after', 'alerts/s in', 'CPU s', 'silenced', 'filter matched', 'routed to trap'],
    ...rows.map((r) => [r.server, r.healthChecks, r.healthP50ms, r.healthP99ms, r.healthMaxMs, r.healthMaxAfterMs, r.alertsPerSecond, r.cpuSeconds, r.silenced, r.filterMatched, r.routedToTrap]),
  ]),
);
const costs = await matchCosts();
console.log(table([['pattern (anchored)', 'JS RegExp ns', 'vigil ns'], ...costs.map((c) => [c.pattern, c.jsRegExpNs, c.vigilNs])]));
console.log(`results: ${saveResult('regex', { alerts: ALERTS, labelLength: LABEL_LENGTH, rows, costs })}`);
