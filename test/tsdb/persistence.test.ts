import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, readFile, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { SeriesData, SeriesMatcher } from '../../src/promql/index.js';
import { MemoryStore, TSDB, type TSDBOptions } from '../../src/tsdb/index.js';
import { scratchDir } from '../support/scratch.js';
import { appendAll, randomSamples, T0 } from './support/random.js';

const all: SeriesMatcher[] = [{ type: '=~', name: '__name__', value: '.+' }];
const plain = (s: SeriesData) => ({
  labels: { ...s.labels },
  t: [...s.timestamps],
  v: [...s.values].map((v) => (Object.is(v, -0) ? '-0' : Number.isNaN(v) ? 'NaN' : v)),
  stale: s.stale ? [...s.stale].flatMap((x, i) => (x ? [i] : [])) : [],
});
const dump = (q: { select: TSDB['select'] }) => q.select(all, -Infinity, Infinity).map(plain);

function logger() {
  const lines: string[] = [];
  return { lines, info: () => {}, warn: (m: string) => void lines.push(m) };
}
const open = (dir: string, opts: TSDBOptions = {}) => TSDB.open(dir, { logger: logger(), checkpointIntervalMs: 0, ...opts });
const newDir = () => scratchDir(join(tmpdir(), 'vigil-tsdb-'));

async function memoryOf(samples: ReturnType<typeof randomSamples>) {
  const mem = new MemoryStore();
  await appendAll(() => mem.appender(), samples);
  return mem;
}

describe('restart', () => {
  test('a clean close and reopen keeps every sample (snapshot and chunk files, empty WAL)', async () => {
    const dir = await newDir();
    const samples = randomSamples(31, 30, 5);
    const db = await open(dir);
    await appendAll(() => db.appender(), samples);
    await db.close();
    const again = await open(dir);
    expect(dump(again)).toEqual(dump(await memoryOf(samples)));
    expect(again.stats().samples).toBe(samples.length);
    await again.close();
  });

  test('without close: checkpoint, more commits, reopen = snapshot + chunk files + WAL replay', async () => {
    const dir = await newDir();
    const samples = randomSamples(32, 30, 6);
    const half = samples.findIndex((s) => s.t > T0 + 3 * 3600_000);
    const db = await open(dir);
    await appendAll(() => db.appender(), samples.slice(0, half));
    await db.checkpoint();
    await appendAll(() => db.appender(), samples.slice(half));
    // No close (db is abandoned): as if the process died here. The WAL holds the second half.
    const again = await open(dir);
    expect(dump(again)).toEqual(dump(await memoryOf(samples)));
    // A second checkpoint and restart still agree, and appends continue where the data ended.
    await again.checkpoint();
    const a = again.appender();
    a.append({ __name__: 'after_restart' }, T0 + 7 * 3600_000, 1);
    await a.commit();
    const third = await open(dir);
    expect(third.select([{ type: '=', name: '__name__', value: 'after_restart' }], 0, Infinity)).toHaveLength(1);
    expect(third.stats().samples).toBe(samples.length + 1);
    await third.close();
  });

  test('a WAL past walCheckpointBytes triggers a checkpoint by itself, which truncates the WAL', async () => {
    const dir = await newDir();
    const db = await open(dir, { walCheckpointBytes: 4096 });
    for (let k = 0; k < 20; k++) {
      const a = db.appender();
      for (let i = 0; i < 20; i++) a.append({ __name__: 'wal_size', i: String(i) }, T0 + k * 15_000, k);
      await a.commit();
    }
    for (let tries = 0; db.stats().checkpoints === 0 && tries < 1000; tries++) await new Promise((r) => setTimeout(r, 5));
    expect(db.stats().checkpoints).toBeGreaterThan(0);
    expect(existsSync(join(dir, 'head.snap'))).toBe(true);
    const walBytes = (await Promise.all((await readdir(join(dir, 'wal'))).map((f) => stat(join(dir, 'wal', f))))).reduce((n, st) => n + st.size, 0);
    expect(walBytes).toBeLessThan(20 * 20 * 13); // less than all the commits took
    await db.close();
    const again = await open(dir);
    expect(again.stats().samples).toBe(400);
    await again.close();
  });

  test('a duplicate after restart is still a duplicate (the last value survives in the chunk files)', async () => {
    const dir = await newDir();
    const db = await open(dir);
    const a = db.appender();
    for (let i = 0; i < 240; i++) a.append({ __name__: 'c' }, T0 + i * 15_000, i); // two closed chunks, empty open chunk
    await a.commit();
    await db.close();
    const again = await open(dir);
    const b = again.appender();
    b.append({ __name__: 'c' }, T0 + 239 * 15_000, 239);
    b.append({ __name__: 'c' }, T0 + 239 * 15_000, 5);
    expect(await b.commit()).toEqual({ appended: 0, outOfOrder: 0, duplicate: 1 });
    await again.close();
  });
});

