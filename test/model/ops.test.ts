import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useWasm, maxAbsDiff } from './helpers.js';
import { crossEntropyNats, embedRows, rmsNorm, signLinear, signSTE, signValues, steMask, LayerInput } from '../../src/model/ops.js';

const tf = await useWasm();
const xs = [-2, -1, -0.5, 0, 0.5, 1, 2];

test('signSTE maps z ≥ 0 to +1 and z < 0 to −1 (sign(0) = +1)', () => {
  assert.deepEqual(Array.from(signSTE(tf.tensor1d(xs)).dataSync()), [-1, -1, -1, 1, 1, 1, 1]);
});

test('sign and the STE mask by unary kernels: −0 and 0 give +1, |z| = 1 and the largest float below it pass, the next float above 1 does not', () => {
  const above1 = 1 + 2 ** -23;
  const z = tf.tensor1d([-0, 0, -1e-30, 1e-30, -1, 1, -above1, above1, 1 - 2 ** -24, -Infinity, Infinity]);
  assert.deepEqual(Array.from(signValues(z).dataSync()), [1, 1, -1, 1, -1, 1, -1, 1, 1, -1, 1]);
  assert.deepEqual(Array.from(steMask(z).dataSync()), [1, 1, 1, 1, 1, 1, 0, 0, 1, 0, 0]);
});

test('the clipped STE passes the gradient only where |z| ≤ 1', () => {
  const w = tf.tensor1d([1, 2, 3, 4, 5, 6, 7]);
  const g = tf.grad((x: import('@tensorflow/tfjs-core').Tensor) => tf.sum(tf.mul(signSTE(x, 'clipped'), w)))(tf.tensor1d(xs));
  assert.deepEqual(Array.from(g.dataSync()), [0, 2, 3, 4, 5, 6, 0]);
});

test('the identity STE passes the gradient everywhere', () => {
  const w = tf.tensor1d([1, 2, 3, 4, 5, 6, 7]);
  const g = tf.grad((x: import('@tensorflow/tfjs-core').Tensor) => tf.sum(tf.mul(signSTE(x, 'identity'), w)))(tf.tensor1d(xs));
  assert.deepEqual(Array.from(g.dataSync()), [1, 2, 3, 4, 5, 6, 7]);
});

test('lin(x, W) = x·sign(W)/sqrt(fan_in), dx = dy·sign(W)ᵀ/√fan_in, dW = xᵀ·dy/√fan_in masked by |W| ≤ 1', () => {
  // fan_in 4 → scale 1/2. W [4, 2].
  const x = tf.tensor2d([[1, -1, 1, 1]]);
  const W = tf.tensor2d([[0.3, -0.2], [-2, 0.1], [0.5, 1.5], [-0.1, 0]]);
  // sign(W) = [[1,-1],[-1,1],[1,1],[-1,1]] → x·sign(W) = [1+1+1-1, -1-1+1+1] = [2, 0] → /2 = [1, 0].
  assert.deepEqual(Array.from(signLinear(x as never, W as never).dataSync()), [1, 0]);
  const dy = tf.tensor2d([[1, 3]]);
  const [dx, dW] = tf.grads((a: import('@tensorflow/tfjs-core').Tensor, b: import('@tensorflow/tfjs-core').Tensor) => tf.sum(tf.mul(signLinear(a as never, b as never), dy)))([x, W]);
  // dx_i = Σ_o dy_o sign(W)_io / 2 = [(1-3)/2, (-1+3)/2, (1+3)/2, (-1+3)/2]
  assert.deepEqual(Array.from(dx.dataSync()), [-1, 1, 2, 1]);
  // dW_io = x_i dy_o / 2, zero where |W| > 1 (W[1][0] = -2, W[2][1] = 1.5).
  assert.deepEqual(Array.from(dW.dataSync()), [0.5, 1.5, -0, -1.5, 0.5, 0, 0.5, 1.5]);
});

test('linears sharing one LayerInput give the same gradients as linears with their own', () => {
  const x = tf.randomNormal([6, 4], 0, 1, 'float32', 3);
  const ws = [tf.randomNormal([4, 3], 0, 1, 'float32', 4), tf.randomNormal([4, 5], 0, 1, 'float32', 5)];
  const r = [tf.randomNormal([6, 3], 0, 1, 'float32', 6), tf.randomNormal([6, 5], 0, 1, 'float32', 7)];
  const loss = (shared: boolean) => (a: import('@tensorflow/tfjs-core').Tensor, b: import('@tensorflow/tfjs-core').Tensor, c: import('@tensorflow/tfjs-core').Tensor) => {
    const memo = shared ? new LayerInput() : undefined;
    return tf.add(tf.sum(tf.mul(signLinear(a as never, b as never, 'clipped', memo), r[0])), tf.sum(tf.mul(signLinear(a as never, c as never, 'clipped', memo), r[1])));
  };
  const own = tf.grads(loss(false))([x, ...ws]);
  const shared = tf.grads(loss(true))([x, ...ws]);
  own.forEach((g, i) => assert.deepEqual(Array.from(shared[i].dataSync()), Array.from(g.dataSync()), `input ${i}`));
});

test('embedding rows gather E[token] and scatter-add the gradient back to the used rows', () => {
  const E = tf.tensor2d([[1, 2], [3, 4], [5, 6]]);
  const tokens = new Int32Array([2, 0, 2]);
  assert.deepEqual(Array.from(embedRows(E as never, tokens).dataSync()), [5, 6, 1, 2, 5, 6]);
  const dy = tf.tensor2d([[1, 1], [10, 10], [100, 100]]);
  const g = tf.grad((e: import('@tensorflow/tfjs-core').Tensor) => tf.sum(tf.mul(embedRows(e as never, tokens), dy)))(E);
  assert.deepEqual(Array.from(g.dataSync()), [10, 10, 0, 0, 101, 101]);
  assert.throws(() => embedRows(E as never, new Int32Array([3])), /token 3 is outside the vocabulary of 3/);
});

