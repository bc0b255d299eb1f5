import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { IntegrationLogEntry, NotificationLogEntry, RoutedAlert, Silence } from '../route/index.js';
import type {
  AlertEvent,
  AnnotationRecord,
  GroupState,
  HistoryQuery,
  NotificationRecord,
  Page,
  Store,
  TicketEvent,
  TicketKind,
  TicketRecord,
} from './types.js';
import { alertEventOf, decodeAlert, encodeAlert, pageLimit } from './codec.js';

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
  `CREATE TABLE alert_event (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     at INTEGER NOT NULL,
     fingerprint TEXT NOT NULL,
     starts_at INTEGER NOT NULL,
     alertname TEXT NOT NULL,
     severity TEXT NOT NULL,
     kind TEXT NOT NULL,
     source TEXT NOT NULL,
     labels TEXT NOT NULL,
     detail TEXT
   );
   CREATE INDEX alert_event_at ON alert_event (at);
   CREATE INDEX alert_event_fingerprint ON alert_event (fingerprint, at);
   CREATE TABLE notification (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     at INTEGER NOT NULL,
     receiver TEXT NOT NULL,
     integration TEXT NOT NULL,
     group_key TEXT NOT NULL,
     outcome TEXT NOT NULL,
     record TEXT NOT NULL
   );
   CREATE INDEX notification_at ON notification (at);
   CREATE TABLE ticket (
     id TEXT PRIMARY KEY,
     kind TEXT NOT NULL,
     receiver TEXT NOT NULL,
     group_key TEXT NOT NULL,
     status TEXT NOT NULL,
     created_at INTEGER NOT NULL,
     ticket TEXT NOT NULL
   );
   CREATE INDEX ticket_group ON ticket (receiver, kind, group_key, created_at);
   CREATE TABLE ticket_event (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     ticket_id TEXT NOT NULL,
     at INTEGER NOT NULL,
     action TEXT NOT NULL,
     detail TEXT
   );
   CREATE INDEX ticket_event_ticket ON ticket_event (ticket_id, id);
   CREATE TABLE annotation (
     receiver TEXT NOT NULL,
     idx INTEGER NOT NULL,
     group_key TEXT NOT NULL,
     annotation_id INTEGER NOT NULL,
     started_at INTEGER NOT NULL,
     ended_at INTEGER,
     PRIMARY KEY (receiver, idx, group_key, annotation_id)
   );
   CREATE TABLE setting (key TEXT PRIMARY KEY, value TEXT NOT NULL);`,
  // issue 10: the notification log per integration, and the alerts a receiver was notified of (their resolve survives a restart)
  `CREATE TABLE integration_log (
     receiver TEXT NOT NULL,
     group_key TEXT NOT NULL,
     integration TEXT NOT NULL,
     idx INTEGER NOT NULL,
     at INTEGER NOT NULL,
     expires_at INTEGER NOT NULL,
     entry TEXT NOT NULL,
     PRIMARY KEY (receiver, group_key, integration, idx)
   );
   CREATE TABLE notified_alert (
     fingerprint TEXT PRIMARY KEY,
     alert TEXT NOT NULL
   );`,
  // notified alerts by rowid, without an index on fingerprint: a burst's saves append instead of inserting all over a B-tree
  `CREATE TABLE notified_alert_by_rowid (fingerprint TEXT NOT NULL, alert TEXT NOT NULL);
   INSERT INTO notified_alert_by_rowid (fingerprint, alert) SELECT fingerprint, alert FROM notified_alert ORDER BY fingerprint;
   DROP TABLE notified_alert;
   ALTER TABLE notified_alert_by_rowid RENAME TO notified_alert;`,
];

/** How often the store looks whether writes have paused (a tick with no change) to checkpoint the WAL. */
const IDLE_CHECKPOINT_TICK_MS = 100;
/** While writes go on without a pause (a tick with no change), the WAL is checkpointed this often. */
const BUSY_CHECKPOINT_EVERY_MS = 1_000;
/** SQLite's own checkpoint, as a bound only: 16 MiB of WAL at 4 KiB pages (at 10,000, one inside a commit stalled the event loop past 100 ms). */
const WAL_AUTOCHECKPOINT_PAGES = 4_000;

