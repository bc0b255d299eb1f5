import { buildRouteTree, type RoutedAlert } from '../../src/route/index.js';
import { alertsRegion, groupAlerts, html, parseFilter, parseLabelSet, raw, type HeldAlert } from '../../src/ui/index.js';
import { safeUrl } from '../../src/ui/html.js';
import { renderMarkdown, runbookPage } from '../../src/ui/index.js';

const T = Date.UTC(2026, 11, 1, 9);

function held(labels: Record<string, string>, annotations: Record<string, string> = {}, state: HeldAlert['status']['state'] = 'active'): HeldAlert {
  const alert: RoutedAlert = { fingerprint: Object.values(labels).join('-'), labels, annotations, startsAt: T - 60_000, endsAt: T + 3600_000, updatedAt: T };
  return { alert, status: { state, silencedBy: [], inhibitedBy: [] }, receivers: [] };
}

const route = buildRouteTree({
  receiver: 'observe',
  group_by: ['alertname', 'agent_id'],
  routes: [
    { matchers: ['severity="P1"'], receiver: 'page', continue: true },
    { matchers: ['severity=~"P1|P2"'], receiver: 'triage' },
  ],
});

describe('html', () => {
  test('escapes every interpolation, inserts Html and arrays of it as they are', () => {
    const evil = `"><script>alert('x')</script>&`;
    expect(html`<a title="${evil}">${evil}</a>`.text).toBe(`<a title="&quot;&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;">&quot;&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;</a>`);
    expect(html`<ul>${['a<', 'b'].map((x) => html`<li>${x}</li>`)}</ul>`.text).toBe('<ul><li>a&lt;</li><li>b</li></ul>');
    expect(html`${raw('<b>')}${undefined}${false}${0}`.text).toBe('<b>0');
  });

  test('safeUrl keeps http(s) and same-site paths, drops javascript: and protocol-relative URLs', () => {
    expect(safeUrl('https://runbooks.example/x')).toBe('https://runbooks.example/x');
    expect(safeUrl('/runbooks/agent-error-rate')).toBe('/runbooks/agent-error-rate');
    expect(safeUrl('javascript:alert(1)')).toBeUndefined();
    expect(safeUrl('//evil.example/')).toBeUndefined();
  });
});

describe('alerts page', () => {
  test('groups as the routing tree does: one card per aggregation group, a continue route shows the alert twice, P1 first', () => {
    const groups = groupAlerts(
      [held({ alertname: 'Tool', severity: 'P3', agent_id: 'a' }), held({ alertname: 'Err', severity: 'P1', agent_id: 'a' }), held({ alertname: 'Err', severity: 'P1', agent_id: 'b' })],
      route,
    );
    expect(groups.map((g) => [g.receiver, g.labels])).toEqual([
      ['page', { agent_id: 'a', alertname: 'Err' }],
      ['page', { agent_id: 'b', alertname: 'Err' }],
      ['triage', { agent_id: 'a', alertname: 'Err' }],
      ['triage', { agent_id: 'b', alertname: 'Err' }],
      ['observe', { agent_id: 'a', alertname: 'Tool' }],
    ]);
  });

  test('the filter takes matcher syntax and names what is wrong', () => {
    expect(parseFilter('{severity="P1", agent_id=~"a.*"}').matchers).toHaveLength(2);
    expect(parseFilter('{severity=~"("}').error).toMatch(/^filter: .*invalid regular expression/);
    const region = alertsRegion({
      held: [held({ alertname: 'Err', severity: 'P1', agent_id: 'a' }, { summary: '<img src=x onerror=alert(1)>', runbook_url: 'javascript:alert(1)' }), held({ alertname: 'Tool', severity: 'P3', agent_id: 'b' })],
      route,
      now: T,
      filter: '{agent_id="a"}',
      view: 'table',
      silences: new Map(),
      marks: new Map(),
      tickets: new Map(),
      tokenRequired: false,
    }).text;
    expect(region).toContain('1 of 2 alerts match');
    expect(region).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(region).not.toContain('javascript:');
    expect(region).not.toContain('data-alertname="Tool"');
  });
});

test('draws the most severe groups first up to the limit, and says how many more there are', () => {
  const many = Array.from({ length: 30 }, (_, i) => held({ alertname: 'Err', severity: i === 29 ? 'P1' : 'P3', agent_id: `a${i}` }));
  const input = { held: many, route, now: T, filter: '', view: 'groups' as const, silences: new Map(), marks: new Map(), tickets: new Map(), tokenRequired: false };
  const region = alertsRegion({ ...input, limit: 10 }).text;
  expect(region.match(/<section class="group/g)).toHaveLength(10);
  expect(region).toMatch(/<section class="group sev-P1"/);
  // the P1 alert is in two groups: its route has continue: true
  expect(region).toContain('Showing the first 10 of 31 groups');
  expect(region).toContain('href="/?view=groups&amp;limit=all"');
  expect(alertsRegion({ ...input, limit: 'all' }).text.match(/<section class="group/g)).toHaveLength(31);
});

describe('routing tester', () => {
  test('takes a label set; a matcher that is not name="value" is refused by name', () => {
    expect(parseLabelSet('{severity="P1", agent_id="a"}')).toEqual({ labels: { severity: 'P1', agent_id: 'a' } });
    expect(parseLabelSet('{severity=~"P1"}').error).toBe('labels: severity=~"P1" is a =~ matcher; an alert has plain name="value" labels');
    expect(parseLabelSet('').error).toMatch(/at least one label/);
  });
});

describe('runbooks', () => {
  test('markdown becomes HTML without anything that runs', async () => {
    const out = await renderMarkdown('# T\n\n<script>alert(1)</script>\n\n<img src=x onerror="alert(1)">\n\n[x](javascript:alert(1)) [ok](https://example.org/)\n\n```promql\nup == 0\n```\n');
    expect(out).toContain('<h1>T</h1>');
    expect(out).toContain('<a href="https://example.org/">ok</a>');
    expect(out).toMatch(/<pre><code class="language-promql">up == 0/);
    expect(out).not.toMatch(/<script|onerror|javascript:/);
  });

  test('a shipped runbook by name, with or without .md; nothing outside runbooks/', async () => {
    expect((await runbookPage('agent-error-rate-spike.md', false))!.text).toContain('<h1>AgentErrorRateSpike — P1</h1>');
    expect(await runbookPage('agent-error-rate-spike', false)).toBeDefined();
    expect(await runbookPage('../README', false)).toBeUndefined();
    expect(await runbookPage('no-such-runbook', false)).toBeUndefined();
  });
});
