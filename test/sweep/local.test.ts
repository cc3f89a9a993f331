/**
 * The local engine behind the Scheduler interface: a process pool on this machine that submits,
 * reports, cancels and names each task's output as Slurm does, with tiny real `train` runs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { readRunLog } from '../../src/runs/log.js';
import type { SweepGrid } from '../../src/train/sweep.js';
import { localPool } from '../../src/sweep/local.js';
import { openScheduler } from '../../src/sweep/engines.js';
import { openSweep, statusOfSweep, submitSweep } from '../../src/sweep/submit.js';
import { readSweepRecord } from '../../src/sweep/scheduler.js';
import { procStat } from '../../src/util/owner.js';
import { failsWith } from '../helpers.js';

const root = new URL('../..', import.meta.url).pathname;
const TINY = { preset: 'tiny', batchSize: 4, warmup: 5, evalWindows: 4, evalEvery: 10, checkpointEvery: 0, profileEvery: 0 };
const shape = (d: number) => ({ d, layers: 1, heads: 2, d_ff: 32, seq_len: 32 });
const none = { signalSeconds: 120, extra: [] };

/** A grid file in a fresh folder whose run logs go to its runs/<name>. */
function gridIn(name: string, models: Record<string, unknown>[], steps: number[]): { dir: string; path: string; grid: SweepGrid } {
  const dir = mkdtempSync(join(tmpdir(), `bitscale-local-${name}-`));
  const grid: SweepGrid = { name, out: join(dir, 'runs', name), base: TINY, models, steps, seeds: [0] };
  const path = join(dir, `${name}.json`);
  writeFileSync(path, JSON.stringify(grid));
  return { dir, path, grid };
}

test('the local pool runs the pending runs largest first, one at a time with jobs 1, in one task-runner process whose second run writes the records it writes alone, apart from timing; the submission is recorded, --status shows them done, and a second sweep runs nothing', async () => {
  const { dir, path } = gridIn('lpt', [{ name: 'small', model: shape(32) }, { name: 'large', model: shape(64) }], [10]);
  const sweep = openSweep(path, join(dir, 'sweep'));
  const events: string[] = [];
  const scheduler = localPool({ sweepDir: sweep.sweepDir, onEvent: (m) => events.push(m) });
  const r = await submitSweep({ ...sweep, backend: 'wasm', submit: true, options: { ...none, maxParallel: 1 }, scheduler });
  assert.equal(r.job_id, 'local-1');
  assert.match(r.script!, /submit-001\.json$/);
  // Largest first (longest-processing-time order), and with one job the second starts only after the first ended.
  assert.deepEqual(events.filter((e) => /^(start|done)/.test(e)).map((e) => e.split(' ').slice(0, 2).join(' ')), ['start lpt-large-s10', 'done lpt-large-s10', 'start lpt-small-s10', 'done lpt-small-s10']);
  assert.deepEqual(r.ran!.map((x) => [x.run_id, x.exit_code]), [['lpt-large-s10', 0], ['lpt-small-s10', 0]]);
  assert.ok(r.ran!.every((x) => x.seconds > 0));
  assert.deepEqual(readSweepRecord(sweep.sweepDir, 'lpt').submissions.map((s) => [s.engine, s.job_id, s.tasks.length]), [['local', 'local-1', 2]]);
  const rows = statusOfSweep(sweep.grid, sweep.runs, sweep.sweepDir);
  assert.deepEqual(rows.map((x) => [x.run_id, x.state, x.job_id, x.scheduler_state, x.exit_code]), [['lpt-small-s10', 'done', 'local-1_0', 'COMPLETED', '0:0'], ['lpt-large-s10', 'done', 'local-1_1', 'COMPLETED', '0:0']]);
  for (const x of rows) {
    assert.equal(x.val_bpc, readRunLog(join(sweep.grid.out, `${x.run_id}.jsonl`)).summary!.final_val_bpc);
    // Each task's output is where the engine says, for --status to read.
    assert.equal(x.output, join(sweep.sweepDir, 'logs', `${x.job_id}.out`));
    assert.match(readFileSync(x.output!, 'utf8'), new RegExp(`${x.run_id}: completed after 10 steps`));
  }
  const again = await submitSweep({ ...sweep, backend: 'wasm', submit: true, options: { ...none, maxParallel: 1 }, scheduler });
  assert.deepEqual([again.script, again.ran, again.skipped.map((s) => s.why)], [null, [], ['finished', 'finished']]);
  // The one slot ran both in one task-runner process: the second run's records are those of the same run alone in a process of its own, apart from timing.
  const alone = join(dir, 'alone');
  const cli = spawnSync(process.execPath, [join(root, 'bin/bitscale.js'), 'train', '--config', join(sweep.sweepDir, 'configs', 'lpt-small-s10.json'), '--run-id', 'lpt-small-s10', '--out', alone, '--checkpoint-dir', join(dir, 'ckpt'), '--backend', 'wasm'], { encoding: 'utf8' });
  assert.equal(cli.status, 0, cli.stderr);
  const untimed = (file: string) => {
    const log = readRunLog(file);
    return { header: { ...log.header, jobs: null }, steps: log.steps.map(({ wall_s, tokens_per_s, ...rest }) => rest), evals: log.evals.map(({ wall_s, ...rest }) => rest), summary: { ...log.summary!, wall_s: null, tokens_per_s: null } };
  };
  assert.deepEqual(untimed(join(sweep.grid.out, 'lpt-small-s10.jsonl')), untimed(join(alone, 'lpt-small-s10.jsonl')));
});

