import { writeFile } from 'node:fs/promises';
import { InvalidArgumentError, type Command } from 'commander';
import { loadConfigFile } from '../config/index.js';
import { PrometheusDatasource } from '../datasource/index.js';
import { parseDuration } from '../promql/index.js';
import { buildReport, renderHtml, renderJson, renderMarkdown, WEEK_MS } from '../report/index.js';
import { formatDiagnostic, hasErrors, loadRuleFiles, type RuleGroup } from '../rules/index.js';
import { openStore } from './store.js';
import { oneOf, type Io } from './output.js';
import { parseTime } from './time.js';

interface ReportFlags {
  config: string;
  since?: number;
  until?: number;
  format: 'md' | 'html' | 'json';
  out?: string;
  prometheus?: string;
}

function sinceDuration(value: string): number {
  try {
    const ms = parseDuration(value);
    if (ms > 0) return ms;
  } catch {
    // the error below says what is expected
  }
  throw new InvalidArgumentError(`--since "${value}" is not a positive duration (e.g. 7d, 24h)`);
}

export function registerReport(program: Command, io: Io, setExit: (code: number) => void): void {
  program
    .command('report')
    .description('the alert-review report: per-rule figures, the week against the week before, and recommendations')
    .option('-c, --config <file>', 'vigil.yaml (storage, rule files, report time zone and working hours)', 'vigil.yaml')
    .option('--since <duration>', 'length of the period, ending now (or at --until) (default: 7d)', sinceDuration)
    .option('--until <time>', 'end of the period (RFC 3339, Unix seconds, now-DURATION); default now', parseTime('--until'))
    .option('--format <format>', 'md, html or json', oneOf('--format', ['md', 'html', 'json'] as const), 'md')
    .option('--out <file>', 'write the report to this file instead of stdout')
    .option('--prometheus <url>', 'backtest raised thresholds against this Prometheus (default: not backtested)')
    .action(async (flags: ReportFlags) => setExit(await run(flags, io)));
}

async function rulesOf(files: string[], io: Io): Promise<RuleGroup[]> {
  const loaded = await loadRuleFiles(files);
  // a broken rule file should not cost the report: the figures come from history
  for (const p of loaded.problems) io.err(`warning: ${p}\n`);
  if (hasErrors(loaded.diagnostics)) for (const d of loaded.diagnostics) io.err(`warning: ${formatDiagnostic(d)}\n`);
  return loaded.files.flatMap((f) => f.groups);
}

/** The config's Prometheus credentials go with --prometheus: it is usually the same server. */
function prometheusAuth(p: { bearerToken?: string; basicAuth?: { username: string; password: string }; headers: Record<string, string> }) {
  return { bearerToken: p.bearerToken, basicAuth: p.basicAuth, headers: p.headers };
}

async function run(flags: ReportFlags, io: Io): Promise<number> {
  if (flags.prometheus !== undefined && !/^https?:\/\/[^/]/.test(flags.prometheus)) throw new InvalidArgumentError(`--prometheus "${flags.prometheus}" is not an http(s) URL`);
  const config = await loadConfigFile(flags.config);
  const rules = config.ruleFiles.length ? await rulesOf(config.ruleFiles, io) : [];
  const now = Date.now();
  const to = flags.until ?? now;
  const store = await openStore(config);
  try {
    const datasource = flags.prometheus ? new PrometheusDatasource({ ...prometheusAuth(config.datasource.prometheus ?? { headers: {} }), url: flags.prometheus, timeoutMs: 120_000, retries: 1 }) : undefined;
    const report = await buildReport(store, {
      from: to - (flags.since ?? WEEK_MS),
      to,
      now,
      timeZone: config.report.timeZone,
      workingHours: config.report.workingHours,
      rules,
      backtest: datasource ? { datasource } : undefined,
    });
    const text = flags.format === 'json' ? renderJson(report) : flags.format === 'html' ? renderHtml(report) : renderMarkdown(report);
    if (flags.out) {
      await writeFile(flags.out, text);
      io.err(`report written to ${flags.out}\n`);
    } else io.out(text);
    return 0;
  } finally {
    await store.close();
  }
}