export interface SqliteStoreOptions {
  /** Where a failed write of the notification logs goes: they are written after the call returns (see saveNotificationLogEntry). */
  onWriteError?: (err: Error, what: string) => void;
}

export class SqliteStore implements Store {
  private readonly db: Database.Database;
  private readonly onWriteError: (err: Error, what: string) => void;
  /** Notification-log writes of this turn of the event loop, committed together at its end. */
  private pendingLogWrites: (() => void)[] = [];
  private logWriteScheduled = false;
  private readonly save: (state: GroupState) => void;
  private insertEvent: Database.Statement | undefined;
  private insertNotification: Database.Statement | undefined;
  /** Prepared once: the router writes these on every notification. */
  private readonly statements = new Map<string, Database.Statement>();
  private readonly idleCheckpoint: NodeJS.Timeout | undefined;

  constructor(path: string, opts: SqliteStoreOptions = {}) {
    this.onWriteError = opts.onWriteError ?? ((err, what) => process.emitWarning(`vigil: could not write ${what}: ${err.message}`));
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    // With WAL, NORMAL is durable across process crashes (kill -9); only power loss can drop the last commit.
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('busy_timeout = 5000');
    // SQLite's own default page cache (2,000 KiB): better-sqlite3 is built with 16 MiB, which a router's writes
    // fill during a burst of alerts and keep (bench/README.md, "Memory of the router"); the OS caches the file anyway
    this.db.pragma('cache_size = -2000');
    // The WAL is checkpointed by checkpointWhenIdle; SQLite's own checkpoint is only a bound. At its default (1,000 pages) it
    // ran inside nearly every history commit of a burst and wrote each page of the (fingerprint, at) index back once per commit
    this.db.pragma(`wal_autocheckpoint = ${WAL_AUTOCHECKPOINT_PAGES}`);
    this.migrate();
    if (path !== ':memory:') this.idleCheckpoint = this.checkpointWhenIdle();
    const upsertGroup = this.db.prepare('INSERT INTO group_state (group_key, last_evaluation) VALUES (?, ?) ON CONFLICT(group_key) DO UPDATE SET last_evaluation = excluded.last_evaluation');
    const clearAlerts = this.db.prepare('DELETE FROM alert_state WHERE group_key = ?');
    const insertAlert = this.db.prepare('INSERT INTO alert_state (group_key, rule, fingerprint, alert) VALUES (?, ?, ?, ?)');
    this.save = this.db.transaction((state: GroupState) => {
      upsertGroup.run(state.groupKey, state.lastEvaluation);
      clearAlerts.run(state.groupKey);
      for (const { rule, alert } of state.alerts) insertAlert.run(state.groupKey, rule, alert.fingerprint, encodeAlert(alert));
    });
  }

