import { parsePromQL } from '../../src/promql/index.js';

/** The errors a user sees for an expression: [from, to, message]. */
function errors(expr: string): Array<[number, number, string]> {
  const r = parsePromQL(expr);
  const errs = r.diagnostics.filter((d) => d.severity === 'error');
  if (errs.length > 0) expect(r.ast).toBeUndefined();
  return errs.map((d) => [d.from, d.to, d.message]);
}

describe('lexical errors', () => {
  test.each<[string, number, number, string]>([
    ['sum(rate(foo[5m])', 3, 4, 'unclosed "("'],
    ['foo)', 3, 4, 'unexpected ")"'],
    ['foo{job="api"', 3, 4, 'unclosed "{"'],
    ['foo[5m', 3, 4, 'unclosed "["'],
    ['foo]', 3, 4, 'unexpected "]"'],
    ['foo{job="api}', 8, 13, 'unterminated quoted string'],
    ['foo{job=`api}', 8, 13, 'unterminated raw string'],
    [String.raw`foo{job="a\qb"}`, 10, 12, 'unknown escape sequence "\\q"'],
    [String.raw`"\ud800"`, 1, 3, 'escape sequence is an invalid Unicode code point'],
    ['foo $ bar', 4, 5, 'unexpected character "$"'],
    ['foo{a:b="c"}', 5, 6, 'unexpected character ":" inside braces'],
    ['foo =~ "api.*"', 4, 6, 'unexpected "=~": regex matchers go inside braces, e.g. foo{label=~"re"}'],
    ['foo[5x]', 4, 6, 'bad number or duration syntax: "5x"'],
    ['foo offset 1.5m', 11, 15, 'bad number or duration syntax: "1.5m"'],
    ['0x1e', 0, 4, 'bad number or duration syntax: "0x1e"'],
    ['foo[bar]', 4, 7, 'unexpected "bar" in range or subquery selector, expected a duration (e.g. 5m)'],
  ])('%s', (expr, from, to, message) => {
    expect(errors(expr)).toEqual([[from, to, message]]);
  });
});

describe('syntax errors', () => {
  test.each<[string, number, number, string]>([
    ['', 0, 0, 'no expression found in input'],
    ['# just a comment', 0, 16, 'no expression found in input'],
    ['foo +', 5, 5, 'unexpected end of input, expected an expression after "+"'],
    ['foo +\n  # to be continued\n', 5, 5, 'unexpected end of input, expected an expression after "+"'],
    ['foo bar', 4, 7, 'unexpected identifier "bar"'],
    ['rat(foo[5m])', 0, 3, 'unknown function "rat" (did you mean "rate"?)'],
    ['RATE(foo[5m])', 0, 4, 'unknown function "RATE" (function names are case-sensitive: did you mean "rate"?)'],
    ['summ(foo)', 0, 4, 'unknown function "summ" (did you mean "sum"?)'],
    ['rate(foo[5m],)', 12, 13, 'trailing commas not allowed in function call args'],
    ['foo{job="a" code="5"}', 12, 16, 'unexpected identifier "code" in label matchers, expected "," or "}"'],
    ['foo{job=api}', 8, 11, 'unexpected identifier "api" in label matcher, expected a quoted string'],
    ['foo{job=~}', 9, 10, 'unexpected "}" in label matcher, expected a quoted string'],
    ['sum by job (foo)', 7, 10, 'unexpected identifier "job" after "by", expected "("'],
    ['sum(foo) by', 11, 11, 'unexpected end of input after "by", expected "("'],
    ['sum by (job)', 12, 12, 'unexpected end of input, expected "(" with the arguments of "sum"'],
    ['histogram_quantile(0.9 sum(rate(x[5m])) by (le))', 23, 26, 'unexpected "sum" in call to "histogram_quantile", expected "," or ")"'],
    ['topk(, foo)', 5, 6, 'unexpected "," in call to "topk", expected an expression'],
    ['foo offset', 10, 10, 'unexpected end of input, expected a duration after "offset" (e.g. 5m)'],
    ['foo @', 5, 5, 'unexpected end of input, expected a timestamp, start() or end() after "@"'],
    ['foo[5m:1m:1m]', 9, 10, 'unexpected ":" in range or subquery selector, expected a duration or "]"'],
    ['1 +* 2', 3, 4, 'unexpected "*", expected an expression after "+"'],
    ['x{a="1"}{b="2"}', 8, 9, 'unexpected "{"'],
  ])('%j', (expr, from, to, message) => {
    expect(errors(expr)).toEqual([[from, to, message]]);
  });
});

