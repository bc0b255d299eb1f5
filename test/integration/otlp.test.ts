/**
 * Real OpenTelemetry SDKs (@opentelemetry/sdk-metrics with the OTLP/HTTP JSON and protobuf
 * exporters) export the GenAI conventions' metrics to vigil's POST /v1/metrics on a real server;
 * the series are queryable under the names the otel-genai profile of the pack reads.
 */
import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import express from 'express';
import { Registry } from 'prom-client';
import { parse } from 'yaml';
import { OTLPMetricExporter as JsonExporter, AggregationTemporalityPreference } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter as ProtoExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider, PeriodicExportingMetricReader, type PushMetricExporter } from '@opentelemetry/sdk-metrics';
import { ingestionRoutes, IngestionMetrics } from '../../src/server/index.js';
import { MemoryStore } from '../../src/tsdb/index.js';
import { listening, urlOf } from '../support/listen.js';
import { vectorAt } from '../support/query.js';

let store: MemoryStore;
let registry: Registry;
let server: Server;
let url: string;

beforeEach(async () => {
  store = new MemoryStore();
  registry = new Registry();
  server = await listening(express().use(ingestionRoutes({ storage: () => store, metrics: new IngestionMetrics(registry), maxRequestBytes: 4 << 20 })));
  url = `${urlOf(server)}/v1/metrics`;
});
afterEach(() => new Promise((r) => server.close(r)));

/** An agent instrumented as the GenAI conventions say, exporting through `exporter`; flushes once. */
async function runAgent(exporter: PushMetricExporter, agent: string, instance: string) {
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
  const provider = new MeterProvider({
    resource: resourceFromAttributes({ 'service.name': 'support-bot', 'service.instance.id': instance, 'deployment.environment.name': 'prod' }),
    readers: [reader],
  });
  const meter = provider.getMeter('genai-demo');
  const invoke = meter.createHistogram('gen_ai.invoke_agent.duration', { unit: 's', advice: { explicitBucketBoundaries: [0.1, 0.8, 3.2, 12.8] } });
  const tool = meter.createHistogram('gen_ai.execute_tool.duration', { unit: 's', advice: { explicitBucketBoundaries: [0.1, 1] } });
  const tokens = meter.createHistogram('gen_ai.client.token.usage', { unit: '{token}', advice: { explicitBucketBoundaries: [100, 1000, 10000] } });
  const agentAttr = { 'gen_ai.agent.name': agent };
  invoke.record(0.5, agentAttr);
  invoke.record(2.5, agentAttr);
  invoke.record(20, { ...agentAttr, 'error.type': 'timeout' });
  tool.record(0.05, { ...agentAttr, 'gen_ai.tool.name': 'search' });
  tool.record(0.3, { ...agentAttr, 'gen_ai.tool.name': 'search', 'error.type': '500' });
  tokens.record(700, { ...agentAttr, 'gen_ai.token.type': 'input', 'gen_ai.operation.name': 'chat' });
  tokens.record(300, { ...agentAttr, 'gen_ai.token.type': 'input', 'gen_ai.operation.name': 'chat' });
  tokens.record(250, { ...agentAttr, 'gen_ai.token.type': 'output', 'gen_ai.operation.name': 'chat' });
  meter.createCounter('agent.hallucination', { unit: '{hallucination}' }).add(2, agentAttr);
  meter.createUpDownCounter('agent.queue.depth').add(4, agentAttr);
  meter.createObservableGauge('agent.cache.hit_ratio', { unit: '1' }).addCallback((r) => r.observe(0.25, agentAttr));
  await provider.forceFlush();
  await provider.shutdown();
}

const now = () => Date.now();
const one = (expr: string) => {
  const v = vectorAt(store, expr, now());
  if (v.length !== 1) throw new Error(`${expr}: ${v.length} series`);
  return v[0];
};

for (const [format, makeExporter] of [
  ['JSON', (u: string) => new JsonExporter({ url: u, temporalityPreference: AggregationTemporalityPreference.CUMULATIVE })],
  ['protobuf, gzip', (u: string) => new ProtoExporter({ url: u, compression: 'gzip' as never })],
] as const) {
  test(`the GenAI metrics over OTLP/HTTP ${format} are queryable with the otel-genai profile's names`, async () => {
    await runAgent(makeExporter(url), 'triage', 'pod-1');
    const target = { job: 'support-bot', instance: 'pod-1' };
    expect(one('gen_ai_client_token_usage_sum{gen_ai_token_type="input"}')).toEqual([
      { __name__: 'gen_ai_client_token_usage_sum', gen_ai_agent_name: 'triage', gen_ai_operation_name: 'chat', gen_ai_token_type: 'input', ...target },
      1000,
    ]);
    expect(one('gen_ai_client_token_usage_count{gen_ai_token_type="output"}')[1]).toBe(1);
    expect(vectorAt(store, 'gen_ai_invoke_agent_duration_seconds_bucket{error_type=""}', now()).map(([l, v]) => [l.le, v])).toEqual([
      ['+Inf', 2], ['0.1', 0], ['0.8', 1], ['12.8', 2], ['3.2', 2],
    ]);
    expect(one('sum(gen_ai_invoke_agent_duration_seconds_count{error_type!=""})')[1]).toBe(1);
    expect(one('gen_ai_execute_tool_duration_seconds_count{gen_ai_tool_name="search",error_type="500"}')[1]).toBe(1);
    // monotonic sum → _total; non-monotonic → a gauge without it; unit "1" on a gauge → _ratio
    expect(one('agent_hallucination_total')).toEqual([{ __name__: 'agent_hallucination_total', gen_ai_agent_name: 'triage', ...target }, 2]);
    expect(one('agent_queue_depth')[1]).toBe(4);
    expect(one('agent_cache_hit_ratio')[1]).toBe(0.25);
    // the resource's other attributes, as Prometheus keeps them
    expect(one('target_info')[0]).toMatchObject({ deployment_environment_name: 'prod', ...target });

    // every metric the profile reads exists
    const profile = parse(readFileSync(new URL('../../profiles/otel-genai.yaml', import.meta.url), 'utf8')) as { vars: Record<string, string> };
    const metrics = Object.entries(profile.vars).filter(([k]) => k.endsWith('_metric')).map(([, v]) => v);
    expect(metrics.length).toBeGreaterThanOrEqual(4);
    for (const m of metrics) expect(vectorAt(store, `count(${m}{gen_ai_agent_name="triage"})`, now())).toHaveLength(1);
    expect(await registry.getSingleMetricAsString('vigil_ingest_requests_refused_total')).not.toMatch(/endpoint=/);
  });
}

test('delta temporality from the SDK is dropped, counted and said in partialSuccess; gauges still land', async () => {
  await runAgent(new JsonExporter({ url, temporalityPreference: AggregationTemporalityPreference.DELTA }), 'triage', 'pod-2');
  expect(vectorAt(store, 'agent_hallucination_total', now())).toEqual([]);
  expect(vectorAt(store, 'gen_ai_client_token_usage_sum', now())).toEqual([]);
  expect(one('agent_cache_hit_ratio')[1]).toBe(0.25);
  expect(await registry.getSingleMetricAsString('vigil_ingest_points_dropped_total')).toMatch(/endpoint="otlp",reason="delta_temporality"} [1-9]/);
});
