#!/usr/bin/env -S node --max-semi-space-size=4 --no-memory-reducer --no-concurrent-marking --heap-growing-percent=50
// V8's flags, measured in bench/README.md ("Node's garbage collector flags"): a 4 MiB young generation keeps
// RSS down; the memory reducer ran three full collections of the whole heap every time vigil went idle between
// scrapes, concurrent marking spent more on its helper threads than it saved the main thread, and V8's own
// choice of how far the heap grows before a full collection ran 8 of them in 2 minutes of the scrape job (3 at a
// fixed half) and let a router's heap quadruple after a burst: it grows by half instead.
import { main } from '../dist/cli/index.js';

process.exitCode = await main(process.argv);
