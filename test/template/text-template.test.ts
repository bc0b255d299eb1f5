/**
 * Go text/template semantics (cases in the spirit of Go's exec_test.go and
 * parse_test.go, on alert data), including what newer Go added: else with
 * (1.23), range over an integer (1.24), comparison errors naming the types.
 * Error columns include the 112 bytes of Prometheus' alert prelude.
 */
import { expandTemplate } from '../../src/template/index.js';

const NAME = '__alert_T';
const data = { labels: { job: 'api', a: 'a', b: 'b' }, value: 0.0512 };
const render = (text: string) => expandTemplate(NAME, text, data);

const parseError = (msg: string, line = 1) => `<error expanding template: error parsing template ${NAME}: template: ${NAME}:${line}: ${msg}>`;
const execError = (col: number, context: string, msg: string, line = 1) =>
  `<error expanding template: error executing template ${NAME}: template: ${NAME}:${line}:${col}: executing "${NAME}" at <${context}>: ${msg}>`;

describe('text, actions and constants', () => {
  it.each([
    ['', ''],
    ['some text', 'some text'],
    ['{{.Labels.job}}', 'api'],
    ['{{$.Labels.job}}', 'api'],
    ['{{$}}', '{map[a:a b:b job:api] map[]  0.0512}'],
    ['{{ 1 }} {{ -1 }} {{ 1.5 }} {{ 1e3 }} {{ 0x10 }} {{ 010 }} {{ 0b101 }} {{ 1_000 }}', '1 -1 1.5 1000 16 8 5 1000'],
    ["{{ 'a' }} {{ '\\n' }} {{ true }} {{ false }}", '97 10 true false'],
    ['{{ "quoted\\tstring" }} {{ `raw\\tstring` }}', 'quoted\tstring raw\\tstring'],
    ['{{ 1+2i }}', '(1+2i)'],
  ])('%j', async (text, expected) => {
    expect(await render(text)).toBe(expected);
  });
});

describe('variables', () => {
  it.each([
    ['{{$x := 1}}{{$x}}', '1'],
    ['{{$x := "a"}}{{$x = "b"}}{{$x}}', 'b'],
    ['{{$x := "a"}}{{if true}}{{$x := "b"}}{{$x}}{{end}}{{$x}}', 'ba'],
    ['{{$x := "a"}}{{if true}}{{$x = "b"}}{{end}}{{$x}}', 'b'],
    ['{{with $x := .Labels.job}}{{$x}}{{end}}', 'api'],
    ['{{$x := 0}}{{range $i, $v := .Labels}}{{$x = $i}}{{end}}{{$x}}', 'job'],
  ])('%j', async (text, expected) => {
    expect(await render(text)).toBe(expected);
  });
});

describe('if, with, range', () => {
  it.each([
    ['{{if true}}TRUE{{end}}', 'TRUE'],
    ['{{if false}}TRUE{{else}}FALSE{{end}}', 'FALSE'],
    ['{{if 1}}NON-ZERO{{else}}ZERO{{end}}', 'NON-ZERO'],
    ['{{if 0}}NON-ZERO{{else}}ZERO{{end}}', 'ZERO'],
    ['{{if 1.5}}NON-ZERO{{else}}ZERO{{end}}', 'NON-ZERO'],
    ['{{if 0.0}}NON-ZERO{{else}}ZERO{{end}}', 'ZERO'],
    ['{{if ""}}NON-EMPTY{{else}}EMPTY{{end}}', 'EMPTY'],
    ['{{if `notempty`}}NON-EMPTY{{else}}EMPTY{{end}}', 'NON-EMPTY'],
    ['{{if .Labels}}NON-EMPTY{{else}}EMPTY{{end}}', 'NON-EMPTY'],
    ['{{if .ExternalLabels}}NON-EMPTY{{else}}EMPTY{{end}}', 'EMPTY'],
    ['{{if $labels.missing}}SET{{else}}UNSET{{end}}', 'UNSET'],
    ['{{if eq .Labels.job "api"}}API{{else if eq .Labels.job "db"}}DB{{else}}OTHER{{end}}', 'API'],
    ['{{if eq .Labels.job "x"}}X{{else if eq .Labels.job "api"}}API{{else}}OTHER{{end}}', 'API'],
    ['{{with ""}}{{.}}{{else}}EMPTY{{end}}', 'EMPTY'],
    ['{{with .Labels.job}}{{.}}{{end}}', 'api'],
    ['{{with .Labels.nope}}a{{else with .Labels.job}}{{.}}{{end}}', 'api'],
    ['{{range .Labels}}-{{.}}-{{end}}', '-a--b--api-'],
    ['{{range $k, $v := .Labels}}{{$k}}={{$v}};{{end}}', 'a=a;b=b;job=api;'],
    ['{{range .ExternalLabels}}x{{else}}EMPTY{{end}}', 'EMPTY'],
    ['{{range $i := 3}}{{$i}}{{end}}', '012'],
    ['{{range 0}}x{{else}}none{{end}}', 'none'],
    ['{{range .Labels}}{{if eq . "a"}}{{continue}}{{end}}{{.}}{{end}}', 'bapi'],
    ['{{range .Labels}}{{.}}{{break}}{{end}}', 'a'],
    ['{{range $k, $v := .Labels}}{{range $i := 2}}{{if eq $i 1}}{{break}}{{end}}{{$k}}{{end}}{{end}}', 'abjob'],
  ])('%j', async (text, expected) => {
    expect(await render(text)).toBe(expected);
  });
});

