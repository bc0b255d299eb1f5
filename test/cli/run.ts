import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { VIGIL } from '../support/vigil-bin.js';

export const REPO = resolve(process.cwd());

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a program to its end and says what it printed and how it exited (no shell). */
export function run(binary: string, args: string[], options: { cwd?: string; env?: Record<string, string> } = {}): Promise<RunResult> {
  return new Promise((done) => {
    execFile(binary, args, { cwd: options.cwd, env: { ...process.env, ...options.env }, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      done({ code, stdout, stderr });
    });
  });
}

/** Runs the built `vigil` binary as a user would, from `cwd` (the repo by default). */
export function vigil(args: string[], cwd = REPO, env: Record<string, string> = {}): Promise<RunResult> {
  return run(process.execPath, [...VIGIL, ...args], { cwd, env: { NO_COLOR: '1', ...env } });
}
