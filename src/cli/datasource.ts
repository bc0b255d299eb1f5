import { readFileSync } from 'node:fs';
import { InvalidArgumentError, type Command } from 'commander';
import { PrometheusDatasource } from '../datasource/index.js';
import { parseDuration } from '../promql/index.js';
import { repeatable } from './output.js';

export interface DatasourceFlags {
  prometheus: string;
  header: string[];
  bearerTokenFile?: string;
  timeout: string;
}

/** The flags every command that queries Prometheus shares. */
export function datasourceOptions(cmd: Command): Command {
  return cmd
    .requiredOption('--prometheus <url>', 'Prometheus base URL, e.g. http://127.0.0.1:9090')
    .option('--header <name: value>', 'extra HTTP header for every query (repeatable), e.g. "X-Scope-OrgID: tenant-1"', repeatable, [])
    .option('--bearer-token-file <file>', 'file holding a bearer token for Prometheus')
    .option('--timeout <duration>', 'per-query timeout', '2m');
}

export function datasourceFromFlags(flags: DatasourceFlags): PrometheusDatasource {
  if (!/^https?:\/\/[^/]/.test(flags.prometheus)) throw new InvalidArgumentError(`--prometheus "${flags.prometheus}" is not an http(s) URL`);
  const headers: Record<string, string> = {};
  for (const h of flags.header) {
    const colon = h.indexOf(':');
    if (colon <= 0) throw new InvalidArgumentError(`--header "${h}" is not "Name: value"`);
    headers[h.slice(0, colon).trim()] = h.slice(colon + 1).trim();
  }
  let timeoutMs: number;
  try {
    timeoutMs = parseDuration(flags.timeout);
  } catch (err) {
    throw new InvalidArgumentError(`--timeout: ${(err as Error).message}`);
  }
  let bearerToken: string | undefined;
  if (flags.bearerTokenFile) {
    try {
      bearerToken = readFileSync(flags.bearerTokenFile, 'utf8').trim();
    } catch (err) {
      throw new InvalidArgumentError(`--bearer-token-file: cannot read "${flags.bearerTokenFile}": ${(err as NodeJS.ErrnoException).code}`);
    }
  }
  return new PrometheusDatasource({ url: flags.prometheus, headers, timeoutMs, bearerToken });
}
