/** `vigil tsdb import FILE…`: OpenMetrics history into the storage of datasource.embedded.path. */
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { registerTsdb, type OpenStorage } from '../../src/cli/tsdb.js';
import { MemoryStore, TSDB } from '../../src/tsdb/index.js';
import { vectorAt } from '../support/query.js';
import { scratchDir } from '../support/scratch.js';
import { vigil } from './run.js';

let dir: string;
let config: string;
beforeAll(async () => {
  dir = await scratchDir(join(tmpdir(), 'vigil-tsdb-import-'));
  config = join(dir, 'vigil.yaml');
  writeFileSync(config, 'storage:\n  sqlite:\n    path: vigil.db\ndatasource:\n  embedded:\n    path: history\n');
  writeFileSync(join(dir, 'a.om'), [
    '# TYPE agent_requests counter',
    'agent_requests_total{agent_id="a1",status="success"} 10 1765000000',
    'agent_requests_total{agent_id="a1",status="success"} 25 1765000060',
    'agent_requests_total{agent_id="a1",status="failure"} 1 1765000060',
    '# EOF',
  ].join('\n') + '\n');
  writeFileSync(join(dir, 'b.om'), 'agent_inflight{agent_id="a2"} 3 1765000030.5\n# EOF\n');
  writeFileSync(join(dir, 'bad.om'), 'agent_inflight 1 1765000000\nagent_inflight{a="1" 2 1765000060\n# EOF\n');
});

/** Runs the command in-process with a MemoryStore the test can query afterwards. */
async function run(args: string[]) {
  const store = new MemoryStore();
  const opened: { path?: string; retentionMs?: number; closed: boolean } = { closed: false };
  const open: OpenStorage = async (path, retentionMs) => {
    Object.assign(opened, { path, retentionMs });
    return { storage: store, close: async () => void (opened.closed = true) };
  };
  let out = '';
  let err = '';
  let code = 0;
  const program = new Command('vigil').exitOverride().configureOutput({ writeOut: (t) => (out += t), writeErr: (t) => (err += t) });
  registerTsdb(program, { out: (t) => (out += t), err: (t) => (err += t) }, (c) => (code = c), open);
  await program.parseAsync(['node', 'vigil', 'tsdb', 'import', '--config', config, ...args]);
  return { store, opened, out, err, code };
}

test('loads every file into the storage at datasource.embedded.path and says what it loaded', async () => {
  const r = await run([join(dir, 'a.om'), join(dir, 'b.om')]);
  expect(r.err).toBe('');
  expect(r.code).toBe(0);
  expect(r.opened).toEqual({ path: join(dir, 'history'), retentionMs: 8 * 86_400_000, closed: true });
  expect(r.out).toBe(
    `${join(dir, 'a.om')}: 3 samples of 2 series from 2025-12-06T05:46:40.000Z to 2025-12-06T05:47:40.000Z\n` +
      `${join(dir, 'b.om')}: 1 sample of 1 series from 2025-12-06T05:47:10.500Z to 2025-12-06T05:47:10.500Z\n` +
      `imported into ${join(dir, 'history')}\n`,
  );
  expect(vectorAt(r.store, 'agent_requests_total{status="success"}', 1765000059_000)[0][1]).toBe(10);
  expect(vectorAt(r.store, 'agent_requests_total{status="success"}', 1765000060_000)[0][1]).toBe(25);
  expect(vectorAt(r.store, 'agent_inflight', 1765000031_000)).toEqual([[{ __name__: 'agent_inflight', agent_id: 'a2' }, 3]]);
});

test('--output json', async () => {
  const r = await run(['--output', 'json', join(dir, 'b.om')]);
  expect(JSON.parse(r.out)).toEqual({
    path: join(dir, 'history'),
    files: [{ file: join(dir, 'b.om'), series: 1, samples: 1, minTime: '2025-12-06T05:47:10.500Z', maxTime: '2025-12-06T05:47:10.500Z' }],
  });
});

test('a bad line anywhere names file:line, exits 1 and imports nothing, not even the good files before it', async () => {
  const r = await run([join(dir, 'a.om'), join(dir, 'bad.om')]);
  expect(r.code).toBe(1);
  expect(r.err).toBe(`error: ${join(dir, 'bad.om')}:2: unterminated label set: no closing "}"\nnothing was imported\n`);
  expect(r.store.stats().series).toBe(0);
  expect(r.opened.closed).toBe(true);
});

test('a missing file, and no # EOF, are errors naming the file', async () => {
  const missing = await run([join(dir, 'nope.om')]);
  expect(missing).toMatchObject({ code: 1, err: `error: cannot read ${join(dir, 'nope.om')}: no such file\nnothing was imported\n` });
  writeFileSync(join(dir, 'noeof.om'), 'a 1 1765000000\n');
  expect((await run([join(dir, 'noeof.om')])).err).toMatch(new RegExp(`^error: ${join(dir, 'noeof.om')}:2: no "# EOF" at the end`));
});

test('the built binary: exit 1 with file:line, and --help', async () => {
  const bad = await vigil(['tsdb', 'import', '--config', config, join(dir, 'bad.om')]);
  expect(bad.code).toBe(1);
  expect(bad.stderr).toContain(`${join(dir, 'bad.om')}:2: unterminated label set`);
  const help = await vigil(['tsdb', 'import', '--help']);
  expect(help.code).toBe(0);
  expect(help.stdout).toContain('load history from OpenMetrics files');
  const none = await vigil(['tsdb', 'import', '--config', config]);
  expect(none.code).toBe(2);
  expect(none.stderr).toContain("missing required argument 'file'");
});

test('the real command writes the persistent TSDB: a later open (as vigil serve opens it) finds the samples', async () => {
  const r = await vigil(['tsdb', 'import', '--config', config, join(dir, 'a.om')]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  const db = await TSDB.open(join(dir, 'history'));
  try {
    expect(vectorAt(db, 'agent_requests_total{status="success"}', 1765000060_000)).toEqual([[{ __name__: 'agent_requests_total', agent_id: 'a1', status: 'success' }, 25]]);
  } finally {
    await db.close();
  }
});
