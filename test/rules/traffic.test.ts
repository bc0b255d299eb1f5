/**
 * The rule pack on real traffic: promtool test files written by test/rules/traffic from a traffic
 * model (daily cycle 10:1, tool mix by hour, seeded ±8% noise, incidents at chosen hours), run by
 * the real `promtool test rules` against what `vigil generate` writes. The files are left in
 * test-output/rules-traffic/ to read.
 *
 * promtool comes from the Debian package `prometheus`. Without it the suite fails in CI
 * (CI=true) and is skipped, with a warning, elsewhere.
 */
import { execFile } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { healthyDays, incidentDays, weeklyDays, type PromtoolFile } from './traffic/scenarios.js';
import type { IncidentKind, Profile } from './traffic/model.js';
import { inCI, onPath } from './support.js';

const REPO = resolve(process.cwd());
const OUT = join(REPO, 'test-output', 'rules-traffic');
const KINDS: IncidentKind[] = ['error-spike', 'latency', 'token-loop', 'tool-failure', 'hallucination', 'tool-swap'];
const PROFILES: { profile: Profile; args: string[] }[] = [
  { profile: 'vigil', args: [] },
  { profile: 'otel-genai', args: ['--profile', 'otel-genai'] },
];

function run(command: string, args: string[], cwd: string): Promise<{ code: number; output: string }> {
  return new Promise((done) => {
    execFile(command, args, { cwd, maxBuffer: 256 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      done({ code, output: `${stdout}${stderr}`.slice(-20000) });
    });
  });
}

const promtool = onPath('promtool');
const MISSING = 'promtool not found on PATH; install the Debian package prometheus (apt-get install prometheus)';

describe.each(PROFILES)('the rule pack on days of daily- and weekly-cycle traffic ($profile metrics)', ({ profile, args }) => {
  const files: PromtoolFile[] = [healthyDays(profile, 1), ...KINDS.map((kind, i) => incidentDays(kind, profile, 10 + i))];
  // The weekly cycle is the same PromQL in both profiles; proving it once keeps the suite short.
  // Before a week of history the first Saturday's tool mix (create_ticket at 10% instead of 30%) is drift.
  if (profile === 'vigil') files.push(weeklyDays(profile, 3, [{ alert: 'tool-swap', tool: 'create_ticket' }]));

  if (!promtool) {
    if (inCI()) test('promtool is installed', () => { throw new Error(MISSING); });
    else {
      console.warn(`skipped: ${MISSING}. Not run: ${files.map((f) => f.name).join(', ')}`);
      test.skip.each(files.map((f) => f.title))('%s (promtool not installed)', () => undefined);
    }
    return;
  }

  const dir = join(OUT, profile);
  // Concurrent tests start before beforeAll hooks run (jest#7997): each awaits the one generate.
  let generated: Promise<void> | undefined;
  const generate = () =>
    (generated ??= (async () => {
      await rm(dir, { recursive: true, force: true });
      await mkdir(dir, { recursive: true });
      const r = await run(process.execPath, [join(REPO, 'bin', 'vigil.js'), 'generate', '--out', dir, ...args], REPO);
      if (r.code !== 0) throw new Error(`vigil generate failed:\n${r.output}`);
    })());

  // Two promtool processes at a time: each is single-threaded, and these files are the suite's longest.
  test.concurrent.each(files.map((f) => [f.title, f] as const))('%s', async (_title, file) => {
    await generate();
    await writeFile(join(dir, file.name), file.yaml);
    const r = await run(promtool, ['test', 'rules', file.name], dir);
    if (r.code !== 0) throw new Error(`promtool test rules test-output/rules-traffic/${profile}/${file.name} failed:\n${r.output}`);
    expect(r.output).toContain('SUCCESS');
  }, 600_000);
});
