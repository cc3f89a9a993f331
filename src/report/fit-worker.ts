/**
 * Worker-thread entry of the report's group fitter (./group-fitter.ts): fits the analysis groups
 * it is sent, with the same code and options as the main thread (fitGroupsByKey), sharing the
 * joint law's bootstrap refits with the main thread when it offered (./refit-helper.ts).
 */
import { workerData } from 'node:worker_threads';
import { serveCalls } from '../util/worker-call.js';
import { fitGroupsSharing, type GroupFitRequest } from './group-fitter.js';
import type { RefitHelperHandle } from './refit-helper.js';

const helper = (workerData as { helper?: RefitHelperHandle } | null)?.helper;
serveCalls((request: GroupFitRequest) => fitGroupsSharing(request, helper));
