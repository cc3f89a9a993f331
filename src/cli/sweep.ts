/**
 * `bitscale sweep`: a grid of `train` runs on a sweep engine — the local process pool (default)
 * or Slurm (`--engine slurm`, or `--slurm`) — plus `--dry-run`, `--status` and `--cancel`. Option
 * parsing and printing only; the sweep is src/sweep/submit.ts, the engines src/sweep/engines.ts.
 */
import type { Command } from 'commander';
import { BitscaleError } from '../util/errors.js';
import { formatCount, formatLoss, formatTable } from '../util/format.js';
import { NON_NEGATIVE_INT, POSITIVE_INT, numberOption } from '../util/numbers.js';
import { emit, warn } from './output.js';
import type { JobOptions, StatusRow } from '../sweep/scheduler.js';
import type { SubmitResult } from '../sweep/submit.js';

/** The options as commander hands them over; the job options' names match JobOptions. */
interface SweepCliOptions extends Omit<JobOptions, 'signalSeconds' | 'extra'> {
  grid: string;
  engine?: string;
  jobs: number;
  backend: string;
  dryRun?: boolean;
  json?: boolean;
  slurm?: boolean;
  submit?: boolean;
  status?: boolean;
  cancel?: boolean;
  sweepDir?: string;
  signalBefore: number;
  sbatch: string[];
}

/** The engine asked for: --engine, or slurm for --slurm / --submit, else the local pool. */
function engineName(opts: SweepCliOptions): string {
  const slurm = Boolean(opts.slurm || opts.submit);
  if (opts.engine && slurm && opts.engine !== 'slurm') throw new BitscaleError(`--${opts.slurm ? 'slurm' : 'submit'} runs on Slurm: give it or --engine ${opts.engine}, not both`, { field: 'engine' });
  return opts.engine ?? (slurm ? 'slurm' : 'local');
}

async function runSweepCommand(opts: SweepCliOptions): Promise<void> {
  const { openSweep, listSweep, statusOfSweep, cancelSweep, submitSweep } = await import('../sweep/submit.js');
  const { openScheduler } = await import('../sweep/engines.js');
  const engine = engineName(opts);
  const sweep = openSweep(opts.grid, opts.sweepDir);
  if (opts.dryRun) {
    const rows = listSweep(sweep);
    emit(opts, rows, () => formatTable(['run', 'params', 'steps', 'train FLOPs', 'state'], rows.map((r) => [r.run_id, formatCount(r.params), r.steps, r.flops.toExponential(2), r.state])));
    return;
  }
  if (opts.status) {
    const rows = statusOfSweep(sweep.grid, sweep.runs, sweep.sweepDir);
    emit(opts, rows, () => formatTable(['run', 'state', 'job', 'detail'], rows.map((r) => [r.run_id, r.state, r.job_id ?? '—', statusDetail(r)])));
    return;
  }
  if (opts.cancel) {
    const ids = cancelSweep(sweep.grid, sweep.sweepDir);
    emit(opts, { cancelled: ids }, () => (ids.length ? `cancelled ${ids.length} tasks: ${ids.join(' ')}` : 'nothing queued or running to cancel'));
    return;
  }
  const log = (msg: string) => process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
  const result = await submitSweep({
    ...sweep,
    backend: opts.backend,
    // The local pool runs what it is given; Slurm's script is only written unless --submit.
    submit: engine === 'local' || Boolean(opts.submit),
    scheduler: openScheduler(engine, { sweepDir: sweep.sweepDir, onEvent: log, onWarning: warn }),
    options: {
      partition: opts.partition, account: opts.account, qos: opts.qos, time: opts.time, gpusPerTask: opts.gpusPerTask, gres: opts.gres, cpusPerTask: opts.cpusPerTask,
      mem: opts.mem, maxParallel: opts.maxParallel ?? (engine === 'local' ? opts.jobs : undefined), signalSeconds: opts.signalBefore, extra: opts.sbatch, threads: opts.threads,
    },
  });
  if (result.ran) printRan(opts, result.ran, result.skipped);
  else printSubmitted(opts, result, sweep.runs.length);
}

/** What the local pool ran here: one line, or the tasks with their exit codes as JSON; exit 1 when one failed (2, diverged, is a result). */
function printRan(opts: SweepCliOptions, ran: NonNullable<SubmitResult['ran']>, skipped: SubmitResult['skipped']): void {
  const failed = ran.filter((r) => r.exit_code !== 0 && r.exit_code !== 2);
  const finished = skipped.filter((s) => s.why === 'finished').length;
  const elsewhere = skipped.length - finished;
  emit(opts, { ran, skipped: skipped.map((s) => s.run_id) }, () => `ran ${ran.length} (${failed.length} failed), skipped ${skipped.length} ${elsewhere ? `(${finished} completed, ${elsewhere} queued or running elsewhere)` : 'completed'}`);
  if (failed.length > 0) process.exitCode = 1;
}

