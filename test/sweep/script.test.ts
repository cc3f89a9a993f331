/**
 * The generated sbatch script run by bash directly, as Slurm's batch step would run it (the
 * SLURM_* variables set, `scontrol` replaced by a recorder): how it passes signals to the trainer
 * and when it requeues its task. The Slurm tests run the same script under a real Slurm.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readRunLog } from '../../src/runs/log.js';
import { expandGrid, type SweepGrid } from '../../src/train/sweep.js';
import { renderSbatchScript } from '../../src/sweep/slurm.js';
import { writeRunConfigs } from '../../src/sweep/scheduler.js';

test('the script passes SIGTERM and SIGUSR1 to the trainer, which checkpoints and exits 75; only after SIGUSR1 (time limit near) does it requeue its task; a rerun resumes and finishes with every step once', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bitscale-script-'));
  const grid: SweepGrid = {
    name: 'sig', out: join(dir, 'runs'), seeds: [0], steps: [200],
    base: { preset: 'tiny', batchSize: 4, warmup: 5, evalWindows: 16, evalEvery: 50, checkpointEvery: 0, profileEvery: 0 },
    models: [{ name: 'a', model: { d: 32, layers: 1, heads: 2, d_ff: 32, seq_len: 32 } }],
  };
  const runs = expandGrid(grid);
  const sweepDir = join(dir, 'sweep');
  writeRunConfigs(sweepDir, runs);
  const script = join(dir, 'task.sbatch');
  writeFileSync(script, renderSbatchScript({ grid, gridPath: 'g.json', runs, indices: [0], sweepDir, number: 1, backend: 'wasm', options: { signalSeconds: 60, extra: [] } }));
  // `scontrol` on PATH records its arguments instead of talking to a controller.
  const bin = join(dir, 'bin');
  const calls = join(dir, 'scontrol.calls');
  mkdirSync(bin);
  writeFileSync(join(bin, 'scontrol'), `#!/bin/sh\necho "$@" >> ${calls}\n`);
  chmodSync(join(bin, 'scontrol'), 0o755);
  const log = join(grid.out, 'sig-a-s200.jsonl');
  const steps = () => (existsSync(log) ? readRunLog(log).steps.length : 0);

  const runTask = async (signal: NodeJS.Signals | null, afterSteps: number) => {
    const child = spawn('bash', [script], { env: { ...process.env, PATH: `${bin}:${process.env.PATH}`, SLURM_ARRAY_JOB_ID: '41', SLURM_ARRAY_TASK_ID: '0' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const code = new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
    if (signal) {
      const start = steps();
      const deadline = Date.now() + 60_000;
      while (steps() < start + afterSteps) {
        assert.ok(Date.now() < deadline, `no progress: ${out}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      child.kill(signal);
    }
    return { code: await code, out };
  };

  const term = await runTask('SIGTERM', 10);
  assert.equal(term.code, 75, term.out);
  assert.match(term.out, /SIGTERM: stopping after the current step/);
  assert.ok(!existsSync(calls), 'SIGTERM (preemption, scancel, requeue): Slurm decides; the script does not requeue');
  const afterTerm = steps();

  const usr1 = await runTask('SIGUSR1', 10);
  assert.equal(usr1.code, 75, usr1.out);
  assert.match(usr1.out, new RegExp(`resuming sig-a-s200 at step ${afterTerm}`));
  assert.match(usr1.out, /time limit near: requeueing 41_0/);
  assert.equal(readFileSync(calls, 'utf8'), 'requeue 41_0\n');

  const rest = await runTask(null, 0);
  assert.equal(rest.code, 0, rest.out);
  assert.deepEqual(readRunLog(log).steps.map((s) => s.step), Array.from({ length: 200 }, (_, i) => i + 1));
  assert.equal(readRunLog(log).summary?.status, 'completed');
});
