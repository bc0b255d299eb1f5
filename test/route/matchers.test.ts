import {
  MatcherParseError,
  compareStrings,
  formatLabelSet,
  formatMatcher,
  formatMatchers,
  matches,
  matchesAll,
  newMatcher,
  parseMatcher,
  parseMatchers,
  parseMatchersUTF8,
  sortMatchers,
} from '../../src/route/matchers.js';
import type { Matcher, MatchType } from '../../src/route/types.js';

const m = (name: string, type: MatchType, value: string): Matcher => ({ name, type, value });

function parseError(fn: () => unknown): MatcherParseError {
  try {
    fn();
  } catch (err) {
    if (err instanceof MatcherParseError) return err;
    throw err;
  }
  throw new Error('expected a MatcherParseError');
}

// Alertmanager's matchers/parse/parse_test.go (TestMatchers), UTF-8 parser alone.
describe('parseMatchersUTF8 (Alertmanager matchers/parse)', () => {
  test.each<[string, Matcher[]]>([
    ['', []],
    ['{}', []],
    ['{foo=bar}', [m('foo', '=', 'bar')]],
    ['{foo=bar,}', [m('foo', '=', 'bar')]],
    ['{foo!=bar}', [m('foo', '!=', 'bar')]],
    ['{foo=~[a-z]+}', [m('foo', '=~', '[a-z]+')]],
    ['{foo!~[a-z]+}', [m('foo', '!~', '[a-z]+')]],
    ['{foo=🙂}', [m('foo', '=', '🙂')]],
    ['{foo=🙂bar}', [m('foo', '=', '🙂bar')]],
    ['foo=bar', [m('foo', '=', 'bar')]],
    ['foo=bar,', [m('foo', '=', 'bar')]],
    ['foo=~[a-z]+', [m('foo', '=~', '[a-z]+')]],
    ['{"foo"="bar"}', [m('foo', '=', 'bar')]],
    ['{"foo"="bar",}', [m('foo', '=', 'bar')]],
    ['{"foo"!~"[a-z]+"}', [m('foo', '!~', '[a-z]+')]],
    ['{"foo"="\\xf0\\x9f\\x99\\x82"}', [m('foo', '=', '🙂')]],
    ['{"foo"="\\U0001f642"}', [m('foo', '=', '🙂')]],
    ['{"foo"="bar\\n"}', [m('foo', '=', 'bar\n')]],
    ['{"foo"="bar\\t"}', [m('foo', '=', 'bar\t')]],
    ['{"foo"="\\"bar\\""}', [m('foo', '=', '"bar"')]],
    ['{"foo"="bar\\\\"}', [m('foo', '=', 'bar\\')]],
    ['"foo"="bar",', [m('foo', '=', 'bar')]],
    ['{foo=bar,bar!=baz}', [m('foo', '=', 'bar'), m('bar', '!=', 'baz')]],
    ['foo="bar",bar!="baz"', [m('foo', '=', 'bar'), m('bar', '!=', 'baz')]],
    [' { foo = "bar" , bar !~ "b.*" } ', [m('foo', '=', 'bar'), m('bar', '!~', 'b.*')]],
    ['{quote="She said: \\"Hi, ladies!\\""}', [m('quote', '=', 'She said: "Hi, ladies!"')]],
    ['{"foo bar"="x,y"}', [m('foo bar', '=', 'x,y')]],
    ['{foo%=bar}', [m('foo%', '=', 'bar')]],
  ])('%s', (input, expected) => {
    expect(parseMatchersUTF8(input)).toEqual(expected);
  });

  test.each<[string, string, number]>([
    [',', '0:1: unexpected ,: expected label name', 0],
    ['{,}', '1:2: unexpected ,: expected label name', 1],
    ['{', '0:1: end of input: expected close brace', 1],
    ['}', '0:1: }: expected opening brace', 0],
    ['foo=bar}', '0:8: }: expected opening brace', 7],
    ['{foo=bar', '0:8: end of input: expected close brace', 8],
    ['{foo=:"bar"}', '6:11: unexpected "bar": expected a comma or close brace', 6],
    ['{foo="bar\\w"}', '5:12: "bar\\w": invalid input', 5],
    ['{foo=bar\\n}', '8:9: \\: invalid input: expected a comma or close brace', 8],
    ['{"foo"="\\xf0\\x9f"}', '7:17: "\\xf0\\x9f": invalid input', 7],
    ['{foo~="bar"}', '4:5: ~: invalid input: expected an operator such as \'=\', \'!=\', \'=~\' or \'!~\'', 4],
    ['foo!bar', "3:4: !: expected one of '=~': expected an operator such as '=', '!=', '=~' or '!~'", 3],
    ['foo=', '0:4: end of input: expected label value', 4],
    ['foo="bar', '4:8: "bar: missing end ": expected label value', 4],
    ['foo="a\nb"', '4:9: "a\nb": invalid input', 4],
    ['{foo=bar}}', '9:10: }: expected end of input', 9],
    ['{a=b c}', '5:6: unexpected c: expected a comma or close brace', 5],
    ['🙂🙂=a b', '5:6: unexpected b: expected a comma or close brace', 7],
  ])('rejects %j', (input, message, offset) => {
    const err = parseError(() => parseMatchersUTF8(input));
    expect(err.message).toBe(message);
    expect(err.offset).toBe(offset);
    expect(err.input).toBe(input);
  });

  test('validates regexes at parse time, pointing at the value', () => {
    const err = parseError(() => parseMatchersUTF8('job=~"(a"'));
    expect(err.message).toBe('failed to create matcher: invalid regular expression "(a": missing closing )');
    expect([err.offset, err.end]).toEqual([5, 9]);
  });
});

