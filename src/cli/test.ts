import { writeFile } from 'node:fs/promises';
import { InvalidArgumentError, type Command } from 'commander';
import { compileRE2, RE2SyntaxError, type RE2 } from '../regex/index.js';
import { junitXML, passed, runTestFile, type TestFileResult } from '../ruletest/index.js';
import { repeatable, type Io } from './output.js';

interface TestFlags {
  run: string[];
  junit?: string;
}

export function registerTest(program: Command, io: Io, setExit: (code: number) => void): void {
  program
    .command('test')
    .description('run promtool rule unit-test files (`promtool test rules`) with the embedded engine; rule_files are vigil rule files')
    .argument('<file...>', 'unit-test files')
    .option('--run <regex>', 'run only the test groups whose name matches (RE2, unanchored; repeatable)', repeatable, [])
    .option('--junit <file>', 'also write the results as JUnit XML to this file')
    .action(async (files: string[], flags: TestFlags) => setExit(await test(files, flags, io)));
}

function compileRun(pattern: string): RE2 {
  try {
    return compileRE2(pattern, { anchored: false });
  } catch (err) {
    throw new InvalidArgumentError(`--run "${pattern}": ${err instanceof RE2SyntaxError ? err.message : (err as Error).message}`);
  }
}

async function test(files: string[], flags: TestFlags, io: Io): Promise<number> {
  const run = flags.run.map(compileRun);
  const results: TestFileResult[] = [];
  // promtool's layout: progress on stdout, failures on stderr.
  for (const file of files) {
    io.out(`Unit Testing:  ${file}\n`);
    const r = await runTestFile(file, { run });
    results.push(r);
    for (const w of r.warnings) io.err(`  WARNING: ${w}\n`);
    const errors = [...r.errors, ...r.groups.flatMap((g) => g.errors)];
    if (errors.length) {
      io.err('  FAILED:\n');
      for (const e of errors) {
        io.err(`${e}\n`);
        io.out('\n');
      }
    } else {
      io.out('  SUCCESS\n');
    }
    io.out('\n');
  }
  if (flags.junit) await writeFile(flags.junit, junitXML(results));
  return results.every(passed) ? 0 : 1;
}
