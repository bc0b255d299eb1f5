/**
 * Prometheus' template functions, with the cases of Prometheus'
 * template/template_test.go and prometheus/common's helpers/templates tests.
 * Prometheus' own tests run without the alert prelude; through expandTemplate
 * the prelude ({{$labels := .Labels}}... 112 bytes) is always there, so error
 * columns read 112 more than in template_test.go.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { checkTemplate, expandTemplate, type ExpandOptions, type TemplateData } from '../../src/template/index.js';
import type { Sample } from '../../src/datasource/index.js';

const data: TemplateData = { labels: { instance: 'a', job: 'api' }, value: 0.0512, externalURL: 'http://testhost:9090/path/prefix' };

function render(text: string, options: ExpandOptions = {}, d: TemplateData = data): Promise<string> {
  return expandTemplate('test', text, d, options);
}

function vector(...samples: [Record<string, string>, number][]): Sample[] {
  return samples.map(([metric, value]) => ({ metric, value }));
}

const execError = (col: number, context: string, msg: string) =>
  `<error expanding template: error executing template test: template: test:1:${col}: executing "test" at <${context}>: ${msg}>`;

describe("template_test.go's scenarios", () => {
  const metricA: [Record<string, string>, number] = [{ __name__: 'metric', instance: 'a' }, 11];
  const metricB: [Record<string, string>, number] = [{ __name__: 'metric', instance: 'b' }, 21];

  it.each<[string, string, Sample[]?]>([
    ['plain text', 'plain text'],
    ['{{ 1 }}', '1'],
    ['{{ "<b>" }}', '<b>'], // HTML escaping does not apply to alert (text) templates
    ['{{define "x"}}{{.arg0}} {{.arg1}}{{end}}{{template "x" (args 1 "2")}}', '1 2'],
    ['{{ query "1.5" | first | value }}', '1.5', vector([{}, 1.5])],
    ['{{ query "metric{instance=\'a\'}" | first | value }}', '11', vector(metricA)],
    ['{{ query "metric{instance=\'a\'}" | first | label "instance" }}', 'a', vector(metricA)],
    ['{{ query "metric{instance=\'a\'}" | first | label "foo" }}', '', vector(metricA)],
    ['{{ $x := query "metric" | first }}{{ $x.Labels.foo }}', '', vector(metricA)],
    ['{{ range query "metric" | sortByLabel "instance" }}{{.Labels.instance}}:{{.Value}}: {{end}}', 'a:11: b:21: ', vector(metricB, metricA)],
    ['{{ reReplaceAll "(a)b" "x$1" "ab" }}', 'xa'],
    ['{{ humanize 0.0 }}:{{ humanize 1.0 }}:{{ humanize 1234567.0 }}:{{ humanize .12 }}', '0:1:1.235M:120m'],
    ['{{ humanize1024 0.0 }}:{{ humanize1024 1.0 }}:{{ humanize1024 1048576.0 }}:{{ humanize1024 .12 }}', '0:1:1Mi:0.12'],
    ['{{ -0.22222 | humanizePercentage }}:{{ 0.0 | humanizePercentage }}:{{ 0.1234567 | humanizePercentage }}:{{ 1.23456 | humanizePercentage }}', '-22.22%:0%:12.35%:123.5%'],
    ['{{ 1435065584.128 | humanizeTimestamp }}', '2015-06-23 13:19:44.128 +0000 UTC'],
    ['{{ "aa bb CC" | title }}', 'Aa Bb CC'],
    ['{{ "aa bb CC" | toUpper }}', 'AA BB CC'],
    ['{{ "aA bB CC" | toLower }}', 'aa bb cc'],
    ['{{ match "a+" "aa" }} {{ match "a+" "b" }}', 'true false'],
    ['{{ graphLink "up" }}', '/graph?g0.expr=up&g0.tab=0'],
    ['{{ tableLink "up" }}', '/graph?g0.expr=up&g0.tab=1'],
    ['{{ pathPrefix }}', '/path/prefix'],
    ['{{ externalURL }}', 'http://testhost:9090/path/prefix'],
    ['{{ parseDuration "1h2m10ms" }}', '3720.01'],
    ['{{ "1h" | parseDuration }}', '3600'],
    ['{{ stripPort "foo.example.com:12345" }}', 'foo.example.com'],
    ['{{ stripPort "[2001:db8::1]:12345" }}', '2001:db8::1'],
    ['{{ stripPort "foo.example.com" }}', 'foo.example.com'],
    ['{{ stripDomain "foo.example.com" }}', 'foo'],
    ['{{ stripDomain "foo.example.com:12345" }}', 'foo:12345'],
    ['{{ stripDomain "192.0.2.1:12345" }}', '192.0.2.1:12345'],
    ['{{ stripDomain "[2001:db8::1]:12345" }}', '[2001:db8::1]:12345'],
    ['{{ ("1435065584.128" | toTime).Format "2006" }}', '2015'],
    ['{{ (1435065584.128 | toTime).Format "2006" }}', '2015'],
    ['{{ (1800 | toDuration).String }}', '30m0s'],
    ['{{ ("1800.0" | toDuration).String }}', '30m0s'],
  ])('%s', async (...row) => {
    const [text, expected, samples] = row;
    expect(await render(text, { query: async () => samples ?? [] })).toBe(expected);
  });

  it('reports an unparsable template', async () => {
    expect(await render('{{')).toBe('<error expanding template: error parsing template test: template: test:1: unclosed action>');
  });

  it('rejects a non-ASCII space in an action', async () => {
    expect(await render('{{\u00a0}}')).toBe('<error expanding template: error parsing template test: template: test:1: unrecognized character in action: U+00A0>');
  });

  it('reports an error returned by a function, at the command', async () => {
    expect(await render('{{ query "missing" | first }}', { query: async () => [] })).toBe(
      execError(133, 'first', 'error calling first: first() called on vector with no elements'),
    );
  });

  it('reports a field of a query result, at the last evaluated node', async () => {
    expect(await render('{{ (query "missing").banana }}', { query: async () => [] })).toBe(
      execError(122, '"missing"', "can't evaluate field banana in type template.queryResult"),
    );
  });

  it('has no tmpl function in alert templates (consoles only)', async () => {
    expect(await render('{{ define "a" }}x{{ end }}{{ $name := "a"}}{{ tmpl $name . }}')).toBe(
      '<error expanding template: error parsing template test: template: test:1: function "tmpl" not defined>',
    );
  });
});

describe('humanize functions (prometheus/common helpers/templates)', () => {
  it.each([
    // humanizeDuration: integers, floats, strings
    ['0', '0s'],
    ['1', '1s'],
    ['60', '1m 0s'],
    ['3600', '1h 0m 0s'],
    ['86400', '1d 0h 0m 0s'],
    ['90000', '1d 1h 0m 0s'],
    ['-188645', '-2d 4h 24m 5s'],
    ['899.99', '14m 59s'],
    ['.1', '100ms'],
    ['.0001', '100us'],
    ['.12345', '123.5ms'],
    ['60.1', '1m 0s'],
    ['60.5', '1m 0s'],
    ['1.2345', '1.234s'],
    ['12.345', '12.35s'],
    ['"0"', '0s'],
    ['"1"', '1s'],
    ['"60"', '1m 0s'],
    ['"3600"', '1h 0m 0s'],
    ['"86400"', '1d 0h 0m 0s'],
    ['".1"', '100ms'],
    ['".0001"', '100us'],
    ['".12345"', '123.5ms'],
    ['"60.1"', '1m 0s'],
    ['"1.2345"', '1.234s'],
    ['"12.345"', '12.35s'],
    ['-1', '-1s'],
    ['1234567', '14d 6h 56m 7s'],
    ['3725', '1h 2m 5s'],
    ['0.05', '50ms'],
  ])('humanizeDuration %s = %s', async (arg, expected) => {
    expect(await render(`{{ humanizeDuration ${arg} }}`)).toBe(expected);
  });

  it('reports a string that is not a number', async () => {
    expect(await render('{{ humanizeDuration "one" }}')).toBe(
      execError(115, 'humanizeDuration "one"', 'error calling humanizeDuration: strconv.ParseFloat: parsing "one": invalid syntax'),
    );
  });

  it.each([
    ['0', '1970-01-01 00:00:00 +0000 UTC'],
    ['-1', '1969-12-31 23:59:59 +0000 UTC'],
    ['1', '1970-01-01 00:00:01 +0000 UTC'],
    ['1234567', '1970-01-15 06:56:07 +0000 UTC'],
    ['9223372036', '2262-04-11 23:47:16 +0000 UTC'],
    ['"+Inf"', '+Inf'],
    ['"-Inf"', '-Inf'],
    ['"NaN"', 'NaN'],
    ['1435065584.128', '2015-06-23 13:19:44.128 +0000 UTC'],
    ['"1435065584.128"', '2015-06-23 13:19:44.128 +0000 UTC'],
  ])('humanizeTimestamp %s = %s', async (arg, expected) => {
    expect(await render(`{{ humanizeTimestamp ${arg} }}`)).toBe(expected);
  });

  it('reports a timestamp that overflows nanoseconds', async () => {
    expect(await render('{{ humanizeTimestamp 9223372036854775807 }}')).toBe(
      execError(
        115,
        'humanizeTimestamp 9223372036854775807',
        'error calling humanizeTimestamp: 9.223372036854776e+18 cannot be represented as a nanoseconds timestamp since it overflows int64',
      ),
    );
  });

  it.each([
    ['humanize 1234567', '1.235M'],
    ['humanize 0.0012', '1.2m'],
    ['humanize 1000', '1k'],
    ['humanize 999999', '1000k'],
    ['humanize -1234', '-1.234k'],
    ['humanize 1e30', '1e+06Y'],
    ['humanize "1234"', '1.234k'],
    ['humanize1024 1099511627776', '1Ti'],
    ['humanize1024 -2048', '-2ki'],
    ['humanizePercentage 0.0512', '5.12%'],
    ['humanizePercentage 1', '100%'],
    ['humanizePercentage 0.99995', '100%'],
    ['humanizeDuration 1e20', '-106751991167300d -15h -30m -8s'], // int64 overflow, as Go on amd64
    ['humanizeDuration 0.000001', '1us'],
  ])('%s = %s', async (call, expected) => {
    expect(await render(`{{ ${call} }}`)).toBe(expected);
  });

  it.each([
    ['{{ humanize $value }}', 'NaN', NaN],
    ['{{ humanize1024 $value }}', '+Inf', Infinity],
    ['{{ humanizeDuration $value }}', '-Inf', -Infinity],
    ['{{ humanizeTimestamp $value }}', 'NaN', NaN],
    ['{{ humanizePercentage $value }}', '+Inf%', Infinity],
    ['{{ $value }}', 'NaN', NaN],
    ['{{ $value }}', '+Inf', Infinity],
    ['{{ $value }}', '-Inf', -Infinity],
  ])('%s of %s', async (text, expected, value) => {
    expect(await render(text, {}, { labels: {}, value })).toBe(expected);
  });

  it('takes numbers, numeric strings and durations, and refuses the rest', async () => {
    expect(await render('{{ humanize "1e3" }} {{ humanize 1000 }} {{ humanize 1000.0 }}')).toBe('1k 1k 1k');
    expect(await render('{{ humanize true }}')).toBe(execError(115, 'humanize true', "error calling humanize: can't convert bool to float"));
    expect(await render('{{ humanize .Labels }}')).toBe(execError(115, 'humanize .Labels', "error calling humanize: can't convert map[string]string to float"));
  });
});

describe('time functions', () => {
  const now = Date.UTC(2015, 5, 23, 13, 19, 44, 128); // 1435065584.128

  it.each([
    ['{{ now }}', '1.435065584128e+09'],
    ['{{ now | toTime }}', '2015-06-23 13:19:44.128 +0000 UTC'],
    ['{{ ( "-30m" | parseDuration | toDuration | ( now | toTime ).Add ).UnixMilli }}', '1435063784128'],
    ['{{ ((toTime (now)).Add (toDuration (parseDuration "-30m"))).UnixMilli }}', '1435063784128'],
    ['{{ (now | toTime).Format "2006-01-02T15:04:05.000Z07:00" }}', '2015-06-23T13:19:44.128Z'],
    ['{{ (now | toTime).Format "Mon Jan _2 3:04PM MST 2006" }}', 'Tue Jun 23 1:19PM UTC 2015'],
    ['{{ (now | toTime).Weekday }} {{ (now | toTime).Month }} {{ (now | toTime).YearDay }}', 'Tuesday June 174'],
    ['{{ (toTime 0).Unix }}', '0'],
    ['{{ toDuration 90061 }}', '25h1m1s'],
    ['{{ 0.0015 | toDuration }}', '1.5ms'],
    ['{{ (toDuration 90).Minutes }}', '1.5'],
    ['{{ ((toTime 1800) | (toTime 0).Sub) }}', '-30m0s'],
  ])('%s', async (text, expected) => {
    expect(await render(text, { now })).toBe(expected);
  });

  it('refuses NaN as a time', async () => {
    expect(await render('{{ toTime "NaN" }}')).toBe(execError(115, 'toTime "NaN"', 'error calling toTime: value is NaN or Inf'));
  });

  it('does not humanize a *time.Duration, as Prometheus', async () => {
    expect(await render('{{ humanizeDuration (toDuration 90) }}')).toBe(
      execError(115, 'humanizeDuration (toDuration 90)', "error calling humanizeDuration: can't convert *time.Duration to float"),
    );
  });

  it('reports durations Prometheus does not parse', async () => {
    expect(await render('{{ parseDuration "1x" }}')).toBe(execError(115, 'parseDuration "1x"', 'error calling parseDuration: unknown unit "x" in duration "1x"'));
    expect(await render('{{ parseDuration "1m1h" }}')).toBe(execError(115, 'parseDuration "1m1h"', 'error calling parseDuration: not a valid duration string: "1m1h"'));
    expect(await render('{{ parseDuration "" }}')).toBe(execError(115, 'parseDuration ""', 'error calling parseDuration: empty duration string'));
  });
});

describe('title (cases.Title with NoLower, as current Prometheus)', () => {
  it.each([
    ['aa bb CC', 'Aa Bb CC'],
    ["it's o'neil", "It's O'neil"],
    ['hello-world foo_bar', 'Hello-World Foo_bar'],
    ['élan vital', 'Élan Vital'],
    ['CRITICAL', 'CRITICAL'],
  ])('%s', async (input, expected) => {
    expect(await render(`{{ title "${input}" }}`)).toBe(expected);
  });
});

describe("vigil's rule pack", () => {
  const labels = { agent_id: 'checkout-bot', tool_name: 'web_search' };

  it.each<[string, number, string]>([
    ['Agent {{ $labels.agent_id }} fails {{ $value | humanizePercentage }} of its requests', 0.0731, 'Agent checkout-bot fails 7.31% of its requests'],
    [
      '{{ $value | humanizePercentage }} of the requests of agent {{ $labels.agent_id }} failed over the last 5m (threshold {{ 0.05 | humanizePercentage }}, at 0.1 req/s or more).',
      0.2,
      '20% of the requests of agent checkout-bot failed over the last 5m (threshold 5%, at 0.1 req/s or more).',
    ],
    ['Agent {{ $labels.agent_id }} P99 latency is {{ $value | humanizeDuration }}', 12.3, 'Agent checkout-bot P99 latency is 12.3s'],
    ['Agent {{ $labels.agent_id }} P99 latency is {{ $value | humanizeDuration }}', 0.25, 'Agent checkout-bot P99 latency is 250ms'],
    ['Agent {{ $labels.agent_id }} P99 latency is {{ $value | humanizeDuration }}', 75, 'Agent checkout-bot P99 latency is 1m 15s'],
    ['Agent {{ $labels.agent_id }} burns {{ $value | humanize }} tokens/s', 1234.5, 'Agent checkout-bot burns 1.234k tokens/s'],
    ['Agent {{ $labels.agent_id }} burns {{ $value | humanize }} tokens/s', 87, 'Agent checkout-bot burns 87 tokens/s'],
    [
      'Tool {{ $labels.tool_name }} of agent {{ $labels.agent_id }} fails {{ $value | humanizePercentage }} of its calls',
      0.0333333,
      'Tool web_search of agent checkout-bot fails 3.333% of its calls',
    ],
    ['{{ 0.03 | humanizePercentage }}', 0, '3%'],
  ])('%s ($value %s)', async (text, value, expected) => {
    expect(await expandTemplate('__alert_AgentErrorRateSpike', text, { labels, value })).toBe(expected);
  });

  it('expands every label and annotation of rules/*.yaml without error', async () => {
    const dir = new URL('../../rules/', import.meta.url);
    const files = readdirSync(dir).filter((f) => f.endsWith('.yaml'));
    expect(files.length).toBeGreaterThan(0);
    let count = 0;
    for (const file of files) {
      const doc = parseYaml(readFileSync(new URL(file, dir), 'utf8')) as { groups: { vars?: Record<string, unknown>; rules: { labels?: Record<string, unknown>; annotations?: Record<string, unknown> }[] }[] };
      for (const group of doc.groups) {
        for (const rule of group.rules) {
          for (const raw of Object.values({ ...rule.labels, ...rule.annotations })) {
            const text = String(raw).replace(/\$\{(\w+)\}/g, (_, v: string) => String(group.vars?.[v] ?? '1'));
            expect(checkTemplate(text)).toBeUndefined();
            const got = await expandTemplate('__alert_X', text, { labels, value: 0.42 });
            expect(got).not.toContain('<error expanding template');
            count++;
          }
        }
      }
    }
    expect(count).toBeGreaterThan(10);
  });
});

describe('regexp: a local (?i) folds like Go (Unicode simple folding, classes too)', () => {
  it.each([
    ['{{ match "^a(?i:k)$" "a\u212a" }}', 'true'], // U+212A KELVIN SIGN folds to k
    ['{{ match "^a(?i:[a-z])$" "a\u017f" }}', 'true'], // U+017F LONG S folds to s
    ['{{ match "^a(?i:[[:upper:]])$" "ab" }}', 'true'],
    ['{{ match "^a(?i:[[:^lower:]])$" "aB" }}', 'false'],
    ['{{ match `^a(?i:\\W)$` "a\u212a" }}', 'false'],
    ['{{ match `^a(?i:\\w)$` "a\u212a" }}', 'true'],
  ])('%s', async (text, expected) => {
    expect(await render(text)).toBe(expected);
  });
});
