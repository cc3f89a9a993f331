/**
 * Worker-thread entry of the chart renderer (./chart-renderer.ts): loads vega and vega-lite as soon
 * as it starts, while the main thread reads the runs and fits the laws, then renders each batch of
 * vega-lite specs it is sent to SVG, in order, with the same code as in-process rendering. The
 * report sends the recommended config's charts first, while the fits still run (renderAhead): they
 * also warm vega, which draws the first charts of a process about twice as slowly as later ones.
 */
import { serveCalls } from '../util/worker-call.js';
import { loadRenderer } from './charts.js';
import { renderAll } from './chart-renderer.js';

loadRenderer();
serveCalls(renderAll);
