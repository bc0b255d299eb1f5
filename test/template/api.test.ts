/**
 * expandTemplate and checkTemplate as the rest of vigil uses them: the
 * datasource behind `query`, options, the guarantee never to throw, and
 * parse-only checks with positions for `vigil check`.
 */
import { checkTemplate, expandTemplate, type QueryFn } from '../../src/template/index.js';
import type { Sample } from '../../src/datasource/index.js';

const data = { labels: { agent_id: 'a1', instance: 'host.example.com:9090' }, value: 0.0512 };

function fakeQuery(results: Record<string, Sample[] | Error>): QueryFn & { calls: string[] } {
  const calls: string[] = [];
  const fn = async (expr: string) => {
    calls.push(expr);
    const r = results[expr];
    if (r === undefined) throw new Error(`no series for ${expr}`);
    if (r instanceof Error) throw r;
    return r;
  };
  return Object.assign(fn, { calls });
}

const upSeries: Sample[] = [
  { metric: { __name__: 'up', instance: 'b:9090' }, value: 1 },
  { metric: { __name__: 'up', instance: 'a:9090' }, value: 0 },
];

describe('query', () => {
  it('runs the expression through the injected QueryFn', async () => {
    const query = fakeQuery({ up: upSeries });
    expect(await expandTemplate('__alert_A', '{{ range query "up" | sortByLabel "instance" }}{{ .Labels.instance }}={{ .Value }} {{ end }}', data, { query })).toBe('a:9090=0 b:9090=1 ');
    expect(query.calls).toEqual(['up']);
  });

  it('builds the expression from labels, as rules usually do', async () => {
    const query = fakeQuery({ 'agent_requests_total{agent_id="a1"}': [{ metric: { agent_id: 'a1' }, value: 1234.5 }] });
    const text = '{{ printf "agent_requests_total{agent_id=%q}" $labels.agent_id | query | first | value | humanize }} req';
    expect(await expandTemplate('__alert_A', text, data, { query })).toBe('1.234k req');
    expect(query.calls).toEqual(['agent_requests_total{agent_id="a1"}']);
  });

  it('asks each distinct expression once per expansion, even inside a range over another query', async () => {
    const query = fakeQuery({
      up: upSeries,
      'x{instance="a:9090"}': [{ metric: {}, value: 10 }],
      'x{instance="b:9090"}': [{ metric: {}, value: 20 }],
    });
    const text = '{{ range query "up" }}{{ .Labels.instance }}:{{ printf "x{instance=%q}" .Labels.instance | query | first | value }};{{ end }}|{{ len (query "up") }}';
    expect(await expandTemplate('__alert_A', text, data, { query })).toBe('b:9090:20;a:9090:10;|2');
    expect(query.calls).toEqual(['up', 'x{instance="b:9090"}', 'x{instance="a:9090"}']);
  });

  it('gives every query call its own result, as Prometheus (sorting one does not sort the other)', async () => {
    const query = fakeQuery({ up: upSeries });
    const text = '{{ $s := query "up" | sortByLabel "instance" }}{{ (index $s 0).Labels.instance }} {{ (index (query "up") 0).Labels.instance }}';
    expect(await expandTemplate('__alert_A', text, data, { query })).toBe('a:9090 b:9090');
  });

  it('does not call the datasource for templates without query', async () => {
    const query = fakeQuery({});
    expect(await expandTemplate('__alert_A', '{{ $labels.agent_id }} {{ $value | humanizePercentage }}', data, { query })).toBe('a1 5.12%');
    expect(query.calls).toEqual([]);
  });

  it('renders a failing query as a function error', async () => {
    const query = fakeQuery({ up: new Error('query timed out in expression evaluation') });
    expect(await expandTemplate('__alert_A', 'x {{ query "up" | len }}', data, { query })).toBe(
      '<error expanding template: error executing template __alert_A: template: __alert_A:1:117: executing "__alert_A" at <query "up">: error calling query: query timed out in expression evaluation>',
    );
  });

  it('renders query without a datasource as a function error', async () => {
    expect(await expandTemplate('__alert_A', '{{ query "up" }}', data)).toBe(
      '<error expanding template: error executing template __alert_A: template: __alert_A:1:115: executing "__alert_A" at <query "up">: error calling query: query is not available in this context>',
    );
  });

  it('handles an empty result as Prometheus: with/else, first() errors', async () => {
    const query = fakeQuery({ none: [] });
    expect(await expandTemplate('__alert_A', '{{ with query "none" }}{{ . | first | value }}{{ else }}no data{{ end }}', data, { query })).toBe('no data');
    expect(await expandTemplate('__alert_A', '{{ query "none" | first | value }}', data, { query })).toBe(
      '<error expanding template: error executing template __alert_A: template: __alert_A:1:130: executing "__alert_A" at <first>: error calling first: first() called on vector with no elements>',
    );
  });
});

