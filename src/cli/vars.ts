import { InvalidArgumentError } from 'commander';
import { loadProfile, loadRuleFiles, parseVarOverride, type Diagnostic, type LoadAllResult, type Profile, type VarValue } from '../rules/index.js';

/** `--var name=value`, repeatable, into the overrides map the rule loader takes. */
export function collectVar(arg: string, previous: Map<string, VarValue> = new Map()): Map<string, VarValue> {
  try {
    const [name, value] = parseVarOverride(arg);
    return new Map(previous).set(name, value);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
}

/** `--profile NAME|FILE` (or the config's rule_profile) as the loader's profile, or the diagnostics that stop the command. */
export async function profileOption(nameOrFile: string | undefined, base?: string): Promise<{ profile?: Profile; diagnostics: Diagnostic[] }> {
  if (nameOrFile === undefined) return { diagnostics: [] };
  return loadProfile(nameOrFile, base);
}

/** The rule files under `paths` with `--var`s and a `--profile`; a bad profile is reported as the files' diagnostics would be. */
export async function loadRulesWith(paths: string[], opts: { var?: Map<string, VarValue>; profile?: string }): Promise<LoadAllResult> {
  const { profile, diagnostics } = await profileOption(opts.profile);
  if (diagnostics.length) return { files: [], diagnostics, problems: [] };
  return loadRuleFiles(paths, { vars: opts.var, profile });
}

export const PROFILE_HELP = 'a set of var overrides, e.g. otel-genai for the OpenTelemetry GenAI metrics';
