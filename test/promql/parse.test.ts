import { parsePromQL, type Expr } from '../../src/promql/index.js';

/** Parses an expression that must be valid and returns its AST. */
function ast(expr: string): Expr {
  const r = parsePromQL(expr);
  expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  expect(r.ast).toBeDefined();
  return r.ast!;
}

const typeOf = (expr: string) => parsePromQL(expr).type;

describe('selectors', () => {
  test('a metric name becomes a __name__ matcher after the braces, as in Prometheus', () => {
    expect(ast('http_requests_total{job="api", code!~"2.."}')).toEqual({
      type: 'VectorSelector',
      name: 'http_requests_total',
      matchers: [
        { name: 'job', op: '=', value: 'api', from: 20, to: 29 },
        { name: 'code', op: '!~', value: '2..', from: 31, to: 42 },
        { name: '__name__', op: '=', value: 'http_requests_total', from: 0, to: 19 },
      ],
      offset: 0,
      from: 0,
      to: 43,
    });
  });

  test('quoted UTF-8 names select a metric without a name before the braces', () => {
    expect(ast('{"my.metric", "service.name"="api"}')).toMatchObject({
      name: '',
      matchers: [
        { name: '__name__', op: '=', value: 'my.metric' },
        { name: 'service.name', op: '=', value: 'api' },
      ],
    });
  });

  test('a range selector carries its range in ms; offset and @ live on the inner selector', () => {
    expect(ast('foo[5m] offset 1h @ 1700000000')).toMatchObject({
      type: 'MatrixSelector',
      range: 300_000,
      vectorSelector: { name: 'foo', offset: 3_600_000, at: 1_700_000_000_000, from: 0, to: 3 },
      from: 0,
      to: 30,
    });
  });

  test('negative offsets and @ start()/end()', () => {
    expect(ast('foo offset -5m @ end()')).toMatchObject({ offset: -300_000, at: 'end', to: 22 });
    expect(ast('foo @ start()')).toMatchObject({ at: 'start' });
  });

  test('a subquery keeps range, step, offset and @; a missing step is 0', () => {
    expect(ast('rate(foo[5m])[1h:30s] offset 1m @ 100')).toMatchObject({
      type: 'SubqueryExpr',
      expr: { type: 'Call', func: 'rate' },
      range: 3_600_000,
      step: 30_000,
      offset: 60_000,
      at: 100_000,
    });
    expect(ast('max_over_time(up[1h:])')).toMatchObject({ args: [{ type: 'SubqueryExpr', step: 0 }] });
  });

  test('durations of every unit and numbers of seconds work as ranges', () => {
    expect(ast('foo[1y2w3d4h5m6s7ms]')).toMatchObject({ range: ((((365 + 14 + 3) * 24 + 4) * 60 + 5) * 60 + 6) * 1000 + 7 });
    expect(ast('foo[90]')).toMatchObject({ range: 90_000 });
    expect(ast('foo[1.5]')).toMatchObject({ range: 1500 });
  });
});

describe('operators', () => {
  test('precedence: ^ is right-associative and binds tighter than *, which binds tighter than +', () => {
    expect(ast('a + b * c ^ d ^ e')).toMatchObject({
      op: '+',
      rhs: { op: '*', rhs: { op: '^', lhs: { name: 'c' }, rhs: { op: '^', lhs: { name: 'd' }, rhs: { name: 'e' } } } },
    });
    expect(ast('a or b and c unless d')).toMatchObject({ op: 'or', rhs: { op: 'unless', lhs: { op: 'and' } } });
  });

  test('a leading minus binds looser than ^, as in Prometheus: -2 ^ 2 is -(2 ^ 2)', () => {
    expect(ast('-2 ^ 2')).toMatchObject({ type: 'UnaryExpr', op: '-', expr: { type: 'BinaryExpr', op: '^', lhs: { value: 2 }, rhs: { value: 2 } } });
  });

  test('a sign on a number literal folds into the literal', () => {
    expect(ast('- -3')).toEqual({ type: 'NumberLiteral', value: 3, from: 0, to: 4 });
    expect(ast('1 - -2')).toMatchObject({ op: '-', rhs: { type: 'NumberLiteral', value: -2 } });
  });

  test('offset, @ and ranges bind to the nearest operand, not the whole binary expression', () => {
    expect(ast('a + b offset 5m')).toMatchObject({ op: '+', lhs: { name: 'a', offset: 0 }, rhs: { name: 'b', offset: 300_000 }, to: 15 });
    expect(ast('-a offset 5m')).toMatchObject({ type: 'UnaryExpr', expr: { name: 'a', offset: 300_000 } });
    expect(ast('a * b @ 10')).toMatchObject({ lhs: { name: 'a' }, rhs: { name: 'b', at: 10_000 } });
    expect(ast('a * b @ 10')).not.toHaveProperty('lhs.at');
    // lezer wraps `a or b` in the offset; the operator after it still binds to `b offset 1m` first.
    expect(ast('a or b offset 1m * 3')).toMatchObject({ op: 'or', lhs: { name: 'a' }, rhs: { op: '*', lhs: { name: 'b', offset: 60_000 }, rhs: { value: 3 } }, to: 20 });
    expect(ast('a + b @ 10 ^ 2 ^ 3')).toMatchObject({ op: '+', rhs: { op: '^', lhs: { name: 'b', at: 10_000 }, rhs: { op: '^' } } });
    expect(ast('a * b offset 1m + 1')).toMatchObject({ op: '+', lhs: { op: '*', rhs: { name: 'b', offset: 60_000 } }, rhs: { value: 1 } });
    expect(ast('-a offset 1m ^ 2')).toMatchObject({ type: 'UnaryExpr', expr: { op: '^', lhs: { name: 'a', offset: 60_000 } } });
    expect(ast('(a or b offset 1m) * 3')).toMatchObject({ op: '*', lhs: { type: 'ParenExpr', expr: { op: 'or' } } });
  });

  test('vector matching with on/ignoring and group_left/group_right', () => {
    expect(ast('a / on(job) group_left(team) b')).toMatchObject({
      matching: { card: 'many-to-one', on: true, labels: ['job'], include: ['team'] },
    });
    expect(ast('a - ignoring(code) group_right b')).toMatchObject({
      matching: { card: 'one-to-many', on: false, labels: ['code'], include: [] },
    });
  });

  test('set operators match many-to-many; a scalar side drops the matching', () => {
    expect(ast('a and b')).toMatchObject({ matching: { card: 'many-to-many' } });
    expect(ast('a * 2')).not.toHaveProperty('matching');
  });

  test('bool on comparisons, keywords in any case', () => {
    expect(ast('a > BOOL 1')).toMatchObject({ op: '>', bool: true });
    expect(ast('a AND ON(x) b')).toMatchObject({ op: 'and', matching: { on: true, labels: ['x'] } });
    expect(typeOf('1 == bool 2')).toBe('scalar');
  });
});

