import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { useWasm } from '../model/helpers.js';
import { loadBrownCorpus } from '../../src/data/corpus.js';
import { readRunLog } from '../../src/runs/log.js';
import { trainingBatch } from '../../src/train/batches.js';
import { GumbelPool } from '../../src/train/noise.js';
import { resolveConfig } from '../../src/train/presets.js';
import { withTestSeam } from '../../src/train/test-seam.js';
import { train } from '../../src/train/trainer.js';
import { checkThreads, defaultThreads, reduceGradients, runningWorkerThreads, sliceOf } from '../../src/train/workers.js';

await useWasm();
const corpus = loadBrownCorpus();
const model = { d: 32, layers: 1, heads: 2, dFf: 32, seqLen: 32, vocab: 128 };
const dirs = () => {
  const root = mkdtempSync(join(tmpdir(), 'bitscale-workers-'));
  return { outDir: join(root, 'runs'), checkpointDir: join(root, 'ckpt') };
};
/** A run's records without the fields that measure time or memory. */
const timeless = (log: ReturnType<typeof readRunLog>) => ({
  steps: log.steps.map(({ wall_s, tokens_per_s, peak_bytes, ...rest }) => rest),
  evals: log.evals.map(({ wall_s, ...rest }) => rest),
  summary: log.summary ? { ...log.summary, wall_s: null, tokens_per_s: null, peak_bytes: null } : null,
});

test('worker slices partition the batch in order, as evenly as possible', () => {
  for (const [B, N] of [[16, 2], [16, 3], [5, 5], [7, 1]]) {
    const slices = Array.from({ length: N }, (_, i) => sliceOf(B, N, i));
    assert.equal(slices[0].first, 0);
    slices.forEach((s, i) => {
      if (i > 0) assert.equal(s.first, slices[i - 1].first + slices[i - 1].count);
      assert.ok(s.count === Math.floor(B / N) || s.count === Math.ceil(B / N), `${B}/${N}: ${s.count}`);
    });
    assert.equal(slices.reduce((a, s) => a + s.count, 0), B);
  }
});

test('the gradient reduction is the three passes it replaced, bit for bit: scale by the first share, add each other share times its gradient (float64, rounded to float32 once a term), then the squares in order', () => {
  for (const shares of [[0.5, 0.5], [5 / 12, 4 / 12, 3 / 12]]) {
    const n = 1003;
    const grads = shares.map((_, w) => Float32Array.from({ length: n }, (_, k) => Math.sin(1 + k * (w + 1.7)) * 10 ** ((k % 7) - 3)));
    const reference = grads.map((g) => g.slice());
    const [lo, hi] = [17, 990];
    const sum = reference[0];
    for (let k = lo; k < hi; k++) sum[k] = shares[0] * sum[k];
    for (let w = 1; w < shares.length; w++) for (let k = lo; k < hi; k++) sum[k] += shares[w] * reference[w][k];
    let squares = 0;
    for (let k = lo; k < hi; k++) squares += sum[k] * sum[k];
    assert.equal(reduceGradients(grads, shares, lo, hi), squares);
    // The whole array: the range summed, nothing outside it moved.
    assert.deepEqual(grads[0], sum);
  }
});

test('default threads share the cores among jobs (jobs × threads ≤ cores), at least 1, at most the batch', () => {
  assert.equal(defaultThreads(16, 1, 8), 8);
  assert.equal(defaultThreads(16, 2, 8), 4);
  assert.equal(defaultThreads(16, 3, 8), 2);
  assert.equal(defaultThreads(16, 4, 2), 1);
  assert.equal(defaultThreads(4, 1, 64), 4);
});

