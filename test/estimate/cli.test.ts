import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';

const root = new URL('../..', import.meta.url).pathname;

function bitscale(args: string[]) {
  const r = spawnSync(process.execPath, [join(root, 'bin/bitscale.js'), ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('estimate --json for the issue\'s 300M command: only JSON, the issue\'s keys, fits false, accumulation to keep bs=256', () => {
  const r = bitscale(['estimate', '--d', '2048', '--layers', '16', '--heads', '32', '--d-ff', '1024', '--seq-len', '256', '--batch-size', '256', '--gpu', 'a100-40gb', '--steps', '30000', '--precision', 'bf16-autocast', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.equal(j.params, 369_623_040);
  assert.equal(j.fits, false);
  // 122 fit; 3 × 86 would be 258: the split is 4 × 64, exactly the batch asked for.
  assert.equal(j.max_micro_batch, 122);
  assert.deepEqual(j.micro_batches, [{ size: 64, count: 4 }]);
  assert.equal(j.grad_accum_steps, 4);
  assert.ok(Number.isInteger(j.memory.total_bytes) && Number.isInteger(j.usable_bytes));
  assert.equal(j.hours, (30000 * j.seconds_per_step) / 3600);
  assert.deepEqual(j.calibrating_runs, ['glm_50M_a100_bf16', 'glm_50M_bs256_hlr']);
  assert.ok(j.memory.total_bytes > 0 && j.memory.attention_probs > 0);
});

test('estimate --config takes the shape and batch from a run log; --sweep-batch-size --json lists bs = 1, 2, 4, … to the first misfit', () => {
  const r = bitscale(['estimate', '--config', 'runs/seed/glm_50M_bs256_hlr.jsonl', '--sweep-batch-size', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.equal(j.rows[0].batch_size, 1);
  assert.equal(j.rows.at(-1).fits, false);
  assert.ok(j.rows.at(-2).fits && j.rows.at(-2).batch_size <= j.max_micro_batch);
  const human = bitscale(['estimate', '--config', 'runs/seed/glm_50M_bs256_hlr.jsonl']);
  assert.equal(human.code, 0, human.stderr);
  assert.match(human.stdout, /46\.4M parameters \(46,399,488\)/);
  assert.match(human.stdout, /fits: yes/);
  assert.match(human.stdout, /glm_50M_bs256_hlr \(a100-40gb, bs=256, 276 ms\/step, 19\.84 TFLOP\/step\)/);
});

test('estimate with an unknown GPU or a missing shape: one line on stderr, exit 1', () => {
  const r = bitscale(['estimate', '--model', '300M', '--gpu', 'v100']);
  assert.equal(r.code, 1);
  assert.equal(r.stdout, '');
  assert.equal(r.stderr.trim().split('\n').length, 1);
  assert.match(r.stderr, /unknown GPU 'v100'/);
  const missing = bitscale(['estimate', '--d', '512']);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /no model layers/);
});

test('estimate without a runs/ folder (not asked for by --runs) runs uncalibrated and says so on stderr; an asked-for folder must exist', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bitscale-nofolder-'));
  const r = spawnSync(process.execPath, [join(root, 'bin/bitscale.js'), 'estimate', '--model', '46.4M', '--json'], { cwd: dir, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /^warning: no runs\/ folder here: nothing calibrated from runs \(give --runs DIR\)\n$/);
  const j = JSON.parse(r.stdout);
  assert.equal(j.throughput_method, 'mfu-assumption');
  assert.equal(j.mfu, 0.25);
  const given = spawnSync(process.execPath, [join(root, 'bin/bitscale.js'), '--runs', 'runs', 'estimate', '--model', '46.4M'], { cwd: dir, encoding: 'utf8' });
  assert.equal(given.status, 1);
  assert.match(given.stderr, /^bitscale: runs: no such runs folder/);
});
