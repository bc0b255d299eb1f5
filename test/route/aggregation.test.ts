import {
  AggregationGroup,
  FlapDetector,
  DEFAULT_FLAPPING_OPTIONS,
  mergeAlert,
  needsNotify,
  type FlushCandidate,
  type Notification,
  type NotificationLogEntry,
} from '../../src/route/aggregation.js';
import type { Route, RouteOptions, RoutedAlert } from '../../src/route/types.js';

const S = 1000;
const MIN = 60 * S;
const H = 60 * MIN;
const T0 = Date.UTC(2025, 2, 3, 9, 0, 0); // a Monday, 09:00 UTC

function route(options: Partial<RouteOptions> = {}): Route {
  return {
    options: { receiver: 'page', groupBy: ['alertname'], groupWaitMs: 30 * S, groupIntervalMs: 5 * MIN, repeatIntervalMs: 4 * H, ...options },
    matchers: [],
    continue: false,
    routes: [],
    key: '{}',
  };
}

function alert(id: string, a: Partial<RoutedAlert> & { startsAt: number }): RoutedAlert {
  return {
    fingerprint: id,
    labels: { alertname: 'AgentErrorRateSpike', instance: id },
    annotations: {},
    endsAt: a.startsAt + 24 * H,
    updatedAt: a.startsAt,
    ...a,
  };
}

/** An alert re-sent at `now` as resolved at `now`. */
const resolved = (a: RoutedAlert, now: number): RoutedAlert => ({ ...a, endsAt: now, updatedAt: now });

function group(r: Route = route(), extra: Partial<ConstructorParameters<typeof AggregationGroup>[0]> = {}) {
  const log: NotificationLogEntry[] = [];
  const g = new AggregationGroup({ key: '{}:{alertname="AgentErrorRateSpike"}', route: r, groupLabels: { alertname: 'AgentErrorRateSpike' }, onLog: (e) => log.push(e), ...extra });
  return { g, log };
}

/** Flushes every due time up to and including `until`, acking each notification with `success`; returns what was sent. */
function advance(g: AggregationGroup, until: number, success = true): Notification[] {
  const sent: Notification[] = [];
  for (let t = g.nextFlushAt(), i = 0; t !== undefined && t <= until; t = g.nextFlushAt(), i++) {
    if (i > 10_000) throw new Error('runaway');
    const n = g.flush(t);
    if (n) {
      sent.push(n);
      g.ack(n, success);
    }
  }
  return sent;
}

const fps = (as: RoutedAlert[]) => as.map((a) => a.fingerprint);

