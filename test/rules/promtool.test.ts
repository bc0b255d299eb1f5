/**
 * The default rule pack, proven by Prometheus itself: `vigil generate` compiles rules/*.yaml,
 * `promtool check rules` accepts every generated file unchanged, and each
 * test/rules/<group>.promtool.yaml (`promtool test rules` unit tests on series) passes
 * against the generated file it names in `rule_files:`.
 *
 * promtool comes from the Debian package `prometheus`. Without it the suite fails in CI
 * (CI=true) and is skipped, with a warning, elsewhere.
 */

import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { copyFile, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, extname, join, resolve } from 'node:path';
import { inCI, onPath } from './support.js';

const REPO = resolve(process.cwd());
const VIGIL = join(REPO, 'bin', 'vigil.js');
const RULES_DIR = join(REPO, 'rules');
const TESTS_DIR = join(REPO, 'test', 'rules');
const PROMTOOL_SUFFIX = '.promtool.yaml';

interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

function run(command: string, args: string[], cwd: string): Promise<RunResult> {
  return new Promise((done) => {
    execFile(command, args, { cwd, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, NO_COLOR: '1' } }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      done({ code, stdout, stderr: err && typeof err.code !== 'number' ? `${stderr}${err.message}` : stderr });
    });
  });
}

function output(r: RunResult): string {
  return [r.stdout.trimEnd(), r.stderr.trimEnd()].filter(Boolean).join('\n');
}

// Known at collection time so that each file is one named test: generate writes one
// file per source file, with the same name.
const ruleFiles = readdirSync(RULES_DIR).filter((f) => /\.ya?ml$/.test(f)).sort();
const generatedFiles = ruleFiles.map((f) => `${basename(f, extname(f))}.yaml`);
const promtoolTests = readdirSync(TESTS_DIR).filter((f) => f.endsWith(PROMTOOL_SUFFIX)).sort();

const promtool = onPath('promtool');
const MISSING = 'promtool not found on PATH; install the Debian package prometheus (apt-get install prometheus)';

describe('default rule pack under promtool', () => {
  test('every rule file in rules/ has a promtool unit test file in test/rules/', () => {
    const tested = promtoolTests.map((f) => f.slice(0, -PROMTOOL_SUFFIX.length));
    expect(generatedFiles.map((f) => basename(f, '.yaml')).filter((stem) => !tested.includes(stem))).toEqual([]);
  });

  if (!promtool) {
    if (inCI()) {
      test('promtool is installed', () => {
        throw new Error(MISSING);
      });
    } else {
      console.warn(
        `skipped: ${MISSING}. Not run: ` +
          [...generatedFiles.map((f) => `promtool check rules ${f}`), ...promtoolTests.map((f) => `promtool test rules ${f}`)].join(', '),
      );
      test.skip.each(generatedFiles)('promtool check rules %s (promtool not installed)', () => undefined);
      test.skip.each(promtoolTests)('promtool test rules %s (promtool not installed)', () => undefined);
    }
    return;
  }

  let outDir: string;

  beforeAll(async () => {
    outDir = await mkdtemp(join(tmpdir(), 'vigil-promtool-'));
    const r = await run(process.execPath, [VIGIL, 'generate', '--out', outDir], REPO);
    if (r.code !== 0) throw new Error(`vigil generate --out ${outDir} failed (exit ${r.code}):\n${output(r)}`);
    const written = (await readdir(outDir)).sort();
    if (written.join() !== generatedFiles.join()) {
      throw new Error(`vigil generate wrote [${written.join(', ')}], expected one file per rules/*.yaml: [${generatedFiles.join(', ')}]`);
    }
  });

  afterAll(async () => {
    if (outDir) await rm(outDir, { recursive: true, force: true });
  });

  test.each(generatedFiles)('promtool check rules %s', async (file) => {
    const r = await run(promtool, ['check', 'rules', file], outDir);
    if (r.code !== 0) throw new Error(`promtool check rules ${file} failed (exit ${r.code}):\n${output(r)}`);
    expect(r.code).toBe(0);
  });

  test.each(promtoolTests)('promtool test rules %s', async (file) => {
    // Beside the generated files, so that `rule_files: [error-spike.yaml]` names them.
    await copyFile(join(TESTS_DIR, file), join(outDir, file));
    const r = await run(promtool, ['test', 'rules', file], outDir);
    if (r.code !== 0) throw new Error(`promtool test rules test/rules/${file} failed (exit ${r.code}):\n${output(r)}`);
    expect(r.code).toBe(0);
  });
});
