/**
 * Replicas that share one PostgreSQL. Leases: one row per rule group, renewed for all of a
 * replica's groups in one statement per round; expiry is on the database's clock. Claims: one row
 * per (receiver, integration, index, group key) holding the content hash being sent or last sent.
 */
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { IntegrationLogEntry } from '../route/index.js';
import { checkout, loadPg } from '../postgres/index.js';
import type { ClaimKey, ClaimOutcome, Coordinator, HeldClaim } from './coordinator.js';
import { MIGRATIONS } from './migrations.js';
import { preferredReplica } from './placement.js';

export interface ClusterLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface PostgresCoordinatorOptions {
  url: string;
  replica: string;
  /** A lease not renewed for this long is free for another replica (default 6 s). */
  leaseDurationMs?: number;
  /** How often leases are renewed (default a third of the lease). */
  renewIntervalMs?: number;
  /** A flush claim whose holder stopped extending it is taken over after this long (default 10 s). */
  claimTtlMs?: number;
  /** Connections of this coordinator's own pool (default 4). */
  poolSize?: number;
  logger?: ClusterLogger;
  /** Called after each lease round with the groups gained and lost. */
  onLeases?: (change: { gained: string[]; lost: string[] }) => void;
}

const silent: ClusterLogger = { info() {}, warn() {} };

export class PostgresCoordinator implements Coordinator {
  readonly replica: string;
  readonly leaseDurationMs: number;
  readonly renewIntervalMs: number;
  readonly claimTtlMs: number;
  private readonly pool: pg.Pool;
  private readonly log: ClusterLogger;
  private groups: string[] = [];
  /** Groups held after the last successful round, valid until `heldUntil` (local monotonic ms). */
  private held = new Set<string>();
  private heldUntil = 0;
  /** Set when a round fails; a replica cut off from the database keeps evaluating what it held (fail open). */
  private unreachableSince?: number;
  private lastOk = false;
  /** Replicas seen alive, with the number of consecutive rounds each was seen (a newcomer must be stable before groups move to it). */
  private seen = new Map<string, number>();
  /** Groups seen without a live lease, with the number of consecutive rounds. */
  private unheldRounds = new Map<string, number>();
  private timer?: NodeJS.Timeout;
  private round?: Promise<void>;
  private stopped = false;
  private rounds = 0;

  private constructor(
    private readonly opts: PostgresCoordinatorOptions,
    lib: typeof pg,
  ) {
    this.replica = opts.replica;
    this.leaseDurationMs = opts.leaseDurationMs ?? 6_000;
    this.renewIntervalMs = opts.renewIntervalMs ?? Math.max(100, Math.floor(this.leaseDurationMs / 3));
    this.claimTtlMs = opts.claimTtlMs ?? 10_000;
    this.log = opts.logger ?? silent;
    this.pool = new lib.Pool({
      connectionString: opts.url,
      max: opts.poolSize ?? 4,
      // a database that went away must not hold a round or a claim for long
      connectionTimeoutMillis: Math.max(1_000, Math.min(5_000, this.renewIntervalMs)),
      query_timeout: Math.max(1_000, Math.min(5_000, this.leaseDurationMs / 2)),
      application_name: `vigil-cluster ${opts.replica}`.slice(0, 63),
    });
    // an idle connection broken by a database restart is reported here; the next query reconnects
    this.pool.on('error', (err) => this.log.warn({ err: err.message }, 'cluster: a database connection broke'));
  }

  /** Connects, migrates the cluster's tables (under an advisory lock: replicas start together), and starts the lease rounds. */
  static async open(opts: PostgresCoordinatorOptions): Promise<PostgresCoordinator> {
    const c = new PostgresCoordinator(opts, await loadPg());
    try {
      await c.migrate();
    } catch (err) {
      await c.pool.end().catch(() => undefined);
      throw err;
    }
    c.lastOk = true;
    await c.renew();
    c.schedule();
    return c;
  }

  private async migrate(): Promise<void> {
    const { client, release } = await checkout(this.pool);
    try {
      await client.query('BEGIN');
      await client.query(`SELECT pg_advisory_xact_lock(hashtext('vigil_cluster_schema_migrations'))`);
      await client.query('CREATE TABLE IF NOT EXISTS vigil_cluster_schema_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())');
      const { rows } = await client.query<{ version: number }>('SELECT version FROM vigil_cluster_schema_migrations');
      const done = new Set(rows.map((r) => r.version));
      for (const m of MIGRATIONS) {
        if (done.has(m.version)) continue;
        await client.query(m.sql);
        await client.query('INSERT INTO vigil_cluster_schema_migrations (version) VALUES ($1)', [m.version]);
      }
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw new Error(`cluster: could not migrate its tables: ${(err as Error).message}`);
    } finally {
      release();
    }
  }