describe('needsNotify (Alertmanager DedupStage.needsUpdate cases)', () => {
  const now = T0;
  const entry = (e: Partial<NotificationLogEntry>): NotificationLogEntry => ({
    groupKey: 'g',
    receiver: 'r',
    firingFingerprints: [],
    resolvedFingerprints: [],
    flappingFingerprints: [],
    at: now,
    expiresAt: now + 8 * H,
    ...e,
  });
  const cand = (firing: string[], resolvedFps: string[] = [], flapping: string[] = []): FlushCandidate => ({ firing, resolved: resolvedFps, flapping });
  const repeat = 10 * MIN;

  test.each([
    ['no entry, firing alerts → notify', null, cand(['2', '3', '4']), false, 'first'],
    ['no entry, only resolved alerts → not', null, cand([], ['2', '3', '4']), false, null],
    ['different firing sets → notify', entry({ firingFingerprints: ['1', '2', '3'] }), cand(['2', '3', '4']), false, 'new-alerts'],
    ['zero timestamp → notify', entry({ firingFingerprints: ['1', '2', '3'], at: 0 }), cand(['1', '2', '3']), false, 'repeat'],
    ['identical sets before repeat_interval → not', entry({ firingFingerprints: ['1', '2', '3'], at: now - 9 * MIN }), cand(['1', '2', '3']), false, null],
    ['identical sets after repeat_interval → notify', entry({ firingFingerprints: ['1', '2', '3'], at: now - 11 * MIN }), cand(['1', '2', '3']), false, 'repeat'],
    ['only resolved, none firing before, after repeat → not', entry({ resolvedFingerprints: ['1', '2', '3'], at: now - 11 * MIN }), cand([], ['3', '4', '5']), true, null],
    ['new resolved, send_resolved false → not', entry({ firingFingerprints: ['1', '2'], resolvedFingerprints: ['3'], at: now - 9 * MIN }), cand(['1'], ['2', '3']), false, null],
    ['new resolved, send_resolved true → notify', entry({ firingFingerprints: ['1', '2'], resolvedFingerprints: ['3'], at: now - 9 * MIN }), cand(['1'], ['2', '3']), true, 'resolved'],
    ['nothing firing, send_resolved false → notify (clears the log)', entry({ firingFingerprints: ['1', '2'], resolvedFingerprints: ['3'], at: now - 9 * MIN }), cand([], ['1', '2', '3']), false, 'all-resolved'],
    ['nothing firing, send_resolved true → notify', entry({ firingFingerprints: ['1', '2'], resolvedFingerprints: ['3'], at: now - 9 * MIN }), cand([], ['1', '2', '3']), true, 'all-resolved'],
    ['firing again after an all-resolved notification → first', entry({ resolvedFingerprints: ['1'], at: now - MIN }), cand(['1']), true, 'first'],
  ])('%s', (_name, last, c, sendResolved, want) => {
    expect(needsNotify(last, c, now, repeat, sendResolved)).toBe(want);
  });

  test('repeat is due at exactly at + repeat_interval (Alertmanager: only strictly after)', () => {
    const last = entry({ firingFingerprints: ['1'], at: now - repeat });
    expect(needsNotify(last, cand(['1']), now, repeat, true)).toBe('repeat');
    expect(needsNotify(last, cand(['1']), now - 1, repeat, true)).toBeNull();
  });

  test('a firing subset of what was notified is no news', () => {
    expect(needsNotify(entry({ firingFingerprints: ['1', '2'], at: now - MIN }), cand(['1']), now, repeat, false)).toBeNull();
  });

  test('an alert starting to flap notifies; transitions of one known to flap do not', () => {
    const last = entry({ firingFingerprints: ['1', 'x'], at: now - MIN });
    expect(needsNotify(last, cand(['1', 'x'], [], ['x']), now, repeat, true)).toBe('flapping');
    const told = entry({ firingFingerprints: ['1', 'x'], flappingFingerprints: ['x'], at: now - MIN });
    // x resolved, then x re-fired while resolved at the last notification: both collapsed
    expect(needsNotify(told, cand(['1'], ['x'], ['x']), now, repeat, true)).toBeNull();
    const toldResolved = entry({ firingFingerprints: ['1'], resolvedFingerprints: ['x'], flappingFingerprints: ['x'], at: now - MIN });
    expect(needsNotify(toldResolved, cand(['1', 'x'], [], ['x']), now, repeat, true)).toBeNull();
    // the group still repeats while it flaps
    expect(needsNotify(told, cand(['1'], ['x'], ['x']), now + repeat, repeat, true)).toBe('repeat');
    // once x no longer flaps, its resolution is news again
    expect(needsNotify(told, cand(['1'], ['x'], []), now, repeat, true)).toBe('resolved');
  });
});

describe('mergeAlert', () => {
  test('a re-send with a later endsAt extends the alert; the earliest startsAt is kept', () => {
    const held = alert('a', { startsAt: T0, endsAt: T0 + 4 * MIN, updatedAt: T0 });
    const m = mergeAlert(held, { ...held, startsAt: T0 + MIN, endsAt: T0 + 5 * MIN, updatedAt: T0 + MIN }, T0 + MIN);
    expect(m.endsAt).toBe(T0 + 5 * MIN);
    expect(m.startsAt).toBe(T0);
  });

  test('an explicit resolution ends it; a re-fire after the resolution replaces it', () => {
    const held = alert('a', { startsAt: T0, endsAt: T0 + 4 * MIN });
    const r = mergeAlert(held, resolved(held, T0 + 2 * MIN), T0 + 2 * MIN);
    expect(r.endsAt).toBe(T0 + 2 * MIN);
    const again = alert('a', { startsAt: T0 + 10 * MIN, endsAt: T0 + 14 * MIN });
    expect(mergeAlert(r, again, T0 + 10 * MIN)).toEqual(again);
  });

  test('a stale firing update arriving late does not resurrect a resolved alert (Alertmanager would replace it)', () => {
    const held = alert('a', { startsAt: T0, endsAt: T0 + 2 * MIN, updatedAt: T0 + 2 * MIN, annotations: { summary: 'resolved' } });
    const stale = { ...held, endsAt: T0 + 4 * MIN, updatedAt: T0 + MIN, annotations: { summary: 'firing' } };
    const m = mergeAlert(held, stale, T0 + 3 * MIN);
    expect(m.annotations.summary).toBe('resolved');
    expect(m.endsAt).toBe(T0 + 2 * MIN);
  });

  test('two overlapping firing versions: the newer is authoritative, the later endsAt wins', () => {
    const held = alert('a', { startsAt: T0, endsAt: T0 + 5 * MIN, updatedAt: T0 + MIN, annotations: { v: '1' } });
    const newer = { ...held, startsAt: T0 + 30 * S, endsAt: T0 + 4 * MIN, updatedAt: T0 + 2 * MIN, annotations: { v: '2' } };
    expect(mergeAlert(held, newer, T0 + 2 * MIN)).toMatchObject({ startsAt: T0, endsAt: T0 + 5 * MIN, annotations: { v: '2' } });
  });
});

