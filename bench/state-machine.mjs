#!/usr/bin/env node
/**
 * The alert state machine alone, no Prometheus: AlertingRule.apply(ts, samples, ctx)
 * with 1,000 samples per evaluation (a fleet-wide outage: every agent alerting),
 * one evaluation per minute of a day. Labels and annotations are rendered per alert
 * through the Prometheus template engine, as live; the backtest path skips annotations.
 *
 *   npm run build && node --expose-gc bench/state-machine.mjs
 *
 * Knobs (environment): SAMPLES (1000), EVALUATIONS (1440) for the headline rule,
 * PER_RULE_EVALUATIONS (240) for each of the six pack rules.
 */

import { env, log, saveResult, table, vigilCpuSeconds } from './lib/stats.mjs';
import { evaluation, loadPack } from './lib/vigil.mjs';

const SAMPLES = env('SAMPLES', 1000);
const EVALUATIONS = env('EVALUATIONS', 1440);
const PER_RULE = env('PER_RULE_EVALUATIONS', 240);
const MIN = 60_000;

const groups = await loadPack();
const packRules = groups.flatMap((spec) => new evaluation.Group(spec).alertingRules().map((rule) => ({ group: spec.name, spec: rule.spec })));

function samplesFor(rule, i0) {
  const byTool = /tool/i.test(rule.name);
  const out = [];
  for (let i = 0; i < SAMPLES; i++) {
    const agent = `agent-${String(i).padStart(4, '0')}`;
    const metric = byTool ? { agent_id: agent, tool_name: ['search', 'retrieve', 'calculator', 'payments', 'email'][i % 5] } : { agent_id: agent };
    // Values change every evaluation, as query results do.
    out.push({ metric, value: 0.05 + ((i * 7919 + i0 * 104729) % 1000) / 10_000 });
  }
  return out;
}

/** Runs `evaluations` evaluations of one rule from a fresh state; returns timings and final states. */
async function run(spec, evaluations, annotations) {
  const rule = new evaluation.AlertingRule(spec);
  const ctx = { externalLabels: { cluster: 'bench' }, externalURL: 'http://vigil.example' };
  // Inputs are built before timing: they stand for the datasource's parsed answer.
  const inputs = Array.from({ length: Math.min(evaluations, 60) }, (_, k) => samplesFor(spec, k));
  const cpu0 = vigilCpuSeconds();
  const t0 = performance.now();
  const start = Date.UTC(2025, 0, 1);
  for (let k = 0; k < evaluations; k++) {
    await rule.apply(start + k * MIN, inputs[k % inputs.length], ctx, { annotations });
  }
  const wallMs = performance.now() - t0;
  const cpuMs = (vigilCpuSeconds() - cpu0) * 1000;
  const states = { firing: 0, pending: 0, inactive: 0 };
  for (const a of rule.active.values()) states[a.state]++;
  const sample = [...rule.active.values()][0];
  const example = sample ? { labels: sample.labels, annotations: sample.annotations } : undefined;
  // The heap the rule's alerts hold: after a GC, with them and after dropping them (needs --expose-gc).
  let heapKeptMiB = NaN;
  if (global.gc) {
    global.gc();
    const withAlerts = process.memoryUsage().heapUsed;
    rule.active.clear();
    global.gc();
    heapKeptMiB = (withAlerts - process.memoryUsage().heapUsed) / 2 ** 20;
  }
  return {
    evaluations,
    alertsPerEvaluation: SAMPLES,
    wallMs,
    cpuMs,
    evaluationsPerSec: evaluations / (wallMs / 1000),
    usPerAlert: (wallMs * 1000) / (evaluations * SAMPLES),
    heapKeptMiB,
    states,
    example,
  };
}

const headline = packRules.find((r) => r.spec.name === 'AgentErrorRateSpike') ?? packRules[0];
log(`${headline.spec.name}: ${EVALUATIONS} evaluations × ${SAMPLES} alerts, with annotations`);
const withAnnotations = await run(headline.spec, EVALUATIONS, true);
log(`${headline.spec.name}: ${EVALUATIONS} evaluations × ${SAMPLES} alerts, labels only (backtest path)`);
const labelsOnly = await run(headline.spec, EVALUATIONS, false);

const perRule = [];
for (const r of packRules) {
  log(`${r.spec.name}: ${PER_RULE} evaluations`);
  perRule.push({ rule: r.spec.name, ...(await run(r.spec, PER_RULE, true)) });
}

const f = (x) => x.toFixed(x < 10 ? 2 : x < 100 ? 1 : 0);
console.log(`\nstate machine: AlertingRule.apply with ${SAMPLES} samples per evaluation (all alerting: pending, then firing after \`for\`)`);
console.log(
  table([
    ['case', 'evaluations', 'wall', 'CPU', 'evaluations/s', 'µs per alert', 'heap held by the alerts', 'end state'],
    ...[
      [`${headline.spec.name}, labels + annotations`, withAnnotations],
      [`${headline.spec.name}, labels only`, labelsOnly],
      ...perRule.map((r) => [`${r.rule}, labels + annotations`, r]),
    ].map(([name, r]) => [name, r.evaluations, `${f(r.wallMs / 1000)} s`, `${f(r.cpuMs / 1000)} s`, f(r.evaluationsPerSec), f(r.usPerAlert), Number.isNaN(r.heapKeptMiB) ? 'n/a (--expose-gc)' : `${f(r.heapKeptMiB)} MiB`, `${r.states.firing} firing`]),
  ]),
);
console.log(`\nexample alert: ${JSON.stringify(withAnnotations.example)}`);
const path = saveResult('state-machine', { params: { samples: SAMPLES, evaluations: EVALUATIONS, perRuleEvaluations: PER_RULE }, withAnnotations, labelsOnly, perRule });
console.log(`\nresult: ${path}`);