/** A written (and perhaps submitted) Slurm script: its path, the job id, what was left out. */
function printSubmitted(opts: SweepCliOptions, result: SubmitResult, runCount: number): void {
  const { ran: _ran, ...json } = result;
  emit(opts, json, () => {
    if (!result.script) return `nothing to submit: all ${runCount} runs are finished or in the queue`;
    const lines = [result.script];
    if (result.job_id) lines.push(`submitted array job ${result.job_id}: ${result.tasks.length} tasks (${result.tasks.map((t) => t.index).join(',')})`);
    else lines.push(`${result.tasks.length} tasks; submit with: sbatch ${result.script}  (or add --submit to record the job for --status)`);
    if (result.skipped.length) lines.push(`left out ${result.skipped.length}: ${result.skipped.map((s) => `${s.run_id} (${s.why})`).join(', ')}`);
    return lines.join('\n');
  });
}

function statusDetail(r: StatusRow): string {
  const val = r.val_bpc === null ? '' : ` val_bpc ${formatLoss(r.val_bpc, 4)}`;
  switch (r.state) {
    case 'done': return `final${val}`;
    case 'running': return `step ${r.step} of ${r.steps}${val}`;
    case 'queued': return `${r.scheduler_state}${r.reason ? ` (${r.reason})` : ''}${r.step > 0 ? `, resumes at step ${r.step} of ${r.steps}` : ''}`;
    case 'failed': return `${r.scheduler_state ?? 'unknown'}${r.exit_code ? ` exit ${r.exit_code}` : ''}${r.reason ? ` (${r.reason})` : ''}: ${r.error ?? 'no output'}${r.output ? ` — ${r.output}` : ''}`;
    case 'cancelled': return r.step > 0 ? `at step ${r.step} of ${r.steps}` : (r.reason ?? 'before it started');
    default: return r.step > 0 ? `log at step ${r.step} of ${r.steps}` : '';
  }
}

export function register(program: Command): void {
  program
    .command('sweep')
    .description('run a grid of configs × step budgets as independent train runs, skipping completed ones: a process pool here, or a Slurm job array')
    .requiredOption('--grid <file>', 'grid JSON (see src/train/sweep.ts)')
    .option('--engine <name>', 'local (a process pool on this machine; the default) or slurm (a job array; same as --slurm)')
    .option('--jobs <n>', 'local: runs at a time, 1 to 1024', numberOption('jobs', { integer: true, min: 1, max: 1024 }), 1)
    .option('--threads <n>', 'local: data-parallel workers per run (default: the cores divided among the jobs)', numberOption('threads', POSITIVE_INT))
    .option('--backend <name>', 'backend for every run', 'auto')
    .option('--dry-run', 'list the runs and their state without training')
    .option('--json', 'print the result as JSON')
    .option('--slurm', 'write a Slurm job-array script for the pending runs into the sweep folder and print its path')
    .option('--submit', 'with --slurm: submit it with sbatch and print the array job id')
    .option('--status', 'one row per run: done, running, queued, failed, cancelled or not submitted (local and Slurm submissions alike)')
    .option('--cancel', "cancel the sweep's queued and running tasks (a local pool in another shell, or Slurm's)")
    .option('--sweep-dir <dir>', 'the sweep folder: configs, submissions, task output, checkpoints (default sweeps/<grid name>)')
    .option('--partition <name>', '#SBATCH --partition')
    .option('--account <name>', '#SBATCH --account')
    .option('--qos <name>', '#SBATCH --qos')
    .option('--time <limit>', '#SBATCH --time per task (minutes, HH:MM:SS, D-HH:MM:SS)')
    .option('--gpus-per-task <n>', '#SBATCH --gpus-per-task (tasks then use --backend gpu)', numberOption('--gpus-per-task', NON_NEGATIVE_INT))
    .option('--gres <spec>', '#SBATCH --gres, e.g. gpu:a100:1')
    .option('--cpus-per-task <n>', '#SBATCH --cpus-per-task', numberOption('--cpus-per-task', POSITIVE_INT))
    .option('--mem <size>', '#SBATCH --mem per task, e.g. 16G')
    .option('--max-parallel <n>', 'at most n tasks at once (--array=…%n; local: as --jobs)', numberOption('--max-parallel', POSITIVE_INT))
    .option('--signal-before <s>', 'seconds before --time at which tasks checkpoint and requeue', numberOption('--signal-before', POSITIVE_INT), 120)
    .option('--sbatch <option>', 'any other sbatch option, e.g. --sbatch=--constraint=a100 (repeatable)', (v: string, prev: string[]) => [...prev, v], [] as string[])
    .action(async (opts: SweepCliOptions) => runSweepCommand(opts));
}
