#!/usr/bin/env node
/**
 * The Store's write path, SQLite against PostgreSQL, on this machine: history rows and notified
 * alerts written as the router writes them, until committed (`flush()`), in rows/s; the longest
 * event-loop stall meanwhile; PostgreSQL's batches (transactions, rows per batch) at several
 * `maxBatch` sizes; a few reads. The anchor for PostgreSQL is the design the issue rules out —
 * one INSERT (one round trip, one commit) per row — measured in the same run on the same server.
 *
 *   npm run build && node bench/store.mjs
 *   ROWS=100000 ALERTS=100000 AGG_GROUPS=10000 BATCHES=1000,5000,20000 node bench/store.mjs
 *
 * Needs the Debian package `postgresql` (initdb, pg_ctl); its own cluster runs with PostgreSQL's
 * durable defaults (fsync, synchronous_commit on); SQLite runs as vigil runs it (WAL, synchronous=NORMAL).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { postgresVersion, startPostgres } from './lib/postgres.mjs';
import { env, log, quantile, REPO_DIR, saveResult, table } from './lib/stats.mjs';

const ROWS = env('ROWS', 100_000);
const ALERTS = env('ALERTS', 100_000);
const GROUPS = env('AGG_GROUPS', 10_000); // not GROUPS: bash keeps that name for itself
const NAIVE_ROWS = env('NAIVE_ROWS', 5_000);
const BATCHES = (process.env.BATCHES ?? '1000,5000,20000').split(',').map(Number);
/** The router writes history in chunks of this many rows a turn (dispatch/router.ts HISTORY_WRITE_CHUNK). */
const CHUNK = 2_000;

const storePath = join(REPO_DIR, 'dist', 'store', 'index.js');
if (!existsSync(storePath)) throw new Error(`${storePath} is missing: run \`npm run build\` first`);
const { SqliteStore, PostgresStore } = await import(pathToFileURL(storePath).href);
const { fingerprint } = await import(pathToFileURL(join(REPO_DIR, 'dist', 'eval', 'index.js')).href);
/** Alertmanager's fingerprint of a distinct label set per i: random-looking keys, as real alerts have them (`fp${i}` would be nearly sorted). */
const fp = (i) => fingerprint({ alertname: 'Bench', id: String(i) });

const turn = () => new Promise((r) => setImmediate(r));
const event = (i) => ({
  at: 1_700_000_000_000 + i,
  fingerprint: fp(i % 20_000),
  startsAt: 1_700_000_000_000,
  alertname: 'AgentErrorRateSpike',
  severity: 'P1',
  labels: { alertname: 'AgentErrorRateSpike', agent_id: `agent-${i % 1000}`, severity: 'P1', team: 'checkout' },
  kind: i % 3 === 0 ? 'resolved' : 'firing',
  source: 'router',
});
const alert = (i, endsAt) => ({
  fingerprint: fp(i),
  labels: { alertname: 'AgentToolFailureRate', agent_id: `agent-${i % 1000}`, tool_name: `tool-${i % 5}`, severity: 'P2' },
  annotations: { summary: `tool-${i % 5} fails for agent-${i % 1000}`, runbook_url: 'http://vigil/runbooks/tool-failure' },
  startsAt: 1_700_000_000_000,
  endsAt,
  updatedAt: 1_700_000_000_000,
  generatorURL: 'http://vigil/graph',
});
const logEntry = (g) => ({ receiver: 'triage', groupKey: `{}:{agent_id="agent-${g}"}`, integration: 'slack', index: 0, firingFingerprints: [`fp${g}`], resolvedFingerprints: [], flappingFingerprints: [], at: 1_700_000_000_000, expiresAt: 1_800_000_000_000 });

/** Runs `write` (which queues or commits), then flush(); wall time and the longest event-loop stall. */
async function timed(store, write) {
  const h = monitorEventLoopDelay({ resolution: 5 });
  h.enable();
  const t0 = performance.now();
  await write();
  await store.flush();
  const ms = performance.now() - t0;
  h.disable();
  return { ms, stallMs: h.max / 1e6 };
}

