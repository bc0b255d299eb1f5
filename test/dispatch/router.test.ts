/**
 * The router at run time, on jest's fake clock: what reaches each receiver, when, and what
 * survives a restart. The pipeline is the one `vigil serve` builds; delivery is recorded at the
 * Integration boundary (one recording integration per receiver); the notifiers themselves are
 * tested against loopback PagerDuty and Slack servers in test/notify.
 */
import { jest } from '@jest/globals';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import type { Receiver } from '../../src/config/index.js';
import { IntegrationLog, NotifyError, type Delivery, type Integration } from '../../src/notify/index.js';
import { buildInhibitRules, buildRouteTree, buildTimeIntervals, RateLimiters, Silences, type RoutedAlert } from '../../src/route/index.js';
import { fingerprint } from '../../src/eval/labels.js';
import { Registry } from 'prom-client';
import { Router, type RoutingConfig } from '../../src/dispatch/index.js';
import { buildPipeline } from '../../src/cli/pipeline.js';
import { RouterMetrics } from '../../src/server/index.js';
import { SqliteStore } from '../../src/store/index.js';
import { scratchDir } from '../support/scratch.js';

const S = 1000;
const MIN = 60 * S;
const H = 60 * MIN;
const T0 = Date.UTC(2026, 10, 2, 9, 0, 0);

const receiver = (name: string, extra: Partial<Receiver> = {}): Receiver => ({ name, pagerduty: [], slack: [], webhook: [], ticket: [], grafana: [], ...extra });

function routing(extra: { receivers?: Receiver[] } = {}): RoutingConfig {
  return {
    route: buildRouteTree(
      {
        receiver: 'observe',
        group_by: ['alertname', 'agent_id'],
        group_wait: '30s',
        group_interval: '5m',
        repeat_interval: '4h',
        routes: [
          { matchers: ['severity="P1"'], receiver: 'page' },
          { matchers: ['severity="P2"'], receiver: 'triage' },
        ],
      },
      { receivers: new Set(['page', 'triage', 'observe']) },
    ),
    receivers: extra.receivers ?? [receiver('page'), receiver('triage'), receiver('observe')],
    inhibitRules: buildInhibitRules([{ source_matchers: ['severity="P1"'], target_matchers: ['severity=~"P2|P3"'], equal: ['agent_id'] }]),
    flapping: { minRefires: 3, windowMs: H },
  };
}

function alert(labels: Record<string, string>, startsAt: number, endsAt = startsAt + 4 * MIN): RoutedAlert {
  return { fingerprint: fingerprint(labels), labels, annotations: { summary: `${labels.alertname} on ${labels.agent_id}` }, startsAt, endsAt, updatedAt: startsAt };
}

interface Sent {
  at: number;
  receiver: string;
  kind: string;
  delivery: Delivery;
}

