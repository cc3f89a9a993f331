/**
 * Chart rendering beside the analysis: a worker thread (./chart-worker.ts) starts loading vega and
 * vega-lite (about a third of a second of CPU) when the report starts, so that the loading overlaps
 * the fits on a machine with a second core. The SVGs are the ones renderSvg gives in-process (same
 * code, same specs, same order); where a worker cannot start, rendering falls back to in-process.
 */
import { Worker } from 'node:worker_threads';
import type { TopLevelSpec } from 'vega-lite';
import { workerScript } from '../util/worker-script.js';
import type { RenderReply, RenderRequest } from './chart-worker.js';

export interface ChartRenderer {
  /** The SVG of each spec, in order. */
  render(specs: TopLevelSpec[]): Promise<string[]>;
  /** Stop the worker (idempotent). */
  close(): Promise<void>;
}

async function renderInProcess(specs: TopLevelSpec[]): Promise<string[]> {
  const { renderSvg } = await import('./charts.js');
  const out: string[] = [];
  for (const spec of specs) out.push(await renderSvg(spec));
  return out;
}

/** A renderer on its own thread; `inProcess` (or a worker that fails to start) renders on this one. */
export function startChartRenderer(options: { inProcess?: boolean } = {}): ChartRenderer {
  let worker: Worker | null = null;
  if (!options.inProcess) {
    try {
      const { script, options: workerOptions } = workerScript(import.meta.url, 'chart-worker');
      worker = new Worker(script, workerOptions);
      // A worker never keeps the process alive on its own; close() ends it on every normal path.
      worker.unref();
    } catch {
      worker = null;
    }
  }
  const w = worker;
  if (!w) return { render: renderInProcess, close: async () => {} };
  let failure: Error | null = null;
  let pending: { resolve: (svgs: string[]) => void; reject: (err: Error) => void } | null = null;
  const fail = (err: Error) => {
    failure ??= err;
    pending?.reject(err);
    pending = null;
  };
  w.on('error', (err) => fail(err instanceof Error ? err : new Error(String(err))));
  w.on('exit', (code) => fail(new Error(`the chart worker exited with code ${code}`)));
  w.on('message', (reply: RenderReply) => {
    const p = pending;
    pending = null;
    if (!p) return;
    if ('error' in reply) p.reject(new Error(reply.error));
    else p.resolve(reply.svgs);
  });
  let closed = false;
  return {
    render(specs) {
      if (failure || closed) return renderInProcess(specs);
      if (pending) return Promise.reject(new Error('the chart renderer renders one batch at a time'));
      return new Promise<string[]>((resolve, reject) => {
        pending = { resolve, reject };
        w.postMessage({ specs } satisfies RenderRequest);
      }).catch((err: Error) => {
        // A worker that died (not one that reported a rendering error) is replaced by this thread.
        if (failure) return renderInProcess(specs);
        throw err;
      });
    },
    async close() {
      if (closed) return;
      closed = true;
      w.removeAllListeners('exit');
      await w.terminate();
    },
  };
}
