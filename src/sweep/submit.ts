/**
 * The sweep, on any engine (src/sweep/engines.ts): check every grid entry, pick the runs that
 * still need running, write their configs and one submission file, and (with `submit`) hand it to
 * the engine and record the job id; where the engine runs the tasks in this process (the local
 * pool) wait for them. Nothing is submitted when any entry is invalid; runs that are finished, or
 * queued or running from an earlier submission, are left out, so a resubmission only fills the
 * gaps. `--status` and `--cancel` ask the engine each recorded submission names.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { countParams } from '../arch/bitlm.js';
import { BitscaleError } from '../util/errors.js';
import { expandGrid, readGrid, runState, type RunState, type SweepGrid, type SweepRun } from '../train/sweep.js';
import { checkGridFileData } from './grid-data.js';
import { openScheduler } from './engines.js';
import { appendSubmission, defaultSweepDir, isActive, latestTasks, readSweepRecord, sweepStatus, writeNewScript, writeRunConfigs, type JobOptions, type Scheduler, type StatusRow, type Submission, type SweepRecord, type TaskView } from './scheduler.js';

/** A grid read and expanded (every entry checked), and the sweep's folder. */
export interface SweepSpec {
  grid: SweepGrid;
  gridPath: string;
  runs: SweepRun[];
  sweepDir: string;
}

/** Read the grid at `gridPath` and expand it; every entry is validated here, before anything is written or submitted. */
export function openSweep(gridPath: string, sweepDir?: string): SweepSpec {
  const grid = readGrid(gridPath);
  const runs = expandGrid(grid, gridPath);
  return { grid, gridPath, runs, sweepDir: sweepDir ?? defaultSweepDir(grid) };
}

export interface SubmitOptions extends SweepSpec {
  backend: string;
  options: JobOptions;
  /** Submit the written file (otherwise only write it: Slurm's script, for the user to read and sbatch). */
  submit: boolean;
  scheduler: Scheduler;
}

/** A task that ran to its end in this process (the local pool), as `sweep --json` lists it. */
export interface RanTask {
  run_id: string;
  /** The process's exit status (1 when it was killed by a signal). */
  exit_code: number;
  seconds: number;
}

export interface SubmitResult {
  script: string | null;
  job_id: string | null;
  tasks: { index: number; run_id: string }[];
  /** Runs left out: finished, or still queued/running from an earlier submission. */
  skipped: { run_id: string; why: string }[];
  /** Where the engine ran the tasks here: each as it ended, in that order; null where they run elsewhere (Slurm). */
  ran: RanTask[] | null;
}

/** The engine that each recorded submission names, and what each says about its tasks. */
function recordViews(record: SweepRecord, open: (name: string) => Scheduler): { views: Map<string, TaskView>; engineOf: (jobId: string) => Scheduler } {
  const engines = new Map<string, Scheduler>();
  const byEngine = new Map<Scheduler, string[]>();
  for (const s of record.submissions) {
    const engine = open(s.engine);
    engines.set(s.job_id, engine);
    const ids = byEngine.get(engine) ?? [];
    if (!ids.includes(s.job_id)) byEngine.set(engine, [...ids, s.job_id]);
  }
  const views = new Map<string, TaskView>();
  for (const [engine, ids] of byEngine) for (const [k, v] of engine.status(ids)) views.set(k, v);
  return { views, engineOf: (jobId) => engines.get(jobId)! };
}

/** Engines by name for one sweep folder, each opened once; `given` (the one the command runs on) serves its own name. */
function engineOpener(sweepDir: string, given?: Scheduler): (name: string) => Scheduler {
  const open = new Map<string, Scheduler>(given ? [[given.name, given]] : []);
  return (name) => {
    if (!open.has(name)) open.set(name, openScheduler(name, { sweepDir }));
    return open.get(name)!;
  };
}

/** "3:0" → 3; killed by a signal ("0:9") → 1, as a shell's `$?` would not say 0. */
function exitStatus(text: string | undefined): number {
  const [code, signal] = (text ?? '1:0').split(':').map(Number);
  return signal ? 1 : code;
}

