import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { processIo, type Io } from './output.js';

import { VERSION } from './version.js';

export { VERSION };

type Register = (program: Command, io: Io, setExit: (code: number) => void) => void;

/**
 * The subcommands in `--help` order, each loaded only when needed: `vigil serve` does not load
 * the backtest, demo or report code (a long-running process keeps whatever it loads in memory).
 */
const SUBCOMMANDS: [name: string, load: () => Promise<Register>][] = [
  ['check', async () => (await import('./check.js')).registerCheck],
  ['generate', async () => (await import('./generate.js')).registerGenerate],
  ['eval', async () => (await import('./eval.js')).registerEval],
  ['backtest', async () => {
    const { registerBacktest } = await import('./backtest.js');
    return (program, io, setExit) => registerBacktest(program, io, setExit, () => Boolean(process.stderr.isTTY));
  }],
  ['test', async () => (await import('./test.js')).registerTest],
  ['rules', async () => (await import('./rules.js')).registerRules],
  ['serve', async () => (await import('./serve.js')).registerServe],
  ['demo', async () => (await import('./demo.js')).registerDemo],
  ['silence', async () => (await import('./silence.js')).registerSilence],
  ['alerts', async () => (await import('./alerts.js')).registerAlerts],
  ['tickets', async () => (await import('./tickets.js')).registerTickets],
  ['ack', async () => (await import('./ack.js')).registerAck],
  ['report', async () => (await import('./report.js')).registerReport],
  ['tsdb', async () => (await import('./tsdb.js')).registerTsdb],
];

/** The subcommand argv names (its first word after the program), if it is one of ours; else every one is loaded (help, typos). */
function named(argv: string[]): string | undefined {
  const word = argv.slice(2).find((a) => !a.startsWith('-'));
  return SUBCOMMANDS.some(([name]) => name === word) ? word : undefined;
}

/** Builds the `vigil` command with the subcommand argv names, or all of them; each lives in its own file. */
async function buildProgram(argv: string[], io: Io, setExit: (code: number) => void): Promise<Command> {
  const program = new Command('vigil')
    .description('alerting rules engine and incident router for AI agents in production')
    .version(VERSION)
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeOut: io.out, writeErr: io.err });
  const only = named(argv);
  for (const [name, load] of SUBCOMMANDS) if (only === undefined || only === name) (await load())(program, io, setExit);
  program.commands.forEach((c) => c.exitOverride().configureOutput({ writeOut: io.out, writeErr: io.err }));
  return program;
}

/** Runs the CLI and returns the exit code instead of exiting, so tests can run it in-process too. */
export async function main(argv: string[], io: Io = processIo): Promise<number> {
  let code = 0;
  const program = await buildProgram(argv, io, (c) => (code = c));
  try {
    await program.parseAsync(argv);
    return code;
  } catch (err) {
    if (err instanceof InvalidArgumentError) {
      io.err(`error: ${err.message}\n`);
      return 2;
    }
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    io.err(`error: ${(err as Error).message}\n`);
    return 1;
  }
}
