/**
 * `bitscale sweep --slurm | --status | --cancel`: the cluster side of `sweep` (src/sweep/). Only
 * argument parsing and output here; the core is submitSweep / statusOfSweep / cancelSweep.
 */
import type { Command } from 'commander';
import { formatTable } from '../util/format.js';
import { NON_NEGATIVE_INT, POSITIVE_INT, numberOption } from '../util/numbers.js';
import { emit } from './output.js';
import type { JobOptions } from '../sweep/scheduler.js';

/** The job options as flags (their names match JobOptions), plus the sweep's own. */
export interface ClusterCliOptions extends Omit<JobOptions, 'signalSeconds' | 'extra'> {
  grid: string;
  backend: string;
  json?: boolean;
  slurm?: boolean;
  submit?: boolean;
  status?: boolean;
  cancel?: boolean;
  sweepDir?: string;
  signalBefore: number;
  sbatch: string[];
}

export function wantsCluster(opts: Partial<ClusterCliOptions>): boolean {
  return Boolean(opts.slurm || opts.submit || opts.status || opts.cancel);
}

export function addClusterOptions(cmd: Command): Command {
  return cmd
    .option('--slurm', 'write a Slurm job-array script for the pending runs into the sweep folder and print its path')
    .option('--submit', 'with --slurm: submit it with sbatch and print the array job id')
    .option('--status', 'one row per run: done, running, queued, failed, cancelled or not submitted')
    .option('--cancel', 'cancel the sweep\'s queued and running Slurm tasks')
    .option('--sweep-dir <dir>', 'the sweep folder: configs, scripts, task output, checkpoints (default sweeps/<grid name>)')
    .option('--partition <name>', '#SBATCH --partition')
    .option('--account <name>', '#SBATCH --account')
    .option('--qos <name>', '#SBATCH --qos')
    .option('--time <limit>', '#SBATCH --time per task (minutes, HH:MM:SS, D-HH:MM:SS)')
    .option('--gpus-per-task <n>', '#SBATCH --gpus-per-task (tasks then use --backend gpu)', numberOption('--gpus-per-task', NON_NEGATIVE_INT))
    .option('--gres <spec>', '#SBATCH --gres, e.g. gpu:a100:1')
    .option('--cpus-per-task <n>', '#SBATCH --cpus-per-task', numberOption('--cpus-per-task', POSITIVE_INT))
    .option('--mem <size>', '#SBATCH --mem per task, e.g. 16G')
    .option('--max-parallel <n>', 'at most n tasks at once (--array=…%n)', numberOption('--max-parallel', POSITIVE_INT))
    .option('--signal-before <s>', 'seconds before --time at which tasks checkpoint and requeue', numberOption('--signal-before', POSITIVE_INT), 120)
    .option('--sbatch <option>', 'any other sbatch option, e.g. --sbatch=--constraint=a100 (repeatable)', (v: string, prev: string[]) => [...prev, v], [] as string[]);
}

export async function runClusterSweep(opts: ClusterCliOptions): Promise<void> {
  const { readGrid, expandGrid } = await import('../train/sweep.js');
  const { submitSweep, statusOfSweep, cancelSweep } = await import('../sweep/submit.js');
  const { defaultSweepDir } = await import('../sweep/scheduler.js');
  const grid = readGrid(opts.grid);
  // Every entry is validated here, before anything is written or submitted.
  const runs = expandGrid(grid, opts.grid);
  const sweepDir = opts.sweepDir ?? defaultSweepDir(grid);

  if (opts.status) {
    const rows = statusOfSweep(grid, runs, sweepDir);
    emit(opts, rows, () => formatTable(['run', 'state', 'job', 'detail'], rows.map((r) => [r.run_id, r.state, r.job_id ?? '—', statusDetail(r)])));
    return;
  }
  if (opts.cancel) {
    const ids = cancelSweep(grid, sweepDir);
    emit(opts, { cancelled: ids }, () => (ids.length ? `cancelled ${ids.length} tasks: ${ids.join(' ')}` : 'nothing queued or running to cancel'));
    return;
  }
  (await import('../sweep/grid-data.js')).checkGridFileData(opts.grid);
  const result = submitSweep({
    grid, gridPath: opts.grid, runs, sweepDir, backend: opts.backend, submit: Boolean(opts.submit),
    options: {
      partition: opts.partition, account: opts.account, qos: opts.qos, time: opts.time, gpusPerTask: opts.gpusPerTask, gres: opts.gres,
      cpusPerTask: opts.cpusPerTask, mem: opts.mem, maxParallel: opts.maxParallel, signalSeconds: opts.signalBefore, extra: opts.sbatch,
    },
  });
  emit(opts, result, () => {
    if (!result.script) return `nothing to submit: all ${runs.length} runs are finished or in the queue`;
    const lines = [result.script];
    if (result.job_id) lines.push(`submitted array job ${result.job_id}: ${result.tasks.length} tasks (${result.tasks.map((t) => t.index).join(',')})`);
    else lines.push(`${result.tasks.length} tasks; submit with: sbatch ${result.script}  (or add --submit to record the job for --status)`);
    if (result.skipped.length) lines.push(`left out ${result.skipped.length}: ${result.skipped.map((s) => `${s.run_id} (${s.why})`).join(', ')}`);
    return lines.join('\n');
  });
}

function statusDetail(r: import('../sweep/scheduler.js').StatusRow): string {
  const val = r.val_bpc === null ? '' : ` val_bpc ${r.val_bpc.toFixed(4)}`;
  switch (r.state) {
    case 'done': return `final${val}`;
    case 'running': return `step ${r.step} of ${r.steps}${val}`;
    case 'queued': return `${r.scheduler_state}${r.reason ? ` (${r.reason})` : ''}${r.step > 0 ? `, resumes at step ${r.step} of ${r.steps}` : ''}`;
    case 'failed': return `${r.scheduler_state ?? 'unknown'}${r.exit_code ? ` exit ${r.exit_code}` : ''}${r.reason ? ` (${r.reason})` : ''}: ${r.error ?? 'no output'}${r.output ? ` — ${r.output}` : ''}`;
    case 'cancelled': return r.step > 0 ? `at step ${r.step} of ${r.steps}` : (r.reason ?? 'before it started');
    default: return r.step > 0 ? `log at step ${r.step} of ${r.steps}` : '';
  }
}
