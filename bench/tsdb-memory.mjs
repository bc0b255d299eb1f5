#!/usr/bin/env node
/**
 * The embedded TSDB's memory and append cost at 1,000 agents (35,000 series) scraped every 15 s:
 *
 *   npm run build && node --expose-gc bench/tsdb-memory.mjs
 *   AGENTS=1000 HOURS=24 SCRAPES=40 node --expose-gc bench/tsdb-memory.mjs
 *
 * 1. Backfill: HOURS of the bench fleet (bench/lib/fleet.mjs) go straight into the head, series by
 *    series (the WAL is not what is measured here). After a forced GC it reports the bytes per
 *    sample of the chunks and the overhead per series: everything else the process holds for
 *    the TSDB (labels, index, chunk tables, open-chunk buffers, free space of the pages), from
 *    process.memoryUsage() (heapUsed + arrayBuffers) before and after.
 * 2. Live scrapes: SCRAPES rounds of one sample per series through the Appender (label lookup,
 *    encode, one WAL record, write()), each round timed (wall and CPU).
 * 3. Reading: select of every series of one metric over the whole range (what a 24h rate
 *    decodes), timed, in ns per decoded sample.
 * 4. A first checkpoint (all chunks so far), then CATCHUP live rounds (15 min at 15 s) and a
 *    steady-state checkpoint (only the chunks closed since), then a restart (TSDB.open), timed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Fleet, SERIES_PER_AGENT, agentId } from './lib/fleet.mjs';
import { REPO_DIR, du, env, log, saveResult, summarize } from './lib/stats.mjs';

if (typeof globalThis.gc !== 'function') {
  console.error('run with node --expose-gc bench/tsdb-memory.mjs');
  process.exit(2);
}
const { TSDB } = await import(pathToFileURL(join(REPO_DIR, 'dist', 'tsdb', 'index.js')).href);

const AGENTS = env('AGENTS', 1000);
const HOURS = env('HOURS', 24);
const SCRAPES = env('SCRAPES', 40);
const CATCHUP = env('CATCHUP', 60);
const STEP = 15_000;
const FAMILIES = [
  ['agent_requests', 'agent_requests_total'],
  ['agent_request_duration_seconds', null],
  ['agent_tokens_consumed', 'agent_tokens_consumed_total'],
  ['agent_tool_calls', 'agent_tool_calls_total'],
  ['agent_hallucination', 'agent_hallucination_total'],
];

const held = () => {
  globalThis.gc();
  globalThis.gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
};
const mib = (b) => (b / 2 ** 20).toFixed(1);

const end = Math.floor(Date.UTC(2026, 11, 1) / STEP) * STEP;
const start = end - HOURS * 3600_000;
const timestamps = [];
for (let t = start; t <= end; t += STEP) timestamps.push(t);
const fleet = new Fleet({ agents: AGENTS, timestamps });

const dir = mkdtempSync(join(tmpdir(), 'vigil-bench-tsdb-'));
try {
  const before = held();
  const db = await TSDB.open(dir, { checkpointIntervalMs: 0, logger: { info: log, warn: log } });
  const head = db.head;
  log(`backfilling ${AGENTS} agents × ${SERIES_PER_AGENT} series × ${timestamps.length} samples (${HOURS}h at 15s) into the head`);
  let t0 = performance.now();
  /** Each series' labels (the head's own object: nothing extra held) and last value, for the live rounds. */
  const live = [];
  const lastValue = new Float64Array(AGENTS * SERIES_PER_AGENT);
  for (let i = 0; i < AGENTS; i++) {
    for (const [family, metric] of FAMILIES) {
      for (const [labels, values, name] of fleet.series(family, i)) {
        const full = { __name__: name ?? metric, ...labels };
        const s = head.getOrCreate(full);
        for (let k = 0; k < values.length; k++) head.append(s, timestamps[k], values[k], false);
        lastValue[live.length] = values[values.length - 1];
        live.push(s.labels);
      }
    }
    if (i % 100 === 99) log(`  ${i + 1} agents`);
  }
  const backfillS = (performance.now() - t0) / 1000;
  const heldBytes = held() - before;
  const st = db.stats();
  const memory = {
    series: st.series,
    samples: st.samples,
    chunkBytes: st.chunkBytes,
    bytesPerSample: st.chunkBytes / st.samples,
    heldBytes,
    heldBytesPerSample: heldBytes / st.samples,
    overheadPerSeries: (heldBytes - st.chunkBytes) / st.series,
    /** The closed-chunk tables (minT, maxT, place per chunk): they grow with samples, not series. */
    chunkTableBytes: st.chunkTableBytes,
    overheadPerSeriesWithoutChunkTables: (heldBytes - st.chunkBytes - st.chunkTableBytes) / st.series,
    arenaAndOpenBuffers: st.heldChunkBytes,
    backfillS,
    appendNsPerSample: (backfillS * 1e9) / st.samples,
  };
  log(`head: ${st.series} series, ${st.samples} samples, chunks ${mib(st.chunkBytes)} MiB = ${memory.bytesPerSample.toFixed(2)} B/sample; held ${mib(heldBytes)} MiB = ${memory.heldBytesPerSample.toFixed(2)} B/sample; overhead ${memory.overheadPerSeries.toFixed(0)} B/series (${memory.overheadPerSeriesWithoutChunkTables.toFixed(0)} without the chunk tables, ${mib(st.chunkTableBytes)} MiB); backfill ${backfillS.toFixed(1)} s`);

  // Live scrapes through the Appender, as a scrape loop commits them.
  const rounds = [];
  let t = end;
  for (let r = 0; r < SCRAPES; r++) {
    t += STEP;
    const cpu0 = process.cpuUsage();
    t0 = performance.now();
    const a = db.appender();
    for (let k = 0; k < live.length; k++) a.append(live[k], t, (lastValue[k] += r % 3));
    const res = await a.commitWithResult();
    const wall = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    if (res.appended !== live.length) throw new Error(`round ${r}: ${JSON.stringify(res)}`);
    rounds.push({ wallMs: wall, cpuMs: (cpu.user + cpu.system) / 1000 });
  }
  const scrape = { samplesPerRound: live.length, wallMs: summarize(rounds.map((x) => x.wallMs)), cpuMs: summarize(rounds.map((x) => x.cpuMs)) };
  log(`scrape commit of ${live.length} samples: wall median ${scrape.wallMs.median.toFixed(1)} ms (p90 ${scrape.wallMs.p90.toFixed(1)}), CPU median ${scrape.cpuMs.median.toFixed(1)} ms`);

  const reads = [];
  for (const metric of ['agent_tool_calls_total', 'agent_request_duration_seconds_bucket']) {
    t0 = performance.now();
    const got = db.select([{ type: '=', name: '__name__', value: metric }], start, t);
    const ms = performance.now() - t0;
    const samples = got.reduce((n, x) => n + x.timestamps.length, 0);
    reads.push({ metric, series: got.length, samples, ms, nsPerSample: (ms * 1e6) / samples });
    log(`select ${metric} over ${HOURS}h: ${got.length} series, ${samples} samples in ${ms.toFixed(0)} ms (${((ms * 1e6) / samples).toFixed(1)} ns/sample)`);
  }

  t0 = performance.now();
  await db.checkpoint();
  const checkpointS = (performance.now() - t0) / 1000;
  const diskBytes = du(dir);
  for (let r = 0; r < CATCHUP; r++) {
    t += STEP;
    const a = db.appender();
    for (let k = 0; k < live.length; k++) a.append(live[k], t, (lastValue[k] += 1));
    await a.commit();
  }
  t0 = performance.now();
  await db.checkpoint();
  const steadyCheckpointS = (performance.now() - t0) / 1000;
  log(`steady-state checkpoint after ${CATCHUP} more scrapes: ${steadyCheckpointS.toFixed(2)} s`);
  await db.close();
  live.length = 0;
  log(`first checkpoint ${checkpointS.toFixed(1)} s, ${mib(diskBytes)} MiB on disk`);

  t0 = performance.now();
  const again = await TSDB.open(dir, { checkpointIntervalMs: 0, logger: { info: log, warn: log } });
  const reopenS = (performance.now() - t0) / 1000;
  if (again.stats().samples !== st.samples + (SCRAPES + CATCHUP) * st.series) throw new Error(`restart lost samples: ${again.stats().samples}`);
  await again.close();
  log(`restart (TSDB.open) ${reopenS.toFixed(1)} s`);

  const result = { agents: AGENTS, hours: HOURS, memory, scrape, reads, checkpointS, steadyCheckpointS, diskBytes, reopenS };
  console.log(JSON.stringify(result, null, 2));
  log(`saved ${saveResult('tsdb-memory', result)}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