describe('AggregationGroup timing', () => {
  test('first flush exactly group_wait after the first alert; later alerts join without moving it', () => {
    const { g } = group();
    expect(g.nextFlushAt()).toBeUndefined();
    g.insert(alert('a', { startsAt: T0 }), T0);
    expect(g.nextFlushAt()).toBe(T0 + 30 * S);
    g.insert(alert('b', { startsAt: T0 + 10 * S }), T0 + 10 * S);
    // even an old alert joining before the first flush does not trigger it (only the group's first alert can)
    g.insert(alert('c', { startsAt: T0 - H }), T0 + 20 * S);
    expect(g.nextFlushAt()).toBe(T0 + 30 * S);
    expect(advance(g, T0 + 30 * S - 1)).toEqual([]);
    const [n] = advance(g, T0 + 30 * S);
    expect(n.at).toBe(T0 + 30 * S);
    expect(n.reason).toBe('first');
    expect(fps(n.firing)).toEqual(['c', 'a', 'b']);
    expect(n.changes).toEqual({ new: ['a', 'b', 'c'], stillFiring: [], resolved: [] });
    expect(g.nextFlushAt()).toBe(T0 + 30 * S + 5 * MIN);
  });

  test('flushes at once when the first alert started more than group_wait ago (strictly)', () => {
    const old = group();
    old.g.insert(alert('a', { startsAt: T0 - 30 * S - 1 }), T0);
    expect(old.g.nextFlushAt()).toBe(T0);
    const edge = group();
    edge.g.insert(alert('a', { startsAt: T0 - 30 * S }), T0);
    expect(edge.g.nextFlushAt()).toBe(T0 + 30 * S);
    const future = group(); // a startsAt in the future waits the full group_wait (dispatch_test.go's a1)
    future.g.insert(alert('a', { startsAt: T0 + MIN }), T0);
    expect(future.g.nextFlushAt()).toBe(T0 + 30 * S);
  });

  test('a new alert joining after the first notification goes out at the next group_interval tick, marked new', () => {
    const { g } = group();
    g.insert(alert('a', { startsAt: T0 }), T0);
    advance(g, T0 + 30 * S);
    g.insert(alert('b', { startsAt: T0 + 2 * MIN }), T0 + 2 * MIN);
    expect(g.nextFlushAt()).toBe(T0 + 5 * MIN + 30 * S);
    expect(advance(g, T0 + 5 * MIN + 30 * S - 1)).toEqual([]);
    const [n] = advance(g, T0 + 5 * MIN + 30 * S);
    expect(n.reason).toBe('new-alerts');
    expect(n.isRepeat).toBe(false);
    expect(fps(n.firing)).toEqual(['a', 'b']);
    expect(n.changes).toEqual({ new: ['b'], stillFiring: ['a'], resolved: [] });
    // nothing changes: the following ticks stay silent
    expect(advance(g, T0 + 2 * H)).toEqual([]);
  });

  test('repeat_interval is kept to the tick: exactly lastNotified.at + repeat_interval, not the next group_interval tick', () => {
    // group_interval 7m does not divide repeat_interval 1h: Alertmanager would repeat at the 63m tick
    const { g, log } = group(route({ groupIntervalMs: 7 * MIN, repeatIntervalMs: H }));
    g.insert(alert('a', { startsAt: T0 }), T0);
    const first = g.flush(T0 + 30 * S) as Notification;
    g.ack(first, true); // however late the send finishes, `at` is the flush time
    expect(log[0].at).toBe(T0 + 30 * S);
    const flushTimes: number[] = [];
    for (let t = g.nextFlushAt() as number; t <= T0 + 30 * S + H; t = g.nextFlushAt() as number) {
      flushTimes.push(t);
      const n = g.flush(t);
      if (n) {
        expect(t).toBe(T0 + 30 * S + H);
        expect(n.reason).toBe('repeat');
        expect(n.isRepeat).toBe(true);
        expect(n.changes).toEqual({ new: [], stillFiring: ['a'], resolved: [] });
        g.ack(n, true);
      }
    }
    expect(flushTimes.map((t) => (t - T0 - 30 * S) / MIN)).toEqual([7, 14, 21, 28, 35, 42, 49, 56, 60]);
    expect(log.map((e) => e.at - T0 - 30 * S)).toEqual([0, H]);
    // the grid restarts from the repeat flush, and the next repeat is again exact
    expect(g.nextFlushAt()).toBe(T0 + 30 * S + H + 7 * MIN);
    const next = advance(g, T0 + 30 * S + 3 * H);
    expect(next.map((n) => n.at - T0 - 30 * S)).toEqual([2 * H, 3 * H]);
  });

  test('resolved notification with send_resolved: at the next tick, then resolved alerts leave and the empty group is done', () => {
    const { g } = group();
    g.insert(alert('a', { startsAt: T0 }), T0);
    g.insert(alert('b', { startsAt: T0 }), T0);
    advance(g, T0 + 30 * S);
    g.insert(resolved(g.get('a') as RoutedAlert, T0 + 3 * MIN), T0 + 3 * MIN);
    const [r] = advance(g, T0 + 5 * MIN + 30 * S);
    expect(r.at).toBe(T0 + 5 * MIN + 30 * S);
    expect(r.reason).toBe('resolved');
    expect(fps(r.firing)).toEqual(['b']);
    expect(fps(r.resolved)).toEqual(['a']);
    expect(r.changes).toEqual({ new: [], stillFiring: ['b'], resolved: ['a'] });
    expect(g.get('a')).toBeUndefined();
    g.insert(resolved(g.get('b') as RoutedAlert, T0 + 7 * MIN), T0 + 7 * MIN);
    const [all] = advance(g, T0 + 10 * MIN + 30 * S);
    expect(all.reason).toBe('all-resolved');
    expect(all.firing).toEqual([]);
    expect(all.changes).toEqual({ new: [], stillFiring: [], resolved: ['b'] });
    expect(g.isEmpty()).toBe(true);
  });

  test('without send_resolved: no resolved notification, but the log records the group resolved and the next firing is a first', () => {
    const { g, log } = group(route(), { sendResolved: false });
    g.insert(alert('a', { startsAt: T0 }), T0);
    g.insert(alert('b', { startsAt: T0 }), T0);
    advance(g, T0 + 30 * S);
    g.insert(resolved(g.get('a') as RoutedAlert, T0 + 3 * MIN), T0 + 3 * MIN);
    expect(advance(g, T0 + 5 * MIN + 30 * S)).toEqual([]);
    expect(g.get('a')).toBeUndefined(); // a flush that needed no notification succeeded: resolved alerts leave
    g.insert(resolved(g.get('b') as RoutedAlert, T0 + 7 * MIN), T0 + 7 * MIN);
    expect(advance(g, T0 + 10 * MIN + 30 * S)).toEqual([]);
    expect(g.isEmpty()).toBe(true);
    expect(log).toHaveLength(2);
    expect(log[1]).toMatchObject({ firingFingerprints: [], resolvedFingerprints: ['b'], at: T0 + 10 * MIN + 30 * S });
    const again = group(route(), { sendResolved: false, lastNotified: log[1] });
    again.g.insert(alert('a', { startsAt: T0 + 20 * MIN }), T0 + 20 * MIN);
    expect(advance(again.g, T0 + 21 * MIN).map((n) => n.reason)).toEqual(['first']);
  });

  test('a firing alert and a resolved one with send_resolved false: the notification carries no resolved alerts', () => {
    const { g } = group(route(), { sendResolved: false });
    g.insert(alert('a', { startsAt: T0 }), T0);
    g.insert(alert('b', { startsAt: T0, endsAt: T0 + 10 * S }), T0);
    const [n] = advance(g, T0 + 30 * S);
    expect(fps(n.firing)).toEqual(['a']);
    expect(n.resolved).toEqual([]);
    expect(n.changes.resolved).toEqual([]);
  });

  test('an alert whose endsAt has passed counts as resolved at flush time, without a re-send', () => {
    const { g } = group();
    g.insert(alert('a', { startsAt: T0, endsAt: T0 + 4 * MIN }), T0);
    advance(g, T0 + 30 * S);
    const [n] = advance(g, T0 + 5 * MIN + 30 * S);
    expect(n.reason).toBe('all-resolved');
    expect(fps(n.resolved)).toEqual(['a']);
  });

  test('failed delivery: nothing is logged, resolved alerts stay, the next tick retries', () => {
    const { g, log } = group();
    g.insert(alert('a', { startsAt: T0 }), T0);
    const n1 = g.flush(T0 + 30 * S) as Notification;
    g.ack(n1, false);
    expect(log).toEqual([]);
    expect(g.nextFlushAt()).toBe(T0 + 5 * MIN + 30 * S);
    const n2 = g.flush(T0 + 5 * MIN + 30 * S) as Notification;
    expect(n2.reason).toBe('first');
    g.ack(n2, true);
    g.insert(resolved(g.get('a') as RoutedAlert, T0 + 6 * MIN), T0 + 6 * MIN);
    expect(advance(g, T0 + 10 * MIN + 30 * S, false).map((n) => n.reason)).toEqual(['all-resolved']);
    expect(g.get('a')).toBeDefined();
    expect(advance(g, T0 + 15 * MIN + 30 * S).map((n) => n.reason)).toEqual(['all-resolved']);
    expect(g.isEmpty()).toBe(true);
  });

  test('a failed repeat is retried at the next tick, not in a loop', () => {
    const { g } = group(route({ groupIntervalMs: 7 * MIN, repeatIntervalMs: H }));
    g.insert(alert('a', { startsAt: T0 }), T0);
    advance(g, T0);
    g.ack(g.flush(T0 + 30 * S) as Notification, true);
    advance(g, T0 + 30 * S + 56 * MIN);
    const rep = g.flush(T0 + 30 * S + H) as Notification;
    expect(rep.reason).toBe('repeat');
    g.ack(rep, false);
    expect(g.nextFlushAt()).toBe(T0 + 30 * S + H + 7 * MIN);
    expect(g.flush(T0 + 30 * S + H + 7 * MIN)?.reason).toBe('repeat');
  });

  test('while a notification is out the group is not flushed again; unacknowledged by its deadline it is abandoned', () => {
    const { g, log } = group();
    g.insert(alert('a', { startsAt: T0 }), T0);
    const n = g.flush(T0 + 30 * S) as Notification;
    expect(n.deadline).toBe(T0 + 5 * MIN + 30 * S);
    expect(g.notifying).toBe(true);
    expect(g.nextFlushAt()).toBe(n.deadline);
    expect(g.flush(T0 + MIN)).toBeUndefined();
    const retry = g.flush(n.deadline) as Notification; // abandoned as failed, then flushed again
    expect(retry.reason).toBe('first');
    expect(g.ack(n, true)).toBeUndefined(); // the late ack of the abandoned one is ignored
    expect(g.ack(retry, true)).toMatchObject({ at: n.deadline });
    expect(log).toHaveLength(1);
  });

  test('a resolved alert that fires again while its notification is out is not deleted on success', () => {
    const { g } = group();
    const a = alert('a', { startsAt: T0 });
    g.insert(a, T0);
    advance(g, T0 + 30 * S);
    g.insert(resolved(a, T0 + MIN), T0 + MIN);
    const n = g.flush(T0 + 5 * MIN + 30 * S) as Notification;
    expect(n.reason).toBe('all-resolved');
    const again = alert('a', { startsAt: T0 + 5 * MIN + 31 * S });
    g.insert(again, T0 + 5 * MIN + 31 * S);
    g.ack(n, true);
    expect(g.get('a')).toEqual(again);
    expect(advance(g, T0 + 10 * MIN + 30 * S).map((x) => [x.reason, x.changes.new])).toEqual([['first', ['a']]]);
  });

  test("Alertmanager's TestAggrGroup, with vigil's dedup", () => {
    const r = route({ receiver: 'n1', groupWaitMs: S, groupIntervalMs: 300, repeatIntervalMs: H });
    const a1 = alert('a1', { startsAt: T0 + MIN, endsAt: T0 + H, updatedAt: T0 });
    const a2 = alert('a2', { startsAt: T0 - H, endsAt: T0 + 2 * H, updatedAt: T0 });
    const a3 = alert('a3', { startsAt: T0 + MIN, endsAt: T0 + 5 * MIN, updatedAt: T0 });

    // regular: wait group_wait for the first batch, then a new alert after group_interval
    const one = group(r).g;
    one.insert(a1, T0);
    let [n] = advance(one, T0 + S);
    expect([n.at, fps(n.firing)]).toEqual([T0 + S, ['a1']]);
    one.insert(a3, T0 + S + 10);
    [n] = advance(one, T0 + S + 300);
    expect([n.at, fps(n.firing), n.changes.new]).toEqual([T0 + S + 300, ['a1', 'a3'], ['a3']]);
    expect(advance(one, T0 + S + 900)).toEqual([]); // Alertmanager's flush re-sends; its DedupStage then drops it

    // an old alert flushes at once; resolving one then all empties the group
    const two = group(r).g;
    two.insert(a2, T0);
    two.insert(a1, T0);
    [n] = advance(two, T0);
    expect([n.at, fps(n.firing)]).toEqual([T0, ['a2', 'a1']]);
    two.insert(a3, T0 + 10);
    [n] = advance(two, T0 + 300);
    expect(n.changes.new).toEqual(['a3']);
    two.insert(resolved(a1, T0 + 400), T0 + 400);
    [n] = advance(two, T0 + 600);
    expect([fps(n.firing), fps(n.resolved)]).toEqual([['a2', 'a3'], ['a1']]);
    expect(two.get('a1')).toBeUndefined();
    two.insert(resolved(a2, T0 + 700), T0 + 700);
    two.insert(resolved(a3, T0 + 700), T0 + 700);
    [n] = advance(two, T0 + 900);
    expect([n.reason, fps(n.firing), fps(n.resolved)]).toEqual(['all-resolved', [], ['a2', 'a3']]);
    expect(two.isEmpty()).toBe(true);
  });
});

