import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import {
  formatDiagnostic,
  generateRuleFile,
  GENERATE_FORMATS,
  hasErrors,
  type GenerateFormat,
  type GeneratedFile,
  type VarValue,
} from '../rules/index.js';
import { oneOf, plural, repeatable, type Io, type OutputFormat } from './output.js';
import { collectVar, loadRulesWith, PROFILE_HELP } from './vars.js';

interface GenerateCliOptions {
  out: string;
  format: GenerateFormat;
  output: OutputFormat;
  var?: Map<string, VarValue>;
  profile?: string;
  namespace?: string;
  label: string[];
}

export function registerGenerate(program: Command, io: Io, setExit: (code: number) => void): void {
  program
    .command('generate')
    .description('compile rule files to plain Prometheus rule files (every vigil extension compiled away)')
    .argument('[paths...]', 'rule files or folders of *.yaml files', ['rules/'])
    .requiredOption('--out <dir>', 'folder to write one rule file per source file into')
    .option('--format <format>', GENERATE_FORMATS.join(' or '), oneOf('--format', GENERATE_FORMATS), 'prometheus')
    .option('--var <name=value>', 'override a group var (repeatable)', collectVar)
    .option('--profile <name|file>', PROFILE_HELP)
    .option('--namespace <ns>', 'prometheus-operator: metadata.namespace')
    .option('--label <key=value>', 'prometheus-operator: a metadata label (repeatable)', repeatable, [])
    .option('-o, --output <format>', 'text or json', oneOf('--output', ['text', 'json'] as const), 'text')
    .action(async (paths: string[], opts: GenerateCliOptions) => setExit(await generate(paths, opts, io)));
}

export async function generate(paths: string[], opts: GenerateCliOptions, io: Io): Promise<number> {
  const labels = parseLabels(opts.label);
  const result = await loadRulesWith(paths, opts);
  const problems = [...result.problems];
  const outputs: GeneratedFile[] = [];
  if (!hasErrors(result.diagnostics) && problems.length === 0) {
    const sources = new Map<string, string>();
    for (const file of result.files) {
      const generated = generateRuleFile(file, { format: opts.format, namespace: opts.namespace, labels });
      const clash = sources.get(generated.name);
      if (clash) problems.push(`${file.file} and ${clash} would both be written to ${generated.name}; rename one`);
      sources.set(generated.name, file.file);
      outputs.push(generated);
    }
  }
  const ok = !hasErrors(result.diagnostics) && problems.length === 0;
  // Nothing is written unless everything is valid: a half-generated folder is worse than none.
  const written = ok ? await writeAll(opts.out, outputs) : [];
  if (opts.output === 'json') {
    io.out(JSON.stringify({ ok, written, diagnostics: result.diagnostics, problems }, null, 2) + '\n');
    return ok ? 0 : 1;
  }
  for (const p of problems) io.err(`error: ${p}\n`);
  for (const d of result.diagnostics) io.err(formatDiagnostic(d) + '\n');
  if (!ok) {
    io.err(`FAILED: nothing written\n`);
    return 1;
  }
  for (const w of written) io.out(`wrote ${w}\n`);
  io.out(`SUCCESS: ${plural(written.length, 'file')} written to ${opts.out} (${opts.format})\n`);
  return 0;
}

async function writeAll(dir: string, files: GeneratedFile[]): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const written: string[] = [];
  for (const f of files) {
    const path = join(dir, f.name);
    await writeFile(path, f.content);
    written.push(path);
  }
  return written;
}

function parseLabels(args: string[]): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const arg of args) {
    const eq = arg.indexOf('=');
    if (eq <= 0) throw new InvalidArgumentError(`--label "${arg}" is not key=value`);
    labels[arg.slice(0, eq)] = arg.slice(eq + 1);
  }
  return labels;
}