  /**
   * Copies the WAL into the database once writes have paused for a tick, and at most every
   * BUSY_CHECKPOINT_EVERY_MS while they go on: in a turn of the event loop of its own, rather than
   * inside the commit that crosses SQLite's bound, and once for a page that many commits changed
   * (bench/README.md, "Checkpoints in the pause" and "Idle groups, the payload's JSON, a heap of
   * endsAt and the history's checkpoints").
   */
  private checkpointWhenIdle(): NodeJS.Timeout {
    const changes = this.db.prepare('SELECT total_changes()').pluck();
    let seen = changes.get() as number;
    let written = false;
    let checkpointedAt = performance.now();
    const checkpoint = () => {
      written = false;
      checkpointedAt = performance.now();
      try {
        this.db.pragma('wal_checkpoint(PASSIVE)');
      } catch (err) {
        this.onWriteError(err as Error, 'the WAL checkpoint'); // SQLite's own checkpoint still runs in the next commits
      }
    };
    // cleared by close() before the database is closed
    const timer = setInterval(() => {
      const now = changes.get() as number;
      if (now !== seen) {
        seen = now;
        written = true;
        // only writes that went on without a pause for that long: a burst's own pause is the cheaper time
        if (performance.now() - checkpointedAt >= BUSY_CHECKPOINT_EVERY_MS) checkpoint();
      } else if (written) {
        checkpoint();
      } else {
        checkpointedAt = performance.now(); // nothing to copy: the WAL is as the last pause left it
      }
    }, IDLE_CHECKPOINT_TICK_MS);
    timer.unref();
    return timer;
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

  async loadGroupState(groupKey: string): Promise<GroupState | undefined> {
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

  async loadSilences(): Promise<Silence[]> {
    const rows = this.db.prepare('SELECT silence FROM silence ORDER BY id').all() as { silence: string }[];
    return rows.map((r) => JSON.parse(r.silence) as Silence);
  }

  deleteSilencesEndedBefore(t: number): void {
    this.db.prepare('DELETE FROM silence WHERE ends_at < ?').run(t);
  }

  private stmt(sql: string): Database.Statement {
    let st = this.statements.get(sql);
    if (!st) this.statements.set(sql, (st = this.db.prepare(sql)));
    return st;
  }

  /**
   * Runs a notification-log write at the end of this turn of the event loop, in one transaction
   * with the others of the turn: 10,000 groups acknowledged together make one commit, not 20,000.
   */
  private deferLogWrite(write: () => void): void {
    this.pendingLogWrites.push(write);
    if (this.logWriteScheduled) return;
    this.logWriteScheduled = true;
    setImmediate(() => this.flushLogWrites());
  }

  /** Commits the deferred notification-log writes now (also before a read of the logs, and on close). */
  flushLogWrites(): void {
    this.logWriteScheduled = false;
    const writes = this.pendingLogWrites;
    if (writes.length === 0) return;
    this.pendingLogWrites = [];
    try {
      this.db.transaction(() => {
        for (const w of writes) w();
      })();
    } catch (err) {
      this.onWriteError(err as Error, `${writes.length} notification log entries`);
    }
  }

  saveNotificationLogEntry(entry: NotificationLogEntry): void {
    this.deferLogWrite(() => this.writeNotificationLogEntry(entry));
  }

  private writeNotificationLogEntry(entry: NotificationLogEntry): void {
    this
      .stmt(
        'INSERT INTO notification_log (receiver, group_key, at, expires_at, entry) VALUES (?, ?, ?, ?, ?) ' +
          'ON CONFLICT(receiver, group_key) DO UPDATE SET at = excluded.at, expires_at = excluded.expires_at, entry = excluded.entry WHERE excluded.at >= notification_log.at',
      )
      .run(entry.receiver, entry.groupKey, entry.at, entry.expiresAt, JSON.stringify(entry));
  }

  async loadNotificationLog(now: number): Promise<NotificationLogEntry[]> {
    this.flushLogWrites();
    this.db.prepare('DELETE FROM notification_log WHERE expires_at <= ?').run(now);
    const rows = this.db.prepare('SELECT entry FROM notification_log ORDER BY receiver, group_key').all() as { entry: string }[];
    return rows.map((r) => JSON.parse(r.entry) as NotificationLogEntry);
  }

  saveIntegrationLogEntry(entry: IntegrationLogEntry): void {
    this.deferLogWrite(() => this.writeIntegrationLogEntry(entry));
  }

  private writeIntegrationLogEntry(entry: IntegrationLogEntry): void {
    this
      .stmt(
        'INSERT INTO integration_log (receiver, group_key, integration, idx, at, expires_at, entry) VALUES (?, ?, ?, ?, ?, ?, ?) ' +
          'ON CONFLICT(receiver, group_key, integration, idx) DO UPDATE SET at = excluded.at, expires_at = excluded.expires_at, entry = excluded.entry WHERE excluded.at >= integration_log.at',
      )
      .run(entry.receiver, entry.groupKey, entry.integration, entry.index, entry.at, entry.expiresAt, JSON.stringify(entry));
  }

  async loadIntegrationLog(now: number): Promise<IntegrationLogEntry[]> {
    this.flushLogWrites();
    this.db.prepare('DELETE FROM integration_log WHERE expires_at <= ?').run(now);
    const rows = this.db.prepare('SELECT entry FROM integration_log ORDER BY receiver, group_key, integration, idx').all() as { entry: string }[];
    return rows.map((r) => JSON.parse(r.entry) as IntegrationLogEntry);
  }

  /**
   * Each notified alert's rowid. The table has no index on fingerprint: a save of a new alert is
   * an append, not an insert at a random place of a B-tree (1.2–1.6× as fast at 100,000 alerts,
   * bench/README.md, "Notified alerts keyed by rowid"). Read from the table at the first use.
   */
  private notifiedRowid?: Map<string, number>;

  private notifiedRowids(): Map<string, number> {
    if (this.notifiedRowid) return this.notifiedRowid;
    const rows = this.db.prepare('SELECT rowid AS id, fingerprint FROM notified_alert ORDER BY rowid').all() as { id: number; fingerprint: string }[];
    return (this.notifiedRowid = new Map(rows.map((r) => [r.fingerprint, r.id])));
  }

  saveNotifiedAlerts(alerts: readonly RoutedAlert[]): void {
    if (alerts.length === 0) return;
    const known = this.notifiedRowids();
    const insert = this.stmt('INSERT INTO notified_alert (fingerprint, alert) VALUES (?, ?)');
    // the fingerprint is checked too: a row another process on the file moved is inserted anew, not overwritten
    const update = this.stmt('UPDATE notified_alert SET alert = ? WHERE rowid = ? AND fingerprint = ?');
    const added: string[] = [];
    try {
      this.db.transaction(() => {
        for (const a of alerts) {
          const id = known.get(a.fingerprint);
          const json = JSON.stringify(a);
          if (id === undefined || update.run(json, id, a.fingerprint).changes === 0) {
            known.set(a.fingerprint, Number(insert.run(a.fingerprint, json).lastInsertRowid));
            added.push(a.fingerprint);
          }
        }
      })();
    } catch (err) {
      for (const fp of added) known.delete(fp); // rolled back: their rows do not exist
      throw err;
    }
  }

  deleteNotifiedAlerts(fingerprints: readonly string[]): void {
    const known = this.notifiedRowids();
    const gone = fingerprints.filter((fp) => known.has(fp));
    if (gone.length === 0) return;
    const del = this.stmt('DELETE FROM notified_alert WHERE rowid = ? AND fingerprint = ?');
    this.db.transaction(() => {
      for (const fp of gone) del.run(known.get(fp)!, fp);
    })();
    for (const fp of gone) known.delete(fp);
  }

  /** Also re-reads the rowids: of a fingerprint saved twice (by another process on the file), the newest row wins and the older is dropped. */
  async loadNotifiedAlerts(): Promise<RoutedAlert[]> {
    const rows = this.db.prepare('SELECT rowid AS id, fingerprint, alert FROM notified_alert ORDER BY fingerprint, rowid').all() as { id: number; fingerprint: string; alert: string }[];
    const known = new Map<string, number>();
    const alerts: RoutedAlert[] = [];
    const stale: number[] = [];
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i];
      if (i + 1 < rows.length && rows[i + 1].fingerprint === r.fingerprint) {
        stale.push(r.id);
        continue;
      }
      known.set(r.fingerprint, r.id);
      alerts.push(JSON.parse(r.alert) as RoutedAlert);
    }
    if (stale.length > 0) {
      const del = this.stmt('DELETE FROM notified_alert WHERE rowid = ?');
      this.db.transaction(() => {
        for (const id of stale) del.run(id);
      })();
    }
    this.notifiedRowid = known;
    return alerts;
  }

