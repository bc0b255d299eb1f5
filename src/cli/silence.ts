// `vigil silence add|list|expire`: amtool's silence commands against a running `vigil serve`,
// over Alertmanager's silences API v2.

import type { Command } from 'commander';
import { parseDuration } from '../promql/index.js';
import { formatMatcher, type Matcher } from '../route/index.js';
import { argMatchers, call, CliError, defaultUser, serverOptions, type ClientFlags as ServerFlags } from './client.js';
import { oneOf, plural, type Io } from './output.js';
import { table } from './table.js';
import { iso, parseTime } from './time.js';

interface ClientFlags extends ServerFlags {
  output: 'table' | 'json';
}

interface AddFlags extends ClientFlags {
  comment?: string;
  author: string;
  duration?: string;
  start?: number;
  end?: number;
}

interface ListFlags extends ClientFlags {
  expired?: boolean;
}

/** A gettableSilence as the API answers it. */
interface ApiSilence {
  id: string;
  status: { state: string };
  matchers: { name: string; value: string; isRegex: boolean; isEqual?: boolean }[];
  startsAt: string;
  endsAt: string;
  updatedAt: string;
  createdBy: string;
  comment: string;
}

function apiMatcher(m: Matcher) {
  return { name: m.name, value: m.value, isRegex: m.type === '=~' || m.type === '!~', isEqual: m.type === '=' || m.type === '=~' };
}

function matcherText(m: ApiSilence['matchers'][number]): string {
  const type = m.isRegex ? (m.isEqual === false ? '!~' : '=~') : m.isEqual === false ? '!=' : '=';
  return formatMatcher({ name: m.name, type, value: m.value });
}

async function add(args: string[], flags: AddFlags, io: Io): Promise<void> {
  const matchers = argMatchers(args);
  if (!matchers.length) throw new CliError('give at least one matcher, e.g. vigil silence add agent_id="checkout"');
  if (!flags.comment) throw new CliError('--comment is required: say why you silence');
  if (!flags.author) throw new CliError('--author is required (defaults to $USER, which is not set)');
  if (flags.duration !== undefined && flags.end !== undefined) throw new CliError('--duration and --end: give one of them');
  const startsAt = flags.start ?? Date.now();
  let endsAt = flags.end;
  if (endsAt === undefined) {
    try {
      endsAt = startsAt + parseDuration(flags.duration ?? '1h');
    } catch (err) {
      throw new CliError(`--duration: ${(err as Error).message}`);
    }
  }
  const res = (await call(flags, 'POST', '/api/v2/silences', {
    matchers: matchers.map(apiMatcher),
    startsAt: iso(startsAt),
    endsAt: iso(endsAt),
    createdBy: flags.author,
    comment: flags.comment,
  })) as { silenceID: string };
  io.out(flags.output === 'json' ? JSON.stringify(res, null, 2) + '\n' : `${res.silenceID}\n`);
}

async function list(args: string[], flags: ListFlags, io: Io): Promise<void> {
  const filter = argMatchers(args);
  const query = filter.map((m) => `filter=${encodeURIComponent(formatMatcher(m))}`).join('&');
  const all = (await call(flags, 'GET', `/api/v2/silences${query ? `?${query}` : ''}`)) as ApiSilence[];
  // as amtool: active and pending by default, only expired ones with --expired
  const shown = all.filter((s) => (s.status.state === 'expired') === Boolean(flags.expired));
  if (flags.output === 'json') {
    io.out(JSON.stringify(shown, null, 2) + '\n');
    return;
  }
  if (!shown.length) {
    io.out(flags.expired ? 'No expired silences.\n' : 'No active or pending silences.\n');
    return;
  }
  const rows = shown.map((s) => [s.id, s.matchers.map(matcherText).join(' '), s.status.state, s.startsAt, s.endsAt, s.createdBy, s.comment]);
  io.out(table(['ID', 'MATCHERS', 'STATE', 'STARTS AT', 'ENDS AT', 'CREATED BY', 'COMMENT'], rows));
}

async function expire(ids: string[], flags: ClientFlags, io: Io): Promise<boolean> {
  let ok = true;
  const done: string[] = [];
  for (const id of ids) {
    try {
      await call(flags, 'DELETE', `/api/v2/silence/${encodeURIComponent(id)}`);
      done.push(id);
    } catch (err) {
      if (!(err instanceof CliError)) throw err;
      io.err(`error: ${err.message}\n`);
      ok = false;
    }
  }
  if (flags.output === 'json') io.out(JSON.stringify({ expired: done }, null, 2) + '\n');
  else if (done.length) io.out(`Expired ${plural(done.length, 'silence')}: ${done.join(' ')}\n`);
  return ok;
}

/** The options every subcommand shares: where vigil is and how to authenticate. */
function clientOptions(cmd: Command, output: readonly ['table', 'json']): Command {
  return serverOptions(cmd).option('-o, --output <format>', 'table or json', oneOf('--output', output), 'table');
}

export function registerSilence(program: Command, io: Io, setExit: (code: number) => void): void {
  const run = (fn: () => Promise<boolean | void>) => async () => {
    try {
      setExit((await fn()) === false ? 1 : 0);
    } catch (err) {
      if (!(err instanceof CliError)) throw err;
      io.err(`error: ${err.message}\n`);
      setExit(1);
    }
  };
  const formats = ['table', 'json'] as const;
  // made through program.command so that it and its subcommands inherit exitOverride and the output streams
  const silence = program.command('silence').description('add, list and expire silences in a running vigil serve (like amtool silence)');

  clientOptions(
    silence
      .command('add')
      .description('silence the alerts the matchers match; prints the new silence id')
      .argument('<matcher...>', 'label matchers such as agent_id="checkout" severity=~"P[12]" (a bare first word is the alertname)')
      .option('--comment <text>', 'why (required)')
      .option('--author <name>', 'who', defaultUser())
      .option('--duration <duration>', 'how long, from the start (default 1h)')
      .option('--start <time>', 'when it starts (default now): RFC 3339 or Unix seconds', parseTime('--start'))
      .option('--end <time>', 'when it ends, instead of --duration', parseTime('--end')),
    formats,
  ).action((args: string[], flags: AddFlags) => run(() => add(args, flags, io))());

  clientOptions(
    silence
      .command('list')
      .description('list active and pending silences (or expired ones), optionally only those matching filter matchers')
      .argument('[matcher...]', 'filter: silences with these matchers, as Alertmanager filters')
      .option('--expired', 'list expired silences instead'),
    formats,
  ).action((args: string[], flags: ListFlags) => run(() => list(args, flags, io))());

  clientOptions(silence.command('expire').description('end silences now').argument('<id...>', 'silence ids'), formats).action((ids: string[], flags: ClientFlags) =>
    run(() => expire(ids, flags, io))(),
  );
}
