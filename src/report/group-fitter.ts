/**
 * The report's fits on two cores: the analysis groups other than the recommended config's are
 * fitted in a worker thread (./fit-worker.ts) while this thread fits that group; analyseRuns then
 * takes both as `precomputed`. The fits are the ones fitRunTable makes in one thread (the same
 * pure code on the same runs and options); where no worker runs, they are made here.
 */
// Types only: the main thread starts the worker before it loads the fitters (./threads.ts); the
// worker's entry loads them as it starts.
import type { FitRunTableOptions, GroupFits } from '../fit/suite.js';
import type { RunRecord } from '../runs/types.js';
import { startWorkerCalls, type WorkerCalls } from '../util/worker-call.js';
import type { RefitHelperHandle } from './refit-helper.js';

export interface GroupFitRequest {
  /** The runs, without their parsed logs (the fits read only the run table's fields). */
  runs: RunRecord[];
  options: FitRunTableOptions;
  keys: string[];
}

/** The fits on this thread: where no worker runs. */
async function fitGroups(request: GroupFitRequest): Promise<Map<string, GroupFits>> {
  const { fitGroupsByKey } = await import('../fit/suite.js');
  return fitGroupsByKey(request.runs, request.options, request.keys);
}

export type GroupFitter = WorkerCalls<GroupFitRequest, Map<string, GroupFits>>;

/** The fitter's worker; with `helper`, the worker shares its joint-law refits with this thread, chunk by chunk. */
export function startGroupFitter(options: { inProcess?: boolean; helper?: RefitHelperHandle } = {}): GroupFitter {
  const { helper, ...rest } = options;
  return startWorkerCalls(import.meta.url, 'fit-worker', fitGroups, helper ? { ...rest, workerData: { helper }, transferList: [helper.port] } : rest);
}

/** A run as sent to the worker: the fields the fits read, not the parsed log. */
export function withoutLog(r: RunRecord): RunRecord {
  return { ...r, log: null as unknown as RunRecord['log'] };
}