describe('FlapDetector', () => {
  test(`defaults: ${DEFAULT_FLAPPING_OPTIONS.minRefires} re-fires within ${DEFAULT_FLAPPING_OPTIONS.windowMs / MIN}m`, () => {
    expect(DEFAULT_FLAPPING_OPTIONS).toEqual({ minRefires: 3, windowMs: H });
  });

  test('counts re-fires after resolutions within a sliding window', () => {
    const d = new FlapDetector({ minRefires: 2, windowMs: 30 * MIN });
    const cycle = (t: number) => {
      d.observe(alert('x', { startsAt: t, endsAt: t + H }), t);
      d.observe(alert('x', { startsAt: t, endsAt: t + 2 * MIN, updatedAt: t + 2 * MIN }), t + 2 * MIN);
    };
    cycle(T0); // first firing: not a re-fire
    expect(d.state('x', T0 + 3 * MIN)).toEqual({ flapping: false, refires: 0 });
    cycle(T0 + 10 * MIN);
    cycle(T0 + 20 * MIN);
    expect(d.state('x', T0 + 21 * MIN)).toEqual({ flapping: true, refires: 2 });
    expect(d.detected).toBe(1);
    cycle(T0 + 25 * MIN);
    expect(d.collapsedRefires).toBe(1);
    expect(d.state('x', T0 + 41 * MIN)).toEqual({ flapping: true, refires: 2 }); // the 10m re-fire left the window
    expect(d.state('x', T0 + 51 * MIN)).toEqual({ flapping: false, refires: 1 }); // and the 20m one
    // a re-fire noticed only by time: the previous version's endsAt passed without a resolved re-send
    d.observe(alert('y', { startsAt: T0, endsAt: T0 + 4 * MIN }), T0);
    d.observe(alert('y', { startsAt: T0 + 10 * MIN, endsAt: T0 + 14 * MIN }), T0 + 10 * MIN);
    expect(d.state('y', T0 + 10 * MIN).refires).toBe(1);
    d.prune(T0 + 3 * H);
    expect(d.size).toBe(0);
  });
});

