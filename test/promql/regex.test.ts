import { compileRegex } from '../../src/promql/index.js';

// Prometheus matches label values with RE2, fully anchored, `.` matching newlines.
describe('compileRegex', () => {
  test.each<[string, string[], string[]]>([
    ['api-.+', ['api-1'], ['api-', 'xapi-1']],
    ['(?i)prod', ['PROD', 'Prod'], ['prod1']],
    ['((?i)PRO).*', ['production'], ['xpro']],
    ['a(?i:b)c', ['aBc'], ['ABc', 'abC']],
    ['a.b', ['a\nb'], ['ab']],
    ['(?-s)a.b', ['axb'], ['a\nb']],
    ['[[:alpha:]]+', ['abZ'], ['ab1']],
    ['[[:^digit:]x]+', ['abx'], ['a1']],
    ['\\p{Greek}+', ['αβ'], ['ab']],
    ['\\pL+', ['aé'], ['1']],
    ['[]a]+', [']a'], ['b']],
    ['\\Q.*\\E', ['.*'], ['ab']],
    ['\\d+\\s\\w', ['12 a'], ['1\u000bb']],
    ['(?P<code>5..)|4..', ['503', '404'], ['200']],
    ['a{', ['a{'], ['a']],
    ['😀.', ['😀😀'], ['😀']],
    ['\\x41\\x{42}', ['AB'], ['ab']],
    ['', [''], ['a']],
    // Where vigil's two RE2 translators disagreed, Go's regexp/syntax decides:
    ['(?)a', ['a'], ['']], // an empty flag group is valid
    ['^*a', ['a'], ['b']], // ^ and \A take repetition operators
    ['\\A*a', ['a'], ['b']],
    ['(?P<n>a)|(?P<n>b)', ['a', 'b'], ['c']], // duplicate group names are allowed
    ['(?i)k', ['k', 'K', '\u212a'], ['x']], // (?i) folds along Unicode simple case folding
    ['(?i)[a-z]+', ['\u017f\u212a'], ['1']],
    ['a(?i:k)', ['ak', 'aK', 'a\u212a'], ['Ak']],
    ['a(?i:[à-ö])', ['aÀ', 'aö'], ['a÷']],
    ['a(?i:[[:upper:]])', ['ab', 'aB', 'a\u212a'], ['a1']], // (?i) folds POSIX and Perl classes too
    ['a(?i:[[:^lower:]])', ['a1'], ['ab', 'aB', 'a\u212a']],
    ['a(?i:\\W)', ['a-'], ['ak', 'a\u212a']],
  ])('%s', (re, yes, no) => {
    const r = compileRegex(re);
    for (const s of yes) expect(r.test(s)).toBe(true);
    for (const s of no) expect(r.test(s)).toBe(false);
  });

  test.each([
    ['(?=a)', 'lookaround assertions "(?=" are not supported (Prometheus uses RE2)'],
    ['(?<!a)b', 'lookaround assertions "(?<!" are not supported (Prometheus uses RE2)'],
    ['(a)\\1', 'backreferences (\\1) are not supported (Prometheus uses RE2)'],
    ['(?P<n>a)(?P=n)', 'backreferences are not supported (Prometheus uses RE2)'],
    ['a**', 'invalid nested repetition operator "**"'],
    ['[z-a]', 'invalid character class range "z-a"'],
    ['(', 'missing closing )'],
    ['\\y', 'invalid escape sequence "\\y"'],
    ['a{1001}', 'invalid repeat count {1001}'],
    ['*', 'missing argument to repetition operator'],
    ['(?-)a', 'invalid or unsupported Perl syntax "(?-)"'],
    ['(?i-)a', 'invalid or unsupported Perl syntax "(?i-)"'],
    ['(?P<>a)', 'invalid named capture "(?P<>"'],
  ])('%s is rejected', (re, message) => {
    expect(() => compileRegex(re)).toThrow(message);
  });
});
