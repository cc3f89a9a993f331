/**
 * How to start a worker thread whose entry is the module `name` beside the caller. From the
 * TypeScript sources (the caller's URL ends in .ts) the worker registers tsx first: Node 20 does
 * not apply `--import tsx` from a Worker's execArgv. In the build (dist/, every module flat in one
 * folder) it starts `name.js` beside the calling chunk; scripts/build.js lists each such entry.
 */
import type { WorkerOptions } from 'node:worker_threads';

export function workerScript(callerUrl: string, name: string): { script: string | URL; options: WorkerOptions } {
  if (callerUrl.endsWith('.ts')) {
    const entry = new URL(`./${name}.ts`, callerUrl).href;
    const tsx = import.meta.resolve('tsx/esm/api');
    const code = `import(${JSON.stringify(tsx)}).then(({ register }) => { register(); return import(${JSON.stringify(entry)}); });`;
    return { script: code, options: { eval: true } };
  }
  return { script: new URL(`./${name}.js`, callerUrl), options: {} };
}
