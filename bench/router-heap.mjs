#!/usr/bin/env -S node --expose-gc --max-semi-space-size=4
/**
 * The router's own cost per alert, without HTTP: the real Router and SqliteStore in this process,
 * ALERTS alerts over 100 groups converted from parsed JSON as POST /api/v2/alerts does and received
 * 64 at a time (group_wait 1h: no flush). Reports CPU seconds (all threads and the main thread),
 * RSS before and after a forced GC, and live heap bytes per held alert.
 *
 *   npm run build && node --expose-gc --max-semi-space-size=4 bench/router-heap.mjs
 *
 * Knobs: ALERTS (40000), NOSTORE=1 (no store: no history, no notified alerts), REPO (another
 * build's directory, with dist/ and node_modules). Node flags to compare go on the command line.
 */
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_DIR, env } from './lib/stats.mjs';

if (typeof global.gc !== 'function') throw new Error('run with node --expose-gc');
const repo = process.env.REPO ?? REPO_DIR;
const { pino } = await import(join(repo, 'node_modules/pino/pino.js'));
const { Router } = await import(join(repo, 'dist/dispatch/index.js'));
const { buildRouteTree, Silences } = await import(join(repo, 'dist/route/index.js'));
const { SqliteStore } = await import(join(repo, 'dist/store/index.js'));
const { convertPostableAlerts } = await import(join(repo, 'dist/server/index.js'));

const N = env('ALERTS', 40_000);
const path = join(tmpdir(), `vigil-router-heap-${process.pid}.db`);
const store = new SqliteStore(path);
const router = new Router({
  config: {
    route: buildRouteTree({ receiver: 'sink', group_by: ['group'], group_wait: '1h', group_interval: '1h', repeat_interval: '1h' }),
    receivers: [{ name: 'sink', pagerduty: [], slack: [], webhook: [], ticket: [], grafana: [] }],
    inhibitRules: [],
  },
  pipeline: { group: [], delivery: [], integrations: () => [], integration: [] },
  silences: new Silences({ store }),
  store: process.env.NOSTORE ? undefined : store,
  externalURL: 'http://vigil.test',
  resolveTimeoutMs: 300_000,
  logger: pino({ level: 'silent' }),
});

const status = () => Object.fromEntries(readFileSync('/proc/self/status', 'utf8').split('\n').filter((l) => /^(VmRSS|RssAnon|RssFile)/.test(l)).map((l) => [l.split(':')[0], Number(l.split(/\s+/)[1]) / 1024]));
const mainCpu = () => {
  const f = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
  const x = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return (Number(x[11]) + Number(x[12])) / 100;
};
const settled = () => {
  global.gc();
  global.gc();
  return { heap: process.memoryUsage().heapUsed, ...status() };
};
const mib = (x) => Number(x.toFixed(1));

await new Promise((r) => setTimeout(r, 300));
const before = settled();
const main0 = mainCpu();
const cpu0 = process.cpuUsage();
const startsAt = new Date().toISOString();
for (let b = 0; b < N; b += 64) {
  const text = JSON.stringify(
    Array.from({ length: Math.min(64, N - b) }, (_, j) => ({ labels: { alertname: 'BenchAlert', group: `g${(b + j) % 100}`, id: `a-${b + j}`, severity: 'P3' }, annotations: { summary: `bench alert ${b + j}` }, startsAt })),
  );
  const converted = convertPostableAlerts(JSON.parse(text), Date.now(), 300_000);
  router.receive(converted.alerts, 'api-v2');
}
await new Promise((r) => setTimeout(r, 500)); // the history's last write
const cpu = process.cpuUsage(cpu0);
const loaded = status();
const after = settled();
console.log(
  JSON.stringify({
    alerts: N,
    store: !process.env.NOSTORE,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    mainThreadCpuSeconds: Number((mainCpu() - main0).toFixed(2)),
    rssMiB: mib(loaded.VmRSS),
    rssAfterGcMiB: mib(after.VmRSS),
    rssGrowthMiB: mib(after.VmRSS - before.VmRSS),
    heapBytesPerAlert: Math.round((after.heap - before.heap) / N),
  }),
);
await router.stop();
store.close();
rmSync(path, { force: true });
rmSync(`${path}-wal`, { force: true });
rmSync(`${path}-shm`, { force: true });
