import { Dispatcher, type DispatcherOptions, type Routing } from '../../src/route/dispatch.js';
import type { Notification, NotificationLogEntry } from '../../src/route/aggregation.js';
import type { Labels, Route, RouteOptions, RoutedAlert } from '../../src/route/types.js';

const S = 1000;
const MIN = 60 * S;
const H = 60 * MIN;
const DAY = 24 * H;
const T0 = Date.UTC(2025, 2, 3, 0, 0, 0); // Monday 00:00 UTC
const at = (hh: number, mm = 0, ss = 0) => T0 + hh * H + mm * MIN + ss * S;
const clock = (t: number) => new Date(t).toISOString().slice(11, 19);

// A routing tree stand-in (tree.ts provides the real one): equality matchers, first match unless `continue`.
function child(key: string, severity: string, receiver: string, extra: Partial<Route> = {}): Route {
  return { options: { ...rootOptions, receiver }, matchers: [{ name: 'severity', type: '=', value: severity }], continue: false, routes: [], key, ...extra };
}
const rootOptions: RouteOptions = { receiver: 'observe', groupBy: ['alertname', 'agent_id'], groupWaitMs: 30 * S, groupIntervalMs: 5 * MIN, repeatIntervalMs: 4 * H };
function tree(children: Route[]): Route {
  return { options: rootOptions, matchers: [], continue: false, routes: children, key: '{}' };
}
function routingFor(root: Route): Routing {
  return {
    routes(labels) {
      const out: Route[] = [];
      for (const r of root.routes) {
        if (!r.matchers.every((m) => labels[m.name] === m.value)) continue;
        out.push(r);
        if (!r.continue) break;
      }
      return out.length ? out : [root];
    },
    groupLabels(route, labels) {
      const by = route.options.groupBy;
      return Object.fromEntries(Object.entries(labels).filter(([k]) => by === 'all' || by.includes(k)));
    },
    groupKey(route, groupLabels) {
      const ls = Object.keys(groupLabels).sort().map((k) => `${k}="${groupLabels[k]}"`);
      return `${route.key}:{${ls.join(', ')}}`;
    },
  };
}
const defaultTree = () => tree([child('{}/{severity="P1"}/0', 'P1', 'page'), child('{}/{severity="P2"}/1', 'P2', 'triage')]);

const fpOf = (labels: Labels) => Object.keys(labels).sort().map((k) => `${k}=${labels[k]}`).join(',');
function firing(labels: Labels, startsAt: number, endsAt = startsAt + DAY): RoutedAlert {
  return { fingerprint: fpOf(labels), labels, annotations: {}, startsAt, endsAt, updatedAt: startsAt };
}
const resolvedAt = (a: RoutedAlert, t: number): RoutedAlert => ({ ...a, endsAt: t, updatedAt: t });

const P1 = (agent: string, instance = '1') => ({ alertname: 'AgentErrorRateSpike', severity: 'P1', agent_id: agent, instance });
const P2 = (agent: string) => ({ alertname: 'AgentTokenCostSpike', severity: 'P2', agent_id: agent });

/**
 * A caller's loop, as the server will run it: wake at nextWakeAt, flush, deliver, ack.
 * `events` are inserted at their times (before a flush due at the same instant).
 */
function run(d: Dispatcher, until: number, events: [number, RoutedAlert][] = [], deliver: (n: Notification) => boolean = () => true) {
  const sent: Notification[] = [];
  const queue = [...events].sort((a, b) => a[0] - b[0]);
  for (let i = 0; ; i++) {
    if (i > 100_000) throw new Error('runaway');
    const wake = d.nextWakeAt();
    const nextEvent = queue[0]?.[0];
    const t = Math.min(wake ?? Infinity, nextEvent ?? Infinity);
    if (t > until) break;
    while (queue.length && queue[0][0] === t) d.insert((queue.shift() as [number, RoutedAlert])[1], t);
    for (const n of d.flush(t)) {
      sent.push(n);
      d.ack(n, deliver(n) ? 'success' : 'failure');
    }
  }
  return sent;
}
const brief = (ns: Notification[]) => ns.map((n) => [clock(n.at), n.receiver, n.reason, n.changes.new.length, n.changes.stillFiring.length, n.changes.resolved.length]);

