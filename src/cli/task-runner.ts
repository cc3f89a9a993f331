/**
 * `bitscale task-runner` (hidden): the local sweep pool's long-lived process for one slot, which
 * runs the slot's `train` tasks one after another in one process (src/sweep/task-runner.ts). Not
 * for users: it takes its tasks over the IPC channel the pool opens.
 */
import type { Command } from 'commander';
import { BitscaleError } from '../util/errors.js';

export function register(program: Command): void {
  program.command('task-runner', { hidden: true }).action(async () => {
    if (!process.send) throw new BitscaleError('task-runner is started by `bitscale sweep` (it takes its tasks over an IPC channel)');
    const { serveTasks } = await import('../sweep/task-runner.js');
    const { main } = await import('../cli.js');
    await serveTasks(main);
    // Nothing of a finished task may keep the process alive once the pool has let it go.
    process.exit(0);
  });
}
