// The scrape manager: one loop per target of every scrape config; reload keeps unchanged targets
// running and ends removed ones with staleness markers.
import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import type { ScrapeConfig } from '../../config/index.js';
import type { SampleStorage } from '../storage.js';
import { targetAgent } from './http.js';
import { ScrapeLoop, type ScrapeResult } from './loop.js';
import { targetOffset, targetsOf, type ScrapeTarget } from './targets.js';

export interface ScrapeManagerOptions {
  storage: SampleStorage;
  /** Sent as User-Agent, e.g. vigil/0.1.0. */
  userAgent?: string;
  logger?: Pick<Logger, 'warn' | 'info'>;
  now?: () => number;
  /** Called after every scrape (tests and status pages). */
  onScrape?: (result: ScrapeResult) => void;
}

export interface TargetHealth {
  job: string;
  url: string;
  labels: Readonly<Record<string, string>>;
  health: 'up' | 'down' | 'unknown';
  lastError?: string;
  lastScrapeMs?: number;
}

interface Running {
  loop: ScrapeLoop;
  configJson: string;
  agent: { destroy(): void };
}

export class ScrapeManager {
  private loops = new Map<string, Running>();
  private readonly now: () => number;

  constructor(private readonly opts: ScrapeManagerOptions) {
    this.now = opts.now ?? Date.now;
  }

  /**
   * Runs exactly the targets of `configs`. A target whose job config is unchanged keeps its loop
   * (and its rhythm); removed targets end with staleness markers. Throws (changing nothing) when
   * a tls_config ca_file cannot be read.
   */
  async reload(configs: readonly ScrapeConfig[]): Promise<void> {
    const wanted = new Map<string, { target: ScrapeTarget; config: ScrapeConfig; configJson: string; ca?: Buffer }>();
    for (const config of configs) {
      const configJson = JSON.stringify(config);
      let ca: Buffer | undefined;
      if (config.tls?.caFile) {
        try {
          ca = readFileSync(config.tls.caFile);
        } catch (err) {
          throw new Error(`scrape_configs job "${config.jobName}": tls_config.ca_file: ${(err as Error).message}`);
        }
      }
      for (const target of targetsOf(config)) wanted.set(target.key, { target, config, configJson, ca });
    }
    const ending: Promise<void>[] = [];
    for (const [key, running] of this.loops) {
      if (wanted.get(key)?.configJson === running.configJson) continue;
      this.loops.delete(key);
      ending.push(running.loop.stop(!wanted.has(key)).finally(() => running.agent.destroy()));
    }
    await Promise.all(ending);
    for (const [key, { target, config, configJson, ca }] of wanted) {
      if (this.loops.has(key)) continue;
      const agent = targetAgent(config.scheme === 'https' || target.url.protocol === 'https:' ? 'https' : 'http', { ca, insecureSkipVerify: config.tls?.insecureSkipVerify });
      const loop = new ScrapeLoop(target, config, {
        storage: this.opts.storage,
        agent,
        userAgent: this.opts.userAgent ?? 'vigil',
        now: this.now,
        onScrape: this.opts.onScrape,
        logger: this.opts.logger,
      });
      this.loops.set(key, { loop, configJson, agent });
      loop.start(targetOffset(key, config.scrapeIntervalMs, this.now()));
    }
    this.opts.logger?.info({ targets: this.loops.size, jobs: configs.length }, 'scrape targets updated');
  }

  /** Stops every loop without staleness markers (a shutdown, as Prometheus stops). */
  async stop(): Promise<void> {
    const all = [...this.loops.values()];
    this.loops.clear();
    await Promise.all(all.map(async (r) => r.loop.stop(false).finally(() => r.agent.destroy())));
  }

  targets(): TargetHealth[] {
    return [...this.loops.values()].map(({ loop }) => {
      const r = loop.lastResult;
      return {
        job: loop.target.job,
        url: loop.target.url.href,
        labels: loop.target.labels,
        health: r === undefined ? 'unknown' : r.up ? 'up' : 'down',
        lastError: r?.error,
        lastScrapeMs: r?.timestampMs,
      };
    });
  }
}
