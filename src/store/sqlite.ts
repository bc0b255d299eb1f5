import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { Alert } from '../eval/alert.js';
import type { NotificationLogEntry, Silence } from '../route/index.js';
import type { GroupState, Store } from './types.js';

/** Versioned migrations: append only; each runs once, in order, in a transaction. */
const MIGRATIONS: string[] = [
  `CREATE TABLE group_state (
     group_key TEXT PRIMARY KEY,
     last_evaluation INTEGER NOT NULL
   );
   CREATE TABLE alert_state (
     group_key TEXT NOT NULL,
     rule TEXT NOT NULL,
     fingerprint TEXT NOT NULL,
     alert TEXT NOT NULL,
     PRIMARY KEY (group_key, rule, fingerprint)
   );`,
  `CREATE TABLE silence (
     id TEXT PRIMARY KEY,
     ends_at INTEGER NOT NULL,
     silence TEXT NOT NULL
   );
   CREATE TABLE notification_log (
     receiver TEXT NOT NULL,
     group_key TEXT NOT NULL,
     at INTEGER NOT NULL,
     expires_at INTEGER NOT NULL,
     entry TEXT NOT NULL,
     PRIMARY KEY (receiver, group_key)
   );`,
];

export class SqliteStore implements Store {
  private readonly db: Database.Database;
  private readonly save: (state: GroupState) => void;

  constructor(path: string) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    // With WAL, NORMAL is durable across process crashes (kill -9); only power loss can drop the last commit.
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('busy_timeout = 5000');
    this.migrate();
    const upsertGroup = this.db.prepare('INSERT INTO group_state (group_key, last_evaluation) VALUES (?, ?) ON CONFLICT(group_key) DO UPDATE SET last_evaluation = excluded.last_evaluation');
    const clearAlerts = this.db.prepare('DELETE FROM alert_state WHERE group_key = ?');
    const insertAlert = this.db.prepare('INSERT INTO alert_state (group_key, rule, fingerprint, alert) VALUES (?, ?, ?, ?)');
    this.save = this.db.transaction((state: GroupState) => {
      upsertGroup.run(state.groupKey, state.lastEvaluation);
      clearAlerts.run(state.groupKey);
      for (const { rule, alert } of state.alerts) insertAlert.run(state.groupKey, rule, alert.fingerprint, encodeAlert(alert));
    });
  }

  /** The schema version this database is at. */
  get schemaVersion(): number {
    return this.db.pragma('user_version', { simple: true }) as number;
  }

  private migrate(): void {
    const current = this.schemaVersion;
    if (current > MIGRATIONS.length) {
      throw new Error(`the database was written by a newer vigil (schema ${current}, this vigil knows ${MIGRATIONS.length}); refusing to touch it`);
    }
    for (let v = current; v < MIGRATIONS.length; v++) {
      this.db.transaction(() => {
        this.db.exec(MIGRATIONS[v]);
        this.db.pragma(`user_version = ${v + 1}`);
      })();
    }
  }

  saveGroupState(state: GroupState): void {
    this.save(state);
  }

  loadGroupState(groupKey: string): GroupState | undefined {
    const group = this.db.prepare('SELECT last_evaluation FROM group_state WHERE group_key = ?').get(groupKey) as { last_evaluation: number } | undefined;
    if (!group) return undefined;
    const rows = this.db.prepare('SELECT rule, alert FROM alert_state WHERE group_key = ?').all(groupKey) as { rule: string; alert: string }[];
    return {
      groupKey,
      lastEvaluation: group.last_evaluation,
      alerts: rows.map((r) => ({ rule: r.rule, alert: decodeAlert(r.alert) })),
    };
  }

  saveSilence(silence: Silence): void {
    this.db
      .prepare('INSERT INTO silence (id, ends_at, silence) VALUES (?, ?, ?) ON CONFLICT(id) DO UPDATE SET ends_at = excluded.ends_at, silence = excluded.silence')
      .run(silence.id, silence.endsAt, JSON.stringify(silence));
  }

  loadSilences(): Silence[] {
    const rows = this.db.prepare('SELECT silence FROM silence ORDER BY id').all() as { silence: string }[];
    return rows.map((r) => JSON.parse(r.silence) as Silence);
  }

  deleteSilencesEndedBefore(t: number): number {
    return this.db.prepare('DELETE FROM silence WHERE ends_at < ?').run(t).changes;
  }

  saveNotificationLogEntry(entry: NotificationLogEntry): void {
    this.db
      .prepare(
        'INSERT INTO notification_log (receiver, group_key, at, expires_at, entry) VALUES (?, ?, ?, ?, ?) ' +
          'ON CONFLICT(receiver, group_key) DO UPDATE SET at = excluded.at, expires_at = excluded.expires_at, entry = excluded.entry WHERE excluded.at >= notification_log.at',
      )
      .run(entry.receiver, entry.groupKey, entry.at, entry.expiresAt, JSON.stringify(entry));
  }

  loadNotificationLog(now: number): NotificationLogEntry[] {
    this.db.prepare('DELETE FROM notification_log WHERE expires_at <= ?').run(now);
    const rows = this.db.prepare('SELECT entry FROM notification_log ORDER BY receiver, group_key').all() as { entry: string }[];
    return rows.map((r) => JSON.parse(r.entry) as NotificationLogEntry);
  }

  close(): void {
    this.db.close();
  }
}

/** JSON has no NaN or Inf, and an alert's value may be either: keep it as Prometheus' string form. */
function encodeAlert(alert: Alert): string {
  return JSON.stringify({ ...alert, value: String(alert.value) });
}

function decodeAlert(text: string): Alert {
  const raw = JSON.parse(text) as Alert & { value: string };
  return { ...raw, value: Number(raw.value) };
}