// Alertmanager's default mode: the classic parser's result whenever it accepts the input
// (matchers/compat/parse_test.go), the UTF-8 parser's otherwise.
describe('parseMatchers (Alertmanager fallback mode)', () => {
  test.each<[string, Matcher[]]>([
    ['{foo=bar,bar=baz}', [m('foo', '=', 'bar'), m('bar', '=', 'baz')]],
    ['{foo🙂=bar,bar=baz🙂}', [m('foo🙂', '=', 'bar'), m('bar', '=', 'baz🙂')]],
    ['{foo=!bar,bar=$baz\\n}', [m('foo', '=', '!bar'), m('bar', '=', '$baz\n')]],
    // the forms of config files, the API and amtool
    ['severity="P1"', [m('severity', '=', 'P1')]],
    ['agent_id=~"checkout-.*"', [m('agent_id', '=~', 'checkout-.*')]],
    ['{owner="team-A"}', [m('owner', '=', 'team-A')]],
    ['{foo = "bar", dings != "bums", }', [m('foo', '=', 'bar'), m('dings', '!=', 'bums')]],
    ['foo=bar, dings!=bums', [m('foo', '=', 'bar'), m('dings', '!=', 'bums')]],
    ['{quote="She said: \\"Hi, ladies! That\'s gender-neutral…\\""}', [m('quote', '=', 'She said: "Hi, ladies! That\'s gender-neutral…"')]],
    ['statuscode=~"5.."', [m('statuscode', '=~', '5..')]],
    ['tool_name=~"refund|charge"', [m('tool_name', '=~', 'refund|charge')]],
    // a regex escape the UTF-8 parser rejects is kept as written by the classic parser
    ['path=~"/api/v\\d+/.*"', [m('path', '=~', '/api/v\\d+/.*')]],
    ['{foo="bar\\w"}', [m('foo', '=', 'bar\\w')]],
    // where both accept but disagree, Alertmanager keeps the classic reading
    ['{foo="a\\tb"}', [m('foo', '=', 'a\\tb')]],
    ['foo=bar baz', [m('foo', '=', 'bar baz')]],
    ['foo=', [m('foo', '=', '')]],
    ['{', []],
    ['}', []],
    ['{}', []],
    ['', []],
    ['"foo.bar"="x"', [m('foo.bar', '=', 'x')]],
    ['{"foo"="bar\\t"}', [m('foo', '=', 'bar\t')]],
  ])('%s', (input, expected) => {
    expect(parseMatchers(input)).toEqual(expected);
  });

  test.each<[string, string]>([
    ['{foo!bar}', "4:5: !: expected one of '=~': expected an operator such as '=', '!=', '=~' or '!~'"],
    [',', '0:1: unexpected ,: expected label name'],
    ['a=b,,c=d', '4:5: unexpected ,: expected a matcher or close brace after comma'],
    ['{foo=:"bar"}', '6:11: unexpected "bar": expected a comma or close brace'],
    ['foo=~"(a"', 'failed to create matcher: invalid regular expression "(a": missing closing )'],
    ['foo=~"a**"', 'failed to create matcher: invalid regular expression "a**": invalid nested repetition operator "**"'],
    ['foo=~"(?=a)"', 'failed to create matcher: invalid regular expression "(?=a)": lookaround assertions "(?=" are not supported (Prometheus uses RE2)'],
  ])('rejects %j', (input, message) => {
    expect(parseError(() => parseMatchers(input)).message).toBe(message);
  });
});

