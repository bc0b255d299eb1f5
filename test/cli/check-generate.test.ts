import { readdir, readFile, writeFile, mkdir } from 'node:fs/promises';
import { scratchDir } from '../support/scratch.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { vigil } from './run.js';

const scratch = () => scratchDir(join(tmpdir(), 'vigil-cli-'));

const BROKEN = `groups:
  - name: cost
    rules:
      - alert: A
        expr: sum(rate(agent_tokens_consumed_total[5m])) > 1
        for: five minutes
        labels: { severity: P2 }
        anotations: { summary: x }
`;

describe('vigil check', () => {
  test('the default pack in rules/ is valid: exit 0', async () => {
    const r = await vigil(['check']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('rules/error-spike.yaml: 1 group, 1 rule');
    expect(r.stdout).toContain('SUCCESS: 6 files valid');
  });

  test('an invalid file: exit 1 and every error listed with file:line:column', async () => {
    const dir = await scratch();
    await writeFile(join(dir, 'cost.yaml'), BROKEN);
    const r = await vigil(['check', join(dir, 'cost.yaml')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${dir}/cost.yaml:6:14: groups[0].rules[0].for: "five minutes" is not a duration (e.g. 5m, 1h30m)`);
    expect(r.stderr).toContain(`${dir}/cost.yaml:8:9: groups[0].rules[0].anotations: unknown field "anotations" (did you mean "annotations"?)`);
    expect(r.stderr).toContain('FAILED: 2 errors');
  });

  test('folders are searched for *.yaml and *.yml; valid and invalid files are reported together', async () => {
    const dir = await scratch();
    await mkdir(join(dir, 'nested'));
    await writeFile(join(dir, 'nested', 'ok.yml'), 'groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up == 0\n        labels: { severity: P3 }\n');
    await writeFile(join(dir, 'bad.yaml'), BROKEN);
    await writeFile(join(dir, 'notes.txt'), 'not a rule file');
    const r = await vigil(['check', dir, '--output', 'json']);
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout);
    expect(out.ok).toBe(false);
    expect(out.files).toEqual([{ file: join(dir, 'nested', 'ok.yml'), groups: [{ name: 'g', rules: 1 }] }]);
    expect(out.diagnostics.map((d: { file: string; line: number; path: string }) => [d.file, d.line, d.path])).toEqual([
      [join(dir, 'bad.yaml'), 6, 'groups[0].rules[0].for'],
      [join(dir, 'bad.yaml'), 8, 'groups[0].rules[0].anotations'],
    ]);
  });

  test('--config validates vigil.yaml too, and by default checks the rule files it names', async () => {
    const ok = await vigil(['check', '--config', 'vigil.yaml']);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('SUCCESS: 6 files valid');
    const dir = await scratch();
    await writeFile(join(dir, 'vigil.yaml'), 'datasource:\n  prometheus: { url: http://p:9090, timeout: soon }\nrule_files: [rules.yaml]\nroute: { receiver: nobody }\n');
    await writeFile(join(dir, 'rules.yaml'), BROKEN);
    const bad = await vigil(['check', '--config', join(dir, 'vigil.yaml')]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain(`${join(dir, 'vigil.yaml')}:2:46: datasource.prometheus.timeout: "soon" is not a duration`);
    expect(bad.stderr).toContain(`${join(dir, 'vigil.yaml')}:4:20: route.receiver: undefined receiver "nobody" used in route`);
    expect(bad.stderr).toContain('FAILED: 2 errors');
    // With a valid config, the rule files it names are checked (relative to the config's folder).
    await writeFile(join(dir, 'vigil.yaml'), 'datasource:\n  prometheus: { url: http://p:9090 }\nrule_files: [rules.yaml]\n');
    const rules = await vigil(['check', '-c', join(dir, 'vigil.yaml')]);
    expect(rules.code).toBe(1);
    expect(rules.stderr).toContain(`${join(dir, 'rules.yaml')}:6:14: groups[0].rules[0].for:`);
  });

  test("the config's rule_profile applies to the rule files it names; a file profile is relative to the config", async () => {
    const dir = await scratch();
    const rules = join(process.cwd(), 'rules');
    await writeFile(join(dir, 'vigil.yaml'), `datasource:\n  prometheus: { url: http://p:9090 }\nrule_files: [${rules}]\nrule_profile: otel-genai\n`);
    const ok = await vigil(['check', '-c', join(dir, 'vigil.yaml')]);
    expect(ok.code).toBe(0);
    await writeFile(join(dir, 'names.yaml'), 'vars:\n  agent_labl: job\n');
    await writeFile(join(dir, 'vigil.yaml'), `datasource:\n  prometheus: { url: http://p:9090 }\nrule_files: [${rules}]\nrule_profile: names.yaml\n`);
    const typo = await vigil(['check', '-c', join(dir, 'vigil.yaml')]);
    expect(typo.code).toBe(1);
    expect(typo.stderr).toContain(`profile ${join(dir, 'names.yaml')}: var agent_labl: no group`);
  });

  test('a path that does not exist is an error, not a silent success', async () => {
    const r = await vigil(['check', 'no/such/rules.yaml']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('error: no/such/rules.yaml: no such file or directory');
  });

  test('a bad flag value is a usage error naming the flag', async () => {
    const r = await vigil(['check', '--output', 'xml']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--output must be one of text, json; got "xml"');
  });
});

describe('vigil generate', () => {
  test('writes one plain Prometheus rule file per source file, extensions compiled away', async () => {
    const out = await scratch();
    const r = await vigil(['generate', '--out', out]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const names = (await readdir(out)).sort();
    expect(names).toEqual(['error-spike.yaml', 'hallucination.yaml', 'latency.yaml', 'token-cost.yaml', 'tool-failure.yaml', 'tool-selection-drift.yaml']);
    const text = await readFile(join(out, 'error-spike.yaml'), 'utf8');
    expect(text).toMatch(/^# Generated by `vigil generate` from rules\/error-spike.yaml/);
    expect(text).not.toMatch(/\$\{|vars:|runbook:/);
    const doc = parse(text);
    expect(Object.keys(doc.groups[0]).sort()).toEqual(['interval', 'name', 'rules']);
    const rule = doc.groups[0].rules[0];
    expect(rule.alert).toBe('AgentErrorRateSpike');
    expect(rule.for).toBe('5m');
    expect(rule.labels).toEqual({ severity: 'P1' });
    expect(rule.annotations.runbook_url).toBe('http://127.0.0.1:9095/runbooks/agent-error-rate-spike.md');
    expect(rule.expr).toContain('sum by (agent_id) (rate(agent_requests_total{status!="success"}[5m]))');
  });

  test('--var tunes a threshold without touching PromQL', async () => {
    const out = await scratch();
    const r = await vigil(['generate', '--out', out, '--var', 'error_ratio_threshold=0.1', 'rules/error-spike.yaml']);
    expect(r.code).toBe(0);
    const rule = parse(await readFile(join(out, 'error-spike.yaml'), 'utf8')).groups[0].rules[0];
    expect(rule.expr).toMatch(/\) > 0\.1\n/);
    expect(rule.annotations.description).toContain('{{ 0.1 | humanizePercentage }}');
  });

  test('--profile otel-genai switches every rule to the OpenTelemetry GenAI metrics and labels', async () => {
    const out = await scratch();
    const r = await vigil(['generate', '--out', out, '--profile', 'otel-genai']);
    expect(r.code).toBe(0);
    const expr = async (file: string) => parse(await readFile(join(out, file), 'utf8')).groups[0].rules[0].expr as string;
    expect(await expr('error-spike.yaml')).toContain('sum by (gen_ai_agent_name) (rate(gen_ai_invoke_agent_duration_seconds_count{error_type!=""}[5m]))');
    expect(await expr('latency.yaml')).toContain('sum by (gen_ai_agent_name, le) (rate(gen_ai_invoke_agent_duration_seconds_bucket{}[5m]))');
    expect(await expr('token-cost.yaml')).toContain('rate(gen_ai_client_token_usage_sum{}[15m])');
    expect(await expr('tool-failure.yaml')).toContain('sum by (gen_ai_agent_name, gen_ai_tool_name) (rate(gen_ai_execute_tool_duration_seconds_count{error_type!=""}[5m]))');
    expect(await expr('hallucination.yaml')).toContain('sum by (gen_ai_agent_name) (rate(agent_hallucination_total[15m]))');
    for (const file of await readdir(out)) expect(await readFile(join(out, file), 'utf8')).not.toMatch(/\bagent_id\b|\btool_name\b|agent_requests_total|agent_tool_calls_total/);
    const summary = parse(await readFile(join(out, 'tool-selection-drift.yaml'), 'utf8')).groups[0].rules[0].annotations.summary;
    expect(summary).toBe('Agent {{ $labels.gen_ai_agent_name }} calls tool {{ $labels.gen_ai_tool_name }} far less than usual');
  });

  test('--var wins over the profile; a profile file of your own works the same way', async () => {
    const dir = await scratch();
    await writeFile(join(dir, 'mine.yaml'), 'vars:\n  agent_label: job\n  window: 10m\n');
    const out = join(dir, 'out');
    const r = await vigil(['generate', '--out', out, '--profile', join(dir, 'mine.yaml'), '--var', 'window=2m', 'rules/error-spike.yaml']);
    expect(r.code).toBe(0);
    const rule = parse(await readFile(join(out, 'error-spike.yaml'), 'utf8')).groups[0].rules[0];
    expect(rule.expr).toContain('sum by (job) (rate(agent_requests_total{status!="success"}[2m]))');
  });

  test('a bad profile names the file, line and field, and nothing is written', async () => {
    const dir = await scratch();
    await writeFile(join(dir, 'bad.yaml'), 'vars:\n  agent_label: job\n  1window: 10m\nextra: true\n');
    const out = join(dir, 'out');
    const r = await vigil(['generate', '--out', out, '--profile', join(dir, 'bad.yaml')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${dir}/bad.yaml:4:1: extra: unknown field "extra"`);
    await expect(readdir(out)).rejects.toThrow(/ENOENT/);
    const unknown = await vigil(['check', '--profile', 'no-such-profile']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('no such profile (vigil ships: otel-genai; or give a file path)');
  });

  test('a profile var that no rule declares is an error, like an unknown --var', async () => {
    const dir = await scratch();
    await writeFile(join(dir, 'typo.yaml'), 'vars:\n  agent_lable: job\n');
    const r = await vigil(['check', '--profile', join(dir, 'typo.yaml')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`profile ${dir}/typo.yaml: var agent_lable: no group in rules/ declares a var "agent_lable"`);
  });

  test('--format prometheus-operator writes PrometheusRule manifests', async () => {
    const out = await scratch();
    const r = await vigil(['generate', '--out', out, '--format', 'prometheus-operator', '--namespace', 'monitoring', '--label', 'release=kube-prometheus']);
    expect(r.code).toBe(0);
    const doc = parse(await readFile(join(out, 'tool-selection-drift.yaml'), 'utf8'));
    expect(doc.apiVersion).toBe('monitoring.coreos.com/v1');
    expect(doc.kind).toBe('PrometheusRule');
    expect(doc.metadata).toEqual({
      name: 'tool-selection-drift',
      namespace: 'monitoring',
      labels: { 'app.kubernetes.io/managed-by': 'vigil', release: 'kube-prometheus' },
    });
    expect(doc.spec.groups[0].rules[0].alert).toBe('AgentToolSelectionDrift');
  });

  test('an invalid source writes nothing and exits 1', async () => {
    const dir = await scratch();
    const out = join(dir, 'out');
    await writeFile(join(dir, 'cost.yaml'), BROKEN);
    const r = await vigil(['generate', '--out', out, dir]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('FAILED: nothing written');
    await expect(readdir(out)).rejects.toThrow(/ENOENT/);
  });

  test('--out is required', async () => {
    const r = await vigil(['generate']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("required option '--out <dir>' not specified");
  });
});
