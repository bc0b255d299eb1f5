/**
 * A PostgreSQL of the bench's own: `initdb` in a temporary folder, `pg_ctl` on a free loopback
 * port, removed at the end (as test/integration/support/postgres.ts, in plain JS for bench/).
 * Durable settings (fsync and synchronous_commit on, PostgreSQL's defaults), so its figures
 * compare with SQLite's WAL + synchronous=NORMAL. As root it runs as the `postgres` user.
 */
import { execFile, execFileSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './net.mjs';

export function postgresBinDir() {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const majors = readdirSync(root).filter((d) => existsSync(join(root, d, 'bin', 'initdb'))).sort((a, b) => Number(b) - Number(a));
  return majors.length ? join(root, majors[0], 'bin') : undefined;
}

export function postgresVersion() {
  const bin = postgresBinDir();
  return bin ? execFileSync(join(bin, 'postgres'), ['--version'], { encoding: 'utf8' }).trim() : undefined;
}

const asRoot = process.getuid?.() === 0;

function pgRun(bin, args) {
  const [file, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', bin, ...args]] : [bin, args];
  return new Promise((resolve, reject) => {
    execFile(file, argv, { timeout: 120_000 }, (err, stdout, stderr) => (err ? reject(new Error(`${bin} ${args.join(' ')}: ${err.message}\n${stdout}${stderr}`)) : resolve(stdout)));
  });
}

/** Starts a fresh cluster; returns { url, database(name), stop() }. */
export async function startPostgres() {
  const bin = postgresBinDir();
  if (!bin) throw new Error('PostgreSQL not found in /usr/lib/postgresql/*/bin (Debian package: postgresql)');
  const dir = mkdtempSync(join(tmpdir(), 'vigil-bench-pg-'));
  chmodSync(dir, 0o755);
  if (asRoot) chownSync(dir, Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' })), Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' })));
  const dataDir = join(dir, 'data');
  const cleanup = () => {
    try {
      execFileSync(asRoot ? 'runuser' : join(bin, 'pg_ctl'), asRoot ? ['-u', 'postgres', '--', join(bin, 'pg_ctl'), 'stop', '-D', dataDir, '-m', 'immediate'] : ['stop', '-D', dataDir, '-m', 'immediate'], { stdio: 'ignore' });
    } catch {
      // not running
    }
    rmSync(dir, { recursive: true, force: true });
  };
  process.on('exit', cleanup);
  await pgRun(join(bin, 'initdb'), ['-D', dataDir, '-U', 'vigil', '--auth=trust', '-E', 'UTF8', '--locale=C']);
  const port = await freePort();
  await pgRun(join(bin, 'pg_ctl'), ['start', '-D', dataDir, '-w', '-t', '60', '-l', join(dir, 'server.log'), '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1`]);
  const made = new Set();
  return {
    url: `postgres://vigil@127.0.0.1:${port}/postgres`,
    async database(name) {
      if (!made.has(name)) {
        await pgRun(join(bin, 'createdb'), ['-h', '127.0.0.1', '-p', String(port), '-U', 'vigil', name]);
        made.add(name);
      }
      return `postgres://vigil@127.0.0.1:${port}/${name}`;
    },
    async stop() {
      await pgRun(join(bin, 'pg_ctl'), ['stop', '-D', dataDir, '-w', '-m', 'fast']).catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
      process.off('exit', cleanup);
    },
  };
}
