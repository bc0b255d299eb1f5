#!/usr/bin/env node
/**
 * Evaluation cycle time and CPU: the six groups of the default pack against a real
 * Prometheus holding 1,000 agents (≈35 series each), a few of them in incidents.
 *
 *   npm run build && node bench/eval-cycle.mjs
 *
 * Knobs (environment): AGENTS (1000), INCIDENTS_PER_KIND (5), WARMUP (6 cycles 5m
 * apart, enough for the 30m `for` clocks to reach firing), CYCLES (10 measured per mode),
 * BASELINE_STEP_MIN (30: the step of the day before the last 2h; 1 for dense history,
 * which Prometheus pays for in the 24h windows — try it with AGENTS=100).
 *
 * History: the last ~2h at 1m, the day before at 30m (rates over 24h only need the
 * window's ends) and 5m where present_over_time(...[15m] offset 24h) looks. One cycle = Evaluator.evaluateGroup(group, ts) for each group,
 * sequentially, then all six at once as the live scheduler runs them; each cycle one
 * minute after the last, so alert state moves on as it does live.
 */

import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { agentId, Fleet, INCIDENT_KINDS, SERIES_PER_AGENT, timeline } from './lib/fleet.mjs';
import { createBlocks, diffMetrics, loadAverage, prometheusSelfMetrics, startPrometheus, systemCpuSeconds, tempDir } from './lib/prometheus.mjs';
import { du, env, log, saveResult, summarize, table, vigilCpuSeconds } from './lib/stats.mjs';
import { CountingDatasource, datasource, evaluation, loadPack } from './lib/vigil.mjs';

const MIN = 60_000;
const AGENTS = env('AGENTS', 1000);
const PER_KIND = env('INCIDENTS_PER_KIND', 5);
const WARMUP = env('WARMUP', 6);
const CYCLES = env('CYCLES', 10);
const BASELINE_STEP = env('BASELINE_STEP_MIN', 30) * MIN;

const groups = await loadPack();

// --- timeline and fleet ------------------------------------------------------------
// Warm-up cycles every 5m bring the 30m `for` clocks to firing in few evaluations;
// the measured cycles then run every minute up to the end of the data.
const end = Math.floor(Date.now() / (15 * MIN)) * 15 * MIN;
const firstMeasured = end - 2 * CYCLES * MIN;
const firstCycle = firstMeasured - WARMUP * 5 * MIN;
const fineFrom = firstCycle - 65 * MIN; // the latency rule's 5m window 1h before the first cycle
const timestamps = timeline([
  // rate(...[24h]): the window's start, sparse
  { from: firstCycle - 24 * 60 * MIN - 60 * MIN, to: end - 24 * 60 * MIN, stepMs: BASELINE_STEP },
  // present_over_time(...[15m] offset 24h) needs a sample in every 15m window a day before each cycle
  { from: firstCycle - 24 * 60 * MIN - 20 * MIN, to: end - 24 * 60 * MIN, stepMs: Math.min(BASELINE_STEP, 5 * MIN) },
  { from: end - 24 * 60 * MIN, to: fineFrom, stepMs: BASELINE_STEP },
  { from: fineFrom, to: end, stepMs: MIN },
]);
const stride = Math.floor(AGENTS / PER_KIND);
const incidents = [];
INCIDENT_KINDS.forEach((kind, k) => {
  for (let j = 0; j < PER_KIND; j++) {
    const agent = (j * stride + k * 11 + 5) % AGENTS;
    // Latency compares with 1h ago, so its incident must be younger than 1h at every cycle.
    const start = kind === 'latency' ? firstCycle - 5 * MIN : firstCycle - 30 * MIN;
    incidents.push({ agent, kind, from: start, to: end });
  }
});
const fleet = new Fleet({ agents: AGENTS, timestamps, incidents });

