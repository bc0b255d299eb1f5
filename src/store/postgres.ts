/**
 * The Store on PostgreSQL, for several replicas sharing one database (node-postgres, SQL by hand).
 *
 * Writes are queued and committed in batches: at most every `flushIntervalMs`, in the order they
 * were made, one transaction per batch, a run of writes of one kind as one statement over
 * unnest()ed arrays (so 10,000 alert events are one round trip, not 10,000). While the database
 * is unreachable the batch is retried with backoff and the queue keeps growing up to `maxQueue`;
 * beyond that a write is dropped, logged and counted — never silently. A write the database
 * refuses for itself (not a connection problem) is isolated and dropped alone, so it cannot
 * block the writes behind it. Reads first wait (briefly) for the writes queued before them, so
 * a replica reads what it wrote.
 *
 * Silence and acknowledgement writes NOTIFY vigil_changes in their transaction; `subscribe`
 * LISTENs on a connection of its own and tells what other replicas changed.
 */
import { hostname } from 'node:os';
import type pg from 'pg';
import type { IntegrationLogEntry, NotificationLogEntry, RoutedAlert, Silence } from '../route/index.js';
import { checkout, loadPg } from '../postgres/index.js';
import { alertEventOf, decodeAlert, encodeAlert, pageLimit } from './codec.js';
import { MIGRATIONS } from './postgres-migrations.js';
import type {
  AlertEvent,
  AnnotationRecord,
  GroupState,
  HistoryQuery,
  NotificationRecord,
  Page,
  Store,
  StoreChange,
  TicketEvent,
  TicketKind,
  TicketRecord,
} from './types.js';

export interface PostgresStoreOptions {
  /** postgres://user:password@host:port/database?… (libpq's URL form). */
  url: string;
  /** Connections in the pool (the LISTEN connection is one more). Default 10. */
  poolSize?: number;
  /** Names this replica in the change feed, so it ignores its own changes. Default hostname:pid. */
  replicaId?: string;
  /** Queued writes wait at most this long before they are committed. Default 50 ms. */
  flushIntervalMs?: number;
  /** Writes committed per transaction, at most. Default 1,000 (bench/store.mjs: larger batches are no faster and stall the event loop longer while their parameters are built). */
  maxBatch?: number;
  /** Writes held while the database is unreachable; past this a write is dropped (logged, counted). Default 200,000. */
  maxQueue?: number;
  /** How long a connection attempt may take. Default 5 s. */
  connectTimeoutMs?: number;
  /** How long a read waits for the writes queued before it. Default 2 s. */
  readWaitMs?: number;
  /** Longest wait between two retries of a batch while the database is down. Default 5 s. */
  maxBackoffMs?: number;
  /** Where a write error goes (a batch that could not be committed, a dropped write). */
  onWriteError?: (err: Error, what: string) => void;
  /** Where news that is not an error goes (the database is back). */
  onInfo?: (msg: string, fields: Record<string, unknown>) => void;
}

/** What the queue has done, for /metrics and logs. */
export interface WriteQueueStats {
  queued: number;
  committed: number;
  dropped: number;
  batches: number;
  /** Rows of the largest batch committed so far. */
  largestBatch: number;
}

type Op =
  | { k: 'group'; state: GroupState }
  | { k: 'silence'; silence: Silence }
  | { k: 'silenceGc'; t: number }
  | { k: 'nflog'; entry: NotificationLogEntry }
  | { k: 'ilog'; entry: IntegrationLogEntry }
  | { k: 'notified'; alert: RoutedAlert }
  | { k: 'unnotified'; fingerprint: string }
  | { k: 'event'; event: AlertEvent }
  | { k: 'notification'; record: NotificationRecord }
  | { k: 'historyGc'; t: number }
  | { k: 'ticket'; ticket: TicketRecord }
  | { k: 'ticketEvent'; event: TicketEvent }
  | { k: 'annotation'; annotation: AnnotationRecord }
  | { k: 'setting'; key: string; value: string }
  | { k: 'publish'; what: StoreChange };

type OpOf<K extends Op['k']> = Extract<Op, { k: K }>;

/**
 * Writes committed at once (still batched with whatever the same turn wrote), not after the
 * flush interval: what a crash must not lose — the notification logs and notified alerts
 * (else a restart sends again), silences (other replicas wait for them), tickets (else a
 * ticket made in Jira is made again).
 */
const URGENT = new Set<Op['k']>(['nflog', 'ilog', 'notified', 'unnotified', 'silence', 'ticket', 'setting']);

const CHANNEL = 'vigil_changes';
/** The key of the migration lock (pg_advisory_xact_lock): "vigil" in ASCII. */
const MIGRATION_LOCK = 0x7669_6769_6c;

/** node-postgres returns bigint as a string; vigil's bigints are unix ms and ids, well within 2^53. */
const typesOf = (lib: typeof pg) => ({
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === lib.types.builtins.INT8 ? (v: string) => Number(v) : lib.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
});

const NETWORK_ERRORS = new Set(['ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN']);
/** node-postgres' own words for a connection that is gone or never came (these errors have no code). */
const CONNECTION_LOST = /Connection terminated|timeout exceeded when trying to connect|connection error|not queryable|Query read timeout/i;

