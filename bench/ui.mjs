#!/usr/bin/env node
/**
 * The web UI's alerts page with ALERTS alerts in AGG_GROUPS aggregation groups (10,000 in 2,000 by
 * default), in headless Chromium (the Debian package, driven by puppeteer-core), against the same
 * alerts in Alertmanager 0.25 (Debian ships it without its web UI, so the anchor is its API: the
 * JSON any Alertmanager UI must fetch before it can draw anything).
 *
 *   npm run build && node bench/ui.mjs
 *
 * Reported: the page's size; time to first byte (the server renders), first contentful paint and
 * the load event (navigation start → each), median of RUNS; filter latency (submit → the filtered
 * page's load event) for a narrow and a broad filter; one live refresh (fetch of the region, the
 * innerHTML swap and the next frame) and the longest main-thread task seen over 12 idle seconds
 * (two refreshes); and GET /api/v2/alerts and /api/v2/alerts/groups on both servers.
 * Knobs: ALERTS (10000), AGG_GROUPS (2000), RUNS (5).
 */

import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import puppeteer from 'puppeteer-core';
import { stringify } from 'yaml';
import { tempDir, which } from './lib/prometheus.mjs';
import { REPO_DIR, env, log, quantile, saveResult, table } from './lib/stats.mjs';
import { freePort, waitReady } from './lib/net.mjs';

const ALERTS = env('ALERTS', 10_000);
const GROUPS = env('AGG_GROUPS', 2_000); // not GROUPS: bash keeps that name for itself, and an assignment to it is silently dropped
const RUNS = env('RUNS', 5);
const NAMES = [
  ['AgentErrorRateSpike', 'P1'],
  ['AgentToolCallFailureSpike', 'P2'],
  ['AgentTokenCostSpike', 'P2'],
  ['AgentHallucinationTrend', 'P3'],
  ['AgentToolSelectionDrift', 'P3'],
];

const agent = (i) => `agent-${String(i).padStart(4, '0')}`;
function makeAlerts() {
  const startsAt = new Date().toISOString();
  return Array.from({ length: ALERTS }, (_, i) => {
    const [alertname, severity] = NAMES[Math.floor(i / GROUPS) % NAMES.length];
    return {
      labels: { alertname, severity, agent_id: agent(i % GROUPS), tool_name: `tool-${Math.floor(i / GROUPS)}` },
      annotations: { summary: `${alertname} on ${agent(i % GROUPS)}`, runbook_url: 'http://127.0.0.1:9095/runbooks/agent-error-rate-spike.md' },
      startsAt,
    };
  });
}

async function post(base, alerts) {
  for (let i = 0; i < alerts.length; i += 1000) {
    const res = await fetch(`${base}/api/v2/alerts`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(alerts.slice(i, i + 1000)) });
    if (!res.ok) throw new Error(`POST /api/v2/alerts: ${res.status} ${await res.text()}`);
  }
}

const median = (xs) => quantile(xs, 0.5);
const ms = (x) => `${Math.round(x)}`;

/** Median wall time of GET `path`, and the body's size. */
async function timeGet(base, path) {
  const times = [];
  let bytes = 0;
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    const body = await (await fetch(`${base}${path}`)).arrayBuffer();
    times.push(performance.now() - t0);
    bytes = body.byteLength;
  }
  return { ms: median(times), bytes };
}

async function measureVigil(browser) {
  const { dir, remove } = await tempDir('vigil-bench-ui-');
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  await writeFile(join(dir, 'rules.yaml'), 'groups: []\n');
  await writeFile(
    join(dir, 'vigil.yaml'),
    stringify({
      rule_files: ['rules.yaml'],
      storage: { sqlite: { path: 'data/vigil.db' } },
      server: { listen: `127.0.0.1:${port}` },
      route: { receiver: 'nobody', group_by: ['agent_id'], group_wait: '1h' },
      receivers: [{ name: 'nobody' }],
    }),
  );
  const child = spawn(process.execPath, [join(REPO_DIR, 'bin/vigil.js'), 'serve', '--config', join(dir, 'vigil.yaml'), '--log-level', 'warn'], { cwd: dir, stdio: ['ignore', 'ignore', 'inherit'] });
  try {
    await waitReady(`${base}/readyz`);
    await post(base, makeAlerts());
    const page = await browser.newPage();
    await page.setViewport({ width: 1280, height: 900 });
    const loads = [];
    for (let i = 0; i < RUNS; i++) {
      await page.goto(`${base}/`, { waitUntil: 'load', timeout: 120_000 });
      loads.push(
        await page.evaluate(() => {
          const nav = performance.getEntriesByType('navigation')[0];
          return { ttfb: nav.responseStart, dcl: nav.domContentLoadedEventEnd, load: nav.loadEventEnd, bytes: nav.transferSize || nav.encodedBodySize, groups: document.querySelectorAll('section.group').length, alerts: document.querySelectorAll('.alert[data-fingerprint]').length };
        }),
      );
    }
    const first = { ttfb: median(loads.map((l) => l.ttfb)), dcl: median(loads.map((l) => l.dcl)), load: median(loads.map((l) => l.load)), bytes: loads[0].bytes, groups: loads[0].groups, alerts: loads[0].alerts };

    // the worst case: every group drawn (?limit=all)
    await page.goto(`${base}/?limit=all`, { waitUntil: 'load', timeout: 300_000 });
    const everything = await page.evaluate(() => {
      const nav = performance.getEntriesByType('navigation')[0];
      return { ttfb: nav.responseStart, load: nav.loadEventEnd, bytes: nav.transferSize || nav.encodedBodySize, groups: document.querySelectorAll('section.group').length };
    });

    const filters = {};
    for (const [name, filter] of [
      ['narrow {agent_id="agent-0042"}', '{agent_id="agent-0042"}'],
      ['broad {severity="P1"}', '{severity="P1"}'],
    ]) {
      const times = [];
      let shown = 0;
      for (let i = 0; i < RUNS; i++) {
        await page.goto(`${base}/`, { waitUntil: 'load', timeout: 120_000 });
        await page.$eval('#filter', (el, f) => (el.value = f), filter);
        const t0 = performance.now();
        await Promise.all([page.waitForNavigation({ waitUntil: 'load', timeout: 120_000 }), page.$eval('form.filter', (f) => f.requestSubmit())]);
        times.push(performance.now() - t0);
        shown = await page.$$eval('.alert[data-fingerprint]', (els) => els.length);
      }
      filters[name] = { ms: median(times), shown };
    }

    await page.goto(`${base}/`, { waitUntil: 'load', timeout: 120_000 });
    const refreshes = [];
    for (let i = 0; i < RUNS; i++) {
      refreshes.push(
        await page.evaluate(async () => {
          const t0 = performance.now();
          const text = await (await fetch('/?partial=1')).text();
          const t1 = performance.now();
          document.querySelector('#live').innerHTML = text;
          await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
          return { fetch: t1 - t0, swap: performance.now() - t1 };
        }),
      );
    }
    const longest = await page.evaluate(
      () =>
        new Promise((resolve) => {
          let max = 0;
          new PerformanceObserver((list) => {
            for (const e of list.getEntries()) max = Math.max(max, e.duration);
          }).observe({ type: 'longtask' });
          setTimeout(() => resolve(max), 12_000);
        }),
    );
    const api = { alerts: await timeGet(base, '/api/v2/alerts') };
    await page.close();
    return { first, everything, filters, refresh: { fetch: median(refreshes.map((r) => r.fetch)), swap: median(refreshes.map((r) => r.swap)) }, longestTaskMs: longest, api };
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    await remove();
  }
}

