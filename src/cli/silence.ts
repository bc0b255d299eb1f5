// `vigil silence add|list|expire`: amtool's silence commands against a running `vigil serve`,
// over Alertmanager's silences API v2.

import { existsSync, readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import type { Command } from 'commander';
import { parse as parseYaml } from 'yaml';
import { parseDuration } from '../promql/index.js';
import { formatMatcher, parseMatchers, type Matcher } from '../route/index.js';
import { oneOf, plural, type Io } from './output.js';
import { table } from './table.js';
import { iso, parseTime } from './time.js';

const DEFAULT_URL = 'http://127.0.0.1:9095';

interface ClientFlags {
  url?: string;
  config: string;
  tokenFile?: string;
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

/** A failure to tell the user as is, with exit code 1. */
class CliError extends Error {}

function defaultAuthor(): string {
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
  let doc: { server?: { external_url?: unknown; listen?: unknown } } | null;
  try {
    doc = parseYaml(readFileSync(flags.config, 'utf8'));
  } catch (err) {
    throw new CliError(`${flags.config}: ${(err as Error).message} (or pass --url)`);
  }
  const server = doc?.server ?? {};
  if (typeof server.external_url === 'string' && server.external_url) return server.external_url.replace(/\/+$/, '');
  if (typeof server.listen === 'string' && server.listen) return `http://${server.listen.replace(/^(0\.0\.0\.0|\[::\]|):/, '127.0.0.1:')}`;
  return DEFAULT_URL;
}

/** The bearer token from --token-file, else $VIGIL_TOKEN; never printed. */
function token(flags: ClientFlags): string | undefined {
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
async function call(flags: ClientFlags, method: string, path: string, body?: unknown): Promise<unknown> {
  const base = serverUrl(flags);
  const headers: Record<string, string> = {};
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
      message = (JSON.parse(text) as { message?: string }).message ?? message;
    } catch {
      // not JSON: the text as is
    }
    const hint = res.status === 401 ? ' (set --token-file or VIGIL_TOKEN)' : '';
    throw new CliError(`${method} ${path}: ${res.status} ${res.statusText}: ${message}${hint}`);
  }
  return text ? JSON.parse(text) : undefined;
}

/** Matchers from the arguments; amtool's shorthand: a first argument without an operator is the alertname. */
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
  return cmd
    .option('--url <url>', `vigil's address (default: --config's server.external_url or listen, else ${DEFAULT_URL})`)
    .option('--config <file>', 'vigil.yaml to read the address from, if it exists', 'vigil.yaml')
    .option('--token-file <file>', 'file holding the bearer token (server.bearer_token); else $VIGIL_TOKEN')
    .option('-o, --output <format>', 'table or json', oneOf('--output', output), 'table');
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
      .option('--author <name>', 'who', defaultAuthor())
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