async function writeHistory(store, rows) {
  for (let i = 0; i < rows; i += CHUNK) {
    store.recordAlertEvents(Array.from({ length: Math.min(CHUNK, rows - i) }, (_, j) => event(i + j)));
    await turn();
  }
}

async function writeNotified(store, n, endsAt) {
  for (let i = 0; i < n; i += 1000) {
    store.saveNotifiedAlerts(Array.from({ length: Math.min(1000, n - i) }, (_, j) => alert(i + j, endsAt)));
    await turn();
  }
}

async function writeLog(store, groups) {
  for (let g = 0; g < groups; g++) {
    store.saveIntegrationLogEntry(logEntry(g)); // one call per group, as the log stage makes them
    if (g % 1000 === 999) await turn();
  }
}

async function measure(name, store) {
  const out = { store: name };
  const perSec = (n, ms) => Math.round(n / (ms / 1000));
  const before = () => ({ ...(store.stats ?? {}) });
  const batchesOf = (b0) => (store.stats ? { batches: store.stats.batches - b0.batches, rows: store.stats.committed - b0.committed } : undefined);

  let b0 = before();
  const history = await timed(store, () => writeHistory(store, ROWS));
  out.history = { rowsPerSec: perSec(ROWS, history.ms), ms: Math.round(history.ms), stallMs: +history.stallMs.toFixed(1), ...batchesOf(b0) };
  log(`${name}: history ${ROWS} rows in ${Math.round(history.ms)} ms`);

  b0 = before();
  const notified = await timed(store, () => writeNotified(store, ALERTS, 1_700_000_300_000));
  out.notifiedInsert = { rowsPerSec: perSec(ALERTS, notified.ms), ms: Math.round(notified.ms), stallMs: +notified.stallMs.toFixed(1), ...batchesOf(b0) };
  b0 = before();
  const renewed = await timed(store, () => writeNotified(store, ALERTS, 1_700_000_600_000));
  out.notifiedUpdate = { rowsPerSec: perSec(ALERTS, renewed.ms), ms: Math.round(renewed.ms), stallMs: +renewed.stallMs.toFixed(1), ...batchesOf(b0) };
  log(`${name}: notified alerts ${ALERTS} inserted in ${Math.round(notified.ms)} ms, updated in ${Math.round(renewed.ms)} ms`);

  b0 = before();
  const ilog = await timed(store, () => writeLog(store, GROUPS));
  out.integrationLog = { rowsPerSec: perSec(GROUPS, ilog.ms), ms: Math.round(ilog.ms), stallMs: +ilog.stallMs.toFixed(1), ...batchesOf(b0) };

  // alert state of GROUPS groups (10 alerts each), then read back as a restart does: one group after another, and all at once
  for (let g = 0; g < GROUPS; g++) {
    store.saveGroupState({ groupKey: `rules/pack.yaml;group-${g}`, lastEvaluation: 1_700_000_000_000, alerts: Array.from({ length: 10 }, (_, k) => ({ rule: 'AgentToolFailureRate', alert: { fingerprint: `fp${g}-${k}`, labels: { alertname: 'AgentToolFailureRate', agent_id: `agent-${g}`, tool_name: `tool-${k}` }, annotations: {}, state: 'firing', value: 0.31, activeAt: 1_700_000_000_000, firedAt: 1_700_000_300_000 } })) });
    if (g % 1000 === 999) await turn();
  }
  await store.flush();
  let t1 = performance.now();
  for (let g = 0; g < GROUPS; g++) await store.loadGroupState(`rules/pack.yaml;group-${g}`);
  const sequentialMs = performance.now() - t1;
  t1 = performance.now();
  await Promise.all(Array.from({ length: GROUPS }, (_, g) => store.loadGroupState(`rules/pack.yaml;group-${g}`)));
  out.restore = { groups: GROUPS, sequentialMs: Math.round(sequentialMs), concurrentMs: Math.round(performance.now() - t1) };
  log(`${name}: restore of ${GROUPS} groups: ${out.restore.sequentialMs} ms one by one, ${out.restore.concurrentMs} ms at once`);

  const pageMs = [];
  for (let i = 0; i < 200; i++) {
    const t = performance.now();
    await store.queryAlertEvents({ limit: 100, fingerprint: fp(i) });
    pageMs.push(performance.now() - t);
  }
  const t = performance.now();
  const loaded = await store.loadNotifiedAlerts();
  out.reads = { historyPageP50Ms: +quantile(pageMs, 0.5).toFixed(2), historyPageP99Ms: +quantile(pageMs, 0.99).toFixed(2), loadNotifiedMs: Math.round(performance.now() - t), loadedAlerts: loaded.length };
  if (store.stats) out.dropped = store.stats.dropped;
  return out;
}

