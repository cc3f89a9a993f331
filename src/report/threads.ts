/**
 * The report's worker threads, started as soon as a command knows it is a report: the chart
 * renderer (./chart-renderer.ts, which loads vega as it starts) and the group fitter
 * (./group-fitter.ts, which loads the fitters), with the refit helper that lets this thread share
 * the fitter's joint-law refits (./refit-helper.ts). This module loads none of the report's own
 * code, so `bitscale report` starts them before it loads the analysis (about a tenth of a second of
 * this thread's time, during which the second core would otherwise idle).
 */
import { startChartRenderer, type ChartRenderer } from './chart-renderer.js';
import { startGroupFitter, type GroupFitter } from './group-fitter.js';
import { startRefitHelper } from './refit-helper.js';

export interface ReportThreads {
  renderer: ChartRenderer;
  fitter: GroupFitter;
  /** Stop the workers and the helper (idempotent). */
  close(): Promise<void>;
}

/** With `inProcess: true` nothing starts, and every call runs on this thread (the outputs are the same). */
export function startReportThreads(options: { inProcess?: boolean } = {}): ReportThreads {
  const renderer = startChartRenderer({ inProcess: options.inProcess });
  const helper = options.inProcess ? null : startRefitHelper();
  const fitter = startGroupFitter({ inProcess: options.inProcess, helper: helper?.handle });
  return {
    renderer,
    fitter,
    async close() {
      helper?.close();
      await Promise.all([renderer.close(), fitter.close()]);
    },
  };
}
