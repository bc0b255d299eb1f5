// The engine in Prometheus 2.x mode (`prometheus2`) against the real promtool 2.42: seeded random
// data and queries (selectors with every matcher kind, range functions, aggregations, binary
// operators with matching, subqueries, offsets, @) become a promtool `promql_expr_test` file whose
// expected samples are the engine's answers; promtool must agree within 1e-6 relative.
// promtool compares floats exactly, so differences in the last bits (2.42 sums without
// compensation; Go's and V8's exp/pow round differently) are read from its output and allowed.
// Needs promtool (Debian package prometheus): fails in CI without it, skipped elsewhere.
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';
import { instantQuery } from '../../src/promql/index.js';
import { appendSequence, MemoryStore, parseSeriesLine } from '../../src/tsdb/index.js';
import { requireOrSkip } from '../integration/support/prometheus.js';
import { scratchDir } from '../support/scratch.js';

function rng(seed: number) {
  let s = seed;
  const next = () => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648;
  return { next, pick: <T>(a: T[]): T => a[Math.floor(next() * a.length)] };
}

function data(r: ReturnType<typeof rng>): string[] {
  const lines: string[] = [];
  for (const job of ['api', 'db']) {
    for (const inst of ['0', '1', '2']) {
      for (const status of ['ok', 'err']) {
        let v = 0;
        const vals: string[] = [];
        for (let k = 0; k < 60; k++) {
          // Counter resets and gaps; one series ends with a staleness marker.
          if (r.next() < 0.03) v = Math.floor(r.next() * 3);
          else v += Math.floor(r.next() * (status === 'ok' ? 50 : 5));
          vals.push(r.next() < 0.05 ? '_' : String(v));
        }
        if (job === 'db' && inst === '2' && status === 'err') vals.push('stale');
        lines.push(`req_total{job="${job}",instance="${inst}",status="${status}"} ${vals.join(' ')}`);
      }
      lines.push(`temp{job="${job}",instance="${inst}"} ${Array.from({ length: 60 }, () => (r.next() * 100 - 20).toFixed(2)).join(' ')}`);
      const les = ['0.1', '0.5', '1', '5', '+Inf'];
      const acc = les.map(() => 0);
      const cols: number[][] = les.map(() => []);
      for (let k = 0; k < 60; k++) {
        let c = 0;
        for (let b = 0; b < les.length; b++) {
          c += Math.floor(r.next() * 10);
          acc[b] += c;
          cols[b].push(acc[b]);
        }
      }
      les.forEach((le, b) => lines.push(`lat_bucket{job="${job}",instance="${inst}",le="${le}"} ${cols[b].join(' ')}`));
    }
  }
  return lines;
}

