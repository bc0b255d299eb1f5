import { PrometheusDatasource, type Datasource } from '../../src/datasource/index.js';
import { Evaluator, type Clock } from '../../src/eval/index.js';
import type { RuleGroup } from '../../src/rules/index.js';
import { requireOrSkip, startPrometheus, type PrometheusInstance } from '../integration/support/prometheus.js';

const MIN = 60_000;
const describeProm = requireOrSkip('evaluation scheduler against a real Prometheus') ? describe : describe.skip;

/** Time moves only when the scheduler sleeps or a query "takes" time. */
class ManualClock implements Clock {
  constructor(public t: number) {}
  now() {
    return this.t;
  }
  async sleep(ms: number, signal?: AbortSignal) {
    if (!signal?.aborted) this.t += Math.max(0, ms);
  }
}

const group: RuleGroup = {
  name: 'sched',
  interval: '1m',
  source: { file: 'rules/sched.yaml', line: 1 },
  rules: [{ kind: 'alerting', alert: 'Up', expr: 'vigil_test_up == 1', labels: { severity: 'P3' }, annotations: {}, source: { file: 'rules/sched.yaml', line: 3 } }],
};

describeProm('evaluation scheduling', () => {
  let prom: PrometheusInstance;
  const now = Date.now();
  beforeAll(async () => {
    const samples: [number, number][] = [];
    for (let t = now - 3 * 3_600_000; t < now; t += 15_000) samples.push([t, 1]);
    prom = await startPrometheus({ series: [{ metric: 'vigil_test_up', labels: { job: 'x' }, type: 'gauge', samples }] });
  }, 60_000);
  afterAll(() => prom?.stop());

  test('ticks are aligned to the interval; a slow evaluation skips the ticks it overran and counts them, never overlapping', async () => {
    const clock = new ManualClock(now - 2 * 3_600_000 + 12_345);
    const real = new PrometheusDatasource({ url: prom.url });
    const evaluated: number[] = [];
    const missed: number[] = [];
    let stopped: Promise<void> | undefined;
    // The real Prometheus answers; the second evaluation is made to take 150s of clock time.
    const slow: Datasource = {
      instantQuery: async (expr, time, opts) => {
        if (evaluated.length === 1) clock.t += 150_000;
        return real.instantQuery(expr, time, opts);
      },
      rangeQuery: (...args) => real.rangeQuery(...args),
    };
    const evaluator: Evaluator = new Evaluator([group], {
      datasource: slow,
      clock,
      onEvaluated: (_g, result) => {
        evaluated.push(result.ts);
        if (evaluated.length === 4) stopped = evaluator.stop();
      },
      onMissed: (_g, n) => missed.push(n),
    });
    evaluator.start();
    await new Promise<void>((resolve) => {
      const poll = setInterval(() => stopped && (clearInterval(poll), resolve()), 10);
    });
    await stopped;
    const offset = evaluated[0] % MIN;
    expect(evaluated.every((ts) => ts % MIN === offset)).toBe(true);
    expect(evaluated[0]).toBeGreaterThan(now - 2 * 3_600_000 + 12_345);
    // The 2nd evaluation ran 150s: the tick at +1m passed unevaluated (missed), the one at +2m
    // is evaluated late with its own timestamp, as Prometheus' group loop does; then back on the grid.
    expect(evaluated.slice(1).map((ts, i) => (ts - evaluated[i]) / MIN)).toEqual([1, 2, 1]);
    expect(missed).toEqual([1]);
    expect(evaluator.groups[0].rules[0].status.health).toBe('ok');
  }, 30_000);
});
