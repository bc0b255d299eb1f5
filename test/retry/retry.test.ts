/** The one retry helper: backoff with an injected random source and sleep, Retry-After, attempts and deadline. */
import { backoffDelay, DeadlinePassed, retry } from '../../src/retry/index.js';

describe('retry', () => {
  test('full and equal jitter scale the doubling ceiling by the injected random source, capped at maxMs', () => {
    const at = (r: number, jitter: 'full' | 'equal', n: number) => backoffDelay(n, { baseMs: 100, maxMs: 1000, jitter, random: () => r });
    expect([1, 2, 3, 4, 5].map((n) => at(0.5, 'full', n))).toEqual([50, 100, 200, 400, 500]);
    expect([1, 2, 5].map((n) => at(0, 'equal', n))).toEqual([50, 100, 500]);
    expect(at(0.999, 'full', 1)).toBe(100);
  });

  test('retries what is retryable, waits at least a Retry-After, and stops at maxAttempts with the last error', async () => {
    const waits: number[] = [];
    let calls = 0;
    const err = await retry(
      async () => {
        calls++;
        throw new Error(`boom ${calls}`);
      },
      { baseMs: 100, maxMs: 1000, maxAttempts: 3, random: () => 0, retryable: () => ({ afterMs: 250 }), sleep: async (ms) => void waits.push(ms) },
    ).catch((e: Error) => e);
    expect((err as Error).message).toBe('boom 3');
    expect(waits).toEqual([250, 250]);
  });

  test('an error that is not retryable fails at once; a wait that would cross the deadline is not begun', async () => {
    let calls = 0;
    const fail = async () => {
      calls++;
      throw new Error(`down ${calls}`);
    };
    await expect(retry(fail, { baseMs: 1, maxMs: 1, retryable: () => false })).rejects.toThrow('down 1');
    calls = 0;
    let now = 1000;
    const waits: number[] = [];
    const opts = { baseMs: 400, maxMs: 1000, random: () => 0.99, deadline: 1500, now: () => now, retryable: () => ({}) };
    await expect(retry(fail, { ...opts, sleep: async (ms: number) => void (waits.push(ms), (now += ms)) })).rejects.toThrow('down 2');
    expect(waits).toEqual([396]); // the next one, 792 ms, would end after the deadline
  });

  test('the deadline passed before the first attempt', async () => {
    await expect(retry(async () => 1, { baseMs: 1, maxMs: 1, deadline: 5, now: () => 10, retryable: () => ({}) })).rejects.toBeInstanceOf(DeadlinePassed);
  });
});
