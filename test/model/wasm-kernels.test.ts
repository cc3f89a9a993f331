import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useWasm } from './helpers.js';
import { selectBackend } from '../../src/train/backend.js';
import { blockTransposeShape, leadingSumShape, readValues, registerWasmKernels, scratchZeros, tensorOf } from '../../src/model/wasm-kernels.js';

const tf = await useWasm();
registerWasmKernels();

/** out[i] by index arithmetic: the definition of a transpose. */
function reference(values: number[], shape: number[], perm: number[]): number[] {
  const outShape = perm.map((a) => shape[a]);
  const strides = shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
  const n = values.length;
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    let rest = i;
    let from = 0;
    for (let k = outShape.length - 1; k >= 0; k--) {
      from += (rest % outShape[k]) * strides[perm[k]];
      rest = Math.floor(rest / outShape[k]);
    }
    out.push(values[from]);
  }
  return out;
}

test('the block transpose recognises 2-D, batched and run transposes after merging axes, and nothing else', () => {
  assert.deepEqual(blockTransposeShape([6, 4], [1, 0]), { batch: 1, rows: 6, cols: 4, run: 1 });
  assert.deepEqual(blockTransposeShape([2, 5, 3, 4], [0, 2, 1, 3]), { batch: 2, rows: 5, cols: 3, run: 4 });
  assert.deepEqual(blockTransposeShape([2, 5, 3, 4], [0, 2, 3, 1]), { batch: 2, rows: 5, cols: 12, run: 1 });
  assert.deepEqual(blockTransposeShape([2, 3, 4, 5], [0, 3, 1, 2]), { batch: 2, rows: 12, cols: 5, run: 1 });
  assert.deepEqual(blockTransposeShape([1, 6, 4], [0, 2, 1]), { batch: 1, rows: 6, cols: 4, run: 1 });
  assert.equal(blockTransposeShape([2, 3, 4], [2, 1, 0]), null);
  assert.equal(blockTransposeShape([2, 3, 4], [0, 1, 2]), null);
});

test("tf.transpose on wasm gives the definition's values for every permutation the model uses, for float32 and int32, and for others by the original kernel", () => {
  const cases: [number[], number[]][] = [
    [[37, 21], [1, 0]],
    [[3, 17, 4, 5], [0, 2, 1, 3]],
    [[3, 17, 4, 5], [0, 2, 3, 1]],
    [[3, 4, 5, 17], [0, 3, 1, 2]],
    [[6, 9, 11], [0, 2, 1]],
    [[9, 11, 3], [1, 0, 2]],
    [[4, 5, 6], [2, 0, 1]],
    [[4, 5, 6], [1, 2, 0]],
    [[1, 8, 1, 3], [3, 2, 1, 0]],
  ];
  for (const [shape, perm] of cases) {
    const n = shape.reduce((a, b) => a * b, 1);
    const values = Array.from({ length: n }, (_, i) => (i * 7919) % 1009);
    for (const dtype of ['float32', 'int32'] as const) {
      const y = tf.transpose(tf.tensor(values, shape, dtype), perm);
      assert.deepEqual(y.shape, perm.map((a) => shape[a]));
      assert.equal(y.dtype, dtype);
      assert.deepEqual(Array.from(y.dataSync()), reference(values, shape, perm), `${shape} by ${perm} (${dtype})`);
    }
  }
});

test('on wasm a clone shares its buffer yet outlives the original', () => {
  const x = tf.tensor1d([1.5, -2, 3]);
  const before = tf.memory().numBytes;
  const y = tf.clone(x);
  assert.equal(tf.memory().numBytes - before, 12, 'tf.memory still counts the handle');
  x.dispose();
  assert.deepEqual(Array.from(y.dataSync()), [1.5, -2, 3]);
  y.dispose();
});

