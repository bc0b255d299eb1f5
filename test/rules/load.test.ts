import { formatDiagnostic, parseRuleFile, loadRuleFiles, renderVar } from '../../src/rules/index.js';

/** Loads YAML text and returns its diagnostics as a user reads them. */
function problems(text: string, file = 'rules/test.yaml'): string[] {
  return parseRuleFile(file, text).diagnostics.map(formatDiagnostic);
}

const rule = (extra: string) => `groups:
  - name: g
    rules:
      - alert: A
        expr: up == 0
        labels:
          severity: P1
${extra}`;

describe('rule file validation', () => {
  test('a duration that is not one names file, line, column and field', () => {
    const text = `groups:
  - name: cost
    rules:
      - alert: A
        expr: up == 0
        labels: { severity: P2 }
      - alert: B
        expr: up == 0
        for: five minutes
        labels: { severity: P2 }
`;
    expect(problems(text, 'rules/cost.yaml')).toEqual([
      'rules/cost.yaml:9:14: groups[0].rules[1].for: "five minutes" is not a duration (e.g. 5m, 1h30m)',
    ]);
  });

  test('an unknown key is an error at the key, with the likely intended name', () => {
    expect(problems(rule('        anotations:\n          summary: hi\n'))).toEqual([
      'rules/test.yaml:8:9: groups[0].rules[0].anotations: unknown field "anotations" (did you mean "annotations"?)',
    ]);
  });

  test('severity must be P1, P2 or P3, and must be there', () => {
    const bad = `groups:
  - name: g
    rules:
      - alert: A
        expr: up == 0
        labels:
          severity: critical
      - alert: B
        expr: up == 0
`;
    expect(problems(bad)).toEqual([
      'rules/test.yaml:7:21: groups[0].rules[0].labels.severity: "critical" is not a vigil severity; use P1 (page), P2 (ticket) or P3 (observe)',
      'rules/test.yaml:8:9: groups[0].rules[1]: alerting rules need a "severity" label: P1 (page), P2 (ticket) or P3 (observe)',
    ]);
  });

  test('a PromQL error inside a block scalar points at its line in the file', () => {
    const text = `groups:
  - name: g
    rules:
      - alert: A
        expr: |
          sum by (agent_id) (rate(agent_requests_total[5m]))
            > bool
        labels: { severity: P1 }
`;
    const [d, ...rest] = parseRuleFile('r.yaml', text).diagnostics;
    expect(rest).toEqual([]);
    expect(d.severity).toBe('error');
    expect(d.path).toBe('groups[0].rules[0].expr');
    expect(d.message).toMatch(/^PromQL: /);
    expect(d.line).toBe(7);
  });

  test('every error of a file is listed, in file order', () => {
    const text = `groups:
  - name: g
    interval: 1 minute
    rules:
      - alert: A
        expr: rate(up)
        labels: { severity: P4 }
      - record: job:up
        expr: sum(up)
        for: 5m
  - name: g
    rules: []
`;
    const ds = parseRuleFile('r.yaml', text).diagnostics;
    expect(ds.map((d) => [d.line, d.path])).toEqual([
      [3, 'groups[0].interval'],
      [6, 'groups[0].rules[0].expr'],
      [7, 'groups[0].rules[0].labels.severity'],
      [10, 'groups[0].rules[1].for'],
      [11, 'groups[1].name'],
    ]);
    expect(ds[3].message).toBe('"for" is only for alerting rules; this is a recording rule');
    expect(ds[4].message).toBe('group "g" is repeated in the same file; group names must be unique');
  });

  test('YAML syntax errors name the line', () => {
    const [d] = parseRuleFile('r.yaml', 'groups:\n  - name: g\n    rules: [\n').diagnostics;
    expect(d.severity).toBe('error');
    expect(d.message).toMatch(/^YAML: /);
    expect(d.line).toBeGreaterThanOrEqual(3);
  });

  test('a rule needs alert or record, and not both', () => {
    const text = `groups:
  - name: g
    rules:
      - expr: up
      - alert: A
        record: a
        expr: up
        labels: { severity: P1 }
`;
    expect(problems(text)).toEqual([
      'rules/test.yaml:4:9: groups[0].rules[0]: a rule needs "alert" (an alerting rule) or "record" (a recording rule)',
      'rules/test.yaml:5:9: groups[0].rules[1]: a rule has either "alert" or "record", not both',
    ]);
  });

  test('bad names are rejected', () => {
    const text = `groups:
  - name: g
    rules:
      - alert: Agent Down
        expr: up == 0
        labels: { severity: P1, 1team: x }
`;
    expect(problems(text)).toEqual([
      'rules/test.yaml:4:16: groups[0].rules[0].alert: "Agent Down" is not a valid alert name (letters, digits, _ and :, e.g. AgentErrorRateSpike)',
      'rules/test.yaml:6:33: groups[0].rules[0].labels.1team: "1team" is not a valid label name (letters, digits and _, not starting with a digit)',
    ]);
  });

  test('templates are parsed as Prometheus parses them: a typo in a function name is an error', () => {
    expect(problems(rule('        annotations:\n          summary: "{{ $value | humanizePercentag }}"\n'))).toEqual([
      'rules/test.yaml:9:33: groups[0].rules[0].annotations.summary: template: function "humanizePercentag" not defined',
    ]);
    expect(problems(rule('        annotations:\n          summary: "agent {{ $labels.agent_id"\n'))[0]).toMatch(/^rules\/test.yaml:9:\d+: groups\[0\].rules\[0\].annotations.summary: template: unclosed action/);
  });
});