async function measureAlertmanager() {
  const bin = which('prometheus-alertmanager') ?? which('alertmanager');
  if (!bin) throw new Error('prometheus-alertmanager not found (apt-get install prometheus-alertmanager)');
  const { dir, remove } = await tempDir('vigil-bench-ui-am-');
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  await writeFile(join(dir, 'am.yml'), stringify({ route: { receiver: 'nobody', group_by: ['agent_id'], group_wait: '1h' }, receivers: [{ name: 'nobody' }] }));
  const child = spawn(bin, [`--config.file=${join(dir, 'am.yml')}`, `--storage.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--cluster.listen-address=', '--log.level=warn'], { stdio: ['ignore', 'ignore', 'inherit'] });
  try {
    await waitReady(`${base}/-/ready`);
    await post(base, makeAlerts());
    return { alerts: await timeGet(base, '/api/v2/alerts'), groups: await timeGet(base, '/api/v2/alerts/groups') };
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    await remove();
  }
}

const chromium = which('chromium');
if (!chromium) throw new Error('chromium not found (apt-get install chromium)');
const browser = await puppeteer.launch({ executablePath: chromium, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
let vigil;
try {
  log(`vigil: ${ALERTS} alerts in ${GROUPS} groups`);
  vigil = await measureVigil(browser);
} finally {
  await browser.close();
}
log('alertmanager: the same alerts');
const am = await measureAlertmanager();

const kib = (b) => `${Math.round(b / 1024)} KiB`;
console.log(`\nvigil's alerts page with ${ALERTS} alerts in ${GROUPS} groups: the first ${vigil.first.groups} group cards (${vigil.first.alerts} alerts) drawn, ${kib(vigil.first.bytes)} of HTML (median of ${RUNS}):`);
console.log(
  table([
    ['what', 'ms'],
    ['first byte (server render)', ms(vigil.first.ttfb)],
    ['DOMContentLoaded (the page is parsed)', ms(vigil.first.dcl)],
    ['load event', ms(vigil.first.load)],
    [`?limit=all: all ${vigil.everything.groups} groups, ${kib(vigil.everything.bytes)}: first byte / load (once)`, `${ms(vigil.everything.ttfb)} / ${ms(vigil.everything.load)}`],
    ...Object.entries(vigil.filters).map(([name, f]) => [`filter ${name} → ${f.shown} alerts drawn`, ms(f.ms)]),
    ['live refresh: fetch the region', ms(vigil.refresh.fetch)],
    ['live refresh: swap it in and paint (when it changed)', ms(vigil.refresh.swap)],
    ['longest main-thread task over 12 s idle (2 refreshes)', ms(vigil.longestTaskMs)],
  ]),
);
console.log(`\nthe same ${ALERTS} alerts over the API (median of ${RUNS}):`);
console.log(
  table([
    ['server', 'request', 'ms', 'size'],
    ['vigil', 'GET /api/v2/alerts', ms(vigil.api.alerts.ms), kib(vigil.api.alerts.bytes)],
    ['alertmanager', 'GET /api/v2/alerts', ms(am.alerts.ms), kib(am.alerts.bytes)],
    ['alertmanager', 'GET /api/v2/alerts/groups', ms(am.groups.ms), kib(am.groups.bytes)],
  ]),
);
console.log(`\nwrote ${saveResult('ui', { alerts: ALERTS, groups: GROUPS, runs: RUNS, vigil, alertmanager: am })}`);