const tmp = await tempDir('vigil-bench-eval-');
let prom;
try {
  log(`writing ${AGENTS} agents × ${SERIES_PER_AGENT} series × ${timestamps.length} samples as OpenMetrics`);
  const input = join(tmp.dir, 'history.om');
  let t0 = performance.now();
  const written = await fleet.writeOpenMetrics(input);
  const writeMs = performance.now() - t0;
  log(`  ${(written.bytes / 2 ** 20).toFixed(0)} MiB, ${written.series} series, ${(written.samples / 1e6).toFixed(2)}M samples in ${(writeMs / 1000).toFixed(1)}s; promtool...`);
  const dataDir = join(tmp.dir, 'data');
  const blocks = await createBlocks(input, dataDir);
  await rm(input);
  const tsdbBytes = du(dataDir);
  log(`  promtool: ${(blocks.ms / 1000).toFixed(1)}s, TSDB ${(tsdbBytes / 2 ** 20).toFixed(0)} MiB; starting Prometheus`);
  t0 = performance.now();
  prom = await startPrometheus({ dir: tmp.dir, dataDir });
  const startMs = performance.now() - t0;

  // Prometheus with no targets and no compaction should be idle; check it is.
  const idleCpu0 = prom.cpuSeconds();
  await new Promise((r) => setTimeout(r, 5000));
  const idleCpuPerSec = (prom.cpuSeconds() - idleCpu0) / 5;
  log(`  ready in ${(startMs / 1000).toFixed(1)}s; idle CPU ${(idleCpuPerSec * 100).toFixed(1)}% of a core`);

  const counting = new CountingDatasource(new datasource.PrometheusDatasource({ url: prom.url }));
  const transitions = [];
  const evaluator = new evaluation.Evaluator(groups, {
    datasource: counting,
    onTransition: (t) => transitions.push({ alert: t.rule.name, to: t.alert.state, agent: t.alert.labels.agent_id }),
  });

  // --- warm-up: cold caches, and for-clocks brought to firing ----------------------------
  log(`warm-up: ${WARMUP} sequential cycles, 5m apart`);
  let ts = firstCycle;
  const warmupWall = [];
  for (let c = 0; c < WARMUP; c++, ts += 5 * MIN) {
    const s = performance.now();
    for (const g of evaluator.groups) await evaluator.evaluateGroup(g, ts);
    warmupWall.push(performance.now() - s);
  }

  // --- sequential ------------------------------------------------------------------------
  log(`sequential: ${CYCLES} cycles`);
  const perGroup = new Map(evaluator.groups.map((g) => [g.name, { wall: [], vigilCpu: [], promCpu: [], queryWall: [], queries: 0, samples: 0 }]));
  const seq = { wall: [], vigilCpu: [], promCpu: [], queryWall: [], otherCpu: [] };
  const loadBefore = loadAverage();
  const promMetrics0 = await prometheusSelfMetrics(prom.url);
  for (let c = 0; c < CYCLES; c++, ts += MIN) {
    const cycle = { wall: performance.now(), vigil: vigilCpuSeconds(), prom: prom.cpuSeconds(), sys: systemCpuSeconds(), q: counting.snapshot() };
    for (const g of evaluator.groups) {
      const before = { wall: performance.now(), vigil: vigilCpuSeconds(), prom: prom.cpuSeconds(), q: counting.snapshot() };
      const result = await evaluator.evaluateGroup(g, ts);
      if (result.failures > 0) throw new Error(`group ${g.name} failed: ${g.rules.map((r) => r.status.lastError).filter(Boolean).join('; ')}`);
      const p = perGroup.get(g.name);
      p.wall.push(performance.now() - before.wall);
      p.vigilCpu.push((vigilCpuSeconds() - before.vigil) * 1000);
      p.promCpu.push((prom.cpuSeconds() - before.prom) * 1000);
      p.queryWall.push(counting.queryMs - before.q.queryMs);
      p.queries += counting.instantQueries - before.q.instantQueries;
      p.samples += counting.samples - before.q.samples;
    }
    seq.wall.push(performance.now() - cycle.wall);
    seq.vigilCpu.push((vigilCpuSeconds() - cycle.vigil) * 1000);
    seq.promCpu.push((prom.cpuSeconds() - cycle.prom) * 1000);
    seq.queryWall.push(counting.queryMs - cycle.q.queryMs);
    seq.otherCpu.push(otherCpuMs(cycle, seq));
  }
  const promMetricsSeq = diffMetrics(await prometheusSelfMetrics(prom.url), promMetrics0);

  // --- concurrent: the six groups at once, as the live scheduler may run them -------------
  log(`concurrent: ${CYCLES} cycles`);
  const conc = { wall: [], vigilCpu: [], promCpu: [], groupWall: [], otherCpu: [] };
  for (let c = 0; c < CYCLES; c++, ts += MIN) {
    const cycle = { wall: performance.now(), vigil: vigilCpuSeconds(), prom: prom.cpuSeconds(), sys: systemCpuSeconds() };
    const walls = await Promise.all(
      evaluator.groups.map(async (g) => {
        const s = performance.now();
        const result = await evaluator.evaluateGroup(g, ts);
        if (result.failures > 0) throw new Error(`group ${g.name} failed`);
        return performance.now() - s;
      }),
    );
    conc.wall.push(performance.now() - cycle.wall);
    conc.vigilCpu.push((vigilCpuSeconds() - cycle.vigil) * 1000);
    conc.promCpu.push((prom.cpuSeconds() - cycle.prom) * 1000);
    conc.groupWall.push(Math.max(...walls));
    conc.otherCpu.push(otherCpuMs(cycle, conc));
  }

  // --- alerts at the end -------------------------------------------------------------------
  const kindOf = {
    AgentErrorRateSpike: 'error',
    AgentP99LatencySpike: 'latency',
    AgentTokenCostSpike: 'tokens',
    AgentToolCallFailureSpike: 'tool_failure',
    AgentHallucinationTrend: 'hallucination',
    AgentToolSelectionDrift: 'drift',
  };
  const alerts = {};
  for (const g of evaluator.groups) {
    for (const rule of g.alertingRules()) {
      const incidentAgents = new Set(incidents.filter((i) => i.kind === kindOf[rule.name]).map((i) => agentId(i.agent)));
      const counts = { firing: 0, pending: 0, inactive: 0, firingOnIncidentAgents: 0, others: [] };
      for (const a of rule.active.values()) {
        counts[a.state]++;
        if (a.state === 'firing' && incidentAgents.has(a.labels.agent_id)) counts.firingOnIncidentAgents++;
        else if (a.state !== 'inactive') counts.others.push(`${a.state} ${Object.entries(a.labels).filter(([k]) => k === 'agent_id' || k === 'tool_name').map(([, v]) => v).join('/')}`);
      }
      alerts[rule.name] = counts;
    }
  }
  const expected = Object.fromEntries(INCIDENT_KINDS.map((k) => [k, incidents.filter((i) => i.kind === k).map((i) => i.agent)]));
  const promRss = prom.rssMiB();
  const loadAfter = loadAverage();

  // --- report ----------------------------------------------------------------------------------
  const f = (x) => x.toFixed(x < 10 ? 1 : 0);
  const rows = [['group', 'wall median', 'wall p90', 'in Prometheus (query wall)', 'vigil CPU', 'Prometheus CPU', 'queries/eval', 'samples/eval']];
  const groupStats = {};
  for (const [name, p] of perGroup) {
    const s = {
      wallMs: summarize(p.wall),
      queryWallMs: summarize(p.queryWall),
      vigilCpuMs: summarize(p.vigilCpu),
      promCpuMs: summarize(p.promCpu),
      queriesPerEval: p.queries / CYCLES,
      samplesPerEval: p.samples / CYCLES,
    };
    groupStats[name] = s;
    rows.push([name, `${f(s.wallMs.median)} ms`, `${f(s.wallMs.p90)} ms`, `${f(s.queryWallMs.median)} ms`, `${f(s.vigilCpuMs.median)} ms`, `${f(s.promCpuMs.median)} ms`, s.queriesPerEval, s.samplesPerEval]);
  }
  const seqStats = { wallMs: summarize(seq.wall), vigilCpuMs: summarize(seq.vigilCpu), promCpuMs: summarize(seq.promCpu), queryWallMs: summarize(seq.queryWall), otherCpuMs: summarize(seq.otherCpu) };
  const concStats = { wallMs: summarize(conc.wall), vigilCpuMs: summarize(conc.vigilCpu), promCpuMs: summarize(conc.promCpu), otherCpuMs: summarize(conc.otherCpu) };
  const share = (v, p) => `${((100 * v) / (v + p)).toFixed(1)}%`;
  const sum = (xs) => xs.reduce((a, b) => a + b, 0);

  console.log(
    `\neval-cycle: ${AGENTS} agents × ${SERIES_PER_AGENT} series (${written.series} series, ${(written.samples / 1e6).toFixed(2)}M samples), 6 groups of the default pack; ` +
      `history: last ${(end - fineFrom) / MIN}m at 1m, the day before at ${BASELINE_STEP / MIN}m`,
  );
  console.log(`history: ${(written.bytes / 2 ** 20).toFixed(0)} MiB OpenMetrics written in ${f(writeMs / 1000)} s; promtool ${f(blocks.ms / 1000)} s; TSDB ${f(tsdbBytes / 2 ** 20)} MiB; Prometheus ready in ${f(startMs / 1000)} s, RSS ${f(promRss)} MiB at the end, idle CPU ${(idleCpuPerSec * 1000).toFixed(1)} ms/s`);
  console.log(`warm-up: ${WARMUP} cycles, first (cold) ${f(warmupWall[0])} ms, then median ${f(summarize(warmupWall.slice(1)).median)} ms\n`);
  console.log(`sequential, per group (${CYCLES} cycles):`);
  console.log(table(rows));
  console.log(
    `\nsequential cycle: wall median ${f(seqStats.wallMs.median)} ms, p90 ${f(seqStats.wallMs.p90)} ms; ` +
      `vigil CPU ${f(seqStats.vigilCpuMs.median)} ms, Prometheus CPU ${f(seqStats.promCpuMs.median)} ms per cycle (median); ` +
      `vigil share of CPU ${share(sum(seq.vigilCpu), sum(seq.promCpu))}`,
  );
  console.log(
    `concurrent cycle: wall median ${f(concStats.wallMs.median)} ms, p90 ${f(concStats.wallMs.p90)} ms; ` +
      `vigil CPU ${f(concStats.vigilCpuMs.median)} ms, Prometheus CPU ${f(concStats.promCpuMs.median)} ms per cycle (median); ` +
      `vigil share of CPU ${share(sum(conc.vigilCpu), sum(conc.promCpu))}`,
  );
  console.log(
    `Prometheus' own view of the ${CYCLES} sequential cycles: ${promMetricsSeq.instantQueries} instant queries, process_cpu_seconds_total +${f(promMetricsSeq.cpuSeconds * 1000)} ms`,
  );
  console.log(
    `other processes on this machine meanwhile: ${f(seqStats.otherCpuMs.median)} ms (sequential) / ${f(concStats.otherCpuMs.median)} ms (concurrent) CPU per cycle (median); ` +
      `load average ${loadBefore.join(' ')} before, ${loadAfter.join(' ')} after`,
  );
  console.log(`\nalerts after the last cycle (incident agents per kind: ${JSON.stringify(expected)}):`);
  console.log(
    table([
      ['alert', 'firing', 'pending', 'resolved (kept 15m)', 'firing on incident agents', 'others'],
      ...Object.entries(alerts).map(([n, c]) => [n, c.firing, c.pending, c.inactive, c.firingOnIncidentAgents, c.others.join(', ')]),
    ]),
  );

  const path = saveResult('eval-cycle', {
    params: { agents: AGENTS, seriesPerAgent: SERIES_PER_AGENT, incidentsPerKind: PER_KIND, warmup: WARMUP, cycles: CYCLES, baselineStepMin: BASELINE_STEP / MIN },
    history: { bytes: written.bytes, series: written.series, samples: written.samples, writeMs, promtoolMs: blocks.ms, tsdbBytes, prometheusStartMs: startMs, prometheusRssMiB: promRss, idleCpuPerSec },
    warmupWallMs: warmupWall,
    loadAverage: { before: loadBefore, after: loadAfter },
    sequential: { cycle: seqStats, groups: groupStats, prometheusSelf: promMetricsSeq, raw: seq },
    concurrent: { cycle: concStats, raw: conc },
    alerts,
    incidents: expected,
    transitions: transitions.length,
  });
  console.log(`\nresult: ${path}`);
} finally {
  await prom?.stop();
  await tmp.remove();
}

/** CPU that neither vigil nor Prometheus used since `mark`: other work on the machine that skews wall times. */
function otherCpuMs(mark, into) {
  const i = into.wall.length - 1;
  return Math.max(0, (systemCpuSeconds() - mark.sys) * 1000 - into.vigilCpu[i] - into.promCpu[i]);
}