describe('vigil extensions', () => {
  const pack = (vars: string, expr: string, extra = '') => `groups:
  - name: g
    vars:
${vars}
    rules:
      - alert: A
        expr: |
${expr}
        labels: { severity: P1 }
${extra}`;

  test('vars are substituted into expr, labels and annotations and compile away', () => {
    const text = `groups:
  - name: g
    vars: { window: 5m, threshold: 0.05, team: agents }
    rules:
      - alert: A
        expr: rate(agent_requests_total[\${window}]) > \${threshold}
        labels: { severity: P1, team: "\${team}" }
        annotations: { summary: "over \${threshold} in \${window}, not $\${literal}" }
`;
    const { file, diagnostics } = parseRuleFile('r.yaml', text);
    expect(diagnostics).toEqual([]);
    const r = file!.groups[0].rules[0];
    expect(r.expr).toBe('rate(agent_requests_total[5m]) > 0.05');
    expect(r.labels).toEqual({ severity: 'P1', team: 'agents' });
    expect(r.kind === 'alerting' && r.annotations.summary).toBe('over 0.05 in 5m, not ${literal}');
  });

  test('an undefined var is an error at the reference, naming the vars there are', () => {
    const text = pack('      window: 5m', '          sum(rate(agent_requests_total[${windw}]))\n            > 1');
    expect(problems(text)).toEqual([
      'rules/test.yaml:4:7: warning: groups[0].vars.window: variable "window" is never used',
      'rules/test.yaml:8:41: groups[0].rules[0].expr: undefined variable "windw" (this group defines: window)',
    ]);
  });

  test('a PromQL error after substitution points at the source, not the substituted text', () => {
    const text = pack('      window: 5m', '          sum(rate(agent_requests_total[${window}])) >');
    const [d] = parseRuleFile('r.yaml', text).diagnostics;
    expect(d.line).toBe(8);
    expect(d.message).toMatch(/^PromQL:/);
  });

  test('a list var renders as an escaped regex alternation for =~ matchers', () => {
    expect(renderVar(['search', 'db.query', 'pay(v2)'])).toBe('search|db\\\\.query|pay\\\\(v2\\\\)');
    const text = pack('      tools: [search, db.query]', '          sum(rate(agent_tool_calls_total{tool_name=~"${tools}"}[5m])) > 0');
    const { file, diagnostics } = parseRuleFile('r.yaml', text);
    expect(diagnostics).toEqual([]);
    expect(file!.groups[0].rules[0].expr).toBe('sum(rate(agent_tool_calls_total{tool_name=~"search|db\\\\.query"}[5m])) > 0');
  });

  test('runbook becomes runbook_url against runbook_base_url, or stays absolute', () => {
    const text = `groups:
  - name: g
    vars: { runbook_base_url: "https://runbooks.example.org/agents/" }
    rules:
      - alert: A
        expr: up == 0
        labels: { severity: P1 }
        runbook: a.md
      - alert: B
        expr: up == 0
        labels: { severity: P1 }
        runbook: https://wiki.example.org/b
`;
    const { file, diagnostics } = parseRuleFile('r.yaml', text);
    expect(diagnostics).toEqual([]);
    const [a, b] = file!.groups[0].rules;
    expect(a.kind === 'alerting' && a.annotations.runbook_url).toBe('https://runbooks.example.org/agents/a.md');
    expect(b.kind === 'alerting' && b.annotations.runbook_url).toBe('https://wiki.example.org/b');
  });

  test('a relative runbook without runbook_base_url links to vigil\'s own runbooks: serve\'s external URL, or the default; --var still wins', () => {
    const text = `groups:
  - name: g
    rules:
      - alert: A
        expr: up == 0
        labels: { severity: P1 }
        runbook: a.md
`;
    const url = (options: Parameters<typeof parseRuleFile>[2]) => {
      const { file, diagnostics, overridesUsed } = parseRuleFile('r.yaml', text, options);
      expect(diagnostics).toEqual([]);
      const a = file!.groups[0].rules[0];
      return [a.kind === 'alerting' && a.annotations.runbook_url, [...overridesUsed]];
    };
    expect(url({})).toEqual(['http://127.0.0.1:9095/runbooks/a.md', []]);
    expect(url({ runbookBaseURL: 'https://vigil.example.org/runbooks' })).toEqual(['https://vigil.example.org/runbooks/a.md', []]);
    // a --var for a group that does not declare it is used here, so it is not reported as a typo
    expect(url({ runbookBaseURL: 'https://vigil.example.org/runbooks', vars: new Map([['runbook_base_url', 'https://wiki.example.org/rb/']]) })).toEqual(['https://wiki.example.org/rb/a.md', ['runbook_base_url']]);
  });

  test('a runbook next to runbook_url is an error', () => {
    expect(problems(rule('        runbook: https://x.example/a\n        annotations: { runbook_url: https://x.example/b }\n'))).toEqual([
      'rules/test.yaml:8:9: groups[0].rules[0].runbook: set either "runbook" or the "runbook_url" annotation, not both',
    ]);
  });
});

