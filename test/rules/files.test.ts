import { mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findRuleFiles } from '../../src/rules/index.js';
import { scratchDir } from '../support/scratch.js';

describe('findRuleFiles: globs', () => {
  let dir: string;
  const long = 'a'.repeat(60) + 'c.yaml';

  beforeAll(async () => {
    dir = await scratchDir(join(tmpdir(), 'vigil-rule-globs-'));
    await mkdir(join(dir, 'team', 'agents'), { recursive: true });
    for (const f of ['errors.yaml', 'latency.yml', 'notes.txt', long, 'team/agents/tools.yaml']) await writeFile(join(dir, f), 'groups: []\n');
  });

  test('*, ? and ** match as in a shell', async () => {
    expect((await findRuleFiles([join(dir, '*.yaml')])).files.map((f) => f.slice(dir.length + 1))).toEqual([long, 'errors.yaml']);
    expect((await findRuleFiles([join(dir, 'latenc?.yml')])).files).toEqual([join(dir, 'latency.yml')]);
    expect((await findRuleFiles([join(dir, '**/*.yaml')])).files.map((f) => f.slice(dir.length + 1))).toContain('team/agents/tools.yaml');
  });

  test('a glob of many stars against a long name answers at once (linear-time matching), and says it matched nothing', async () => {
    const stars = join(dir, '*a'.repeat(20) + '*b.yaml');
    expect(await findRuleFiles([stars])).toEqual({ files: [], missing: [stars] });
    expect((await findRuleFiles([join(dir, '*a'.repeat(20) + '*c.yaml')])).files).toEqual([join(dir, long)]);
  });
});
