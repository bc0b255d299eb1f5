/**
 * The `vigil` program loads only the subcommand it runs (a long-running `serve` keeps whatever it
 * loads); help and unknown words still see every subcommand.
 */
import { vigil } from './run.js';

const ALL = ['check', 'generate', 'eval', 'backtest', 'test', 'rules', 'serve', 'demo', 'silence', 'alerts', 'tickets', 'ack', 'report', 'tsdb'];

test('vigil --help lists every subcommand, in order', async () => {
  const r = await vigil(['--help']);
  expect(r.code).toBe(0);
  const listed = r.stdout
    .split('\n')
    .map((l) => /^ {2}(\w+)\b/.exec(l)?.[1])
    .filter((w): w is string => w !== undefined && w !== 'help');
  expect(listed).toEqual(ALL);
});

test('a subcommand runs with only itself loaded; a typo still gets the list of what exists', async () => {
  const help = await vigil(['serve', '--help']);
  expect(help.code).toBe(0);
  expect(help.stdout).toContain('Usage: vigil serve [options]');
  const typo = await vigil(['serv']);
  expect(typo.code).toBe(2);
  expect(typo.stderr).toContain("unknown command 'serv'");
  expect(typo.stderr).toContain('(Did you mean serve?)');
});
