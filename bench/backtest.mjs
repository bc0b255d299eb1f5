#!/usr/bin/env node
/**
 * A 7-day backtest of the default pack against a real Prometheus: 20 agents with
 * 7+1 days of 1m history (the extra day feeds the 24h baselines), two incidents of
 * each kind spread over the week (a long one that fires, a short one).
 *
 *   npm run build && node bench/backtest.mjs
 *
 * Knobs (environment): AGENTS (20), DAYS (7), CYCLES (10: instant evaluation cycles
 * at the end on this 1m history, where the 24h windows hold every sample, for
 * comparison with bench/eval-cycle.mjs whose 24h history is sparse).
 */

import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { agentId, Fleet, INCIDENT_KINDS, SERIES_PER_AGENT, timeline } from './lib/fleet.mjs';
import { createBlocks, diffMetrics, loadAverage, prometheusSelfMetrics, startPrometheus, systemCpuSeconds, tempDir } from './lib/prometheus.mjs';
import { du, env, log, saveResult, summarize, table, vigilCpuSeconds } from './lib/stats.mjs';
import { CountingDatasource, datasource, evaluation, loadPack } from './lib/vigil.mjs';

const MIN = 60_000;
const DAY = 24 * 60 * MIN;
const AGENTS = env('AGENTS', 20);
const DAYS = env('DAYS', 7);
const CYCLES = env('CYCLES', 10);
const MAX_POINTS = 11_000; // Prometheus' limit per series of one range query; the datasource splits above it

const groups = await loadPack();
const end = Math.floor(Date.now() / (15 * MIN)) * 15 * MIN;
const btFrom = end - DAYS * DAY;
const timestamps = timeline([{ from: btFrom - DAY, to: end, stepMs: MIN }]);

// Per kind: a 2h incident that fires, and an 8m one shorter than most `for`s; on different days and agents.
const incidents = [];
INCIDENT_KINDS.forEach((kind, k) => {
  const long = btFrom + (k + 0.5) * DAY + 3 * 60 * MIN * k;
  const short = btFrom + (DAYS - 0.4 - 0.1 * k) * DAY;
  incidents.push({ agent: (3 * k + 1) % AGENTS, kind, from: long, to: long + 120 * MIN });
  incidents.push({ agent: (3 * k + 2) % AGENTS, kind, from: short, to: short + 8 * MIN });
});
const fleet = new Fleet({ agents: AGENTS, timestamps, incidents });