function query(r: ReturnType<typeof rng>): string {
  const { pick } = r;
  const sel = () => pick(['req_total', 'req_total{status="err"}', 'req_total{job=~"a.*"}', 'req_total{instance!="1"}', 'req_total{job!~"db"}']);
  const gsel = () => pick(['temp', 'temp{job="api"}', 'temp{instance=~"0|2"}']);
  const range = () => pick(['1m', '2m', '5m', '10m', '30m']);
  const by = () => pick(['', ' by (job)', ' by (job, instance)', ' without (instance)', ' without (status)', ' by (status)']);
  const templates: (() => string)[] = [
    () => `${pick(['rate', 'increase', 'irate', 'resets', 'changes'])}(${sel()}[${range()}])`,
    () => `${pick(['delta', 'idelta', 'deriv', 'avg_over_time', 'min_over_time', 'max_over_time', 'sum_over_time', 'count_over_time', 'stddev_over_time', 'last_over_time', 'present_over_time'])}(${gsel()}[${range()}])`,
    () => `${pick(['sum', 'avg', 'min', 'max', 'count', 'stddev', 'stdvar', 'group'])}${by()} (rate(${sel()}[${range()}]))`,
    () => `${pick(['sum', 'avg', 'min', 'max', 'count', 'stddev'])}${by()} (${gsel()})`,
    () => `sum by (job) (rate(req_total{status="err"}[${range()}])) / on (job) sum by (job) (rate(req_total[${range()}]))`,
    () => `rate(req_total{status="err"}[5m]) / ignoring (status) rate(req_total{status="ok"}[5m])`,
    () => `${gsel()} ${pick(['>', '<', '>=', '==', '!='])} ${pick(['bool ', ''])}${pick(['20', '50', 'temp offset 5m'])}`,
    () => `${gsel()} ${pick(['+', '-', '*', '/', '%', '^', 'atan2'])} ${pick(['2', '-1.5', 'temp offset 3m', 'on(job, instance) temp{job="api"}'])}`,
    () => `histogram_quantile(${pick(['0.5', '0.9', '0.99', '0'])}, sum by (le${pick(['', ', job'])}) (rate(lat_bucket[${range()}])))`,
    () => `${pick(['topk', 'bottomk'])}(${pick(['1', '2', '3'])}, ${gsel()})`,
    () => `quantile${by()} (${pick(['0.1', '0.5', '0.95'])}, ${gsel()})`,
    () => `count_values${by()} ("v", round(${gsel()}))`,
    () => `${pick(['max_over_time', 'avg_over_time', 'rate'])}(${pick(['temp', 'req_total'])}[${pick(['10m', '30m'])}:${pick(['1m', '2m', '3m'])}]${pick(['', ' offset 5m'])})`,
    () => `temp and ${pick(['on(job) temp{instance="0"} > 30', 'temp > 10', 'on() vector(1)'])}`,
    () => `temp{job="api"} or ${pick(['temp{job="db"}', 'vector(0)', 'on(instance) temp'])}`,
    () => `temp unless ${pick(['temp > 40', 'on(job) temp{job="db"}'])}`,
    () => `${pick(['abs', 'ceil', 'floor', 'sqrt', 'exp', 'ln', 'sgn', 'round'])}(${gsel()})`,
    () => `clamp(${gsel()}, ${pick(['0', '10'])}, ${pick(['30', '50'])})`,
    () => `predict_linear(${gsel()}[${range()}], ${pick(['60', '600'])})`,
    () => `label_replace(${gsel()}, "x", "$1-x", "instance", "(.*)")`,
    () => `label_join(${gsel()}, "x", ",", "job", "instance")`,
    () => `absent(${pick(['nope', 'temp', 'nope{job="a"}'])})`,
    () => `absent_over_time(${pick(['nope', 'temp', 'req_total{job="db",instance="2",status="err"}'])}[${range()}])`,
    () => `${gsel()} offset ${pick(['1m', '7m', '-2m'])}`,
    () => `${pick(['sum', 'max'])}(temp @ ${pick(['600', '1200', 'start()', 'end()'])})`,
    () => `sum by (job, instance) (temp) / on (job) group_left sum by (job) (temp)`,
    () => `sum by (job) (temp) * on (job) group_right sum by (job, instance) (temp)`,
    () => `scalar(sum(temp)) * ${gsel()}`,
    () => `timestamp(${gsel()})`,
    () => `${gsel()} > bool scalar(avg(temp))`,
  ];
  return pick(templates)();
}

const promtoolThere = requireOrSkip('the engine against promtool', ['promtool']);

