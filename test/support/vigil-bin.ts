import { resolve } from 'node:path';
import { shebangNodeFlags } from '../../src/cli/node-flags.js';

const BIN = resolve(process.cwd(), 'bin/vigil.js');

/**
 * node's arguments that run vigil as `./bin/vigil.js` runs it: the node flags on its first line
 * (the garbage collector's, which every user and the Dockerfile get), then the file.
 */
export const VIGIL = [...shebangNodeFlags(BIN), BIN];
