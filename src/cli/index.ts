import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { registerCheck } from './check.js';
import { registerBacktest } from './backtest.js';
import { registerEval } from './eval.js';
import { registerGenerate } from './generate.js';
import { registerServe } from './serve.js';
import { registerDemo } from './demo.js';
import { registerSilence } from './silence.js';
import { registerAlerts } from './alerts.js';
import { registerTickets } from './tickets.js';
import { registerAck } from './ack.js';
import { registerReport } from './report.js';
import { registerTest } from './test.js';
import { registerRules } from './rules.js';
import { registerTsdb } from './tsdb.js';
import { processIo, type Io } from './output.js';

import { VERSION } from './version.js';

export { VERSION };

/** Builds the `vigil` command; each subcommand lives in its own file. */
export function buildProgram(io: Io, setExit: (code: number) => void): Command {
  const program = new Command('vigil')
    .description('alerting rules engine and incident router for AI agents in production')
    .version(VERSION)
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeOut: io.out, writeErr: io.err });
  registerCheck(program, io, setExit);
  registerGenerate(program, io, setExit);
  registerEval(program, io, setExit);
  registerBacktest(program, io, setExit, () => Boolean(process.stderr.isTTY));
  registerTest(program, io, setExit);
  registerRules(program, io, setExit);
  registerServe(program, io, setExit);
  registerDemo(program, io, setExit);
  registerSilence(program, io, setExit);
  registerAlerts(program, io, setExit);
  registerTickets(program, io, setExit);
  registerAck(program, io, setExit);
  registerReport(program, io, setExit);
  registerTsdb(program, io, setExit);
  program.commands.forEach((c) => c.exitOverride().configureOutput({ writeOut: io.out, writeErr: io.err }));
  return program;
}

/** Runs the CLI and returns the exit code instead of exiting, so tests can run it in-process too. */
export async function main(argv: string[], io: Io = processIo): Promise<number> {
  let code = 0;
  const program = buildProgram(io, (c) => (code = c));
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
