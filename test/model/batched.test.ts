import { test } from 'node:test';
import assert from 'node:assert/strict';
import { maxAbsDiff, useWasm } from './helpers.js';
import { batchedMatMul, matMulEach } from '../../src/model/batched.js';
import { mulberry32 } from '../../src/model/rng.js';

const tf = await useWasm();
const rand = mulberry32(3);
const arr = (n: number) => Float32Array.from({ length: n }, () => 2 * rand() - 1);

/** a[i]·b[i] in float64, the definition. */
function reference(a: Float32Array, b: Float32Array, B: number, M: number, K: number, N: number): Float64Array {
  const out = new Float64Array(B * M * N);
  for (let i = 0; i < B; i++)
    for (let r = 0; r < M; r++)
      for (let c = 0; c < N; c++) {
        let s = 0;
        for (let k = 0; k < K; k++) s += a[(i * M + r) * K + k] * b[(i * K + k) * N + c];
        out[(i * M + r) * N + c] = s;
      }
  return out;
}

for (const [B, M, K, N] of [[1, 3, 2, 4], [5, 7, 3, 6], [12, 16, 8, 16]]) {
  test(`the wasm per-entry kernel equals a[i]·b[i] and the plain per-entry path for [${B}×${M}×${K}]·[${B}×${K}×${N}]`, () => {
    const a = arr(B * M * K);
    const b = arr(B * K * N);
    const ta = tf.tensor3d(a, [B, M, K]);
    const tb = tf.tensor3d(b, [B, K, N]);
    const before = tf.memory().numTensors;
    const fast = batchedMatMul(ta, tb);
    assert.equal(tf.memory().numTensors, before + 1, 'one output tensor, nothing else left behind');
    const plain = matMulEach(ta, tb);
    assert.deepEqual(fast.shape, [B, M, N]);
    assert.ok(maxAbsDiff(fast.dataSync(), reference(a, b, B, M, K, N)) < 1e-5);
    assert.ok(maxAbsDiff(fast.dataSync(), plain.dataSync()) < 1e-6);
    // The operands are untouched and later allocations do not disturb the result.
    assert.deepEqual(ta.dataSync(), a);
    const again = batchedMatMul(ta, tb);
    assert.deepEqual(again.dataSync(), fast.dataSync());
    for (const t of [ta, tb, fast, plain, again]) t.dispose();
  });
}

test('mismatched shapes are an error', () => {
  const a = tf.zeros([2, 3, 4]) as import('@tensorflow/tfjs-core').Tensor3D;
  const b = tf.zeros([2, 5, 4]) as import('@tensorflow/tfjs-core').Tensor3D;
  assert.throws(() => batchedMatMul(a, b), /do not match/);
});
