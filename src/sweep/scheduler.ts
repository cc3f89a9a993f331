/**
 * What every sweep engine offers — the local process pool (src/sweep/local.ts), Slurm
 * (src/sweep/slurm.ts), a next one — and what the sweep does with any of them (src/sweep/submit.ts):
 * write one submission file for the pending runs of a grid, submit it, report the state of what it
 * submitted, cancel it, and say where each task's output is. The sweep keeps its own record of
 * each submission in its folder (`submissions.json`), because a scheduler forgets: a pending task
 * cancelled in Slurm leaves no trace there, and finished jobs age out.
 *
 * A sweep's folder (default `sweeps/<grid name>/`) holds `configs/<run id>.json` (each run's full
 * config), the submission files, `logs/` (the tasks' output) and `checkpoints/`; the run logs go
 * to the grid's `out` folder.
 */
import { existsSync, linkSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { readRunLog } from '../runs/log.js';
import { writeFileAtomic } from '../util/atomic.js';
import { BitscaleError } from '../util/errors.js';
import { snakeCase } from '../util/json.js';
import type { SweepGrid, SweepRun } from '../train/sweep.js';

/** What a scheduler says about one submitted task. */
export interface TaskView {
  /** The scheduler's state word, e.g. PENDING, RUNNING, COMPLETED, FAILED, CANCELLED, TIMEOUT (Slurm's words; the local pool uses the same). */
  state: string;
  reason?: string;
  /** "exit:signal", e.g. "3:0". */
  exitCode?: string;
  /** Seconds the task ran, where the engine knows (the local pool). */
  seconds?: number;
}

export interface SubmittedTask {
  index: number;
  run_id: string;
}

/** One submission, as the sweep records it (snake_case: it is a file users read). */
export interface Submission {
  number: number;
  engine: string;
  job_id: string;
  script: string;
  tasks: SubmittedTask[];
  submitted_at: string;
}

export interface SweepRecord {
  grid: string;
  submissions: Submission[];
}

/** Resources and policy of a job array (for Slurm each maps to one `#SBATCH` line). */
export interface JobOptions {
  partition?: string;
  account?: string;
  qos?: string;
  /** Slurm time format: minutes, MM:SS, HH:MM:SS, D-HH, D-HH:MM, D-HH:MM:SS. */
  time?: string;
  gpusPerTask?: number;
  gres?: string;
  cpusPerTask?: number;
  mem?: string;
  /** At most this many tasks at once (`--array=…%P`). */
  maxParallel?: number;
  /** Seconds before the time limit at which Slurm sends SIGUSR1 (the trainer checkpoints). */
  signalSeconds: number;
  /** Anything else, passed through as `#SBATCH <text>`, e.g. "--constraint=a100". */
  extra: string[];
  /** Data-parallel workers per run: the local pool's --threads (default: the cores shared among the runs at once). */
  threads?: number;
}


/** What a script for one submission is made from. */
export interface ScriptInput {
  grid: SweepGrid;
  gridPath: string;
  runs: SweepRun[];
  /** Grid indices this submission runs. */
  indices: number[];
  sweepDir: string;
  number: number;
  backend: string;
  options: JobOptions;
}

export interface Scheduler {
  readonly name: string;
  /** The extension of its submission files, `submit-001.<ext>`. */
  readonly scriptExtension: string;
  /** The text of one submission's file (written by the sweep, never overwritten): Slurm's sbatch script, the local pool's task list. */
  renderScript(input: ScriptInput): string;
  /** Start a written submission; returns its job id. */
  submit(script: string): string;
  /**
   * Where the tasks run in this process (the local pool): resolves once they have all ended, with
   * their indices in the order they ended. Absent where they outlive the command (Slurm).
   */
  wait?(jobId: string): Promise<number[]>;
  /** The scheduler's view of the tasks of these jobs, keyed by `${jobId}_${index}`; unknown tasks are absent. */
  status(jobIds: string[]): Map<string, TaskView>;
  /** Cancel these tasks (`${jobId}_${index}`): queued ones never start, running ones get SIGTERM (they checkpoint and stop). */
  cancel(ids: string[]): void;
  /** Where task `index` of job `jobId` writes its output. */
  taskOutput(sweepDir: string, jobId: string, index: number): string;
}

/** Where a task writes its output, for every engine: `logs/<job>_<task>.out` in the sweep folder. */
export function taskOutputPath(sweepDir: string, jobId: string, index: number): string {
  return join(sweepDir, 'logs', `${jobId}_${index}.out`);
}

export function defaultSweepDir(grid: SweepGrid): string {
  return join('sweeps', grid.name);
}

export function recordPath(sweepDir: string): string {
  return join(sweepDir, 'submissions.json');
}

export function readSweepRecord(sweepDir: string, grid: string): SweepRecord {
  const path = recordPath(sweepDir);
  if (!existsSync(path)) return { grid, submissions: [] };
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as SweepRecord;
  } catch (err) {
    throw new BitscaleError(`cannot read the sweep's record (${(err as Error).message})`, { file: path });
  }
}

