/**
 * Chart rendering beside the analysis: a worker thread (./chart-worker.ts) starts loading vega and
 * vega-lite (about a third of a second of CPU) when the report starts, so that the loading overlaps
 * the fits on a machine with a second core. The SVGs are the ones renderSvg gives in-process (same
 * code, same specs, same order); where a worker cannot run, rendering happens on this thread.
 */
import type { TopLevelSpec } from 'vega-lite';
import { startWorkerCalls, type WorkerCalls } from '../util/worker-call.js';

/** The SVG of each spec, in order. */
export async function renderAll(specs: TopLevelSpec[]): Promise<string[]> {
  const { renderSvg } = await import('./charts.js');
  const out: string[] = [];
  for (const spec of specs) out.push(await renderSvg(spec));
  return out;
}

export type ChartRenderer = WorkerCalls<TopLevelSpec[], string[]>;

export function startChartRenderer(options: { inProcess?: boolean } = {}): ChartRenderer {
  return startWorkerCalls(import.meta.url, 'chart-worker', renderAll, options);
}
