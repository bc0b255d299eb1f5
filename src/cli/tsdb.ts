import type { Command } from 'commander';
import { loadConfigFile } from '../config/index.js';
import { importOpenMetricsFiles, OpenMetricsError, TSDB, type SampleStorage } from '../tsdb/index.js';
import { oneOf, plural, type Io, type OutputFormat } from './output.js';

/** The storage under datasource.embedded.path, opened for writing; close() makes what was appended durable. */
export interface OpenedStorage {
  storage: SampleStorage;
  close(): Promise<void>;
}
export type OpenStorage = (path: string, retentionMs: number) => Promise<OpenedStorage>;

/** The persistent TSDB that `vigil serve` opens; it refuses a directory a running serve holds (its lock file). */
const openTSDB: OpenStorage = async (path, retentionMs) => {
  const db = await TSDB.open(path, { retentionMs });
  return { storage: db, close: () => db.close() };
};

interface ImportFlags {
  config: string;
  output: OutputFormat;
}

export function registerTsdb(program: Command, io: Io, setExit: (code: number) => void, openStorage: OpenStorage = openTSDB): void {
  const tsdb = program.command('tsdb').description("work with the embedded TSDB's storage (datasource.embedded.path)");
  tsdb
    .command('import')
    .description('load history from OpenMetrics files (as promtool tsdb create-blocks-from openmetrics reads them) into the embedded TSDB')
    .argument('<file...>', 'OpenMetrics files: name{labels} value unix-seconds lines, ending with # EOF')
    .option('-c, --config <file>', 'vigil.yaml (datasource.embedded.path is where the samples go)', 'vigil.yaml')
    .option('-o, --output <format>', 'text or json', oneOf('--output', ['text', 'json'] as const), 'text')
    .action(async (files: string[], flags: ImportFlags) => setExit(await runImport(files, flags, io, openStorage)));
}

async function runImport(files: string[], flags: ImportFlags, io: Io, openStorage: OpenStorage): Promise<number> {
  const config = await loadConfigFile(flags.config);
  const embedded = config.datasource.embedded;
  if (!embedded) {
    io.err(`${config.file}: datasource.prometheus is set: import into that Prometheus with promtool tsdb create-blocks-from openmetrics; vigil tsdb import fills datasource.embedded\n`);
    return 1;
  }
  const { storage, close } = await openStorage(embedded.path, embedded.retentionMs);
  try {
    const reports = await importOpenMetricsFiles(storage, files);
    if (flags.output === 'json') {
      io.out(JSON.stringify({ path: embedded.path, files: reports.map((r) => ({ ...r, minTime: iso(r.minTime), maxTime: iso(r.maxTime) })) }, null, 2) + '\n');
    } else {
      for (const r of reports) {
        const span = r.minTime === undefined ? '' : ` from ${iso(r.minTime)} to ${iso(r.maxTime)}`;
        io.out(`${r.file}: ${plural(r.samples, 'sample')} of ${r.series} series${span}\n`);
      }
      io.out(`imported into ${embedded.path}\n`);
    }
    return 0;
  } catch (err) {
    if (err instanceof OpenMetricsError) {
      io.err(`error: ${err.message}\nnothing was imported\n`);
      return 1;
    }
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ENOENT' || e.code === 'EISDIR' || e.code === 'EACCES') {
      io.err(`error: cannot read ${e.path ?? 'a file'}: ${e.code === 'ENOENT' ? 'no such file' : e.message}\nnothing was imported\n`);
      return 1;
    }
    throw err;
  } finally {
    await close();
  }
}

const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());
