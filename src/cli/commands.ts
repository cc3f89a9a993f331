import type { Command } from 'commander';
import { register as registerRuns } from './runs.js';
import { register as registerFit } from './fit.js';
import { register as registerEstimate } from './estimate.js';
import { register as registerTrain } from './train.js';
import { register as registerReport } from './report.js';
import { register as registerPlan } from './plan.js';

/** Every command, in the order `bitscale --help` lists them. */
export function registerCommands(program: Command): void {
  registerReport(program);
  registerRuns(program);
  registerFit(program);
  registerEstimate(program);
  registerPlan(program);
  registerTrain(program);
}
