#!/usr/bin/env node
// Runs the bundle in dist/ (plain JavaScript, written by `npm run build`, which `npm ci` runs) when
// it was built from the sources as they are now. Otherwise, or with BITSCALE_FROM_SOURCE=1, runs
// the TypeScript sources through tsx; a missing or stale build says so in one line on stderr.
import { fileURLToPath } from 'node:url';
import { staleReason } from './build-check.js';

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
