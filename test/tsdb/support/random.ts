// Random but reproducible series for the differential tests of the TSDB against MemoryStore.
import type { Appender, Labels } from '../../../src/tsdb/index.js';

/** A seeded generator: failures reproduce. */
export function rng(seed: number) {
  return () => {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    return seed / 4294967296;
  };
}

export interface RandomSample {
  labels: Labels;
  t: number;
  v: number;
  stale: boolean;
}

export const T0 = 1_765_000_000_000;

/**
 * `series` series of a few metrics × jobs × instances, each with samples in time order from T0
 * over `hours`: counters, gauges with fractions, NaN/±Inf, gaps and staleness markers; the
 * samples of all series interleaved as scrapes deliver them.
 */
export function randomSamples(seed: number, series: number, hours: number): RandomSample[] {
  const r = rng(seed);
  const out: RandomSample[] = [];
  for (let i = 0; i < series; i++) {
    const labels: Record<string, string> = {
      __name__: ['agent_requests_total', 'agent_tokens_consumed_total', 'queue_depth', 'up'][i % 4],
      job: ['api', 'web', 'batch'][Math.floor(r() * 3)],
      instance: `host-${i}`,
    };
    if (r() < 0.5) labels.status = r() < 0.5 ? 'success' : 'failure';
    if (r() < 0.1) labels.extra = ''; // dropped, as Prometheus drops empty labels
    const step = [15_000, 30_000, 60_000][Math.floor(r() * 3)];
    const kind = Math.floor(r() * 4);
    let v = Math.floor(r() * 1000);
    for (let t = T0 + Math.floor(r() * step); t < T0 + hours * 3600_000; t += step + (r() < 0.1 ? Math.floor(r() * 50) : 0)) {
      if (r() < 0.03) continue; // a missed scrape
      const stale = r() < 0.01;
      if (kind === 0) v += Math.floor(r() * 20);
      else if (kind === 1) v = Math.round(r() * 1e4) / 100;
      else if (kind === 2) v = [1, 0, NaN, Infinity, -Infinity, -0, 2.5][Math.floor(r() * 7)];
      else v = r() < 0.9 ? v : Math.floor(r() * 10);
      out.push({ labels, t, v, stale });
    }
  }
  return out.sort((a, b) => a.t - b.t);
}

/** Appends the samples in batches of one scrape interval's worth. */
export async function appendAll(app: () => Appender, samples: readonly RandomSample[], batchMs = 60_000): Promise<void> {
  let a = app();
  let batchEnd = samples.length ? samples[0].t + batchMs : 0;
  for (const s of samples) {
    if (s.t >= batchEnd) {
      await a.commit();
      a = app();
      batchEnd = s.t + batchMs;
    }
    if (s.stale) a.markStale(s.labels, s.t);
    else a.append(s.labels, s.t, s.v);
  }
  await a.commit();
}
