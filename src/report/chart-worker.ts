/**
 * Worker-thread entry of the chart renderer (./chart-renderer.ts): loads vega and vega-lite as soon
 * as it starts, while the main thread reads the runs and fits the laws, then renders each batch of
 * vega-lite specs it is sent to SVG, in order, with the same renderSvg as in-process rendering.
 */
import { parentPort } from 'node:worker_threads';
import type { TopLevelSpec } from 'vega-lite';
import { loadRenderer, renderSvg } from './charts.js';

export interface RenderRequest {
  specs: TopLevelSpec[];
}

export type RenderReply = { svgs: string[] } | { error: string };

const port = parentPort;
if (!port) throw new Error('chart-worker.ts runs as a worker thread');
loadRenderer();
port.on('message', async (req: RenderRequest) => {
  try {
    const svgs: string[] = [];
    for (const spec of req.specs) svgs.push(await renderSvg(spec));
    port.postMessage({ svgs } satisfies RenderReply);
  } catch (err) {
    port.postMessage({ error: err instanceof Error ? err.message : String(err) } satisfies RenderReply);
  }
});
