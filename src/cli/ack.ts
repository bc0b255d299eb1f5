// `vigil ack [matchers...] [--fingerprint fp] --by NAME`: records that someone is on the alerts, in a
// running `vigil serve` (POST /api/v1/alerts/ack). It finds the server as `vigil silence` does.

import type { Command } from 'commander';
import { formatMatcher } from '../route/index.js';
import { argMatchers, call, CliError, defaultUser, serverOptions, type ClientFlags } from './client.js';
import { oneOf, plural, type Io } from './output.js';

interface AckFlags extends ClientFlags {
  output: 'text' | 'json';
  fingerprint?: string;
  by: string;
  comment?: string;
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
  // the server records `cli` as the source for this user agent
  const { acknowledged } = (await call(flags, 'POST', '/api/v1/alerts/ack', body, { 'user-agent': 'vigil-cli' })) as { acknowledged: number };
  if (flags.output === 'json') io.out(JSON.stringify({ acknowledged }, null, 2) + '\n');
  else if (acknowledged > 0) io.out(`Acknowledged ${plural(acknowledged, 'alert')} as ${flags.by}.\n`);
  else io.err('No firing alert matches; nothing acknowledged.\n');
  // nothing matched: most likely a typo, which a script should notice
  return acknowledged > 0;
}

export function registerAck(program: Command, io: Io, setExit: (code: number) => void): void {
  const cmd = program
    .command('ack')
    .description('acknowledge firing alerts in a running vigil serve: the history (and the weekly review) records who is on them')
    .argument('[matcher...]', 'label matchers such as agent_id="checkout" (a bare first word is the alertname)')
    .option('--fingerprint <fp>', 'acknowledge the alert with this fingerprint')
    .option('--by <name>', 'who acknowledges', defaultUser())
    .option('--comment <text>', 'a note kept with the acknowledgement');
  serverOptions(cmd)
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
