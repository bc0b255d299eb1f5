#!/usr/bin/env -S node --max-semi-space-size=4 --no-memory-reducer --no-concurrent-marking
// V8's flags, measured in bench/README.md ("Node's garbage collector flags"): a 4 MiB young generation keeps
// RSS down; the memory reducer ran three full collections of the whole heap every time vigil went idle between
// scrapes, and concurrent marking spent more on its helper threads than it saved the main thread.
import { main } from '../dist/cli/index.js';

process.exitCode = await main(process.argv);
