/**
 * Worker-thread entry of the report's group fitter (./group-fitter.ts): fits the analysis groups
 * it is sent, with the same code and options as the main thread (fitGroupsByKey).
 */
import { serveCalls } from '../util/worker-call.js';
import { fitGroups } from './group-fitter.js';

serveCalls(fitGroups);