async function setup(
  opts: { config?: RoutingConfig; dbPath?: string; fail?: (r: Receiver, kind: string) => boolean; hold?: (r: Receiver) => boolean; kinds?: string[]; historyRetentionMs?: number } = {},
) {
  const path = opts.dbPath ?? join(await scratchDir(join(tmpdir(), 'vigil-router-')), 'vigil.db');
  const store = new SqliteStore(path);
  const silences = await Silences.open({ store });
  const sent: Sent[] = [];
  const registry = new Registry();
  const logger = pino({ level: 'silent' });
  const recording = (r: Receiver, kind: string): Integration => ({
    kind,
    index: 0,
    sendResolved: true,
    timeoutMs: 10 * S,
    async send(delivery, signal) {
      sent.push({ at: Date.now(), receiver: r.name, kind, delivery });
      if (opts.fail?.(r, kind)) throw new NotifyError('400: invalid_payload', false, 400);
      // a receiver that holds the request until the attempt times out
      if (opts.hold?.(r)) await new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason)));
    },
  });
  const integrationLog = await IntegrationLog.open(store, Date.now());
  const rateLimiters = new RateLimiters();
  const metrics: RouterMetrics = new RouterMetrics(registry, () => router);
  const pipeline = (config: RoutingConfig) =>
    buildPipeline({
      receivers: config.receivers,
      inhibitRules: config.inhibitRules,
      timeIntervals: config.timeIntervals,
      silences,
      held: { alerts: () => router.held.alerts(), revision: () => router.held.revision() },
      rateLimiters,
      integrationLog,
      onStorm: (r, n) => metrics.stormCollapsed(r, n),
      logger,
      integrations: (r) => (opts.kinds ?? ['slack']).map((k) => recording(r, k)),
    });
  const config = opts.config ?? routing();
  const router: Router = await Router.open({
    config,
    pipeline: pipeline(config),
    silences,
    store,
    externalURL: 'http://vigil.test',
    resolveTimeoutMs: 5 * MIN,
    logger,
    metrics,
    historyRetentionMs: opts.historyRetentionMs,
  });
  const reload = (c: RoutingConfig) => router.reload(c, pipeline(c));
  /** One sample of /metrics, e.g. metric('vigil_notifications_suppressed_total{receiver="page",reason="rate_limit"}'). */
  const metric = async (series: string): Promise<number | undefined> => {
    const line = (await registry.metrics()).split('\n').find((l) => l.startsWith(series + ' '));
    return line === undefined ? undefined : Number(line.slice(series.length + 1));
  };
  return { router, store, silences, sent, path, metric, reload };
}

/** Advances the fake clock in small steps so that the router's timers and the deliveries they start all run. */
async function advance(ms: number): Promise<void> {
  const step = 5 * S;
  for (let t = 0; t < ms; t += step) await jest.advanceTimersByTimeAsync(Math.min(step, ms - t));
}

/** Re-sends firing alerts every minute for `ms`, as Prometheus does, then stops. */
async function keepFiring(router: Router, alerts: RoutedAlert[], ms: number): Promise<void> {
  for (let t = 0; t < ms; t += MIN) {
    const now = Date.now();
    router.receive(alerts.map((a) => ({ ...a, endsAt: now + 4 * MIN, updatedAt: now })), 'api-v2');
    await advance(Math.min(MIN, ms - t));
  }
}

beforeEach(() => {
  jest.useFakeTimers({ now: T0 });
});
afterEach(() => {
  jest.useRealTimers();
});