test('a thread count of 0, a negative one, or more than the batch has samples is an error naming threads', () => {
  assert.equal(checkThreads(4, 4), 4);
  assert.throws(() => checkThreads(0, 16), /field 'threads': expected an integer ≥ 1, got '0'/);
  assert.throws(() => checkThreads(-2, 16), /field 'threads'/);
  assert.throws(() => checkThreads(17, 16), /17 threads is more than the batch's 16 samples/);
});

test("a worker's slice of the batch has exactly the windows and Gumbel noise the whole batch has at those sample indices", () => {
  const whole = trainingBatch(corpus, 5, 9, 6, 32);
  const part = trainingBatch(corpus, 5, 9, 6, 32, 2, 3);
  assert.deepEqual(part.tokens, whole.tokens.subarray(2 * 32, 5 * 32));
  assert.deepEqual(part.targets, whole.targets.subarray(2 * 32, 5 * 32));
  const pool = new GumbelPool(5, 2 * 32 * 32);
  const all = pool.noise(9, 1, 0, 6);
  const some = pool.noise(9, 1, 2, 3);
  assert.equal(some.length, 3);
  some.forEach((w, i) => assert.deepEqual(w, all[2 + i]));
  assert.notDeepEqual(all[0], all[1], 'samples get different noise');
});

test('1 and 2 workers give the same per-step losses within 1e-4 bits over 50 steps; 2 workers twice are bit-for-bit identical', async () => {
  const config = resolveConfig('tiny', { model, batchSize: 4, steps: 50, warmup: 5, evalEvery: 25, evalWindows: 8, checkpointEvery: 0, profileEvery: 0 });
  const d = dirs();
  const logs = [];
  for (const [id, threads] of [['one', 1], ['two', 2], ['two-again', 2]] as const) {
    const r = await train({ config, corpus, runId: id, ...d, threads });
    assert.equal(r.status, 'completed');
    logs.push(readRunLog(r.logPath));
  }
  const [one, two, again] = logs;
  assert.equal(runningWorkerThreads(), 0, 'every worker thread has ended');
  assert.equal(one.header.threads, 1);
  assert.equal(two.header.threads, 2);
  assert.equal(two.header.jobs, 1);
  // On wasm, with T and the head width multiples of 4, the attention ran on the causal kernels.
  assert.equal(one.header.kernels, 'bitscale');
  assert.equal(two.header.kernels, 'bitscale');
  assert.equal(two.steps.length, 50);
  const diff = Math.max(...one.steps.map((s, i) => Math.abs(s.train_loss - two.steps[i].train_loss)));
  assert.ok(diff <= 1e-4, `max per-step difference ${diff} bits`);
  two.evals.forEach((e, i) => assert.ok(Math.abs(e.val_bpc - one.evals[i].val_bpc) <= 1e-4, `eval at step ${e.step}`));
  assert.deepEqual(timeless(again), timeless(two));
});

test('3 workers (slices of 1, 1 and 2 samples; uneven ranges of the parameters to update) agree with 1 within 1e-4 bits over 20 steps, and repeat bit for bit', async () => {
  const config = resolveConfig('tiny', { model, batchSize: 4, steps: 20, warmup: 5, evalEvery: 20, evalWindows: 6, checkpointEvery: 0, profileEvery: 0 });
  const d = dirs();
  const logs = [];
  for (const [id, threads] of [['one', 1], ['three', 3], ['three-again', 3]] as const) logs.push(readRunLog((await train({ config, corpus, runId: id, ...d, threads })).logPath));
  const [one, three, again] = logs;
  assert.equal(three.header.threads, 3);
  const diff = Math.max(...one.steps.map((s, i) => Math.abs(s.train_loss - three.steps[i].train_loss)));
  assert.ok(diff <= 1e-4, `max per-step difference ${diff} bits`);
  assert.ok(Math.abs(three.evals[0].val_bpc - one.evals[0].val_bpc) <= 1e-4);
  assert.deepEqual(timeless(again), timeless(three));
});

test('a worker that dies stops the run with its error, keeps the last checkpoint and leaves only whole records', async () => {
  const config = resolveConfig('tiny', { model, batchSize: 4, steps: 16, warmup: 5, evalEvery: 0, evalWindows: 8, checkpointEvery: 5, profileEvery: 0 });
  const d = dirs();
  await assert.rejects(withTestSeam({ workerFault: { worker: 1, step: 12 } }, () => train({ config, corpus, runId: 'dies', ...d, threads: 2 })), /training worker 2 of 2 failed: .*injected fault at update 12/);
  assert.equal(runningWorkerThreads(), 0, 'the surviving worker is ended too');
  const log = readRunLog(join(d.outDir, 'dies.jsonl'));
  assert.equal(log.steps.length, 12);
  assert.equal(log.summary, null);
  assert.ok(readFileSync(join(d.outDir, 'dies.jsonl'), 'utf8').endsWith('}\n'));
  assert.ok(existsSync(join(d.checkpointDir, 'dies.ckpt')), 'the step-10 checkpoint is kept');
  // …and the run resumes from it to the same records as one that never failed.
  await train({ config, corpus, runId: 'dies', ...d, threads: 2, resume: true });
  await train({ config, corpus, runId: 'whole', ...d, threads: 2 });
  assert.deepEqual(timeless(readRunLog(join(d.outDir, 'dies.jsonl'))), timeless(readRunLog(join(d.outDir, 'whole.jsonl'))));
});

test('`bitscale train --threads 2` killed with SIGKILL and resumed writes the same records as an uninterrupted run, apart from timing', async () => {
  const config = resolveConfig('tiny', { model, batchSize: 4, steps: 30, warmup: 5, evalEvery: 10, evalWindows: 8, checkpointEvery: 10, profileEvery: 0 });
  const d = dirs();
  const cfgPath = join(d.outDir, '..', 'cfg.json');
  writeFileSync(cfgPath, JSON.stringify(config));
  const bin = new URL('../../bin/bitscale.js', import.meta.url).pathname;
  const cli = (args: string[], killAfterSteps?: number) =>
    new Promise<number | string>((resolve) => {
      const child = spawn(process.execPath, [bin, 'train', '--backend', 'wasm', '--out', d.outDir, '--checkpoint-dir', d.checkpointDir, ...args], { stdio: 'ignore' });
      let timer: NodeJS.Timeout | undefined;
      if (killAfterSteps !== undefined)
        timer = setInterval(() => {
          const path = join(d.outDir, 'cut.jsonl');
          if (existsSync(path) && readFileSync(path, 'utf8').split('\n').filter((l) => l.includes('"type":"step"')).length >= killAfterSteps) child.kill('SIGKILL');
        }, 50);
      child.on('exit', (code, signal) => {
        clearInterval(timer);
        resolve(signal ?? code ?? -1);
      });
    });
  assert.equal(await cli(['--config', cfgPath, '--run-id', 'cut', '--threads', '2'], 15), 'SIGKILL');
  assert.ok(readRunLog(join(d.outDir, 'cut.jsonl')).summary === null);
  assert.equal(await cli(['--resume', 'cut']), 0);
  const r = await train({ config, corpus, runId: 'whole', ...d, threads: 2 });
  const a = readRunLog(r.logPath);
  const b = readRunLog(join(d.outDir, 'cut.jsonl'));
  assert.equal(b.header.threads, 2);
  assert.deepEqual(timeless(b), timeless(a));
});

test('reloading a replica\'s weights (as a worker does every step, and pull at checkpoints) sets them and holds no earlier copy', async () => {
  const tf = await import('@tensorflow/tfjs-core');
  const { assignValues } = await import('../../src/train/replica.js');
  const vars = [tf.variable(tf.zeros([3, 4])), tf.variable(tf.zeros([5]))];
  const before = tf.memory();
  for (let k = 1; k <= 10; k++) assignValues(vars, [new Float32Array(12).fill(k), new Float32Array(5).fill(-k)]);
  const after = tf.memory();
  assert.equal(after.numTensors, before.numTensors);
  assert.equal(after.numBytes, before.numBytes);
  assert.deepEqual([...vars[0].dataSync()], new Array(12).fill(10));
  assert.deepEqual([...vars[1].dataSync()], new Array(5).fill(-10));
  vars.forEach((v) => v.dispose());
});