  recordAlertEvent(e: AlertEvent): void {
    this.recordAlertEvents([e]);
  }

  /** Many events in one transaction: one commit instead of one per alert when a batch arrives. */
  recordAlertEvents(events: readonly AlertEvent[]): void {
    if (events.length === 0) return;
    const insert = (this.insertEvent ??= this.db.prepare(
      'INSERT INTO alert_event (at, fingerprint, starts_at, alertname, severity, kind, source, labels, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
    ));
    this.db.transaction(() => {
      for (const e of events) {
        insert.run(e.at, e.fingerprint, e.startsAt, e.alertname, e.severity, e.kind, e.source, JSON.stringify(e.labels), e.detail === undefined ? null : JSON.stringify(e.detail));
      }
    })();
  }

  async queryAlertEvents(q: HistoryQuery): Promise<Page<AlertEvent>> {
    const where: string[] = [];
    const args: unknown[] = [];
    const add = (sql: string, v: unknown) => {
      if (v === undefined) return;
      where.push(sql);
      args.push(v);
    };
    add('at >= ?', q.from);
    add('at < ?', q.to);
    add('fingerprint = ?', q.fingerprint);
    add('alertname = ?', q.alertname);
    add('severity = ?', q.severity);
    this.olderThan('alert_event', q.before, where, args);
    if (q.kinds?.length) {
      where.push(`kind IN (${q.kinds.map(() => '?').join(', ')})`);
      args.push(...q.kinds);
    }
    const limit = pageLimit(q.limit);
    const rows = this.db
      .prepare(`SELECT * FROM alert_event ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY at DESC, id DESC LIMIT ?`)
      .all(...args, limit + 1) as Record<string, unknown>[];
    const items = rows.slice(0, limit).map(alertEventOf);
    return { items, next: rows.length > limit ? items[items.length - 1].id : undefined };
  }

