/**
 * The local engine: a grid's pending runs as `bitscale train` processes on this machine, at most
 * `maxParallel` (`sweep --jobs`) at once, largest first (longest-processing-time order), each with
 * `threads` data-parallel workers (default: the cores shared among the runs at once, so that
 * jobs × threads ≤ cores). A submission is a task list (`submit-NNN.json`: every task's command
 * line) that the pool runs inside the sweep's own process; the pool writes each task's state to
 * `local-N.state.json` beside it, so that `sweep --status` and `--cancel` from another shell see it.
 * Every task runs `train --resume-existing`, as a Slurm task does: a finished run does nothing, an
 * interrupted one resumes from its checkpoint. Each of the `jobs` slots runs its tasks one after
 * another in one long-lived `bitscale` process (src/sweep/task-runner.ts), so that small runs share
 * its start-up instead of paying it per run; a runner that dies is replaced for the next task.
 */
import type { ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { availableParallelism, constants, hostname } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { countParams } from '../arch/bitlm.js';
import { runState } from '../train/sweep.js';
import { checkThreads, defaultThreads } from '../train/workers.js';
import { writeFileAtomic } from '../util/atomic.js';
import { BitscaleError } from '../util/errors.js';
import { formatCount } from '../util/format.js';
import { currentOwner, staleReason, type LockOwner } from '../util/owner.js';
import { taskOutputPath, type Scheduler, type ScriptInput, type TaskView } from './scheduler.js';
import { TaskRunner } from './task-runner.js';

/** One task of a submission: grid run `index` and the `bitscale` arguments that train it. */
interface LocalTask {
  index: number;
  run_id: string;
  params: number;
  steps: number;
  flops: number;
  argv: string[];
}

/** A local submission file (snake_case: a file users read). */
interface TaskList {
  engine: 'local';
  grid: string;
  submission: number;
  /** Runs at a time. */
  jobs: number;
  /** The grid's run count and its run-log folder (for the pool's first line and the resume check). */
  run_count: number;
  out: string;
  /** Largest first. */
  tasks: LocalTask[];
}

type LocalState = 'PENDING' | 'RUNNING' | 'COMPLETED' | 'FAILED' | 'CANCELLED';

interface TaskState {
  run_id: string;
  state: LocalState;
  reason?: string;
  exit_code?: string;
  seconds?: number;
}

/** What the pool writes on every change: its owner (so another process can tell whether it still runs) and each task's state. */
interface PoolState {
  job_id: string;
  owner: LockOwner;
  ended: boolean;
  tasks: Record<string, TaskState>;
}

const JOB_ID = /^local-(\d+)$/;

export interface LocalPoolOptions {
  /** The sweep's folder: where the pools' state files are. */
  sweepDir: string;
  /** One line per task started and ended, and the pool's first line. */
  onEvent?: (message: string) => void;
  onWarning?: (message: string) => void;
}

/** The exit status as "exit:signal" (Slurm's form): 3 → "3:0", killed by SIGKILL → "0:9". */
function exitText(code: number | null, signal: NodeJS.Signals | null): string {
  return code !== null ? `${code}:0` : `0:${signal ? constants.signals[signal] : 0}`;
}

/** A pool running one submission in this process. */
class Pool {
  readonly state: PoolState;
  readonly ended: number[] = [];
  private readonly children = new Map<number, ChildProcess>();
  private readonly cancelled = new Set<number>();
  readonly done: Promise<number[]>;

  constructor(
    readonly list: TaskList,
    readonly jobId: string,
    private readonly statePath: string,
    private readonly sweepDir: string,
    private readonly onEvent: (message: string) => void,
  ) {
    this.state = { job_id: jobId, owner: currentOwner(), ended: false, tasks: Object.fromEntries(list.tasks.map((t) => [t.index, { run_id: t.run_id, state: 'PENDING' as LocalState }])) };
    this.save();
    this.done = this.run();
  }

  private save(): void {
    writeFileAtomic(this.statePath, `${JSON.stringify(this.state, null, 2)}\n`);
  }

  private set(index: number, s: TaskState): void {
    this.state.tasks[index] = s;
    this.save();
  }

  /** Cancel these tasks: a queued one never starts, a running one gets SIGTERM (it checkpoints and exits 75). */
  cancel(indices: readonly number[]): void {
    for (const i of indices) {
      this.cancelled.add(i);
      this.children.get(i)?.kill('SIGTERM');
    }
  }

  private async run(): Promise<number[]> {
    const { list } = this;
    this.onEvent(`sweep ${list.grid}: ${list.run_count} runs, ${list.jobs} at a time, logs in ${relative(process.cwd(), list.out) || list.out}`);
    // SIGTERM (`sweep --cancel` from another shell) and SIGINT (Ctrl-C) cancel what is left; a second SIGINT exits at once.
    const all = list.tasks.map((t) => t.index);
    const onSignal = (sig: NodeJS.Signals) => {
      if (this.cancelled.size === all.length && sig === 'SIGINT') process.exit(130);
      this.onEvent(`${sig}: cancelling the sweep's remaining runs (running ones checkpoint and stop)`);
      this.cancel(all);
    };
    for (const sig of ['SIGTERM', 'SIGINT'] as const) process.on(sig, onSignal);
    try {
      let next = 0;
      const worker = async () => {
        const runner = new TaskRunner();
        try {
          while (next < list.tasks.length) await this.runTask(list.tasks[next++], runner);
        } finally {
          runner.close();
        }
      };
      await Promise.all(Array.from({ length: Math.max(1, list.jobs) }, worker));
    } finally {
      for (const sig of ['SIGTERM', 'SIGINT'] as const) process.off(sig, onSignal);
      this.state.ended = true;
      this.save();
    }
    return this.ended;
  }

  private async runTask(t: LocalTask, runner: TaskRunner): Promise<void> {
    if (this.cancelled.has(t.index)) {
      this.set(t.index, { run_id: t.run_id, state: 'CANCELLED', reason: 'cancelled before it started' });
      return;
    }
    const resuming = runState(this.list.out, t.run_id) === 'partial';
    this.onEvent(`start ${t.run_id} (${formatCount(t.params)} params, ${t.steps} steps${resuming ? ', resuming' : ''})`);
    const output = taskOutputPath(this.sweepDir, this.jobId, t.index);
    mkdirSync(dirname(output), { recursive: true });
    const t0 = Date.now();
    closeSync(openSync(output, 'a')); // the output exists from the task's start, as a spawned process's would
    const { code, signal } = await runner.run({ argv: t.argv, output }, (child) => {
      this.children.set(t.index, child);
      this.set(t.index, { run_id: t.run_id, state: 'RUNNING' });
    });
    this.children.delete(t.index);
    const seconds = (Date.now() - t0) / 1000;
    const state: LocalState = code === 0 ? 'COMPLETED' : this.cancelled.has(t.index) ? 'CANCELLED' : 'FAILED';
    this.set(t.index, { run_id: t.run_id, state, exit_code: exitText(code, signal), seconds });
    this.ended.push(t.index);
    this.onEvent(`${code === 0 ? 'done' : state === 'CANCELLED' ? `cancelled (exit ${code ?? signal})` : `FAILED (exit ${code ?? signal}, see ${output})`} ${t.run_id} in ${seconds.toFixed(0)} s`);
  }
}

/** The pools this process runs (one per submission), by the path of their state file. */
const pools = new Map<string, Pool>();

/** The local engine for one sweep folder. */
export function localPool(o: LocalPoolOptions): Scheduler {
  const statePath = (jobId: string) => join(o.sweepDir, `${jobId}.state.json`);
  const readState = (jobId: string): PoolState | null => {
    const live = pools.get(resolve(statePath(jobId)));
    if (live) return live.state;
    const path = statePath(jobId);
    if (!existsSync(path)) return null;
    try {
      return JSON.parse(readFileSync(path, 'utf8')) as PoolState;
    } catch (err) {
      throw new BitscaleError(`cannot read the local pool's state (${(err as Error).message})`, { file: path });
    }
  };
  /** Why a pool that has not ended cannot run its tasks any more, or null while it runs (or runs on another host, where this one cannot tell). */
  const gone = (s: PoolState) => (s.ended || pools.has(resolve(statePath(s.job_id))) || s.owner.host !== hostname() ? null : staleReason(s.owner));
  return {
    name: 'local',
    scriptExtension: 'json',
    renderScript(input: ScriptInput): string {
      const jobs = input.options.maxParallel ?? 1;
      if (input.options.threads !== undefined && input.options.threads * jobs > availableParallelism())
        o.onWarning?.(`${jobs} jobs × ${input.options.threads} threads is more than the ${availableParallelism()} cores: runs will share cores`);
      const dir = resolve(input.sweepDir);
      const tasks: LocalTask[] = input.indices.map((index) => {
        const r = input.runs[index];
        const threads = checkThreads(input.options.threads ?? defaultThreads(r.config.batchSize, jobs), r.config.batchSize);
        const argv = ['train', '--resume-existing', '--config', join(dir, 'configs', `${r.runId}.json`), '--run-id', r.runId, '--out', resolve(input.grid.out)];
        argv.push('--checkpoint-dir', join(dir, 'checkpoints'), '--backend', input.backend, '--threads', String(threads), '--sweep-jobs', String(jobs));
        if (input.grid.data) argv.push('--data', resolve(input.grid.data));
        return { index, run_id: r.runId, params: countParams(r.config.model), steps: r.config.steps, flops: r.flops, argv };
      });
      tasks.sort((a, b) => b.flops - a.flops);
      const list: TaskList = { engine: 'local', grid: input.grid.name, submission: input.number, jobs, run_count: input.runs.length, out: resolve(input.grid.out), tasks };
      return `${JSON.stringify(list, null, 2)}\n`;
    },
    submit(script: string): string {
      const list = JSON.parse(readFileSync(script, 'utf8')) as TaskList;
      const jobId = `local-${list.submission}`;
      pools.set(resolve(statePath(jobId)), new Pool(list, jobId, statePath(jobId), o.sweepDir, o.onEvent ?? (() => {})));
      return jobId;
    },
    async wait(jobId: string): Promise<number[]> {
      const pool = pools.get(resolve(statePath(jobId)));
      return pool ? pool.done : [];
    },
    status(jobIds: string[]): Map<string, TaskView> {
      const views = new Map<string, TaskView>();
      for (const jobId of jobIds.filter((id) => JOB_ID.test(id))) {
        const s = readState(jobId);
        if (!s) continue;
        const why = gone(s);
        for (const [index, t] of Object.entries(s.tasks)) {
          const lost = why !== null && (t.state === 'PENDING' || t.state === 'RUNNING');
          views.set(`${jobId}_${index}`, lost ? { state: 'CANCELLED', reason: `the pool stopped before the task ended (${why})` } : { state: t.state, reason: t.reason, exitCode: t.exit_code, seconds: t.seconds });
        }
      }
      return views;
    },
    cancel(ids: string[]): void {
      const byJob = new Map<string, number[]>();
      for (const id of ids) {
        const m = /^(local-\d+)_(\d+)$/.exec(id);
        if (m) byJob.set(m[1], [...(byJob.get(m[1]) ?? []), Number(m[2])]);
      }
      for (const [jobId, indices] of byJob) {
        const live = pools.get(resolve(statePath(jobId)));
        if (live) {
          live.cancel(indices);
          continue;
        }
        // A pool in another process: SIGTERM to it (only while its owner is provably that process) cancels its remaining tasks.
        const s = readState(jobId);
        if (!s || gone(s) !== null || s.ended) continue;
        if (s.owner.host !== hostname()) throw new BitscaleError(`the local pool ${jobId} runs on ${s.owner.host} (pid ${s.owner.pid}): cancel it there`, { file: statePath(jobId) });
        process.kill(s.owner.pid, 'SIGTERM');
      }
    },
    taskOutput: taskOutputPath,
  };
}