  setGroups(groupKeys: readonly string[]): void {
    this.groups = [...new Set(groupKeys)];
  }

  holds(groupKey: string): boolean {
    if (!this.held.has(groupKey)) return false;
    const now = performance.now();
    if (now < this.heldUntil) return true;
    // cut off from the database while still holding it: keep evaluating rather than go blind
    return this.unreachableSince !== undefined && this.unreachableSince <= this.heldUntil;
  }

  /** The groups this replica holds now. */
  heldGroups(): string[] {
    return this.groups.filter((g) => this.holds(g));
  }

  connected(): boolean {
    return this.lastOk;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.round = this.renew().finally(() => this.schedule());
    }, this.renewIntervalMs);
  }

  /** One lease round: heartbeat, release groups that belong elsewhere, renew and take; one statement. */
  async renew(): Promise<void> {
    const started = performance.now();
    const before = new Set(this.heldGroups());
    const members = [...this.seen.keys()];
    if (!members.includes(this.replica)) members.push(this.replica);
    const release: string[] = [];
    const want: string[] = [];
    for (const g of this.groups) {
      const preferred = preferredReplica(g, members);
      if (this.held.has(g)) {
        // hand a group to its preferred replica once that one has been seen alive for a few rounds
        if (preferred !== this.replica && (this.seen.get(preferred!) ?? 0) >= 3) release.push(g);
        else want.push(g);
      } else if (preferred === this.replica || (this.unheldRounds.get(g) ?? 0) >= 2) {
        want.push(g);
      }
    }
    let rows: { kind: string; name: string; holder: string | null }[];
    try {
      const res = await this.pool.query<{ kind: string; name: string; holder: string | null }>(
        `WITH me AS (
           INSERT INTO vigil_cluster_members (replica, expires_at) VALUES ($1, now() + $2 * interval '1 millisecond')
           ON CONFLICT (replica) DO UPDATE SET expires_at = EXCLUDED.expires_at
         ), released AS (
           DELETE FROM vigil_cluster_leases WHERE holder = $1 AND name = ANY($4::text[])
         ), taken AS (
           INSERT INTO vigil_cluster_leases AS l (name, holder, expires_at)
           SELECT name, $1, now() + $2 * interval '1 millisecond' FROM unnest($3::text[]) AS name
           ON CONFLICT (name) DO UPDATE SET holder = EXCLUDED.holder, expires_at = EXCLUDED.expires_at,
             acquired_at = CASE WHEN l.holder = EXCLUDED.holder THEN l.acquired_at ELSE now() END
           WHERE l.holder = EXCLUDED.holder OR l.expires_at < now()
           RETURNING name
         )
         SELECT 'held' AS kind, name, $1 AS holder FROM taken
         UNION ALL SELECT 'member', replica, NULL FROM vigil_cluster_members WHERE expires_at > now() AND replica <> $1
         UNION ALL SELECT 'lease', name, holder FROM vigil_cluster_leases WHERE expires_at > now() AND holder <> $1`,
        [this.replica, this.leaseDurationMs, want, release],
      );
      rows = res.rows;
    } catch (err) {
      if (this.lastOk) this.log.warn({ err: (err as Error).message }, 'cluster: the database does not answer; keeping the groups held, claims fail open after a while');
      this.unreachableSince ??= performance.now();
      this.lastOk = false;
      return;
    }
    if (!this.lastOk) this.log.info({}, 'cluster: the database answers again');
    this.lastOk = true;
    this.unreachableSince = undefined;
    this.held = new Set(rows.filter((r) => r.kind === 'held').map((r) => r.name));
    // the database set expiry at its now() + lease, which is after `started` on any clock that runs at the same rate
    this.heldUntil = started + this.leaseDurationMs;
    const alive = new Set(rows.filter((r) => r.kind === 'member').map((r) => r.name));
    alive.add(this.replica);
    this.seen = new Map([...alive].map((r) => [r, (this.seen.get(r) ?? 0) + 1]));
    const leasedByOthers = new Set(rows.filter((r) => r.kind === 'lease').map((r) => r.name));
    this.unheldRounds = new Map(this.groups.filter((g) => !this.held.has(g) && !leasedByOthers.has(g)).map((g) => [g, (this.unheldRounds.get(g) ?? 0) + 1]));
    if (++this.rounds % 500 === 0) void this.gc();
    const after = new Set(this.heldGroups());
    const gained = [...after].filter((g) => !before.has(g));
    const lost = [...before].filter((g) => !after.has(g));
    if (gained.length || lost.length) {
      this.log.info({ gained: gained.length, lost: lost.length, held: after.size }, 'cluster: rule group leases changed');
      this.opts.onLeases?.({ gained, lost });
    }
  }

  /** Forgets claims of groups that have not notified for a week (a group gone for good). */
  private async gc(): Promise<void> {
    await this.pool.query(`DELETE FROM vigil_cluster_claims WHERE coalesce(sent_at, expires_at) < now() - interval '7 days'`).catch(() => undefined);
  }

  async claim(key: ClaimKey, hash: string, repeatIntervalMs: number): Promise<ClaimOutcome> {
    const k = [key.receiver, key.integration, key.index, key.groupKey];
    const token = randomUUID();
    try {
      const taken = await this.pool.query(
        `INSERT INTO vigil_cluster_claims AS c (receiver, integration, idx, group_key, hash, holder, state, expires_at, token)
         VALUES ($1, $2, $3, $4, $5, $6, 'inflight', now() + $7 * interval '1 millisecond', $9)
         ON CONFLICT (receiver, integration, idx, group_key) DO UPDATE
           SET hash = EXCLUDED.hash, holder = EXCLUDED.holder, token = EXCLUDED.token, state = 'inflight', expires_at = EXCLUDED.expires_at, sent_at = NULL, entry = NULL
           WHERE NOT (c.hash = EXCLUDED.hash AND (
             (c.state = 'sent' AND c.sent_at > now() - $8 * interval '1 millisecond')
             OR (c.state = 'inflight' AND c.expires_at > now() AND c.holder <> EXCLUDED.holder)))
         RETURNING 1`,
        [...k, hash, this.replica, this.claimTtlMs, repeatIntervalMs, token],
      );
      if (taken.rowCount === 1) return { kind: 'claimed', claim: this.heldClaim(k, token) };
      const { rows } = await this.pool.query<{ state: string; holder: string; entry: IntegrationLogEntry | null; age_ms: number | null }>(
        `SELECT state, holder, entry, round(extract(epoch FROM now() - sent_at) * 1000)::float8 AS age_ms
         FROM vigil_cluster_claims WHERE receiver = $1 AND integration = $2 AND idx = $3 AND group_key = $4`,
        k,
      );
      const row = rows[0];
      if (row?.state === 'sent' && row.entry) return { kind: 'sent', entry: row.entry, ageMs: Math.max(0, row.age_ms ?? 0), by: row.holder };
      // in flight elsewhere, or the row changed between the two statements: ask again shortly
      return { kind: 'busy', holder: row?.holder ?? '?' };
    } catch (err) {
      return { kind: 'unavailable', error: (err as Error).message };
    }
  }

  private heldClaim(k: (string | number)[], token: string): HeldClaim {
    const where = 'receiver = $1 AND integration = $2 AND idx = $3 AND group_key = $4 AND token = $5';
    const args = [...k, token];
    return {
      extend: async () => {
        await this.pool.query(`UPDATE vigil_cluster_claims SET expires_at = now() + $6 * interval '1 millisecond' WHERE ${where} AND state = 'inflight'`, [...args, this.claimTtlMs]);
      },
      sent: async (entry) => {
        await this.pool.query(`UPDATE vigil_cluster_claims SET state = 'sent', sent_at = now(), expires_at = NULL, entry = $6 WHERE ${where}`, [...args, JSON.stringify(entry)]);
      },
      release: async () => {
        await this.pool.query(`DELETE FROM vigil_cluster_claims WHERE ${where} AND state = 'inflight'`, args);
      },
    };
  }

  /**
   * Stops the rounds and gives this replica's leases back, so the others take its groups at their
   * next round. `{ release: false }` leaves them to expire, as a crashed replica does.
   */
  async stop({ release = true }: { release?: boolean } = {}): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearTimeout(this.timer);
    await this.round?.catch(() => undefined);
    this.held = new Set();
    if (!release) return void (await this.pool.end().catch(() => undefined));
    await this.pool
      .query('WITH l AS (DELETE FROM vigil_cluster_leases WHERE holder = $1) DELETE FROM vigil_cluster_members WHERE replica = $1', [this.replica])
      .catch((err: Error) => this.log.warn({ err: err.message }, 'cluster: could not give the leases back; they expire'));
    await this.pool.end().catch(() => undefined);
  }
}
