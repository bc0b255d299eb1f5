/** `vigil test`: promtool rule unit-test files run in-process, with promtool's verdicts and output. */
import { mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { vigil } from '../cli/run.js';

const RULES = `groups:
  - name: g
    rules:
      - record: job:up:sum
        expr: sum without (instance) (up)
      - alert: Down
        expr: up == \${down}
        for: 2m
        labels: { severity: P1 }
        annotations: { summary: "{{ $labels.instance }} down {{ $value }} in {{ $externalLabels.env }} {{ $externalURL }}" }
    vars:
      down: 0
  - name: second
    rules:
      - record: job:up:sum2
        expr: job:up:sum * 2
`;

const PASSING = `rule_files: [rules/*.yaml]
evaluation_interval: 1m
group_eval_order: [g, second]
tests:
  - name: foo goes down
    interval: 1m
    external_labels: { env: prod }
    external_url: http://vigil.example
    input_series:
      - series: 'up{job="node",instance="foo"}'
        values: '1 1 0 0 0 0 0 stale'
      - series: 'up{job="node",instance="bar"}'
        values: '1+0x10'
    alert_rule_test:
      - eval_time: 3m
        alertname: Down
        exp_alerts: []
      - eval_time: 4m30s
        alertname: Down
        exp_alerts:
          - exp_labels: { severity: P1, instance: foo, job: node }
            exp_annotations: { summary: "foo down 0 in prod http://vigil.example" }
      - eval_time: 8m
        alertname: Down
        exp_alerts: []
    promql_expr_test:
      - expr: job:up:sum
        eval_time: 1m
        exp_samples:
          - labels: 'job:up:sum{job="node"}'
            value: 2
      # evaluated in group_eval_order: the second group sees the first's result of the same instant
      - expr: job:up:sum2
        eval_time: 2m
        exp_samples:
          - labels: 'job:up:sum2{job="node"}'
            value: 2
      - expr: ALERTS
        eval_time: 4m
        exp_samples:
          - labels: 'ALERTS{alertname="Down", alertstate="firing", instance="foo", job="node", severity="P1"}'
            value: 1
      - expr: ALERTS_FOR_STATE
        eval_time: 4m
        exp_samples:
          - labels: 'ALERTS_FOR_STATE{alertname="Down", instance="foo", job="node", severity="P1"}'
            value: 120
      # resolved: a staleness marker ends the ALERTS series at once, not after the 5m lookback
      - expr: ALERTS
        eval_time: 8m
        exp_samples: []
  - name: other
    interval: 1m
    input_series:
      - series: 'up{job="x",instance="a"}'
        values: '1 _x3 1'
    promql_expr_test:
      - expr: count_over_time(up[10m])
        eval_time: 4m
        exp_samples:
          - labels: '{instance="a", job="x"}'
            value: 2
`;

describe('vigil test', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vigil-ruletest-'));
    await mkdir(join(dir, 'rules'));
    await writeFile(join(dir, 'rules', 'rules.yaml'), RULES);
    await writeFile(join(dir, 'pass.yaml'), PASSING);
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  test('a passing file: rule globs relative to the test file, vars compiled, recording rules, ALERTS, templates', async () => {
    const r = await vigil(['test', join(dir, 'pass.yaml')]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(`Unit Testing:  ${join(dir, 'pass.yaml')}\n  SUCCESS\n\n`);
    expect(r.code).toBe(0);
  });

  test('a failing file exits 1 with promtool\'s exp/got report; --junit records it', async () => {
    const failing = PASSING.replace('summary: "foo down 0 in prod http://vigil.example"', 'summary: "foo down 1 in prod http://vigil.example"').replace('value: 2\n      # evaluated', 'value: 3\n      # evaluated');
    await writeFile(join(dir, 'fail.yaml'), failing);
    const junit = join(dir, 'junit.xml');
    const r = await vigil(['test', join(dir, 'fail.yaml'), join(dir, 'pass.yaml'), '--junit', junit]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe(`Unit Testing:  ${join(dir, 'fail.yaml')}\n\n\n\nUnit Testing:  ${join(dir, 'pass.yaml')}\n  SUCCESS\n\n`);
    expect(r.stderr).toBe(
      [
        '  FAILED:',
        '    name: foo goes down,',
        '    alertname: Down, time: 4m30s, ',
        '        exp:[',
        '            0:',
        '              Labels:{alertname="Down", instance="foo", job="node", severity="P1"}',
        '              Annotations:{summary="foo down 1 in prod http://vigil.example"}',
        '            ], ',
        '        got:[',
        '            0:',
        '              Labels:{alertname="Down", instance="foo", job="node", severity="P1"}',
        '              Annotations:{summary="foo down 0 in prod http://vigil.example"}',
        '            ]',
        '    expr: "job:up:sum", time: 1m,',
        '        exp: {__name__="job:up:sum", job="node"} 3E+00',
        '        got: {__name__="job:up:sum", job="node"} 2E+00',
        '',
      ].join('\n'),
    );
    const xml = await readFile(junit, 'utf8');
    expect(xml).toContain(`<testsuite name="${join(dir, 'fail.yaml')}" tests="2" failures="1">`);
    expect(xml).toContain('<testcase name="foo goes down"');
    expect(xml).toContain('<failure message="name: foo goes down,">');
    expect(xml).toContain(`<testsuite name="${join(dir, 'pass.yaml')}" tests="2" failures="0">`);
  });

  test('--run selects test groups by name', async () => {
    const failing = PASSING.replace('value: 2\n      # evaluated', 'value: 3\n      # evaluated');
    await writeFile(join(dir, 'fail2.yaml'), failing);
    expect((await vigil(['test', join(dir, 'fail2.yaml'), '--run', '^oth'])).code).toBe(0);
    expect((await vigil(['test', join(dir, 'fail2.yaml'), '--run', 'goes'])).code).toBe(1);
    const bad = await vigil(['test', join(dir, 'fail2.yaml'), '--run', '(?<=x)']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--run "(?<=x)"');
  });

  test('an evaluation error stops the test group and is reported with rule and time', async () => {
    await writeFile(join(dir, 'rules-dup.yaml'), 'groups:\n  - name: d\n    rules:\n      - record: dup\n        expr: label_replace(up, "instance", "", "instance", ".*")\n');
    await writeFile(join(dir, 'dup.yaml'), "rule_files: [rules-dup.yaml, nomatch*.yaml]\ntests:\n  - interval: 1m\n    input_series:\n      - series: 'up{instance=\"a\"}'\n        values: '1x5'\n      - series: 'up{instance=\"b\"}'\n        values: '1x5'\n    promql_expr_test:\n      - expr: up\n        eval_time: 2m\n");
    const r = await vigil(['test', join(dir, 'dup.yaml')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`  WARNING: no file match pattern ${join(dir, 'nomatch*.yaml')}\n  FAILED:\n    rule: dup, time: 0s, err: vector cannot contain metrics with the same labelset\n`);
  });

  test('bad test files are refused naming file, line and field', async () => {
    await writeFile(join(dir, 'bad.yaml'), "rule_files: [rules/*.yaml]\ntests:\n  - interval: 1x\n    input_series:\n      - series: 'up'\n        vaules: '1'\n    promql_expr_test:\n      - expr: up\n        exp_samples:\n          - labels: up\n            value: NaN\n");
    const r = await vigil(['test', join(dir, 'bad.yaml')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${join(dir, 'bad.yaml')}:6:9: tests[0].input_series[0].vaules: unknown field "vaules" (did you mean "values"?)`);
    await writeFile(join(dir, 'bad2.yaml'), "tests:\n  - interval: 1x\n    promql_expr_test:\n      - expr: up\n        exp_samples:\n          - labels: up\n            value: NaN\n");
    const r2 = await vigil(['test', join(dir, 'bad2.yaml')]);
    expect(r2.stderr).toContain('bad2.yaml:2:15: tests[0].interval: "1x" is not a duration');
    expect(r2.stderr).toContain('bad2.yaml:7:20: tests[0].promql_expr_test[0].exp_samples[0].value: must be a number (YAML writes NaN as .nan');
    await writeFile(join(dir, 'bad3.yaml'), "tests:\n  - input_series:\n      - series: 'up{a=\"b\"'\n        values: '1 two'\n");
    const r3 = await vigil(['test', join(dir, 'bad3.yaml')]);
    expect(r3.code).toBe(1);
    expect(r3.stderr).toContain('input series "up{a=\\"b\\"": expected "," or "}"');
  });
});
