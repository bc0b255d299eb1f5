// `vigil ack [matchers...] [--fingerprint fp] --by NAME`: records that someone is on the alerts, in a
// running `vigil serve` (POST /api/v1/alerts/ack). It finds the server as `vigil silence` does.

import { readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import type { Command } from 'commander';
import { formatMatcher, parseMatchers, type Matcher } from '../route/index.js';
import { oneOf, plural, type Io } from './output.js';
import { serverUrl } from './silence.js';

interface AckFlags {
  url?: string;
  config: string;
  tokenFile?: string;
  output: 'text' | 'json';
  fingerprint?: string;
  by: string;
  comment?: string;
}

/** A failure to tell the user as is, with exit code 1. */
class CliError extends Error {}

function defaultBy(): string {
  try {
    return process.env.USER || userInfo().username;
  } catch {
    return '';
  }
}

/** The bearer token from --token-file, else $VIGIL_TOKEN; never printed. */
function token(flags: AckFlags): string | undefined {
  if (flags.tokenFile) {
    try {
      return readFileSync(flags.tokenFile, 'utf8').trim();
    } catch (err) {
      throw new CliError(`--token-file: ${(err as Error).message}`);
    }
  }
  return process.env.VIGIL_TOKEN || undefined;
}

/** amtool's shorthand, as `vigil silence`: a bare first word is the alertname. */
function argMatchers(args: string[]): Matcher[] {
  return args.flatMap((arg, i) => {
    if (i === 0 && /^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(arg)) return [{ name: 'alertname', type: '=' as const, value: arg }];
    try {
      return parseMatchers(arg);
    } catch (err) {
      throw new CliError(`matcher ${JSON.stringify(arg)}: ${(err as Error).message}`);
    }
  });
}

async function ack(args: string[], flags: AckFlags, io: Io): Promise<boolean> {
  const matchers = argMatchers(args);
  if (!matchers.length && !flags.fingerprint) throw new CliError('give matchers or --fingerprint, e.g. vigil ack agent_id="checkout" --by ann');
  if (!flags.by) throw new CliError('--by is required (defaults to $USER, which is not set)');
  const body = {
    ...(flags.fingerprint ? { fingerprint: flags.fingerprint } : {}),
    ...(matchers.length ? { matchers: matchers.map(formatMatcher) } : {}),
    by: flags.by,
    ...(flags.comment ? { comment: flags.comment } : {}),
  };
  const base = serverUrl(flags);
  // the server records `cli` as the source for this user agent
  const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'vigil-cli' };
  const t = token(flags);
  if (t) headers.authorization = `Bearer ${t}`;
  let res: Response;
  try {
    res = await fetch(`${base}/api/v1/alerts/ack`, { method: 'POST', headers, body: JSON.stringify(body), signal: AbortSignal.timeout(30_000) });
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    throw new CliError(`cannot reach vigil at ${base}: ${cause?.code ?? cause?.message ?? (err as Error).message} (is \`vigil serve\` running? set --url)`);
  }
  const text = await res.text();
  if (!res.ok) {
    let message = text.trim();
    try {
      message = (JSON.parse(text) as { message?: string }).message ?? message;
    } catch {
      // not JSON: the text as is
    }
    const hint = res.status === 401 ? ' (set --token-file or VIGIL_TOKEN)' : '';
    throw new CliError(`POST /api/v1/alerts/ack: ${res.status} ${res.statusText}: ${message}${hint}`);
  }
  const { acknowledged } = JSON.parse(text) as { acknowledged: number };
  if (flags.output === 'json') io.out(JSON.stringify({ acknowledged }, null, 2) + '\n');
  else if (acknowledged > 0) io.out(`Acknowledged ${plural(acknowledged, 'alert')} as ${flags.by}.\n`);
  else io.err('No firing alert matches; nothing acknowledged.\n');
  // nothing matched: most likely a typo, which a script should notice
  return acknowledged > 0;
}

export function registerAck(program: Command, io: Io, setExit: (code: number) => void): void {
  program
    .command('ack')
    .description('acknowledge firing alerts in a running vigil serve: the history (and the weekly review) records who is on them')
    .argument('[matcher...]', 'label matchers such as agent_id="checkout" (a bare first word is the alertname)')
    .option('--fingerprint <fp>', 'acknowledge the alert with this fingerprint')
    .option('--by <name>', 'who acknowledges', defaultBy())
    .option('--comment <text>', 'a note kept with the acknowledgement')
    .option('--url <url>', "vigil's address (default: --config's server.external_url or listen, else http://127.0.0.1:9095)")
    .option('--config <file>', 'vigil.yaml to read the address from, if it exists', 'vigil.yaml')
    .option('--token-file <file>', 'file holding the bearer token (server.bearer_token); else $VIGIL_TOKEN')
    .option('-o, --output <format>', 'text or json', oneOf('--output', ['text', 'json'] as const), 'text')
    .action(async (args: string[], flags: AckFlags) => {
      try {
        setExit((await ack(args, flags, io)) ? 0 : 1);
      } catch (err) {
        if (!(err instanceof CliError)) throw err;
        io.err(`error: ${err.message}\n`);
        setExit(1);
      }
    });
}