describe('parseMatcher (one matcher, no braces)', () => {
  test.each<[string, Matcher]>([
    ['foo=bar', m('foo', '=', 'bar')],
    ['foo🙂=bar', m('foo🙂', '=', 'bar')],
    ['foo=!bar\\n', m('foo', '=', '!bar\n')],
    ['severity!="P3"', m('severity', '!=', 'P3')],
    // the classic single-matcher parser takes everything after the operator
    ['a=b,c=d', m('a', '=', 'b,c=d')],
  ])('%s', (input, expected) => {
    expect(parseMatcher(input)).toEqual(expected);
  });

  test.each<[string, string]>([
    ['{foo=bar}', 'unexpected open or close brace: {foo=bar}'],
    ['foo=bar}', 'unexpected open or close brace: foo=bar}'],
    ['', 'no matchers'],
    ['a🙂=b,c🙂=d', 'expected 1 matcher, found 2'],
    ['foo!bar', "3:4: !: expected one of '=~': expected an operator such as '=', '!=', '=~' or '!~'"],
  ])('rejects %j', (input, message) => {
    expect(parseError(() => parseMatcher(input)).message).toBe(message);
  });
});

describe('matching', () => {
  const labels = { alertname: 'ErrorSpike', agent_id: 'checkout-eu', severity: 'P1', note: 'a\nb' };
  test.each<[string, boolean]>([
    ['severity="P1"', true],
    ['severity="P2"', false],
    ['severity!="P2"', true],
    ['agent_id=~"checkout-.*"', true],
    ['agent_id=~"checkout"', false], // anchored: ^(?:checkout)$
    ['agent_id=~"eu"', false],
    ['agent_id!~"checkout-.*"', false],
    ['agent_id=~"CHECKOUT-EU"', false],
    ['agent_id=~"(?i)CHECKOUT-EU"', true],
    ['severity=~"P2|P3"', false],
    ['severity=~"P1|P2"', true],
    // a missing label is the empty string
    ['team=""', true],
    ['team!=""', false],
    ['team=~".*"', true],
    ['team=~".+"', false],
    ['team!~"a.*"', true],
    // `.` does not match a newline in Alertmanager (unlike Prometheus' label matchers)
    ['note=~"a.b"', false],
    ['note=~"a\\nb"', true],
    ['note=~"(?s)a.b"', true],
  ])('%s', (text, expected) => {
    expect(matches(parseMatcher(text), labels)).toBe(expected);
  });

  test('matchesAll needs every matcher; none match everything', () => {
    const labels2 = { severity: 'P1', agent_id: 'checkout-eu' };
    expect(matchesAll(parseMatchers('severity="P1",agent_id=~"checkout-.*"'), labels2)).toBe(true);
    expect(matchesAll(parseMatchers('severity="P1",agent_id=~"search-.*"'), labels2)).toBe(false);
    expect(matchesAll([], labels2)).toBe(true);
  });

  test('newMatcher validates regexes', () => {
    expect(() => newMatcher('=~', 'a', '(')).toThrow('missing closing )');
    expect(newMatcher('=', 'a', '(')).toEqual(m('a', '=', '('));
  });
});

describe('printing', () => {
  test.each<[Matcher, string]>([
    [m('foo', '=', 'bar'), 'foo="bar"'],
    [m('foo', '!~', 'a.*'), 'foo!~"a.*"'],
    [m('foo', '=', 'say "hi"\\\n'), 'foo="say \\"hi\\"\\\\\\n"'],
    [m('foo', '=', 'tab\there'), 'foo="tab\there"'],
    [m('foo bar', '=', 'tab\t'), '"foo bar"="tab\\t"'],
    [m('foo🙂', '=', '🙂'), 'foo🙂="🙂"'],
  ])('%j', (matcher, text) => {
    expect(formatMatcher(matcher)).toBe(text);
  });

  test('round-trips through the parser', () => {
    for (const matcher of [m('foo', '=', 'say "hi"\\\n'), m('foo bar', '=~', 'a|b'), m('x', '!=', '')]) {
      expect(parseMatchers(formatMatchers([matcher]))).toEqual([matcher]);
    }
  });

  test('matchers sort by name, value, then type, as in route keys', () => {
    const ms = parseMatchers('{owner="team-A",level!="critical",env=~"b",env="b",env!~"a"}');
    expect(formatMatchers(sortMatchers(ms))).toBe('{env!~"a",env="b",env=~"b",level!="critical",owner="team-A"}');
  });

  test('formatLabelSet prints model.LabelSet.String()', () => {
    expect(formatLabelSet({ b: 'x"y', a: '1', a1: 'line\nbreak', c: '\u00a0é' })).toBe(
      '{a="1", a1="line\\nbreak", b="x\\"y", c="\\u00a0é"}',
    );
    expect(formatLabelSet({})).toBe('{}');
  });

  test('strings compare in code point order, as Go compares UTF-8', () => {
    expect(compareStrings('\uffff', '😀')).toBeLessThan(0);
    expect(compareStrings('a', 'b')).toBeLessThan(0);
    expect(compareStrings('ab', 'a')).toBeGreaterThan(0);
    expect(compareStrings('x', 'x')).toBe(0);
  });
});