test('cross-entropy of uniform logits is ln V nats, and its gradient is (softmax − onehot)/N', () => {
  const logits = tf.zeros([2, 4]);
  const targets = new Int32Array([1, 3]);
  assert.ok(Math.abs(crossEntropyNats(logits as never, targets).dataSync()[0] - Math.log(4)) < 1e-6);
  const g = tf.grad((l: import('@tensorflow/tfjs-core').Tensor) => crossEntropyNats(l as never, targets))(logits);
  assert.ok(maxAbsDiff(g.dataSync(), [0.125, -0.375, 0.125, 0.125, 0.125, 0.125, 0.125, -0.375]) < 1e-6);
});

test('RMSNorm gradients match central finite differences', () => {
  const x0 = [0.5, -1.2, 2.0, 0.3, -0.7, 1.1];
  const g0 = [1.5, 0.5, -1.0];
  const r = [0.2, -0.4, 1.0, 0.7, 0.1, -0.3];
  const f = (x: number[], g: number[]) => tf.tidy(() => tf.sum(tf.mul(rmsNorm(tf.tensor2d(x, [2, 3]) as never, tf.tensor1d(g) as never), tf.tensor2d(r, [2, 3]))).dataSync()[0]);
  const [dx, dg] = tf.grads((a: import('@tensorflow/tfjs-core').Tensor, b: import('@tensorflow/tfjs-core').Tensor) => tf.sum(tf.mul(rmsNorm(a as never, b as never), tf.tensor2d(r, [2, 3]))))([tf.tensor2d(x0, [2, 3]), tf.tensor1d(g0)]);
  const h = 1e-2;
  const numX = x0.map((_, i) => (f(x0.map((v, j) => (j === i ? v + h : v)), g0) - f(x0.map((v, j) => (j === i ? v - h : v)), g0)) / (2 * h));
  const numG = g0.map((_, i) => (f(x0, g0.map((v, j) => (j === i ? v + h : v))) - f(x0, g0.map((v, j) => (j === i ? v - h : v)))) / (2 * h));
  assert.ok(maxAbsDiff(dx.dataSync(), numX) < 2e-3, `dx ${Array.from(dx.dataSync())} vs ${numX}`);
  assert.ok(maxAbsDiff(dg.dataSync(), numG) < 2e-3);
});

test('signLinear on bitscale\'s kernels equals the formula written in backend ops: the ±1-input forward bit for bit, everything else to float rounding', () => {
  type Tn = import('@tensorflow/tfjs-core').Tensor;
  const rows = 12;
  const ws = [tf.randomNormal([70, 9], 0, 1, 'float32', 9), tf.randomNormal([70, 16], 0, 1, 'float32', 10)] as import('@tensorflow/tfjs-core').Tensor2D[];
  const r = [tf.randomNormal([rows, 9], 0, 1, 'float32', 11), tf.randomNormal([rows, 16], 0, 1, 'float32', 12)];
  const scale = 1 / Math.sqrt(70);
  /** The spec's lin and its gradients in plain backend ops, for loss Σ_i Σ lin(x, W_i) ⊙ r_i. */
  const reference = (x: Tn) => {
    const value = ws.map((w) => tf.mul(tf.matMul(x as never, signValues(w) as never), scale));
    const dx = ws.reduce((acc: Tn, w, i) => tf.add(acc, tf.matMul(r[i] as never, tf.transpose(signValues(w)) as never)), tf.zeros([rows, 70]));
    const dW = ws.map((w, i) => tf.mul(tf.mul(tf.matMul(tf.transpose(x) as never, r[i] as never), steMask(w)), scale));
    return { value: value.map((v) => Array.from(v.dataSync())), grads: [tf.mul(dx, scale), ...dW].map((g) => Array.from(g.dataSync())) };
  };
  for (const plusMinusOne of [true, false]) {
    const x = (plusMinusOne ? signValues(tf.randomNormal([rows, 70], 0, 1, 'float32', 8)) : tf.randomNormal([rows, 70], 0, 1, 'float32', 8)) as import('@tensorflow/tfjs-core').Tensor2D;
    const input = new LayerInput(plusMinusOne);
    const value = ws.map((w) => Array.from(signLinear(x, w, 'clipped', new LayerInput(plusMinusOne)).dataSync()));
    const f = (a: Tn, b: Tn, c: Tn) => tf.add(tf.sum(tf.mul(signLinear(a as never, b as never, 'clipped', input), r[0])), tf.sum(tf.mul(signLinear(a as never, c as never, 'clipped', input), r[1])));
    const grads = tf.grads(f)([x, ...ws]).map((g) => Array.from(g.dataSync()));
    const want = reference(x);
    assert.equal(input.packedSigns(x) !== null, plusMinusOne, 'a ±1 input is packed');
    value.forEach((v, i) => {
      if (plusMinusOne) assert.deepEqual(v, want.value[i], `value ${i}`);
      else assert.ok(maxAbsDiff(v, want.value[i]) <= 1e-5 * Math.max(...want.value[i].map(Math.abs)), `value ${i}: ${maxAbsDiff(v, want.value[i])}`);
    });
    grads.forEach((g, i) => {
      const largest = Math.max(...want.grads[i].map(Math.abs));
      assert.ok(maxAbsDiff(g, want.grads[i]) <= 1e-5 * largest, `${plusMinusOne ? '±1' : 'float'} input, gradient ${i}: differs by ${maxAbsDiff(g, want.grads[i])} (largest ${largest})`);
    });
  }
});