test('a local task list names every task\'s full command: --resume-existing with the run\'s config, the sweep\'s checkpoints, the threads that share the cores among the jobs', () => {
  const { dir, path } = gridIn('argv', [{ name: 'a', model: shape(32) }], [10]);
  const sweep = openSweep(path, join(dir, 'sweep'));
  const list = JSON.parse(localPool({ sweepDir: sweep.sweepDir }).renderScript({ ...sweep, indices: [0], number: 7, backend: 'cpu', options: { ...none, maxParallel: 3, threads: 2 } }));
  assert.deepEqual([list.engine, list.submission, list.jobs, list.run_count], ['local', 7, 3, 1]);
  const dirAbs = join(dir, 'sweep');
  assert.deepEqual(list.tasks[0].argv, ['train', '--resume-existing', '--config', join(dirAbs, 'configs', 'argv-a-s10.json'), '--run-id', 'argv-a-s10', '--out', sweep.grid.out, '--checkpoint-dir', join(dirAbs, 'checkpoints'), '--backend', 'cpu', '--threads', '2', '--sweep-jobs', '3']);
  // More threads than the batch's 4 sequences are refused before anything runs.
  assert.throws(() => localPool({ sweepDir: sweep.sweepDir }).renderScript({ ...sweep, indices: [0], number: 1, backend: 'cpu', options: { ...none, threads: 5 } }), /field 'threads': 5 threads is more than the batch's 4 samples/);
});

test('a pool\'s state file read from another process: running while its owner lives, cancelled (with the reason) once the owner is gone without ending', () => {
  const { dir, path } = gridIn('gone', [{ name: 'a', model: shape(32) }, { name: 'b', model: shape(32) }], [10]);
  const sweep = openSweep(path, join(dir, 'sweep'));
  mkdirSync(sweep.sweepDir, { recursive: true });
  const tasks = sweep.runs.map((r, index) => ({ index, run_id: r.runId }));
  writeFileSync(join(sweep.sweepDir, 'submissions.json'), JSON.stringify({ grid: 'gone', submissions: [{ number: 1, engine: 'local', job_id: 'local-1', script: 's', tasks, submitted_at: 't' }] }));
  const writeState = (pid: number, start: number | undefined) =>
    writeFileSync(join(sweep.sweepDir, 'local-1.state.json'), JSON.stringify({ job_id: 'local-1', owner: { host: hostname(), pid, since: 't', start }, ended: false, tasks: { 0: { run_id: 'gone-a-s10', state: 'RUNNING' }, 1: { run_id: 'gone-b-s10', state: 'PENDING' } } }));
  // A live process (not this one) owns the pool: its tasks are as it wrote them.
  const owner = spawn('sleep', ['30']);
  try {
    writeState(owner.pid!, procStat(owner.pid!)?.start);
    assert.deepEqual(statusOfSweep(sweep.grid, sweep.runs, sweep.sweepDir).map((r) => [r.state, r.scheduler_state]), [['running', 'RUNNING'], ['queued', 'PENDING']]);
  } finally {
    owner.kill('SIGKILL');
  }
  // The same pid, but a start time of another process: the owner is gone, and so are its tasks.
  writeState(process.pid, 1);
  const rows = statusOfSweep(sweep.grid, sweep.runs, sweep.sweepDir);
  assert.deepEqual(rows.map((r) => [r.state, r.scheduler_state]), [['cancelled', 'CANCELLED'], ['cancelled', 'CANCELLED']]);
  assert.match(rows[0].reason!, /the pool stopped before the task ended \(pid \d+ now belongs to another process/);
});

test('sweep --cancel from another shell: the pool\'s queued run never starts, its running ones checkpoint and exit 75, --status says cancelled, and the next sweep resumes them to the end', async () => {
  const { dir, path } = gridIn('cx', [{ name: 'a', model: shape(32) }, { name: 'b', model: shape(48) }, { name: 'c', model: shape(64) }], [400]);
  const cli = (args: string[]) => spawnSync(process.execPath, [join(root, 'bin/bitscale.js'), ...args], { cwd: dir, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  const status = () => JSON.parse(cli(['sweep', '--grid', path, '--status', '--json']).stdout) as { run_id: string; state: string; step: number }[];
  const pool = spawn(process.execPath, [join(root, 'bin/bitscale.js'), 'sweep', '--grid', path, '--jobs', '2', '--backend', 'wasm', '--json'], { cwd: dir, env: { ...process.env, NO_COLOR: '1' } });
  let stdout = '';
  pool.stdout.on('data', (d) => (stdout += d));
  const exited = new Promise<number | null>((done) => pool.on('exit', done));
  // Wait until both running tasks have logged a step (a checkpoint then has something to keep).
  for (const end = Date.now() + 60_000; ; ) {
    if (status().filter((r) => r.state === 'running' && r.step > 0).length === 2) break;
    assert.ok(Date.now() < end, 'the pool never had two runs past step 0');
    await new Promise((r) => setTimeout(r, 300));
  }
  const cancel = cli(['sweep', '--grid', path, '--cancel', '--json']);
  assert.equal(cancel.status, 0, cancel.stderr);
  assert.deepEqual(JSON.parse(cancel.stdout).cancelled, ['local-1_0', 'local-1_1', 'local-1_2']);
  assert.equal(await exited, 1);
  const out = JSON.parse(stdout) as { ran: { run_id: string; exit_code: number }[]; skipped: string[] };
  assert.deepEqual(out.ran.map((r) => r.exit_code), [75, 75]);
  assert.deepEqual(out.ran.map((r) => r.run_id).sort(), ['cx-b-s400', 'cx-c-s400']);
  const after = status();
  assert.deepEqual(after.map((r) => r.state), ['cancelled', 'cancelled', 'cancelled']);
  assert.equal(after[0].step, 0);
  assert.ok(after[1].step > 0 && after[2].step > 0);
  // The next sweep resumes the two from their checkpoints and runs the third: every step once.
  const rerun = cli(['sweep', '--grid', path, '--jobs', '2', '--backend', 'wasm', '--json']);
  assert.equal(rerun.status, 0, rerun.stderr);
  assert.match(rerun.stderr, /start cx-c-s400 \(38\.9K params, 400 steps, resuming\)/);
  for (const r of openSweep(path).runs) {
    const log = readRunLog(join(dir, 'runs', 'cx', `${r.runId}.jsonl`));
    assert.equal(log.summary?.status, 'completed');
    assert.deepEqual(log.steps.map((s) => s.step), Array.from({ length: 400 }, (_, i) => i + 1));
  }
  assert.deepEqual(status().map((r) => r.state), ['done', 'done', 'done']);
});

test('the engine is an option: unknown names, and --slurm with --engine local, are one line naming the field; --engine slurm writes the sbatch script as --slurm does', () => {
  const { dir, path } = gridIn('eng', [{ name: 'a', model: shape(32) }], [10]);
  failsWith(['sweep', '--grid', path, '--engine', 'pbs', '--sweep-dir', join(dir, 's')], /field 'engine': unknown engine 'pbs' \(expected one of: local, slurm\)/);
  failsWith(['sweep', '--grid', path, '--engine', 'local', '--slurm'], /field 'engine': --slurm runs on Slurm: give it or --engine local, not both/);
  const r = spawnSync(process.execPath, [join(root, 'bin/bitscale.js'), 'sweep', '--grid', path, '--engine', 'slurm', '--sweep-dir', join(dir, 's'), '--json'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.match(out.script, /submit-001\.sbatch$/);
  assert.equal(out.job_id, null);
  assert.match(readFileSync(out.script, 'utf8'), /^#SBATCH --array=0$/m);
  assert.equal(openScheduler('slurm', { sweepDir: dir }).name, 'slurm');
});
