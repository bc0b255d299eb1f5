/**
 * History for the embedded TSDB: the fleet replayed from its start, one sample per series every
 * step, written as OpenMetrics with timestamps (what `vigil tsdb import` and `promtool tsdb
 * create-blocks-from openmetrics` read), with the target labels a scrape of it would add.
 */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import type { Fleet } from './fleet.js';

export interface BackfillOptions {
  /** The last sample's time (unix ms); the first is the fleet's start. */
  to: number;
  stepMs: number;
  /** Added to every series, e.g. the job and instance a scrape of the fleet adds. */
  targetLabels: Record<string, string>;
  /** Stops early: the file is left incomplete (no `# EOF`). */
  signal?: AbortSignal;
}

export interface BackfillReport {
  file: string;
  series: number;
  samples: number;
  from: number;
  to: number;
}

const FAMILY_SUFFIX: Record<string, RegExp> = { counter: /_total$/, histogram: /_(bucket|sum|count)$/ };

function escape(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** Unix ms as OpenMetrics seconds, exact to the millisecond. */
function seconds(ms: number): string {
  return `${Math.floor(ms / 1000)}.${String(ms % 1000).padStart(3, '0')}`;
}

/** Replays `fleet` up to `options.to` and writes every step's values to `file`; the fleet is left at `to`. */
export async function writeBackfill(fleet: Fleet, file: string, options: BackfillOptions): Promise<BackfillReport> {
  const from = fleet.now;
  const times: number[] = [];
  for (let t = from; t <= options.to; t += options.stepMs) times.push(t);
  const series = new Map<string, { family: string; type: string; values: Float64Array }>();
  const types = new Map<string, string>();
  for (const metric of await fleet.registry.getMetricsAsJSON()) types.set(metric.name, String(metric.type));
  for (let k = 0; k < times.length; k++) {
    // let the event loop in now and then: a signal, or a request to the stand-ins, is answered meanwhile
    if (k % 4 === 0) await new Promise((resolve) => setImmediate(resolve));
    if (options.signal?.aborted) return { file, series: series.size, samples: 0, from, to: from };
    fleet.advanceTo(times[k]);
    for (const s of await fleet.samples()) {
      const labels = { ...s.labels, ...options.targetLabels };
      const text = Object.keys(labels)
        .sort()
        .map((l) => `${l}="${escape(labels[l])}"`)
        .join(',');
      const id = `${s.name}{${text}}`;
      let entry = series.get(id);
      if (!entry) {
        const base = [...types.keys()].find((n) => s.name === n || s.name.startsWith(`${n}_`)) ?? s.name;
        const type = types.get(base) ?? 'unknown';
        series.set(id, (entry = { family: base.replace(FAMILY_SUFFIX[type] ?? /$^/, ''), type, values: new Float64Array(times.length).fill(NaN) }));
      }
      entry.values[k] = s.value;
    }
  }
  const out = createWriteStream(file);
  const write = async (text: string) => {
    if (!out.write(text)) await once(out, 'drain');
  };
  let samples = 0;
  const byFamily = [...series.entries()].sort((a, b) => a[1].family.localeCompare(b[1].family));
  let family = '';
  for (const [id, entry] of byFamily) {
    if (entry.family !== family) {
      family = entry.family;
      await write(`# TYPE ${family} ${entry.type}\n`);
    }
    const lines: string[] = [];
    entry.values.forEach((v, k) => {
      // a series that did not exist yet at this step has no sample
      if (Number.isNaN(v)) return;
      lines.push(`${id} ${v} ${seconds(times[k])}`);
    });
    samples += lines.length;
    if (lines.length) await write(lines.join('\n') + '\n');
  }
  await write('# EOF\n');
  out.end();
  await once(out, 'finish');
  return { file, series: series.size, samples, from, to: times[times.length - 1] };
}