describe('the default rule pack', () => {
  test('loads with no errors and no warnings', async () => {
    const result = await loadRuleFiles(['rules/']);
    expect(result.diagnostics.map(formatDiagnostic)).toEqual([]);
    expect(result.problems).toEqual([]);
    const alerts = result.files.flatMap((f) => f.groups.flatMap((g) => g.rules)).map((r) => (r.kind === 'alerting' ? [r.alert, r.labels.severity] : []));
    expect(alerts.sort()).toEqual([
      ['AgentErrorRateSpike', 'P1'],
      ['AgentHallucinationTrend', 'P3'],
      ['AgentP99LatencySpike', 'P1'],
      ['AgentTokenCostSpike', 'P2'],
      ['AgentToolCallFailureSpike', 'P2'],
      ['AgentToolSelectionDrift', 'P3'],
    ]);
  });

  test('every alert has summary, description and runbook_url, and no ${...} is left', async () => {
    const result = await loadRuleFiles(['rules/']);
    for (const r of result.files.flatMap((f) => f.groups.flatMap((g) => g.rules))) {
      if (r.kind !== 'alerting') continue;
      expect(Object.keys(r.annotations).sort()).toEqual(['description', 'runbook_url', 'summary']);
      expect(JSON.stringify(r)).not.toMatch(/\$\{/);
    }
  });

  test('a --var override changes every group that declares it, and an unknown one is a problem', async () => {
    const result = await loadRuleFiles(['rules/'], { vars: new Map<string, string | number>([['min_request_rate', 2], ['min_reqest_rate', 1]]) });
    const exprs = result.files.flatMap((f) => f.groups.flatMap((g) => g.rules.map((r) => r.expr)));
    expect(exprs.filter((e) => e.includes('>= 2')).length).toBe(3);
    expect(result.problems).toEqual(['--var min_reqest_rate: no group in rules/ declares a var "min_reqest_rate"']);
  });
});