/**
 * Whether a retry can cure the error: the network, a lost connection, or a SQLSTATE of class
 * connection (08), operator intervention/shutdown (57), resources (53) or transaction rollback (40).
 * Anything else (the database refusing a value, a bug) is not retried: it would block the queue.
 */
function retryable(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return /^(08|57|53|40)/.test(code);
  if (typeof code === 'string' && NETWORK_ERRORS.has(code)) return true;
  return err instanceof Error && CONNECTION_LOST.test(err.message);
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

export class PostgresStore implements Store {
  readonly replicaId: string;
  private readonly pool: pg.Pool;
  private readonly opts: Required<Omit<PostgresStoreOptions, 'onWriteError' | 'onInfo' | 'replicaId'>>;
  private readonly onWriteError: (err: Error, what: string) => void;
  private readonly onInfo: (msg: string, fields: Record<string, unknown>) => void;
  private queue: Op[] = [];
  /** An urgent write is queued and not yet taken into a batch. */
  private urgent = false;
  /** The queued (not yet taken) state write of each group: a newer state replaces it in place, so an outage queues one write per group, not one per evaluation. */
  private readonly queuedGroups = new Map<string, OpOf<'group'>>();
  /** Likewise the queued write of each notified alert (the router re-writes their endsAt every few seconds), until a delete of it is queued. */
  private readonly queuedNotified = new Map<string, OpOf<'notified'>>();
  /** Writes ever queued, and writes done with (committed or dropped): flush() waits for the second to reach the first. */
  private enqueued = 0;
  private done = 0;
  private readonly waiters: { upTo: number; resolve: () => void }[] = [];
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private closed = false;
  private healthy = false;
  private readonly counts = { committed: 0, dropped: 0, batches: 0, largestBatch: 0 };
  private lastDropLogAt = 0;
  private readonly subscribers = new Set<(what: StoreChange, origin: string) => void>();
  private listener: pg.Client | undefined;
  private listening: Promise<void> | undefined;
  private heartbeat: NodeJS.Timeout | undefined;

  private constructor(
    options: PostgresStoreOptions,
    private readonly lib: typeof pg,
  ) {
    this.replicaId = options.replicaId ?? `${hostname()}:${process.pid}`;
    this.opts = {
      url: options.url,
      poolSize: options.poolSize ?? 10,
      flushIntervalMs: options.flushIntervalMs ?? 50,
      maxBatch: options.maxBatch ?? 1_000,
      maxQueue: options.maxQueue ?? 200_000,
      connectTimeoutMs: options.connectTimeoutMs ?? 5_000,
      readWaitMs: options.readWaitMs ?? 2_000,
      maxBackoffMs: options.maxBackoffMs ?? 5_000,
    };
    this.onWriteError = options.onWriteError ?? ((err, what) => process.emitWarning(`vigil: could not write ${what}: ${err.message}`));
    this.onInfo = options.onInfo ?? (() => undefined);
    this.pool = new lib.Pool({
      connectionString: this.opts.url,
      max: this.opts.poolSize,
      connectionTimeoutMillis: this.opts.connectTimeoutMs,
      idleTimeoutMillis: 30_000,
      application_name: `vigil ${this.replicaId}`,
      types: typesOf(lib),
    });
    // an idle connection that breaks (a database restart) is replaced on next use; it must not crash the process
    this.pool.on('error', () => {
      this.healthy = false;
    });
  }

  /** Connects, brings the schema up to date (under a lock, so replicas that start together do not race), and returns the store. */
  static async open(options: PostgresStoreOptions): Promise<PostgresStore> {
    const store = new PostgresStore(options, await loadPg());
    try {
      await store.migrate();
    } catch (err) {
      await store.pool.end().catch(() => undefined);
      throw err;
    }
    store.healthy = true;
    // a quiet replica still learns when the database goes away (for /readyz)
    store.heartbeat = setInterval(() => {
      if (!store.running && store.queue.length === 0) void store.pool.query('SELECT 1').then(() => (store.healthy = true), () => (store.healthy = false));
    }, 2_000).unref();
    return store;
  }

  private async migrate(): Promise<void> {
    const { client, release } = await checkout(this.pool);
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
      await client.query('CREATE TABLE IF NOT EXISTS vigil_schema_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())');
      const { rows } = await client.query<{ v: number | null }>('SELECT max(version) AS v FROM vigil_schema_migrations');
      const current = rows[0]?.v ?? 0;
      if (current > MIGRATIONS.length) {
        throw new Error(`the database was written by a newer vigil (schema ${current}, this vigil knows ${MIGRATIONS.length}); refusing to touch it`);
      }
      for (let v = current; v < MIGRATIONS.length; v++) {
        await client.query(MIGRATIONS[v]);
        await client.query('INSERT INTO vigil_schema_migrations (version) VALUES ($1)', [v + 1]);
      }
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      release();
    }
  }

  /** The schema version this database is at. */
  async schemaVersion(): Promise<number> {
    const { rows } = await this.pool.query<{ v: number | null }>('SELECT max(version) AS v FROM vigil_schema_migrations');
    return rows[0]?.v ?? 0;
  }

  /** Whether the last use of the database (a write batch, a read, a heartbeat) succeeded. */
  connected(): boolean {
    return this.healthy && !this.closed;
  }

  get stats(): WriteQueueStats {
    return { queued: this.queue.length, ...this.counts };
  }

  // ---- the write queue ----

  /** Queues a write; false when it was dropped instead (closed, or the queue is full). */
  private enqueue(op: Op): boolean {
    if (this.closed) {
      this.drop(1, new Error('the store is closed'));
      return false;
    }
    if (this.queue.length >= this.opts.maxQueue) {
      this.enqueued++;
      this.done++;
      this.drop(1, new Error(`the write queue is full (${this.opts.maxQueue} writes waiting for the database)`));
      return false;
    }
    this.queue.push(op);
    this.enqueued++;
    if (URGENT.has(op.k)) this.urgent = true;
    this.schedule(this.urgent || this.queue.length >= this.opts.maxBatch ? 0 : this.opts.flushIntervalMs);
    return true;
  }

  private drop(n: number, err: Error): void {
    this.counts.dropped += n;
    const now = Date.now();
    // one line a second at most: a full queue must not flood the log as well
    if (now - this.lastDropLogAt >= 1_000) {
      this.lastDropLogAt = now;
      this.onWriteError(err, `${n} write(s) dropped (${this.counts.dropped} in all)`);
    }
  }

  private schedule(delayMs: number): void {
    if (this.running) return; // the running flush looks at the queue again when it ends
    if (this.timer && delayMs > 0) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.running = this.drain().finally(() => {
        this.running = undefined;
        if (this.queue.length > 0 && !this.closed) this.schedule(this.urgent ? 0 : this.opts.flushIntervalMs);
      });
    }, delayMs);
  }

  /** Commits the queue batch by batch; while the database is down, retries the head batch with backoff. */
  private async drain(): Promise<void> {
    let backoff = 50;
    let failing = false;
    while (this.queue.length > 0) {
      const batch = this.queue.slice(0, this.opts.maxBatch);
      if (batch.length === this.queue.length) this.urgent = false;
      // taken: a newer state of these groups is queued anew, not written into a batch under way
      for (const op of batch) {
        if (op.k === 'group' && this.queuedGroups.get(op.state.groupKey) === op) this.queuedGroups.delete(op.state.groupKey);
        if (op.k === 'notified' && this.queuedNotified.get(op.alert.fingerprint) === op) this.queuedNotified.delete(op.alert.fingerprint);
      }
      try {
        await this.commit(batch);
        this.queue.splice(0, batch.length);
        this.finished(batch.length, true);
        if (failing) this.onInfo('the database is back: queued writes are being committed', { committed: batch.length, queued: this.queue.length });
        failing = false;
        backoff = 50;
        // a backlog is written at once; a trickle waits for the next interval, to batch
        if (this.queue.length < this.opts.maxBatch && !this.closed && this.waiters.length === 0 && !this.urgent) return;
      } catch (err) {
        if (!retryable(err)) {
          await this.isolate(batch);
          continue;
        }
        this.healthy = false;
        if (!failing) this.onWriteError(err as Error, `${this.queue.length} queued write(s); retrying until the database answers`);
        failing = true;
        if (this.closed && this.closing) return;
        await sleep(backoff);
        backoff = Math.min(backoff * 2, this.opts.maxBackoffMs);
      }
    }
  }

  /** A batch the database refused for itself: each write in a transaction of its own; the ones refused again are dropped. */
  private async isolate(batch: Op[]): Promise<void> {
    for (const op of batch) {
      for (;;) {
        try {
          await this.commit([op]);
          this.queue.shift();
          this.finished(1, true);
          break;
        } catch (err) {
          if (retryable(err)) {
            this.healthy = false;
            await sleep(500);
            if (this.closed && this.closing) return;
            continue;
          }
          this.queue.shift();
          this.finished(1, false);
          this.drop(1, new Error(`${op.k}: ${(err as Error).message}`));
          break;
        }
      }
    }
  }

  private finished(n: number, committed: boolean): void {
    this.done += n;
    if (committed) {
      this.counts.committed += n;
      this.counts.batches++;
      this.counts.largestBatch = Math.max(this.counts.largestBatch, n);
      this.healthy = true;
    }
    for (let i = this.waiters.length - 1; i >= 0; i--) {
      if (this.waiters[i].upTo <= this.done) this.waiters.splice(i, 1)[0].resolve();
    }
  }

  /** Resolves once every write queued before the call is committed (or dropped, and logged). */
  flush(): Promise<void> {
    const upTo = this.enqueued;
    if (this.done >= upTo) return Promise.resolve();
    return new Promise((resolve) => {
      this.waiters.push({ upTo, resolve });
      this.schedule(0);
    });
  }

  /** Reads see this replica's earlier writes; with the database down they do not wait longer than readWaitMs. */
  private async barrier(): Promise<void> {
    if (this.done >= this.enqueued) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.flush(), new Promise<void>((resolve) => (timer = setTimeout(resolve, this.opts.readWaitMs)))]);
    clearTimeout(timer);
  }

  private async read<R extends pg.QueryResultRow>(sql: string, args: unknown[] = []): Promise<R[]> {
    await this.barrier();
    try {
      const { rows } = await this.pool.query<R>(sql, args);
      this.healthy = true;
      return rows;
    } catch (err) {
      if (retryable(err)) this.healthy = false;
      throw err;
    }
  }

  /** One transaction: each run of same-kind writes as one statement, then the change notifications. */
  private async commit(batch: Op[]): Promise<void> {
    const { client, release } = await checkout(this.pool);
    let broken = false;
    try {
      await client.query('BEGIN');
      const changes = new Set<StoreChange>();
      for (let i = 0; i < batch.length; ) {
        let j = i + 1;
        while (j < batch.length && batch[j].k === batch[i].k) j++;
        await this.writeRun(client, batch.slice(i, j), changes);
        i = j;
      }
      for (const what of changes) await client.query('SELECT pg_notify($1, $2)', [CHANNEL, JSON.stringify({ what, origin: this.replicaId })]);
      await client.query('COMMIT');
    } catch (err) {
      broken = retryable(err);
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      release(broken);
    }
  }

  private async writeRun(c: pg.PoolClient, run: Op[], changes: Set<StoreChange>): Promise<void> {
    switch (run[0].k) {
      case 'group': {
        const states = lastBy(run as OpOf<'group'>[], (o) => o.state.groupKey).map((o) => o.state);
        const keys = states.map((s) => s.groupKey);
        await c.query(
          'INSERT INTO vigil_group_state (group_key, last_evaluation) SELECT * FROM unnest($1::text[], $2::bigint[]) ' +
            'ON CONFLICT (group_key) DO UPDATE SET last_evaluation = excluded.last_evaluation',
          [keys, states.map((s) => s.lastEvaluation)],
        );
        await c.query('DELETE FROM vigil_alert_state WHERE group_key = ANY($1::text[])', [keys]);
        const rows = states.flatMap((s) => s.alerts.map((a) => [s.groupKey, a.rule, a.alert.fingerprint, encodeAlert(a.alert)]));
        if (rows.length) await c.query('INSERT INTO vigil_alert_state (group_key, rule, fingerprint, alert) SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[])', columns(rows, 4));
        return;
      }
      case 'silence': {
        const silences = lastBy(run as OpOf<'silence'>[], (o) => o.silence.id).map((o) => o.silence);
        await c.query(
          'INSERT INTO vigil_silence (id, ends_at, silence) SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[]) ' +
            'ON CONFLICT (id) DO UPDATE SET ends_at = excluded.ends_at, silence = excluded.silence',
          [silences.map((s) => s.id), silences.map((s) => s.endsAt), silences.map((s) => JSON.stringify(s))],
        );
        changes.add('silences');
        return;
      }
      case 'silenceGc':
        await c.query('DELETE FROM vigil_silence WHERE ends_at < $1', [Math.max(...(run as OpOf<'silenceGc'>[]).map((o) => o.t))]);
        return;
      case 'nflog': {
        const entries = newestBy(run as OpOf<'nflog'>[], (o) => `${o.entry.receiver}\u0000${o.entry.groupKey}`).map((o) => o.entry);
        await c.query(
          'INSERT INTO vigil_notification_log (receiver, group_key, at, expires_at, entry) SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[], $5::text[]) ' +
            'ON CONFLICT (receiver, group_key) DO UPDATE SET at = excluded.at, expires_at = excluded.expires_at, entry = excluded.entry WHERE excluded.at >= vigil_notification_log.at',
          columns(entries.map((e) => [e.receiver, e.groupKey, e.at, e.expiresAt, JSON.stringify(e)]), 5),
        );
        return;
      }
      case 'ilog': {
        const entries = newestBy(run as OpOf<'ilog'>[], (o) => `${o.entry.receiver}\u0000${o.entry.groupKey}\u0000${o.entry.integration}\u0000${o.entry.index}`).map((o) => o.entry);
        await c.query(
          'INSERT INTO vigil_integration_log (receiver, group_key, integration, idx, at, expires_at, entry) ' +
            'SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::bigint[], $6::bigint[], $7::text[]) ' +
            'ON CONFLICT (receiver, group_key, integration, idx) DO UPDATE SET at = excluded.at, expires_at = excluded.expires_at, entry = excluded.entry WHERE excluded.at >= vigil_integration_log.at',
          columns(entries.map((e) => [e.receiver, e.groupKey, e.integration, e.index, e.at, e.expiresAt, JSON.stringify(e)]), 7),
        );
        return;
      }
      case 'notified': {
        const alerts = lastBy(run as OpOf<'notified'>[], (o) => o.alert.fingerprint).map((o) => o.alert);
        await c.query(
          // replicas write the same alert: an older copy (a firing refresh written late) never replaces a newer one (its resolve)
          'INSERT INTO vigil_notified_alert (fingerprint, alert) SELECT * FROM unnest($1::text[], $2::text[]) ON CONFLICT (fingerprint) DO UPDATE SET alert = excluded.alert ' +
            "WHERE (excluded.alert::json->>'updatedAt')::float8 >= (vigil_notified_alert.alert::json->>'updatedAt')::float8",
          [alerts.map((a) => a.fingerprint), alerts.map((a) => JSON.stringify(a))],
        );
        return;
      }
      case 'unnotified':
        await c.query('DELETE FROM vigil_notified_alert WHERE fingerprint = ANY($1::text[])', [(run as OpOf<'unnotified'>[]).map((o) => o.fingerprint)]);
        return;
      case 'event': {
        const events = (run as OpOf<'event'>[]).map((o) => o.event);
        await c.query(
          'INSERT INTO vigil_alert_event (at, fingerprint, starts_at, alertname, severity, kind, source, labels, detail) ' +
            'SELECT * FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[])',
          columns(
            events.map((e) => [e.at, e.fingerprint, e.startsAt, e.alertname, e.severity, e.kind, e.source, JSON.stringify(e.labels), e.detail === undefined ? null : JSON.stringify(e.detail)]),
            9,
          ),
        );
        if (events.some((e) => e.kind === 'acknowledged')) changes.add('acks');
        return;
      }
      case 'notification': {
        const records = (run as OpOf<'notification'>[]).map((o) => o.record);
        await c.query(
          'INSERT INTO vigil_notification (at, receiver, integration, group_key, outcome, record) SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[])',
          columns(records.map((n) => [n.at, n.receiver, n.integration, n.groupKey, n.outcome, JSON.stringify({ ...n, id: undefined })]), 6),
        );
        return;
      }
      case 'historyGc': {
        const t = Math.max(...(run as OpOf<'historyGc'>[]).map((o) => o.t));
        await c.query('DELETE FROM vigil_alert_event WHERE at < $1', [t]);
        await c.query('DELETE FROM vigil_notification WHERE at < $1', [t]);
        await c.query("DELETE FROM vigil_ticket_event WHERE at < $1 AND ticket_id IN (SELECT id FROM vigil_ticket WHERE status = 'resolved')", [t]);
        await c.query('DELETE FROM vigil_annotation WHERE ended_at IS NOT NULL AND ended_at < $1', [t]);
        // feedback links (kept as settings) whose every alert episode began before the cut
        // (CASE: other settings are not JSON, and AND does not promise to test the key first)
        await c.query(
          "DELETE FROM vigil_setting WHERE CASE WHEN key LIKE 'feedback\\_link:%' THEN (SELECT max((e->>'startsAt')::bigint) FROM jsonb_array_elements(value::jsonb->'e') AS e) < $1 ELSE false END",
          [t],
        );
        return;
      }
      case 'ticket': {
        const tickets = lastBy(run as OpOf<'ticket'>[], (o) => o.ticket.id).map((o) => o.ticket);
        await c.query(
          'INSERT INTO vigil_ticket (id, kind, receiver, group_key, status, created_at, ticket) SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::text[]) ' +
            'ON CONFLICT (id) DO UPDATE SET status = excluded.status, ticket = excluded.ticket',
          columns(tickets.map((t) => [t.id, t.kind, t.receiver, t.groupKey, t.status, t.createdAt, JSON.stringify(t)]), 7),
        );
        return;
      }
      case 'ticketEvent': {
        const events = (run as OpOf<'ticketEvent'>[]).map((o) => o.event);
        await c.query(
          'INSERT INTO vigil_ticket_event (ticket_id, at, action, detail) SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[])',
          columns(events.map((e) => [e.ticketId, e.at, e.action, e.detail ?? null]), 4),
        );
        return;
      }
      case 'annotation': {
        const list = lastBy(run as OpOf<'annotation'>[], (o) => `${o.annotation.receiver}\u0000${o.annotation.index}\u0000${o.annotation.groupKey}\u0000${o.annotation.annotationId}`).map((o) => o.annotation);
        await c.query(
          'INSERT INTO vigil_annotation (receiver, idx, group_key, annotation_id, started_at, ended_at) SELECT * FROM unnest($1::text[], $2::int[], $3::text[], $4::bigint[], $5::bigint[], $6::bigint[]) ' +
            'ON CONFLICT (receiver, idx, group_key, annotation_id) DO UPDATE SET ended_at = excluded.ended_at',
          columns(list.map((a) => [a.receiver, a.index, a.groupKey, a.annotationId, a.startedAt, a.endedAt ?? null]), 6),
        );
        return;
      }
      case 'setting': {
        const settings = lastBy(run as OpOf<'setting'>[], (o) => o.key);
        await c.query(
          'INSERT INTO vigil_setting (key, value) SELECT * FROM unnest($1::text[], $2::text[]) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
          [settings.map((s) => s.key), settings.map((s) => s.value)],
        );
        return;
      }
      case 'publish':
        for (const o of run as OpOf<'publish'>[]) changes.add(o.what);
        return;
    }
  }

  // ---- writes ----

  saveGroupState(state: GroupState): void {
    const queued = this.queuedGroups.get(state.groupKey);
    if (queued) {
      queued.state = state; // nothing else writes a group's state: replacing it keeps every order that matters
      return;
    }
    const op: OpOf<'group'> = { k: 'group', state };
    if (this.enqueue(op)) this.queuedGroups.set(state.groupKey, op);
  }
  saveSilence(silence: Silence): void {
    this.enqueue({ k: 'silence', silence });
  }
  deleteSilencesEndedBefore(t: number): void {
    this.enqueue({ k: 'silenceGc', t });
  }
  saveNotificationLogEntry(entry: NotificationLogEntry): void {
    this.enqueue({ k: 'nflog', entry });
  }
  saveIntegrationLogEntry(entry: IntegrationLogEntry): void {
    this.enqueue({ k: 'ilog', entry });
  }
  saveNotifiedAlerts(alerts: readonly RoutedAlert[]): void {
    for (const alert of alerts) {
      const queued = this.queuedNotified.get(alert.fingerprint);
      if (queued) {
        queued.alert = alert;
        continue;
      }
      const op: OpOf<'notified'> = { k: 'notified', alert };
      if (this.enqueue(op)) this.queuedNotified.set(alert.fingerprint, op);
    }
  }
  deleteNotifiedAlerts(fingerprints: readonly string[]): void {
    for (const fingerprint of fingerprints) {
      this.queuedNotified.delete(fingerprint); // a save after this delete must come after it
      this.enqueue({ k: 'unnotified', fingerprint });
    }
  }
  recordAlertEvent(event: AlertEvent): void {
    this.enqueue({ k: 'event', event });
  }
  recordAlertEvents(events: readonly AlertEvent[]): void {
    for (const event of events) this.enqueue({ k: 'event', event });
  }
  recordNotification(record: NotificationRecord): void {
    this.enqueue({ k: 'notification', record });
  }
  recordNotifications(records: readonly NotificationRecord[]): void {
    for (const record of records) this.enqueue({ k: 'notification', record });
  }
  deleteHistoryBefore(t: number): void {
    this.enqueue({ k: 'historyGc', t });
  }
  saveTicket(ticket: TicketRecord): void {
    this.enqueue({ k: 'ticket', ticket: { ...ticket } });
  }
  recordTicketEvent(event: TicketEvent): void {
    this.enqueue({ k: 'ticketEvent', event });
  }
  saveAnnotation(annotation: AnnotationRecord): void {
    this.enqueue({ k: 'annotation', annotation });
  }
  setSetting(key: string, value: string): void {
    this.enqueue({ k: 'setting', key, value });
  }
  publish(what: StoreChange): void {
    this.enqueue({ k: 'publish', what });
  }

  // ---- reads ----

  async loadGroupState(groupKey: string): Promise<GroupState | undefined> {
    const rows = await this.read<{ last_evaluation: number; rule: string | null; alert: string | null }>(
      'SELECT g.last_evaluation, a.rule, a.alert FROM vigil_group_state g LEFT JOIN vigil_alert_state a ON a.group_key = g.group_key WHERE g.group_key = $1 ORDER BY a.rule, a.fingerprint',
      [groupKey],
    );
    if (rows.length === 0) return undefined;
    return {
      groupKey,
      lastEvaluation: rows[0].last_evaluation,
      alerts: rows.filter((r) => r.rule !== null).map((r) => ({ rule: r.rule!, alert: decodeAlert(r.alert!) })),
    };
  }

  async loadSilences(): Promise<Silence[]> {
    const rows = await this.read<{ silence: string }>('SELECT silence FROM vigil_silence ORDER BY id');
    return rows.map((r) => JSON.parse(r.silence) as Silence);
  }

  async loadNotificationLog(now: number): Promise<NotificationLogEntry[]> {
    await this.read('DELETE FROM vigil_notification_log WHERE expires_at <= $1', [now]);
    const rows = await this.read<{ entry: string }>('SELECT entry FROM vigil_notification_log ORDER BY receiver, group_key');
    return rows.map((r) => JSON.parse(r.entry) as NotificationLogEntry);
  }

  async loadIntegrationLog(now: number): Promise<IntegrationLogEntry[]> {
    await this.read('DELETE FROM vigil_integration_log WHERE expires_at <= $1', [now]);
    const rows = await this.read<{ entry: string }>('SELECT entry FROM vigil_integration_log ORDER BY receiver, group_key, integration, idx');
    return rows.map((r) => JSON.parse(r.entry) as IntegrationLogEntry);
  }

  async loadNotifiedAlerts(): Promise<RoutedAlert[]> {
    const rows = await this.read<{ alert: string }>('SELECT alert FROM vigil_notified_alert ORDER BY fingerprint');
    return rows.map((r) => JSON.parse(r.alert) as RoutedAlert);
  }

  async queryAlertEvents(q: HistoryQuery): Promise<Page<AlertEvent>> {
    const w = new Where();
    w.add('at >= $', q.from);
    w.add('at < $', q.to);
    w.add('fingerprint = $', q.fingerprint);
    w.add('alertname = $', q.alertname);
    w.add('severity = $', q.severity);
    if (q.kinds?.length) w.add('kind = ANY($::text[])', q.kinds);
    await this.olderThan('vigil_alert_event', q.before, w);
    const limit = pageLimit(q.limit);
    const rows = await this.read<Record<string, unknown>>(`SELECT * FROM vigil_alert_event ${w.sql()} ORDER BY at DESC, id DESC LIMIT ${limit + 1}`, w.args);
    const items = rows.slice(0, limit).map(alertEventOf);
    return { items, next: rows.length > limit ? items[items.length - 1].id : undefined };
  }

  async queryNotifications(q: HistoryQuery): Promise<Page<NotificationRecord>> {
    const w = new Where();
    w.add('at >= $', q.from);
    w.add('at < $', q.to);
    w.add('receiver = $', q.receiver);
    await this.olderThan('vigil_notification', q.before, w);
    const limit = pageLimit(q.limit);
    const rows = await this.read<{ id: number; record: string }>(`SELECT id, record FROM vigil_notification ${w.sql()} ORDER BY at DESC, id DESC LIMIT ${limit + 1}`, w.args);
    const items = rows.slice(0, limit).map((r) => ({ ...(JSON.parse(r.record) as NotificationRecord), id: r.id }));
    return { items, next: rows.length > limit ? items[items.length - 1].id : undefined };
  }

  /** Newest first by (at, id): the entries after the cursor's; by id alone when the cursor's entry is gone (retention). */
  private async olderThan(table: 'vigil_alert_event' | 'vigil_notification', before: number | undefined, w: Where): Promise<void> {
    if (before === undefined) return;
    const [row] = await this.read<{ at: number }>(`SELECT at FROM ${table} WHERE id = $1`, [before]);
    if (!row) return w.add('id < $', before);
    w.addMany('(at < $1 OR (at = $1 AND id < $2))', [row.at, before]);
  }

  async getTicket(id: string): Promise<TicketRecord | undefined> {
    const [row] = await this.read<{ ticket: string }>('SELECT ticket FROM vigil_ticket WHERE id = $1', [id]);
    return row && (JSON.parse(row.ticket) as TicketRecord);
  }

  async latestTicket(receiver: string, kind: TicketKind, groupKey: string): Promise<TicketRecord | undefined> {
    const [row] = await this.read<{ ticket: string }>(
      'SELECT ticket FROM vigil_ticket WHERE receiver = $1 AND kind = $2 AND group_key = $3 ORDER BY created_at DESC, seq DESC LIMIT 1',
      [receiver, kind, groupKey],
    );
    return row && (JSON.parse(row.ticket) as TicketRecord);
  }

  async listTickets(q: { status?: 'open' | 'resolved'; limit?: number; before?: string }): Promise<TicketRecord[]> {
    const w = new Where();
    w.add('status = $', q.status);
    w.add('seq < (SELECT seq FROM vigil_ticket WHERE id = $)', q.before || undefined);
    const rows = await this.read<{ ticket: string }>(`SELECT ticket FROM vigil_ticket ${w.sql()} ORDER BY seq DESC LIMIT ${pageLimit(q.limit)}`, w.args);
    return rows.map((r) => JSON.parse(r.ticket) as TicketRecord);
  }

  async ticketEvents(ticketId: string): Promise<TicketEvent[]> {
    const rows = await this.read<{ ticket_id: string; at: number; action: TicketEvent['action']; detail: string | null }>(
      'SELECT ticket_id, at, action, detail FROM vigil_ticket_event WHERE ticket_id = $1 ORDER BY id',
      [ticketId],
    );
    return rows.map((r) => ({ ticketId: r.ticket_id, at: r.at, action: r.action, ...(r.detail === null ? {} : { detail: r.detail }) }));
  }

  /** One statement, so two replicas never get the same number. */
  async nextLocalTicketNumber(): Promise<number> {
    const [row] = await this.read<{ value: string }>(
      "INSERT INTO vigil_setting (key, value) VALUES ('local_ticket_seq', '1') ON CONFLICT (key) DO UPDATE SET value = (vigil_setting.value::bigint + 1)::text RETURNING value",
    );
    return Number(row.value);
  }

  async openAnnotation(receiver: string, index: number, groupKey: string): Promise<AnnotationRecord | undefined> {
    const [r] = await this.read<{ annotation_id: number; started_at: number }>(
      'SELECT annotation_id, started_at FROM vigil_annotation WHERE receiver = $1 AND idx = $2 AND group_key = $3 AND ended_at IS NULL ORDER BY started_at DESC LIMIT 1',
      [receiver, index, groupKey],
    );
    return r && { receiver, index, groupKey, annotationId: r.annotation_id, startedAt: r.started_at };
  }

  async getSetting(key: string): Promise<string | undefined> {
    const [row] = await this.read<{ value: string }>('SELECT value FROM vigil_setting WHERE key = $1', [key]);
    return row?.value;
  }

  async initSetting(key: string, value: string): Promise<string> {
    // the no-op update makes RETURNING give the row that won, inserted now or by another replica before
    const [row] = await this.read<{ value: string }>(
      'INSERT INTO vigil_setting (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET key = excluded.key RETURNING value',
      [key, value],
    );
    return row.value;
  }

  // ---- the change feed ----

  subscribe(fn: (what: StoreChange, origin: string) => void): () => void {
    this.subscribers.add(fn);
    this.listening ??= this.listen(false);
    return () => {
      this.subscribers.delete(fn);
    };
  }

  /** Resolves once the change feed's LISTEN is in place (after the first subscribe). */
  async whenListening(): Promise<void> {
    await this.listening;
  }

  /** LISTENs on a connection of its own; after a reconnect, tells subscribers that silences and acks may have changed meanwhile. */
  private async listen(again: boolean): Promise<void> {
    let delay = 100;
    while (!this.closed) {
      const client = new this.lib.Client({ connectionString: this.opts.url, connectionTimeoutMillis: this.opts.connectTimeoutMs, application_name: `vigil ${this.replicaId} listen` });
      client.on('error', () => undefined); // until LISTEN is in place, a failure is the catch below
      try {
        await client.connect();
        await client.query(`LISTEN ${CHANNEL}`);
      } catch {
        await client.end().catch(() => undefined);
        await sleep(delay);
        delay = Math.min(delay * 2, this.opts.maxBackoffMs);
        continue;
      }
      if (this.closed) {
        await client.end().catch(() => undefined);
        return;
      }
      let lost = false;
      const onLost = () => {
        if (lost) return;
        lost = true;
        this.listener = undefined;
        client.end().catch(() => undefined);
        if (!this.closed) this.listening = this.listen(true);
      };
      client.on('error', onLost);
      client.on('end', onLost);
      client.on('notification', (msg) => this.tell(msg.payload));
      this.listener = client;
      if (again) for (const what of ['silences', 'acks'] as const) this.deliver(what, 'vigil:reconnected');
      return;
    }
  }

  private tell(payload: string | undefined): void {
    let msg: { what?: unknown; origin?: unknown };
    try {
      msg = JSON.parse(payload ?? '') as typeof msg;
    } catch {
      return;
    }
    if (msg.origin === this.replicaId || (msg.what !== 'silences' && msg.what !== 'acks' && msg.what !== 'config')) return;
    this.deliver(msg.what, String(msg.origin));
  }

  private deliver(what: StoreChange, origin: string): void {
    for (const fn of this.subscribers) {
      try {
        fn(what, origin);
      } catch (err) {
        this.onInfo('a change-feed subscriber failed', { what, err: (err as Error).message });
      }
    }
  }

  // ---- closing ----

  private closing = false;

  /** Commits what is queued (giving up after `timeoutMs` while the database is down: the rest is logged as dropped), then closes. */
  async close(timeoutMs = 10_000): Promise<void> {
    if (this.closed) return;
    let timer: NodeJS.Timeout | undefined;
    const flushed = await Promise.race([this.flush().then(() => true), new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)))]);
    clearTimeout(timer);
    this.closed = true;
    this.closing = true;
    if (!flushed) this.drop(this.queue.length, new Error(`closed while the database did not answer for ${timeoutMs} ms`));
    if (this.timer) clearTimeout(this.timer);
    if (this.heartbeat) clearInterval(this.heartbeat);
    await this.running?.catch(() => undefined);
    this.queue = [];
    this.queuedGroups.clear();
    this.queuedNotified.clear();
    for (const w of this.waiters.splice(0)) w.resolve();
    const listener = this.listener;
    this.listener = undefined;
    if (listener) {
      listener.removeAllListeners('end');
      listener.removeAllListeners('error');
      listener.on('error', () => undefined);
      await listener.end().catch(() => undefined);
    }
    await this.pool.end();
  }
}

