/**
 * The evaluator's lease hook: a replica evaluates only the groups whose lease it holds, and a
 * replica that gains a group continues its `for` clocks from the store; the other follows the
 * group's state from the store, so its router holds the same alerts.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmbeddedDatasource } from '../../src/datasource/index.js';
import { Evaluator, type Alert, type GroupLeases } from '../../src/eval/index.js';
import type { RuleGroup } from '../../src/rules/index.js';
import { SqliteStore } from '../../src/store/index.js';
import { MemoryStore } from '../../src/tsdb/index.js';
import { scratchDir } from '../support/scratch.js';
import { waitFor } from '../support/wait.js';

const group: RuleGroup = {
  name: 'g',
  interval: '1s',
  source: { file: 'rules/g.yaml', line: 1 },
  rules: [{ kind: 'alerting', alert: 'High', expr: 'x > 1', for: '3s', labels: { severity: 'P2' }, annotations: {}, source: { file: 'rules/g.yaml', line: 3 } }],
};

test('two replicas share one group: only the holder evaluates it, and the one that takes over keeps the for clock', async () => {
  const samples = new MemoryStore();
  const now = Date.now();
  for (let t = now - 60_000; t < now + 60_000; t += 1_000) samples.add({ __name__: 'x', job: 'a' }, t, 2);
  const datasource = new EmbeddedDatasource(samples);
  const store = new SqliteStore(join(await scratchDir(join(tmpdir(), 'vigil-leases-')), 'vigil.db'));
  let holder = 'a';
  const leases = (me: string): GroupLeases => ({ holds: () => holder === me });
  const seen: Record<string, { ts: number; alerts: Alert[] }[]> = { a: [], b: [] };
  const followed: Record<string, { ts: number; alerts: Alert[] }[]> = { a: [], b: [] };
  const alertsOf = (g: { alertingRules(): { active: Map<string, Alert> }[] }) => g.alertingRules().flatMap((rule) => [...rule.active.values()]).map((a) => ({ ...a }));
  const replica = (me: string) =>
    new Evaluator([group], {
      datasource,
      store,
      leases: leases(me),
      onEvaluated: (g, r) => seen[me]!.push({ ts: r.ts, alerts: alertsOf(g) }),
      onFollowed: (g, ts) => followed[me]!.push({ ts, alerts: alertsOf(g) }),
    });
  const [a, b] = [replica('a'), replica('b')];
  a.start();
  b.start();
  try {
    const pending = await waitFor('a sees the alert pending', () => seen.a!.find((e) => e.alerts[0]?.state === 'pending')?.alerts[0], 10_000);
    expect(seen.b).toEqual([]);
    // b, not evaluating, follows a's state from the store
    await waitFor('b follows the pending alert', () => followed.b!.find((e) => e.alerts[0]?.activeAt === pending.activeAt), 10_000);
    const aEvaluations = seen.a!.length;
    holder = 'b';
    const fired = await waitFor('b fires it', () => seen.b!.find((e) => e.alerts[0]?.state === 'firing')?.alerts[0], 15_000);
    // the for clock continued: the alert became active when a first saw it, and fired 3 s after that
    expect(fired.activeAt).toBe(pending.activeAt);
    expect(fired.firedAt).toBeGreaterThanOrEqual(pending.activeAt + 3_000);
    // b's first evaluation already carried a's alert
    expect(seen.b![0]!.alerts[0]?.activeAt).toBe(pending.activeAt);
    // a stopped at its next tick (an evaluation under way when the lease moved may finish), and now follows b: firing, the same episode
    expect(seen.a!.length).toBeLessThanOrEqual(aEvaluations + 1);
    const mirrored = await waitFor('a follows b', () => followed.a!.find((e) => e.alerts[0]?.state === 'firing')?.alerts[0], 10_000);
    expect(mirrored).toMatchObject({ activeAt: pending.activeAt, firedAt: fired.firedAt });
  } finally {
    await Promise.all([a.stop(), b.stop()]);
    store.close();
  }
}, 30_000);