test('a directory held by another live process is refused, naming it; a lock left by a dead one is taken over', async () => {
  const dir = await newDir();
  await (await open(dir)).close();
  await writeFile(join(dir, 'lock'), String(process.ppid)); // alive, and not this process
  await expect(open(dir)).rejects.toThrow(`is in use by process ${process.ppid}`);
  await writeFile(join(dir, 'lock'), '999999999'); // no such process
  const db = await open(dir);
  expect(await readFile(join(dir, 'lock'), 'utf8')).toBe(String(process.pid));
  await db.close();
  expect(existsSync(join(dir, 'lock'))).toBe(false);
});

describe('a torn or corrupt WAL tail', () => {
  /** Commits `batches` scrapes of 20 series, each in its own commit; returns the dir (WAL only, no checkpoint). */
  async function walOnly(batches: number) {
    const dir = await newDir();
    const db = await open(dir);
    for (let k = 0; k < batches; k++) {
      const a = db.appender();
      for (let i = 0; i < 20; i++) a.append({ __name__: 'torn', i: String(i) }, T0 + k * 15_000, k);
      await a.commit();
    }
    const segments = (await readdir(join(dir, 'wal'))).sort();
    return { dir, last: join(dir, 'wal', segments[segments.length - 1]) };
  }
  const times = (db: TSDB) => [...db.select([{ type: '=', name: 'i', value: '0' }], 0, Infinity)[0].timestamps].map((t) => (t - T0) / 15_000);

  test('a truncated last record is cut at the last good record, with one log line', async () => {
    const { dir, last } = await walOnly(10);
    const size = (await stat(last)).size;
    await truncate(last, size - 7);
    const log = logger();
    const db = await TSDB.open(dir, { logger: log, checkpointIntervalMs: 0 });
    expect(times(db)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    expect(log.lines).toHaveLength(1);
    expect(log.lines[0]).toMatch(/WAL segment \d{8} is torn or corrupt at byte \d+: dropped \d+ bytes/);
    expect(db.stats().walCorruptionsRepaired).toBe(1);
    // Repaired on disk: the next start is silent, and appends go on.
    const a = db.appender();
    a.append({ __name__: 'torn', i: '0' }, T0 + 9 * 15_000, 9);
    await a.commit();
    const log2 = logger();
    const again = await TSDB.open(dir, { logger: log2, checkpointIntervalMs: 0 }); // db abandoned, not closed
    expect(times(again)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(log2.lines).toEqual([]);
    await again.close();
  });

  test('flipped bytes in the middle of the last segment keep the records before them', async () => {
    const { dir, last } = await walOnly(10);
    const buf = await readFile(last);
    buf[Math.floor(buf.length * 0.55)] ^= 0xff;
    await writeFile(last, buf);
    const log = logger();
    const db = await TSDB.open(dir, { logger: log, checkpointIntervalMs: 0 });
    const kept = times(db);
    expect(kept.length).toBeGreaterThanOrEqual(4);
    expect(kept.length).toBeLessThan(10);
    expect(kept).toEqual(kept.map((_, i) => i));
    expect(log.lines[0]).toMatch(/torn or corrupt/);
    await db.close();
  });

  test('a corrupt record in an earlier segment ends the log there: later segments go, earlier records stay', async () => {
    const dir = await newDir();
    const db = await open(dir, { walSegmentBytes: 1024 });
    for (let k = 0; k < 20; k++) {
      const a = db.appender();
      for (let i = 0; i < 20; i++) a.append({ __name__: 'torn', i: String(i) }, T0 + k * 15_000, k);
      await a.commit();
    }
    const segments = (await readdir(join(dir, 'wal'))).sort();
    expect(segments.length).toBeGreaterThan(4);
    const second = join(dir, 'wal', segments[1]);
    const buf = await readFile(second);
    buf[buf.length - 20] ^= 0x55;
    await writeFile(second, buf);
    const log = logger();
    const again = await TSDB.open(dir, { logger: log, checkpointIntervalMs: 0 });
    const kept = times(again);
    expect(kept).toEqual(kept.map((_, i) => i));
    expect(kept.length).toBeGreaterThan(0);
    expect(kept.length).toBeLessThan(20);
    expect(log.lines).toEqual([expect.stringMatching(new RegExp(`segment ${segments[1]} is torn or corrupt .* and ${segments.length - 2} later segment\\(s\\)`))]);
    // The later segments are gone; writing goes on in a fresh segment after the repaired one.
    const after = (await readdir(join(dir, 'wal'))).sort();
    expect(after).toEqual([segments[0], segments[1], segments[2]]);
    expect((await stat(join(dir, 'wal', segments[2]))).size).toBe(0);
    await again.close();
  });

  test('an unreadable snapshot is moved aside with a log line, and start-up goes on', async () => {
    const dir = await newDir();
    const db = await open(dir);
    const a = db.appender();
    a.append({ __name__: 'snap' }, T0, 1);
    await a.commit();
    await db.close();
    const snap = await readFile(join(dir, 'head.snap'));
    snap[snap.length - 3] ^= 0xff;
    await writeFile(join(dir, 'head.snap'), snap);
    const log = logger();
    const again = await TSDB.open(dir, { logger: log, checkpointIntervalMs: 0 });
    expect(log.lines[0]).toMatch(/head\.snap cannot be read \(its checksum does not match\); moved to head\.snap\.corrupt/);
    expect(existsSync(join(dir, 'head.snap.corrupt'))).toBe(true);
    const b = again.appender();
    b.append({ __name__: 'snap' }, T0 + 1000, 2);
    await b.commit();
    await again.close();
  });

  test('garbage appended after the last record is dropped', async () => {
    const { dir, last } = await walOnly(3);
    await writeFile(last, Buffer.concat([await readFile(last), Buffer.from([0, 0, 0, 9, 1, 2, 3])]));
    const log = logger();
    const db = await TSDB.open(dir, { logger: log, checkpointIntervalMs: 0 });
    expect(times(db)).toEqual([0, 1, 2]);
    expect(log.lines[0]).toMatch(/dropped 7 bytes/);
    await db.close();
  });
});

describe('retention', () => {
  test('chunks older than retention go, series with nothing left leave the index, and that holds after restart', async () => {
    const dir = await newDir();
    const db = await open(dir, { retentionMs: 3600_000 });
    const a = db.appender();
    for (let i = 0; i < 4 * 240; i++) a.append({ __name__: 'kept' }, T0 + i * 15_000, i); // 4h at 15s
    for (let i = 0; i < 60; i++) a.append({ __name__: 'gone' }, T0 + i * 15_000, i); // the first 15m only
    await a.commit();
    await db.checkpoint();
    const newest = T0 + (4 * 240 - 1) * 15_000;
    const check = (d: TSDB) => {
      expect(d.select([{ type: '=', name: '__name__', value: 'gone' }], 0, Infinity)).toEqual([]);
      const kept = d.select([{ type: '=', name: '__name__', value: 'kept' }], 0, Infinity)[0].timestamps;
      // Whole chunks go (120 samples = 30m here): the oldest kept sample is within one chunk of the cutoff.
      expect(kept[0]).toBeGreaterThan(newest - 3600_000 - 30 * 60_000);
      expect(kept[0]).toBeLessThanOrEqual(newest - 3600_000);
      expect(kept[kept.length - 1]).toBe(newest);
      expect(d.stats().series).toBe(1);
    };
    check(db);
    expect(db.stats().seriesRemovedByRetention).toBe(1);
    await db.close();
    const again = await open(dir, { retentionMs: 3600_000 });
    check(again);
    // A series that retention removed comes back as a new one when it is appended again.
    const b = again.appender();
    b.append({ __name__: 'gone' }, newest + 15_000, 1);
    await b.commit();
    expect(again.select([{ type: '=', name: '__name__', value: 'gone' }], 0, Infinity)).toHaveLength(1);
    await again.close();
    const third = await open(dir, { retentionMs: 3600_000 });
    expect(third.stats().series).toBe(2);
    // Chunk files past retention are deleted.
    expect((await readdir(join(dir, 'chunks'))).length).toBeLessThanOrEqual(2);
    await third.close();
  });
});

const CHILD = resolve(process.cwd(), 'test/tsdb/support/append-forever.mjs');
const built = existsSync(resolve(process.cwd(), 'dist/tsdb/index.js'));
if (!built) console.warn('skipping the kill -9 test: run `npm run build` first (it imports dist/)');
(built || process.env.CI === 'true' ? test : test.skip)('kill -9 while appending, checkpointing and cutting segments: reopening keeps every committed sample', async () => {
  const dir = await newDir();
  const child = spawn(process.execPath, [CHILD, dir, '200'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  await new Promise<void>((done, fail) => {
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (d: string) => {
      out += d;
      // Enough commits to have crossed several checkpoints (150 ms apart) and segments (64 KiB).
      if (out.split('\n').length > 400) done();
    });
    child.on('exit', () => fail(new Error(`child exited early: ${err}`)));
  });
  child.removeAllListeners('exit');
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
  const committed = out
    .split('\n')
    .filter((l) => l.startsWith('committed '))
    .map((l) => Number(l.slice('committed '.length)));
  const db = await open(dir);
  const series = db.select([{ type: '=', name: '__name__', value: 'kill_test_total' }], 0, Infinity);
  expect(series).toHaveLength(200);
  for (const s of series) {
    const have = new Set(s.timestamps);
    const missing = committed.filter((t) => !have.has(t));
    expect(missing).toEqual([]);
    const i = Number(s.labels.instance.slice(2));
    s.timestamps.forEach((t, k) => expect(s.values[k]).toBe(t / 1000 + i));
  }
  expect(db.stats().walCorruptionsRepaired).toBeLessThanOrEqual(1); // a write cut mid-record is a torn tail
  await db.close();
});
