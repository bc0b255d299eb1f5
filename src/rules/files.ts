import { readdir, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { compileRE2, type RE2 } from '../regex/index.js';
import { loadRuleFile, type LoadOptions } from './load.js';
import type { Diagnostic } from '../yaml/index.js';
import type { RuleFile } from './types.js';

const RULE_FILE = /\.ya?ml$/;

/** Files as given, every *.yaml / *.yml below each folder, and glob matches (`rules/*.yaml`), in a stable order. */
export async function findRuleFiles(paths: string[]): Promise<{ files: string[]; missing: string[] }> {
  const files: string[] = [];
  const missing: string[] = [];
  for (const p of paths) {
    if (/[*?[]/.test(p)) {
      const matches = await glob(p);
      if (matches.length === 0) missing.push(p);
      files.push(...matches);
      continue;
    }
    const info = await stat(p).catch(() => undefined);
    if (!info) missing.push(p);
    else if (info.isDirectory()) files.push(...(await walkAll(p)).filter((f) => RULE_FILE.test(f)));
    else files.push(p);
  }
  return { files: [...new Set(files)], missing };
}

/** Shell-style globs (`*`, `?`, `**`): Node 20 has no fs.glob, and this is all rule_files needs. */
async function glob(pattern: string): Promise<string[]> {
  const parts = pattern.split('/');
  const firstWild = parts.findIndex((part) => /[*?[]/.test(part));
  const base = parts.slice(0, firstWild).join('/') || (pattern.startsWith('/') ? '/' : '.');
  const matcher = globToRegExp(parts.slice(firstWild).join('/'));
  const all = await walkAll(base).catch(() => [] as string[]);
  return all.filter((f) => matcher.test(relative(base, f).split(sep).join('/')));
}

/** On the linear-time engine: a glob of many `*` would make a backtracking RegExp hang. */
function globToRegExp(glob: string): RE2 {
  const source = glob
    .split('/')
    .map((seg) => (seg === '**' ? '(?:[^/]+/)*' : seg.replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]') + '/'))
    .join('')
    .replace(/\/$/, '');
  return compileRE2(source, { anchored: true });
}

async function walkAll(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of (await readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
    const full = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await walkAll(full)));
    else out.push(full);
  }
  return out;
}

export interface LoadAllResult {
  files: RuleFile[];
  diagnostics: Diagnostic[];
  /** Problems that belong to no file: a path that does not exist, an unused --var. */
  problems: string[];
}

/** Loads every rule file under `paths`; a `--var` that no group declares is a problem (likely a typo). */
export async function loadRuleFiles(paths: string[], options: LoadOptions = {}): Promise<LoadAllResult> {
  const { files: found, missing } = await findRuleFiles(paths);
  const problems = missing.map((p) => `${p}: no such file or directory`);
  if (found.length === 0 && missing.length === 0) problems.push(`no rule files (*.yaml, *.yml) in ${paths.join(', ')}`);
  const files: RuleFile[] = [];
  const diagnostics: Diagnostic[] = [];
  const overridesUsed = new Set<string>();
  for (const path of found) {
    const result = await loadRuleFile(path, options);
    diagnostics.push(...result.diagnostics);
    result.overridesUsed.forEach((v) => overridesUsed.add(v));
    if (result.file) files.push(result.file);
  }
  for (const name of options.vars?.keys() ?? []) {
    if (!overridesUsed.has(name)) problems.push(`--var ${name}: no group in ${paths.join(', ')} declares a var "${name}"`);
  }
  for (const name of options.profile?.vars.keys() ?? []) {
    if (!overridesUsed.has(name)) problems.push(`profile ${options.profile?.file}: var ${name}: no group in ${paths.join(', ')} declares a var "${name}"`);
  }
  return { files, diagnostics, problems };
}
