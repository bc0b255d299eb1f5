import type { Command } from 'commander';
import { loadConfigFile } from '../config/index.js';
import { ticketEventJson, ticketJson, ticketPage, ticketQuery } from '../server/index.js';
import type { Store } from '../store/index.js';
import { openStore } from './store.js';
import { oneOf, type Io, type OutputFormat } from './output.js';
import { labelsText, table } from './table.js';
import { iso } from './time.js';

interface Flags {
  config: string;
  output: OutputFormat;
}

/** `vigil tickets list|show`: read straight from the SQLite file vigil.yaml names, so no server needs to run. */
export function registerTickets(program: Command, io: Io, setExit: (code: number) => void): void {
  const tickets = program.command('tickets').description('tickets vigil opened (local, Jira, GitHub), from the Store');
  tickets
    .command('list')
    .description('tickets, newest first')
    .option('-c, --config <file>', 'vigil.yaml (its storage is read: storage.postgres, else storage.sqlite)', 'vigil.yaml')
    .option('--status <status>', 'open or resolved', oneOf('--status', ['open', 'resolved'] as const))
    .option('--limit <n>', 'tickets per page', '50')
    .option('--before <id>', 'the page before this ticket id (printed as "more")')
    .option('-o, --output <format>', 'text or json', oneOf('--output', ['text', 'json'] as const), 'text')
    .action(async (flags: Flags & { status?: string; limit: string; before?: string }) => setExit(await list(flags, io)));
  tickets
    .command('show <id>')
    .description('one ticket (e.g. local:3, jira:OPS-12, github:42) and everything vigil did with it')
    .option('-c, --config <file>', 'vigil.yaml (its storage is read: storage.postgres, else storage.sqlite)', 'vigil.yaml')
    .option('-o, --output <format>', 'text or json', oneOf('--output', ['text', 'json'] as const), 'text')
    .action(async (id: string, flags: Flags) => setExit(await show(id, flags, io)));
}

async function withStore<T>(configFile: string, f: (store: Store) => Promise<T>): Promise<T> {
  const config = await loadConfigFile(configFile);
  const store = await openStore(config);
  try {
    return await f(store);
  } finally {
    await store.close();
  }
}

function list(flags: Flags & { status?: string; limit: string; before?: string }, io: Io): Promise<number> {
  return withStore(flags.config, async (store) => {
    let q;
    try {
      q = await ticketQuery({ status: flags.status, limit: flags.limit, before: flags.before }, async (id) => (await store.getTicket(id)) !== undefined);
    } catch (err) {
      io.err(`error: --${(err as Error).message}\n`);
      return 2;
    }
    const { items, next } = await ticketPage(store, q);
    if (flags.output === 'json') {
      io.out(JSON.stringify({ tickets: items.map(ticketJson), ...(next === undefined ? {} : { next }) }, null, 2) + '\n');
      return 0;
    }
    if (items.length === 0) {
      io.out('no tickets\n');
      return 0;
    }
    const rows = items.map((t) => [t.id, t.status + (t.wontFix ? " (won't fix)" : ''), t.severity, t.receiver, iso(t.createdAt), t.title, t.url ?? '']);
    io.out(table(['ID', 'STATUS', 'SEVERITY', 'RECEIVER', 'CREATED', 'TITLE', 'URL'], rows));
    if (next !== undefined) io.out(`more: vigil tickets list --before ${next}\n`);
    return 0;
  });
}

function show(id: string, flags: Flags, io: Io): Promise<number> {
  return withStore(flags.config, async (store) => {
    const t = await store.getTicket(id);
    if (!t) {
      io.err(`error: no ticket "${id}"\n`);
      return 1;
    }
    const events = await store.ticketEvents(t.id);
    if (flags.output === 'json') {
      io.out(JSON.stringify({ ...ticketJson(t), events: events.map(ticketEventJson) }, null, 2) + '\n');
      return 0;
    }
    const lines = [
      `${t.id}  ${t.title}`,
      `status:        ${t.status}${t.wontFix ? " (closed as won't fix)" : ''}`,
      `severity:      ${t.severity || '-'}`,
      `receiver:      ${t.receiver}`,
      `group:         ${labelsText(t.groupLabels)}`,
      ...(t.url ? [`url:           ${t.url}`] : []),
      `created:       ${iso(t.createdAt)}`,
      `firing since:  ${iso(t.firingSince)}`,
      ...(t.resolvedAt === undefined ? [] : [`resolved:      ${iso(t.resolvedAt)}`]),
      '',
      'events:',
      ...events.flatMap((e) => [`  ${iso(e.at)}  ${e.action}`, ...(e.detail ? e.detail.split('\n').map((l) => `      ${l}`) : [])]),
    ];
    io.out(lines.join('\n') + '\n');
    return 0;
  });
}
