import { tmpdir } from 'node:os';
import { scratchDir } from '../support/scratch.js';
import { waitFor } from '../support/wait.js';
import { join } from 'node:path';
import { copyFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import type { Alert } from '../../src/eval/index.js';
import { SqliteStore, alertEvent } from '../../src/store/index.js';

const alert = (over: Partial<Alert> = {}): Alert => ({
  fingerprint: 'f1',
  labels: { alertname: 'A', agent_id: 'x' },
  annotations: { summary: 's' },
  state: 'pending',
  value: 0.5,
  activeAt: 1000,
  ...over,
});

/** A notified alert as the router saves it. */
const notified = (fingerprint: string, endsAt: number) => ({ fingerprint, labels: { alertname: 'A', id: fingerprint }, annotations: {}, startsAt: 500, endsAt, updatedAt: 500 });

/** The notified alerts a new process on the file reads at start. */
async function notifiedOnRestart(path: string) {
  const store = new SqliteStore(path);
  try {
    return await store.loadNotifiedAlerts();
  } finally {
    await store.close();
  }
}

async function dbPath(): Promise<string> {
  return join(await scratchDir(join(tmpdir(), 'vigil-store-')), 'nested', 'vigil.db');
}

// What every Store does is in conformance.test.ts; here, what is SQLite's own.

/** The history rows in vigil.db alone, without its -wal: what a backup that copies only vigil.db would see. */
function historyRowsInMainFile(path: string): number {
  const copy = `${path}.copy`;
  copyFileSync(path, copy);
  const db = new Database(copy, { readonly: true });
  try {
    return db.prepare('SELECT count(*) FROM alert_event').pluck().get() as number;
  } finally {
    db.close();
  }
}

describe('SqliteStore', () => {
  test('state saved by one process is read back by the next, on a real file in WAL mode', async () => {
    const path = await dbPath();
    const a = new SqliteStore(path);
    a.saveGroupState({ groupKey: 'rules/x.yaml;g', lastEvaluation: 60_000, alerts: [{ rule: 'A', alert: alert() }] });
    await a.close();
    const b = new SqliteStore(path);
    expect(await b.loadGroupState('rules/x.yaml;g')).toEqual({ groupKey: 'rules/x.yaml;g', lastEvaluation: 60_000, alerts: [{ rule: 'A', alert: alert() }] });
    expect(await b.loadGroupState('other')).toBeUndefined();
    await b.close();
    const raw = new Database(path);
    expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
    await raw.close();
  });

  test('migrations are versioned; a database from a newer vigil is refused, not touched', async () => {
    const path = await dbPath();
    const store = new SqliteStore(path);
    expect(store.schemaVersion).toBe(5);
    await store.close();
    const raw = new Database(path);
    raw.pragma('user_version = 99');
    await raw.close();
    expect(() => new SqliteStore(path)).toThrow('the database was written by a newer vigil (schema 99, this vigil knows 5); refusing to touch it');
  });

  test('a version-1 database is migrated in place and keeps its alert state', async () => {
    const path = await dbPath();
    const store = new SqliteStore(path);
    store.saveGroupState({ groupKey: 'g', lastEvaluation: 5, alerts: [{ rule: 'A', alert: alert() }] });
    await store.close();
    const raw = new Database(path);
    raw.exec('DROP TABLE silence; DROP TABLE notification_log; DROP TABLE alert_event; DROP TABLE notification; DROP TABLE ticket; DROP TABLE ticket_event; DROP TABLE annotation; DROP TABLE setting; DROP TABLE integration_log; DROP TABLE notified_alert');
    raw.pragma('user_version = 1');
    await raw.close();
    const again = new SqliteStore(path);
    expect(again.schemaVersion).toBe(5);
    expect((await again.loadGroupState('g'))?.alerts).toHaveLength(1);
    expect(await again.loadSilences()).toEqual([]);
    await again.close();
  });

  test('a version-4 database keeps its notified alerts when they move to a table keyed by rowid', async () => {
    const path = await dbPath();
    await new SqliteStore(path).close();
    // back to version 4: its notified_alert, keyed by fingerprint, with two alerts in it
    const raw = new Database(path);
    raw.exec('DROP TABLE notified_alert; CREATE TABLE notified_alert (fingerprint TEXT PRIMARY KEY, alert TEXT NOT NULL)');
    raw.prepare('INSERT INTO notified_alert (fingerprint, alert) VALUES (?, ?), (?, ?)').run('f2', JSON.stringify(notified('f2', 2000)), 'f1', JSON.stringify(notified('f1', 1000)));
    raw.pragma('user_version = 4');
    raw.close();
    const again = new SqliteStore(path);
    expect(again.schemaVersion).toBe(5);
    expect(await again.loadNotifiedAlerts()).toEqual([notified('f1', 1000), notified('f2', 2000)]);
    // saved again (an update in place), forgotten, and new (twice in one save): the next process reads exactly that
    again.saveNotifiedAlerts([notified('f1', 9000), notified('f3', 3000), notified('f3', 3500)]);
    again.deleteNotifiedAlerts(['f2', 'never-saved']);
    await again.close();
    expect(await notifiedOnRestart(path)).toEqual([notified('f1', 9000), notified('f3', 3500)]);
    const rows = new Database(path, { readonly: true });
    expect(rows.prepare('SELECT count(*) AS n FROM notified_alert').get()).toEqual({ n: 2 }); // one row per alert: none left behind
    rows.close();
  });

  test('a save of notified alerts that fails is rolled back whole, and the next save of the same alerts is kept', async () => {
    const path = await dbPath();
    const store = new SqliteStore(path);
    const unwritable = { ...notified('f2', 1000), annotations: { summary: 1n as unknown as string } }; // JSON.stringify throws on a BigInt
    expect(() => store.saveNotifiedAlerts([notified('f1', 1000), unwritable])).toThrow(/BigInt/);
    expect(await store.loadNotifiedAlerts()).toEqual([]);
    store.saveNotifiedAlerts([notified('f3', 1000)]);
    expect(() => store.saveNotifiedAlerts([notified('f1', 1000), unwritable])).toThrow(/BigInt/);
    store.saveNotifiedAlerts([notified('f1', 2000)]); // its row from the failed save was rolled back: it is inserted, not updated
    await store.close();
    expect(await notifiedOnRestart(path)).toEqual([notified('f1', 2000), notified('f3', 1000)]);
  });

  test('notified alerts written by two processes on one file: a rowid the other process reused is not overwritten', async () => {
    const path = await dbPath();
    const a = new SqliteStore(path);
    a.saveNotifiedAlerts([notified('f1', 1000)]);
    const b = new SqliteStore(path);
    expect(await b.loadNotifiedAlerts()).toEqual([notified('f1', 1000)]);
    b.deleteNotifiedAlerts(['f1']);
    b.saveNotifiedAlerts([notified('f2', 2000)]); // the table was empty: SQLite gives f2 the rowid f1 had
    a.saveNotifiedAlerts([notified('f1', 3000)]); // a still knows f1 by that rowid
    await a.close();
    await b.close();
    expect(await notifiedOnRestart(path)).toEqual([notified('f1', 3000), notified('f2', 2000)]);
  });

  test('once writes pause, the database file itself holds them: the WAL is checkpointed in the pause, not in the next burst', async () => {
    const path = await dbPath();
    await new SqliteStore(path).close(); // the schema in the main file: closing checkpoints it
    const store = new SqliteStore(path);
    const rowsInMainFile = () => historyRowsInMainFile(path);
    const events = Array.from({ length: 50 }, (_, i) => alertEvent({ fingerprint: `f${i}`, labels: { alertname: 'A', id: `${i}` }, startsAt: 1000 }, 1000, 'firing', 'api-v2'));
    store.recordAlertEvents(events);
    expect(rowsInMainFile()).toBe(0); // committed to the WAL only: 50 rows are far from SQLite's own checkpoint
    await waitFor('the WAL checkpointed into vigil.db', () => (rowsInMainFile() === 50 ? true : undefined), 5_000);
    expect(rowsInMainFile()).toBe(50);
    await store.close();
  });

  test('writes that never pause still reach the database file: the WAL is checkpointed every second meanwhile', async () => {
    const path = await dbPath();
    await new SqliteStore(path).close();
    const store = new SqliteStore(path);
    const rowsInMainFile = () => historyRowsInMainFile(path);
    let written = 0;
    // a row every 20 ms: every 100 ms tick sees a change, so the store never sees a pause
    const writer = setInterval(() => {
      store.recordAlertEvents([alertEvent({ fingerprint: `f${written}`, labels: { alertname: 'A', id: `${written}` }, startsAt: 1000 }, 1000, 'firing', 'api-v2')]);
      written++;
    }, 20);
    let rowsSeen = 0;
    try {
      // the writer still runs while this waits: rows in the file came without a pause
      await waitFor('rows in vigil.db while the writes go on', () => ((rowsSeen = rowsInMainFile()) > 0 ? true : undefined), 5_000);
    } finally {
      clearInterval(writer);
    }
    expect(rowsSeen).toBeGreaterThan(0);
    await store.close();
  });
});
