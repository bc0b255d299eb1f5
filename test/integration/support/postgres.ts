/**
 * A real PostgreSQL for tests: its own cluster made by `initdb` in a temporary folder,
 * run by `pg_ctl` on a free loopback port, removed after.
 *
 *   const describePg = requirePostgresOrSkip('replicas') ? describe : describe.skip;
 *   let pg: PostgresInstance;
 *   beforeAll(async () => { pg = await startPostgres(); });
 *   afterAll(() => pg?.stop());
 *
 * Debian keeps the server binaries in /usr/lib/postgresql/<major>/bin, off PATH. PostgreSQL
 * refuses to run as root, so as root (CI) the cluster is made and run as the `postgres` user.
 */

import { execFile, execFileSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { atExit, freePort } from './prometheus.js';

export interface PostgresInstance {
  /** postgres://vigil@127.0.0.1:<port>/vigil (trust auth on loopback). */
  url: string;
  port: number;
  /** The cluster's data directory. */
  dataDir: string;
  /** A connection URL for another database of this cluster, created on first use. */
  database(name: string): Promise<string>;
  /** `pg_ctl stop -m fast`: the server goes away, connections break. */
  halt(): Promise<void>;
  /** Starts it again on the same port and data. */
  start(): Promise<void>;
  /** Stops the server and removes its folder. Safe to call twice. */
  stop(): Promise<void>;
}

/** The folder with initdb and pg_ctl, or undefined. */
export function postgresBinDir(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const majors = readdirSync(root)
    .filter((d) => existsSync(join(root, d, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return majors.length > 0 ? join(root, majors[0]!, 'bin') : undefined;
}

function inCI(): boolean {
  const ci = process.env.CI;
  return ci !== undefined && ci !== '' && ci !== '0' && ci.toLowerCase() !== 'false';
}

/** True if PostgreSQL can be run. If not: in CI throws, naming the Debian package; elsewhere warns and returns false. */
export function requirePostgresOrSkip(what: string): boolean {
  if (postgresBinDir()) return true;
  const reason = 'initdb/pg_ctl not found in /usr/lib/postgresql/*/bin; install the Debian package postgresql (apt-get install postgresql)';
  if (inCI()) throw new Error(`${what}: ${reason}`);
  console.warn(`skipped: ${what}: ${reason}`);
  return false;
}

const asRoot = process.getuid?.() === 0;

/** Runs a PostgreSQL binary, as the postgres user when we are root. */
function pgRun(bin: string, args: string[], timeoutMs = 60_000): Promise<string> {
  const [file, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', bin, ...args]] : [bin, args];
  return new Promise((resolve, reject) => {
    execFile(file, argv, { timeout: timeoutMs }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${bin} ${args.join(' ')} failed: ${err.message}\n${stdout}${stderr}`));
      else resolve(stdout + stderr);
    });
  });
}

/** initdb a fresh cluster in a temporary folder and start it on a free loopback port. */
export async function startPostgres(): Promise<PostgresInstance> {
  const bin = postgresBinDir();
  if (!bin) throw new Error('startPostgres: PostgreSQL not found (Debian package: postgresql)');
  const dir = mkdtempSync(join(tmpdir(), 'vigil-pg-'));
  // The server's socket folder and data must belong to the user that runs it.
  chmodSync(dir, 0o755);
  if (asRoot) chownSync(dir, uidOf('postgres'), gidOf('postgres'));
  const forgetDir = atExit(() => {
    void pgRun(join(bin, 'pg_ctl'), ['stop', '-D', join(dir, 'data'), '-m', 'immediate']).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });
  const dataDir = join(dir, 'data');
  await pgRun(join(bin, 'initdb'), ['-D', dataDir, '-U', 'vigil', '--auth=trust', '--no-sync', '-E', 'UTF8', '--locale=C']);
  const port = await freePort();
  const pgCtl = join(bin, 'pg_ctl');
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`;
  const start = async (): Promise<void> => {
    await pgRun(pgCtl, ['start', '-D', dataDir, '-w', '-t', '60', '-l', join(dir, 'server.log'), '-o', options]);
  };
  await start();
  await pgRun(join(bin, 'createdb'), ['-h', '127.0.0.1', '-p', String(port), '-U', 'vigil', 'vigil']);
  const made = new Set(['vigil']);
  let stopping: Promise<void> | undefined;
  return {
    url: `postgres://vigil@127.0.0.1:${port}/vigil`,
    port,
    dataDir,
    async database(name) {
      if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`database name ${JSON.stringify(name)}: use [a-z0-9_]`);
      if (!made.has(name)) {
        await pgRun(join(bin, 'createdb'), ['-h', '127.0.0.1', '-p', String(port), '-U', 'vigil', name]);
        made.add(name);
      }
      return `postgres://vigil@127.0.0.1:${port}/${name}`;
    },
    halt: () => pgRun(pgCtl, ['stop', '-D', dataDir, '-w', '-m', 'fast']).then(() => undefined),
    start,
    stop: () =>
      (stopping ??= (async () => {
        await pgRun(pgCtl, ['stop', '-D', dataDir, '-w', '-m', 'fast']).catch(() => undefined);
        rmSync(dir, { recursive: true, force: true });
        forgetDir();
      })()),
  };
}

function idOf(flag: '-u' | '-g', user: string): number {
  return Number(execFileSync('id', [flag, user], { encoding: 'utf8' }).trim());
}
const uidOf = (user: string): number => idOf('-u', user);
const gidOf = (user: string): number => idOf('-g', user);
