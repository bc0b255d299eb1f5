// The same tests against both Stores: SqliteStore on a real file, PostgresStore on a real PostgreSQL
// (its own cluster; needs the Debian package postgresql: fails in CI without it, skipped elsewhere).
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { Alert } from '../../src/eval/index.js';
import { PostgresStore, SqliteStore, type AlertEvent, type Store, type StoreChange } from '../../src/store/index.js';
import { MIGRATIONS } from '../../src/store/postgres-migrations.js';
import { requirePostgresOrSkip, startPostgres, type PostgresInstance } from '../integration/support/postgres.js';
import { scratchDir } from '../support/scratch.js';
import { waitFor } from '../support/wait.js';

const havePostgres = requirePostgresOrSkip('store conformance (PostgreSQL)');
let server: PostgresInstance | undefined;
beforeAll(async () => {
  if (havePostgres) server = await startPostgres();
}, 120_000);
afterAll(() => server?.stop());

let dbs = 0;
/** A fresh database for each test: `open()` opens (and reopens) a store on it. */
interface Subject {
  name: string;
  fresh(): Promise<() => Promise<Store>>;
}
const sqlite: Subject = {
  name: 'SqliteStore',
  async fresh() {
    const path = join(await scratchDir(join(tmpdir(), 'vigil-conformance-')), 'vigil.db');
    return async () => new SqliteStore(path);
  },
};
const postgres: Subject = {
  name: 'PostgresStore',
  async fresh() {
    const url = await server!.database(`conformance_${++dbs}`);
    return () => PostgresStore.open({ url, flushIntervalMs: 10 });
  },
};
const subjects = havePostgres ? [sqlite, postgres] : [sqlite];

const alert = (over: Partial<Alert> = {}): Alert => ({
  fingerprint: 'f1',
  labels: { alertname: 'A', agent_id: 'x' },
  annotations: { summary: 's' },
  state: 'pending',
  value: 0.5,
  activeAt: 1000,
  ...over,
});
const event = (at: number, over: Partial<AlertEvent> = {}): AlertEvent => ({ at, fingerprint: 'fp', startsAt: 0, alertname: 'A', severity: 'P2', labels: { alertname: 'A' }, kind: 'firing', source: 'router', ...over });

