/**
 * Worker-thread entry of the report's group fitter (./group-fitter.ts): fits the analysis groups
 * it is sent, with the same code and options as the main thread (fitGroupsByKey), sharing the
 * joint law's bootstrap refits with the main thread when it offered (./refit-helper.ts). The
 * fitters load as the worker starts, while the main thread reads the runs.
 */
import { workerData } from 'node:worker_threads';
import { refitChinchillaMany } from '../fit/chinchilla.js';
import { fitGroupsByKey } from '../fit/suite.js';
import { serveCalls } from '../util/worker-call.js';
import type { GroupFitRequest } from './group-fitter.js';
import { sharedRefitter, type RefitHelperHandle } from './refit-helper.js';

const helper = (workerData as { helper?: RefitHelperHandle } | null)?.helper;
const jointRefits = helper ? sharedRefitter(helper, refitChinchillaMany) : undefined;
serveCalls(async (request: GroupFitRequest) => fitGroupsByKey(request.runs, jointRefits ? { ...request.options, jointRefits } : request.options, request.keys));
