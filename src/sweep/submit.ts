/**
 * `sweep --slurm`: check every grid entry, pick the runs that still need running, write their
 * configs and one job-array script, and (with `submit`) hand it to the scheduler and record the
 * job id. Nothing is submitted when any entry is invalid; runs that are finished, or queued or
 * running from an earlier submission, are left out, so a resubmission only fills the gaps.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { BitscaleError } from '../util/errors.js';
import { runState, type SweepGrid, type SweepRun } from '../train/sweep.js';
import { appendSubmission, isActive, latestTasks, readSweepRecord, sweepStatus, type JobOptions, type Scheduler, type StatusRow, type Submission } from './scheduler.js';
import { slurm, writeNewScript, writeRunConfigs } from './slurm.js';

export interface SubmitOptions {
  grid: SweepGrid;
  gridPath: string;
  runs: SweepRun[];
  sweepDir: string;
  backend: string;
  options: JobOptions;
  /** Run sbatch (otherwise only write the script). */
  submit: boolean;
  scheduler?: Scheduler;
}

export interface SubmitResult {
  script: string | null;
  job_id: string | null;
  tasks: { index: number; run_id: string }[];
  /** Runs left out: finished, or still queued/running from an earlier submission. */
  skipped: { run_id: string; why: string }[];
}

export function submitSweep(o: SubmitOptions): SubmitResult {
  const scheduler = o.scheduler ?? slurm;
  if (o.grid.data && !existsSync(o.grid.data)) throw new BitscaleError('no such data file or folder', { file: o.grid.data, field: 'data' });
  const record = readSweepRecord(o.sweepDir, o.grid.name);
  // In-flight tasks of earlier submissions (asked only when submitting: writing a script needs no cluster).
  const latest = latestTasks(record);
  const views = o.submit && latest.size > 0 ? scheduler.status([...new Set([...latest.values()].map((t) => t.jobId))]) : new Map();
  const tasks: SubmitResult['tasks'] = [];
  const skipped: SubmitResult['skipped'] = [];
  o.runs.forEach((r, index) => {
    const sub = latest.get(index);
    const view = sub ? views.get(`${sub.jobId}_${index}`) : undefined;
    if (runState(o.grid.out, r.runId) === 'done') skipped.push({ run_id: r.runId, why: 'finished' });
    else if (isActive(view)) skipped.push({ run_id: r.runId, why: `${view!.state.toLowerCase()} as ${sub!.jobId}_${index}` });
    else tasks.push({ index, run_id: r.runId });
  });
  if (tasks.length === 0) return { script: null, job_id: null, tasks, skipped };
  writeRunConfigs(o.sweepDir, o.runs);
  const { path, number } = writeNewScript(o.sweepDir, (n) =>
    scheduler.renderScript({ grid: o.grid, gridPath: o.gridPath, runs: o.runs, indices: tasks.map((t) => t.index), sweepDir: o.sweepDir, number: n, backend: o.backend, options: o.options }),
  );
  if (!o.submit) return { script: path, job_id: null, tasks, skipped };
  const jobId = scheduler.submit(path);
  const submission: Submission = { number, engine: scheduler.name, job_id: jobId, script: resolve(path), tasks, submitted_at: new Date().toISOString() };
  appendSubmission(o.sweepDir, record, submission);
  return { script: path, job_id: jobId, tasks, skipped };
}

/** `sweep --status`: one row per grid run. */
export function statusOfSweep(grid: SweepGrid, runs: SweepRun[], sweepDir: string, scheduler: Scheduler = slurm): StatusRow[] {
  const record = readSweepRecord(sweepDir, grid.name);
  const jobIds = [...new Set(record.submissions.map((s) => s.job_id))];
  const views = scheduler.status(jobIds);
  return sweepStatus(grid, runs, record, views, scheduler, sweepDir);
}

/** `sweep --cancel`: cancel the sweep's queued and running tasks; returns their ids. */
export function cancelSweep(grid: SweepGrid, sweepDir: string, scheduler: Scheduler = slurm): string[] {
  const record = readSweepRecord(sweepDir, grid.name);
  const latest = latestTasks(record);
  const views = scheduler.status([...new Set([...latest.values()].map((t) => t.jobId))]);
  const ids = [...latest.entries()].map(([i, t]) => `${t.jobId}_${i}`).filter((id) => isActive(views.get(id)));
  scheduler.cancel(ids);
  return ids;
}
