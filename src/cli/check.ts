import type { Command } from 'commander';
import { ConfigError, loadConfigFile } from '../config/index.js';
import { formatDiagnostic, hasErrors, loadRuleFiles, type Diagnostic, type VarValue } from '../rules/index.js';
import { oneOf, plural, type Io, type OutputFormat } from './output.js';
import { collectVar, PROFILE_HELP, profileOption } from './vars.js';

interface CheckOptions {
  output: OutputFormat;
  config?: string;
  var?: Map<string, VarValue>;
  profile?: string;
}

export function registerCheck(program: Command, io: Io, setExit: (code: number) => void): void {
  program
    .command('check')
    .description('validate rule files: schema, PromQL, severities and vigil extensions')
    .argument('[paths...]', 'rule files or folders of *.yaml files (default rules/, or the config\'s rule_files)')
    .option('-c, --config <file>', "also validate vigil.yaml, and by default the rule files it names")
    .option('-o, --output <format>', 'text or json', oneOf('--output', ['text', 'json'] as const), 'text')
    .option('--var <name=value>', 'override a group var (repeatable)', collectVar)
    .option('--profile <name|file>', `${PROFILE_HELP} (default: the config's rule_profile)`)
    .action(async (paths: string[], opts: CheckOptions) => setExit(await check(paths, opts, io)));
}

export async function check(paths: string[], opts: CheckOptions, io: Io): Promise<number> {
  const configDiagnostics: Diagnostic[] = [];
  let ruleFiles = paths.length ? paths : ['rules/'];
  let profileName = opts.profile;
  let profileBase: string | undefined;
  if (opts.config) {
    try {
      const config = await loadConfigFile(opts.config);
      if (!paths.length) ruleFiles = config.ruleFiles;
      if (profileName === undefined && config.ruleProfile) [profileName, profileBase] = [config.ruleProfile.name, config.ruleProfile.base];
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      configDiagnostics.push(...err.diagnostics);
      // Without a valid config its rule_files are unknown: report the config alone.
      if (!paths.length) ruleFiles = [];
    }
  }
  const { profile, diagnostics: profileDiagnostics } = await profileOption(profileName, profileBase);
  configDiagnostics.push(...profileDiagnostics);
  const loaded =
    ruleFiles.length && profileDiagnostics.length === 0
      ? await loadRuleFiles(ruleFiles, { vars: opts.var, profile })
      : { files: [], diagnostics: [], problems: [] };
  const result = { ...loaded, diagnostics: [...configDiagnostics, ...loaded.diagnostics] };
  const ok = !hasErrors(result.diagnostics) && result.problems.length === 0;
  if (opts.output === 'json') {
    io.out(
      JSON.stringify(
        {
          ok,
          files: result.files.map((f) => ({
            file: f.file,
            groups: f.groups.map((g) => ({ name: g.name, rules: g.rules.length })),
          })),
          diagnostics: result.diagnostics,
          problems: result.problems,
        },
        null,
        2,
      ) + '\n',
    );
    return ok ? 0 : 1;
  }
  for (const p of result.problems) io.err(`error: ${p}\n`);
  for (const d of result.diagnostics) io.err(formatDiagnostic(d) + '\n');
  for (const f of result.files) {
    const rules = f.groups.reduce((n, g) => n + g.rules.length, 0);
    io.out(`${f.file}: ${plural(f.groups.length, 'group')}, ${plural(rules, 'rule')}\n`);
  }
  const errors = result.diagnostics.filter((d) => d.severity === 'error').length + result.problems.length;
  if (!ok) io.err(`FAILED: ${plural(errors, 'error')}\n`);
  else io.out(`SUCCESS: ${plural(result.files.length, 'file')} valid\n`);
  return ok ? 0 : 1;
}
