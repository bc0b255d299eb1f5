#!/usr/bin/env node
/**
 * The embedded PromQL engine and in-memory store against Prometheus 2.42, on the same data:
 *  1. cycle: the six groups of the pack for 1,000 agents (eval-cycle's history), evaluated by
 *     the embedded engine and by Prometheus; CPU per cycle on each side; memory of the store
 *     per sample and per series; whether both end with the same alerts.
 *  2. backtest: `backtest()` of the pack over 7 days × 20 agents (backtest's history) on each;
 *     wall time, CPU, and whether the episodes are identical.
 *  3. test: `vigil test` vs `promtool test rules` on test/rules/*.promtool.yaml, wall time.
 *
 *   npm run bench -- engine
 *   SECTIONS=cycle,test AGENTS=200 node --expose-gc bench/engine.mjs
 *
 * Knobs (environment): SECTIONS (cycle,backtest,test), AGENTS (1000), CYCLES (10),
 * BT_AGENTS (20), BT_DAYS (7).
 */

import { spawnSync } from 'node:child_process';
import { copyFileSync, readdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Fleet, INCIDENT_KINDS, SERIES_PER_AGENT, timeline } from './lib/fleet.mjs';
import { createBlocks, startPrometheus, tempDir, which } from './lib/prometheus.mjs';
import { env, log, REPO_DIR, saveResult, summarize, table, vigilCpuSeconds } from './lib/stats.mjs';
import { datasource, evaluation, loadPack } from './lib/vigil.mjs';

const tsdb = await import(pathToFileURL(join(REPO_DIR, 'dist', 'tsdb', 'index.js')).href);
const MIN = 60_000;
const DAY = 24 * 60 * MIN;
const SECTIONS = (process.env.SECTIONS ?? 'cycle,backtest,test').split(',');
const AGENTS = env('AGENTS', 1000);
const CYCLES = env('CYCLES', 10);
const BT_AGENTS = env('BT_AGENTS', 20);
const BT_DAYS = env('BT_DAYS', 7);
const f = (x) => x.toFixed(x < 10 ? 1 : 0);
const groups = await loadPack();
const result = {};

/** Loads one OpenMetrics file into a new store; its memory is measured in a fresh process (bench/lib/store-memory.mjs). */
async function loadStore(path) {
  const t0 = performance.now();
  const store = new tsdb.MemoryStore();
  await tsdb.loadOpenMetricsFile(store, path);
  const loadMs = performance.now() - t0;
  const stats = store.stats();
  const child = spawnSync(process.execPath, ['--expose-gc', join(REPO_DIR, 'bench', 'lib', 'store-memory.mjs'), path], { encoding: 'utf8', maxBuffer: 1 << 20 });
  const heldBytes = child.status === 0 ? JSON.parse(child.stdout).heldBytes : NaN;
  return { store, loadMs, stats, heldBytes };
}

function alertStates(evaluator) {
  const out = [];
  for (const g of evaluator.groups) for (const r of g.alertingRules()) for (const a of r.active.values()) out.push(`${r.name} ${a.state} ${JSON.stringify(a.labels)}`);
  return out.sort();
}

