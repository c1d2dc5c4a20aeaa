#!/usr/bin/env node
// The published CLI runs the compiled code (npm run build); in this repository use `npm start`.
import { main } from '../dist/cli/main.js';

main(process.argv.slice(2)).catch((err) => {
  process.stderr.write(`${err?.stack ?? String(err)}\n`);
  process.exitCode = 1;
});
