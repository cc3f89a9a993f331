import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useWasm, maxAbsDiff } from '../model/helpers.js';
import { AdamW, DEFAULT_ADAMW } from '../../src/train/adamw.js';

const tf = await useWasm();

test('the first AdamW update moves each weight by lr·sign(g) after decoupled decay w·(1 − lr·wd)', () => {
  const w = tf.variable(tf.tensor1d([1, -2, 0.5]));
  const opt = new AdamW([w], { ...DEFAULT_ADAMW, eps: 0 });
  opt.apply([tf.tensor1d([0.3, -4, 0.01])], 0.5, 0.1);
  assert.ok(maxAbsDiff(w.dataSync(), [1 * 0.999 - 0.1, -2 * 0.999 + 0.1, 0.5 * 0.999 - 0.1]) < 1e-6);
});

test('clipping scales all gradients by clip/‖g‖; the second update follows the bias-corrected moments', () => {
  const w = tf.variable(tf.tensor1d([0, 0]));
  const opt = new AdamW([w], { beta1: 0.9, beta2: 0.95, eps: 0, weightDecay: 0, clipNorm: 1 });
  opt.apply([tf.tensor1d([3, 4])], 5, 1); // clipped to [0.6, 0.8] → step −sign = [−1, −1]
  opt.apply([tf.tensor1d([0.3, 0])], 0.3, 1); // not clipped
  // m = 0.9·[0.06, 0.08] + 0.1·[0.3, 0] = [0.084, 0.072]; v = 0.95·0.05·[0.36, 0.64] + 0.05·[0.09, 0]
  const m = [0.084, 0.072];
  const v = [0.95 * 0.05 * 0.36 + 0.05 * 0.09, 0.95 * 0.05 * 0.64];
  const c1 = 1 - 0.81, c2 = 1 - 0.95 ** 2;
  const expected = [0, 1].map((i) => -1 - m[i] / c1 / Math.sqrt(v[i] / c2));
  assert.ok(maxAbsDiff(w.dataSync(), expected) < 1e-5, `${Array.from(w.dataSync())} vs ${expected}`);
});

test('the global norm is sqrt of the sum of squares over all gradients', () => {
  assert.ok(Math.abs(AdamW.globalNorm([tf.tensor1d([3]), tf.tensor2d([[4, 12]])]).dataSync()[0] - 13) < 1e-6);
});