async function cycleSection() {
  // eval-cycle's history: the last ~2h at 1m, the day before at 30m (5m where offset 24h looks).
  const end = Math.floor(Date.now() / (15 * MIN)) * 15 * MIN;
  const WARMUP = 6;
  const firstMeasured = end - 2 * CYCLES * MIN;
  const firstCycle = firstMeasured - WARMUP * 5 * MIN;
  const fineFrom = firstCycle - 65 * MIN;
  const timestamps = timeline([
    { from: firstCycle - DAY - 60 * MIN, to: end - DAY, stepMs: 30 * MIN },
    { from: firstCycle - DAY - 20 * MIN, to: end - DAY, stepMs: 5 * MIN },
    { from: end - DAY, to: fineFrom, stepMs: 30 * MIN },
    { from: fineFrom, to: end, stepMs: MIN },
  ]);
  const stride = Math.floor(AGENTS / 5);
  const incidents = [];
  INCIDENT_KINDS.forEach((kind, k) => {
    for (let j = 0; j < 5; j++) {
      const start = kind === 'latency' ? firstCycle - 5 * MIN : firstCycle - 30 * MIN;
      incidents.push({ agent: (j * stride + k * 11 + 5) % AGENTS, kind, from: start, to: end });
    }
  });
  const tmp = await tempDir('vigil-bench-engine-');
  let prom;
  try {
    const input = join(tmp.dir, 'history.om');
    log(`cycle: writing ${AGENTS} agents × ${SERIES_PER_AGENT} series × ${timestamps.length} samples`);
    const written = await new Fleet({ agents: AGENTS, timestamps, incidents }).writeOpenMetrics(input);
    log(`  ${(written.samples / 1e6).toFixed(2)}M samples; loading the store`);
    const { store, loadMs, stats, heldBytes } = await loadStore(input);
    log(`  store: ${stats.series} series, ${stats.samples} samples in ${f(loadMs / 1000)} s; promtool and Prometheus...`);
    await createBlocks(input, join(tmp.dir, 'data'));
    await rm(input);
    prom = await startPrometheus({ dir: tmp.dir, dataDir: join(tmp.dir, 'data') });

    const embedded = new evaluation.Evaluator(groups, { datasource: new datasource.EmbeddedDatasource(store) });
    // Unmeasured: the engine with Prometheus 2.x windows, to show what any alert difference comes from.
    const closed = new evaluation.Evaluator(groups, { datasource: new datasource.EmbeddedDatasource(store, { closedWindows: true }) });
    const remote = new evaluation.Evaluator(groups, { datasource: new datasource.PrometheusDatasource({ url: prom.url }) });
    const run = async (ev, ts, measure) => {
      const m = { wall: performance.now(), vigil: vigilCpuSeconds(), prom: prom.cpuSeconds() };
      for (const g of ev.groups) {
        const r = await ev.evaluateGroup(g, ts);
        if (r.failures) throw new Error(`group ${g.name} failed: ${g.rules.map((x) => x.status.lastError).filter(Boolean).join('; ')}`);
      }
      if (measure) {
        measure.wall.push(performance.now() - m.wall);
        measure.vigilCpu.push((vigilCpuSeconds() - m.vigil) * 1000);
        measure.promCpu.push((prom.cpuSeconds() - m.prom) * 1000);
      }
    };
    let ts = firstCycle;
    log(`  warm-up: ${WARMUP} cycles on each`);
    for (let c = 0; c < WARMUP; c++, ts += 5 * MIN) {
      await run(embedded, ts);
      await run(remote, ts);
      await run(closed, ts);
    }
    const e = { wall: [], vigilCpu: [], promCpu: [] };
    const p = { wall: [], vigilCpu: [], promCpu: [] };
    log(`  ${CYCLES} measured cycles on each, alternating`);
    for (let c = 0; c < CYCLES; c++, ts += MIN) {
      await run(embedded, ts, e);
      await run(remote, ts, p);
      await run(closed, ts);
    }
    const differ = (a, b) => {
      const sa = new Set(a);
      const sb = new Set(b);
      return [...sa].filter((x) => !sb.has(x)).length + [...sb].filter((x) => !sa.has(x)).length;
    };
    const promAlerts = alertStates(remote);
    const sameAlerts = differ(alertStates(embedded), promAlerts);
    const sameAlertsClosed = differ(alertStates(closed), promAlerts);
    const es = { wall: summarize(e.wall), cpu: summarize(e.vigilCpu) };
    const ps = { wall: summarize(p.wall), vigilCpu: summarize(p.vigilCpu), promCpu: summarize(p.promCpu) };
    console.log(`\ncycle: ${AGENTS} agents, ${stats.series} series, ${(stats.samples / 1e6).toFixed(2)}M samples, 6 groups; median of ${CYCLES} sequential cycles`);
    console.log(
      table([
        ['', 'wall', 'vigil CPU', 'Prometheus CPU', 'total CPU'],
        ['embedded engine', `${f(es.wall.median)} ms`, `${f(es.cpu.median)} ms`, '-', `${f(es.cpu.median)} ms`],
        ['Prometheus 2.42', `${f(ps.wall.median)} ms`, `${f(ps.vigilCpu.median)} ms`, `${f(ps.promCpu.median)} ms`, `${f(ps.vigilCpu.median + ps.promCpu.median)} ms`],
      ]),
    );
    console.log(
      `embedded CPU / Prometheus CPU per cycle: ${(es.cpu.median / ps.promCpu.median).toFixed(2)}x; ${promAlerts.length} alerts on Prometheus at the end; ` +
        `differing: ${sameAlerts} with Prometheus 3 windows, ${sameAlertsClosed} with 2.x windows (closedWindows)`,
    );
    console.log(
      `store: loaded in ${f(loadMs / 1000)} s; sample arrays ${(stats.sampleBytes / stats.samples).toFixed(1)} B/sample (capacity included); ` +
        `store in a fresh process ${(heldBytes / stats.samples).toFixed(1)} B/sample overall, of which ${f((heldBytes - stats.sampleBytes) / stats.series)} B/series beyond the sample arrays; Prometheus RSS ${f(prom.rssMiB())} MiB`,
    );
    result.cycle = { agents: AGENTS, stats, loadMs, heldBytes, embedded: es, prometheus: ps, alertsDiffering: sameAlerts, alertsDifferingClosedWindows: sameAlertsClosed, raw: { e, p } };
  } finally {
    await prom?.stop();
    await tmp.remove();
  }
}