describe('the router at run time', () => {
  test('a P1 reaches the page receiver group_wait after it arrives, once; a P2 reaches triage', async () => {
    const { router, sent } = await setup();
    router.receive([alert({ alertname: 'AgentErrorRateSpike', agent_id: 'checkout', severity: 'P1' }, T0)], 'api-v2');
    router.receive([alert({ alertname: 'AgentToolFailure', agent_id: 'search', severity: 'P2' }, T0)], 'evaluator');
    await advance(29 * S);
    expect(sent).toEqual([]);
    await keepFiring(router, [alert({ alertname: 'AgentErrorRateSpike', agent_id: 'checkout', severity: 'P1' }, T0), alert({ alertname: 'AgentToolFailure', agent_id: 'search', severity: 'P2' }, T0)], 20 * MIN);
    expect(sent.map((s) => [s.receiver, s.at - T0, s.delivery.notification.reason])).toEqual([
      ['page', 30 * S, 'first'],
      ['triage', 30 * S, 'first'],
    ]);
    await router.stop();
  });

  test('a pass over more due groups than one turn starts (the pacer splits it) notifies every group once, in creation order', async () => {
    const { router, sent } = await setup();
    const alerts = Array.from({ length: 300 }, (_, i) => alert({ alertname: 'AgentToolFailure', agent_id: `agent-${i}`, severity: 'P3' }, T0));
    router.receive(alerts, 'api-v2');
    await advance(29 * S);
    expect(sent).toEqual([]);
    await keepFiring(router, alerts, 6 * MIN);
    // 300 first notifications at group_wait (later turns a moment later), none twice; the next group_interval has nothing new
    expect(sent.map((s) => s.delivery.notification.reason)).toEqual(Array.from({ length: 300 }, () => 'first'));
    for (const s of sent) expect(s.at - T0).toBeGreaterThanOrEqual(30 * S);
    for (const s of sent) expect(s.at - T0).toBeLessThan(31 * S);
    expect(sent.map((s) => s.delivery.notification.groupLabels.agent_id)).toEqual(alerts.map((a) => a.labels.agent_id));
    await router.stop();
  });

  test("a rule group's evaluation is the whole group: an alert missing from it resolves at once, not when its endsAt passes", async () => {
    const { router, sent } = await setup();
    const group = 'rules.yaml;agents';
    const x = { ...alert({ alertname: 'AgentErrorRateSpike', agent_id: 'checkout', severity: 'P1' }, T0), ruleGroup: group };
    // a group evaluated every 5m: Prometheus' endsAt is four of its intervals ahead
    const evaluate = (alerts: RoutedAlert[]) => router.receiveEvaluated(group, alerts.map((a) => ({ ...a, endsAt: Date.now() + 20 * MIN, updatedAt: Date.now() })));
    evaluate([x]);
    await advance(MIN);
    // its resolve went to another replica's router, or a new episode replaced it (pending): the next evaluation lacks it
    evaluate([]);
    // another group that lacks it resolves nothing of this one
    router.receiveEvaluated('rules.yaml;other', []);
    await advance(10 * MIN);
    expect(sent.map((s) => [s.at - T0, s.delivery.notification.firing.length, s.delivery.notification.resolved.length])).toEqual([
      [30 * S, 1, 0],
      [30 * S + 5 * MIN, 0, 1],
    ]);
    // the next episode is a new page
    evaluate([{ ...x, startsAt: Date.now() }]);
    await advance(6 * MIN);
    expect(sent.map((s) => s.delivery.notification.firing.length)).toEqual([1, 0, 1]);
    await router.stop();
  });

  test('inhibition: the agent P1 mutes its P2; another agent P2 still goes out', async () => {
    const { router, sent } = await setup();
    const p1 = alert({ alertname: 'AgentErrorRateSpike', agent_id: 'checkout', severity: 'P1' }, T0);
    const p2same = alert({ alertname: 'AgentToolFailure', agent_id: 'checkout', severity: 'P2' }, T0);
    const p2other = alert({ alertname: 'AgentToolFailure', agent_id: 'search', severity: 'P2' }, T0);
    await keepFiring(router, [p1, p2same, p2other], 2 * MIN);
    expect(sent.map((s) => [s.receiver, s.delivery.notification.groupLabels.agent_id])).toEqual([
      ['page', 'checkout'],
      ['triage', 'search'],
    ]);
    const status = new Map(router.alerts().map((a) => [a.alert.labels.agent_id + a.alert.labels.severity, a.status]));
    expect(status.get('checkoutP2')).toEqual({ state: 'suppressed', silencedBy: [], inhibitedBy: [p1.fingerprint] });
    expect(status.get('searchP2')!.state).toBe('active');
    await router.stop();
  });

  test('a silence mutes; the alert that paged before the silence still gets its resolved notification', async () => {
    const { router, sent, silences } = await setup();
    const a = alert({ alertname: 'AgentErrorRateSpike', agent_id: 'checkout', severity: 'P1' }, T0);
    await keepFiring(router, [a], 2 * MIN);
    expect(sent).toHaveLength(1);
    const id = silences.upsert({ matchers: [{ name: 'agent_id', type: '=', value: 'checkout' }], startsAt: Date.now(), endsAt: Date.now() + 2 * H, createdBy: 'ann', comment: 'deploying a fix' }, Date.now());
    expect(typeof id).toBe('string');
    const b = alert({ alertname: 'AgentErrorRateSpike', agent_id: 'checkout', severity: 'P1', model: 'other' }, Date.now());
    await keepFiring(router, [a, b], 10 * MIN);
    expect(sent).toHaveLength(1); // b joined the group while silenced: nothing
    router.receive([{ ...a, endsAt: Date.now(), updatedAt: Date.now() }, { ...b, endsAt: Date.now(), updatedAt: Date.now() }], 'api-v2');
    await advance(6 * MIN);
    expect(sent).toHaveLength(2);
    const resolved = sent[1].delivery.notification;
    expect(resolved.reason).toBe('all-resolved');
    expect(resolved.resolved.map((x) => x.fingerprint)).toEqual([a.fingerprint]); // b was never told, so its end is not either
    await router.stop();
  });

  test('rate limit: a receiver gets at most max notifications per period; the next one says how many were held back', async () => {
    const config = routing({ receivers: [receiver('page', { rateLimit: { max: 2, perMs: H } }), receiver('triage'), receiver('observe')] });
    const { router, sent, metric } = await setup({ config });
    const agents = ['a', 'b', 'c', 'd'].map((id) => alert({ alertname: 'AgentErrorRateSpike', agent_id: id, severity: 'P1' }, T0));
    await keepFiring(router, agents, 10 * MIN);
    expect(sent.map((s) => s.delivery.notification.groupLabels.agent_id)).toEqual(['a', 'b']);
    expect(sent[1].delivery.rateLimit).toMatchObject({ max: 2, remaining: 0, suppressed: 0 });
    expect(router.counters.notificationsSuppressed).toBeGreaterThanOrEqual(2);
    expect(await metric('vigil_notifications_suppressed_total{receiver="page",reason="rate_limit"}')).toBe(router.counters.notificationsSuppressed);
    await keepFiring(router, agents, 55 * MIN); // the window frees at T0 + 1h + 30s
    const later = sent.slice(2);
    expect(later.map((s) => s.delivery.notification.groupLabels.agent_id).sort()).toEqual(['c', 'd']);
    expect(later[0].at).toBeGreaterThanOrEqual(T0 + H + 30 * S);
    expect(later[0].delivery.rateLimit!.suppressed).toBeGreaterThan(0);
    await router.stop();
  });

  test('storm collapse: a group holding more alerts than storm_threshold is sent as one summary', async () => {
    const config = routing({ receivers: [receiver('page'), receiver('triage'), receiver('observe', { stormThreshold: 5 })] });
    const { router, sent, metric } = await setup({ config });
    const many = Array.from({ length: 12 }, (_, i) => alert({ alertname: 'AgentHallucinationTrend', agent_id: 'x', severity: 'P3', session: String(i) }, T0));
    await keepFiring(router, many, MIN);
    expect(sent).toHaveLength(1);
    expect(sent[0].delivery.storm).toEqual({ threshold: 5, alerts: 12 });
    expect(await metric('vigil_storm_notifications_total{receiver="observe"}')).toBe(1);
    expect(await metric('vigil_storm_alerts_collapsed_total{receiver="observe"}')).toBe(12);
    expect(await metric('vigil_notifications_total{receiver="observe",integration="slack"}')).toBe(1);
    expect(await metric('vigil_alerts_received_total{source="api-v2",status="firing"}')).toBe(12);
    await router.stop();
  });

  test('a failed delivery is retried at the next group_interval; nothing is logged as sent until it succeeds', async () => {
    let failing = true;
    const { router, sent, store } = await setup({ fail: () => failing });
    const a = alert({ alertname: 'AgentErrorRateSpike', agent_id: 'checkout', severity: 'P1' }, T0);
    await keepFiring(router, [a], 2 * MIN);
    expect(sent).toHaveLength(1);
    expect(await store.loadNotificationLog(Date.now())).toEqual([]);
    failing = false;
    await keepFiring(router, [a], 5 * MIN);
    expect(sent.map((s) => s.at - T0)).toEqual([30 * S, 30 * S + 5 * MIN]);
    expect(await store.loadNotificationLog(Date.now())).toEqual([expect.objectContaining({ receiver: 'page', at: T0 + 30 * S + 5 * MIN, firingFingerprints: [a.fingerprint] })]);
    await router.stop();
  });

  test('restart: a new router on the same Store does not page again, and repeat_interval continues from the first page', async () => {
    const first = await setup();
    const a = alert({ alertname: 'AgentErrorRateSpike', agent_id: 'checkout', severity: 'P1' }, T0);
    await keepFiring(first.router, [a], 3 * MIN);
    expect(first.sent).toHaveLength(1);
    await first.router.stop();
    first.store.close();

    const second = await setup({ dbPath: first.path });
    await keepFiring(second.router, [a], 4 * H - 3 * MIN + 2 * MIN);
    // one notification: the repeat, 4h after the first page (not 4h after the restart)
    expect(second.sent.map((s) => [s.at - T0, s.delivery.notification.reason])).toEqual([[30 * S + 4 * H, 'repeat']]);
    await second.router.stop();
  });

  test('reload: new groups, the same log — nothing already notified is notified again; a new route applies', async () => {
    const { router, sent, reload } = await setup();
    const a = alert({ alertname: 'AgentErrorRateSpike', agent_id: 'checkout', severity: 'P1' }, T0);
    await keepFiring(router, [a], 2 * MIN);
    expect(sent).toHaveLength(1);
    reload(routing());
    await keepFiring(router, [a], 10 * MIN);
    expect(sent).toHaveLength(1);
    const rerouted = routing();
    rerouted.route = buildRouteTree({ receiver: 'observe', group_by: ['agent_id'], group_wait: '10s', routes: [] }, { receivers: new Set(['page', 'triage', 'observe']) });
    reload(rerouted);
    await keepFiring(router, [a], MIN);
    expect(sent.map((s) => s.receiver)).toEqual(['page', 'observe']);
    await router.stop();
  });

  test('history.retention: old rows go a minute after start, not in the first flush (which would wait for them)', async () => {
    const { router, store, sent } = await setup({ historyRetentionMs: 24 * H });
    const old = alert({ alertname: 'Old', agent_id: 'a' }, T0 - 3 * 24 * H);
    store.recordAlertEvent({ at: T0 - 3 * 24 * H, fingerprint: old.fingerprint, startsAt: old.startsAt, alertname: 'Old', severity: '', labels: old.labels, kind: 'firing', source: 'api-v2' });
    router.receive([alert({ alertname: 'New', agent_id: 'a' }, T0, T0 + H)], 'api-v2');
    await advance(35 * S); // group_wait 30s: the first flush
    expect(sent).toHaveLength(1);
    expect((await store.queryAlertEvents({ alertname: 'Old' })).items).toHaveLength(1);
    await advance(6 * MIN); // the next tick after a minute applies the retention
    expect((await store.queryAlertEvents({ alertname: 'Old' })).items).toHaveLength(0);
    expect((await store.queryAlertEvents({ alertname: 'New' })).items.map((e) => e.kind)).toEqual(['firing']);
    await router.stop();
  });

  test('history: firing, inhibited, silenced and resolved transitions once each, and every delivery', async () => {
    const { router, store, silences } = await setup();
    const p1 = alert({ alertname: 'AgentErrorRateSpike', agent_id: 'checkout', severity: 'P1' }, T0);
    const p2 = alert({ alertname: 'AgentToolFailure', agent_id: 'checkout', severity: 'P2' }, T0);
    const p3 = alert({ alertname: 'AgentHallucinationTrend', agent_id: 'search', severity: 'P3' }, T0);
    silences.upsert({ matchers: [{ name: 'agent_id', type: '=', value: 'search' }], startsAt: T0, endsAt: T0 + H, createdBy: 'ann', comment: 'known' }, T0);
    await keepFiring(router, [p1, p2, p3], 10 * MIN);
    router.receive([{ ...p1, endsAt: Date.now(), updatedAt: Date.now() }], 'api-v2');
    await advance(10 * MIN); // p2 and p3 are no longer re-sent: resolve_timeout (their endsAt) ends them
    const events = (await store.queryAlertEvents({ limit: 100 })).items.reverse();
    const seen = events.map((e) => [e.alertname, e.kind]);
    expect(seen.filter(([, k]) => k === 'firing')).toEqual([
      ['AgentErrorRateSpike', 'firing'],
      ['AgentToolFailure', 'firing'],
      ['AgentHallucinationTrend', 'firing'],
    ]);
    expect(seen).toContainEqual(['AgentToolFailure', 'inhibited']);
    expect(seen).toContainEqual(['AgentHallucinationTrend', 'silenced']);
    expect(seen.filter(([, k]) => k === 'inhibited' || k === 'silenced')).toHaveLength(2);
    expect(seen.filter(([, k]) => k === 'resolved').map(([n]) => n).sort()).toEqual(['AgentErrorRateSpike', 'AgentHallucinationTrend', 'AgentToolFailure']);
    const p1Resolved = events.find((e) => e.alertname === 'AgentErrorRateSpike' && e.kind === 'resolved')!;
    expect(p1Resolved.startsAt).toBe(T0);
    const silenced = events.find((e) => e.kind === 'silenced')!;
    expect(silenced.detail).toEqual({ silencedBy: [expect.any(String)] });
    const sentRecords = (await store.queryNotifications({})).items.reverse();
    // once the P1 resolved, the P2 (still firing until its endsAt) was no longer inhibited and went out
    expect(sentRecords.map((r) => [r.receiver, r.reason, r.outcome])).toEqual([
      ['page', 'first', 'success'],
      ['page', 'all-resolved', 'success'],
      ['triage', 'first', 'success'],
      ['triage', 'all-resolved', 'success'],
    ]);
    expect(sentRecords[0]).toMatchObject({ integration: 'slack', firing: [p1.fingerprint], resolved: [], attempts: 1 });
    await router.stop();
  });

  test('history: an alert resolves at its latest endsAt, whether a re-send moved it later or earlier', async () => {
    const { router, store } = await setup();
    const later = alert({ alertname: 'AgentToolFailure', agent_id: 'search', severity: 'P2' }, T0, T0 + 4 * MIN);
    // held with a start still ahead, then replaced (no overlap) by a newer version that ends sooner
    const earlier = { ...alert({ alertname: 'AgentToolFailure', agent_id: 'checkout', severity: 'P2' }, T0 + 10 * MIN, T0 + 20 * MIN), updatedAt: T0 };
    router.receive([later, earlier], 'api-v2');
    await advance(3 * MIN);
    router.receive([{ ...later, endsAt: T0 + 10 * MIN, updatedAt: Date.now() }, { ...earlier, startsAt: T0, endsAt: T0 + 5 * MIN, updatedAt: Date.now() }], 'api-v2');
    const resolved = async () =>
      (await store.queryAlertEvents({ limit: 100 })).items.filter((e) => e.kind === 'resolved').map((e) => [e.labels.agent_id, e.at - T0]);
    await advance(5 * MIN); // T0+8m: past the first endsAt of one, and the second endsAt of the other
    expect(await resolved()).toEqual([['checkout', 5 * MIN]]);
    await advance(5 * MIN); // T0+13m
    expect((await resolved()).sort()).toEqual([
      ['checkout', 5 * MIN],
      ['search', 10 * MIN],
    ]);
    await router.stop();
  });

  test('history under a stream of receives: written at its first pause, and never more than five seconds after the event', async () => {
    const { router, store } = await setup();
    const firing = async () => (await store.queryAlertEvents({ kinds: ['firing'], limit: 1000 })).items.length;
    let n = 0;
    const receiveFor = async (ms: number) => {
      for (let t = 0; t < ms; t += 10) {
        router.receive([alert({ alertname: 'Burst', agent_id: `a${n++}`, severity: 'P3' }, Date.now())], 'api-v2');
        await jest.advanceTimersByTimeAsync(10);
      }
    };
    await receiveFor(4_500);
    expect(await firing()).toBe(0); // a burst's history waits for its pause...
    await receiveFor(700);
    const written = await firing(); // ...but not longer than five seconds
    expect(written).toBeGreaterThanOrEqual(100);
    expect(written).toBeLessThan(n);
    await jest.advanceTimersByTimeAsync(150); // the pause
    expect(await firing()).toBe(n);
    await router.stop();
  });

  test('history while a send is under way: it waits, at most five seconds after the event', async () => {
    const { router, store, sent } = await setup({ hold: (r) => r.name === 'page' });
    const firing = async () => (await store.queryAlertEvents({ kinds: ['firing'], limit: 10 })).items.map((e) => e.labels.agent_id);
    router.receive([alert({ alertname: 'AgentDown', agent_id: 'checkout', severity: 'P1' }, T0)], 'api-v2');
    await jest.advanceTimersByTimeAsync(31 * S); // paged after group_wait; the receiver holds the request (10 s timeout)
    expect(sent.map((s) => s.receiver)).toEqual(['page']);
    router.receive([alert({ alertname: 'AgentSlow', agent_id: 'search', severity: 'P3' }, Date.now())], 'api-v2');
    await jest.advanceTimersByTimeAsync(4 * S);
    expect(await firing()).toEqual(['checkout']); // the new firing waits while the page is out...
    await jest.advanceTimersByTimeAsync(1.1 * S);
    expect(await firing()).toEqual(['search', 'checkout']); // ...at most five seconds
    await jest.advanceTimersByTimeAsync(6 * MIN); // the page's retries end at its deadline
    await router.stop();
  });

  test('history under a stream of large receives: 50,000 rows waiting are written without waiting for the pause', async () => {
    const { router, store } = await setup();
    const firing = async () => (await store.queryAlertEvents({ kinds: ['firing'], limit: 1 })).items.length;
    let n = 0;
    // 1,000 new alerts every 10 ms: 50,000 rows wait after 500 ms, long before the five-second limit
    for (let t = 0; t < 600; t += 10) {
      router.receive(Array.from({ length: 1_000 }, () => alert({ alertname: 'Burst', agent_id: `a${n++}`, severity: 'P3' }, Date.now())), 'api-v2');
      await jest.advanceTimersByTimeAsync(10);
    }
    expect(await firing()).toBe(1);
    await router.stop();
  });

  test('per-integration log: while PagerDuty fails, Slack is told once; PagerDuty retries alone, also across a restart', async () => {
    let pdDown = true;
    const fail = (_r: Receiver, kind: string) => kind === 'pagerduty' && pdDown;
    const first = await setup({ kinds: ['pagerduty', 'slack'], fail });
    const a = alert({ alertname: 'AgentErrorRateSpike', agent_id: 'checkout', severity: 'P1' }, T0);
    await keepFiring(first.router, [a], 12 * MIN); // the flush at 30s, then group_interval ticks at 5m30s and 10m30s
    const kinds = (sent: Sent[]) => sent.map((x) => [x.kind, x.at - T0]);
    expect(kinds(first.sent)).toEqual([
      ['pagerduty', 30 * S],
      ['slack', 30 * S],
      ['pagerduty', 30 * S + 5 * MIN],
      ['pagerduty', 30 * S + 10 * MIN],
    ]);
    await first.router.stop();
    first.store.close();

    const second = await setup({ dbPath: first.path, kinds: ['pagerduty', 'slack'], fail });
    await keepFiring(second.router, [a], 4 * MIN);
    pdDown = false;
    await keepFiring(second.router, [a], 10 * MIN);
    const pages = second.sent.filter((x) => x.kind === 'pagerduty');
    expect(second.sent.filter((x) => x.kind === 'slack')).toEqual([]);
    expect(pages.length).toBeGreaterThanOrEqual(2);
    const okPage = pages[pages.length - 1];
    expect(okPage.delivery.notification.reason).toBe('first');
    // once PagerDuty took it, nothing more goes to either until something changes
    await keepFiring(second.router, [a], 20 * MIN);
    expect(second.sent.filter((x) => x.at > okPage.at)).toEqual([]);
    await second.router.stop();
  });

  test('time intervals: a route muted 09:00–10:00 notifies nothing then, and tells the receiver at the first flush after', async () => {
    const config = routing();
    config.timeIntervals = buildTimeIntervals([{ name: 'standup', time_intervals: [{ times: [{ start_time: '09:00', end_time: '10:00' }] }] }]);
    config.route = buildRouteTree(
      { receiver: 'observe', group_by: ['agent_id'], group_wait: '30s', group_interval: '5m', routes: [{ matchers: ['severity="P3"'], receiver: 'observe', mute_time_intervals: ['standup'] }] },
      { receivers: new Set(['page', 'triage', 'observe']), timeIntervals: config.timeIntervals.keys() },
    );
    const { router, sent } = await setup({ config });
    await keepFiring(router, [alert({ alertname: 'AgentHallucinationTrend', agent_id: 'search', severity: 'P3' }, T0)], 70 * MIN);
    expect(sent.map((x) => [x.receiver, x.at - T0, x.delivery.notification.reason])).toEqual([['observe', H + 30 * S, 'first']]);
    await router.stop();
  });

  test('no lost resolve: an alert notified before a restart whose source went quiet resolves at its endsAt, once', async () => {
    const first = await setup({ kinds: ['pagerduty', 'slack'] });
    const a = alert({ alertname: 'AgentErrorRateSpike', agent_id: 'checkout', severity: 'P1' }, T0, T0 + 10 * MIN);
    first.router.receive([a], 'api-v2');
    await advance(MIN);
    expect(first.sent.map((x) => x.kind)).toEqual(['pagerduty', 'slack']);
    await first.router.stop();
    first.store.close();

    const second = await setup({ dbPath: first.path, kinds: ['pagerduty', 'slack'] });
    await advance(30 * MIN);
    expect(second.sent.map((x) => [x.kind, x.delivery.notification.reason, x.at >= T0 + 10 * MIN])).toEqual([
      ['pagerduty', 'all-resolved', true],
      ['slack', 'all-resolved', true],
    ]);
    await second.router.stop();
    second.store.close();
    const third = await setup({ dbPath: first.path, kinds: ['pagerduty', 'slack'] });
    await advance(10 * MIN);
    expect(third.sent).toEqual([]);
    await third.router.stop();
  });

  test('an alert that ended while vigil was down waits a resend for its source: a source still firing is neither resolved nor paged again', async () => {
    const first = await setup();
    const a = alert({ alertname: 'AgentErrorRateSpike', agent_id: 'checkout', severity: 'P1' }, T0, T0 + 2 * MIN);
    first.router.receive([a], 'api-v2');
    await advance(MIN);
    expect(first.sent).toHaveLength(1);
    await first.router.stop();
    first.store.close();
    await advance(5 * MIN); // down for 5 minutes; a's endsAt passed meanwhile

    const second = await setup({ dbPath: first.path });
    await advance(30 * S);
    await keepFiring(second.router, [a], 10 * MIN);
    expect(second.sent).toEqual([]);
    await second.router.stop();
  });

  test('the resolve of a notified alert reaches the store at once, not with the lazy refreshes: a router starting from the store (a restarted replica) does not see it firing', async () => {
    const { router, store } = await setup();
    const a = alert({ alertname: 'AgentErrorRateSpike', agent_id: 'checkout', severity: 'P1' }, T0, T0 + 10 * MIN);
    router.receive([a], 'api-v2');
    await advance(MIN);
    // a firing refresh is written lazily (at most every 5 s); the resolve that follows within that time is not held back
    router.receive([{ ...a, endsAt: T0 + 20 * MIN, updatedAt: T0 + MIN }], 'api-v2');
    await jest.advanceTimersByTimeAsync(S);
    expect((await store.loadNotifiedAlerts()).map((x) => x.endsAt)).toEqual([T0 + 20 * MIN]);
    router.receive([{ ...a, endsAt: T0 + MIN + S, updatedAt: T0 + MIN + S }], 'api-v2');
    await jest.advanceTimersByTimeAsync(100);
    expect((await store.loadNotifiedAlerts()).map((x) => x.endsAt)).toEqual([T0 + MIN + S]);
    await router.stop();
  });
});
