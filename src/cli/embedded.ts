// The embedded datasource of `vigil serve`: vigil's own storage, the engine over it for the rules
// and the weekly report, and the Prometheus query API's view of it.
import type { Logger } from 'pino';
import type { Config } from '../config/index.js';
import { EmbeddedDatasource } from '../datasource/index.js';
import { formatDuration } from '../promql/index.js';
import type { SampleStorage, TSDB } from '../tsdb/index.js';

/**
 * Rules run the engine on the event loop and API queries on one worker thread (QueryPool), both
 * memory this process shares, so every query is bounded well below Prometheus' defaults
 * (--query.timeout 2m, --query.max-samples 50M): a rule may take 30s and hold 20M points
 * (about 200 MB), a query from the HTTP API 10s and 10M points; a request's `timeout` may only shorten it.
 */
export const RULE_QUERY_LIMITS = { timeoutMs: 30_000, maxSamples: 20_000_000 } as const;
export const API_QUERY_LIMITS = { timeoutMs: 10_000, maxSamples: 10_000_000 } as const;

type EmbeddedDatasourceConfig = NonNullable<Config['datasource']['embedded']>;

export interface Embedded {
  /** What ingestion appends to and the query API reads. */
  storage: SampleStorage;
  /** The rules' and the weekly report's datasource. */
  datasource: EmbeddedDatasource;
  /** How logs, /api/v2/status and VigilDatasourceDown name it: `embedded <path>`. */
  name: string;
  /** datasource.embedded.path it was opened on (a reload does not move it). */
  path: string;
  close(): Promise<void>;
}

export async function openEmbedded(cfg: EmbeddedDatasourceConfig, log: Logger): Promise<Embedded> {
  let storage: TSDB;
  try {
    // loaded here: a vigil on Prometheus never needs the TSDB's code
    const { TSDB } = await import('../tsdb/index.js');
    storage = await TSDB.open(cfg.path, {
      retentionMs: cfg.retentionMs,
      logger: { info: (msg) => log.info(msg), warn: (msg) => log.warn(msg) },
    });
  } catch (err) {
    // name the setting: the path alone does not say where it came from
    throw new Error(`datasource.embedded.path: cannot open the TSDB at ${cfg.path}: ${(err as Error).message}`);
  }
  const name = `embedded ${cfg.path}`;
  const datasource = new EmbeddedDatasource(storage, {
    ...RULE_QUERY_LIMITS,
    onWarnings: (expr, warnings) => log.debug({ expr, warnings }, 'the embedded engine warned about a rule query'),
  });
  log.info({ datasource: name, retention: formatDuration(cfg.retentionMs), scrapeConfigs: cfg.scrapeConfigs.length }, 'embedded datasource open');
  return { storage, datasource, name, path: cfg.path, close: () => storage.close() };
}
