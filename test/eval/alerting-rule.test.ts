import { AlertingRule, RESOLVED_RETENTION_MS, type Alert } from '../../src/eval/index.js';

const MIN = 60_000;
const ctx = { externalLabels: { cluster: 'eu-1' }, externalURL: 'http://vigil.example' };

function rule(overrides: Partial<ConstructorParameters<typeof AlertingRule>[0]> = {}) {
  return new AlertingRule({
    name: 'AgentErrorRateSpike',
    expr: 'x > 0.05',
    forMs: 5 * MIN,
    keepFiringForMs: 0,
    labels: { severity: 'P1' },
    annotations: { summary: 'agent {{ $labels.agent_id }} at {{ $value | humanizePercentage }}' },
    ...overrides,
  });
}

const sample = (agent: string, value: number, extra: Record<string, string> = {}) => ({
  metric: { __name__: 'ratio', agent_id: agent, ...extra },
  value,
});

function only(r: AlertingRule): Alert {
  const alerts = [...r.active.values()];
  expect(alerts).toHaveLength(1);
  return alerts[0];
}

describe('AlertingRule state machine (Prometheus semantics)', () => {
  test('pending until `for` has elapsed, then firing with firedAt at that evaluation', async () => {
    const r = rule();
    await r.apply(0, [sample('a', 0.1)], ctx);
    expect(only(r)).toMatchObject({ state: 'pending', activeAt: 0 });
    await r.apply(4 * MIN, [sample('a', 0.2)], ctx);
    expect(only(r)).toMatchObject({ state: 'pending', value: 0.2 });
    await r.apply(5 * MIN, [sample('a', 0.3)], ctx);
    expect(only(r)).toMatchObject({ state: 'firing', activeAt: 0, firedAt: 5 * MIN, value: 0.3 });
    expect(r.state()).toBe('firing');
  });

  test('for: 0 fires at the first evaluation', async () => {
    const r = rule({ forMs: 0 });
    await r.apply(MIN, [sample('a', 1)], ctx);
    expect(only(r)).toMatchObject({ state: 'firing', activeAt: MIN, firedAt: MIN });
  });

  test('labels are the series labels without __name__, plus rule labels and alertname; annotations rendered', async () => {
    const r = rule({ forMs: 0, labels: { severity: 'P1', agent_id: 'overridden-{{ $labels.agent_id }}' } });
    await r.apply(0, [sample('a', 0.0512, { alertname: 'x' })], ctx);
    const a = only(r);
    expect(a.labels).toEqual({ agent_id: 'overridden-a', alertname: 'AgentErrorRateSpike', severity: 'P1' });
    expect(a.annotations).toEqual({ summary: 'agent a at 5.12%' });
  });

  test('a template error renders in the annotation and never stops the rule', async () => {
    const r = rule({ forMs: 0, annotations: { summary: '{{ $value | humanizePercentag }}', description: 'ok {{ $labels.agent_id }}' } });
    await r.apply(0, [sample('a', 0.1)], ctx);
    const a = only(r);
    expect(a.state).toBe('firing');
    expect(a.annotations.summary).toMatch(/^<error expanding template: error parsing template __alert_AgentErrorRateSpike: .*function "humanizePercentag" not defined>$/);
    expect(a.annotations.description).toBe('ok a');
  });

  test('a pending alert whose condition clears is dropped without a resolution', async () => {
    const r = rule();
    await r.apply(0, [sample('a', 0.1)], ctx);
    await r.apply(MIN, [], ctx);
    expect(r.active.size).toBe(0);
  });

  test('a firing alert that clears is inactive with resolvedAt, kept for 15m, then dropped', async () => {
    const r = rule({ forMs: 0 });
    await r.apply(0, [sample('a', 0.1)], ctx);
    await r.apply(MIN, [], ctx);
    expect(only(r)).toMatchObject({ state: 'inactive', resolvedAt: MIN, firedAt: 0 });
    await r.apply(MIN + RESOLVED_RETENTION_MS, [], ctx);
    expect(r.active.size).toBe(1);
    await r.apply(2 * MIN + RESOLVED_RETENTION_MS, [], ctx);
    expect(r.active.size).toBe(0);
  });

  test('an alert returning after it resolved is a new alert with a new activeAt', async () => {
    const r = rule({ forMs: MIN });
    await r.apply(0, [sample('a', 0.1)], ctx);
    await r.apply(MIN, [sample('a', 0.1)], ctx);
    await r.apply(2 * MIN, [], ctx);
    await r.apply(3 * MIN, [sample('a', 0.1)], ctx);
    const a = only(r);
    expect(a).toMatchObject({ state: 'pending', activeAt: 3 * MIN });
    expect([a.firedAt, a.resolvedAt]).toEqual([undefined, undefined]);
  });

  test('keep_firing_for holds a firing alert after its condition clears, and resets when it returns', async () => {
    const r = rule({ forMs: 0, keepFiringForMs: 3 * MIN });
    await r.apply(0, [sample('a', 1)], ctx);
    await r.apply(MIN, [], ctx);
    expect(only(r)).toMatchObject({ state: 'firing', keepFiringSince: MIN });
    await r.apply(3 * MIN, [], ctx);
    expect(only(r).state).toBe('firing');
    await r.apply(4 * MIN, [], ctx);
    expect(only(r)).toMatchObject({ state: 'inactive', resolvedAt: 4 * MIN });

    const r2 = rule({ forMs: 0, keepFiringForMs: 3 * MIN });
    await r2.apply(0, [sample('a', 1)], ctx);
    await r2.apply(MIN, [], ctx);
    await r2.apply(2 * MIN, [sample('a', 1)], ctx);
    expect(only(r2)).toMatchObject({ state: 'firing', firedAt: 0 });
    expect(only(r2).keepFiringSince).toBeUndefined();
  });

  test('two series that become the same alert are an error and change nothing', async () => {
    // The rule label `pod` overrides the series' pods, so both series map to one label set.
    const r = rule({ forMs: 0, labels: { severity: 'P1', pod: 'all' } });
    await r.apply(0, [sample('a', 1, { pod: 'x' })], ctx);
    await expect(r.apply(MIN, [sample('a', 1, { pod: 'x' }), sample('a', 2, { pod: 'y' })], ctx)).rejects.toThrow(
      'vector contains metrics with the same labelset after applying alert labels: {agent_id="a", alertname="AgentErrorRateSpike", pod="all", severity="P1"}',
    );
    expect(only(r)).toMatchObject({ state: 'firing', firedAt: 0, value: 1 });
  });

  test('more active alerts than the group limit: the rule drops them all and reports it', async () => {
    const r = rule({ forMs: 0 });
    await r.apply(0, [sample('a', 1)], ctx, { limit: 2 });
    await expect(r.apply(MIN, [sample('a', 1), sample('b', 1), sample('c', 1)], ctx, { limit: 2 })).rejects.toThrow('exceeded limit of 2 with 3 alerts');
    expect(r.active.size).toBe(0);
  });

  test('restored alerts keep their for clock: pending 4m of 5m fires at the first evaluation 1m later', async () => {
    const before = rule();
    await before.apply(0, [sample('a', 0.1)], ctx);
    await before.apply(4 * MIN, [sample('a', 0.1)], ctx);
    const after = rule();
    after.restore([...before.active.values()], 4 * MIN + 20_000);
    await after.apply(4 * MIN + 30_000, [sample('a', 0.1)], ctx);
    expect(only(after).state).toBe('pending');
    await after.apply(5 * MIN, [sample('a', 0.1)], ctx);
    expect(only(after)).toMatchObject({ state: 'firing', activeAt: 0, firedAt: 5 * MIN });
  });

  test('a restored firing alert whose `for` grew past its age goes back to pending', async () => {
    const before = rule({ forMs: 0 });
    await before.apply(0, [sample('a', 1)], ctx);
    const after = rule({ forMs: 10 * MIN });
    after.restore([...before.active.values()], 2 * MIN);
    expect(only(after).state).toBe('pending');
    expect(only(after).firedAt).toBeUndefined();
  });
});
