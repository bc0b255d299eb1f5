/** The scraped-page parser: Prometheus' text format and OpenMetrics, and its errors naming the line. */
import { ExpositionError, parseExposition, parseSeriesText } from '../../src/tsdb/index.js';

const parse = (text: string, om = false) => parseExposition(text, om).map(({ series, value, timestampMs }) => ({ series, value, timestampMs }));
const error = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ExpositionError);
    return (err as Error).message;
  }
  throw new Error('no error');
};

test('text format: comments, blank lines, tabs, special values, millisecond timestamps', () => {
  const text = ['# HELP a_total Requests.', '# TYPE a_total counter', '# a free comment', '', 'a_total{x="1"}\t5 1765000000123', 'b +Inf', 'c{} -Inf', 'd NaN', 'e 1e3'].join('\n');
  const out = parse(text);
  expect(out.map((s) => s.series)).toEqual(['a_total{x="1"}', 'b', 'c{}', 'd', 'e']);
  expect(out[0]).toEqual({ series: 'a_total{x="1"}', value: 5, timestampMs: 1765000000123 });
  expect(out.slice(1).map((s) => s.value)).toEqual([Infinity, -Infinity, NaN, 1000]);
});

test('OpenMetrics: seconds timestamps, exemplars skipped, # EOF required and last', () => {
  expect(parse('a_total 1 1765000000.5 \n# EOF\n', true)).toEqual([{ series: 'a_total', value: 1, timestampMs: 1765000000500 }]);
  expect(parse('a_bucket{le="1"} 2 # {trace_id="x y"} 0.5 1765000000\n# EOF', true)).toEqual([{ series: 'a_bucket{le="1"}', value: 2, timestampMs: undefined }]);
  expect(error(() => parse('a 1\n', true))).toBe('line 2: no "# EOF" at the end of an OpenMetrics page');
  expect(error(() => parse('# EOF\na 1\n', true))).toBe('line 2: content after "# EOF"');
});

test('label values: escapes, braces and commas inside quotes, a trailing comma', () => {
  const [s] = parseExposition('a{path="/x{1},y",msg="say \\"hi\\"\\n\\\\",} 1\n', false);
  expect(parseSeriesText(s.series)).toEqual({ __name__: 'a', path: '/x{1},y', msg: 'say "hi"\n\\' });
});

test('errors name the line and what is wrong', () => {
  expect(error(() => parse('ok 1\nbad{a="1" 2\n'))).toBe('line 2: unterminated label set: no closing "}"');
  expect(error(() => parse('a one\n'))).toBe('line 1: "one" is not a number (after a)');
  expect(error(() => parse('a\n'))).toBe('line 1: no value after a');
  expect(error(() => parse('a 1 2 3\n'))).toBe('line 1: expected "value [timestamp]" after a, got "1 2 3"');
  expect(error(() => parse('a 1 1.5\n'))).toBe('line 1: "1.5" is not a timestamp in milliseconds');
  expect(error(() => parse('# TYPE a countr\n'))).toBe('line 1: unknown metric type "countr" for a');
  expect(error(() => parseSeriesText('a{b=1}', 4))).toBe('line 4: the value of label "b" is not quoted in a{b=1}');
  expect(error(() => parseSeriesText('a{b="1",b="2"}', 4))).toBe('line 4: label "b" given twice in a{b="1",b="2"}');
  expect(error(() => parseSeriesText('a{b="\\t"}', 4))).toBe('line 4: invalid escape "\\t" in the value of label "b"');
  expect(error(() => parseSeriesText('1a', 4))).toBe('line 4: "1a" is not a valid metric name');
});