export function appendSubmission(sweepDir: string, record: SweepRecord, s: Submission): SweepRecord {
  const next = { ...record, submissions: [...record.submissions, s] };
  writeFileAtomic(recordPath(sweepDir), `${JSON.stringify(next, null, 2)}\n`);
  return next;
}

export type RunRowState = 'done' | 'running' | 'queued' | 'failed' | 'cancelled' | 'not submitted';

export interface StatusRow {
  index: number;
  run_id: string;
  state: RunRowState;
  /** `${job}_${index}` of the latest submission that holds the run. */
  job_id: string | null;
  scheduler_state: string | null;
  reason: string | null;
  exit_code: string | null;
  /** Steps in the run log (the last step record), of `steps` planned. */
  step: number;
  steps: number;
  /** The last val_bpc in the log (the final one when done). */
  val_bpc: number | null;
  /** failed: the last error line of the task's output. */
  error: string | null;
  /** The task's output file. */
  output: string | null;
}

/** Scheduler states of a task that is still in the queue or running. */
const QUEUED = new Set(['PENDING', 'REQUEUED', 'REQUEUE_HOLD', 'REQUEUE_FED', 'CONFIGURING', 'RESV_DEL_HOLD', 'SUSPENDED', 'STOPPED', 'RESIZING', 'SIGNALING', 'STAGE_OUT']);
const RUNNING = new Set(['RUNNING', 'COMPLETING']);

export function isActive(view: TaskView | undefined): boolean {
  return view !== undefined && (QUEUED.has(view.state) || RUNNING.has(view.state));
}

/**
 * The last error line of a task's output: the last line that reads as an error (bitscale's
 * one-line `bitscale: …`, or a line with "error"), else the last non-empty line.
 */
