/**
 * One long-lived `bitscale` process per slot of the local pool, running that slot's tasks one after
 * another, so that small runs share what a process pays before its first step (Node, the CLI's
 * modules, TensorFlow.js and its wasm backend, the corpus) instead of paying it per run: measured
 * by bench/sweep.ts. A task is a `bitscale` command line (the same `train --resume-existing …` a
 * Slurm task runs) and the file its output goes to; the reply is its exit status. Each task parses
 * its own arguments and builds its own model, log and lock, as its own process would: a run's
 * records do not depend on what ran before it in the process (test/sweep/local.test.ts).
 *
 * Parent side: `TaskRunner` (src/sweep/local.ts). Child side: `serveTasks`, behind the hidden
 * command `bitscale task-runner` (src/cli/task-runner.ts).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../version.js';

/** What the pool sends: the command line after `bitscale`, and the file its stdout and stderr go to (appended). */
export interface TaskMessage {
  argv: string[];
  output: string;
}

/** What the runner answers when the task has ended. */
export interface TaskDone {
  exitCode: number;
}

/** A task's end as a process's would read: an exit code, or the signal that ended the runner. */
export interface TaskEnd {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** The pool's side of one runner process; started on the first task, started again after a runner that died. */
export class TaskRunner {
  private child: ChildProcess | null = null;

  /** Run one task in the runner process; resolves when it ends or the process dies. */
  run(task: TaskMessage, onStart: (child: ChildProcess) => void): Promise<TaskEnd> {
    const child = this.child ?? this.spawn();
    onStart(child);
    return new Promise<TaskEnd>((done) => {
      const settle = (end: TaskEnd) => {
        child.off('message', onMessage).off('exit', onExit).off('error', onError);
        done(end);
      };
      const onMessage = (m: TaskDone) => settle({ code: m.exitCode, signal: null });
      const onExit = (code: number | null, signal: NodeJS.Signals | null) => settle({ code, signal });
      const onError = () => settle({ code: 1, signal: null });
      child.on('message', onMessage).on('exit', onExit).on('error', onError);
      child.send(task, (err) => err && onError());
    });
  }

  private spawn(): ChildProcess {
    // The runner's own output (none, unless something fails outside a task) goes to the pool's stderr.
    const child = fork(join(PACKAGE_ROOT, 'bin', 'bitscale.js'), ['task-runner'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const forget = () => {
      if (this.child === child) this.child = null;
    };
    child.on('exit', forget).on('error', forget);
    this.child = child;
    return child;
  }

  /** End the runner process (its tasks have all ended). */
  close(): void {
    if (this.child?.connected) this.child.disconnect();
    this.child = null;
  }
}

/**
 * The runner process: for each task, `run(argv)` (the CLI's main) with stdout and stderr going to
 * the task's output file; replies with the exit status the task set and clears it for the next.
 * Ends when the pool disconnects.
 */
export function serveTasks(run: (argv: string[]) => Promise<void>): Promise<void> {
  return new Promise<void>((ended) => {
    let queue = Promise.resolve();
    process.on('message', (m: TaskMessage) => {
      queue = queue.then(async () => {
        const fd = openSync(m.output, 'a');
        const streams = [process.stdout, process.stderr];
        const writes = streams.map((s) => s.write);
        const toFile = ((chunk: string | Uint8Array, encoding?: unknown, cb?: unknown) => {
          writeSync(fd, typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
          const callback = typeof encoding === 'function' ? encoding : cb;
          if (typeof callback === 'function') callback();
          return true;
        }) as typeof process.stdout.write;
        for (const s of streams) s.write = toFile;
        process.exitCode = 0;
        try {
          await run(['node', 'bitscale', ...m.argv]);
        } finally {
          streams.forEach((s, i) => (s.write = writes[i]));
          closeSync(fd);
        }
        const exitCode = Number(process.exitCode ?? 0);
        process.exitCode = 0;
        process.send!({ exitCode } satisfies TaskDone);
      });
    });
    process.once('disconnect', () => void queue.then(() => ended()));
  });
}