/** The last op per key, where the key first appeared (a later write of a key replaces an earlier one; new rows keep their order). */
function lastBy<T>(ops: T[], key: (o: T) => string): T[] {
  const m = new Map<string, T>();
  for (const o of ops) m.set(key(o), o);
  return [...m.values()];
}

/** Per key, the entry a sequence of "replace unless the stored one is newer" writes leaves. */
function newestBy<T extends { entry: { at: number } }>(ops: T[], key: (o: T) => string): T[] {
  const m = new Map<string, T>();
  for (const o of ops) {
    const k = key(o);
    const held = m.get(k);
    if (!held || o.entry.at >= held.entry.at) m.set(k, o);
  }
  return [...m.values()];
}

/** Rows to column arrays, for unnest(). */
function columns(rows: unknown[][], n: number): unknown[][] {
  const cols: unknown[][] = Array.from({ length: n }, () => []);
  for (const r of rows) for (let i = 0; i < n; i++) cols[i].push(r[i]);
  return cols;
}

/** A WHERE clause with numbered parameters: `$` in a condition is the next one. */
class Where {
  readonly args: unknown[] = [];
  private readonly parts: string[] = [];
  add(cond: string, v: unknown): void {
    if (v === undefined) return;
    this.args.push(v);
    this.parts.push(cond.replace('$', `$${this.args.length}`));
  }
  /** A condition over several parameters, written $1, $2… relative to this condition. */
  addMany(cond: string, vs: unknown[]): void {
    const base = this.args.length;
    this.args.push(...vs);
    this.parts.push(cond.replace(/\$(\d+)/g, (_, i: string) => `$${base + Number(i)}`));
  }
  sql(): string {
    return this.parts.length ? `WHERE ${this.parts.join(' AND ')}` : '';
  }
}