(promtoolThere ? describe : describe.skip)('the engine against promtool 2.42', () => {
  test('agrees on 600 random instant queries within 1e-6', async () => {
    const r = rng(20261206);
    const series = data(r);
    const store = storeOf(series);
    const tests: PromtoolTest[] = [];
    while (tests.length < 600) {
      const test = expected(store, query(r), r.pick([5, 15, 31, 45, 59, 62, 66]) * 60);
      if (test) tests.push(test);
    }
    expect(await disagreements(series, tests)).toEqual([]);
  });

  test('an offset or @ in the middle of an operator chain binds to its selector only, as in Prometheus', async () => {
    const series = data(rng(7));
    const store = storeOf(series);
    const queries = [
      'req_total or temp offset 1m * 3',
      'temp - temp offset 5m / 2',
      'temp + temp @ 600 * 2 - 1',
      'temp > bool temp offset 1m + 10',
      'temp unless temp{job="api"} offset 1m + 1',
      'temp and temp offset 2m > 10 or req_total',
      '-temp offset 1m ^ 2',
      '-temp offset 1m * 2',
      'req_total offset 1m ^ 0.5 ^ 2',
    ];
    const tests = queries.flatMap((q) => [900, 2700].map((at) => expected(store, q, at)!));
    expect(tests.every((t) => t.exp_samples.length > 0)).toBe(true);
    expect(await disagreements(series, tests)).toEqual([]);
  });
});

interface PromtoolTest {
  expr: string;
  eval_time: string;
  exp_samples: { labels: string; value: number }[];
}

function storeOf(series: string[]): MemoryStore {
  const store = new MemoryStore();
  for (const line of series) {
    const { labels, values } = parseSeriesLine(line);
    appendSequence(store, labels, values, { startMs: 0, intervalMs: 60_000 });
  }
  return store;
}

/** The engine's answer as a promtool expectation; undefined when promtool cannot spell it (NaN, ±Inf). */
function expected(store: MemoryStore, expr: string, atSeconds: number): PromtoolTest | undefined {
  const res = instantQuery(store, expr, atSeconds * 1000, { prometheus2: true });
  if (res.value.type !== 'vector') throw new Error(`${expr}: ${res.value.type}`);
  if (res.value.samples.some((s) => !Number.isFinite(s.value))) return undefined;
  return {
    expr,
    eval_time: `${atSeconds}s`,
    exp_samples: res.value.samples.map((s) => ({
      labels: `{${Object.keys(s.labels).sort().map((k) => `${k}=${JSON.stringify(s.labels[k])}`).join(', ')}}`,
      value: s.value,
    })),
  };
}

/** Runs the expectations through promtool; what it disagrees on beyond 1e-6 relative. */
async function disagreements(series: string[], tests: PromtoolTest[]): Promise<string[]> {
  const dir = await scratchDir('/tmp/vigil-promql-agreement-');
  const file = path.join(dir, 'agreement.yaml');
  const input = series.map((l) => ({ series: l.slice(0, l.indexOf('} ') + 1), values: l.slice(l.indexOf('} ') + 2) }));
  writeFileSync(file, stringify({ rule_files: [], evaluation_interval: '1m', tests: [{ interval: '1m', input_series: input, promql_expr_test: tests }] }));
  const out = await new Promise<string>((resolve) => {
    execFile('promtool', ['test', 'rules', file], { maxBuffer: 64 * 1024 * 1024 }, (_err, stdout, stderr) => resolve(stdout + stderr));
  });
  const blocks = [...out.matchAll(/expr: "(.*?)", time: (\S+),\n\s+exp: (.*)\n\s+got: (.*)\n/g)];
  // Everything promtool printed must be such a block: no other kind of failure.
  if (!/SUCCESS/.test(out)) expect(out.split('expr: "').length - 1).toBe(blocks.length);
  const samples = (text: string) => new Map([...text.matchAll(/(\{[^}]*\}) (\S+?)(?:, |$)/g)].map((m) => [m[1], Number(m[2])]));
  const found: string[] = [];
  for (const [, expr, time, exp, got] of blocks) {
    const a = samples(exp);
    const b = samples(got);
    const same = a.size === b.size && [...a].every(([k, x]) => b.has(k) && Math.abs(x - b.get(k)!) <= 1e-6 * Math.max(Math.abs(x), Math.abs(b.get(k)!)));
    if (!same) found.push(`${expr} at ${time}:\n  vigil:    ${exp}\n  promtool: ${got}`);
  }
  return found;
}