export function lastErrorLine(path: string | null): string | null {
  if (!path || !existsSync(path)) return null;
  const lines = readFileSync(path, 'utf8').split('\n').map((l) => l.trim()).filter((l) => l !== '');
  const isError = (l: string) => /^bitscale: |error|exception|killed|cancelled/i.test(l) && !/^\[\d{4}-/.test(l);
  for (let i = lines.length - 1; i >= 0; i--) if (isError(lines[i])) return lines[i];
  return lines.length > 0 ? lines[lines.length - 1] : null;
}

/** The latest submission of each grid index. */
export function latestTasks(record: SweepRecord): Map<number, { jobId: string; submission: Submission }> {
  const out = new Map<number, { jobId: string; submission: Submission }>();
  for (const s of record.submissions) for (const t of s.tasks) out.set(t.index, { jobId: s.job_id, submission: s });
  return out;
}

/** Progress from a run log: the last step, the last val_bpc, whether it ends in a completed summary. */
function logProgress(outDir: string, runId: string): { exists: boolean; step: number; valBpc: number | null; summary: string | null; message: string | null } {
  const path = join(outDir, `${runId}.jsonl`);
  if (!existsSync(path)) return { exists: false, step: 0, valBpc: null, summary: null, message: null };
  try {
    const log = readRunLog(path);
    const step = log.summary?.steps ?? log.steps.at(-1)?.step ?? 0;
    const valBpc = log.summary?.final_val_bpc ?? log.evals.at(-1)?.val_bpc ?? null;
    return { exists: true, step, valBpc, summary: log.summary?.status ?? null, message: log.summary?.message ?? null };
  } catch {
    return { exists: true, step: 0, valBpc: null, summary: null, message: null };
  }
}

/**
 * One row per grid run, from its run log and the scheduler's view of the task the sweep last
 * submitted for it. A completed log is done whatever the scheduler says; a submitted task the
 * scheduler no longer knows was cancelled while pending when it left no output, and failed
 * (state unknown) when it did.
 */
export function sweepStatus(grid: SweepGrid, runs: SweepRun[], record: SweepRecord, views: Map<string, TaskView>, scheduler: Pick<Scheduler, 'taskOutput'>, sweepDir: string): StatusRow[] {
  const latest = latestTasks(record);
  return runs.map((r, index) => {
    const p = logProgress(grid.out, r.runId);
    const sub = latest.get(index);
    const jobId = sub ? `${sub.jobId}_${index}` : null;
    const view = jobId ? views.get(jobId) : undefined;
    const output = sub ? resolve(scheduler.taskOutput(sweepDir, sub.jobId, index)) : null;
    const row: StatusRow = {
      index, run_id: r.runId, state: 'not submitted', job_id: jobId, scheduler_state: view?.state ?? null, reason: view?.reason ?? null,
      exit_code: view?.exitCode ?? null, step: p.step, steps: r.config.steps, val_bpc: p.valBpc, error: null, output: output && existsSync(output) ? output : null,
    };
    if (p.summary === 'completed') return { ...row, state: 'done' };
    if (p.summary === 'diverged') return { ...row, state: 'failed', error: p.message ?? 'diverged' };
    if (!sub) return row;
    if (view && QUEUED.has(view.state)) return { ...row, state: 'queued' };
    if (view && RUNNING.has(view.state)) return { ...row, state: 'running' };
    if (view?.state === 'CANCELLED') return { ...row, state: 'cancelled' };
    if (view) return { ...row, state: 'failed', error: lastErrorLine(row.output) };
    // The scheduler has no record of the task.
    if (!row.output) return { ...row, state: 'cancelled', reason: 'no trace in the scheduler and no output: cancelled before it started' };
    return { ...row, state: 'failed', reason: 'no record in the scheduler any more', error: lastErrorLine(row.output) };
  });
}

/**
 * Write `submit-NNN.<extension>` under a number no earlier submission file has (of any engine):
 * the text goes to a temporary file first and is hard-linked into place, which fails rather than
 * replace an existing file.
 */
export function writeNewScript(sweepDir: string, render: (number: number) => string, extension = 'sbatch'): { path: string; number: number } {
  mkdirSync(sweepDir, { recursive: true });
  for (let number = 1; number < 100000; number++) {
    const name = `submit-${String(number).padStart(3, '0')}`;
    if (readdirSync(sweepDir).some((f) => f.startsWith(`${name}.`))) continue;
    const path = join(sweepDir, `${name}.${extension}`);
    const tmp = join(sweepDir, `.submit-${process.pid}.tmp`);
    writeFileSync(tmp, render(number), { mode: 0o755 });
    try {
      linkSync(tmp, path);
      return { path, number };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    } finally {
      rmSync(tmp, { force: true });
    }
  }
  throw new BitscaleError('no free script number', { file: sweepDir });
}

/**
 * A run's full config as a file users read: snake_case keys as the CLI's JSON spells them
 * (batch_size, eval_windows; the model's d_ff and seq_len), which `train --config` reads back.
 */
export function trainConfigJson(config: SweepRun['config']): Record<string, unknown> {
  const { model, ...rest } = config;
  return {
    ...Object.fromEntries(Object.entries(rest).map(([k, v]) => [snakeCase(k), v])),
    model: { d: model.d, layers: model.layers, heads: model.heads, d_ff: model.dFf, seq_len: model.seqLen, vocab: model.vocab },
  };
}

/** Write every run's full config where the tasks read it (same content each time: atomic rewrite), and the folders the tasks write to. */
export function writeRunConfigs(sweepDir: string, runs: SweepRun[]): void {
  // Slurm does not create the folder of --output: a task whose output cannot be opened fails to launch.
  for (const sub of ['logs', 'checkpoints']) mkdirSync(join(sweepDir, sub), { recursive: true });
  for (const r of runs) writeFileAtomic(join(sweepDir, 'configs', `${r.runId}.json`), `${JSON.stringify(trainConfigJson(r.config), null, 2)}\n`);
}
