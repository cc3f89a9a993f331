import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Tensor, Tensor2D } from '@tensorflow/tfjs-core';
import { useWasm } from './helpers.js';
import { countFloatParams, countParams, countTrainableParams, trainingFlopsPerStep, type ModelConfig } from '../../src/arch/bitlm.js';
import { isBitLM } from '../../src/arch/family.js';
import { createModel, parameterShapes, type BitLM } from '../../src/model/model.js';
import { floatLinear } from '../../src/model/ops.js';
import { loadBrownCorpus } from '../../src/data/corpus.js';
import { readRunLog } from '../../src/runs/log.js';
import { resolveConfig } from '../../src/train/presets.js';
import { train } from '../../src/train/trainer.js';

const tf = await useWasm();
const cfg: ModelConfig = { d: 32, layers: 2, heads: 4, dFf: 16, seqLen: 16, vocab: 128 };
const tokens = new Int32Array(2 * 16).map((_, i) => (i * 37 + 11) % 128);
const evalMode = { batch: 2, gumbel: null, tau: 1 };

test('float-v52 counts 19,456 matrix + 672 gain/α parameters for d=32, L=2, d_ff=16, V=128, all of them float, and its variables add up to 20,128', () => {
  // Matrices: 2·(4·32² + 3·32·16) + 2·128·32 = 19,456; α and gains: 2·(7·32 + 2·16) + 128 + 32 = 672.
  assert.equal(countParams(cfg), 19_456);
  assert.equal(countTrainableParams(cfg, 'float-v52'), 20_128);
  assert.equal(countTrainableParams(cfg, 'float-v52'), countTrainableParams(cfg, 'bitlm-v52'));
  assert.equal(countFloatParams(cfg, 'float-v52'), 20_128);
  assert.equal(countFloatParams(cfg, 'bitlm-v52'), 672);
  assert.equal(countFloatParams(cfg, 'bitlm-v57'), 0);
  const model = createModel(cfg, { arch: 'float-v52', ste: 'clipped', initStd: 0.02, seed: 1 });
  assert.equal(model.variables.reduce((a, v) => a + v.size, 0), 20_128);
  const kinds = parameterShapes(cfg, 'float-v52').map((p) => p.kind);
  assert.equal(kinds.filter((k) => k === 'matrix').length, 1 + 2 * 7 + 1, 'embed, 7 matrices per layer, unembed');
  assert.equal(kinds.filter((k) => k === 'sign').length, 0);
  model.dispose();
});

test('float-v52 is one of bitscale\'s own architectures with v57\'s FLOPs per step (the formula does not depend on the weights\' precision)', () => {
  assert.ok(isBitLM('float-v52'));
  // 6·N_matmul·tokens + 12·L·d·T·tokens, N_matmul = 19,456 − 128·32 = 15,360, tokens = 4·16 = 64.
  assert.equal(trainingFlopsPerStep(cfg, 4), 6 * 15_360 * 64 + 12 * 2 * 32 * 16 * 64);
});

test('floatLinear gives x·W on a hand-worked 2×2 product, and its gradients are those of that formula', () => {
  const x = tf.tensor2d([1, 2, 3, 4], [2, 2]);
  const w = tf.tensor2d([0.5, -1, 2, 0.25], [2, 2]);
  // x·W = [[1·0.5 + 2·2, 1·(−1) + 2·0.25], [3·0.5 + 4·2, 3·(−1) + 4·0.25]].
  assert.deepEqual(Array.from(floatLinear(x, w).dataSync()), [4.5, -0.5, 9.5, -2]);
  // d(sum y)/dx = 1·Wᵀ: each row [0.5 − 1, 2 + 0.25]; d(sum y)/dW = xᵀ·1: row i holds x's column-i sum twice.
  const [dx, dw] = tf.grads((a: Tensor, b: Tensor) => tf.sum(floatLinear(a as Tensor2D, b as Tensor2D)))([x, w]);
  assert.deepEqual(Array.from(dx.dataSync()), [-0.5, 2.25, -0.5, 2.25]);
  assert.deepEqual(Array.from(dw.dataSync()), [4, 4, 6, 6]);
});

