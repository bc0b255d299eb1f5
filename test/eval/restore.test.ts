import { tmpdir } from 'node:os';
import { scratchDir } from '../support/scratch.js';
import { join } from 'node:path';
import { PrometheusDatasource } from '../../src/datasource/index.js';
import { Evaluator, type Alert, type Clock } from '../../src/eval/index.js';
import type { RuleGroup } from '../../src/rules/index.js';
import { SqliteStore } from '../../src/store/index.js';

const MIN = 60_000;
const group: RuleGroup = {
  name: 'g',
  source: { file: 'rules/g.yaml', line: 1 },
  rules: [{ kind: 'alerting', alert: 'A', expr: 'x > 1', for: '5m', labels: { severity: 'P2' }, annotations: {}, source: { file: 'rules/g.yaml', line: 3 } }],
};
const pending: Alert = { fingerprint: 'f', labels: { alertname: 'A', severity: 'P2' }, annotations: {}, state: 'pending', value: 2, activeAt: 0 };

function evaluatorAt(now: number, store: SqliteStore): Evaluator {
  const clock: Clock = { now: () => now, sleep: async () => {} };
  // restore() reads only the store; the datasource is never queried here.
  return new Evaluator([group], { datasource: new PrometheusDatasource({ url: 'http://127.0.0.1:1' }), store, clock, outageToleranceMs: 60 * MIN });
}

describe('restoring alert state at start', () => {
  let store: SqliteStore;
  beforeEach(async () => {
    store = new SqliteStore(join(await scratchDir(join(tmpdir(), 'vigil-restore-')), 'vigil.db'));
    store.saveGroupState({ groupKey: 'rules/g.yaml;g', lastEvaluation: 4 * MIN, alerts: [{ rule: 'A', alert: pending }] });
  });
  afterEach(() => store.close());

  test('within the outage tolerance the alerts come back with their for clocks', async () => {
    const e = evaluatorAt(30 * MIN, store);
    expect(await e.restore()).toEqual({ restored: 1, discarded: 0 });
    expect([...e.groups[0].alertingRules()[0].active.values()]).toEqual([pending]);
  });

  test('after a longer outage state is discarded: the past is not trusted', async () => {
    const e = evaluatorAt(4 * MIN + 61 * MIN, store);
    expect(await e.restore()).toEqual({ restored: 0, discarded: 1 });
    expect(e.groups[0].alertingRules()[0].active.size).toBe(0);
  });
});
