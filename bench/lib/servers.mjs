// vigil serve and Alertmanager as the router benches start them: a temporary folder, a free
// loopback port, a config written there, the process spawned and waited for; stopped and removed after.
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { freePort, waitReady } from './net.mjs';
import { tempDir, which } from './prometheus.mjs';
import { REPO_DIR, vigilNodeArgs } from './stats.mjs';

/**
 * Runs `fn({ url, pid, dir, port })` against a `vigil serve` of `repoDir` (bin/vigil.js's node flags,
 * then VIGIL_NODE_ARGS) with no rules, a Prometheus datasource that never answers and SQLite,
 * `config` merged over that (its `server` over `server.listen`); stops it after. BENCH_VIGIL_STDOUT=1
 * shows its stdout (with VIGIL_NODE_ARGS=--trace-gc, where its collections fall).
 */
export async function withVigil({ prefix = 'vigil-bench-', config, repoDir = REPO_DIR, stdout = 'ignore' }, fn) {
  const { dir, remove } = await tempDir(prefix);
  const port = await freePort();
  await writeFile(join(dir, 'rules.yaml'), 'groups: []\n');
  const { server, ...rest } = config;
  await writeFile(
    join(dir, 'vigil.yaml'),
    stringify({
      datasource: { prometheus: { url: 'http://127.0.0.1:9' } },
      rule_files: ['rules.yaml'],
      storage: { sqlite: { path: 'data/vigil.db' } },
      ...rest,
      server: { listen: `127.0.0.1:${port}`, ...server },
    }),
  );
  const args = [...vigilNodeArgs(repoDir), join(repoDir, 'bin/vigil.js'), 'serve', '--config', join(dir, 'vigil.yaml'), '--log-level', 'warn'];
  const child = spawn(process.execPath, args, { cwd: dir, stdio: ['ignore', process.env.BENCH_VIGIL_STDOUT ? 'inherit' : stdout, 'inherit'] });
  return await running(child, `http://127.0.0.1:${port}`, '/readyz', remove, () => fn({ url: `http://127.0.0.1:${port}`, pid: child.pid, dir, port }));
}

/** Runs `fn({ url, pid, dir, port })` against the Debian package's Alertmanager with `config` (am.yml), no cluster; stops it after. */
export async function withAlertmanager({ prefix = 'vigil-bench-am-', config }, fn) {
  const bin = which('prometheus-alertmanager') ?? which('alertmanager');
  if (!bin) throw new Error('prometheus-alertmanager not found (apt-get install prometheus-alertmanager)');
  const { dir, remove } = await tempDir(prefix);
  const port = await freePort();
  await writeFile(join(dir, 'am.yml'), stringify(config));
  const args = [`--config.file=${join(dir, 'am.yml')}`, `--storage.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--cluster.listen-address=', '--log.level=warn'];
  const child = spawn(bin, args, { stdio: ['ignore', 'ignore', 'inherit'] });
  return await running(child, `http://127.0.0.1:${port}`, '/-/ready', remove, () => fn({ url: `http://127.0.0.1:${port}`, pid: child.pid, dir, port }));
}

async function running(child, url, readyPath, remove, fn) {
  try {
    await waitReady(url + readyPath);
    return await fn();
  } finally {
    child.kill('SIGTERM');
    if (child.exitCode === null && child.signalCode === null) await new Promise((r) => child.once('exit', r));
    await remove();
  }
}