describe('define, template, block', () => {
  it.each([
    ['{{define "t"}}[{{.}}]{{end}}{{template "t" "x"}}{{template "t"}}', '[x][<no value>]'],
    ['{{template "t" 1}}{{define "t"}}T{{.}}{{end}}', 'T1'],
    ['{{block "b" .Labels.job}}<{{.}}>{{end}}', '<api>'],
    ['{{define "x"}}{{.arg0}} {{.arg1}}{{end}}{{template "x" (args 1 "2")}}', '1 2'],
    ['{{define "r"}}{{if .}}{{template "r" 0}}{{end}}r{{end}}{{template "r" 1}}', 'rr'],
  ])('%j', async (text, expected) => {
    expect(await render(text)).toBe(expected);
  });

  it('does not give defined templates the prelude variables', async () => {
    expect(await render('{{define "x"}}{{$labels}}{{end}}')).toBe(parseError('undefined variable "$labels"'));
  });

  it('stops runaway recursion', async () => {
    expect(await render('{{define "t"}}{{template "t" .}}{{end}}{{template "t" 1}}')).toBe(
      `<error expanding template: error executing template ${NAME}: template: ${NAME}:1:137: executing "t" at <{{template "t" .}}>: exceeded maximum template depth (100000)>`,
    );
  });
});

describe('pipelines and builtins', () => {
  it.each([
    ['{{or 1 (index 1 2)}}', '1'], // and/or short-circuit: the failing index is never evaluated
    ['{{and 0 (index 1 2)}}', '0'],
    ['{{or 0 "x"}} {{and 1 "x"}} {{or 0 ""}} {{not ""}} {{not 1}}', 'x x  true false'],
    ['{{ .Labels.job | printf "%s-%s" "a" }}', 'a-api'],
    ['{{ "x" | printf "%s" | printf "[%s]" }}', '[x]'],
    ['{{ (printf "%d" 1) }}', '1'],
    ['{{ printf "%T %T %T %T %T" 1 1.0 "a" $value .Labels }}', 'int float64 string float64 map[string]string'],
    ['{{html "<script>alert(\\"XSS\\");</script>"}}', '&lt;script&gt;alert(&#34;XSS&#34;);&lt;/script&gt;'],
    ['{{"http://www.example.org/"|urlquery}}', 'http%3A%2F%2Fwww.example.org%2F'],
    ['{{js "It\'d be nice."}}', "It\\'d be nice."],
    ['{{ print 1 2 "a" "b" 3 }}|{{ println 1 "a" }}', '1 2ab3|1 a\n'],
    ['{{len .Labels}} {{len "héllo"}} {{len (args 1 2)}}', '3 6 2'],
    ['{{index .Labels "job"}}|{{index .Labels "nope"}}|{{index "abc" 1}}', 'api||98'],
    ['{{slice "abcde" 1 3}} {{slice "abcde" 2}} {{slice "abcde"}}', 'bc cde abcde'],
    ['{{eq 1 1}} {{eq 1 2 3 1}} {{ne 1 2}} {{lt 1.5 2.5}} {{le "a" "a"}} {{gt 2 1}} {{ge 1 2}}', 'true true true true true true false'],
    ['{{eq .Labels.job "db" "api"}} {{eq $value 0.0512}} {{gt $value 0.05}}', 'true true true'],
    ['{{ .Labels | }}', 'map[a:a b:b job:api]'], // a trailing | is accepted by Go's parser
  ])('%j', async (text, expected) => {
    expect(await render(text)).toBe(expected);
  });
});

describe('trim markers and comments', () => {
  it.each([
    ['{{- 1 -}} {{- 2 }}', '12'],
    ['a {{/* comment */}} b', 'a  b'],
    ['a {{- /* comment */ -}} b', 'ab'],
    ['{{ "x" }}{{/* multi\nline */}}y', 'xy'],
    ['x\n  {{- if true }}\n    y\n  {{- end }}\nz', 'x\n    y\nz'],
    ['{{3 }}{{-3}}', '3-3'], // "{{-3" is the number -3, not a trim marker
  ])('%j', async (text, expected) => {
    expect(await render(text)).toBe(expected);
  });
});