describe('errors Prometheus finds while building its tree', () => {
  test.each<[string, number, number, string]>([
    ['(foo)[5m]', 5, 9, 'ranges only allowed for vector selectors'],
    ['foo offset 1m [5m]', 14, 18, 'no offset modifiers allowed before range'],
    ['foo @ 10 [5m]', 9, 13, 'no @ modifiers allowed before range'],
    ['foo offset 1m offset 2m', 0, 23, 'offset may not be set multiple times'],
    ['foo @ 1 @ 2', 0, 11, '@ <timestamp> may not be set multiple times'],
    ['sum(foo) offset 1m', 0, 8, 'offset modifier must be preceded by an instant vector selector or range vector selector or a subquery'],
    ['time() @ 10', 0, 6, '@ modifier must be preceded by an instant vector selector or range vector selector or a subquery'],
    ['foo @ Inf', 0, 9, 'timestamp out of bounds for @ modifier: Infinity'],
    ['foo[0s]', 4, 6, 'duration must be greater than 0'],
    ['foo[-5m]', 4, 7, 'duration must be greater than 0'],
    ['foo[5m:0s]', 7, 9, 'duration must be greater than 0'],
    ['foo offset - -5m', 13, 14, 'unexpected "-" in offset, expected a duration'],
    ['foo[5m3h]', 4, 8, '"5m3h" is not a duration: units must go from largest to smallest (y, w, d, h, m, s, ms), each at most once'],
    ['sum()', 0, 5, 'no arguments for aggregate expression provided'],
    ['topk(foo)', 0, 9, 'wrong number of arguments for aggregate expression provided, expected 2, got 1'],
    ['sum(1, foo)', 0, 11, 'wrong number of arguments for aggregate expression provided, expected 1, got 2'],
    ['sum by ("") (foo)', 8, 10, 'invalid label name for grouping: ""'],
    ['foo{job=~"api("}', 9, 15, 'invalid regular expression "api(": missing closing )'],
    ['foo{job=~"(?!api)"}', 9, 18, 'invalid regular expression "(?!api)": lookaround assertions "(?!" are not supported (Prometheus uses RE2)'],
    [String.raw`foo{job=~"(a)\\1"}`, 9, 17, String.raw`invalid regular expression "(a)\\1": backreferences (\1) are not supported (Prometheus uses RE2)`],
  ])('%j', (expr, from, to, message) => {
    expect(errors(expr)).toEqual([[from, to, message]]);
  });
});

describe('experimental syntax is rejected, as Prometheus does without feature flags', () => {
  test.each<[string, number, number, string]>([
    ['rate(foo[5m] smoothed)', 13, 21,
      '"smoothed" is experimental PromQL syntax: Prometheus rejects it unless started with --enable-feature=promql-extended-range-selectors'],
    ['foo anchored', 4, 12,
      '"anchored" is experimental PromQL syntax: Prometheus rejects it unless started with --enable-feature=promql-extended-range-selectors'],
    ['foo + fill(0) bar', 6, 13,
      'the "fill(0)" modifier is experimental PromQL syntax: Prometheus rejects it unless started with --enable-feature=promql-binop-fill-modifiers'],
    ['foo[5m+1m]', 4, 9,
      'the duration expression "5m+1m" is experimental PromQL syntax: Prometheus rejects it unless started with --enable-feature=promql-duration-expr'],
    ['foo[step()]', 4, 10,
      'the duration expression "step()" is experimental PromQL syntax: Prometheus rejects it unless started with --enable-feature=promql-duration-expr'],
    ['foo offset (1m)', 11, 15,
      'the duration expression "(1m)" is experimental PromQL syntax: Prometheus rejects it unless started with --enable-feature=promql-duration-expr'],
  ])('%j', (expr, from, to, message) => {
    expect(errors(expr)).toEqual([[from, to, message]]);
  });
});

