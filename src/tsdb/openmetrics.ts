/**
 * Loads OpenMetrics text with timestamps — what `promtool tsdb create-blocks-from openmetrics`
 * reads: `# TYPE`/`# HELP`/`# UNIT` lines, `name{labels} value timestamp-in-seconds`, `# EOF`.
 * Hand-written: the npm parsers of the exposition format drop timestamps or read ms, and this
 * path must stream files of millions of lines without an object per sample.
 */
import { createReadStream } from 'node:fs';
import type { MemoryStore, SeriesRef } from './memory.js';
import { ExpositionError, parseSeriesText } from './scrape/exposition.js';

export class OpenMetricsError extends Error {
  constructor(
    readonly source: string,
    readonly line: number,
    readonly detail: string,
  ) {
    super(`${source}:${line}: ${detail}`);
    this.name = 'OpenMetricsError';
  }
}

export interface LoadReport {
  series: number;
  samples: number;
  /** Earliest and latest sample times (ms); undefined for a file without samples. */
  minTime?: number;
  maxTime?: number;
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const FLOAT = /^[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|inf|infinity|nan)$/i;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'gaugehistogram', 'summary', 'info', 'stateset', 'unknown']);

function parseFloatGo(text: string): number | undefined {
  if (!FLOAT.test(text)) return undefined;
  const t = text.toLowerCase();
  if (t.endsWith('nan')) return NaN;
  if (t.endsWith('inf') || t.endsWith('infinity')) return t.startsWith('-') ? -Infinity : Infinity;
  return Number(text);
}

/** Where the reader puts series and samples: a MemoryStore, or an Appender behind refs (import.ts). */
export interface SeriesSink {
  seriesRef(labels: Readonly<Record<string, string>>): SeriesRef;
  append(ref: SeriesRef, timestampMs: number, value: number): void;
}

/** Reads OpenMetrics line by line into a store; `end()` checks the `# EOF`. */
export class OpenMetricsReader {
  private lineNo = 0;
  private eof = false;
  private refs = new Map<string, SeriesRef>();
  private seriesSeen = new Set<SeriesRef>();
  private samples = 0;
  private minTime?: number;
  private maxTime?: number;

  constructor(
    private readonly store: SeriesSink,
    private readonly source: string,
  ) {}

  private fail(detail: string): never {
    throw new OpenMetricsError(this.source, this.lineNo, detail);
  }

  line(text: string): void {
    this.lineNo++;
    if (text.endsWith('\r')) text = text.slice(0, -1);
    if (this.eof) {
      if (text.trim() === '') return;
      this.fail('content after "# EOF"');
    }
    if (text.length === 0 || (text.charCodeAt(0) <= 32 && text.trim() === '')) return;
    if (text.charCodeAt(0) === 35 /* # */) return this.comment(text);
    if (!this.fastSample(text)) this.sample(text);
  }

  /**
   * The common line, `series value timestamp` with no `#` anywhere, read from its end: two
   * lastIndexOf and one map lookup. Anything else (exemplars, no timestamp, errors) takes sample().
   */
  private fastSample(text: string): boolean {
    if (text.indexOf('#') >= 0) return false;
    const lastSpace = text.lastIndexOf(' ');
    const prevSpace = lastSpace > 0 ? text.lastIndexOf(' ', lastSpace - 1) : -1;
    if (prevSpace <= 0) return false;
    const seriesText = text.slice(0, prevSpace);
    const ref = this.refs.get(seriesText);
    if (ref === undefined) return false; // a new series: parsed (and checked) once by sample()
    const value = parseFloatGo(text.slice(prevSpace + 1, lastSpace));
    const seconds = parseFloatGo(text.slice(lastSpace + 1));
    if (value === undefined || seconds === undefined || !Number.isFinite(seconds)) return false;
    this.add(ref, Math.round(seconds * 1000), value);
    return true;
  }

  private add(ref: SeriesRef, ms: number, value: number): void {
    this.store.append(ref, ms, value);
    this.seriesSeen.add(ref);
    this.samples++;
    if (this.minTime === undefined || ms < this.minTime) this.minTime = ms;
    if (this.maxTime === undefined || ms > this.maxTime) this.maxTime = ms;
  }