const tmp = await tempDir('vigil-bench-backtest-');
let prom;
try {
  log(`writing ${AGENTS} agents × ${SERIES_PER_AGENT} series × ${timestamps.length} samples (${DAYS}+1 days at 1m) as OpenMetrics`);
  const input = join(tmp.dir, 'history.om');
  let t0 = performance.now();
  const written = await fleet.writeOpenMetrics(input);
  const writeMs = performance.now() - t0;
  log(`  ${(written.bytes / 2 ** 20).toFixed(0)} MiB, ${(written.samples / 1e6).toFixed(2)}M samples in ${(writeMs / 1000).toFixed(1)}s; promtool...`);
  const dataDir = join(tmp.dir, 'data');
  const blocks = await createBlocks(input, dataDir);
  await rm(input);
  const tsdbBytes = du(dataDir);
  log(`  promtool: ${(blocks.ms / 1000).toFixed(1)}s, TSDB ${(tsdbBytes / 2 ** 20).toFixed(0)} MiB; starting Prometheus`);
  t0 = performance.now();
  prom = await startPrometheus({ dir: tmp.dir, dataDir });
  const startMs = performance.now() - t0;
  const counting = new CountingDatasource(new datasource.PrometheusDatasource({ url: prom.url, timeoutMs: 120_000 }));

  // --- the backtest ------------------------------------------------------------------------
  const rules = groups.flatMap((g) => g.rules.filter((r) => r.kind === 'alerting').map((r) => r.alert));
  const perRule = [];
  let mark = { wall: performance.now(), vigil: vigilCpuSeconds(), prom: prom.cpuSeconds(), q: counting.snapshot() };
  const onProgress = (p) => {
    const now = { wall: performance.now(), vigil: vigilCpuSeconds(), prom: prom.cpuSeconds(), q: counting.snapshot() };
    if (p.done > 0) {
      perRule.push({
        rule: rules[p.done - 1],
        wallMs: now.wall - mark.wall,
        queryWallMs: now.q.queryMs - mark.q.queryMs,
        vigilCpuMs: (now.vigil - mark.vigil) * 1000,
        promCpuMs: (now.prom - mark.prom) * 1000,
        series: now.q.samples - mark.q.samples,
        points: now.q.points - mark.q.points,
      });
    }
    mark = now;
    if (p.rule) log(`  ${p.done + 1}/${p.total} ${p.rule}`);
  };
  log(`backtest over ${DAYS} days (${new Date(btFrom).toISOString()} .. ${new Date(end).toISOString()})`);
  const m0 = await prometheusSelfMetrics(prom.url);
  const loadBefore = loadAverage();
  const before = { wall: performance.now(), vigil: vigilCpuSeconds(), prom: prom.cpuSeconds(), sys: systemCpuSeconds() };
  const { episodes } = await evaluation.backtest(groups, counting, { from: btFrom, to: end, onProgress });
  const total = {
    wallMs: performance.now() - before.wall,
    vigilCpuMs: (vigilCpuSeconds() - before.vigil) * 1000,
    promCpuMs: (prom.cpuSeconds() - before.prom) * 1000,
  };
  total.otherCpuMs = Math.max(0, (systemCpuSeconds() - before.sys) * 1000 - total.vigilCpuMs - total.promCpuMs);
  const loadAfter = loadAverage();
  const promSelf = diffMetrics(await prometheusSelfMetrics(prom.url), m0);
  const steps = Math.floor((end - btFrom) / MIN) + 1;
  const plannedChunks = rules.length * Math.ceil(steps / MAX_POINTS);

  // Episodes by alert: fired, pending only; and whether the fired ones are on incident agents.
  const byAlert = {};
  for (const e of episodes) {
    const s = (byAlert[e.alert] ??= { fired: 0, pendingOnly: 0, firedOnIncidentAgents: 0, agents: new Set() });
    if (e.firedAt === undefined) s.pendingOnly++;
    else {
      s.fired++;
      s.agents.add(e.labels.agent_id);
    }
  }
  const kindOf = {
    AgentErrorRateSpike: 'error',
    AgentP99LatencySpike: 'latency',
    AgentTokenCostSpike: 'tokens',
    AgentToolCallFailureSpike: 'tool_failure',
    AgentHallucinationTrend: 'hallucination',
    AgentToolSelectionDrift: 'drift',
  };
  for (const [alert, s] of Object.entries(byAlert)) {
    const incidentAgents = new Set(incidents.filter((i) => i.kind === kindOf[alert]).map((i) => agentId(i.agent)));
    s.firedOnIncidentAgents = episodes.filter((e) => e.alert === alert && e.firedAt !== undefined && incidentAgents.has(e.labels.agent_id)).length;
    s.agents = [...s.agents].sort();
  }

  // --- instant cycles on the same (dense) history --------------------------------------------
  log(`instant evaluation: ${CYCLES} sequential cycles at the end of the data`);
  const evaluator = new evaluation.Evaluator(groups, { datasource: counting });
  const cycleGroups = new Map(evaluator.groups.map((g) => [g.name, { wall: [], promCpu: [], vigilCpu: [] }]));
  const cycles = { wall: [], promCpu: [], vigilCpu: [] };
  for (let c = 0, ts = end - CYCLES * MIN; c < CYCLES; c++, ts += MIN) {
    const cyc = { wall: performance.now(), prom: prom.cpuSeconds(), vigil: vigilCpuSeconds() };
    for (const g of evaluator.groups) {
      const b = { wall: performance.now(), prom: prom.cpuSeconds(), vigil: vigilCpuSeconds() };
      await evaluator.evaluateGroup(g, ts);
      const s = cycleGroups.get(g.name);
      s.wall.push(performance.now() - b.wall);
      s.promCpu.push((prom.cpuSeconds() - b.prom) * 1000);
      s.vigilCpu.push((vigilCpuSeconds() - b.vigil) * 1000);
    }
    cycles.wall.push(performance.now() - cyc.wall);
    cycles.promCpu.push((prom.cpuSeconds() - cyc.prom) * 1000);
    cycles.vigilCpu.push((vigilCpuSeconds() - cyc.vigil) * 1000);
  }
  const promRss = prom.rssMiB();

  // --- report ----------------------------------------------------------------------------------
  const f = (x) => x.toFixed(x < 10 ? 1 : 0);
  const s = (x) => `${f(x / 1000)} s`;
  console.log(`\nbacktest: ${AGENTS} agents × ${SERIES_PER_AGENT} series, ${DAYS}+1 days at 1m (${(written.samples / 1e6).toFixed(2)}M samples), 6 rules of the default pack`);
  console.log(`history: ${(written.bytes / 2 ** 20).toFixed(0)} MiB OpenMetrics written in ${f(writeMs / 1000)} s; promtool ${f(blocks.ms / 1000)} s; TSDB ${f(tsdbBytes / 2 ** 20)} MiB; Prometheus ready in ${f(startMs / 1000)} s, RSS ${f(promRss)} MiB at the end`);
  console.log(
    `\nbacktest of ${DAYS} days, ${steps} steps per rule: wall ${s(total.wallMs)}, vigil CPU ${s(total.vigilCpuMs)}, Prometheus CPU ${s(total.promCpuMs)} ` +
      `(vigil share ${((100 * total.vigilCpuMs) / (total.vigilCpuMs + total.promCpuMs)).toFixed(1)}%); ` +
      `other processes meanwhile ${s(total.otherCpuMs)} CPU, load average ${loadBefore.join(' ')} before, ${loadAfter.join(' ')} after`,
  );
  console.log(
    `range queries: ${counting.rangeQueries} by vigil, ${promSelf.rangeQueries} HTTP query_range requests seen by Prometheus ` +
      `(chunks; ${plannedChunks} planned at ${MAX_POINTS} points), ${promSelf.instantQueries} instant queries; Prometheus inner_eval ${s(promSelf.innerEvalSeconds * 1000)}`,
  );
  console.log(
    table([
      ['rule', 'wall', 'in Prometheus (query wall)', 'vigil CPU', 'Prometheus CPU', 'series', 'points'],
      ...perRule.map((r) => [r.rule, s(r.wallMs), s(r.queryWallMs), s(r.vigilCpuMs), s(r.promCpuMs), r.series, r.points]),
    ]),
  );
  console.log(`\nepisodes: ${episodes.length} (incidents: per kind one 2h and one 8m, on agents ${JSON.stringify(Object.fromEntries(INCIDENT_KINDS.map((k) => [k, incidents.filter((i) => i.kind === k).map((i) => i.agent)])))})`);
  console.log(
    table([
      ['alert', 'fired', 'pending only', 'fired on incident agents', 'agents that fired'],
      ...Object.entries(byAlert).map(([a, x]) => [a, x.fired, x.pendingOnly, x.firedOnIncidentAgents, x.agents.join(' ')]),
    ]),
  );
  const cycleStats = { wallMs: summarize(cycles.wall), promCpuMs: summarize(cycles.promCpu), vigilCpuMs: summarize(cycles.vigilCpu) };
  console.log(`\ninstant cycles on dense 24h history (${AGENTS} agents, ${CYCLES} cycles): wall median ${f(cycleStats.wallMs.median)} ms, p90 ${f(cycleStats.wallMs.p90)} ms; Prometheus CPU ${f(cycleStats.promCpuMs.median)} ms, vigil CPU ${f(cycleStats.vigilCpuMs.median)} ms per cycle (median)`);
  console.log(
    table([
      ['group', 'wall median', 'Prometheus CPU median', 'vigil CPU median'],
      ...[...cycleGroups].map(([n, x]) => [n, `${f(summarize(x.wall).median)} ms`, `${f(summarize(x.promCpu).median)} ms`, `${f(summarize(x.vigilCpu).median)} ms`]),
    ]),
  );

  const path = saveResult('backtest', {
    params: { agents: AGENTS, days: DAYS, seriesPerAgent: SERIES_PER_AGENT, stepMs: MIN, steps },
    history: { bytes: written.bytes, series: written.series, samples: written.samples, writeMs, promtoolMs: blocks.ms, tsdbBytes, prometheusStartMs: startMs, prometheusRssMiB: promRss },
    loadAverage: { before: loadBefore, after: loadAfter },
    backtest: { ...total, rangeQueries: counting.rangeQueries, prometheusSelf: promSelf, plannedChunks, perRule, episodes: episodes.length, byAlert },
    incidents,
    instantCycles: { cycle: cycleStats, groups: Object.fromEntries([...cycleGroups].map(([n, x]) => [n, { wallMs: summarize(x.wall), promCpuMs: summarize(x.promCpu), vigilCpuMs: summarize(x.vigilCpu) }])) },
  });
  console.log(`\nresult: ${path}`);
} finally {
  await prom?.stop();
  await tmp.remove();
}
