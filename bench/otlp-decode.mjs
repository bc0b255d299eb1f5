#!/usr/bin/env node
/**
 * OTLP/HTTP bodies at the default body limit (4 MiB), decoded as `POST /v1/metrics` decodes them:
 * the time to decode, and the longest the event loop was held meanwhile (a setImmediate probe).
 * Against protobufjs decoding the whole message in one call, as vigil did before. No anchor:
 * Prometheus 2.42 has no OTLP receiver (it came in 2.47).
 *
 *   npm run build && node bench/otlp-decode.mjs
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { log, REPO_DIR, table } from './lib/stats.mjs';

const { decodeMetricsRequest, OtlpTypes } = await import(pathToFileURL(join(REPO_DIR, 'dist', 'tsdb', 'index.js')).href);
const T = OtlpTypes.ExportMetricsServiceRequest;

/** `metrics` cumulative sums of `points` points each, two attributes a point. */
function request(metrics, points) {
  const ms = [];
  for (let m = 0; m < metrics; m++) {
    const dataPoints = [];
    for (let p = 0; p < points; p++) {
      dataPoints.push({ attributes: [{ key: 'gen_ai.agent.name', value: { stringValue: `agent-${p}` } }, { key: 'tool', value: { stringValue: 'search' } }], startTimeUnixNano: 1e18, timeUnixNano: 1.7e18 + p, asDouble: p * 1.5 });
    }
    ms.push({ name: `gen_ai.client.token.usage.${m}`, unit: '{token}', sum: { dataPoints, aggregationTemporality: 2, isMonotonic: true } });
  }
  return { resourceMetrics: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: 'agents' } }] }, scopeMetrics: [{ metrics: ms }] }] };
}

/** Runs `f`, returning its wall time and the longest gap between two turns of the event loop meanwhile. */
async function held(f) {
  let last = performance.now();
  let max = 0;
  let done = false;
  const probe = () => {
    const now = performance.now();
    max = Math.max(max, now - last);
    last = now;
    if (!done) setImmediate(probe);
  };
  setImmediate(probe);
  const t0 = performance.now();
  await f();
  const ms = performance.now() - t0;
  done = true;
  return { ms, maxHeldMs: Math.max(max, performance.now() - last) };
}

const rows = [['body', 'MiB', 'decoder', 'decode ms', 'longest event-loop hold ms']];
for (const [metrics, points] of [[1, 40_000], [400, 100]]) {
  const obj = request(metrics, points);
  const protobuf = T.encode(T.fromObject(obj)).finish();
  // a JSON body may be at most the body limit, gzip or not: the same request, half of it
  const json = Buffer.from(JSON.stringify(request(metrics === 1 ? 1 : metrics / 2, metrics === 1 ? points / 2 : points)));
  const what = `${metrics} metric(s) × ${points} points`;
  for (let round = 0; round < 3; round++) {
    const sliced = await held(() => decodeMetricsRequest(protobuf, 'protobuf'));
    const whole = await held(async () => T.toObject(T.decode(protobuf), { defaults: true, arrays: true, longs: Number }));
    const jsonSliced = await held(() => decodeMetricsRequest(json, 'json'));
    if (round < 2) continue; // the first rounds warm the JIT
    rows.push([what, (protobuf.length / 2 ** 20).toFixed(1), 'protobuf, sliced (vigil)', sliced.ms.toFixed(0), sliced.maxHeldMs.toFixed(1)]);
    rows.push([what, (protobuf.length / 2 ** 20).toFixed(1), 'protobuf, whole message (before)', whole.ms.toFixed(0), whole.maxHeldMs.toFixed(1)]);
    rows.push([what, (json.length / 2 ** 20).toFixed(1), 'JSON: one JSON.parse, then sliced', jsonSliced.ms.toFixed(0), jsonSliced.maxHeldMs.toFixed(1)]);
  }
}
log('OTLP decoding');
console.log(table(rows));
