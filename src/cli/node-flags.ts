import { readFileSync } from 'node:fs';

/**
 * The node flags on the first line of an executable like bin/vigil.js (`#!/usr/bin/env -S node FLAGS`), so that
 * whoever starts it with `node` (the demo's children, the benches) runs it as `./bin/vigil.js` runs.
 */
export function shebangNodeFlags(bin: string): string[] {
  const first = readFileSync(bin, 'utf8').split('\n', 1)[0];
  return /^#!\S*env -S node(.*)$/.exec(first)?.[1].trim().split(/\s+/).filter(Boolean) ?? [];
}
