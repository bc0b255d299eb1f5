import { tmpdir } from 'node:os';
import { scratchDir } from '../support/scratch.js';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { Alert } from '../../src/eval/index.js';
import { SqliteStore } from '../../src/store/index.js';

const alert = (over: Partial<Alert> = {}): Alert => ({
  fingerprint: 'f1',
  labels: { alertname: 'A', agent_id: 'x' },
  annotations: { summary: 's' },
  state: 'pending',
  value: 0.5,
  activeAt: 1000,
  ...over,
});

async function dbPath(): Promise<string> {
  return join(await scratchDir(join(tmpdir(), 'vigil-store-')), 'nested', 'vigil.db');
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

  test('a save replaces the group state; NaN and infinite values survive', async () => {
    const store = new SqliteStore(await dbPath());
    store.saveGroupState({ groupKey: 'g', lastEvaluation: 1, alerts: [{ rule: 'A', alert: alert() }, { rule: 'A', alert: alert({ fingerprint: 'f2', value: NaN }) }] });
    store.saveGroupState({ groupKey: 'g', lastEvaluation: 2, alerts: [{ rule: 'A', alert: alert({ fingerprint: 'f2', value: NaN, state: 'firing', firedAt: 2 }) }, { rule: 'B', alert: alert({ fingerprint: 'f3', value: -Infinity }) }] });
    const state = (await store.loadGroupState('g'))!;
    expect(state.lastEvaluation).toBe(2);
    expect(state.alerts.map((a) => [a.rule, a.alert.fingerprint, a.alert.state, a.alert.value])).toEqual([
      ['A', 'f2', 'firing', NaN],
      ['B', 'f3', 'pending', -Infinity],
    ]);
    await store.close();
  });

  test('migrations are versioned; a database from a newer vigil is refused, not touched', async () => {
    const path = await dbPath();
    const store = new SqliteStore(path);
    expect(store.schemaVersion).toBe(4);
    await store.close();
    const raw = new Database(path);
    raw.pragma('user_version = 99');
    await raw.close();
    expect(() => new SqliteStore(path)).toThrow('the database was written by a newer vigil (schema 99, this vigil knows 4); refusing to touch it');
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
    expect(again.schemaVersion).toBe(4);
    expect((await again.loadGroupState('g'))?.alerts).toHaveLength(1);
    expect(await again.loadSilences()).toEqual([]);
    await again.close();
  });

  test('silences survive a reopen; an expiry is an update; old ones can be dropped', async () => {
    const path = await dbPath();
    const s = { id: 'a1', matchers: [{ name: 'agent_id', type: '=' as const, value: 'x' }], startsAt: 1000, endsAt: 5000, createdBy: 'ann', comment: 'deploy', updatedAt: 1000 };
    const a = new SqliteStore(path);
    a.saveSilence(s);
    a.saveSilence({ ...s, id: 'b2', endsAt: 9000 });
    a.saveSilence({ ...s, endsAt: 2000, updatedAt: 2000 });
    await a.close();
    const b = new SqliteStore(path);
    expect(await b.loadSilences()).toEqual([{ ...s, endsAt: 2000, updatedAt: 2000 }, { ...s, id: 'b2', endsAt: 9000 }]);
    b.deleteSilencesEndedBefore(3000);
    expect((await b.loadSilences()).map((x) => x.id)).toEqual(['b2']);
    await b.close();
  });

  test('the notification log keeps the latest entry per group and receiver; expired entries go', async () => {
    const path = await dbPath();
    const entry = (over: object) => ({ groupKey: 'g1', receiver: 'page', firingFingerprints: ['f1'], resolvedFingerprints: [], flappingFingerprints: [], at: 1000, expiresAt: 10_000, ...over });
    const a = new SqliteStore(path);
    a.saveNotificationLogEntry(entry({}));
    a.saveNotificationLogEntry(entry({ at: 2000, firingFingerprints: ['f1', 'f2'] }));
    a.saveNotificationLogEntry(entry({ at: 1500, firingFingerprints: [] })); // a late, older write never wins
    a.saveNotificationLogEntry(entry({ receiver: 'triage', expiresAt: 3000 }));
    await a.close();
    const b = new SqliteStore(path);
    expect(await b.loadNotificationLog(2500)).toEqual([entry({ at: 2000, firingFingerprints: ['f1', 'f2'] }), entry({ receiver: 'triage', expiresAt: 3000 })]);
    expect(await b.loadNotificationLog(5000)).toEqual([entry({ at: 2000, firingFingerprints: ['f1', 'f2'] })]);
    await b.close();
  });

  test('the integration log is keyed by receiver, group, integration and index; notified alerts keep their latest endsAt', async () => {
    const path = await dbPath();
    const entry = (over: object) => ({ groupKey: 'g1', receiver: 'page', integration: 'slack', index: 0, firingFingerprints: ['f1'], resolvedFingerprints: [], flappingFingerprints: [], at: 1000, expiresAt: 10_000, ...over });
    const notified = (endsAt: number) => ({ fingerprint: 'f1', labels: { alertname: 'A' }, annotations: {}, startsAt: 500, endsAt, updatedAt: 900 });
    const a = new SqliteStore(path);
    a.saveIntegrationLogEntry(entry({}));
    a.saveIntegrationLogEntry(entry({ integration: 'pagerduty', at: 2000 }));
    a.saveIntegrationLogEntry(entry({ integration: 'pagerduty', at: 1500, firingFingerprints: [] })); // a late, older write never wins
    a.saveIntegrationLogEntry(entry({ index: 1, expiresAt: 3000 }));
    a.saveNotifiedAlerts([notified(4000)]);
    a.saveNotifiedAlerts([notified(8000)]);
    await a.close();
    const b = new SqliteStore(path);
    expect(await b.loadIntegrationLog(2500)).toEqual([entry({ integration: 'pagerduty', at: 2000 }), entry({}), entry({ index: 1, expiresAt: 3000 })]);
    expect(await b.loadIntegrationLog(5000)).toHaveLength(2);
    expect(await b.loadNotifiedAlerts()).toEqual([notified(8000)]);
    b.deleteNotifiedAlerts(['f1']);
    expect(await b.loadNotifiedAlerts()).toEqual([]);
    await b.close();
  });

  test('history recorded out of time order comes newest first across pages, each entry once', async () => {
    const store = new SqliteStore(await dbPath());
    // ids follow recording order; times do not (backfilled pending events, acknowledgements with their click time)
    const times = [5, 1, 9, 3, 7, 3, 8, 4, 6, 2, 9];
    times.forEach((t, i) => store.recordAlertEvent({ at: t * 1000, fingerprint: `fp${i}`, startsAt: 0, alertname: `A${i}`, severity: 'P2', labels: { alertname: `A${i}` }, kind: 'firing', source: 'router' }));
    times.forEach((t, i) => store.recordNotification({ at: t * 1000, receiver: 'r', integration: 'slack', groupKey: `g${i}`, groupLabels: {}, reason: 'first', firing: [], resolved: [], outcome: 'success', attempts: 1 }));
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
    expect(events).toHaveLength(4);
    const seen = events.flat().map((e) => [e.at / 1000, e.id]);
    // by time, and among equal times the later recorded first
    expect(seen).toEqual([[9, 11], [9, 3], [8, 7], [7, 5], [6, 9], [5, 1], [4, 8], [3, 6], [3, 4], [2, 10], [1, 2]]);
    const notifications = (await pages((before) => store.queryNotifications({ limit: 4, before }))).flat();
    expect(notifications.map((n) => n.at / 1000)).toEqual([9, 9, 8, 7, 6, 5, 4, 3, 3, 2, 1]);
    expect(new Set(notifications.map((n) => n.id)).size).toBe(11);
    await store.close();
  });

  test('alert history pages newest first with filters; old history is dropped by retention', async () => {
    const store = new SqliteStore(await dbPath());
    const ev = (at: number, kind: 'firing' | 'resolved', alertname = 'A') => ({ at, fingerprint: `fp-${alertname}`, startsAt: 1000, alertname, severity: 'P1', labels: { alertname }, kind, source: 'router' });
    for (let i = 1; i <= 5; i++) store.recordAlertEvent(ev(i * 1000, i % 2 ? 'firing' : 'resolved'));
    store.recordAlertEvent({ ...ev(6000, 'firing', 'B'), detail: { by: 'ann' } });
    const first = await store.queryAlertEvents({ limit: 2 });
    expect(first.items.map((e) => [e.alertname, e.at])).toEqual([['B', 6000], ['A', 5000]]);
    expect(first.items[0].detail).toEqual({ by: 'ann' });
    const second = await store.queryAlertEvents({ limit: 2, before: first.next });
    expect(second.items.map((e) => e.at)).toEqual([4000, 3000]);
    expect((await store.queryAlertEvents({ alertname: 'A', kinds: ['resolved'] })).items.map((e) => e.at)).toEqual([4000, 2000]);
    expect((await store.queryAlertEvents({ from: 2000, to: 4000 })).items.map((e) => e.at)).toEqual([3000, 2000]);
    expect((await store.queryAlertEvents({})).next).toBeUndefined();
    store.recordNotification({ at: 1500, receiver: 'page', integration: 'pagerduty', groupKey: 'g', groupLabels: {}, reason: 'first', firing: ['fp-A'], resolved: [], outcome: 'success', attempts: 1 });
    const link = (startsAt: number[]) => JSON.stringify({ g: 'g', e: startsAt.map((t) => ({ fingerprint: 'f', startsAt: t, labels: {} })) });
    store.setSetting('feedback_link:old', link([1000, 2000]));
    store.setSetting('feedback_link:mixed', link([1000, 5000]));
    store.setSetting('feedback_signing_key', 'kept');
    store.deleteHistoryBefore(3000);
    expect(await store.getSetting('feedback_link:old')).toBeUndefined();
    expect(await store.getSetting('feedback_link:mixed')).toBeDefined();
    expect(await store.getSetting('feedback_signing_key')).toBe('kept');
    expect((await store.queryAlertEvents({})).items.map((e) => e.at)).toEqual([6000, 5000, 4000, 3000]);
    expect((await store.queryNotifications({})).items).toEqual([]);
    await store.close();
  });

  test('tickets: the latest of a group is found; events and local numbers persist', async () => {
    const path = await dbPath();
    const a = new SqliteStore(path);
    const t = { id: 'local:1', kind: 'local' as const, receiver: 'triage', groupKey: 'g', groupLabels: { agent_id: 'x' }, externalId: '1', title: 't', severity: 'P2', status: 'open' as const, wontFix: false, createdAt: 1000, updatedAt: 1000, firingSince: 1000 };
    expect(await a.nextLocalTicketNumber()).toBe(1);
    a.saveTicket(t);
    a.saveTicket({ ...t, status: 'resolved', resolvedAt: 2000 });
    a.saveTicket({ ...t, id: 'local:2', externalId: '2', createdAt: 3000 });
    a.recordTicketEvent({ ticketId: 'local:1', at: 1000, action: 'created' });
    a.recordTicketEvent({ ticketId: 'local:1', at: 2000, action: 'resolved', detail: 'fired for 16m' });
    await a.close();
    const b = new SqliteStore(path);
    expect(await b.nextLocalTicketNumber()).toBe(2);
    expect((await b.latestTicket('triage', 'local', 'g'))?.id).toBe('local:2');
    expect(await b.getTicket('local:1')).toMatchObject({ status: 'resolved', resolvedAt: 2000 });
    expect((await b.listTickets({ status: 'open' })).map((x) => x.id)).toEqual(['local:2']);
    expect((await b.ticketEvents('local:1')).map((e) => e.action)).toEqual(['created', 'resolved']);
    b.saveAnnotation({ receiver: 'observe', index: 0, groupKey: 'g', annotationId: 42, startedAt: 1000 });
    expect((await b.openAnnotation('observe', 0, 'g'))?.annotationId).toBe(42);
    b.saveAnnotation({ receiver: 'observe', index: 0, groupKey: 'g', annotationId: 42, startedAt: 1000, endedAt: 5000 });
    expect(await b.openAnnotation('observe', 0, 'g')).toBeUndefined();
    await b.close();
  });
});
