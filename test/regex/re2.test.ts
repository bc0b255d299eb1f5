import { RE2JS } from 're2js';
import { compileRE2, RE2SyntaxError } from '../../src/regex/index.js';

describe('compileRE2', () => {
  // each would take a backtracking engine longer than the test run; RE2 answers in linear time
  test.each([
    ['(a+)+b', 'a'.repeat(5000) + 'c'],
    ['(x+x+)+y', 'x'.repeat(5000)],
    ['(.*a){20}', 'a'.repeat(19) + 'b'.repeat(5000)],
    ['(a|aa)+$', 'a'.repeat(5000) + 'b'],
    ['(\\w+\\s?)+$', 'word '.repeat(2000) + '!'],
  ])('%s does not match a long near-miss, anchored or not', (pattern, input) => {
    expect(compileRE2(pattern).test(input)).toBe(false);
    expect(compileRE2(pattern, { anchored: true }).test(input)).toBe(false);
    expect(compileRE2(pattern).replaceAll(input, 'X')).toBe(input);
  });

  test('anchored is a full match, as Prometheus and Alertmanager anchor `^(?:re)$`', () => {
    const r = compileRE2('a|ab', { anchored: true });
    expect(r.test('ab')).toBe(true);
    expect(r.test('abc')).toBe(false);
    expect(compileRE2('a|ab').test('xabx')).toBe(true);
  });

  test('the set and prefix shortcuts answer as the engine does', () => {
    const inputs = ['', 'P1', 'P2', 'P12', 'p1', 'checkout-', 'checkout-bot', 'checkout-\nbot', 'xcheckout-bot', 'api-', 'api-1', 'a b', 'c:d', 'c:d\n'];
    for (const pattern of ['P1|P2', 'checkout-.*', 'api-.+', 'a b|c:d', '.*', '.+', 'P1|P2|']) {
      for (const dotNL of [false, true]) {
        const engine = RE2JS.compile(pattern, dotNL ? RE2JS.DOTALL : 0);
        const r = compileRE2(pattern, { anchored: true, dotNL });
        for (const s of inputs) expect([pattern, dotNL, s, r.test(s)]).toEqual([pattern, dotNL, s, engine.testExact(s)]);
      }
    }
  });

  test('dotNL sets the initial s flag', () => {
    expect(compileRE2('a.b', { anchored: true }).test('a\nb')).toBe(false);
    expect(compileRE2('a.b', { anchored: true, dotNL: true }).test('a\nb')).toBe(true);
  });

  test("replaceAll follows Go's ReplaceAllString and Expand", () => {
    expect(compileRE2('a*').replaceAll('baaac', '-')).toBe('-b-c-');
    expect(compileRE2('(?P<k>\\w+)=(\\d+)').replaceAll('x=1, y=2', '${2}:$k$$')).toBe('1:x$, 2:y$');
    expect(compileRE2('(\\w)').replaceAll('ab', '$1x')).toBe(''); // $1x is the group named "1x"
    expect(compileRE2('(.)').replaceAll('a😀', '[$1]')).toBe('[a][😀]');
  });

  test('duplicate group names are allowed, as in Go; $name takes the first that took part', () => {
    const r = compileRE2('(?P<n>a)|(?P<n>b)');
    expect(r.replaceAll('ab', '<$n>')).toBe('<a><b>');
  });

  test.each([
    ['(', 'error parsing regexp: missing closing ): `(`', 'missing closing )'],
    ['\\', 'error parsing regexp: trailing backslash at end of expression: ``', 'trailing backslash at end of expression'],
    ['(?<!a)b', 'error parsing regexp: invalid or unsupported Perl syntax: `(?<`', 'lookaround assertions "(?<!" are not supported (Prometheus uses RE2)'],
    ['(a)\\1', 'error parsing regexp: invalid escape sequence: `\\1`', 'backreferences (\\1) are not supported (Prometheus uses RE2)'],
  ])("%s is refused with Go's message", (pattern, message, detail) => {
    let err: unknown;
    try {
      compileRE2(pattern);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RE2SyntaxError);
    expect((err as RE2SyntaxError).message).toBe(message);
    expect((err as RE2SyntaxError).detail).toBe(detail);
  });
});
