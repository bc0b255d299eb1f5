#!/usr/bin/env -S node --max-semi-space-size=4
import { main } from '../dist/cli/index.js';

process.exitCode = await main(process.argv);
