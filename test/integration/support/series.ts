/**
 * Test series described once, written both for `promtool test rules` (input_series)
 * and as history for a real Prometheus (OpenMetrics for `promtool tsdb create-blocks-from`).
 */

export type Labels = Record<string, string>;

/** `# TYPE` of the series' metric family. Prometheus 2.42 keeps no metadata in blocks, so it is documentation. */
export type MetricType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'unknown';

/** [unix ms, value]; NaN and ±Infinity are allowed. */
export type Point = [number, number];

export interface SeriesSpec {
  /** The name samples are stored under: agent_requests_total, agent_request_duration_seconds_bucket, ... */
  metric: string;
  labels?: Labels;
  /** Default: counter for *_total, histogram for *_bucket with an `le` label, else gauge. */
  type?: MetricType;
  /** In any order; each timestamp at most once. */
  samples: Point[];
}

/** One value of promtool's expanded series notation: a number, a missing sample, or a staleness marker. */
export type NotationValue = number | '_' | 'stale';

const NUMBER = String.raw`(?:[+-]?(?:inf|nan|(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?))`;
const ITEM = new RegExp(String.raw`^(?:(_)|(stale)|(${NUMBER}))(?:([+-](?:inf|nan|(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?))?x(\d+))?$`, 'i');

/**
 * Expands promtool's series notation the way promtool does:
 * `a+bxn` is a, a+b, ... a+n*b (n+1 values, added up step by step); `axn` is n+1 times a;
 * `_` is a missing sample and `_xn` n of them; `stale` is a staleness marker.
 */
export function expandNotation(notation: string): NotationValue[] {
  const out: NotationValue[] = [];
  for (const item of notation.trim().split(/\s+/).filter(Boolean)) {
    const m = ITEM.exec(item);
    if (!m) throw new Error(`series notation: cannot read "${item}" in "${notation}" (expected e.g. 1, 0+10x100, _x3, stale)`);
    const [, blank, stale, first, increment, times] = m;
    const n = times === undefined ? undefined : Number(times);
    if (blank) {
      if (increment !== undefined) throw new Error(`series notation: "${item}": a missing sample cannot increment`);
      for (let i = 0; i < (n ?? 1); i++) out.push('_');
      continue;
    }
    if (stale) {
      if (increment !== undefined) throw new Error(`series notation: "${item}": a stale marker cannot increment`);
      for (let i = 0; i <= (n ?? 0); i++) out.push('stale');
      continue;
    }
    let value = parseNumber(first);
    if (n === undefined) {
      out.push(value);
      continue;
    }
    const step = increment === undefined ? 0 : parseNumber(increment);
    for (let i = 0; i <= n; i++) {
      out.push(value);
      value += step; // step by step, as promtool does: a+3*b may differ from a+b+b+b in the last bit
    }
  }
  return out;
}

function parseNumber(s: string): number {
  const lower = s.toLowerCase();
  const sign = lower.startsWith('-') ? -1 : 1;
  const body = lower.replace(/^[+-]/, '');
  if (body === 'inf') return sign * Infinity;
  if (body === 'nan') return NaN;
  return Number(s);
}

export interface NotationOptions {
  /** Unix ms of the first value (promtool's time 0 is the epoch). */
  start: number;
  /** Between values; promtool's `interval` (its default is 1m). */
  intervalMs: number;
  /**
   * OpenMetrics cannot carry Prometheus' staleness marker, so `stale` cannot be
   * written as history. 'error' (default) refuses it; 'omit' leaves a gap, which
   * differs from promtool: a stale series vanishes at once, a gap only after the 5m lookback.
   */
  stale?: 'error' | 'omit';
}

/** Samples of a promtool series notation: value i at start + i*interval; `_` leaves a gap. */
export function samplesFrom(notation: string, opts: NotationOptions): Point[] {
  const points: Point[] = [];
  expandNotation(notation).forEach((v, i) => {
    if (v === '_') return;
    if (v === 'stale') {
      if (opts.stale === 'omit') return;
      throw new Error(`series notation "${notation}": "stale" cannot be written as OpenMetrics history; pass stale: 'omit' to leave a gap instead`);
    }
    points.push([opts.start + i * opts.intervalMs, v]);
  });
  return points;
}