  /**
   * The paging condition for history ordered newest first by (at, id): the entries after the one
   * with id `before`. The cursor stays an id, and its time is looked up, so a page boundary falls
   * between two entries even when ids do not follow time (backfills, late posts, click times).
   */
  private olderThan(table: 'alert_event' | 'notification', before: number | undefined, where: string[], args: unknown[]): void {
    if (before === undefined) return;
    const row = this.db.prepare(`SELECT at FROM ${table} WHERE id = ?`).get(before) as { at: number } | undefined;
    if (!row) {
      where.push('id < ?'); // the cursor's entry is gone (retention): by id, as before
      args.push(before);
      return;
    }
    where.push('(at < ? OR (at = ? AND id < ?))');
    args.push(row.at, row.at, before);
  }

  recordNotification(n: NotificationRecord): void {
    (this.insertNotification ??= this.db.prepare('INSERT INTO notification (at, receiver, integration, group_key, outcome, record) VALUES (?, ?, ?, ?, ?, ?)')).run(n.at, n.receiver, n.integration, n.groupKey, n.outcome, JSON.stringify({ ...n, id: undefined }));
  }

  recordNotifications(records: readonly NotificationRecord[]): void {
    if (records.length === 0) return;
    this.db.transaction(() => {
      for (const r of records) this.recordNotification(r);
    })();
  }

  async queryNotifications(q: HistoryQuery): Promise<Page<NotificationRecord>> {
    const where: string[] = [];
    const args: unknown[] = [];
    for (const [sql, v] of [
      ['at >= ?', q.from],
      ['at < ?', q.to],
      ['receiver = ?', q.receiver],
    ] as const) {
      if (v === undefined) continue;
      where.push(sql);
      args.push(v);
    }
    this.olderThan('notification', q.before, where, args);
    const limit = pageLimit(q.limit);
    const rows = this.db
      .prepare(`SELECT id, record FROM notification ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY at DESC, id DESC LIMIT ?`)
      .all(...args, limit + 1) as { id: number; record: string }[];
    const items = rows.slice(0, limit).map((r) => ({ ...(JSON.parse(r.record) as NotificationRecord), id: r.id }));
    return { items, next: rows.length > limit ? items[items.length - 1].id : undefined };
  }

