import { test } from 'node:test';
import assert from 'node:assert/strict';
import { maxAbsDiff, useWasm } from './helpers.js';
import { countParams, countTrainableParams, type ModelConfig } from '../../src/arch/bitlm.js';
import { bitscaleKernelsFit, createModel, parameterShapes } from '../../src/model/model.js';
import { AdamW, DEFAULT_ADAMW } from '../../src/train/adamw.js';
import { GumbelPool } from '../../src/train/noise.js';
import { trainingStep, evaluateBpc } from '../../src/train/trainer.js';
import { trainingBatch } from '../../src/train/batches.js';
import type { Corpus } from '../../src/data/corpus.js';

const tf = await useWasm();
const cfg: ModelConfig = { d: 32, layers: 2, heads: 4, dFf: 16, seqLen: 16, vocab: 128 };
const text = Buffer.from('the quick brown fox jumps over the lazy dog. '.repeat(120));
const corpus: Corpus = { name: 'fox', bytes: new Uint8Array(text), sha256: '0'.repeat(64), nonAscii: 'dropped (0 bytes)', valStart: Math.floor(0.95 * text.length) };

test('the model\'s variables add up to the shared count: 2·(4·32² + 3·32·16) + 2·128·32 = 19,456', () => {
  const model = createModel(cfg, { arch: 'bitlm-v57', ste: 'clipped', initStd: 0.02, seed: 1 });
  const sum = model.variables.reduce((a, v) => a + v.size, 0);
  assert.equal(sum, 19_456);
  assert.equal(countParams(cfg), 19_456);
  model.dispose();
});

test('a model trains on bitscale\'s kernels on wasm and cpu where T and the head width are multiples of 4; elsewhere on the backend\'s', () => {
  const c: ModelConfig = { d: 64, layers: 1, heads: 4, dFf: 32, seqLen: 32, vocab: 128 };
  assert.equal(bitscaleKernelsFit('wasm', c), true);
  assert.equal(bitscaleKernelsFit('cpu', c), true);
  assert.equal(bitscaleKernelsFit('tensorflow', c), false);
  assert.equal(bitscaleKernelsFit('wasm', { ...c, seqLen: 30 }), false);
  assert.equal(bitscaleKernelsFit('wasm', { ...c, heads: 8 }), true, 'head width 8');
  assert.equal(bitscaleKernelsFit('wasm', { ...c, heads: 32 }), false, 'head width 2');
});

test('a model on bitscale\'s kernels and the same model on the backend\'s give the same loss and gradients to float rounding (v57 and v52)', () => {
  const c: ModelConfig = { d: 64, layers: 2, heads: 4, dFf: 32, seqLen: 32, vocab: 128 };
  const tokens = new Int32Array(4 * 32).map((_, i) => (i * 37 + 11) % 128);
  const targets = new Int32Array(4 * 32).map((_, i) => (i * 53 + 5) % 128);
  for (const arch of ['bitlm-v57', 'bitlm-v52'] as const) {
    const run = (kernels: boolean) => {
      const model = createModel(c, { arch, ste: 'clipped', initStd: 0.02, seed: 3, kernels });
      const pool = new GumbelPool(3, c.heads * c.seqLen * c.seqLen);
      const { value, grads } = tf.variableGrads(() => model.lossNats(tokens, targets, { batch: 4, gumbel: (l) => pool.noise(0, l, 0, 4), tau: 0.7 }), model.variables);
      const out = { loss: value.dataSync()[0], grads: model.variables.map((v) => Array.from(grads[v.name].dataSync())) };
      model.dispose();
      return out;
    };
    const ours = run(true);
    const backend = run(false);
    assert.ok(Math.abs(ours.loss - backend.loss) <= 1e-5, `${arch}: loss ${ours.loss} vs ${backend.loss}`);
    ours.grads.forEach((g, i) => {
      const largest = Math.max(...backend.grads[i].map(Math.abs));
      assert.ok(maxAbsDiff(g, backend.grads[i]) <= 1e-5 * largest, `${arch}, variable ${i}: differs by ${maxAbsDiff(g, backend.grads[i])} (largest ${largest})`);
    });
  }
});

test('the v52 model adds L·(7d + 2·d_ff) + V + d float parameters to the same ±1 matrices', () => {
  const model = createModel(cfg, { arch: 'bitlm-v52', ste: 'clipped', initStd: 0.02, seed: 1 });
  assert.equal(model.variables.reduce((a, v) => a + v.size, 0), 19_456 + 2 * (7 * 32 + 2 * 16) + 128 + 32);
  assert.equal(countTrainableParams(cfg, 'bitlm-v52'), 19_456 + 672);
  assert.equal(parameterShapes(cfg, 'bitlm-v52').filter((p) => p.kind === 'float').length, 2 * 9 + 2);
  model.dispose();
});

test('evaluation is deterministic: the same weights give the same val_bpc twice and across instances', () => {
  const a = createModel(cfg, { arch: 'bitlm-v57', ste: 'clipped', initStd: 0.02, seed: 5 });
  const b = createModel(cfg, { arch: 'bitlm-v57', ste: 'clipped', initStd: 0.02, seed: 5 });
  const offsets = [corpus.valStart, corpus.valStart + 40, corpus.valStart + 80];
  const x = evaluateBpc(a, corpus, offsets, 2);
  assert.equal(evaluateBpc(a, corpus, offsets, 2), x);
  assert.equal(evaluateBpc(b, corpus, offsets, 2), x);
  assert.ok(x > 5 && x < 9, `an untrained model scores near 7 bits, got ${x}`);
  a.dispose();
  b.dispose();
});

for (const arch of ['bitlm-v57', 'bitlm-v52', 'float-v52'] as const) {
  test(`no tensor leaks across training steps (${arch}): tf.memory().numTensors is stable`, () => {
    const model = createModel(cfg, { arch, ste: 'clipped', initStd: 0.02, seed: 2 });
    const opt = new AdamW(model.variables, DEFAULT_ADAMW);
    const pool = arch === 'bitlm-v57' ? new GumbelPool(2, cfg.heads * cfg.seqLen * cfg.seqLen) : null;
    const counts: number[] = [];
    let first = Infinity;
    let last = 0;
    for (let t = 0; t < 6; t++) {
      const { lossNats } = trainingStep(model, opt, pool, trainingBatch(corpus, 2, t, 4, cfg.seqLen), t, 3e-3, 1);
      if (t === 0) first = lossNats;
      last = lossNats;
      counts.push(tf.memory().numTensors);
    }
    assert.ok(counts.every((c) => c === counts[0]), `tensor counts ${counts}`);
    assert.ok(last < first, `the loss falls on a repetitive text (${first} → ${last})`);
    opt.dispose();
    model.dispose();
  });
}
