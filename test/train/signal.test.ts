/**
 * The trainer under signals, as a process: SIGTERM checkpoints and exits 75, and while it runs a
 * second `train --resume` of the same run is refused (one writer per log).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readRunLog } from '../../src/runs/log.js';
import { acquireRunLock } from '../../src/train/lock.js';

const bin = new URL('../../bin/bitscale.js', import.meta.url).pathname;
const TIMING = new Set(['wall_s', 'tokens_per_s', 'peak_bytes']);

test('SIGTERM mid-run: a second writer is refused while it runs; it checkpoints and exits 75; --resume-existing finishes with the records of an uninterrupted run', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bitscale-signal-'));
  const cfg = join(dir, 'c.json');
  writeFileSync(cfg, JSON.stringify({ preset: 'tiny', model: { d: 32, layers: 1, heads: 2, d_ff: 32, seq_len: 32 }, batchSize: 4, steps: 200, warmup: 5, evalEvery: 20, evalWindows: 16, checkpointEvery: 0, profileEvery: 0 }));
  const args = (id: string) => ['train', '--config', cfg, '--run-id', id, '--out', join(dir, 'runs'), '--checkpoint-dir', join(dir, 'ck'), '--backend', 'wasm'];
  const log = join(dir, 'runs', 'cut.jsonl');
  const child = spawn(process.execPath, [bin, ...args('cut')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const deadline = Date.now() + 60_000;
  while (!(existsSync(log) && readFileSync(log, 'utf8').split('\n').length > 12)) {
    assert.ok(Date.now() < deadline, `no progress: ${stderr}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  // What `train --resume cut` does first (the lock, tested as a process in the Slurm tests' resubmission).
  assert.throws(() => acquireRunLock(log), new RegExp(`being written by pid ${child.pid} on this host`));
  child.kill('SIGTERM');
  assert.equal(await exited, 75, stderr);
  assert.match(stderr, /SIGTERM: stopping after the current step/);
  assert.ok(existsSync(join(dir, 'ck', 'cut.ckpt')));
  assert.ok(!existsSync(`${log}.lock`), 'the lock is released');
  const stoppedAt = readRunLog(log).steps.length;
  assert.ok(stoppedAt > 10 && stoppedAt < 200, `stopped at ${stoppedAt}`);
  const resumed = spawnSync(process.execPath, [bin, ...args('cut'), '--resume-existing'], { encoding: 'utf8' });
  assert.equal(resumed.status, 0, resumed.stderr);
  assert.match(resumed.stderr, new RegExp(`resuming cut at step ${stoppedAt}`));
  const whole = spawnSync(process.execPath, [bin, ...args('whole')], { encoding: 'utf8' });
  assert.equal(whole.status, 0, whole.stderr);
  const strip = (path: string) => {
    const l = readRunLog(path);
    const s = (r: object) => Object.fromEntries(Object.entries(r).filter(([k]) => !TIMING.has(k)));
    return [l.steps.map(s), l.evals.map(s), s(l.summary!)];
  };
  assert.deepEqual(strip(log), strip(join(dir, 'runs', 'whole.jsonl')));
  // A finished run is left alone.
  const again = spawnSync(process.execPath, [bin, ...args('cut'), '--resume-existing'], { encoding: 'utf8' });
  assert.equal(again.status, 0);
  assert.match(again.stderr, /already finished/);
});