async function backtestSection() {
  const end = Math.floor(Date.now() / (15 * MIN)) * 15 * MIN;
  const from = end - BT_DAYS * DAY;
  const timestamps = timeline([{ from: from - DAY, to: end, stepMs: MIN }]);
  const incidents = [];
  INCIDENT_KINDS.forEach((kind, k) => {
    const long = from + (k + 0.5) * DAY + 3 * 60 * MIN * k;
    const short = from + (BT_DAYS - 0.4 - 0.1 * k) * DAY;
    incidents.push({ agent: (3 * k + 1) % BT_AGENTS, kind, from: long, to: long + 120 * MIN });
    incidents.push({ agent: (3 * k + 2) % BT_AGENTS, kind, from: short, to: short + 8 * MIN });
  });
  const tmp = await tempDir('vigil-bench-engine-bt-');
  let prom;
  try {
    const input = join(tmp.dir, 'history.om');
    log(`backtest: writing ${BT_AGENTS} agents × ${BT_DAYS + 1} days at 1m`);
    await new Fleet({ agents: BT_AGENTS, timestamps, incidents }).writeOpenMetrics(input);
    const { store, loadMs, stats } = await loadStore(input);
    log(`  store: ${stats.samples} samples in ${f(loadMs / 1000)} s; promtool and Prometheus...`);
    await createBlocks(input, join(tmp.dir, 'data'));
    await rm(input);
    prom = await startPrometheus({ dir: tmp.dir, dataDir: join(tmp.dir, 'data') });
    const measure = async (ds) => {
      const m = { wall: performance.now(), vigil: vigilCpuSeconds(), prom: prom.cpuSeconds() };
      const r = await evaluation.backtest(groups, ds, { from, to: end });
      return { r, wallMs: performance.now() - m.wall, vigilCpuMs: (vigilCpuSeconds() - m.vigil) * 1000, promCpuMs: (prom.cpuSeconds() - m.prom) * 1000 };
    };
    log('  backtest on the embedded engine');
    const e = await measure(new datasource.EmbeddedDatasource(store));
    log('  backtest on the embedded engine with Prometheus 2.x windows (closedWindows)');
    const c = await measure(new datasource.EmbeddedDatasource(store, { closedWindows: true }));
    log('  backtest on Prometheus');
    const p = await measure(new datasource.PrometheusDatasource({ url: prom.url, timeoutMs: 300_000 }));
    const key = (x) => JSON.stringify([x.alert, x.labels, x.activeAt, x.firedAt ?? null, x.resolvedAt ?? null]);
    const ek = new Set(e.r.episodes.map(key));
    const pk = new Set(p.r.episodes.map(key));
    const onlyE = [...ek].filter((k) => !pk.has(k));
    const onlyP = [...pk].filter((k) => !ek.has(k));
    const ck = new Set(c.r.episodes.map(key));
    const closedDiff = [...ck].filter((k) => !pk.has(k)).length + [...pk].filter((k) => !ck.has(k)).length;
    console.log(`\nbacktest: ${BT_DAYS} days × ${BT_AGENTS} agents (${(stats.samples / 1e6).toFixed(2)}M samples), the pack at 1m`);
    console.log(
      table([
        ['', 'wall', 'vigil CPU', 'Prometheus CPU', 'episodes'],
        ['embedded engine', `${f(e.wallMs / 1000)} s`, `${f(e.vigilCpuMs / 1000)} s`, '-', e.r.episodes.length],
        ['embedded, 2.x windows', `${f(c.wallMs / 1000)} s`, `${f(c.vigilCpuMs / 1000)} s`, '-', c.r.episodes.length],
        ['Prometheus 2.42', `${f(p.wallMs / 1000)} s`, `${f(p.vigilCpuMs / 1000)} s`, `${f(p.promCpuMs / 1000)} s`, p.r.episodes.length],
      ]),
    );
    console.log(
      `speed-up (wall): ${(p.wallMs / e.wallMs).toFixed(1)}x; episodes only on the embedded engine: ${onlyE.length}, only on Prometheus: ${onlyP.length}; ` +
        `with 2.x windows, episodes differing from Prometheus': ${closedDiff}`,
    );
    for (const k of [...onlyE.slice(0, 5).map((x) => `  embedded only: ${x}`), ...onlyP.slice(0, 5).map((x) => `  Prometheus only: ${x}`)]) console.log(k);
    result.backtest = { days: BT_DAYS, agents: BT_AGENTS, samples: stats.samples, loadMs, embedded: { wallMs: e.wallMs, cpuMs: e.vigilCpuMs, episodes: e.r.episodes.length }, prometheus: { wallMs: p.wallMs, vigilCpuMs: p.vigilCpuMs, promCpuMs: p.promCpuMs, episodes: p.r.episodes.length }, onlyEmbedded: onlyE, onlyPrometheus: onlyP, closedWindows: { wallMs: c.wallMs, episodesDiffering: closedDiff } };
  } finally {
    await prom?.stop();
    await tmp.remove();
  }
}

