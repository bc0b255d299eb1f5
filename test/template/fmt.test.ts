/**
 * Go's fmt and strconv float formatting: shortest %v, exact round-half-even
 * digits for explicit precisions, flags, widths, and fmt's error forms.
 * Expected strings are Go's (checked against a Go-built promtool).
 */
import { sprint, sprintf, sprintln } from '../../src/template/fmt.js';
import { formatFloat } from '../../src/template/strconv.js';

describe('float64 %v (shortest, exponent from 1e21 or below 1e-4)', () => {
  it.each<[number, string]>([
    [0.1, '0.1'],
    [0.05, '0.05'],
    [5, '5'],
    [1e6, '1e+06'],
    [1e21, '1e+21'],
    [100000, '100000'],
    [123456789, '1.23456789e+08'],
    [0.0001, '0.0001'],
    [0.00001, '1e-05'],
    [1.5e300, '1.5e+300'],
    [5e-324, '5e-324'],
    [1.7976931348623157e308, '1.7976931348623157e+308'],
    [-0, '-0'],
    [NaN, 'NaN'],
    [Infinity, '+Inf'],
    [-Infinity, '-Inf'],
  ])('%s', (v, expected) => {
    expect(formatFloat(v, 'g', -1)).toBe(expected);
    expect(sprint([v])).toBe(expected);
  });
});

describe('explicit precision rounds the exact value, half to even', () => {
  it.each<[string, number, string]>([
    ['%.4g', 1234.5, '1234'],
    ['%.4g', 1235.5, '1236'],
    ['%.4g', 12345, '1.234e+04'],
    ['%.4g', 99995, '1e+05'],
    ['%.4g', 0.99995, '1'], // 0.99995 is 0.999950000000000005...: above the tie
    ['%.1g', 25, '2e+01'],
    ['%.1g', 35, '4e+01'],
    ['%.0e', 25, '2e+01'],
    ['%.0f', 0.5, '0'],
    ['%.0f', 1.5, '2'],
    ['%.0f', 2.5, '2'],
    ['%.0f', 3.5, '4'],
    ['%.1f', 0.25, '0.2'],
    ['%.1f', 0.35, '0.3'],
    ['%.1f', 0.05, '0.1'],
    ['%.2f', 1.005, '1.00'],
    ['%.2f', 2.675, '2.67'],
    ['%.3f', 0.0005, '0.001'],
    ['%.3f', 0.0015, '0.002'],
    ['%.10f', 0.1, '0.1000000000'],
    ['%.20f', 0.1, '0.10000000000000000555'],
    ['%.17g', 0.1, '0.10000000000000001'],
    ['%.30g', 0.1, '0.100000000000000005551115123126'],
    ['%f', 1e20, '100000000000000000000.000000'],
    ['%e', 123456.789, '1.234568e+05'],
    ['%E', 0.000123, '1.230000E-04'],
    ['%G', 1e100, '1E+100'],
    ['%.3e', 0, '0.000e+00'],
    ['%f', 0, '0.000000'],
    ['%g', 0, '0'],
    ['%.3v', 3.14159, '3.14'],
  ])('%s of %s', (format, v, expected) => {
    expect(sprintf(format, [v])).toBe(expected);
  });
});

describe('flags and widths', () => {
  it.each<[string, unknown[], string]>([
    ['%05.2f', [3.14159], '03.14'],
    ['%08.3f', [-3.14159], '-003.142'],
    ['%10.3f|', [3.14159], '     3.142|'],
    ['%-10.3f|', [-3.14159], '-3.142    |'],
    ['%5.1f|', [-0], ' -0.0|'],
    ['% .2f', [1], ' 1.00'],
    ['%+.2f', [1], '+1.00'],
    ['%+.2e', [12345.678], '+1.23e+04'],
    ['%6.2f%%', [12.3456], ' 12.35%'],
    ['%#g', [1], '1.00000'],
    ['%#.3g', [1], '1.00'],
    ['%#e', [1], '1.000000e+00'],
    ['%#.0f', [1], '1.'],
    ['%5.1f|%-6.1f|', [NaN, Infinity], '  NaN|+Inf  |'],
    ['%-10s|', ['ab'], 'ab        |'],
    ['%+d % d', [5n, 5n], '+5  5'],
    ['%x %X %o %O %b %c', [255n, 255n, 8n, 8n, 5n, 65n], 'ff FF 10 0o10 101 A'],
    ['%#x %#o %#b', [255n, 8n, 5n], '0xff 010 0b101'],
    ['%x', [-255n], '-ff'],
    ['%08b', [5n], '00000101'],
    ['%-8d|', [5n], '5       |'],
    ['%+08d', [5n], '+0000005'],
    ['%.3d %8.3d|', [5n, 5n], '005      005|'],
    ['%.0d|', [0n], '|'],
    ['%U %#U %q', [0x1f600n, 65n, 65n], "U+1F600 U+0041 'A' 'A'"],
    ['%q', ['hi\n"'], '"hi\\n\\""'],
    ['%+q', ['é'], '"\\u00e9"'],
    ['%#q', ['a`b'], '"a`b"'],
    ['%#q', ['ab'], '`ab`'],
    ['%x|% x|%#x|%X', ['hello', 'hi', 'hi', 'hi'], '68656c6c6f|68 69|0x6869|6869'],
    ['%.2s|%5.1s|', ['hello', 'hello'], 'he|    h|'],
    ['%5t|%-5t|', [true, false], ' true|false|'],
    ['%[2]d %[1]d', [1n, 2n], '2 1'],
    ['%*d|%-*d|', [5n, 3n, 4n, 7n], '    3|7   |'],
    ['%.*f', [2n, 3.14159], '3.14'],
    ['%v %v %v', [undefined, true, 'x'], '<nil> true x'],
  ])('%s', (format, args, expected) => {
    expect(sprintf(format, args as never[])).toBe(expected);
  });
});

describe("fmt's error forms", () => {
  it.each<[string, unknown[], string]>([
    ['%d', [0.0512], '%!d(float64=0.0512)'],
    ['%s', [5n], '%!s(int=5)'],
    ['%t', ['x'], '%!t(string=x)'],
    ['%d', [undefined], '%!d(<nil>)'],
    ['%d %d', [1n], '1 %!d(MISSING)'],
    ['%d', [1n, 2n], '1%!(EXTRA int=2)'],
    ['%d', [1n, 'a', 2.5], '1%!(EXTRA string=a, float64=2.5)'],
    ['%!', [], '%!!(MISSING)'],
    ['%', [], '%!(NOVERB)'],
    ['%[3]d', [1n, 2n], '%!d(BADINDEX)'],
    ['%*d', ['x', 1n], '%!(BADWIDTH)1'],
    ['%z', [1n], '%!z(int=1)'],
  ])('%s', (format, args, expected) => {
    expect(sprintf(format, args as never[])).toBe(expected);
  });
});

describe('Sprint and Sprintln spacing', () => {
  it('adds spaces only between operands that are not strings (Sprint)', () => {
    expect(sprint([1n, 2n, 'a', 'b', 3n, undefined])).toBe('1 2ab3 <nil>');
    expect(sprint(['a', 1.5, 'b'])).toBe('a1.5b');
  });
  it('always adds spaces and a newline (Sprintln)', () => {
    expect(sprintln([1n, 'a', 0.5])).toBe('1 a 0.5\n');
  });
});