describe('parse errors render as Prometheus renders them', () => {
  it.each([
    ['{{ nosuch }}', 'function "nosuch" not defined'],
    ['{{ 1 | 2 }}', 'non executable command in pipeline stage 2'],
    ['{{ if true }}no end', 'unexpected EOF'],
    ['{{ range . }}', 'unexpected EOF'],
    ['{{ else }}', 'unexpected {{else}}'],
    ['{{ end }}', 'unexpected {{end}}'],
    ['{{ $undef }}', 'undefined variable "$undef"'],
    ['{{ ( }}', 'unclosed left paren'],
    ['{{ if }}{{ end }}', 'missing value for if'],
    ['{{', 'unclosed action'],
    ['{{ "abc }}', 'unterminated quoted string'],
    ['{{ 1a }}', 'bad number syntax: "1a"'],
    ['{{ 99999999999999999999 }}', 'integer overflow: "99999999999999999999"'],
    ['{{ if .Labels.job }}{{ break }}{{ end }}', '{{break}} outside {{range}}'],
    ['{{ range $a, $b, $c := .Labels }}{{ end }}', 'too many declarations in range'],
    ['{{/* x', 'unclosed comment'],
    ['{{ define "a" }}x', 'unexpected EOF'],
    ['{{ 1 }', 'unexpected "}" in operand'],
  ])('%j', async (text, msg) => {
    expect(await render(text)).toBe(parseError(msg));
  });

  it('reports the line of the error', async () => {
    expect(await render('line one\nline two {{ nosuch }}')).toBe(parseError('function "nosuch" not defined', 2));
    expect(await render('a\n{{ if true\n}}')).toBe(parseError('unexpected EOF', 3));
  });
});

describe('execution errors render as Prometheus renders them', () => {
  it.each([
    ['{{nil}}', 114, 'nil', 'nil is not a command'],
    ['{{ 1 2 }}', 115, '1', "can't give argument to non-function 1"],
    ['{{ printf }}', 115, 'printf', 'wrong number of args for printf: want at least 1 got 0'],
    ['{{ humanize 1 2 }}', 115, 'humanize', 'wrong number of args for humanize: want 1 got 2'],
    ['{{ toUpper 1 }}', 123, '1', 'expected string; found 1'],
    ['{{ toUpper $value }}', 123, '$value', 'wrong type for value; expected string; got float64'],
    ['{{ index 1 2 }}', 115, 'index 1 2', "error calling index: can't index item of type int"],
    ['{{ index "abc" 5 }}', 115, 'index "abc" 5', 'error calling index: index out of range: 5'],
    ['{{ index (args 1 2) 5 }}', 115, 'index (args 1 2) 5', 'error calling index: value has type int; should be string'],
    ['{{ slice "abc" 2 1 }}', 115, 'slice "abc" 2 1', 'error calling slice: invalid slice index: 2 > 1'],
    ['{{ len 1 }}', 115, 'len 1', 'error calling len: len of type int'],
    ['{{ lt $value 1 }}', 115, 'lt $value 1', 'error calling lt: incompatible types for comparison: float64 and int'],
    ['{{ lt true true }}', 115, 'lt true true', 'error calling lt: invalid type for comparison'],
    ['{{ eq .Labels 1 }}', 115, 'eq .Labels 1', 'error calling eq: incompatible types for comparison: map[string]string and int'],
    ['{{ .Labels.job.x }}', 122, '.Labels.job.x', "can't evaluate field x in type string"],
    ['{{ $value.x }}', 121, '$value.x', "can't evaluate field x in type float64"],
    ['{{ .Value.x }}', 121, '.Value.x', "can't evaluate field x in type interface {}"],
    ['{{ .Nope }}', 115, '.Nope', "can't evaluate field Nope in type struct { Labels map[string]string; ExternalLabels map[string]string; ExternalURL string; Value interface {} }"],
    ['{{ template "missing" }}', 124, '{{template "missing"}}', 'template "missing" not defined'],
    ['{{ range 1.5 }}{{ end }}', 121, '1.5', "range can't iterate over 1.5"],
    ['{{ range $i, $v := 3 }}{{ end }}', 131, '3', "can't use 3 to iterate over more than one variable"],
    ['{{ range $labels.missing }}{{ end }}', 128, '$labels.missing', "range can't iterate over "], // a missing label is "", and strings are not ranged over
    ['{{ reReplaceAll "(" "x" "a" }}', 115, 'reReplaceAll "(" "x" "a"', 'error calling reReplaceAll: regexp: Compile(`(`): error parsing regexp: missing closing ): `(`'],
    ['{{ match "a**" "a" }}', 115, 'match "a**" "a"', 'error calling match: error parsing regexp: invalid nested repetition operator: `**`'],
  ])('%j', async (text, col, context, msg) => {
    expect(await render(text)).toBe(execError(col, context, msg));
  });

  it('counts columns in bytes, as Go does', async () => {
    expect(await render('日本 {{ .Nope }}')).toBe(
      execError(122, '.Nope', "can't evaluate field Nope in type struct { Labels map[string]string; ExternalLabels map[string]string; ExternalURL string; Value interface {} }"),
    );
    expect(await render('a\nb {{ .Nope }}')).toMatch(new RegExp(`${NAME}:2:5: executing`));
  });

  it('names the defined template an error happens in (a field chain is placed at its last field)', async () => {
    expect(await render('{{define "inner"}}{{ .x.y }}{{end}}{{ template "inner" 1 }}')).toBe(
      `<error expanding template: error executing template ${NAME}: template: ${NAME}:1:135: executing "inner" at <.x.y>: can't evaluate field x in type int>`,
    );
  });
});
