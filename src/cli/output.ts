import { InvalidArgumentError } from 'commander';

export type OutputFormat = 'text' | 'json';

/** Where a subcommand writes; tests and main() pass process streams. */
export interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
}

export const processIo: Io = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
};

export function oneOf<T extends string>(flag: string, allowed: readonly T[]) {
  return (value: string): T => {
    if (!(allowed as readonly string[]).includes(value)) {
      throw new InvalidArgumentError(`${flag} must be one of ${allowed.join(', ')}; got "${value}"`);
    }
    return value as T;
  };
}

/** Collects a repeatable option into a list. */
export function repeatable(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
