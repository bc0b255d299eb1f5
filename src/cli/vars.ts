import { InvalidArgumentError } from 'commander';
import { parseVarOverride, type VarValue } from '../rules/index.js';

/** `--var name=value`, repeatable, into the overrides map the rule loader takes. */
export function collectVar(arg: string, previous: Map<string, VarValue> = new Map()): Map<string, VarValue> {
  try {
    const [name, value] = parseVarOverride(arg);
    return new Map(previous).set(name, value);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
}
