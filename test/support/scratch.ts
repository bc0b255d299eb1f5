import { mkdtempSync, rmSync } from 'node:fs';

const made: string[] = [];

/** A temporary folder removed when the test file ends. */
export async function scratchDir(prefix: string): Promise<string> {
  const dir = mkdtempSync(prefix);
  made.push(dir);
  return dir;
}

afterAll(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});