/**
 * Sets a float-v52 model's weights to what v52 uses for the same latents: the embedding sign(V) and
 * every other matrix sign(V)/√fan_in (fan_in 16 here, so the 1/4 is exact); α and gains stay 1.
 */
function v52Weights(model: BitLM): void {
  const shapes = parameterShapes(model.config, model.options.arch);
  model.variables.forEach((v, i) => {
    if (shapes[i].kind === 'float') return;
    const gain = shapes[i].name === 'embed' ? 1 : 1 / Math.sqrt(shapes[i].shape[0]);
    v.assign(tf.tidy(() => tf.where(tf.greaterEqual(v, 0), tf.fill(v.shape, gain), tf.fill(v.shape, -gain))));
  });
}

const logitsOf = (model: BitLM) => tf.tidy(() => Array.from(model.logits(tokens, evalMode).dataSync()));

test('float-v52 with weights sign(V)/√fan_in (embedding sign(V)) and α = gains = 1 gives v52\'s logits for latents V exactly: the weights are the only difference', () => {
  const c16: ModelConfig = { d: 16, layers: 2, heads: 4, dFf: 16, seqLen: 16, vocab: 128 };
  // On the backend's matMul (kernels: false), where v52's product is x·sign(V) scaled after; its
  // agreement with bitscale's kernels is model.test.ts's.
  const v52 = createModel(c16, { arch: 'bitlm-v52', ste: 'clipped', initStd: 0.02, seed: 7, kernels: false });
  const f52 = createModel(c16, { arch: 'float-v52', ste: 'clipped', initStd: 0.02, seed: 7, kernels: false });
  v52Weights(f52);
  const a = logitsOf(v52);
  assert.deepEqual(logitsOf(f52), a);
  assert.ok(Math.max(...a.map(Math.abs)) > 0.1, 'the logits are not all near zero');
  v52.dispose();
  f52.dispose();
});

test('float-v52 uses the weights\' float values: doubling the unembedding doubles its logits, where v52 (sign(W)) does not change', () => {
  for (const [arch, factor] of [['float-v52', 2], ['bitlm-v52', 1]] as const) {
    const model = createModel(cfg, { arch, ste: 'clipped', initStd: 0.02, seed: 9, kernels: false });
    const before = logitsOf(model);
    const unembed = model.variables[parameterShapes(cfg, arch).findIndex((p) => p.name === 'unembed')];
    unembed.assign(tf.mul(unembed, 2));
    const after = logitsOf(model);
    assert.deepEqual(after, before.map((v) => v * factor), arch);
    model.dispose();
  }
});

test('30 steps of float-v52 on Brown (tiny shape) lower the loss, and the log says its arch, backend and that all its parameters are float', async () => {
  const model: ModelConfig = { d: 32, layers: 2, heads: 4, dFf: 16, seqLen: 32, vocab: 128 };
  const config = resolveConfig('tiny', { arch: 'float-v52', model, steps: 30, warmup: 5, lr: 4e-3, evalEvery: 0, evalWindows: 16, checkpointEvery: 0, profileEvery: 0 });
  const root = mkdtempSync(join(tmpdir(), 'bitscale-float-'));
  const r = await train({ config, corpus: loadBrownCorpus(), runId: 'float-tiny', outDir: join(root, 'runs'), checkpointDir: join(root, 'ckpt') });
  assert.equal(r.status, 'completed');
  const log = readRunLog(r.logPath);
  assert.equal(log.header.arch, 'float-v52');
  assert.equal(log.header.backend, 'wasm');
  assert.equal(log.header.params, countParams(model));
  assert.equal((log.header as unknown as { float_params: number }).float_params, countTrainableParams(model, 'float-v52'));
  const mean = (xs: { train_loss: number }[]) => xs.reduce((a, s) => a + s.train_loss, 0) / xs.length;
  const first = mean(log.steps.slice(0, 5));
  const last = mean(log.steps.slice(-5));
  // An untrained model is near uniform over 128 bytes (7 bits); 30 steps must move well below.
  assert.ok(first > 6, `first steps near 7 bits, got ${first}`);
  assert.ok(last < first - 1, `the loss falls by more than 1 bit (${first} → ${last})`);
});
