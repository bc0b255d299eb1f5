// Metrics in, for `vigil serve` with datasource.embedded: the scrape manager driven by
// scrape_configs, and the remote-write and OTLP endpoints. serve owns the storage; this wires
// ingestion to it.
import type express from 'express';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Config } from '../config/index.js';
import { ingestionRoutes, IngestionMetrics } from '../server/index.js';
import type { SampleStorage, ScrapeManager, TargetHealth } from '../tsdb/index.js';

export interface IngestionOptions {
  /** vigil's /metrics registry: the refused/dropped counters go there. */
  registry: Registry;
  logger: Logger;
  userAgent: string;
}

export class Ingestion {
  private readonly metrics: IngestionMetrics;
  private scrape?: { manager: ScrapeManager; storage: SampleStorage };

  constructor(private readonly opts: IngestionOptions) {
    this.metrics = new IngestionMetrics(opts.registry);
  }

  /** POST /api/v1/write and POST /v1/metrics into `storage()` (undefined: not embedded → 404). */
  routes(storage: () => SampleStorage | undefined, maxRequestBytes: number): express.Router {
    return ingestionRoutes({ storage, metrics: this.metrics, maxRequestBytes, logger: this.opts.logger.child({ component: 'ingest' }) });
  }

  /** Scrapes what `config` says (nothing with datasource.prometheus); call at start and after every reload. */
  async apply(config: Config, storage: SampleStorage | undefined): Promise<void> {
    const configs = (storage && config.datasource.embedded?.scrapeConfigs) || [];
    if (this.scrape && this.scrape.storage !== storage) await this.stop();
    if (!storage || (configs.length === 0 && !this.scrape)) return;
    const { ScrapeManager } = await import('../tsdb/index.js'); // loaded only with datasource.embedded
    this.scrape ??= {
      storage,
      manager: new ScrapeManager({ storage, userAgent: this.opts.userAgent, logger: this.opts.logger.child({ component: 'scrape' }) }),
    };
    await this.scrape.manager.reload(configs);
  }

  targets(): TargetHealth[] {
    return this.scrape?.manager.targets() ?? [];
  }

  /** Stops scraping (no staleness markers: a shutdown). */
  async stop(): Promise<void> {
    const s = this.scrape;
    this.scrape = undefined;
    await s?.manager.stop();
  }
}
