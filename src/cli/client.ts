// What the commands that talk to a running `vigil serve` share (silence, ack): where it is, the token, one API call.

import { existsSync, readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import type { Command } from 'commander';
import { parseConfig, type Config } from '../config/index.js';
import { parseMatchers, type Matcher } from '../route/index.js';

export const DEFAULT_URL = 'http://127.0.0.1:9095';

export interface ClientFlags {
  url?: string;
  config: string;
  tokenFile?: string;
}

/** A failure to tell the user as is, with exit code 1. */
export class CliError extends Error {}

/** Who is acting: $USER, else the login name. */
export function defaultUser(): string {
  try {
    return process.env.USER || userInfo().username;
  } catch {
    return '';
  }
}

/** --url, else vigil.yaml's server.external_url or listen (when the file is there), else the default listen address. */
export function serverUrl(flags: Pick<ClientFlags, 'url' | 'config'>): string {
  if (flags.url) return flags.url.replace(/\/+$/, '');
  if (!existsSync(flags.config)) return DEFAULT_URL;
  let config: Config;
  try {
    // the loader serve uses: ${VAR} in flow maps, *_file secrets, the same checks
    config = parseConfig(flags.config, readFileSync(flags.config, 'utf8'));
  } catch (err) {
    throw new CliError(`${(err as Error).message}\n(fix ${flags.config} or pass --url)`);
  }
  // external_url defaults to http://<listen>; a wildcard listen address is reached on loopback
  return config.server.externalURL.replace(/\/+$/, '').replace(/^(https?:\/\/)(0\.0\.0\.0|\[::\]|)(:\d+)/, '$1127.0.0.1$3');
}

/** The bearer token from --token-file, else $VIGIL_TOKEN; never printed. */
export function token(flags: ClientFlags): string | undefined {
  if (flags.tokenFile) {
    try {
      return readFileSync(flags.tokenFile, 'utf8').trim();
    } catch (err) {
      throw new CliError(`--token-file: ${(err as Error).message}`);
    }
  }
  return process.env.VIGIL_TOKEN || undefined;
}

/** One API call; any failure becomes a sentence that says where and why. */
export async function call(flags: ClientFlags, method: string, path: string, body?: unknown, extraHeaders: Record<string, string> = {}): Promise<unknown> {
  const base = serverUrl(flags);
  const headers: Record<string, string> = { ...extraHeaders };
  const t = token(flags);
  if (t) headers.authorization = `Bearer ${t}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(`${base}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal: AbortSignal.timeout(30_000) });
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    throw new CliError(`cannot reach vigil at ${base}: ${cause?.code ?? cause?.message ?? (err as Error).message} (is \`vigil serve\` running? set --url)`);
  }
  const text = await res.text();
  if (!res.ok) {
    let message = text.trim();
    try {
      // Alertmanager's v2 paths answer a JSON string; vigil's own paths {code, message}
      const body = JSON.parse(text) as string | { message?: string };
      message = typeof body === 'string' ? body : (body?.message ?? message);
    } catch {
      // not JSON: the text as is
    }
    const hint = res.status === 401 ? ' (set --token-file or VIGIL_TOKEN)' : '';
    throw new CliError(`${method} ${path}: ${res.status} ${res.statusText}: ${message}${hint}`);
  }
  return text ? JSON.parse(text) : undefined;
}

/** Matchers from the arguments; amtool's shorthand: a first argument without an operator is the alertname. */
export function argMatchers(args: string[]): Matcher[] {
  return args.flatMap((arg, i) => {
    if (i === 0 && /^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(arg)) return [{ name: 'alertname', type: '=' as const, value: arg }];
    try {
      return parseMatchers(arg);
    } catch (err) {
      throw new CliError(`matcher ${JSON.stringify(arg)}: ${(err as Error).message}`);
    }
  });
}

/** The options of every command that talks to a running vigil: where it is and how to authenticate. */
export function serverOptions(cmd: Command): Command {
  return cmd
    .option('--url <url>', `vigil's address (default: --config's server.external_url or listen, else ${DEFAULT_URL})`)
    .option('--config <file>', 'vigil.yaml to read the address from, if it exists', 'vigil.yaml')
    .option('--token-file <file>', 'file holding the bearer token (server.bearer_token); else $VIGIL_TOKEN');
}