const server = await startPostgres();
const results = {};
const dir = mkdtempSync(join(tmpdir(), 'vigil-bench-store-'));
try {
  log('SQLite');
  const sqlite = new SqliteStore(join(dir, 'vigil.db'));
  results.sqlite = await measure('sqlite', sqlite);
  await sqlite.close();

  results.postgres = [];
  for (const maxBatch of BATCHES) {
    log(`PostgreSQL, maxBatch ${maxBatch}`);
    const store = await PostgresStore.open({ url: await server.database(`bench_${maxBatch}`), maxBatch });
    results.postgres.push({ maxBatch, ...(await measure(`postgres maxBatch=${maxBatch}`, store)) });
    await store.close();
  }

  // the anchor: a round trip and a commit per row
  log(`PostgreSQL, one INSERT per row (${NAIVE_ROWS} rows)`);
  const naiveUrl = await server.database('naive');
  await (await PostgresStore.open({ url: naiveUrl })).close(); // the same schema
  const pool = new pg.Pool({ connectionString: naiveUrl, max: 10 });
  const t0 = performance.now();
  for (let i = 0; i < NAIVE_ROWS; i++) {
    const e = event(i);
    await pool.query('INSERT INTO vigil_alert_event (at, fingerprint, starts_at, alertname, severity, kind, source, labels, detail) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)', [
      e.at, e.fingerprint, e.startsAt, e.alertname, e.severity, e.kind, e.source, JSON.stringify(e.labels), null,
    ]);
  }
  const naiveMs = performance.now() - t0;
  await pool.end();
  results.naive = { rows: NAIVE_ROWS, rowsPerSec: Math.round(NAIVE_ROWS / (naiveMs / 1000)), ms: Math.round(naiveMs) };
} finally {
  rmSync(dir, { recursive: true, force: true });
  await server.stop();
}

const rows = [['store', 'history rows/s', 'stall ms', 'batches (rows each)', 'notified insert/s', 'notified update/s', 'integration log/s', 'page p50 ms', 'load 100k ms', 'restore ms (seq / at once)']];
const batches = (x) => (x.batches === undefined ? '-' : `${x.batches} (${Math.round(x.rows / Math.max(1, x.batches))})`);
const row = (name, r) => [name, r.history.rowsPerSec, r.history.stallMs, batches(r.history), r.notifiedInsert.rowsPerSec, r.notifiedUpdate.rowsPerSec, r.integrationLog.rowsPerSec, r.reads.historyPageP50Ms, r.reads.loadNotifiedMs, `${r.restore.sequentialMs} / ${r.restore.concurrentMs}`];
rows.push(row('sqlite', results.sqlite));
for (const p of results.postgres) rows.push(row(`postgres maxBatch=${p.maxBatch}`, p));
console.log(table(rows));
console.log(`anchor: PostgreSQL, one INSERT per row: ${results.naive.rowsPerSec} rows/s (${NAIVE_ROWS} rows in ${results.naive.ms} ms)`);
console.log(`stall = longest event-loop delay while writing; batches = transactions for the history rows (rows per transaction)`);
console.log(`results: ${saveResult('store', { postgres: postgresVersion(), rowsPlanned: { ROWS, ALERTS, GROUPS }, results })}`);
