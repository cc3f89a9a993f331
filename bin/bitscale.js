#!/usr/bin/env node
// Runs the bundle in dist/ (plain JavaScript, written by `npm run build`, which `npm ci` runs) when
// it was built from the sources as they are now. Otherwise, or with BITSCALE_FROM_SOURCE=1, runs
// the TypeScript sources through tsx; a missing or stale build says so in one line on stderr.
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { staleReason } from './build-check.js';

// V8 re-compiles a function with its optimising compiler (TurboFan, on background threads) once the
// function has run through an "interrupt budget" of bytecode, 66 KiB by default: tuned for pages
// that run for minutes. A bitscale command is a short process, and with the default budget a
// `report` spent about 0.8 s of CPU, a quarter of all it used, optimising vega's and the fitters'
// lukewarm functions that then ran for milliseconds. Eight times the budget still optimises the
// truly hot loops (the fitters' objectives, the trainer's) within milliseconds, and cuts the
// report's CPU by about a tenth (bench/cli.ts). It changes no result: optimised code computes
// exactly what the interpreter does. Flags are per process, so the worker threads get it too; a
// budget given on node's own command line wins.
if (!process.execArgv.some((a) => a.startsWith('--interrupt-budget'))) setFlagsFromString(`--interrupt-budget=${8 * 67584}`);

const root = fileURLToPath(new URL('..', import.meta.url));
let cli;
if (process.env.BITSCALE_FROM_SOURCE !== '1') {
  const stale = staleReason(root);
  if (stale === null) cli = await import('../dist/cli.js');
  else process.stderr.write(`warning: ${stale}, so bitscale runs its sources through tsx (slower); rebuild with \`npm run build\`\n`);
}
if (!cli) {
  const { register } = await import('tsx/esm/api');
  register();
  cli = await import('../src/cli.ts');
}
await cli.main(process.argv);