async function testSection() {
  const tmp = await tempDir('vigil-bench-engine-test-');
  try {
    const src = join(tmp.dir, 'src');
    const gen = join(tmp.dir, 'gen');
    spawnSync('mkdir', ['-p', src, gen]);
    for (const file of readdirSync(join(REPO_DIR, 'rules')).filter((x) => x.endsWith('.yaml'))) copyFileSync(join(REPO_DIR, 'rules', file), join(src, file));
    const vigilBin = join(REPO_DIR, 'bin', 'vigil.js');
    spawnSync(process.execPath, [vigilBin, 'generate', '--out', gen], { cwd: REPO_DIR });
    const tests = readdirSync(join(REPO_DIR, 'test', 'rules')).filter((x) => x.endsWith('.promtool.yaml')).sort();
    for (const t of tests) for (const d of [src, gen]) copyFileSync(join(REPO_DIR, 'test', 'rules', t), join(d, t));
    const timed = (cmd, args, cwd) => {
      const t0 = performance.now();
      const r = spawnSync(cmd, args, { cwd, encoding: 'utf8' });
      return { ms: performance.now() - t0, code: r.status };
    };
    const rows = [['file', 'vigil test', 'promtool test rules', 'verdicts']];
    let vt = 0;
    let pt = 0;
    for (const t of tests) {
      const v = timed(process.execPath, [vigilBin, 'test', t], src);
      const p = timed(which('promtool'), ['test', 'rules', t], gen);
      vt += v.ms;
      pt += p.ms;
      rows.push([t, `${f(v.ms / 1000)} s`, `${f(p.ms / 1000)} s`, `${v.code === 0 ? 'pass' : 'FAIL'} / ${p.code === 0 ? 'pass' : 'FAIL'}`]);
    }
    const all = { vigil: timed(process.execPath, [vigilBin, 'test', ...tests], src), promtool: timed(which('promtool'), ['test', 'rules', ...tests], gen) };
    rows.push(['all, one process each', `${f(all.vigil.ms / 1000)} s`, `${f(all.promtool.ms / 1000)} s`, '']);
    console.log('\ntest: wall time per file (each tool started once per file), then all files in one run');
    console.log(table(rows));
    result.test = { perFileSumMs: { vigil: vt, promtool: pt }, allMs: { vigil: all.vigil.ms, promtool: all.promtool.ms } };
  } finally {
    await tmp.remove();
  }
}

if (SECTIONS.includes('cycle')) await cycleSection();
if (SECTIONS.includes('backtest')) await backtestSection();
if (SECTIONS.includes('test')) await testSection();
console.log(`\nresult: ${saveResult('engine', result)}`);
