/**
 * Worker-thread entry of the chart renderer (./chart-renderer.ts): loads vega and vega-lite as soon
 * as it starts, while the main thread reads the runs and fits the laws, then draws one small chart
 * of the report's kinds (warming vega's parser and dataflow, which draw the first chart of a
 * process about twice as slowly as the next), then renders each batch of vega-lite specs it is
 * sent to SVG, in order, with the same code as in-process rendering.
 */
import type { TopLevelSpec } from 'vega-lite';
import { serveCalls } from '../util/worker-call.js';
import { loadRenderer, renderSvg } from './charts.js';
import { renderAll } from './chart-renderer.js';

/** The marks, scales and legends the report's charts use, on made-up points; the SVG is thrown away. */
const WARM_UP: TopLevelSpec = {
  title: { text: 'warm-up', subtitle: ['a', 'b'] },
  width: 200,
  height: 100,
  data: { values: [1, 2, 3, 4].flatMap((x) => ['p', 'q'].map((s) => ({ x: 10 ** x, y: 3 - x / 10 + (s === 'p' ? 0 : 0.1), lo: 2.9 - x / 10, hi: 3.1 - x / 10, s }))) },
  layer: [
    { mark: { type: 'area', opacity: 0.2 }, encoding: { x: { field: 'x', type: 'quantitative', scale: { type: 'log' } }, y: { field: 'lo', type: 'quantitative' }, y2: { field: 'hi' }, color: { field: 's', type: 'nominal' } } },
    { mark: 'line', encoding: { x: { field: 'x', type: 'quantitative', scale: { type: 'log' } }, y: { field: 'y', type: 'quantitative', scale: { zero: false } }, color: { field: 's', type: 'nominal', legend: { orient: 'bottom' } }, strokeDash: { field: 's', type: 'nominal' } } },
    { mark: { type: 'point', filled: true }, encoding: { x: { field: 'x', type: 'quantitative', scale: { type: 'log' } }, y: { field: 'y', type: 'quantitative' }, shape: { field: 's', type: 'nominal' }, tooltip: [{ field: 's' }] } },
    { mark: 'rule', encoding: { y: { datum: 2.8 } } },
    { mark: { type: 'text', dx: 4 }, encoding: { x: { datum: 100 }, y: { datum: 2.8 }, text: { value: 'rule' } } },
  ],
};

loadRenderer();
serveCalls(renderAll);
// A failed warm-up costs nothing but the time: the report's own charts are rendered as sent.
void renderSvg(WARM_UP).catch(() => {});