describe.each(subjects)('$name', (subject) => {
  let open: () => Promise<Store>;
  const opened: Store[] = [];
  const openStore = async () => {
    const s = await open();
    opened.push(s);
    return s;
  };
  beforeEach(async () => {
    open = await subject.fresh();
  });
  afterEach(async () => {
    for (const s of opened.splice(0)) await s.close();
  });

  test('alert state survives a restart; a save replaces the group state; NaN and infinite values survive', async () => {
    const a = await openStore();
    a.saveGroupState({ groupKey: 'g', lastEvaluation: 1, alerts: [{ rule: 'A', alert: alert() }, { rule: 'A', alert: alert({ fingerprint: 'f2', value: NaN }) }] });
    a.saveGroupState({ groupKey: 'g', lastEvaluation: 2, alerts: [{ rule: 'A', alert: alert({ fingerprint: 'f2', value: NaN, state: 'firing', firedAt: 2 }) }, { rule: 'B', alert: alert({ fingerprint: 'f3', value: -Infinity }) }] });
    a.saveGroupState({ groupKey: 'empty', lastEvaluation: 7, alerts: [] });
    await a.close();
    const b = await openStore();
    const state = (await b.loadGroupState('g'))!;
    expect(state.lastEvaluation).toBe(2);
    expect(state.alerts.map((x) => [x.rule, x.alert.fingerprint, x.alert.state, x.alert.value])).toEqual([
      ['A', 'f2', 'firing', NaN],
      ['B', 'f3', 'pending', -Infinity],
    ]);
    expect(await b.loadGroupState('empty')).toEqual({ groupKey: 'empty', lastEvaluation: 7, alerts: [] });
    expect(await b.loadGroupState('other')).toBeUndefined();
  });

  test('silences survive a restart; an expiry is an update; old ones can be dropped', async () => {
    const s = { id: 'a1', matchers: [{ name: 'agent_id', type: '=' as const, value: 'x' }], startsAt: 1000, endsAt: 5000, createdBy: 'ann', comment: 'deploy', updatedAt: 1000 };
    const a = await openStore();
    a.saveSilence(s);
    a.saveSilence({ ...s, id: 'b2', endsAt: 9000 });
    a.saveSilence({ ...s, endsAt: 2000, updatedAt: 2000 });
    await a.close();
    const b = await openStore();
    expect(await b.loadSilences()).toEqual([{ ...s, endsAt: 2000, updatedAt: 2000 }, { ...s, id: 'b2', endsAt: 9000 }]);
    b.deleteSilencesEndedBefore(3000);
    expect((await b.loadSilences()).map((x) => x.id)).toEqual(['b2']);
  });

  test('the notification log keeps the latest entry per group and receiver, a late older write never wins; expired entries go', async () => {
    const entry = (over: object) => ({ groupKey: 'g1', receiver: 'page', firingFingerprints: ['f1'], resolvedFingerprints: [], flappingFingerprints: [], at: 1000, expiresAt: 10_000, ...over });
    const a = await openStore();
    a.saveNotificationLogEntry(entry({}));
    a.saveNotificationLogEntry(entry({ at: 2000, firingFingerprints: ['f1', 'f2'] }));
    a.saveNotificationLogEntry(entry({ at: 1500, firingFingerprints: [] }));
    a.saveNotificationLogEntry(entry({ receiver: 'triage', expiresAt: 3000 }));
    await a.flush();
    a.saveNotificationLogEntry(entry({ at: 1800, firingFingerprints: [] })); // older than what is stored, in a later commit
    await a.close();
    const b = await openStore();
    expect(await b.loadNotificationLog(2500)).toEqual([entry({ at: 2000, firingFingerprints: ['f1', 'f2'] }), entry({ receiver: 'triage', expiresAt: 3000 })]);
    expect(await b.loadNotificationLog(5000)).toEqual([entry({ at: 2000, firingFingerprints: ['f1', 'f2'] })]);
  });

  test('the integration log is keyed by receiver, group, integration and index; notified alerts keep their latest endsAt', async () => {
    const entry = (over: object) => ({ groupKey: 'g1', receiver: 'page', integration: 'slack', index: 0, firingFingerprints: ['f1'], resolvedFingerprints: [], flappingFingerprints: [], at: 1000, expiresAt: 10_000, ...over });
    const notified = (fingerprint: string, endsAt: number) => ({ fingerprint, labels: { alertname: 'A' }, annotations: {}, startsAt: 500, endsAt, updatedAt: 900 });
    const a = await openStore();
    a.saveIntegrationLogEntry(entry({}));
    a.saveIntegrationLogEntry(entry({ integration: 'pagerduty', at: 2000 }));
    a.saveIntegrationLogEntry(entry({ integration: 'pagerduty', at: 1500, firingFingerprints: [] }));
    a.saveIntegrationLogEntry(entry({ index: 1, expiresAt: 3000 }));
    a.saveNotifiedAlerts([notified('f1', 4000), notified('f2', 4000)]);
    a.saveNotifiedAlerts([notified('f1', 8000)]);
    a.deleteNotifiedAlerts(['f2']);
    await a.close();
    const b = await openStore();
    expect(await b.loadIntegrationLog(2500)).toEqual([entry({ integration: 'pagerduty', at: 2000 }), entry({}), entry({ index: 1, expiresAt: 3000 })]);
    expect(await b.loadIntegrationLog(5000)).toHaveLength(2);
    expect(await b.loadNotifiedAlerts()).toEqual([notified('f1', 8000)]);
    b.deleteNotifiedAlerts(['f1']);
    expect(await b.loadNotifiedAlerts()).toEqual([]);
  });

  test('history recorded out of time order pages newest first by (at, id), each entry once', async () => {
    const store = await openStore();
    // ids follow recording order; times do not (backfilled pending events, acknowledgements with their click time)
    const times = [5, 1, 9, 3, 7, 3, 8, 4, 6, 2, 9];
    times.forEach((t, i) => store.recordAlertEvent(event(t * 1000, { fingerprint: `fp${i}`, alertname: `A${i}`, labels: { alertname: `A${i}` } })));
    store.recordNotifications(times.map((t, i) => ({ at: t * 1000, receiver: 'r', integration: 'slack', groupKey: `g${i}`, groupLabels: {}, reason: 'first', firing: [], resolved: [], outcome: 'success' as const, attempts: 1 })));
    const pages = async <T extends { id?: number; at: number }>(query: (before?: number) => Promise<{ items: T[]; next?: number }>) => {
      const out: T[][] = [];
      let before: number | undefined;
      do {
        const page = await query(before);
        out.push(page.items);
        before = page.next;
      } while (before !== undefined);
      return out;
    };
    const events = await pages((before) => store.queryAlertEvents({ limit: 3, before }));
    expect(events.map((p) => p.length)).toEqual([3, 3, 3, 2]);
    const flat = events.flat();
    const first = flat.reduce((m, e) => Math.min(m, e.id!), Infinity);
    // by time, and among equal times the later recorded first (ids relative to the first one)
    expect(flat.map((e) => [e.at / 1000, e.id! - first + 1])).toEqual([[9, 11], [9, 3], [8, 7], [7, 5], [6, 9], [5, 1], [4, 8], [3, 6], [3, 4], [2, 10], [1, 2]]);
    const notifications = (await pages((before) => store.queryNotifications({ limit: 4, before }))).flat();
    expect(notifications.map((n) => n.at / 1000)).toEqual([9, 9, 8, 7, 6, 5, 4, 3, 3, 2, 1]);
    expect(new Set(notifications.map((n) => n.id)).size).toBe(11);
  });

  test('history filters; retention drops old history, resolved tickets\' old events, ended annotations and old feedback links', async () => {
    const store = await openStore();
    for (let i = 1; i <= 5; i++) store.recordAlertEvent(event(i * 1000, { kind: i % 2 ? 'firing' : 'resolved', fingerprint: 'fp-A' }));
    store.recordAlertEvents([{ ...event(6000, { alertname: 'B', labels: { alertname: 'B' }, severity: 'P1' }), detail: { by: 'ann' } }]);
    const first = await store.queryAlertEvents({ limit: 2 });
    expect(first.items.map((e) => [e.alertname, e.at])).toEqual([['B', 6000], ['A', 5000]]);
    expect(first.items[0]).toMatchObject({ detail: { by: 'ann' }, labels: { alertname: 'B' }, severity: 'P1', source: 'router' });
    expect((await store.queryAlertEvents({ limit: 2, before: first.next })).items.map((e) => e.at)).toEqual([4000, 3000]);
    expect((await store.queryAlertEvents({ alertname: 'A', kinds: ['resolved'] })).items.map((e) => e.at)).toEqual([4000, 2000]);
    expect((await store.queryAlertEvents({ fingerprint: 'fp-A', from: 2000, to: 4000 })).items.map((e) => e.at)).toEqual([3000, 2000]);
    expect((await store.queryAlertEvents({ severity: 'P1' })).items).toHaveLength(1);
    expect((await store.queryAlertEvents({})).next).toBeUndefined();
    store.recordNotification({ at: 1500, receiver: 'page', integration: 'pagerduty', groupKey: 'g', groupLabels: {}, reason: 'first', firing: ['fp-A'], resolved: [], outcome: 'success', attempts: 1 });
    store.recordNotification({ at: 4500, receiver: 'chat', integration: 'slack', groupKey: 'g', groupLabels: {}, reason: 'first', firing: ['fp-A'], resolved: [], outcome: 'failure', attempts: 3, error: '500' });
    expect((await store.queryNotifications({ receiver: 'chat' })).items).toEqual([expect.objectContaining({ at: 4500, outcome: 'failure', error: '500', id: expect.any(Number) })]);
    const link = (startsAt: number[]) => JSON.stringify({ g: 'g', e: startsAt.map((t) => ({ fingerprint: 'f', startsAt: t, labels: {} })) });
    store.setSetting('feedback_link:old', link([1000, 2000]));
    store.setSetting('feedback_link:mixed', link([1000, 5000]));
    store.setSetting('feedback_signing_key', 'not JSON at all');
    store.saveAnnotation({ receiver: 'observe', index: 0, groupKey: 'g', annotationId: 1, startedAt: 500, endedAt: 900 });
    store.deleteHistoryBefore(3000);
    expect(await store.getSetting('feedback_link:old')).toBeUndefined();
    expect(await store.getSetting('feedback_link:mixed')).toBe(link([1000, 5000]));
    expect(await store.getSetting('feedback_signing_key')).toBe('not JSON at all');
    expect((await store.queryAlertEvents({})).items.map((e) => e.at)).toEqual([6000, 5000, 4000, 3000]);
    expect((await store.queryNotifications({})).items.map((n) => n.at)).toEqual([4500]);
  });

  test('tickets: the latest of a group is found; events, local numbers and annotations survive a restart', async () => {
    const a = await openStore();
    const t = { id: 'local:1', kind: 'local' as const, receiver: 'triage', groupKey: 'g', groupLabels: { agent_id: 'x' }, externalId: '1', title: 't', severity: 'P2', status: 'open' as const, wontFix: false, createdAt: 1000, updatedAt: 1000, firingSince: 1000 };
    expect(await a.nextLocalTicketNumber()).toBe(1);
    a.saveTicket(t);
    a.saveTicket({ ...t, status: 'resolved', resolvedAt: 2000 });
    a.saveTicket({ ...t, id: 'local:2', externalId: '2', createdAt: 3000 });
    a.saveTicket({ ...t, id: 'jira:OPS-1', kind: 'jira', externalId: 'OPS-1', createdAt: 4000 });
    a.recordTicketEvent({ ticketId: 'local:1', at: 1000, action: 'created' });
    a.recordTicketEvent({ ticketId: 'local:1', at: 2000, action: 'resolved', detail: 'fired for 16m' });
    a.saveAnnotation({ receiver: 'observe', index: 0, groupKey: 'g', annotationId: 42, startedAt: 1000 });
    await a.close();
    const b = await openStore();
    expect(await b.nextLocalTicketNumber()).toBe(2);
    expect((await b.latestTicket('triage', 'local', 'g'))?.id).toBe('local:2');
    expect(await b.latestTicket('triage', 'github', 'g')).toBeUndefined();
    expect(await b.getTicket('local:1')).toEqual({ ...t, status: 'resolved', resolvedAt: 2000 });
    expect((await b.listTickets({ status: 'open' })).map((x) => x.id)).toEqual(['jira:OPS-1', 'local:2']);
    expect((await b.listTickets({ limit: 2, before: 'jira:OPS-1' })).map((x) => x.id)).toEqual(['local:2', 'local:1']);
    expect(await b.ticketEvents('local:1')).toEqual([
      { ticketId: 'local:1', at: 1000, action: 'created' },
      { ticketId: 'local:1', at: 2000, action: 'resolved', detail: 'fired for 16m' },
    ]);
    expect(await b.openAnnotation('observe', 0, 'g')).toEqual({ receiver: 'observe', index: 0, groupKey: 'g', annotationId: 42, startedAt: 1000 });
    b.saveAnnotation({ receiver: 'observe', index: 0, groupKey: 'g', annotationId: 42, startedAt: 1000, endedAt: 5000 });
    expect(await b.openAnnotation('observe', 0, 'g')).toBeUndefined();
  });

  test('local ticket numbers asked for at once are all different', async () => {
    const a = await openStore();
    const numbers = await Promise.all(Array.from({ length: 20 }, () => a.nextLocalTicketNumber()));
    expect(new Set(numbers).size).toBe(20);
    expect(Math.max(...numbers)).toBe(20);
  });

  test('initSetting keeps the first value; later ones get it back', async () => {
    const a = await openStore();
    expect(await a.initSetting('feedback_signing_key', 'first')).toBe('first');
    expect(await a.initSetting('feedback_signing_key', 'second')).toBe('first');
    a.setSetting('other', 'x');
    expect(await a.initSetting('other', 'y')).toBe('x');
    await a.close();
    const b = await openStore();
    expect(await b.getSetting('feedback_signing_key')).toBe('first');
  });

  test('flush() resolves once the writes made before it are committed: another connection reads them', async () => {
    const a = await openStore();
    a.recordAlertEvents(Array.from({ length: 2500 }, (_, i) => event(i)));
    await a.flush();
    const b = await openStore();
    expect((await b.queryAlertEvents({ limit: 1 })).items[0].at).toBe(2499);
    expect((await b.queryAlertEvents({ from: 0, limit: 1000 })).next).toBeDefined();
  });
});

