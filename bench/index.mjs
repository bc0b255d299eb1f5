#!/usr/bin/env node
/**
 * Runs the benches one after the other, each in its own process (so one's CPU and
 * heap never count in another's): `npm run bench` or `npm run bench -- backtest`.
 */

import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { BENCH_DIR } from './lib/stats.mjs';

const ALL = ['state-machine', 'eval-cycle', 'backtest', 'router', 'regex', 'engine', 'query-api', 'remote-write', 'otlp-decode', 'scrape', 'tsdb-memory', 'ui', 'store'];
const names = process.argv.slice(2).length > 0 ? process.argv.slice(2) : ALL;
for (const name of names) {
  if (!ALL.includes(name)) {
    console.error(`unknown bench "${name}"; choose from ${ALL.join(', ')}`);
    process.exit(2);
  }
}
for (const name of names) {
  console.log(`\n=== ${name} ===`);
  const r = spawnSync(process.execPath, ['--expose-gc', join(BENCH_DIR, `${name}.mjs`)], { stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`bench ${name} failed (exit ${r.status ?? r.signal})`);
    process.exit(1);
  }
}
