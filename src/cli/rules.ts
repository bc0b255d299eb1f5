// `vigil rules diff|sync`: the generated rule groups pushed to a Mimir, Cortex or Loki ruler, as `mimirtool rules sync` does.
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { formatDiagnostic, hasErrors, prometheusGroups, type VarValue } from '../rules/index.js';
import { diffRuleGroups, formatRuleDiff, isEmptyDiff, RULER_KINDS, RulerClient, RulerError, type RuleDiff, type RuleGroupObject, type RulerKind } from '../ruler/index.js';
import { oneOf, repeatable, type Io, type OutputFormat } from './output.js';
import { collectVar, loadRulesWith, PROFILE_HELP } from './vars.js';

interface RulesCliOptions {
  to: RulerKind;
  tenant?: string;
  namespace: string;
  prefix?: string;
  bearerTokenFile?: string;
  user?: string;
  passwordFile?: string;
  header: string[];
  var?: Map<string, VarValue>;
  profile?: string;
  dryRun?: boolean;
  output: OutputFormat;
}

export function registerRules(program: Command, io: Io, setExit: (code: number) => void): void {
  const rules = program.command('rules').description('push the rule groups to a Mimir, Cortex or Loki ruler');
  const common = (c: Command) =>
    c
      .argument('<url>', 'the ruler (or the gateway in front of it), e.g. http://mimir:8080')
      .argument('[paths...]', 'rule files or folders of *.yaml files', ['rules/'])
      .requiredOption('--to <kind>', RULER_KINDS.join(', '), oneOf('--to', RULER_KINDS))
      .option('--tenant <id>', 'the tenant, sent as X-Scope-OrgID')
      .option('--namespace <ns>', 'the ruler namespace that holds the groups; sync owns it whole', 'vigil')
      .option('--prefix <path>', 'the ruler configuration API path, if not the default of --to')
      .option('--bearer-token-file <file>', 'a file whose content is sent as Authorization: Bearer')
      .option('--user <name>', 'basic auth user (the password from --password-file)')
      .option('--password-file <file>', 'basic auth password file')
      .option('--header <name=value>', 'an extra request header (repeatable)', repeatable, [])
      .option('--var <name=value>', 'override a group var (repeatable)', collectVar)
      .option('--profile <name|file>', PROFILE_HELP)
      .option('-o, --output <format>', 'text or json', oneOf('--output', ['text', 'json'] as const), 'text');
  common(rules.command('diff').description('show what `rules sync` would change in the namespace'))
    .action(async (url: string, paths: string[], opts: RulesCliOptions) => setExit(await run(url, paths, { ...opts, dryRun: true }, io)));
  common(rules.command('sync').description('make the namespace hold exactly the generated groups: add, update and delete, after printing the diff'))
    .option('--dry-run', 'print the diff and change nothing')
    .action(async (url: string, paths: string[], opts: RulesCliOptions) => setExit(await run(url, paths, opts, io)));
}

async function run(url: string, paths: string[], opts: RulesCliOptions, io: Io): Promise<number> {
  const loaded = await loadRulesWith(paths, opts);
  if (hasErrors(loaded.diagnostics) || loaded.problems.length) {
    for (const p of loaded.problems) io.err(`error: ${p}\n`);
    for (const d of loaded.diagnostics) io.err(formatDiagnostic(d) + '\n');
    io.err('FAILED: nothing sent\n');
    return 1;
  }
  const local: RuleGroupObject[] = [];
  const where = new Map<string, string>();
  for (const file of loaded.files) {
    for (const g of prometheusGroups(file) as RuleGroupObject[]) {
      const clash = where.get(g.name);
      if (clash) {
        io.err(`error: rule group "${g.name}" is in ${clash} and ${file.file}; group names must be unique within namespace "${opts.namespace}"\n`);
        return 1;
      }
      where.set(g.name, file.file);
      local.push(g);
    }
  }
  let client: RulerClient;
  try {
    client = new RulerClient({ url, kind: opts.to, prefix: opts.prefix, tenant: opts.tenant, ...(await credentials(opts)) });
  } catch (err) {
    io.err(`error: ${(err as Error).message}\n`);
    return 2;
  }
  try {
    const diff = diffRuleGroups(local, await client.groups(opts.namespace));
    const target = `namespace "${opts.namespace}"${opts.tenant ? ` of tenant "${opts.tenant}"` : ''} at ${client.namespaceURL(opts.namespace)}`;
    if (opts.output === 'text') io.out(`${target}:\n${formatRuleDiff(diff)}`);
    if (!opts.dryRun) await apply(client, opts.namespace, diff);
    if (opts.output === 'json') io.out(JSON.stringify(summary(diff, !opts.dryRun), null, 2) + '\n');
    else if (!opts.dryRun) io.out(isEmptyDiff(diff) ? 'nothing to change\n' : 'SUCCESS: the namespace now holds the generated groups\n');
    return 0;
  } catch (err) {
    if (!(err instanceof RulerError)) throw err;
    io.err(`error: ${err.message}\n`);
    return 1;
  }
}

/** Adds and updates first, deletes last: a failure half-way leaves rules evaluated rather than missing. */
async function apply(client: RulerClient, namespace: string, diff: RuleDiff): Promise<void> {
  for (const g of diff.added) await client.setGroup(namespace, g);
  for (const c of diff.changed) await client.setGroup(namespace, c.local);
  for (const name of diff.deleted) await client.deleteGroup(namespace, name);
}

function summary(diff: RuleDiff, applied: boolean) {
  return {
    applied,
    added: diff.added.map((g) => g.name),
    changed: diff.changed.map((c) => ({ name: c.local.name, details: c.details })),
    deleted: diff.deleted,
    unchanged: diff.unchanged,
  };
}

async function credentials(opts: RulesCliOptions) {
  const read = async (flag: string, file: string) => {
    try {
      return (await readFile(file, 'utf8')).trim();
    } catch (err) {
      throw new InvalidArgumentError(`${flag}: cannot read "${file}": ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  };
  if (opts.passwordFile && !opts.user) throw new InvalidArgumentError('--password-file needs --user');
  if (opts.user && opts.bearerTokenFile) throw new InvalidArgumentError('give --user or --bearer-token-file, not both');
  const headers: Record<string, string> = {};
  for (const h of opts.header) {
    const at = h.indexOf('=');
    if (at <= 0) throw new InvalidArgumentError(`--header: "${h}" is not name=value`);
    headers[h.slice(0, at)] = h.slice(at + 1);
  }
  return {
    headers,
    bearerToken: opts.bearerTokenFile ? await read('--bearer-token-file', opts.bearerTokenFile) : undefined,
    basicAuth: opts.user ? { username: opts.user, password: opts.passwordFile ? await read('--password-file', opts.passwordFile) : '' } : undefined,
  };
}
