/**
 * `vigil serve` as a user starts it, when it cannot serve: the real binary, spawned.
 */
import { writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { scratchDir } from '../support/scratch.js';
import { vigil } from './run.js';

test('a listen address already in use: exit 1 naming the address, not a server without its API', async () => {
  const taken: Server = await new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => resolve(s));
  });
  const port = (taken.address() as AddressInfo).port;
  try {
    const dir = await scratchDir(join(tmpdir(), 'vigil-cli-serve-'));
    await writeFile(join(dir, 'rules.yaml'), 'groups: []\n');
    await writeFile(
      join(dir, 'vigil.yaml'),
      `datasource: { prometheus: { url: "http://127.0.0.1:1" } }\nrule_files: [rules.yaml]\nserver: { listen: "127.0.0.1:${port}" }\n`,
    );
    const r = await vigil(['serve', '--config', join(dir, 'vigil.yaml')], dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`cannot listen on 127.0.0.1:${port} (server.listen): the address is already in use`);
    expect(r.stdout).not.toContain('vigil serving');
  } finally {
    await new Promise((done) => taken.close(done));
  }
}, 30_000);

test("a rule_profile that does not load stops serve before it starts, naming the profile's file and line", async () => {
  const dir = await scratchDir(join(tmpdir(), 'vigil-cli-serve-'));
  await writeFile(join(dir, 'mine.yaml'), 'vars:\n  agent_label: job\nextra: 1\n');
  await writeFile(
    join(dir, 'vigil.yaml'),
    `datasource: { prometheus: { url: "http://127.0.0.1:1" } }\nrule_files: [${join(process.cwd(), 'rules')}]\nrule_profile: mine.yaml\nserver: { listen: "127.0.0.1:0" }\n`,
  );
  const r = await vigil(['serve', '--config', join(dir, 'vigil.yaml')], dir);
  expect(r.code).toBe(1);
  expect(r.stderr).toContain(`${join(dir, 'mine.yaml')}:3:1: extra: unknown field "extra"`);
  expect(r.stdout).not.toContain('vigil serving');
}, 30_000);