const describePg = havePostgres ? describe : describe.skip;

describePg('PostgresStore on a real PostgreSQL', () => {
  const opened: PostgresStore[] = [];
  const openPg = async (url: string, opts: Partial<Parameters<typeof PostgresStore.open>[0]> = {}) => {
    const s = await PostgresStore.open({ url, flushIntervalMs: 10, ...opts });
    opened.push(s);
    return s;
  };
  afterEach(async () => {
    for (const s of opened.splice(0)) await s.close(1_000);
  });
  const rows = async (url: string, sql: string) => {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      return (await c.query(sql)).rows;
    } finally {
      await c.end();
    }
  };

  test('migrations run once even when stores open at once; reopening changes nothing; a newer schema is refused', async () => {
    const url = await server!.database('migrations');
    const stores = await Promise.all([openPg(url), openPg(url), openPg(url)]);
    expect(await Promise.all(stores.map((s) => s.schemaVersion()))).toEqual(stores.map(() => MIGRATIONS.length));
    expect((await rows(url, 'SELECT version FROM vigil_schema_migrations ORDER BY version')).map((r) => r.version)).toEqual(MIGRATIONS.map((_, i) => i + 1));
    stores[0].setSetting('k', 'v');
    await stores[0].flush();
    await openPg(url);
    expect(await stores[1].getSetting('k')).toBe('v');
    expect(await rows(url, 'SELECT count(*)::int AS n FROM vigil_schema_migrations')).toEqual([{ n: MIGRATIONS.length }]);
    await rows(url, 'INSERT INTO vigil_schema_migrations (version) VALUES (99)');
    await expect(PostgresStore.open({ url })).rejects.toThrow(`the database was written by a newer vigil (schema 99, this vigil knows ${MIGRATIONS.length}); refusing to touch it`);
    expect(await stores[1].getSetting('k')).toBe('v');
  });

  test('connections that break in the middle of transactions (a database restart) do not end the process; writes go on after', async () => {
    const url = await server!.database('broken_connections');
    const s = await openPg(url);
    const killer = new pg.Client({ connectionString: url });
    await killer.connect();
    let killing = true;
    const kills = (async () => {
      while (killing) {
        await killer.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()');
        await new Promise((r) => setTimeout(r, 1));
      }
    })();
    // a terminated connection is an unhandled 'error' event unless the store listens: jest fails the test on it
    for (let i = 0; i < 300; i++) {
      s.recordAlertEvents([event(i, { fingerprint: `fp${i}` }), event(i, { fingerprint: `fq${i}` })]);
      await new Promise((r) => setTimeout(r, 2));
    }
    killing = false;
    await kills;
    await killer.end();
    s.recordAlertEvent(event(10_000, { fingerprint: 'after' }));
    await s.flush();
    expect((await s.queryAlertEvents({ fingerprint: 'after' })).items.map((e) => e.at)).toEqual([10_000]);
  }, 60_000);

  test('replicas that make a setting at once agree on one value', async () => {
    const url = await server!.database('init_setting');
    const replicas = await Promise.all([1, 2, 3, 4].map(() => openPg(url)));
    const kept = await Promise.all(replicas.map((r, i) => r.initSetting('feedback_signing_key', `key-of-${i}`)));
    expect(new Set(kept).size).toBe(1);
    expect(await replicas[0].getSetting('feedback_signing_key')).toBe(kept[0]);
  });

  test('what a crash must not lose is committed at once, without waiting for the flush interval', async () => {
    const url = await server!.database('urgent');
    const a = await openPg(url, { flushIntervalMs: 600_000 });
    const b = await openPg(url);
    a.recordAlertEvent(event(1)); // history waits for the interval, or for the next urgent write
    a.saveIntegrationLogEntry({ groupKey: 'g1', receiver: 'page', integration: 'slack', index: 0, firingFingerprints: ['f1'], resolvedFingerprints: [], flappingFingerprints: [], at: 1000, expiresAt: 10_000 });
    const seen = await waitFor('the integration log entry on the other replica', async () => ((await b.loadIntegrationLog(0)).length === 1 ? true : undefined), 5_000);
    expect(seen).toBe(true);
    expect((await b.queryAlertEvents({})).items).toHaveLength(1); // committed in the same batch, in order
  });

  test('a change reaches the other replicas within 2 s (silences, acks, config); a replica does not hear its own', async () => {
    const url = await server!.database('feed');
    const a = await openPg(url, { replicaId: 'a' });
    const b = await openPg(url, { replicaId: 'b' });
    const heard = { a: [] as string[], b: [] as string[] };
    a.subscribe((what, origin) => heard.a.push(`${what}@${origin}`));
    b.subscribe((what, origin) => heard.b.push(`${what}@${origin}`));
    await Promise.all([a.whenListening(), b.whenListening()]);
    const s = { id: 's1', matchers: [{ name: 'agent_id', type: '=' as const, value: 'x' }], startsAt: 1000, endsAt: 5000, createdBy: 'ann', comment: '', updatedAt: 1000 };
    const sent = Date.now();
    a.saveSilence(s);
    await waitFor('b to hear of the silence', () => (heard.b.includes('silences@a') ? true : undefined), 2_000);
    expect(Date.now() - sent).toBeLessThan(2_000);
    expect(await b.loadSilences()).toEqual([s]); // committed before it was told
    a.recordAlertEvents([event(1, { kind: 'firing' })]); // no ack: nothing to tell
    a.recordAlertEvents([event(2, { kind: 'acknowledged', detail: { by: 'ann' } })]);
    a.publish('config');
    b.saveSilence({ ...s, id: 's2' });
    await waitFor('a to hear of b', () => (heard.a.includes('silences@b') ? true : undefined), 2_000);
    await waitFor('b to hear the rest', () => (heard.b.length >= 3 ? true : undefined), 2_000);
    expect(heard.b).toEqual(['silences@a', 'acks@a', 'config@a']);
    expect(heard.a).toEqual(['silences@b']);
  });

  test('writes made while the database is down are committed once it is back, in order, none lost; the feed comes back', async () => {
    const url = await server!.database('outage');
    const errors: string[] = [];
    const a = await openPg(url, { replicaId: 'a', onWriteError: (err, what) => errors.push(`${what}: ${err.message}`), maxBackoffMs: 500 });
    const b = await openPg(url, { replicaId: 'b', maxBackoffMs: 500 });
    const heard: StoreChange[] = [];
    b.subscribe((what) => heard.push(what));
    await b.whenListening();
    expect(a.connected()).toBe(true);
    await server!.halt();
    try {
      a.recordAlertEvents(Array.from({ length: 300 }, (_, i) => event(i, { fingerprint: `fp${i}` })));
      a.saveGroupState({ groupKey: 'g', lastEvaluation: 5, alerts: [{ rule: 'A', alert: alert() }] });
      a.saveSilence({ id: 'during', matchers: [{ name: 'a', type: '=', value: 'b' }], startsAt: 1, endsAt: 2, createdBy: 'x', comment: '', updatedAt: 1 });
      a.setSetting('order', 'first');
      a.setSetting('order', 'second');
      await waitFor('the store to see the database gone', () => (a.connected() ? undefined : true), 10_000);
      expect(a.stats.queued).toBe(304);
      // evaluations and re-sent alerts go on while it is down: the newest state of a group, or of a notified alert, replaces its queued one
      const q0 = a.stats.queued;
      for (let i = 6; i <= 50; i++) a.saveGroupState({ groupKey: 'g', lastEvaluation: i, alerts: [{ rule: 'A', alert: alert({ value: i }) }] });
      expect(a.stats.queued - q0).toBeLessThanOrEqual(1); // one more if the first one is in a batch under way
      const q1 = a.stats.queued;
      const notified = (fingerprint: string, endsAt: number) => ({ fingerprint, labels: { alertname: 'A' }, annotations: {}, startsAt: 500, endsAt, updatedAt: endsAt });
      for (let i = 1; i <= 20; i++) a.saveNotifiedAlerts([notified('kept', 1000 + i), notified('gone', 1000 + i)]);
      a.deleteNotifiedAlerts(['gone']);
      a.saveNotifiedAlerts([notified('back', 5000)]);
      a.deleteNotifiedAlerts(['back']);
      a.saveNotifiedAlerts([notified('back', 6000)]); // saved again after its delete: kept
      expect(a.stats.queued - q1).toBe(2 + 1 + 2 + 1);
    } finally {
      await server!.start();
    }
    await a.flush();
    expect(a.connected()).toBe(true);
    expect(a.stats).toMatchObject({ queued: 0, dropped: 0 });
    // one line when it went away (not one per retry)
    expect(errors.filter((e) => /queued write\(s\); retrying until the database answers/.test(e))).toHaveLength(1);
    const all = await b.queryAlertEvents({ limit: 1000 });
    expect(all.items).toHaveLength(300);
    expect(all.items.map((e) => e.at)).toEqual(Array.from({ length: 300 }, (_, i) => 299 - i));
    expect(await b.loadGroupState('g')).toEqual({ groupKey: 'g', lastEvaluation: 50, alerts: [{ rule: 'A', alert: alert({ value: 50 }) }] });
    expect(await b.getSetting('order')).toBe('second');
    expect((await b.loadNotifiedAlerts()).map((x) => [x.fingerprint, x.endsAt])).toEqual([['back', 6000], ['kept', 1020]]);
    // b's LISTEN connection broke with the restart: it reconnects and says silences may have changed
    await waitFor('b to listen again', () => (heard.includes('silences') ? true : undefined), 10_000);
    expect((await b.loadSilences()).map((s) => s.id)).toEqual(['during']);
  }, 60_000);

  test('a full queue drops (and counts, and logs) the writes beyond it; the rest are committed', async () => {
    const url = await server!.database('overflow');
    const errors: string[] = [];
    const a = await openPg(url, { maxQueue: 10, onWriteError: (err) => errors.push(err.message), maxBackoffMs: 500 });
    await server!.halt();
    try {
      a.recordAlertEvents(Array.from({ length: 15 }, (_, i) => event(i)));
      expect(a.stats).toMatchObject({ queued: 10, dropped: 5 });
      expect(errors).toContain('the write queue is full (10 writes waiting for the database)');
    } finally {
      await server!.start();
    }
    await a.flush();
    expect((await a.queryAlertEvents({})).items.map((e) => e.at)).toEqual([9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
  }, 60_000);

  test('a write the database refuses is dropped alone, logged; the writes around it are committed', async () => {
    const url = await server!.database('refused');
    const errors: string[] = [];
    const a = await openPg(url, { onWriteError: (err, what) => errors.push(`${what}: ${err.message}`) });
    a.setSetting('before', '1');
    a.setSetting('bad', 'a NUL \u0000 PostgreSQL text cannot hold');
    a.recordAlertEvent(event(7));
    await a.flush();
    expect(await a.getSetting('before')).toBe('1');
    expect(await a.getSetting('bad')).toBeUndefined();
    expect((await a.queryAlertEvents({})).items.map((e) => e.at)).toEqual([7]);
    expect(a.stats.dropped).toBe(1);
    expect(errors).toEqual([expect.stringMatching(/^1 write\(s\) dropped \(1 in all\): setting: .*0x00/)]);
  });

  test('history writes are batched: 10,000 events are 10 transactions of maxBatch (1,000) rows', async () => {
    const url = await server!.database('batches');
    const a = await openPg(url, { flushIntervalMs: 50 });
    for (let i = 0; i < 10; i++) a.recordAlertEvents(Array.from({ length: 1000 }, (_, j) => event(i * 1000 + j)));
    await a.flush();
    expect(a.stats).toMatchObject({ committed: 10_000, batches: 10, largestBatch: 1000, dropped: 0 });
    expect((await rows(url, 'SELECT count(*)::int AS n FROM vigil_alert_event'))[0].n).toBe(10_000);
  });
});
