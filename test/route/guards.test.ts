import { RateLimiter, isStorm } from '../../src/route/guards.js';

const MIN = 60_000;
const H = 60 * MIN;

describe('per-receiver rate limit', () => {
  test('allows max sends per window, holds back the rest and tells the count in the next one that goes out', () => {
    const rl = new RateLimiter({ max: 3, perMs: H });
    expect(rl.admit(0)).toEqual({ allowed: true, remaining: 2, suppressed: 0, resumesAt: H });
    expect(rl.admit(10 * MIN).allowed).toBe(true);
    expect(rl.admit(20 * MIN)).toEqual({ allowed: true, remaining: 0, suppressed: 0, resumesAt: H });
    expect(rl.admit(30 * MIN)).toEqual({ allowed: false, remaining: 0, suppressed: 1, resumesAt: H });
    expect(rl.admit(40 * MIN)).toEqual({ allowed: false, remaining: 0, suppressed: 2, resumesAt: H });
    // the window slides: the send at 0 leaves at 1h exactly
    expect(rl.admit(H)).toEqual({ allowed: true, remaining: 0, suppressed: 2, resumesAt: H + 10 * MIN });
    expect(rl.admit(H + MIN).suppressed).toBe(1);
    expect(rl.suppressedTotal).toBe(3);
  });

  test('a refunded (failed) send does not count against the cap', () => {
    const rl = new RateLimiter({ max: 1, perMs: H });
    expect(rl.admit(0).allowed).toBe(true);
    rl.refund(0);
    expect(rl.admit(MIN).allowed).toBe(true);
    expect(rl.admit(2 * MIN).allowed).toBe(false);
  });

  test('bad options are refused', () => {
    expect(() => new RateLimiter({ max: 0, perMs: H })).toThrow(RangeError);
  });
});

test('a storm is strictly more alerts than the threshold; no threshold, no storm', () => {
  expect(isStorm(20, 20)).toBe(false);
  expect(isStorm(21, 20)).toBe(true);
  expect(isStorm(10_000, undefined)).toBe(false);
});
