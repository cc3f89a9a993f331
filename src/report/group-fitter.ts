/**
 * The report's fits on two cores: the analysis groups other than the recommended config's are
 * fitted in a worker thread (./fit-worker.ts) while this thread fits that group; analyseRuns then
 * takes both as `precomputed`. The fits are the ones fitRunTable makes in one thread (the same
 * pure code on the same runs and options); where no worker runs, they are made here.
 */
// Imported up front: the worker loads the fitters while the main thread reads the runs.
import { fitGroupsByKey, type FitRunTableOptions, type GroupFits } from '../fit/suite.js';
import type { RunRecord } from '../runs/types.js';
import { startWorkerCalls, type WorkerCalls } from '../util/worker-call.js';
import { sharedRefitter, type RefitHelperHandle } from './refit-helper.js';

export interface GroupFitRequest {
  /** The runs, without their parsed logs (the fits read only the run table's fields). */
  runs: RunRecord[];
  options: FitRunTableOptions;
  keys: string[];
}

export async function fitGroups(request: GroupFitRequest): Promise<Map<string, GroupFits>> {
  return fitGroupsByKey(request.runs, request.options, request.keys);
}

/** In the worker: fitGroups, sharing the joint law's refits with the main thread when it offered to help (./refit-helper.ts). */
export async function fitGroupsSharing(request: GroupFitRequest, helper: RefitHelperHandle | undefined): Promise<Map<string, GroupFits>> {
  if (!helper) return fitGroups(request);
  return fitGroups({ ...request, options: { ...request.options, jointRefits: sharedRefitter(helper) } });
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
