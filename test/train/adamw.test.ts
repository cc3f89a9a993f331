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

test('applyRange over flat arrays gives bit for bit the weights and moments of apply, clipped or not, range by range (a range of a length not a multiple of 4 too)', () => {
  const n = 1000;
  const rand = (seed: number) => Array.from({ length: n }, (_, i) => Math.sin(seed * 7919 + i * 104729) * (1 + (i % 7)));
  const w0 = new Float32Array(rand(1));
  const w = tf.variable(tf.tensor1d(w0));
  const opt = new AdamW([w], DEFAULT_ADAMW);
  const flat = { w: w0.slice(), m: new Float32Array(n), v: new Float32Array(n), g: new Float32Array(n) };
  for (const [t, norm] of [[1, 0.5], [2, 40], [3, 1.25]] as const) {
    const g = new Float32Array(rand(t + 10).map((x) => x * 0.01));
    opt.apply([tf.tensor1d(g)], norm, 3e-3);
    flat.g.set(g);
    AdamW.applyRange(DEFAULT_ADAMW, flat, 0, 601, t, norm, 3e-3);
    AdamW.applyRange(DEFAULT_ADAMW, flat, 601, 603, t, norm, 3e-3);
    AdamW.applyRange(DEFAULT_ADAMW, flat, 603, n, t, norm, 3e-3);
    assert.deepEqual(flat.w, w.dataSync(), `weights after update ${t}`);
    assert.deepEqual(flat.m, opt.m[0].dataSync(), `first moments after update ${t}`);
    assert.deepEqual(flat.v, opt.v[0].dataSync(), `second moments after update ${t}`);
  }
});