describe('the mute stage at a flush: silences and inhibition', () => {
  /** Flushes as `advance` does, with a mute function. */
  function advanceMuted(g: AggregationGroup, until: number, mute: (a: RoutedAlert) => boolean): Notification[] {
    const sent: Notification[] = [];
    for (let t = g.nextFlushAt(); t !== undefined && t <= until; t = g.nextFlushAt()) {
      const n = g.flush(t, mute);
      if (n) {
        sent.push(n);
        g.ack(n, true);
      }
    }
    return sent;
  }

  test('a muted firing alert is left out; when all are muted nothing is sent, not even "resolved"', () => {
    const { g } = group();
    const a = alert('a', { startsAt: T0 });
    const b = alert('b', { startsAt: T0 });
    g.insert(a, T0);
    g.insert(b, T0);
    const muted = new Set<string>(['b']);
    const mute = (x: RoutedAlert) => muted.has(x.fingerprint);
    const [first] = advanceMuted(g, T0 + 30 * S, mute);
    expect(fps(first.firing)).toEqual(['a']);
    muted.add('a');
    expect(advanceMuted(g, T0 + 6 * H, mute)).toEqual([]); // no repeat, no all-resolved while everything is silenced
  });

  test('an alert that was notified and is then silenced still gets its resolved notification', () => {
    const { g, log } = group();
    const a = alert('a', { startsAt: T0 });
    g.insert(a, T0);
    const muted = new Set<string>();
    const mute = (x: RoutedAlert) => muted.has(x.fingerprint);
    expect(advanceMuted(g, T0 + 30 * S, mute)).toHaveLength(1);
    muted.add('a'); // silenced after it paged
    expect(advanceMuted(g, T0 + 20 * MIN, mute)).toEqual([]);
    g.insert(resolved(a, T0 + 21 * MIN), T0 + 21 * MIN);
    const [n] = advanceMuted(g, T0 + 26 * MIN, mute);
    expect(n.reason).toBe('all-resolved');
    expect(fps(n.resolved)).toEqual(['a']);
    expect(log.at(-1)!.firingFingerprints).toEqual([]);
  });

  test('a silenced alert stays "told" across a later notification, so its resolution is still sent', () => {
    const { g } = group();
    const a = alert('a', { startsAt: T0 });
    g.insert(a, T0);
    const muted = new Set<string>();
    const mute = (x: RoutedAlert) => muted.has(x.fingerprint);
    advanceMuted(g, T0 + 30 * S, mute);
    muted.add('a');
    g.insert(alert('b', { startsAt: T0 + 2 * MIN }), T0 + 2 * MIN);
    const [withB] = advanceMuted(g, T0 + 6 * MIN, mute);
    expect(fps(withB.firing)).toEqual(['b']);
    expect(withB.changes.new).toEqual(['b']);
    g.insert(resolved(a, T0 + 7 * MIN), T0 + 7 * MIN);
    const [res] = advanceMuted(g, T0 + 11 * MIN, mute);
    expect(res.reason).toBe('resolved');
    expect(fps(res.resolved)).toEqual(['a']);
  });

  test('an alert that was muted all along never gets a resolved notification (nobody was told it fired)', () => {
    const { g } = group();
    const a = alert('a', { startsAt: T0 });
    const b = alert('b', { startsAt: T0 });
    g.insert(a, T0);
    g.insert(b, T0);
    const mute = (x: RoutedAlert) => x.fingerprint === 'b';
    advanceMuted(g, T0 + 30 * S, mute);
    g.insert(resolved(b, T0 + MIN), T0 + MIN);
    expect(advanceMuted(g, T0 + 10 * MIN, mute)).toEqual([]);
    expect(g.get('b')).toBeUndefined(); // and it left the group
  });
});