/** `sweep` (and `sweep --slurm [--submit]`): write and submit the pending runs on `o.scheduler`; see the module comment. */
export async function submitSweep(o: SubmitOptions): Promise<SubmitResult> {
  const { scheduler } = o;
  checkGridFileData(o.gridPath);
  if (o.grid.data && !existsSync(o.grid.data)) throw new BitscaleError('no such data file or folder', { file: o.grid.data, field: 'data' });
  const record = readSweepRecord(o.sweepDir, o.grid.name);
  // In-flight tasks of earlier submissions (asked only when submitting: writing a script needs no cluster).
  const latest = latestTasks(record);
  const views = o.submit && latest.size > 0 ? recordViews(record, engineOpener(o.sweepDir, scheduler)).views : new Map<string, TaskView>();
  const tasks: SubmitResult['tasks'] = [];
  const skipped: SubmitResult['skipped'] = [];
  o.runs.forEach((r, index) => {
    const sub = latest.get(index);
    const view = sub ? views.get(`${sub.jobId}_${index}`) : undefined;
    if (runState(o.grid.out, r.runId) === 'done') skipped.push({ run_id: r.runId, why: 'finished' });
    else if (isActive(view)) skipped.push({ run_id: r.runId, why: `${view!.state.toLowerCase()} as ${sub!.jobId}_${index}` });
    else tasks.push({ index, run_id: r.runId });
  });
  const ran = scheduler.wait ? [] : null;
  if (tasks.length === 0) return { script: null, job_id: null, tasks, skipped, ran };
  writeRunConfigs(o.sweepDir, o.runs);
  const { path, number } = writeNewScript(
    o.sweepDir,
    (n) => scheduler.renderScript({ grid: o.grid, gridPath: o.gridPath, runs: o.runs, indices: tasks.map((t) => t.index), sweepDir: o.sweepDir, number: n, backend: o.backend, options: o.options }),
    scheduler.scriptExtension,
  );
  if (!o.submit) return { script: path, job_id: null, tasks, skipped, ran };
  const jobId = scheduler.submit(path);
  const submission: Submission = { number, engine: scheduler.name, job_id: jobId, script: resolve(path), tasks, submitted_at: new Date().toISOString() };
  appendSubmission(o.sweepDir, record, submission);
  if (!scheduler.wait) return { script: path, job_id: jobId, tasks, skipped, ran };
  const order = await scheduler.wait(jobId);
  const ended = scheduler.status([jobId]);
  const ranTasks = order.map((index) => {
    const v = ended.get(`${jobId}_${index}`);
    return { run_id: o.runs[index].runId, exit_code: exitStatus(v?.exitCode), seconds: v?.seconds ?? 0 };
  });
  return { script: path, job_id: jobId, tasks, skipped, ran: ranTasks };
}

/** A row of `sweep --dry-run`: each grid run, its size and training FLOPs, and whether its log is done, partial or new. */
export interface PlannedRun {
  run_id: string;
  params: number;
  steps: number;
  flops: number;
  state: RunState;
}

/** `sweep --dry-run`: every grid run and its state, nothing written. */
export function listSweep({ grid, gridPath, runs }: SweepSpec): PlannedRun[] {
  checkGridFileData(gridPath);
  return runs.map((r) => ({ run_id: r.runId, params: countParams(r.config.model), steps: r.config.steps, flops: r.flops, state: runState(grid.out, r.runId) }));
}

/** `sweep --status`: one row per grid run, each submission asked of the engine it names. */
export function statusOfSweep(grid: SweepGrid, runs: SweepRun[], sweepDir: string, scheduler?: Scheduler): StatusRow[] {
  const record = readSweepRecord(sweepDir, grid.name);
  const { views, engineOf } = recordViews(record, engineOpener(sweepDir, scheduler));
  return sweepStatus(grid, runs, record, views, { taskOutput: (dir, jobId, index) => engineOf(jobId).taskOutput(dir, jobId, index) }, sweepDir);
}

/** `sweep --cancel`: cancel the sweep's queued and running tasks, each with the engine that runs it; returns their ids. */
export function cancelSweep(grid: SweepGrid, sweepDir: string, scheduler?: Scheduler): string[] {
  const record = readSweepRecord(sweepDir, grid.name);
  const latest = latestTasks(record);
  const { views, engineOf } = recordViews(record, engineOpener(sweepDir, scheduler));
  const ids = [...latest.entries()].map(([i, t]) => ({ id: `${t.jobId}_${i}`, jobId: t.jobId })).filter((t) => isActive(views.get(t.id)));
  const byEngine = new Map<Scheduler, string[]>();
  for (const t of ids) byEngine.set(engineOf(t.jobId), [...(byEngine.get(engineOf(t.jobId)) ?? []), t.id]);
  for (const [engine, list] of byEngine) engine.cancel(list);
  return ids.map((t) => t.id);
}