describe('Dispatcher', () => {
  test('routes alerts into one group per route × group key; continue feeds several receivers', () => {
    const root = tree([child('{}/{severity="P1"}/0', 'P1', 'page', { continue: true }), child('{}/{severity="P1"}/1', 'P1', 'audit')]);
    const d = new Dispatcher(routingFor(root));
    d.insert(firing(P1('a', '1'), at(9)), at(9));
    d.insert(firing(P1('a', '2'), at(9)), at(9));
    d.insert(firing(P1('b'), at(9)), at(9));
    d.insert(firing(P2('a'), at(9)), at(9));
    const groups = d.groups().map((g) => [g.key, g.receiver, g.size]).sort();
    expect(groups).toEqual([
      ['{}/{severity="P1"}/0:{agent_id="a", alertname="AgentErrorRateSpike"}', 'page', 2],
      ['{}/{severity="P1"}/0:{agent_id="b", alertname="AgentErrorRateSpike"}', 'page', 1],
      ['{}/{severity="P1"}/1:{agent_id="a", alertname="AgentErrorRateSpike"}', 'audit', 2],
      ['{}/{severity="P1"}/1:{agent_id="b", alertname="AgentErrorRateSpike"}', 'audit', 1],
      ['{}:{agent_id="a", alertname="AgentTokenCostSpike"}', 'observe', 1],
    ]);
    const [n] = d.flush(at(9, 0, 30)).filter((x) => x.receiver === 'audit' && x.groupLabels.agent_id === 'a');
    expect(n.groupLabels).toEqual({ agent_id: 'a', alertname: 'AgentErrorRateSpike' });
    expect(n.routeKey).toBe('{}/{severity="P1"}/1');
  });

  test('due(now) and nextWakeAt: alerts arriving in an existing group do not reset its timers', () => {
    const d = new Dispatcher(routingFor(defaultTree()));
    expect(d.nextWakeAt()).toBeUndefined();
    d.insert(firing(P1('a', '1'), at(9)), at(9));
    d.insert(firing(P2('a'), at(9, 0, 10)), at(9, 0, 10));
    expect(d.nextWakeAt()).toBe(at(9, 0, 30));
    d.insert(firing(P1('a', '2'), at(9, 0, 20)), at(9, 0, 20));
    expect(d.nextWakeAt()).toBe(at(9, 0, 30));
    expect(d.due(at(9, 0, 29))).toEqual([]);
    expect(d.due(at(9, 0, 30)).map((g) => g.receiver)).toEqual(['page']);
    const [n] = d.flush(at(9, 0, 30));
    expect(n.firing.map((a) => a.labels.instance)).toEqual(['1', '2']);
    expect(d.nextWakeAt()).toBe(at(9, 0, 40)); // the P2 group
    d.ack(n, 'success');
    d.flush(at(9, 0, 40)).forEach((x) => d.ack(x, 'success'));
    d.insert(firing(P1('a', '3'), at(9, 2)), at(9, 2));
    expect(d.nextWakeAt()).toBe(at(9, 5, 30));
  });

  test('a day of alerting: first page, a joining alert, repeats to the tick, resolved notifications, quiet when nothing changes', () => {
    const log: NotificationLogEntry[] = [];
    const d = new Dispatcher(routingFor(defaultTree()), { sendResolved: (r) => r !== 'triage', onNotificationLog: (e) => log.push(e) });
    const a1 = firing(P1('a', '1'), at(9));
    const a2 = firing(P1('a', '2'), at(9, 3));
    const cost = firing(P2('a'), at(9, 1));
    const sent = run(d, T0 + DAY, [
      [at(9), a1],
      [at(9, 1), cost],
      [at(9, 3), a2],
      [at(14), resolvedAt(a2, at(14))],
      [at(14, 20), resolvedAt(a1, at(14, 20))],
      [at(16), resolvedAt(cost, at(16))],
    ]);
    expect(brief(sent)).toEqual([
      ['09:00:30', 'page', 'first', 1, 0, 0],
      ['09:01:30', 'triage', 'first', 1, 0, 0],
      ['09:05:30', 'page', 'new-alerts', 1, 1, 0], // at the group_interval tick, the joining alert marked new
      ['13:01:30', 'triage', 'repeat', 0, 1, 0], // 4h after 09:01:30, to the tick
      ['13:05:30', 'page', 'repeat', 0, 2, 0], // 4h after the last page; Alertmanager: 13:10:30
      ['14:00:30', 'page', 'resolved', 0, 1, 1],
      ['14:20:30', 'page', 'all-resolved', 0, 0, 1],
      // triage has no send_resolved: its resolution at 16:00 is logged, not sent
    ]);
    expect(sent[4].isRepeat).toBe(true);
    expect(sent[2].changes.new).toEqual([a2.fingerprint]);
    expect(d.groups()).toEqual([]);
    expect(log.map((e) => [clock(e.at), e.receiver, e.firingFingerprints.length, e.resolvedFingerprints.length])).toEqual([
      ['09:00:30', 'page', 1, 0],
      ['09:01:30', 'triage', 1, 0],
      ['09:05:30', 'page', 2, 0],
      ['13:01:30', 'triage', 1, 0],
      ['13:05:30', 'page', 2, 0],
      ['14:00:30', 'page', 1, 1],
      ['14:20:30', 'page', 0, 1],
      ['16:01:30', 'triage', 0, 1],
    ]);
    expect(d.counters).toMatchObject({ groupsCreated: 2, groupsDestroyed: 2, notificationsSucceeded: 7, notificationsFailed: 0 });
  });

  test('a group destroyed after resolving starts afresh: group_wait, then a first notification', () => {
    const d = new Dispatcher(routingFor(defaultTree()));
    const a = firing(P1('a'), at(9));
    run(d, at(10), [[at(9), a], [at(9, 10), resolvedAt(a, at(9, 10))]]);
    expect(d.groups()).toEqual([]);
    const again = firing(P1('a'), at(11));
    const sent = run(d, at(12), [[at(11), again]]);
    expect(brief(sent)).toEqual([['11:00:30', 'page', 'first', 1, 0, 0]]);
  });

  test('an alert re-sent with a later endsAt stays firing; one whose endsAt passes counts as resolved', () => {
    const d = new Dispatcher(routingFor(defaultTree()));
    const a = firing(P1('a'), at(9), at(9, 4));
    const resend = { ...a, endsAt: at(9, 8), updatedAt: at(9, 4) };
    const sent = run(d, at(10), [[at(9), a], [at(9, 3, 59), resend]]);
    // firing at the 09:05:30 tick thanks to the re-send; resolved by time at the 09:10:30 tick
    expect(brief(sent)).toEqual([
      ['09:00:30', 'page', 'first', 1, 0, 0],
      ['09:10:30', 'page', 'all-resolved', 0, 0, 1],
    ]);
  });

  test('failed deliveries are retried at the following ticks; the log is written only on success', () => {
    const log: NotificationLogEntry[] = [];
    const d = new Dispatcher(routingFor(defaultTree()), { onNotificationLog: (e) => log.push(e) });
    let failures = 2;
    const sent = run(d, at(10), [[at(9), firing(P1('a'), at(9))]], () => failures-- <= 0);
    expect(sent.map((n) => clock(n.at))).toEqual(['09:00:30', '09:05:30', '09:10:30']);
    expect(log.map((e) => clock(e.at))).toEqual(['09:10:30']);
    expect(d.counters).toMatchObject({ notificationsFailed: 2, notificationsSucceeded: 1 });
  });

  test('a notification never acknowledged is abandoned at its deadline and flushed again', () => {
    const d = new Dispatcher(routingFor(defaultTree()));
    d.insert(firing(P1('a'), at(9)), at(9));
    const [n] = d.flush(at(9, 0, 30));
    expect(d.nextWakeAt()).toBe(n.deadline);
    expect(d.flush(at(9, 3))).toEqual([]);
    const [again] = d.flush(n.deadline);
    expect(again.reason).toBe('first');
    expect(d.ack(n, 'success')).toBeUndefined();
    expect(d.counters).toMatchObject({ notificationsAbandoned: 1, notificationsFailed: 1, notificationsSucceeded: 0 });
  });

  describe('restart', () => {
    const a1 = firing(P1('a', '1'), at(9));
    const a2 = firing(P1('a', '2'), at(9, 2));

    function beforeRestart() {
      const log: NotificationLogEntry[] = [];
      const d = new Dispatcher(routingFor(defaultTree()), { onNotificationLog: (e) => log.push(e) });
      const sent = run(d, at(10), [[at(9), a1], [at(9, 2), a2]]);
      expect(brief(sent)).toEqual([
        ['09:00:30', 'page', 'first', 1, 0, 0],
        ['09:05:30', 'page', 'new-alerts', 1, 1, 0],
      ]);
      return log;
    }
    const rebuilt = (log: NotificationLogEntry[], opts: DispatcherOptions = {}) =>
      new Dispatcher(routingFor(defaultTree()), { notificationLog: JSON.parse(JSON.stringify(log)) as NotificationLogEntry[], ...opts });

    test('a dispatcher rebuilt from the persisted log does not re-notify, and repeats exactly 4h after the last page', () => {
      const d = rebuilt(beforeRestart());
      // after the restart at 10:00 the sources re-send what still fires; old alerts flush at once
      const sent = run(d, at(14), [[at(10), a1], [at(10, 0, 20), a2]]);
      expect(brief(sent)).toEqual([['13:05:30', 'page', 'repeat', 0, 2, 0]]);
    });

    test('without the log the same restart pages again at once', () => {
      const d = new Dispatcher(routingFor(defaultTree()));
      const sent = run(d, at(11), [[at(10), a1], [at(10, 0, 20), a2]]);
      expect(brief(sent)[0]).toEqual(['10:00:00', 'page', 'first', 1, 0, 0]);
    });

    test('alerts resolved while vigil was down get their resolved notification after the restart', () => {
      const d = rebuilt(beforeRestart());
      const sent = run(d, at(11), [[at(10), resolvedAt(a1, at(9, 50))], [at(10), resolvedAt(a2, at(9, 50))]]);
      expect(brief(sent)).toEqual([['10:00:00', 'page', 'all-resolved', 0, 0, 2]]);
    });

    test('the newest persisted entry per group and receiver wins; expired entries of gone groups are dropped', () => {
      const log = beforeRestart();
      const d = rebuilt([...log].reverse());
      expect(d.notificationLog().map((e) => clock(e.at))).toEqual(['09:05:30']);
      d.flush(log[1].expiresAt);
      expect(d.notificationLog()).toEqual([]);
    });
  });

  test('flapping: detected after 3 re-fires within 1h, notified once as flapping, further flips collapsed, final state told', () => {
    const d = new Dispatcher(routingFor(defaultTree()));
    const x = (t: number) => firing(P1('a'), t);
    const events: [number, RoutedAlert][] = [];
    // fires for 2 minutes every 6 minutes from 09:00 to 09:32, then stays resolved
    for (let m = 0; m <= 30; m += 6) {
      events.push([at(9, m), x(at(9, m))]);
      events.push([at(9, m + 2), resolvedAt(x(at(9, m)), at(9, m + 2))]);
    }
    const sent = run(d, at(12), events);
    expect(sent.map((n) => [clock(n.at), n.reason, n.flapping.map((f) => f.refires)])).toEqual([
      ['09:00:30', 'first', []],
      ['09:05:30', 'all-resolved', []],
      ['09:06:30', 'first', []],
      ['09:11:30', 'all-resolved', []],
      ['09:12:30', 'first', []],
      ['09:17:30', 'all-resolved', []],
      ['09:18:30', 'first', [3]], // the third re-fire: marked flapping
      // 09:20 resolves, 09:24 and 09:30 re-fire, 09:32 resolves: all collapsed
      ['10:18:30', 'all-resolved', []], // first tick with < 3 re-fires in the last hour (09:24, 09:30): no longer flapping, resolved
    ]);
    expect(d.counters).toMatchObject({ flappingDetected: 1, flappingCollapsed: 2 });
    expect(d.groups()).toEqual([]);
  });

  test('a thousand groups created at scattered times: the queue wakes exactly when a scan of every group would, and flushes each group when due', () => {
    const d = new Dispatcher(routingFor(defaultTree()));
    let seed = 3;
    const rand = (n: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
    const scan = (now: number) => {
      let next: number | undefined;
      for (const g of d.groups()) {
        const t = g.nextFlushAt();
        if (t !== undefined && (next === undefined || t < next)) next = t;
      }
      return { next, due: d.groups().filter((g) => !g.notifying && (g.nextFlushAt() ?? Infinity) <= now).length };
    };
    const inserts = Array.from({ length: 3000 }, (_, i): [number, RoutedAlert] => {
      const t = at(9) + rand(20 * MIN);
      return [t, firing(i % 2 ? P1(`agent-${i % 1000}`, String(i)) : P2(`agent-${i % 1000}`), t, t + 10 * MIN + rand(20 * MIN))];
    }).sort((a, b) => a[0] - b[0]);
    const notifiedGroups = new Set<string>();
    let now = at(9);
    let i = 0;
    let pending: Notification[] = [];
    while (now < at(10)) {
      while (i < inserts.length && inserts[i][0] <= now) d.insert(inserts[i][1], inserts[i++][0]);
      expect(d.nextWakeAt()).toBe(scan(now).next);
      const expectedDue = scan(now).due;
      const flushed = d.flush(now);
      expect(d.groups().filter((g) => g.lastDecision?.at === now).length).toBe(expectedDue);
      flushed.forEach((n) => notifiedGroups.add(n.groupKey));
      // half the notifications are acknowledged at once, the rest one step later (still out meanwhile)
      pending.forEach((n) => d.ack(n, 'success'));
      pending = flushed.filter((_, k) => k % 2 === 1);
      flushed.filter((_, k) => k % 2 === 0).forEach((n) => d.ack(n, 'success'));
      now += 7 * S;
    }
    expect(notifiedGroups.size).toBe(1000);
  });
});
