// Needs PostgreSQL (Debian package postgresql): fails in CI without it, skipped elsewhere.
/** The evaluator's lease hook on the PostgreSQL store: the replica that takes a group over continues its for clock from what the other one wrote. */
import { EmbeddedDatasource } from '../../src/datasource/index.js';
import { Evaluator, type Alert, type GroupLeases } from '../../src/eval/index.js';
import type { RuleGroup } from '../../src/rules/index.js';
import { PostgresStore } from '../../src/store/index.js';
import { MemoryStore } from '../../src/tsdb/index.js';
import { waitFor } from '../support/wait.js';
import { requirePostgresOrSkip, startPostgres, type PostgresInstance } from './support/postgres.js';

const describePg = requirePostgresOrSkip('evaluator leases on PostgreSQL') ? describe : describe.skip;

const group: RuleGroup = {
  name: 'g',
  interval: '1s',
  source: { file: 'rules/g.yaml', line: 1 },
  rules: [{ kind: 'alerting', alert: 'High', expr: 'vector(time()) > 0', for: '4s', labels: { severity: 'P2' }, annotations: {}, source: { file: 'rules/g.yaml', line: 3 } }],
};

describePg('evaluation handed over between replicas on PostgreSQL', () => {
  let server: PostgresInstance;
  beforeAll(async () => {
    server = await startPostgres();
  }, 120_000);
  afterAll(() => server?.stop());

  test('the replica that takes a group over keeps the for clock the other one started', async () => {
    const datasource = new EmbeddedDatasource(new MemoryStore());
    const stores = await Promise.all(['a', 'b'].map((replicaId) => PostgresStore.open({ url: server.url, replicaId })));
    let holder = 'a';
    const seen: Record<string, Alert[][]> = { a: [], b: [] };
    const replica = (me: string, i: number) =>
      new Evaluator([group], {
        datasource,
        store: stores[i]!,
        leases: { holds: () => holder === me } satisfies GroupLeases,
        onEvaluated: (g) => seen[me]!.push(g.alertingRules().flatMap((rule) => [...rule.active.values()]).map((a) => ({ ...a }))),
      });
    const [a, b] = [replica('a', 0), replica('b', 1)];
    a.start();
    b.start();
    try {
      const pending = await waitFor('a sees it pending', () => seen.a!.find((as) => as[0]?.state === 'pending')?.[0], 10_000);
      await stores[0]!.flush();
      holder = 'b';
      const first = await waitFor('b evaluates', () => seen.b![0], 10_000);
      expect(first[0]?.activeAt).toBe(pending.activeAt);
      const fired = await waitFor('b fires it', () => seen.b!.find((as) => as[0]?.state === 'firing')?.[0], 10_000);
      expect(fired.activeAt).toBe(pending.activeAt);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
      await Promise.all(stores.map((s) => s.close()));
    }
  }, 60_000);
});
