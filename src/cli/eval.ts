import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import type { InstantValue, Series } from '../datasource/index.js';
import { Group, toSamples } from '../eval/index.js';
import { formatDiagnostic, hasErrors } from '../rules/index.js';
import { loadRulesWith, PROFILE_HELP } from './vars.js';
import { datasourceFromFlags, datasourceOptions, type DatasourceFlags } from './datasource.js';
import { oneOf, plural, repeatable, type Io } from './output.js';
import { parseDuration } from '../promql/index.js';
import { instantDataJson, rangeDataJson } from './promjson.js';
import { labelsText, table } from './table.js';
import { iso, parseTime } from './time.js';

interface EvalFlags extends DatasourceFlags {
  profile?: string;
  rules: string[];
  expr?: string;
  at?: number;
  from?: number;
  to?: number;
  step?: string;
  output: 'table' | 'json';
}

export function registerEval(program: Command, io: Io, setExit: (code: number) => void): void {
  datasourceOptions(
    program
      .command('eval')
      .description('evaluate every rule (or one --expr) at one instant, against Prometheus or --data files; `for` is not applied'),
  )
    .option('--rules <path>', 'rule file or folder (repeatable; default rules/)', repeatable, [])
    .option('--profile <name|file>', PROFILE_HELP)
    .option('--expr <promql>', 'run one ad-hoc PromQL query instead of the rules')
    .option('--at <time>', 'evaluation time: RFC 3339, Unix seconds or now-DURATION (default now; with --data the newest sample)', parseTime('--at'))
    .option('--from <time>', 'with --expr: run a range query from this time (needs --to)', parseTime('--from'))
    .option('--to <time>', 'with --expr: range query end', parseTime('--to'))
    .option('--step <duration>', 'with --from/--to: range query step (default 1m)')
    .option('-o, --output <format>', 'table or json', oneOf('--output', ['table', 'json'] as const), 'table')
    .action(async (flags: EvalFlags) => setExit(await evaluate(flags, io)));
}

async function evaluate(flags: EvalFlags, io: Io): Promise<number> {
  const ranged = flags.from !== undefined || flags.to !== undefined || flags.step !== undefined;
  if (ranged) {
    if (flags.expr === undefined) throw new InvalidArgumentError('--from/--to/--step run a range query and need --expr');
    if (flags.at !== undefined) throw new InvalidArgumentError('--at and --from/--to cannot be used together');
    if (flags.from === undefined || flags.to === undefined) throw new InvalidArgumentError('a range query needs both --from and --to');
    if (flags.to < flags.from) throw new InvalidArgumentError(`--to (${iso(flags.to)}) must not be before --from (${iso(flags.from)})`);
  }
  let stepMs = 60_000;
  if (flags.step !== undefined) {
    try {
      stepMs = parseDuration(flags.step);
    } catch (err) {
      throw new InvalidArgumentError(`--step: ${(err as Error).message}`);
    }
    if (!(stepMs > 0)) throw new InvalidArgumentError(`--step "${flags.step}" must be a positive duration`);
  }
  const { datasource, dataEnd } = await datasourceFromFlags(flags);
  const at = flags.at ?? dataEnd ?? Date.now();
  if (flags.expr !== undefined) {
    if (flags.rules.length) throw new InvalidArgumentError('--expr and --rules cannot be used together');
    if (ranged) {
      const { series, warnings } = await datasource.rangeQuery(flags.expr, flags.from!, flags.to!, stepMs);
      for (const w of warnings) io.err(`warning: ${w}\n`);
      if (flags.output === 'json') {
        io.out(JSON.stringify({ from: iso(flags.from!), to: iso(flags.to!), step: stepMs / 1000, expr: flags.expr, result: rangeDataJson(series) }, null, 2) + '\n');
      } else io.out(seriesTable(series));
      return 0;
    }
    const { value, warnings } = await datasource.instantQuery(flags.expr, at);
    for (const w of warnings) io.err(`warning: ${w}\n`);
    if (flags.output === 'json') io.out(JSON.stringify({ at: iso(at), expr: flags.expr, result: instantDataJson(value, at) }, null, 2) + '\n');
    else io.out(valueTable(value));
    return 0;
  }

  const loaded = await loadRulesWith(flags.rules.length ? flags.rules : ['rules/'], flags);
  if (hasErrors(loaded.diagnostics) || loaded.problems.length) {
    for (const p of loaded.problems) io.err(`error: ${p}\n`);
    for (const d of loaded.diagnostics) io.err(formatDiagnostic(d) + '\n');
    return 1;
  }
  const results: { group: string; alert: string; severity: string; labels: Record<string, string>; value: number }[] = [];
  const errors: { group: string; rule: string; error: string }[] = [];
  let ruleCount = 0;
  for (const spec of loaded.files.flatMap((f) => f.groups)) {
    const group = new Group(spec);
    for (const rule of group.alertingRules()) {
      ruleCount++;
      try {
        const { value } = await datasource.instantQuery(rule.spec.expr, at - group.queryOffsetMs);
        // A fresh rule with for=0 gives exactly the alerts Prometheus would have at this instant, labels templated.
        await rule.apply(at, toSamples(value), { externalLabels: {}, externalURL: '' }, { annotations: false });
        for (const a of rule.active.values()) {
          results.push({ group: group.name, alert: rule.name, severity: a.labels.severity ?? '', labels: a.labels, value: a.value });
        }
      } catch (err) {
        errors.push({ group: group.name, rule: rule.name, error: (err as Error).message });
      }
    }
  }
  if (flags.output === 'json') {
    io.out(JSON.stringify({ at: iso(at), results, errors }, null, 2) + '\n');
  } else {
    if (results.length) {
      io.out(table(['ALERT', 'SEVERITY', 'LABELS', 'VALUE'], results.map((r) => [r.alert, r.severity, labelsText(r.labels, ['alertname', 'severity']), String(r.value)])));
    }
    for (const e of errors) io.err(`error: ${e.group}/${e.rule}: ${e.error}\n`);
    // an unevaluated rule is not a quiet one: never report "0 alerts active" for rules that did not run
    if (errors.length === ruleCount && ruleCount > 0) {
      io.err(`error: none of the ${plural(ruleCount, 'rule')} could be evaluated at ${iso(at)}: no alert state is known\n`);
    } else if (errors.length) {
      io.out(`${plural(results.length, 'alert')} active at ${iso(at)} among the rules evaluated; ${errors.length} of ${plural(ruleCount, 'rule')} failed (see errors)\n`);
    } else {
      io.out(`${plural(results.length, 'alert')} active at ${iso(at)} (conditions true at that instant; \`for\` not applied)\n`);
    }
  }
  return errors.length ? 1 : 0;
}

function valueTable(value: InstantValue): string {
  switch (value.resultType) {
    case 'vector':
      if (!value.samples.length) return '(empty result: no series)\n';
      return table(['SERIES', 'VALUE'], value.samples.map((s) => [seriesName(s.metric), String(s.value)]));
    case 'matrix':
      return seriesTable(value.series);
    case 'scalar':
      return table(['SCALAR'], [[String(value.value)]]);
    case 'string':
      return table(['STRING'], [[value.value]]);
  }
}

function seriesTable(series: Series[]): string {
  if (!series.length) return '(empty result: no series)\n';
  return table(['SERIES', 'POINTS'], series.map((s) => [seriesName(s.metric), s.points.map(([t, v]) => `${v} @${t / 1000}`).join(' ')]));
}

function seriesName(metric: Record<string, string>): string {
  const { __name__: name, ...rest } = metric;
  return `${name ?? ''}${labelsText(rest)}`;
}
