import { mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { shebangNodeFlags } from '../../dist/cli/node-flags.js';
import { prometheusVersion } from './prometheus.mjs';

export const BENCH_DIR = dirname(dirname(fileURLToPath(import.meta.url)));
export const REPO_DIR = dirname(BENCH_DIR);

/** Nearest-rank quantile of numbers. */
export function quantile(values, q) {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

export function summarize(values) {
  return { median: quantile(values, 0.5), p90: quantile(values, 0.9), min: Math.min(...values), max: Math.max(...values), n: values.length };
}

/** vigil's own CPU seconds so far (user + system), from process.cpuUsage(). */
export function vigilCpuSeconds() {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/**
 * The node flags vigil runs with as installed (the `#!/usr/bin/env -S node ...` line of bin/vigil.js),
 * then VIGIL_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof"): a bench spawning
 * `node bin/vigil.js` measures what users run.
 */
export function vigilNodeArgs(repoDir = REPO_DIR) {
  return [...shebangNodeFlags(join(repoDir, 'bin/vigil.js')), ...(process.env.VIGIL_NODE_ARGS ? process.env.VIGIL_NODE_ARGS.split(' ') : [])];
}

export function env(name, fallback) {
  const v = process.env[name];
  return v === undefined || v === '' ? fallback : Number(v);
}

export function machine() {
  return {
    node: process.version,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model,
    prometheus: prometheusVersion(),
  };
}

/** Writes bench/results/<name>-<time>.json (ignored by git) and returns the path. */
export function saveResult(name, result) {
  const dir = join(BENCH_DIR, 'results');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${name}-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(path, JSON.stringify({ bench: name, at: new Date().toISOString(), machine: machine(), ...result }, null, 2) + '\n');
  return path;
}

/** Left-aligned text table. */
export function table(rows) {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => String(r[c]).length)));
  return rows.map((r) => r.map((cell, c) => String(cell).padEnd(widths[c])).join('  ').trimEnd()).join('\n');
}

export function log(msg) {
  process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
}

/** Bytes under a directory. */
export function du(dir) {
  let total = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    total += e.isDirectory() ? du(p) : statSync(p).size;
  }
  return total;
}
