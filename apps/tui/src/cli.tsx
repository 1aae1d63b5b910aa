#!/usr/bin/env node
/** The `rlhf` bin (dist/cli.js). All behaviour lives in main.tsx; this only binds it to the process. */
import { processIo } from './io.js';
import { main } from './main.js';

const code = await main(process.argv.slice(2), processIo());
process.exitCode = code;
// A job that left a handle open (a worker, a timer) must not keep a finished command alive.
setTimeout(() => process.exit(code), 1000).unref();