describe('aggregations and functions', () => {
  test('grouping before or after the arguments', () => {
    const expected = { type: 'AggregateExpr', op: 'sum', grouping: ['job', 'le'], without: false };
    expect(ast('sum by (job, le) (rate(x[5m]))')).toMatchObject(expected);
    expect(ast('sum(rate(x[5m])) by (job, le,)')).toMatchObject(expected);
    expect(ast('avg without ("a.b") (x)')).toMatchObject({ grouping: ['a.b'], without: true });
  });

  test('topk, quantile and count_values take a parameter', () => {
    expect(ast('topk(3, x)')).toMatchObject({ op: 'topk', param: { value: 3 }, expr: { name: 'x' } });
    expect(ast('count_values("v", x)')).toMatchObject({ param: { type: 'StringLiteral', value: 'v' } });
  });

  test('calls with optional and variadic arguments', () => {
    expect(ast('hour()')).toMatchObject({ type: 'Call', func: 'hour', args: [] });
    expect(ast('round(x, 0.5)')).toMatchObject({ args: [{ name: 'x' }, { value: 0.5 }] });
    expect(ast('label_join(x, "d", ",", "a", "b", "c")')).toMatchObject({ args: { length: 6 } });
  });

  test('experimental functions are accepted, marked and warned about', () => {
    const r = parsePromQL('limitk(2, sort_by_label(x, "a"))');
    expect(r.ast).toMatchObject({ experimental: true, expr: { func: 'sort_by_label', experimental: true } });
    expect(r.diagnostics.map((d) => [d.severity, d.from, d.to, d.message])).toEqual([
      ['warning', 0, 6, 'limitk() is experimental: Prometheus rejects it unless started with --enable-feature=promql-experimental-functions'],
      ['warning', 10, 23, 'function "sort_by_label" is experimental: Prometheus rejects it unless started with --enable-feature=promql-experimental-functions'],
    ]);
  });
});

describe('literals', () => {
  test.each([
    ['1e3', 1000], ['0x1F', 31], ['0X_1f', 31], ['1_000', 1000], ['.5', 0.5], ['5.', 5], ['010', 8], ['09', 9], ['Inf', Infinity],
    ['-inf', -Infinity],
  ])('number %s is %d', (text, value) => {
    expect(ast(text)).toMatchObject({ type: 'NumberLiteral', value });
  });

  test('NaN', () => {
    expect(ast('NaN')).toMatchObject({ type: 'NumberLiteral', value: NaN });
  });

  test('a duration used as a number is its seconds, with a warning for Prometheus 2.x users', () => {
    const r = parsePromQL('time() - 1h30m');
    expect(r.ast).toMatchObject({ rhs: { type: 'NumberLiteral', value: 5400, duration: true } });
    expect(r.diagnostics).toEqual([
      { from: 9, to: 14, severity: 'warning', message: 'the duration 1h30m used as the number 5400 needs Prometheus 3.x (2.x rejects it)' },
    ]);
  });

  test.each([
    [String.raw`"a\"b\n\t\\"`, 'a"b\n\t\\'],
    [String.raw`'it\'s'`, "it's"],
    ['`raw \\d`', 'raw \\d'],
    [String.raw`"\u00e9\U0001F600\x41\101"`, 'é😀AA'],
    [String.raw`"\xc3\xa9"`, 'é'],
  ])('string %s', (text, value) => {
    expect(ast(text)).toMatchObject({ type: 'StringLiteral', value });
  });

  test('comments are ignored', () => {
    expect(ast('sum(x) # total\n/ 2 # halved')).toMatchObject({ op: '/' });
  });
});

describe('result types', () => {
  test.each([
    ['up', 'vector'], ['up[5m]', 'matrix'], ['rate(up[5m])[1h:]', 'matrix'], ['1 + 2', 'scalar'], ['"s"', 'string'],
    ['scalar(up)', 'scalar'], ['up * 2', 'vector'], ['(1)', 'scalar'], ['-up', 'vector'], ['time()', 'scalar'],
  ])('%s is a %s', (expr, type) => {
    expect(typeOf(expr)).toBe(type);
  });
});
