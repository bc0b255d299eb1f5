import { formatDuration, parseDuration } from '../../src/promql/index.js';

describe('parseDuration', () => {
  test.each([
    ['5m', 300_000], ['1h30m', 5_400_000], ['1d', 86_400_000], ['1w', 604_800_000], ['1y', 31_536_000_000],
    ['250ms', 250], ['1m30s500ms', 90_500], ['0', 0], ['0s', 0], ['90s', 90_000],
  ])('%s is %d ms', (s, ms) => {
    expect(parseDuration(s)).toBe(ms);
  });

  test.each([
    ['five minutes', '"five minutes" is not a duration (e.g. 5m, 1h30m)'],
    ['', 'an empty string is not a duration (e.g. 5m, 1h30m)'],
    ['5', '"5" is not a duration: it needs a unit (e.g. 5s, 5m)'],
    ['1.5h', '"1.5h" is not a duration: use whole numbers of a smaller unit (e.g. 5m, 1h30m)'],
    ['30m1h', '"30m1h" is not a duration: units must go from largest to smallest (y, w, d, h, m, s, ms), each at most once'],
    ['5m5m', '"5m5m" is not a duration: units must go from largest to smallest (y, w, d, h, m, s, ms), each at most once'],
    ['-5m', '"-5m" is not a duration: durations cannot be negative'],
    [' 5m', '" 5m" is not a duration: remove the spaces (e.g. 5m, 1h30m)'],
    ['5M', '"5M" is not a duration: units are lower case (y, w, d, h, m, s, ms)'],
    ['300000y', '"300000y" is not a duration: out of range'],
  ])('%j is rejected', (s, message) => {
    expect(() => parseDuration(s)).toThrow(message);
  });
});

describe('formatDuration', () => {
  test.each([
    [5_400_000, '1h30m'], [0, '0s'], [300_000, '5m'], [604_800_000, '1w'], [31_536_000_000 + 86_400_000, '1y1d'],
    [90_500, '1m30s500ms'], [-60_000, '-1m'],
  ])('%d ms is %s', (ms, s) => {
    expect(formatDuration(ms)).toBe(s);
  });

  test('round-trips with parseDuration', () => {
    for (const s of ['1y2w3d4h5m6s7ms', '2h', '10s', '1d12h']) expect(formatDuration(parseDuration(s))).toBe(s);
  });
});
