/**
 * The sweep engines by name: `sweep --engine local` (the default: a process pool on this
 * machine, src/sweep/local.ts) or `--engine slurm` (`--slurm`; a job array, src/sweep/slurm.ts).
 * Both are a Scheduler; the sweep (src/sweep/submit.ts) never asks which one it has.
 */
import { BitscaleError } from '../util/errors.js';
import { localPool, type LocalPoolOptions } from './local.js';
import type { Scheduler } from './scheduler.js';
import { slurm } from './slurm.js';

export const ENGINES = ['local', 'slurm'] as const;
export type EngineName = (typeof ENGINES)[number];

/** The engine called `name`, for the sweep folder in `o`; an unknown name is one line naming the field. */
export function openScheduler(name: string, o: LocalPoolOptions): Scheduler {
  if (name === 'local') return localPool(o);
  if (name === 'slurm') return slurm;
  throw new BitscaleError(`unknown engine '${name}' (expected one of: ${ENGINES.join(', ')})`, { field: 'engine' });
}
