import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { backtest, type BacktestProgress, type BacktestRule, type Episode } from '../eval/index.js';
import { formatDiagnostic, hasErrors } from '../rules/index.js';
import { loadRulesWith, PROFILE_HELP } from './vars.js';
import { datasourceFromFlags, datasourceOptions, type DatasourceFlags } from './datasource.js';
import { oneOf, plural, repeatable, type Io } from './output.js';
import { durationText, table } from './table.js';
import { iso, parseTime } from './time.js';

interface BacktestFlags extends DatasourceFlags {
  profile?: string;
  rules: string[];
  from: number;
  to: number;
  output: 'table' | 'json';
}

export function registerBacktest(program: Command, io: Io, setExit: (code: number) => void, isTTY: () => boolean): void {
  datasourceOptions(
    program
      .command('backtest')
      .description("replay every rule over a past window at its group's interval, simulating for and keep_firing_for (against Prometheus or --data files)"),
  )
    .option('--rules <path>', 'rule file or folder (repeatable; default rules/)', repeatable, [])
    .option('--profile <name|file>', PROFILE_HELP)
    .requiredOption('--from <time>', 'window start: RFC 3339, Unix seconds or now-DURATION', parseTime('--from'))
    .requiredOption('--to <time>', 'window end', parseTime('--to'))
    .option('-o, --output <format>', 'table or json', oneOf('--output', ['table', 'json'] as const), 'table')
    .action(async (flags: BacktestFlags) => setExit(await run(flags, io, isTTY())));
}

async function run(flags: BacktestFlags, io: Io, tty: boolean): Promise<number> {
  if (flags.to <= flags.from) throw new InvalidArgumentError(`--to (${iso(flags.to)}) must be after --from (${iso(flags.from)})`);
  const { datasource } = await datasourceFromFlags(flags);
  const loaded = await loadRulesWith(flags.rules.length ? flags.rules : ['rules/'], flags);
  if (hasErrors(loaded.diagnostics) || loaded.problems.length) {
    for (const p of loaded.problems) io.err(`error: ${p}\n`);
    for (const d of loaded.diagnostics) io.err(formatDiagnostic(d) + '\n');
    return 1;
  }
  const { rules, episodes, errors } = await backtest(
    loaded.files.flatMap((f) => f.groups),
    datasource,
    { from: flags.from, to: flags.to, onProgress: tty ? (p) => io.err(progressBar(p)) : undefined },
  );
  if (tty) io.err('\r\x1b[K');
  for (const e of errors.slice(0, 20)) io.err(`warning: ${e.alert} at ${iso(e.ts)}: ${e.message}\n`);
  if (errors.length > 20) io.err(`warning: ... and ${errors.length - 20} more evaluation errors\n`);
  if (flags.output === 'json') {
    io.out(JSON.stringify({ from: iso(flags.from), to: iso(flags.to), episodes: episodes.map(episodeJson) }, null, 2) + '\n');
  } else {
    io.out(summary(rules, episodes, flags));
  }
  return 0;
}

function episodeJson(e: Episode) {
  return {
    group: e.group,
    alert: e.alert,
    severity: e.severity,
    labels: e.labels,
    activeAt: iso(e.activeAt),
    firedAt: e.firedAt === undefined ? null : iso(e.firedAt),
    resolvedAt: e.resolvedAt === undefined ? null : iso(e.resolvedAt),
    maxValue: e.maxValue,
  };
}

/** Fires per rule and time spent firing: the numbers that say whether a rule earns its place. Every rule gets a row. */
function summary(rules: BacktestRule[], episodes: Episode[], flags: BacktestFlags): string {
  const key = (group: string, alert: string) => `${group}\u0000${alert}`;
  // a name used in two groups is shown with its group, so the rows stay told apart
  const groupsOf = new Map<string, Set<string>>();
  for (const r of rules) groupsOf.set(r.alert, (groupsOf.get(r.alert) ?? new Set()).add(r.group));
  const byRule = new Map<string, { name: string; severity: string; fired: number; pendingOnly: number; firingMs: number; series: Set<string> }>();
  for (const r of rules) {
    const name = (groupsOf.get(r.alert)?.size ?? 0) > 1 ? `${r.group}/${r.alert}` : r.alert;
    byRule.set(key(r.group, r.alert), { name, severity: r.severity.includes('{{') ? '' : r.severity, fired: 0, pendingOnly: 0, firingMs: 0, series: new Set() });
  }
  for (const e of episodes) {
    const s = byRule.get(key(e.group, e.alert));
    if (!s) continue;
    if (!s.severity) s.severity = e.severity; // a templated severity: as rendered
    if (e.firedAt === undefined) {
      s.pendingOnly++;
      continue;
    }
    s.fired++;
    s.firingMs += (e.resolvedAt ?? flags.to) - e.firedAt;
    s.series.add(JSON.stringify(e.labels));
  }
  const rows = [...byRule.values()]
    .sort((a, b) => a.severity.localeCompare(b.severity) || b.fired - a.fired)
    .map((s) => [s.name, s.severity, String(s.fired), String(s.series.size), durationText(s.firingMs), String(s.pendingOnly)]);
  const head = `backtest ${iso(flags.from)} → ${iso(flags.to)} (${durationText(flags.to - flags.from)}): ${plural(episodes.filter((e) => e.firedAt !== undefined).length, 'firing episode')}\n`;
  if (!rows.length) return head + 'no alerting rule in the rule files\n';
  return head + table(['ALERT', 'SEVERITY', 'FIRED', 'SERIES', 'TIME FIRING', 'PENDING ONLY'], rows);
}

function progressBar(p: BacktestProgress): string {
  const width = 30;
  const filled = p.total ? Math.round((p.done / p.total) * width) : width;
  return `\r\x1b[K[${'#'.repeat(filled)}${' '.repeat(width - filled)}] ${p.done}/${p.total} ${p.rule}`;
}
