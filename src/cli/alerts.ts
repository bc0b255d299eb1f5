import type { Command } from 'commander';
import { loadConfigFile } from '../config/index.js';
import { historyQuery } from '../server/index.js';
import { openStore } from './store.js';
import { oneOf, type Io, type OutputFormat } from './output.js';
import { labelsText, table } from './table.js';
import { iso, parseTime } from './time.js';

interface HistoryFlags {
  config: string;
  since?: number;
  until?: number;
  alertname?: string;
  severity?: string;
  fingerprint?: string;
  kind?: string;
  limit: string;
  before?: string;
  output: OutputFormat;
}

export function registerAlerts(program: Command, io: Io, setExit: (code: number) => void): void {
  const alerts = program.command('alerts').description('what happened to alerts, from the Store');
  alerts
    .command('history')
    .description('alert transitions (pending, firing, resolved), silencing, inhibition, acknowledgements and feedback, newest first')
    .option('-c, --config <file>', 'vigil.yaml (its storage is read: storage.postgres, else storage.sqlite)', 'vigil.yaml')
    .option('--since <time>', 'from this time (RFC 3339, Unix seconds, now-DURATION)', parseTime('--since'))
    .option('--until <time>', 'up to this time', parseTime('--until'))
    .option('--alertname <name>', 'only this alert')
    .option('--severity <P1|P2|P3>', 'only this severity')
    .option('--fingerprint <fp>', 'only this alert instance')
    .option('--kind <kinds>', 'comma-separated: pending,firing,resolved,silenced,inhibited,acknowledged,feedback')
    .option('--limit <n>', 'entries per page', '50')
    .option('--before <id>', 'the page before this entry id (printed as "next")')
    .option('-o, --output <format>', 'text or json', oneOf('--output', ['text', 'json'] as const), 'text')
    .action(async (flags: HistoryFlags) => setExit(await history(flags, io)));
}

async function history(flags: HistoryFlags, io: Io): Promise<number> {
  let q;
  try {
    q = historyQuery({
      ...(flags.since === undefined ? {} : { from: String(flags.since / 1000) }),
      ...(flags.until === undefined ? {} : { to: String(flags.until / 1000) }),
      alertname: flags.alertname,
      severity: flags.severity,
      fingerprint: flags.fingerprint,
      kind: flags.kind,
      limit: flags.limit,
      before: flags.before,
    });
  } catch (err) {
    io.err(`error: --${(err as Error).message}\n`); // only --kind, --limit and --before can be wrong here; their names match
    return 2;
  }
  const config = await loadConfigFile(flags.config);
  const store = await openStore(config);
  try {
    const page = await store.queryAlertEvents(q);
    // newest first by when it happened, across pages: the store orders and pages by (at, id)
    const { items, next } = page;
    if (flags.output === 'json') {
      io.out(JSON.stringify({ events: items.map((e) => ({ ...e, at: iso(e.at), startsAt: iso(e.startsAt) })), next }, null, 2) + '\n');
      return 0;
    }
    if (items.length === 0) {
      io.out('no history matches\n');
      return 0;
    }
    const rows = items.map((e) => [String(e.id), iso(e.at), e.kind, e.alertname, e.severity, labelsText(e.labels, ['alertname', 'severity']), e.source, e.detail ? JSON.stringify(e.detail) : '']);
    io.out(table(['ID', 'AT', 'EVENT', 'ALERT', 'SEVERITY', 'LABELS', 'SOURCE', 'DETAIL'], rows) + '\n');
    if (next !== undefined) io.out(`more: vigil alerts history --before ${next}\n`);
    return 0;
  } finally {
    await store.close();
  }
}
