/**
 * `vigil demo` (what `npm start` runs), as a user runs it: its options, Ctrl-C at any stage
 * stopping everything it started, and — end to end — a P1 page printed by the PagerDuty
 * stand-in within 3 minutes of the start.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { vigil } from '../cli/run.js';
import { waitFor } from '../support/wait.js';
import { VIGIL } from '../support/vigil-bin.js';



interface Running {
  child: ChildProcess;
  out: () => string;
  exited: Promise<number | null>;
}

function startDemo(args: string[]): Running {
  const child = spawn(process.execPath, [...VIGIL, 'demo', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString('utf8')));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString('utf8')));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return { child, out: () => out, exited };
}

/** The URLs the demo printed: the fleet's and the stand-ins'. */
function printedUrls(out: string): string[] {
  return [...out.matchAll(/(?:agents|PagerDuty|Slack|GitHub|Grafana):? (http:\/\/127\.0\.0\.1:\d+)/g)].map((m) => m[1]);
}

/** True when nothing listens at `url` any more (a connection refused, not a slow answer). */
async function refuses(url: string): Promise<boolean> {
  try {
    await fetch(url, { signal: AbortSignal.timeout(10_000) });
    return false;
  } catch (err) {
    return ((err as Error & { cause?: { code?: string } }).cause?.code ?? '') === 'ECONNREFUSED';
  }
}

describe('vigil demo', () => {
  test('--help explains the options', async () => {
    const r = await vigil(['demo', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/--listen <host:port>.*\n.*default: "127\.0\.0\.1:9095"/);
    for (const option of ['--dir', '--history', '--seed', '--log-level']) expect(r.stdout).toContain(option);
  });

  test.each([
    [['--listen', '9095'], '--listen "9095" is not host:port'],
    [['--history', 'a day'], '--history:'],
    [['--history', '1h'], '--history 1h is too short'],
    [['--seed', 'x'], '--seed "x" is not an integer'],
  ])('%j is a usage error naming the flag', async (args, message) => {
    const r = await vigil(['demo', ...args]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
  });

  test('an address in use is refused at once, before any preparation', async () => {
    const { createServer } = await import('node:net');
    const taken = createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
    try {
      const port = (taken.address() as { port: number }).port;
      const r = await vigil(['demo', '--listen', `127.0.0.1:${port}`]);
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(`vigil demo: cannot listen on 127.0.0.1:${port} (--listen): the address is already in use (another vigil?)\n`);
      expect(r.stdout).toBe('');
    } finally {
      taken.close();
    }
  });

  test('Ctrl-C while the history is written stops the fleet and the stand-ins and removes its folder', async () => {
    const demo = startDemo(['--listen', '127.0.0.1:0', '--history', '8d']);
    try {
      await waitFor('the demo to write its history', () => (demo.out().includes('writing 8d of history') ? true : undefined));
      const urls = printedUrls(demo.out());
      expect(urls).toHaveLength(5);
      expect(await refuses(urls[1])).toBe(false);
      const dir = /vigil demo in (\S+)/.exec(demo.out())![1];
      demo.child.kill('SIGINT');
      expect(await demo.exited).toBe(0);
      expect(demo.out()).toContain('stopped: vigil serve, the fleet and the stand-ins');
      for (const url of urls) expect([url, await refuses(url)]).toEqual([url, true]);
      expect(existsSync(dir)).toBe(false);
    } finally {
      demo.child.kill('SIGKILL');
    }
  }, 60_000);

  test(
    'END TO END: a P1 page within 3 minutes of the start; the API is served; Ctrl-C stops vigil serve too',
    async () => {
      const started = Date.now();
      const demo = startDemo(['--listen', '127.0.0.1:0']);
      try {
        const api = await waitFor('the API URL', () => /vigil serves its API at (http:\/\/\S+)/.exec(demo.out())?.[1], 120_000);
        // the catch-up says which alerts it found under way, and when their for runs out
        expect(demo.out()).toMatch(/AgentHallucinationTrend agent_id=faq-bot: pending, its for runs out at \d\d:\d\d:\d\d/);
        const alerts = await fetch(`${api}/api/v2/alerts`);
        expect(alerts.status).toBe(200);
        const page = await waitFor('a P1 page', () => /^\d\d:\d\d:\d\d PagerDuty trigger {2}critical \[P1\] AgentErrorRateSpike agent_id=checkout-bot.*$/m.exec(demo.out())?.[0], 180_000 - (Date.now() - started));
        expect(page).toContain('AgentErrorRateSpike');
        expect(Date.now() - started).toBeLessThan(180_000);
        const urls = [...printedUrls(demo.out()), api];
        demo.child.kill('SIGINT');
        expect(await demo.exited).toBe(0);
        for (const url of urls) expect([url, await refuses(url)]).toEqual([url, true]);
      } finally {
        demo.child.kill('SIGKILL');
      }
    },
    240_000,
  );

  test(
    "END TO END: vigil serve starts with the repository's vigil.yaml as it stands, with no Prometheus",
    async () => {
      const dir = await mkdtemp(join(tmpdir(), 'vigil-repo-yaml-'));
      const text = await readFile(resolve(process.cwd(), 'vigil.yaml'), 'utf8');
      // only the port changes, so that a vigil already on 9095 does not fail the test
      await writeFile(join(dir, 'vigil.yaml'), text.replace('listen: 127.0.0.1:9095', 'listen: 127.0.0.1:0'));
      await symlink(resolve(process.cwd(), 'rules'), join(dir, 'rules'));
      const serve = spawn(process.execPath, [...VIGIL, 'serve', '--config', join(dir, 'vigil.yaml')], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      serve.stdout!.on('data', (c: Buffer) => (out += c.toString('utf8')));
      serve.stderr!.on('data', (c: Buffer) => (out += c.toString('utf8')));
      const exited = new Promise<number | null>((r) => serve.once('exit', (code) => r(code)));
      try {
        const listen = await waitFor('vigil serving', () => /"listen":"([^"]+)".*"msg":"vigil serving"|"msg":"vigil serving".*"listen":"([^"]+)"/.exec(out)?.slice(1).find(Boolean), 30_000);
        const ready = await waitFor('/readyz', async () => ((await fetch(`http://${listen}/readyz`)).status === 200 ? true : undefined));
        expect(ready).toBe(true);
        expect(out).not.toMatch(/unreachable|"level":50/);
        serve.kill('SIGTERM');
        expect(await exited).toBe(0);
      } finally {
        serve.kill('SIGKILL');
        await rm(dir, { recursive: true, force: true });
      }
    },
    60_000,
  );
});