describe('options and data', () => {
  it('uses the evaluation time for now', async () => {
    const now = Date.UTC(2024, 0, 2, 3, 4, 5, 500);
    expect(await expandTemplate('__alert_A', '{{ now | humanizeTimestamp }} {{ (now | toTime).Format "15:04" }}', data, { now })).toBe('2024-01-02 03:04:05.5 +0000 UTC 03:04');
  });

  it('truncates float seconds to milliseconds as Prometheus does (…05.678 as a float64 is a hair below)', async () => {
    const now = Date.UTC(2024, 0, 2, 3, 4, 5, 678);
    expect(await expandTemplate('__alert_A', '{{ now | humanizeTimestamp }}', data, { now })).toBe('2024-01-02 03:04:05.677 +0000 UTC');
  });

  it('derives pathPrefix from externalURL unless given', async () => {
    const d = { ...data, externalURL: 'https://prom.example.com/prometheus/' };
    expect(await expandTemplate('__alert_A', '{{ externalURL }} {{ pathPrefix }} {{ $externalURL }} {{ .ExternalURL }}', d)).toBe(
      'https://prom.example.com/prometheus/ /prometheus/ https://prom.example.com/prometheus/ https://prom.example.com/prometheus/',
    );
    expect(await expandTemplate('__alert_A', '{{ pathPrefix }}', d, { pathPrefix: '/other' })).toBe('/other');
    expect(await expandTemplate('__alert_A', '[{{ pathPrefix }}][{{ externalURL }}]', data)).toBe('[][]');
  });

  it('exposes external labels', async () => {
    const d = { ...data, externalLabels: { cluster: 'eu-1' } };
    expect(await expandTemplate('__alert_A', '{{ $externalLabels.cluster }} {{ .ExternalLabels.cluster }} [{{ $externalLabels.nope }}]', d)).toBe('eu-1 eu-1 []');
  });

  it('prints label values verbatim, whatever they hold', async () => {
    const d = { labels: { msg: '{{ not a template }} 100% <b> "q" é' }, value: 1 };
    expect(await expandTemplate('__alert_A', '{{ $labels.msg }}', d)).toBe('{{ not a template }} 100% <b> "q" é');
  });

  it('uses the name given for each expansion in error texts, though parses are cached by text', async () => {
    const text = '{{ .Nope }}';
    const a = await expandTemplate('__alert_One', text, data);
    const b = await expandTemplate('__alert_Two', text, data);
    expect(a).toContain('error executing template __alert_One: template: __alert_One:1:115: executing "__alert_One"');
    expect(b).toContain('error executing template __alert_Two: template: __alert_Two:1:115: executing "__alert_Two"');
    expect(await expandTemplate('__alert_Two', '{{ nosuch }}', data)).toBe(
      '<error expanding template: error parsing template __alert_Two: template: __alert_Two:1: function "nosuch" not defined>',
    );
  });

  it('renders the same text the same way on every expansion', async () => {
    const text = 'Agent {{ $labels.agent_id }} fails {{ $value | humanizePercentage }}';
    const outs = await Promise.all([0.01, 0.5, 0.01].map((value) => expandTemplate('__alert_A', text, { labels: { agent_id: 'x' }, value })));
    expect(outs).toEqual(['Agent x fails 1%', 'Agent x fails 50%', 'Agent x fails 1%']);
  });
});

describe('never throws', () => {
  it.each([
    ['{{ ' + '('.repeat(5000) + '1' + ')'.repeat(5000) + ' }}', 'max expression depth exceeded'],
    ['{{ define "t" }}{{ template "t" . }}{{ end }}{{ template "t" 1 }}', 'exceeded maximum template depth (100000)'],
    ['{{ index (args) "x" | len }}', 'error calling len'],
  ])('%#', async (text, fragment) => {
    const got = await expandTemplate('__alert_A', text, data);
    expect(got.startsWith('<error expanding template: ')).toBe(true);
    expect(got).toContain(fragment);
  });

  it('survives a QueryFn that throws synchronously', async () => {
    const query = (() => {
      throw new Error('sync failure');
    }) as unknown as QueryFn;
    expect(await expandTemplate('__alert_A', '{{ query "up" }}', data, { query })).toContain('error calling query: sync failure');
  });
});

describe('checkTemplate', () => {
  it('accepts valid templates, including the prelude variables', () => {
    expect(checkTemplate('Agent {{ $labels.agent_id }} fails {{ $value | humanizePercentage }}')).toBeUndefined();
    expect(checkTemplate('{{ $externalLabels.x }}{{ $externalURL }}{{ query "up" | first | value }}')).toBeUndefined();
    expect(checkTemplate('no actions at all')).toBeUndefined();
  });

  it('does not report execution errors (they depend on data)', () => {
    expect(checkTemplate('{{ .Nope }}{{ humanize "x" }}')).toBeUndefined();
  });

  it.each([
    ['ok {{ nosuch }}', 'function "nosuch" not defined', 6],
    ['ok {{ if 1 }}', 'unexpected EOF', 13],
    ['{{ $x }}', 'undefined variable "$x"', 6], // the offset is that of the last token read, where Go takes the line from
    ['a {{ 1 | 2 }}', 'non executable command in pipeline stage 2', 11],
    ['{{ "unterminated }}', 'unterminated quoted string', 3],
    ['{{ end }}', 'unexpected {{end}}', 7],
    ['abc {{ ', 'unclosed action', 7],
    ['x\n{{ if\ntrue', 'unclosed action started at line 2', 12],
  ])('%j', (text, message, offset) => {
    expect(checkTemplate(text)).toEqual({ message, offset });
  });
});
