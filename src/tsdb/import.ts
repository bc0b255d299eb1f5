/**
 * Backfill: OpenMetrics files (what `promtool tsdb create-blocks-from openmetrics` reads) into any
 * SampleStorage through its Appender, one commit per chunk read. Every file is checked in a first
 * pass, so a bad line changes nothing.
 */
import { createReadStream } from 'node:fs';
import { OpenMetricsReader, type LoadReport, type SeriesSink } from './openmetrics.js';
import type { Appender, Labels, SampleStorage } from './storage.js';

/** Series refs over an Appender, which takes labels with each sample. */
class AppenderSink implements SeriesSink {
  private labels: Labels[] = [];
  appender?: Appender;
  seriesRef(labels: Labels): number {
    this.labels.push(labels);
    return this.labels.length - 1;
  }
  append(ref: number, t: number, v: number): void {
    this.appender?.append(this.labels[ref], t, v);
  }
}

async function readLines(path: string, each: (line: string) => void, afterChunk: () => Promise<void>): Promise<void> {
  let pending = '';
  for await (const chunk of createReadStream(path, { encoding: 'utf8', highWaterMark: 1 << 20 })) {
    const text = pending + (chunk as string);
    let at = 0;
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', at)) {
      each(text.slice(at, nl));
      at = nl + 1;
    }
    pending = text.slice(at);
    await afterChunk();
  }
  if (pending !== '') each(pending);
}

export interface ImportReport extends LoadReport {
  file: string;
}

/** Checks every file (OpenMetricsError names file:line), then appends them all; returns one report per file. */
export async function importOpenMetricsFiles(storage: SampleStorage, files: readonly string[]): Promise<ImportReport[]> {
  for (const file of files) {
    const reader = new OpenMetricsReader(new AppenderSink(), file);
    await readLines(file, (l) => reader.line(l), async () => undefined);
    reader.end();
  }
  const reports: ImportReport[] = [];
  for (const file of files) {
    const sink = new AppenderSink();
    sink.appender = storage.appender();
    const reader = new OpenMetricsReader(sink, file);
    await readLines(
      file,
      (l) => reader.line(l),
      async () => {
        await sink.appender!.commit();
        sink.appender = storage.appender();
      },
    );
    const report = reader.end();
    await sink.appender.commit();
    reports.push({ file, ...report });
  }
  return reports;
}