  deleteHistoryBefore(t: number): void {
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM alert_event WHERE at < ?').run(t);
      this.db.prepare('DELETE FROM notification WHERE at < ?').run(t);
      this.db.prepare("DELETE FROM ticket_event WHERE at < ? AND ticket_id IN (SELECT id FROM ticket WHERE status = 'resolved')").run(t);
      this.db.prepare('DELETE FROM annotation WHERE ended_at IS NOT NULL AND ended_at < ?').run(t);
      // feedback links (kept as settings) whose every alert episode began before the cut
      this.db
        .prepare("DELETE FROM setting WHERE key LIKE 'feedback\\_link:%' ESCAPE '\\' AND (SELECT MAX(json_extract(e.value, '$.startsAt')) FROM json_each(setting.value, '$.e') AS e) < ?")
        .run(t);
    })();
  }

  saveTicket(t: TicketRecord): void {
    this.db
      .prepare(
        'INSERT INTO ticket (id, kind, receiver, group_key, status, created_at, ticket) VALUES (?, ?, ?, ?, ?, ?, ?) ' +
          'ON CONFLICT(id) DO UPDATE SET status = excluded.status, ticket = excluded.ticket',
      )
      .run(t.id, t.kind, t.receiver, t.groupKey, t.status, t.createdAt, JSON.stringify(t));
  }

  async getTicket(id: string): Promise<TicketRecord | undefined> {
    const row = this.db.prepare('SELECT ticket FROM ticket WHERE id = ?').get(id) as { ticket: string } | undefined;
    return row && (JSON.parse(row.ticket) as TicketRecord);
  }

  async latestTicket(receiver: string, kind: TicketKind, groupKey: string): Promise<TicketRecord | undefined> {
    const row = this.db
      .prepare('SELECT ticket FROM ticket WHERE receiver = ? AND kind = ? AND group_key = ? ORDER BY created_at DESC, rowid DESC LIMIT 1')
      .get(receiver, kind, groupKey) as { ticket: string } | undefined;
    return row && (JSON.parse(row.ticket) as TicketRecord);
  }

  async listTickets(q: { status?: 'open' | 'resolved'; limit?: number; before?: string }): Promise<TicketRecord[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    if (q.status) {
      where.push('status = ?');
      args.push(q.status);
    }
    if (q.before) {
      where.push('rowid < (SELECT rowid FROM ticket WHERE id = ?)');
      args.push(q.before);
    }
    const rows = this.db
      .prepare(`SELECT ticket FROM ticket ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY rowid DESC LIMIT ?`)
      .all(...args, pageLimit(q.limit)) as { ticket: string }[];
    return rows.map((r) => JSON.parse(r.ticket) as TicketRecord);
  }

  recordTicketEvent(e: TicketEvent): void {
    this.db.prepare('INSERT INTO ticket_event (ticket_id, at, action, detail) VALUES (?, ?, ?, ?)').run(e.ticketId, e.at, e.action, e.detail ?? null);
  }

  async ticketEvents(ticketId: string): Promise<TicketEvent[]> {
    const rows = this.db.prepare('SELECT ticket_id, at, action, detail FROM ticket_event WHERE ticket_id = ? ORDER BY id').all(ticketId) as {
      ticket_id: string;
      at: number;
      action: TicketEvent['action'];
      detail: string | null;
    }[];
    return rows.map((r) => ({ ticketId: r.ticket_id, at: r.at, action: r.action, ...(r.detail === null ? {} : { detail: r.detail }) }));
  }

  async nextLocalTicketNumber(): Promise<number> {
    const row = this.db
      .prepare("INSERT INTO setting (key, value) VALUES ('local_ticket_seq', '1') ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1 RETURNING value")
      .get() as { value: string | number };
    return Number(row.value);
  }

  saveAnnotation(a: AnnotationRecord): void {
    this.db
      .prepare(
        'INSERT INTO annotation (receiver, idx, group_key, annotation_id, started_at, ended_at) VALUES (?, ?, ?, ?, ?, ?) ' +
          'ON CONFLICT(receiver, idx, group_key, annotation_id) DO UPDATE SET ended_at = excluded.ended_at',
      )
      .run(a.receiver, a.index, a.groupKey, a.annotationId, a.startedAt, a.endedAt ?? null);
  }

  async openAnnotation(receiver: string, index: number, groupKey: string): Promise<AnnotationRecord | undefined> {
    const r = this.db
      .prepare('SELECT annotation_id, started_at FROM annotation WHERE receiver = ? AND idx = ? AND group_key = ? AND ended_at IS NULL ORDER BY started_at DESC LIMIT 1')
      .get(receiver, index, groupKey) as { annotation_id: number; started_at: number } | undefined;
    return r && { receiver, index, groupKey, annotationId: r.annotation_id, startedAt: r.started_at };
  }

  async getSetting(key: string): Promise<string | undefined> {
    return (this.db.prepare('SELECT value FROM setting WHERE key = ?').get(key) as { value: string } | undefined)?.value;
  }

  async initSetting(key: string, value: string): Promise<string> {
    this.db.prepare('INSERT INTO setting (key, value) VALUES (?, ?) ON CONFLICT(key) DO NOTHING').run(key, value);
    return (this.db.prepare('SELECT value FROM setting WHERE key = ?').get(key) as { value: string }).value;
  }

  setSetting(key: string, value: string): void {
    this.db.prepare('INSERT INTO setting (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(key, value);
  }

  publish(): void {}

  /** One process, no replicas: nothing else writes this file while vigil holds it. */
  subscribe(): () => void {
    return () => undefined;
  }

  async flush(): Promise<void> {
    this.flushLogWrites();
  }

  async close(): Promise<void> {
    if (this.idleCheckpoint) clearInterval(this.idleCheckpoint);
    if (!this.db.open) return;
    this.flushLogWrites();
    this.db.close();
  }
}