  private comment(text: string): void {
    if (text === '# EOF') {
      this.eof = true;
      return;
    }
    const m = /^# (TYPE|HELP|UNIT) (\S+)(?: (.*))?$/.exec(text);
    if (!m) return;
    if (!METRIC_NAME.test(m[2])) this.fail(`"${m[2]}" is not a valid metric name`);
    if (m[1] === 'TYPE' && !TYPES.has(m[3] ?? '')) this.fail(`unknown metric type "${m[3] ?? ''}" for ${m[2]}`);
  }

  private sample(text: string): void {
    // The series is everything up to the first space outside the braces.
    let i = 0;
    const brace = text.indexOf('{');
    const space = text.indexOf(' ');
    if (brace >= 0 && (space < 0 || brace < space)) {
      i = brace + 1;
      let quoted = false;
      for (; i < text.length; i++) {
        const c = text.charCodeAt(i);
        if (quoted) {
          if (c === 92 /* \ */) i++;
          else if (c === 34 /* " */) quoted = false;
        } else if (c === 34) quoted = true;
        else if (c === 125 /* } */) break;
      }
      if (i >= text.length) this.fail('unterminated label set: no closing "}"');
      i++;
    } else {
      i = space < 0 ? text.length : space;
    }
    const seriesText = text.slice(0, i);
    let ref = this.refs.get(seriesText);
    if (ref === undefined) {
      ref = this.store.seriesRef(this.parseSeries(seriesText));
      this.refs.set(seriesText, ref);
    }
    if (text[i] !== ' ') this.fail(`expected a space and a value after ${seriesText}`);
    const rest = text.slice(i + 1);
    const exemplar = rest.indexOf(' # ');
    const fields = (exemplar >= 0 ? rest.slice(0, exemplar) : rest).split(' ');
    if (fields.length > 2 || fields[0] === '') this.fail(`expected "value timestamp" after ${seriesText}, got "${rest}"`);
    const value = parseFloatGo(fields[0]);
    if (value === undefined) this.fail(`"${fields[0]}" is not a number`);
    if (fields.length < 2) this.fail(`no timestamp for ${seriesText}: backfilled samples need one (Unix seconds)`);
    const seconds = parseFloatGo(fields[1]);
    if (seconds === undefined || !Number.isFinite(seconds)) this.fail(`"${fields[1]}" is not a timestamp in Unix seconds`);
    this.add(ref, Math.round(seconds * 1000), value);
  }

  /** The series' labels, parsed as the scraper parses them; a mistake is named at this file's line. */
  private parseSeries(text: string): Record<string, string> {
    try {
      return parseSeriesText(text, this.lineNo);
    } catch (err) {
      if (err instanceof ExpositionError) this.fail(err.detail);
      throw err;
    }
  }

  end(): LoadReport {
    if (!this.eof) {
      this.lineNo++;
      this.fail('no "# EOF" at the end: OpenMetrics (and promtool tsdb create-blocks-from openmetrics) requires it');
    }
    return { series: this.seriesSeen.size, samples: this.samples, minTime: this.minTime, maxTime: this.maxTime };
  }
}

/** Loads OpenMetrics text into the store. */
export function loadOpenMetrics(store: MemoryStore, text: string, source = '<input>'): LoadReport {
  const reader = new OpenMetricsReader(store, source);
  let at = 0;
  while (at < text.length) {
    let nl = text.indexOf('\n', at);
    if (nl < 0) nl = text.length;
    reader.line(text.slice(at, nl));
    at = nl + 1;
  }
  const report = reader.end();
  store.compact();
  return report;
}

/** Streams an OpenMetrics file into the store, yielding to the event loop between chunks. */
export async function loadOpenMetricsFile(store: MemoryStore, path: string): Promise<LoadReport> {
  const reader = new OpenMetricsReader(store, path);
  let pending = '';
  for await (const chunk of createReadStream(path, { encoding: 'utf8', highWaterMark: 1 << 20 })) {
    const text = pending + (chunk as string);
    let at = 0;
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', at)) {
      reader.line(text.slice(at, nl));
      at = nl + 1;
    }
    pending = text.slice(at);
  }
  if (pending !== '') reader.line(pending);
  const report = reader.end();
  store.compact();
  return report;
}
