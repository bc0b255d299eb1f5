import { InvalidArgumentError } from 'commander';
import { loadProfile, parseVarOverride, type Diagnostic, type Profile, type VarValue } from '../rules/index.js';

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
