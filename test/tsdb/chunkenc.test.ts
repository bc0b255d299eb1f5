import { ChunkEncoder, decodeChunk, isStaleNaN, STALE_NAN } from '../../src/tsdb/index.js';

/** Encodes the samples as the head does (a new chunk when a value does not fit), decodes them back; `stale` marks staleness markers. */
function roundTrip(ts: number[], vs: number[], stale: boolean[] = []) {
  const chunks: Uint8Array[] = [];
  let e = new ChunkEncoder();
  ts.forEach((t, i) => {
    if (!e.fits(vs[i], stale[i])) {
      chunks.push(e.bytes());
      e = new ChunkEncoder();
    }
    if (stale[i]) e.appendStale(t);
    else e.append(t, vs[i]);
  });
  chunks.push(e.bytes());
  const T = new Float64Array(ts.length);
  const V = new Float64Array(ts.length);
  const S = new Uint8Array(ts.length);
  let n = 0;
  for (const c of chunks) n += decodeChunk(c, 0, T, V, S, n);
  const bytes = chunks.reduce((sum, c) => sum + c.length, 0);
  return { n, chunks: chunks.length, bytes, t: [...T], v: [...V], stale: [...S].map((x) => x === 1) };
}

/** A seeded generator: failures reproduce. */
function rng(seed: number) {
  return () => {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    return seed / 4294967296;
  };
}

const T0 = 1_765_000_000_000;

describe('XOR chunk (delta-of-delta timestamps, XOR values)', () => {
  test('random floats at irregular timestamps come back bit for bit', () => {
    const r = rng(7);
    for (let round = 0; round < 20; round++) {
      const ts: number[] = [];
      const vs: number[] = [];
      let t = T0 + Math.floor(r() * 1e9);
      for (let i = 0; i < 120; i++) {
        // Gaps from 1 ms to days exercise every delta-of-delta bucket, and the 64-bit escape.
        const gap = [1, 15_000, 15_000 + Math.floor(r() * 8000), 60_000 + Math.floor(r() * 100_000), Math.floor(r() * 5e8), 3 * 86_400_000][Math.floor(r() * 6)];
        t += gap;
        ts.push(t);
        vs.push((r() - 0.5) * 10 ** Math.floor(r() * 40 - 20));
      }
      const out = roundTrip(ts, vs);
      expect(out.n).toBe(120);
      expect(out.t).toEqual(ts);
      expect(out.v).toEqual(vs);
    }
  });

  test('constant, counter and gauge series, and timestamps before 1970', () => {
    const ts = Array.from({ length: 120 }, (_, i) => -5_000_000 + i * 15_000);
    expect(roundTrip(ts, ts.map(() => 42)).v).toEqual(ts.map(() => 42));
    const counter = ts.map((_, i) => i * 37 + (i % 3));
    expect(roundTrip(ts, counter).v).toEqual(counter);
    // Counter resets and huge jumps take every integer delta-of-delta bucket, up to the 64-bit escape.
    const jumps = ts.map((_, i) => [0, 2 ** 45, 3, -(2 ** 49), 100, 164, 228, 100_000, 5, 2 ** 23][i % 10] + i);
    expect(roundTrip(ts, jumps).v).toEqual(jumps);
    expect(roundTrip(ts, jumps).chunks).toBe(1);
    const gauge = ts.map((_, i) => Math.sin(i / 10) * 1e3);
    expect(roundTrip(ts, gauge).v).toEqual(gauge);
    expect(roundTrip(ts, gauge).t).toEqual(ts);
  });

  test('NaN, ±Inf, -0, extremes and staleness markers survive, and a stale marker is told from NaN', () => {
    const vs = [1, NaN, Infinity, -Infinity, -0, 0, Number.MAX_VALUE, Number.MIN_VALUE, -Number.MAX_VALUE, NaN, 5, 5];
    const stale = vs.map((_, i) => i === 3 || i === 10);
    const ts = vs.map((_, i) => T0 + i * 15_000);
    const out = roundTrip(ts, vs, stale);
    expect(out.stale).toEqual(stale);
    vs.forEach((v, i) => {
      if (stale[i]) expect(out.v[i]).toBeNaN();
      else expect(Object.is(out.v[i], v)).toBe(true);
    });
    expect(isStaleNaN(STALE_NAN)).toBe(true);
    // A staleness-marker NaN appended as a value (as remote write carries it) is a marker too.
    const e = new ChunkEncoder();
    e.append(T0, STALE_NAN);
    const S = new Uint8Array(1);
    decodeChunk(e.bytes(), 0, new Float64Array(1), new Float64Array(1), S, 0);
    expect(S[0]).toBe(1);
    expect(isStaleNaN(NaN)).toBe(false);
    expect(isStaleNaN(0)).toBe(false);
  });

  test('a single sample, and a decode into the middle of larger arrays', () => {
    const e = new ChunkEncoder();
    e.append(T0, 3.5);
    const T = new Float64Array(4);
    const V = new Float64Array(4);
    expect(decodeChunk(e.bytes(), 0, T, V, undefined, 2)).toBe(1);
    expect([...T]).toEqual([0, 0, T0, 0]);
    expect([...V]).toEqual([0, 0, 3.5, 0]);
  });

  test('an integer chunk hands over to a new chunk at the first fraction, NaN or staleness marker', () => {
    const ts = [1, 2, 3, 4, 5, 6].map((i) => T0 + i * 1000);
    const out = roundTrip(ts, [1, 2, 2.5, 3, 4, 4], [false, false, false, false, true, false]);
    expect(out.chunks).toBe(2); // the XOR chunk after 2.5 takes anything
    expect(out.v.slice(0, 4)).toEqual([1, 2, 2.5, 3]);
    expect(out.stale).toEqual([false, false, false, false, true, false]);
    expect(roundTrip(ts.slice(0, 3), [7, 7, -0]).chunks).toBe(2);
    expect(Object.is(roundTrip(ts.slice(0, 3), [7, 7, -0]).v[2], -0)).toBe(true);
  });

  test('a float counter (XOR) and an integer counter both round-trip', () => {
    const ts = Array.from({ length: 120 }, (_, i) => T0 + i * 15_000);
    const sum = ts.map((_, i) => Math.round(i * 12.7 * 10) / 10);
    expect(roundTrip(ts, sum).v).toEqual(sum);
  });

  test('a 15 s-scraped counter takes 1–2 bytes per sample', () => {
    const r = rng(3);
    const ts: number[] = [];
    const vs: number[] = [];
    let v = 10_000;
    for (let i = 0; i < 120; i++) {
      ts.push(T0 + i * 15_000 + (i % 10 === 0 ? 1 : 0)); // scrape jitter now and then
      v += Math.floor(r() * 40); // ~1.3 req/s
      vs.push(v);
    }
    const { bytes, v: back, chunks } = roundTrip(ts, vs);
    expect(back).toEqual(vs);
    expect(chunks).toBe(1);
    const perSample = bytes / 120;
    expect(perSample).toBeGreaterThanOrEqual(1);
    expect(perSample).toBeLessThanOrEqual(2);
  });
});
