/**
 * A sweep's grid: model configs × step budgets × seeds, each run an independent `bitscale train`
 * process on a sweep engine (src/sweep/: the local pool or Slurm). Runs whose log ends in a summary
 * are skipped; a run whose log has no summary (interrupted) is resumed.
 *
 * Grid file (JSON):
 *   { "name": "brown-ladder", "out": "runs/brown-ladder", "base": { "preset": "small", ...TrainConfig },
 *     "models": [ { "name": "d128", "model": { "d": 128, ... }, "lr": 3e-3 }, ... ],
 *     "steps": [150, 300, 600], "seeds": [0] }
 * A model entry may carry its own "steps" (a list, replacing the grid's; the grid's may then be
 * left out) and "notes" (anything, not passed to the trainer): reports/next-runs.json does both.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { trainingFlopsPerStep } from '../arch/bitlm.js';
import { readRunLog, RUN_ID_PATTERN } from '../runs/log.js';
import { BitscaleError } from '../util/errors.js';
import { readTextFile } from '../util/files.js';
import { resolveInside } from '../util/paths.js';
import { readConfigObject, type TrainConfig } from './presets.js';

export interface SweepGrid {
  name: string;
  /** Folder the run logs go to. */
  out: string;
  base: Record<string, unknown>;
  /** Each entry a config; its own `steps` (a list) replaces the grid's; its `notes` are not passed to the trainer. */
  models: Record<string, unknown>[];
  steps: number[];
  seeds: number[];
  /** Optional --data for every run. */
  data?: string;
}

export interface SweepRun {
  runId: string;
  config: TrainConfig;
  /** Training FLOPs of the whole run (the shared formula): the scheduling weight. */
  flops: number;
}

export type RunState = 'done' | 'partial' | 'new';

export function readGrid(path: string): SweepGrid {
  const text = readTextFile(path);
  let g: Partial<SweepGrid>;
  try {
    g = JSON.parse(text);
  } catch (err) {
    throw new BitscaleError(`cannot read the grid (${err instanceof Error ? err.message : String(err)})`, { file: path });
  }
  if (typeof g.name !== 'string' || !/^[A-Za-z0-9._-]+$/.test(g.name)) throw new BitscaleError('expected a name of letters, digits, . _ -', { file: path, field: 'name' });
  if (!Array.isArray(g.models) || g.models.length === 0) throw new BitscaleError('expected a non-empty list', { file: path, field: 'models' });
  const budgets = (s: unknown) => Array.isArray(s) && s.length > 0 && s.every((x) => Number.isInteger(x) && x > 0);
  const ownSteps = g.models.every((m) => m && typeof m === 'object' && 'steps' in m);
  if (!(ownSteps && g.steps === undefined) && !budgets(g.steps)) throw new BitscaleError('expected a non-empty list of positive integers', { file: path, field: 'steps' });
  g.models.forEach((m, i) => {
    if (m && typeof m === 'object' && 'steps' in m && !budgets(m.steps)) throw new BitscaleError('expected a non-empty list of positive integers', { file: path, field: `models[${i}].steps` });
  });
  return { name: g.name, out: g.out ?? join('runs', g.name), base: g.base ?? {}, models: g.models, steps: g.steps ?? [], seeds: g.seeds ?? [0], data: g.data };
}

/** Every run of a grid: models × steps × seeds, id `${grid}-${model}-s${steps}[-seed${seed}]`. */
export function expandGrid(grid: SweepGrid, file = 'grid'): SweepRun[] {
  const runs: SweepRun[] = [];
  grid.models.forEach((entry, i) => {
    const { notes: _notes, steps: own, ...m } = entry;
    const name = typeof m.name === 'string' ? m.name : `m${i}`;
    for (const steps of Array.isArray(own) ? (own as number[]) : grid.steps)
      for (const seed of grid.seeds) {
        const runId = `${grid.name}-${name}-s${steps}${grid.seeds.length > 1 ? `-seed${seed}` : ''}`;
        if (!RUN_ID_PATTERN.test(runId)) throw new BitscaleError(`gives the run id '${runId}'; a name may hold only letters, digits, '.', '_' and '-'`, { file, field: `models[${i}].name` });
        const config = readConfigObject({ ...grid.base, ...m, name, steps, seed }, `${file} models[${i}]`);
        runs.push({ runId, config, flops: trainingFlopsPerStep(config.model, config.batchSize) * steps });
      }
  });
  return runs;
}

/** done: the log ends in a summary; partial: a log without one (resume it); new: no log. */
export function runState(outDir: string, runId: string): RunState {
  const path = resolveInside(outDir, `${runId}.jsonl`, 'run id');
  if (!existsSync(path)) return 'new';
  try {
    return readRunLog(path).summary ? 'done' : 'partial';
  } catch {
    return 'partial';
  }
}
