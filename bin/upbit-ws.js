#!/usr/bin/env node
// The `upbit-ws` command. It runs the compiled code in dist/, which `npm install` builds in a
// clone (the `prepare` script) and which a published package ships. Every failure is one line on
// stderr and a non-zero exit code (src/cli/main.ts), never a stack trace.
import { main } from '../dist/cli/main.js';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`upbit-ws: ${err?.message ?? String(err)}\n`);
    process.exitCode = 1;
  },
);
