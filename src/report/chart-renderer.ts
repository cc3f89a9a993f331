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

/**
 * Start rendering `specs` now, ahead of the rest; the function returned renders a full list, in
 * order, taking the SVG of any spec rendered ahead (the same spec, to the byte of its JSON) and
 * rendering only the others. An SVG depends on its spec alone, so the bytes are the same either way.
 */
export function renderAhead(renderer: ChartRenderer, specs: TopLevelSpec[]): (all: TopLevelSpec[]) => Promise<string[]> {
  const ahead = renderer.call(specs);
  // Awaited by the returned function; a report that fails before then does not want the charts.
  ahead.catch(() => {});
  return async (all) => {
    const done = await ahead;
    const byJson = new Map(specs.map((s, i) => [JSON.stringify(s), done[i]]));
    const keys = all.map((s) => JSON.stringify(s));
    const rest = all.filter((_, i) => !byJson.has(keys[i]));
    const drawn = rest.length ? await renderer.call(rest) : [];
    let next = 0;
    return keys.map((k) => byJson.get(k) ?? drawn[next++]);
  };
}
