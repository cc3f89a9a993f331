import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SEED_CONFIGS, countParams } from '../../src/arch/bitlm.js';
import { COMPONENT_KEYS, STORAGE_PRESETS, estimateTrainingMemory, maxMicroBatch, maxTtBytesThatFit, presetTtBytes } from '../../src/estimate/memory.js';

const GIB = 2 ** 30;
const M46 = SEED_CONFIGS['46.4M'];

test('the 46.4M config at bs=256 under torch.compile: 30,304,108,544 tensor bytes plus 5% fragmentation, by hand', () => {
  const N = 46_399_488;
  const Nm = N - 128 * 1024;
  const tokens = 256 * 256;
  const fixed = 16 * N + 2 * Nm + 4 * 32 * 256 * 256; // fp32 W, grad, m, v; bf16 sign(W); fp32 ALiBi
  const perLayer = tokens * (12 * 1024 + 4 * 512); // bf16 x, q, k, v, y·v, pre-sign residual; gate pre-sign, up
  const once = tokens * (4 * 1024 + 2 * 1024 + 4 * 128 + 4 * 128); // embedding rows, x_L, logits, log-softmax
  const tt = 256 * 32 * 256 * 256;
  const sum = fixed + 8 * perLayer + once + 8 * 4 * tt + 8 * tt; // p in fp32 per layer; 8 bytes in flight
  assert.equal(sum, 30_304_108_544);
  const m = estimateTrainingMemory(M46, 256, { precision: 'bf16-autocast', preset: 'torch-compiled-bf16' });
  assert.equal(m.tensorBytes, sum);
  assert.equal(m.fragmentationBytes, Math.round(sum * 0.05)); // 1,515,205,427.2 → whole bytes
  assert.equal(m.totalBytes, sum + Math.round(sum * 0.05));
  assert.ok(Number.isInteger(m.totalBytes));
  assert.equal(m.components.find((c) => c.key === 'attention_probs')!.bytes, 16 * GIB);
  assert.equal(m.components.find((c) => c.key === 'attention_probs')!.shapeText, '[bs=256, H=32, T=256, T=256] × L=8');
});

test('the breakdown names every component once and its parts add up to the total', () => {
  for (const preset of Object.values(STORAGE_PRESETS)) {
    const m = estimateTrainingMemory(SEED_CONFIGS['13.7M'], 16, { precision: preset.precision, preset: preset.id });
    assert.deepEqual(m.components.map((c) => c.key), [...COMPONENT_KEYS]);
    const groups = Object.values(m.byGroup).reduce((a, b) => a + b, 0);
    assert.equal(groups, m.totalBytes, preset.id);
    for (const c of m.components) assert.equal(c.bytes, c.elements * c.bytesPerElement);
  }
});

test('parameter-sized components use the shared count: 369,623,040 for the 300M config', () => {
  const m = estimateTrainingMemory(SEED_CONFIGS['300M'], 1);
  assert.equal(countParams(SEED_CONFIGS['300M']), 369_623_040);
  assert.equal(m.components.find((c) => c.key === 'latent_weights')!.elements, 369_623_040);
  assert.equal(m.components.find((c) => c.key === 'sign_weight_copies')!.elements, 369_623_040 - 128 * 2048);
});

test('every phase is linear in the batch: total(bs) = fixed + perSample·bs', () => {
  for (const preset of Object.values(STORAGE_PRESETS)) {
    const m = estimateTrainingMemory(M46, 8, { precision: preset.precision, preset: preset.id });
    const m40 = estimateTrainingMemory(M46, 40, { precision: preset.precision, preset: preset.id });
    m.phases.forEach((p, i) => {
      assert.ok(Math.abs(p.fixedBytes + 8 * p.perSampleBytes - p.totalBytes) < 1, preset.id);
      assert.ok(Math.abs(p.fixedBytes + 40 * p.perSampleBytes - m40.phases[i].totalBytes) < 1, preset.id);
    });
  }
});

test('the T×T tensors sum to ttBytesPerElement; an override is spread in the preset\'s proportions', () => {
  const eager = STORAGE_PRESETS['torch-eager-bf16'];
  assert.equal(presetTtBytes(eager), 6); // fp32 p (4) + bf16 y (2)
  const m = estimateTrainingMemory(M46, 4, { preset: 'torch-eager-bf16', ttBytesPerElement: 3 });
  const per = (k: string) => m.components.find((c) => c.key === k)!.bytesPerElement;
  assert.equal(per('attention_probs'), 2);
  assert.equal(per('attention_onehot'), 1);
  assert.equal(per('attention_scores'), 0);
  assert.equal(m.ttBytesPerElement, 3);
});

test('maxMicroBatch is the largest batch whose total fits; one more does not', () => {
  const usable = 39 * GIB;
  for (const preset of Object.values(STORAGE_PRESETS)) {
    const opts = { precision: preset.precision, preset: preset.id };
    const mb = maxMicroBatch(estimateTrainingMemory(SEED_CONFIGS['300M'], 1, opts), usable);
    assert.ok(mb >= 1, preset.id);
    assert.ok(estimateTrainingMemory(SEED_CONFIGS['300M'], mb, opts).totalBytes <= usable, preset.id);
    assert.ok(estimateTrainingMemory(SEED_CONFIGS['300M'], mb + 1, opts).totalBytes > usable, preset.id);
  }
  assert.equal(maxMicroBatch(estimateTrainingMemory(SEED_CONFIGS['300M'], 1), 1 * GIB), 0);
});

test('maxTtBytesThatFit solves total = usable exactly', () => {
  const usable = 39 * GIB;
  const tt = maxTtBytesThatFit(M46, 256, usable, { preset: 'torch-compiled-bf16' });
  const m = estimateTrainingMemory(M46, 256, { preset: 'torch-compiled-bf16', ttBytesPerElement: tt });
  assert.ok(Math.abs(m.totalBytes - usable) < 1e-6 * usable);
  assert.equal(maxTtBytesThatFit(SEED_CONFIGS['300M'], 4096, usable), Number.NEGATIVE_INFINITY);
});

test('tfjs-fp32, few tokens: the AdamW update holds the peak at 22 handles per weight (measured by hand on tfjs 4.22)', () => {
  const c = { d: 384, layers: 1, heads: 4, dFf: 384, seqLen: 16, vocab: 128 };
  const m = estimateTrainingMemory(c, 2, { precision: 'fp32', preset: 'tfjs-fp32' });
  assert.equal(m.peakPhase, 'AdamW update');
  assert.equal(m.totalBytes, 4 * (22 * countParams(c) + 4 * 16 * 16));
});

test('a preset of the wrong precision and a negative batch are errors', () => {
  assert.throws(() => estimateTrainingMemory(M46, 1, { precision: 'fp32', preset: 'torch-eager-bf16' }), /is for bf16-autocast, not fp32/);
  assert.throws(() => estimateTrainingMemory(M46, -1), /non-negative integer/);
});
