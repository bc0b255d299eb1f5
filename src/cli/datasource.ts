import { readFileSync } from 'node:fs';
import { InvalidArgumentError, type Command } from 'commander';
import { EmbeddedDatasource, PrometheusDatasource, type Datasource } from '../datasource/index.js';
import { parseDuration } from '../promql/index.js';
import { loadOpenMetricsFile, MemoryStore } from '../tsdb/index.js';
import { repeatable } from './output.js';

export interface DatasourceFlags {
  prometheus?: string;
  data: string[];
  header: string[];
  bearerTokenFile?: string;
  timeout: string;
}

export interface ChosenDatasource {
  datasource: Datasource;
  /** With --data: the newest sample time in the files (ms), the natural "now" of that history. */
  dataEnd?: number;
}

/** The flags every command that queries shares: a Prometheus, or data files for the embedded engine. */
export function datasourceOptions(cmd: Command): Command {
  return cmd
    .option('--prometheus <url>', 'Prometheus base URL, e.g. http://127.0.0.1:9090')
    .option('--data <file>', 'OpenMetrics file with timestamps (as promtool tsdb create-blocks-from openmetrics reads) for the embedded engine; repeatable; instead of --prometheus', repeatable, [])
    .option('--header <name: value>', 'extra HTTP header for every query (repeatable), e.g. "X-Scope-OrgID: tenant-1"', repeatable, [])
    .option('--bearer-token-file <file>', 'file holding a bearer token for Prometheus')
    .option('--timeout <duration>', 'per-query timeout (with --data, of the embedded engine)', '2m');
}

export async function datasourceFromFlags(flags: DatasourceFlags): Promise<ChosenDatasource> {
  if (flags.data.length && flags.prometheus !== undefined) throw new InvalidArgumentError('--data and --prometheus cannot be used together: --data evaluates with the embedded engine');
  let timeoutMs: number;
  try {
    timeoutMs = parseDuration(flags.timeout);
  } catch (err) {
    throw new InvalidArgumentError(`--timeout: ${(err as Error).message}`);
  }
  if (flags.data.length) {
    if (flags.header.length || flags.bearerTokenFile) throw new InvalidArgumentError('--header and --bearer-token-file apply to --prometheus only');
    const store = new MemoryStore();
    let dataEnd: number | undefined;
    for (const file of flags.data) {
      let report;
      try {
        report = await loadOpenMetricsFile(store, file);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        throw new Error(code ? `--data: cannot read "${file}": ${code}` : `--data: ${(err as Error).message}`);
      }
      if (report.maxTime !== undefined && (dataEnd === undefined || report.maxTime > dataEnd)) dataEnd = report.maxTime;
    }
    // --timeout bounds each query on the engine too, as Prometheus' --query.timeout does.
    return { datasource: new EmbeddedDatasource(store, { timeoutMs }), dataEnd };
  }
  if (flags.prometheus === undefined) throw new InvalidArgumentError('give --prometheus URL, or --data FILE to evaluate with the embedded engine');
  if (!/^https?:\/\/[^/]/.test(flags.prometheus)) throw new InvalidArgumentError(`--prometheus "${flags.prometheus}" is not an http(s) URL`);
  const headers: Record<string, string> = {};
  for (const h of flags.header) {
    const colon = h.indexOf(':');
    if (colon <= 0) throw new InvalidArgumentError(`--header "${h}" is not "Name: value"`);
    headers[h.slice(0, colon).trim()] = h.slice(colon + 1).trim();
  }
  let bearerToken: string | undefined;
  if (flags.bearerTokenFile) {
    try {
      bearerToken = readFileSync(flags.bearerTokenFile, 'utf8').trim();
    } catch (err) {
      throw new InvalidArgumentError(`--bearer-token-file: cannot read "${flags.bearerTokenFile}": ${(err as NodeJS.ErrnoException).code}`);
    }
  }
  return { datasource: new PrometheusDatasource({ url: flags.prometheus, headers, timeoutMs, bearerToken }) };
}