/** Parses promtool's `series:` selector, e.g. `agent_requests_total{status="failure", agent_id="a"}`. */
export function parseSeriesSelector(selector: string): { metric: string; labels: Labels } {
  const m = /^\s*([a-zA-Z_:][a-zA-Z0-9_:]*)?\s*(?:\{(.*)\})?\s*$/s.exec(selector);
  if (!m) throw new Error(`series selector: cannot read "${selector}"`);
  const labels: Labels = {};
  let metric = m[1] ?? '';
  let rest = (m[2] ?? '').trim();
  while (rest.length > 0) {
    const lm = /^([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*(?:,\s*)?/s.exec(rest);
    if (!lm) throw new Error(`series selector: cannot read labels at "${rest}" in "${selector}"`);
    labels[lm[1]] = lm[2].replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    rest = rest.slice(lm[0].length);
  }
  if (labels.__name__ !== undefined) {
    if (metric && metric !== labels.__name__) throw new Error(`series selector "${selector}" names two metrics`);
    metric = labels.__name__;
    delete labels.__name__;
  }
  if (!metric) throw new Error(`series selector "${selector}" has no metric name`);
  return { metric, labels };
}

/** A promtool `input_series` entry as a SeriesSpec for startPrometheus. */
export function fromPromtoolSeries(input: { series: string; values: string }, opts: NotationOptions & { type?: MetricType }): SeriesSpec {
  const { metric, labels } = parseSeriesSelector(input.series);
  return { metric, labels, type: opts.type, samples: samplesFrom(input.values, opts) };
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

function inferType(s: SeriesSpec): MetricType {
  if (s.type) return s.type;
  if (s.metric.endsWith('_total')) return 'counter';
  if (s.metric.endsWith('_bucket') && s.labels?.le !== undefined) return 'histogram';
  return 'gauge';
}

function familyName(metric: string, type: MetricType): string {
  const suffixes: Record<MetricType, string[]> = {
    counter: ['_total', '_created'],
    histogram: ['_bucket', '_count', '_sum', '_created'],
    summary: ['_count', '_sum', '_created'],
    gauge: [],
    unknown: [],
  };
  for (const suffix of suffixes[type]) if (metric.endsWith(suffix)) return metric.slice(0, -suffix.length);
  return metric;
}

export function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

/** Unix ms as OpenMetrics seconds, exact to the millisecond. */
export function formatTimestamp(ms: number): string {
  if (!Number.isInteger(ms) || ms < 0) throw new Error(`sample timestamp must be a non-negative integer of unix ms, got ${ms}`);
  return `${Math.floor(ms / 1000)}.${String(ms % 1000).padStart(3, '0')}`;
}

function escapeLabelValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/**
 * Writes series as OpenMetrics text for `promtool tsdb create-blocks-from openmetrics`:
 * one `# TYPE` per family, each series' samples by time, `# EOF`.
 * promtool silently drops out-of-order and duplicate samples, so both are refused here.
 */
export function toOpenMetrics(series: SeriesSpec[]): string {
  const families = new Map<string, { type: MetricType; lines: string[] }>();
  const seen = new Set<string>();
  for (const s of series) {
    if (!METRIC_NAME.test(s.metric)) throw new Error(`"${s.metric}" is not a valid metric name`);
    const labels = s.labels ?? {};
    for (const name of Object.keys(labels)) {
      if (!LABEL_NAME.test(name) || name === '__name__') throw new Error(`${s.metric}: "${name}" is not a valid label name`);
    }
    const labelText = Object.keys(labels)
      .sort()
      .map((k) => `${k}="${escapeLabelValue(labels[k])}"`)
      .join(',');
    const id = labelText ? `${s.metric}{${labelText}}` : s.metric;
    if (seen.has(id)) throw new Error(`series ${id} is given twice; give all its samples in one SeriesSpec`);
    seen.add(id);

    const type = inferType(s);
    const family = familyName(s.metric, type);
    const key = `${family} ${type}`;
    let f = families.get(key);
    if (!f) families.set(key, (f = { type, lines: [] }));

    const samples = [...s.samples].sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < samples.length; i++) {
      if (samples[i][0] === samples[i - 1][0]) {
        throw new Error(`series ${id} has two samples at ${new Date(samples[i][0]).toISOString()}`);
      }
    }
    for (const [t, v] of samples) f.lines.push(`${id} ${formatValue(v)} ${formatTimestamp(t)}`);
  }
  let text = '';
  for (const [key, f] of families) {
    text += `# TYPE ${key.split(' ')[0]} ${f.type}\n`;
    text += f.lines.length > 0 ? `${f.lines.join('\n')}\n` : '';
  }
  return `${text}# EOF\n`;
}