test('readValues gives the values dataSync gives, float32 and int32, without a copy on wasm', () => {
  const f = tf.tensor2d([[1.5, -2], [3, 4.25]]);
  const i = tf.tensor1d([7, -8, 9], 'int32');
  assert.deepEqual(Array.from(readValues(f)), Array.from(f.dataSync()));
  assert.deepEqual(Array.from(readValues(i)), [7, -8, 9]);
  assert.ok(readValues(i) instanceof Int32Array);
  const a = readValues(f);
  const b = readValues(f);
  assert.equal(a.buffer, b.buffer, 'both views lie on the backend memory');
  assert.equal(a.byteOffset, b.byteOffset);
});

test('tensorOf: a tensor made from a transient buffer keeps its values when the buffer is reused (wasm copies them; other backends get a copy)', async () => {
  for (const backend of ['cpu', 'wasm'] as const) {
    await selectBackend(backend);
    const buffer = scratchZeros(4);
    buffer.set([1, 2, 3, 4]);
    const t = tensorOf(buffer, [2, 2]);
    scratchZeros(4).fill(9);
    assert.deepEqual(Array.from(t.dataSync()), [1, 2, 3, 4], backend);
    assert.deepEqual(Array.from(scratchZeros(3)), [0, 0, 0], 'scratch comes zeroed');
  }
});

test('a sum over leading axes is rows × columns; any other sum goes to the original kernel', () => {
  assert.deepEqual(leadingSumShape([2048, 512], [0]), { leading: 1, rows: 2048, columns: 512 });
  assert.deepEqual(leadingSumShape([2, 3, 4], [1, 0]), { leading: 2, rows: 6, columns: 4 });
  assert.deepEqual(leadingSumShape([2, 3, 4], [-3]), { leading: 1, rows: 2, columns: 12 });
  assert.equal(leadingSumShape([2, 3, 4], [1]), null);
  assert.equal(leadingSumShape([2, 3], [0, 1]), null);
  assert.equal(leadingSumShape([2, 3], [1]), null);
});

test('tf.sum over leading axes on wasm gives the bits of the original kernel (which sums the transposed rows in order), with and without keepDims', () => {
  const [R, C] = [2048, 96];
  const values = Float32Array.from({ length: R * C }, (_, i) => Math.sin(i * 1.37) * 3 + (i % 7) * 1e-3);
  const x = tf.tensor2d(values, [R, C]);
  // The original kernel: a last-axis sum, here of xᵀ (the replacement takes leading axes only).
  const original = tf.sum(tf.transpose(x), 1).dataSync();
  const replaced = tf.sum(x, 0);
  assert.deepEqual(replaced.shape, [C]);
  assert.deepEqual(Array.from(replaced.dataSync()), Array.from(original));
  // A float64 sum differs from both in the last bits somewhere: the test compares orders, not values.
  const exact = Array.from({ length: C }, (_, c) => { let t = 0; for (let r = 0; r < R; r++) t += values[r * C + c]; return Math.fround(t); });
  assert.ok(exact.some((v, c) => v !== original[c]));
  const x3 = tf.tensor3d(Array.from({ length: 24 }, (_, i) => i * 0.5 - 3), [2, 3, 4]);
  const kept = tf.sum(x3, [0, 1], true);
  assert.deepEqual(kept.shape, [1, 1, 4]);
  assert.deepEqual(Array.from(kept.dataSync()), [0, 1, 2, 3].map((c) => [0, 1, 2, 3, 4, 5].reduce((t, r) => t + (r * 4 + c) * 0.5 - 3, 0)));
  // Not leading: the original kernel, the definition's values.
  assert.deepEqual(Array.from(tf.sum(x3, 1).dataSync()), [0, 1].flatMap((a) => [0, 1, 2, 3].map((c) => [0, 1, 2].reduce((t, b) => t + (a * 12 + b * 4 + c) * 0.5 - 3, 0))));
  assert.deepEqual(Array.from(tf.sum(tf.tensor2d([1, 2, 3, 4], [2, 2], 'int32'), 0).dataSync()), [4, 6]);
});
