/**
 * One target's scrape loop: fetch, parse, label (honor_labels, metric_relabel_configs), append,
 * report (up, scrape_duration_seconds, …) and staleness markers for the series that went away —
 * Prometheus' scrape loop in small.
 */
import type { Agent } from 'node:http';
import type { Logger } from 'pino';
import type { ScrapeConfig } from '../../config/index.js';
import type { Appender, Labels, SampleStorage } from '../storage.js';
import { ScrapeCache } from './cache.js';
import { parseSeriesText } from './exposition.js';
import { fetchPage, SCRAPE_ACCEPT } from './http.js';
import { compileRelabel, type Relabel } from './relabel.js';
import type { ScrapeTarget } from './targets.js';

export interface ScrapeResult {
  target: ScrapeTarget;
  /** Scrape start (ms): the timestamp of its samples. */
  timestampMs: number;
  up: boolean;
  error?: string;
  durationMs: number;
  samplesScraped: number;
  samplesPostRelabeling: number;
  seriesAdded: number;
}

/** Labels of a scraped sample after the target's labels are attached (Prometheus' mutateSampleLabels). */
function withTargetLabels(sample: Record<string, string>, target: Labels, honorLabels: boolean): Record<string, string> {
  const conflicts: [string, string][] = [];
  for (const [name, value] of Object.entries(target)) {
    const existing = sample[name];
    if (existing !== undefined && existing !== '') {
      if (honorLabels) continue;
      conflicts.push([name, existing]);
    }
    sample[name] = value;
  }
  // a scraped value moves to exported_<name>, or exported_exported_<name> when that is taken; shortest names first
  conflicts.sort((a, b) => a[0].length - b[0].length);
  for (const [name, value] of conflicts) {
    let exported = `exported_${name}`;
    while (sample[exported] !== undefined && sample[exported] !== '') exported = `exported_${exported}`;
    sample[exported] = value;
  }
  for (const name of Object.keys(sample)) if (sample[name] === '') delete sample[name];
  return sample;
}

export interface ScrapeLoopOptions {
  storage: SampleStorage;
  agent: Agent;
  userAgent: string;
  now: () => number;
  onScrape?: (result: ScrapeResult) => void;
  logger?: Pick<Logger, 'warn'>;
}

export class ScrapeLoop {
  /** The last page's lines and their series; it tracks the series that get staleness markers. */
  private readonly cache: ScrapeCache;
  private readonly metricRelabel: Relabel;
  private readonly headers: Record<string, string>;
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private stopped = false;
  lastResult?: ScrapeResult;

  constructor(
    readonly target: ScrapeTarget,
    readonly config: ScrapeConfig,
    private readonly opts: ScrapeLoopOptions,
  ) {
    this.metricRelabel = compileRelabel(config.metricRelabelConfigs);
    this.cache = new ScrapeCache((text, lineNo) => {
      const labels = this.metricRelabel(withTargetLabels(parseSeriesText(text, lineNo), this.target.labels, this.config.honorLabels));
      // frozen: the head then finds the series by this object on every scrape
      return labels && labels.__name__ ? Object.freeze(labels) : null;
    });
    this.headers = {
      Accept: SCRAPE_ACCEPT,
      'Accept-Encoding': 'gzip',
      'User-Agent': opts.userAgent,
      'X-Prometheus-Scrape-Timeout-Seconds': String(config.scrapeTimeoutMs / 1000),
    };
    if (config.bearerToken) this.headers.Authorization = `Bearer ${config.bearerToken}`;
    else if (config.basicAuth) this.headers.Authorization = `Basic ${Buffer.from(`${config.basicAuth.username}:${config.basicAuth.password}`).toString('base64')}`;
  }

  /** Scrapes every interval from `firstInMs` on; a scrape that overruns skips the ticks it missed. */
  start(firstInMs: number): void {
    const interval = this.config.scrapeIntervalMs;
    let next = this.opts.now() + firstInMs;
    const tick = () => {
      if (this.stopped) return;
      this.running = this.scrape().then(
        () => undefined,
        (err: Error) => this.opts.logger?.warn({ target: this.target.url.href, err: err.message }, 'scrape could not be stored'),
      );
      void this.running.finally(() => {
        this.running = undefined;
        const now = this.opts.now();
        next += interval;
        if (next <= now) next += Math.ceil((now - next + 1) / interval) * interval;
        if (!this.stopped) this.timer = setTimeout(tick, next - now);
      });
    };
    this.timer = setTimeout(tick, firstInMs);
  }

  /** Stops the loop; with `stale`, the target's series and report series end with staleness markers (a target that went away). */
  async stop(stale: boolean): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
    if (!stale || this.lastResult === undefined) return; // a target never scraped has no series to end
    const app = this.opts.storage.appender();
    const t = this.opts.now();
    this.cache.staleAll(app, t);
    for (const name of REPORT_NAMES) app.markStale({ ...this.target.labels, __name__: name }, t);
    await app.commit();
  }

  /** One scrape: what Prometheus' scrapeAndReport does. */
  async scrape(): Promise<ScrapeResult> {
    const start = this.opts.now();
    const { storage } = this.opts;
    let app: Appender = storage.appender();
    let error: string | undefined;
    let counts = { scraped: 0, kept: 0, added: 0 };
    try {
      const page = await fetchPage({ url: this.target.url, timeoutMs: this.config.scrapeTimeoutMs, headers: this.headers }, this.opts.agent);
      // appends the samples, and staleness markers for the series of the last scrape missing from this one
      counts = this.cache.append(app, page.body, /^application\/openmetrics-text/i.test(page.contentType), start);
    } catch (err) {
      error = (err as Error).message;
      app.rollback();
      app = storage.appender();
      counts = { scraped: 0, kept: 0, added: 0 };
      // a failed scrape ends every series of the last one
      this.cache.staleAll(app, start);
    }
    const durationMs = this.opts.now() - start;
    const report: [string, number][] = [
      ['up', error === undefined ? 1 : 0],
      ['scrape_duration_seconds', durationMs / 1000],
      ['scrape_samples_scraped', counts.scraped],
      ['scrape_samples_post_metric_relabeling', counts.kept],
      ['scrape_series_added', counts.added],
    ];
    for (const [name, value] of report) app.append({ ...this.target.labels, __name__: name }, start, value);
    await app.commit();
    const result: ScrapeResult = {
      target: this.target,
      timestampMs: start,
      up: error === undefined,
      error,
      durationMs,
      samplesScraped: counts.scraped,
      samplesPostRelabeling: counts.kept,
      seriesAdded: counts.added,
    };
    this.lastResult = result;
    this.opts.onScrape?.(result);
    return result;
  }
}

const REPORT_NAMES = ['up', 'scrape_duration_seconds', 'scrape_samples_scraped', 'scrape_samples_post_metric_relabeling', 'scrape_series_added'];