describe('type errors (Prometheus checkAST)', () => {
  test.each<[string, number, number, string]>([
    ['rate(http_requests_total)', 5, 24,
      'expected type range vector in call to function "rate", got instant vector (add a range, e.g. http_requests_total[5m])'],
    ['abs(foo[5m])', 4, 11, 'expected type instant vector in call to function "abs", got range vector'],
    ['histogram_quantile(foo, bar)', 19, 22, 'expected type scalar in call to function "histogram_quantile", got instant vector'],
    ['label_replace(foo, "a", "b", "c")', 0, 33, 'expected 5 argument(s) in call to "label_replace", got 4'],
    ['time(1)', 0, 7, 'expected 0 argument(s) in call to "time", got 1'],
    ['round(foo, 1, 2)', 0, 16, 'expected at most 2 argument(s) in call to "round", got 3'],
    ['label_join(foo, "a")', 0, 20, 'expected at least 3 argument(s) in call to "label_join", got 2'],
    ['sum(foo[5m])', 4, 11, 'expected type instant vector in aggregation expression, got range vector'],
    ['topk("3", foo)', 5, 8, 'expected type scalar in aggregation parameter, got string'],
    ['count_values(1, foo)', 13, 14, 'expected type string in aggregation parameter, got scalar'],
    ['1 > 2', 2, 3, 'comparisons between scalars must use BOOL modifier'],
    ['foo + bool bar', 4, 5, 'bool modifier can only be used on comparison operators'],
    ['foo and 1', 0, 9, 'set operator "and" not allowed in binary scalar expression'],
    ['foo or on(a) group_left bar', 0, 27, 'no grouping allowed for "or" operation'],
    ['foo / on(a) group_left(a) bar', 4, 5, 'label "a" must not occur in ON and GROUP clause at once'],
    ['1 + on(a) foo', 0, 13, 'vector matching only allowed between instant vectors'],
    ['foo[5m] + 1', 0, 7, 'binary expression must contain only scalar and instant vector types'],
    // A range or subquery binds to the nearest operand, as in Prometheus.
    ['a + b[5m:]', 4, 10, 'binary expression must contain only scalar and instant vector types'],
    ['-foo[5m]', 0, 8, 'unary expression only allowed on expressions of type scalar or instant vector, got range vector'],
    ['foo[5m][10m:]', 0, 13, 'subquery is only allowed on instant vector, got range vector instead'],
    ['{}', 0, 2, 'vector selector must contain at least one non-empty matcher'],
    ['{job=~".*", env=""}', 0, 19, 'vector selector must contain at least one non-empty matcher'],
    ['foo{__name__="bar"}', 0, 19, 'metric name must not be set twice: "foo" or "bar"'],
    ['info(foo, bar)', 10, 13, 'expected label selectors only, got vector selector instead'],
  ])('%j', (expr, from, to, message) => {
    expect(errors(expr)).toEqual([[from, to, message]]);
  });

  test('every type error is reported, not only the first', () => {
    expect(errors('rate(foo) + abs(bar[5m])').map(([, , m]) => m)).toEqual([
      'expected type range vector in call to function "rate", got instant vector (add a range, e.g. foo[5m])',
      'expected type instant vector in call to function "abs", got range vector',
    ]);
  });

  test('a selector with a non-empty matcher is fine even if others match everything', () => {
    expect(errors('{job=~".*", env="prod"}')).toEqual([]);
    expect(errors('{job=~".+"}')).toEqual([]);
  });
});

describe('warnings for expressions that parse but fail when evaluated', () => {
  test('label_replace with an invalid regex', () => {
    const r = parsePromQL('label_replace(up, "dst", "$1", "src", "(.*")');
    expect(r.ast).toBeDefined();
    expect(r.diagnostics).toEqual([
      { from: 38, to: 43, severity: 'warning', message: 'label_replace() fails at evaluation: invalid regular expression: missing closing )' },
    ]);
  });

  test('a number used as a range works only in Prometheus 3', () => {
    expect(parsePromQL('rate(foo[300])').diagnostics).toEqual([
      { from: 9, to: 12, severity: 'warning', message: 'the number 300 used as a duration (5m) needs Prometheus 3.x (2.x rejects it)' },
    ]);
  });
});
