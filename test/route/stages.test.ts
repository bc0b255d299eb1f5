/** The route's stages alone: mute (silences, inhibition), the rate-limit and storm guards, and the stage runners. */
import { buildInhibitRules, buildRouteTree, MuteStage, RateLimiters, RateLimitStage, runDeliveryStages, runGroupStages, StormStage, type GroupFlush, type RoutedAlert } from '../../src/route/index.js';
import { testAlert, testDelivery, T0 } from '../support/receivers.js';

const route = buildRouteTree({ receiver: 'oncall' });
const p1 = testAlert({ alertname: 'ErrorSpike', agent_id: 'checkout', severity: 'P1' });
const p2 = testAlert({ alertname: 'ToolFailure', agent_id: 'checkout', severity: 'P2' });
const other = testAlert({ alertname: 'ToolFailure', agent_id: 'search', severity: 'P2' });
const flush = (alerts: RoutedAlert[]): GroupFlush => ({ groupKey: 'g', route, receiver: 'oncall', alerts, muted: new Map() });

describe('the mute stage', () => {
  test('marks silenced alerts with the silences, inhibited ones with their source; mutes nothing else and drops nothing', () => {
    const held = [p1, p2, other];
    const silences = { mutes: (labels: Record<string, string>) => (labels.agent_id === 'search' ? ['s-1'] : []) };
    const stage = new MuteStage(silences, buildInhibitRules([{ source_matchers: ['severity="P1"'], target_matchers: ['severity="P2"'], equal: ['agent_id'] }]), {
      alerts: () => held,
      revision: () => 1,
    });
    const out = stage.run(flush(held), T0);
    expect(out.alerts).toHaveLength(3);
    expect(out.muted).toEqual(
      new Map([
        [p2.fingerprint, { by: 'inhibition', inhibitedBy: p1.fingerprint, rule: 0 }],
        [other.fingerprint, { by: 'silence', silencedBy: ['s-1'] }],
      ]),
    );
  });
});

describe('the guards', () => {
  test('rate limit: past max per window a firing notification is held back (the runner names the stage); a refund gives the send back', async () => {
    const limiters = new RateLimiters();
    limiters.update([{ name: 'oncall', rateLimit: { max: 1, perMs: 3_600_000 } }]);
    const held: string[] = [];
    const stage = new RateLimitStage((r) => limiters.get(r), (r) => held.push(r));
    const d = testDelivery({ firing: [p1] });
    const first = stage.run(d, T0)!;
    expect(first.rateLimit).toMatchObject({ max: 1, remaining: 0 });
    expect(await runDeliveryStages([stage], d, T0 + 1000)).toEqual({ stoppedBy: 'rate_limit' });
    expect(held).toEqual(['oncall']);
    first.refund!();
    expect(stage.run(d, T0 + 2000)?.rateLimit).toMatchObject({ suppressed: 1 });
    expect(stage.run(testDelivery({ resolved: [p1] }), T0 + 3000)).toBeDefined(); // a resolve is never held back
  });

  test('a reload that keeps a receiver\'s limit keeps its window', () => {
    const limiters = new RateLimiters();
    limiters.update([{ name: 'oncall', rateLimit: { max: 1, perMs: 60_000 } }]);
    const before = limiters.get('oncall');
    limiters.update([{ name: 'oncall', rateLimit: { max: 1, perMs: 60_000 } }]);
    expect(limiters.get('oncall')).toBe(before);
    limiters.update([{ name: 'oncall', rateLimit: { max: 2, perMs: 60_000 } }]);
    expect(limiters.get('oncall')).not.toBe(before);
  });

  test('storm: a notification with more alerts than the threshold is marked as one summary', () => {
    const seen: number[] = [];
    const stage = new StormStage(() => 1, (_r, n) => seen.push(n));
    expect(stage.run(testDelivery({ firing: [p1] })).storm).toBeUndefined();
    expect(stage.run(testDelivery({ firing: [p1, p2] })).storm).toEqual({ threshold: 1, alerts: 2 });
    expect(seen).toEqual([2]);
  });

  test('group stages run in order and the first that returns nothing stops the flush', () => {
    const seen: string[] = [];
    const pass = (name: string) => ({ name, run: (f: GroupFlush) => (seen.push(name), f) });
    const stop = { name: 'time_interval', run: () => undefined };
    expect(runGroupStages([pass('a'), stop, pass('b')], flush([p1]), T0)).toEqual({ stoppedBy: 'time_interval' });
    expect(seen).toEqual(['a']);
  });
});
