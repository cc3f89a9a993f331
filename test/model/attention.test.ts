import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useWasm, maxAbsDiff } from './helpers.js';
import { alibiBias, alibiSlopes, gumbelAlibiBias, hardAttention, MASKED_SCORE, softAttention } from '../../src/model/attention.js';
import { causalKernelFits } from '../../src/model/attention-kernels.js';
import { mulberry32, gumbelArray } from '../../src/model/rng.js';

const tf = await useWasm();
type T = import('@tensorflow/tfjs-core').Tensor;

test('ALiBi slopes are 2^(−8h/H): 1/2 … 1/256 for H = 8', () => {
  assert.deepEqual(alibiSlopes(8), [1 / 2, 1 / 4, 1 / 8, 1 / 16, 1 / 32, 1 / 64, 1 / 128, 1 / 256]);
  assert.equal(alibiSlopes(20)[19], 2 ** -8);
});

test('the ALiBi bias is −m_h·(i − j) on and below the diagonal and masked above it', () => {
  const T = 3;
  const b = alibiBias(2, T); // slopes 1/16, 1/256
  const at = (h: number, i: number, j: number) => b[(h * T + i) * T + j];
  assert.equal(at(0, 0, 0), -0);
  assert.equal(at(0, 2, 0), -2 / 16);
  assert.equal(at(1, 2, 1), -1 / 256);
  assert.equal(at(0, 0, 1), MASKED_SCORE);
  assert.equal(at(1, 1, 2), MASKED_SCORE);
});

test('the Gumbel bias is (alibi + g)/τ per sample, each operation rounded to float32', () => {
  const [h, t] = [2, 3];
  const al = alibiBias(h, t);
  const g = [gumbelArray(h * t * t, mulberry32(3)), gumbelArray(h * t * t, mulberry32(4))];
  const got = gumbelAlibiBias(tf.tensor3d(al, [h, t, t]), g, 0.7).dataSync();
  const f = Math.fround;
  const want = g.flatMap((gb) => Array.from(gb, (x, i) => f(f(al[i] + x) * f(1 / 0.7))));
  assert.deepEqual(Array.from(got), want);
  assert.throws(() => gumbelAlibiBias(tf.tensor3d(al, [h, t, t]), [g[0].subarray(1)], 0.7), /sample 0 has 17 draws, expected 18/);
});

/**
 * The hard attention's specification checked on one problem, laid out [B·T, d]: on T = 5, hd = 3
 * by the backend's kernels (the causal kernels need multiples of 4), on T = 8, hd = 4 by the causal
 * kernels; `path` says which is expected.
 */
function hardAttentionSuite(name: string, B: number, T: number, H: number, hd: number, seed: number, path: 'tfjs' | 'kernels') {
  const d = H * hd;
  const rand = mulberry32(seed);
  const arr = (n: number) => Array.from({ length: n }, () => 2 * rand() - 1);
  const q0 = arr(B * T * d), k0 = arr(B * T * d), v0 = arr(B * T * d), R = arr(B * T * d);
  const tau = 0.7;
  const alibi = alibiBias(H, T);
  const noiseAll = gumbelArray(B * H * T * T, mulberry32(seed + 4));
  const noise = Array.from({ length: B }, (_, b) => noiseAll.subarray(b * H * T * T, (b + 1) * H * T * T));
  const biasArr = gumbelAlibiBias(tf.tensor3d(alibi, [H, T, T]), noise, tau).dataSync();
  const shape = { batch: B, seqLen: T, heads: H };
  const at = (x: ArrayLike<number>, b: number, i: number, h: number, c: number) => x[(b * T + i) * d + h * hd + c];

  /** Z[b,h,i,j] = (q·k/√hd)/τ + bias, in float64. */
  function zRef(q: number[], k: number[]): number[] {
    const z: number[] = [];
    for (let b = 0; b < B; b++)
      for (let h = 0; h < H; h++)
        for (let i = 0; i < T; i++)
          for (let j = 0; j < T; j++) {
            let s = 0;
            for (let c = 0; c < hd; c++) s += at(q, b, i, h, c) * at(k, b, j, h, c);
            z.push(s / Math.sqrt(hd) / tau + biasArr[((b * H + h) * T + i) * T + j]);
          }
    return z;
  }

  /** L_soft(q, k) = Σ_{b,h,i,j} softmax(Z)[b,h,i,j] · (v_j · R_i): the softmax path with v fixed. */
  function softLoss(q: number[], k: number[]): number {
    const z = zRef(q, k);
    let L = 0;
    for (let b = 0; b < B; b++)
      for (let h = 0; h < H; h++)
        for (let i = 0; i < T; i++) {
          const row = z.slice(((b * H + h) * T + i) * T, ((b * H + h) * T + i + 1) * T);
          const mx = Math.max(...row);
          const e = row.map((x) => Math.exp(x - mx));
          const sum = e.reduce((a, c) => a + c, 0);
          for (let j = 0; j < T; j++) {
            let vr = 0;
            for (let c = 0; c < hd; c++) vr += at(v0, b, j, h, c) * at(R, b, i, h, c);
            L += (e[j] / sum) * vr;
          }
        }
    return L;
  }

  /** The key each query picks: argmax_j Z[b,h,i,j] (first maximum). */
  function chosenKeys(z: number[]): number[] {
    const keys: number[] = [];
    for (let r = 0; r < B * H * T; r++) {
      const row = z.slice(r * T, (r + 1) * T);
      keys.push(row.indexOf(Math.max(...row)));
    }
    return keys;
  }

  function runHard(q: number[], k: number[], v: number[]) {
    const f = (a: T, b: T, c: T) => hardAttention(a as never, b as never, c as never, shape, { alibi: tf.tensor3d(alibi, [H, T, T]), noise, tau });
    const out = f(tf.tensor2d(q, [B * T, d]), tf.tensor2d(k, [B * T, d]), tf.tensor2d(v, [B * T, d]));
    const grads = tf.grads((a: T, b: T, c: T) => tf.sum(tf.mul(f(a, b, c), tf.tensor2d(R, [B * T, d]))))([tf.tensor2d(q, [B * T, d]), tf.tensor2d(k, [B * T, d]), tf.tensor2d(v, [B * T, d])]);
    return { out: out.dataSync(), dq: grads[0].dataSync(), dk: grads[1].dataSync(), dv: grads[2].dataSync() };
  }

  test(`${name}: the shape takes the ${path} path`, () => {
    assert.equal(causalKernelFits(shape, hd), path === 'kernels');
  });

  test(`${name}: hard attention forward is the one-hot of argmax(Z) times v: each query copies one causal key's v row`, () => {
    const keys = chosenKeys(zRef(q0, k0));
    const { out } = runHard(q0, k0, v0);
    const expected: number[] = new Array(B * T * d).fill(0);
    for (let b = 0; b < B; b++)
      for (let h = 0; h < H; h++)
        for (let i = 0; i < T; i++) {
          const j = keys[(b * H + h) * T + i];
          assert.ok(j <= i, 'the choice is causal');
          for (let c = 0; c < hd; c++) expected[(b * T + i) * d + h * hd + c] = at(v0, b, j, h, c);
        }
    assert.ok(maxAbsDiff(out, expected) < 1e-6);
  });

  test(`${name}: hard attention gradients for q and k equal the softmax path's (finite differences of L_soft)`, () => {
    const { dq, dk } = runHard(q0, k0, v0);
    const h = 1e-4;
    const num = (which: 'q' | 'k', idx: number) => {
      const plus = (which === 'q' ? q0 : k0).slice();
      const minus = plus.slice();
      plus[idx] += h;
      minus[idx] -= h;
      return which === 'q' ? (softLoss(plus, k0) - softLoss(minus, k0)) / (2 * h) : (softLoss(q0, plus) - softLoss(q0, minus)) / (2 * h);
    };
    const numQ = q0.map((_, i) => num('q', i));
    const numK = k0.map((_, i) => num('k', i));
    assert.ok(maxAbsDiff(dq, numQ) < 1e-3, `dq differs by ${maxAbsDiff(dq, numQ)}`);
    assert.ok(maxAbsDiff(dk, numK) < 1e-3, `dk differs by ${maxAbsDiff(dk, numK)}`);
  });

  test(`${name}: hard attention gradient for v is the one-hotᵀ · dout (the forward value's own gradient)`, () => {
    const keys = chosenKeys(zRef(q0, k0));
    const { dv } = runHard(q0, k0, v0);
    const expected: number[] = new Array(B * T * d).fill(0);
    for (let b = 0; b < B; b++)
      for (let h = 0; h < H; h++)
        for (let i = 0; i < T; i++) {
          const j = keys[(b * H + h) * T + i];
          for (let c = 0; c < hd; c++) expected[(b * T + j) * d + h * hd + c] += at(R, b, i, h, c);
        }
    assert.ok(maxAbsDiff(dv, expected) < 1e-6);
  });

  test(`${name}: evaluation-mode attention with equal scores picks the oldest position`, () => {
    const flat = new Float32Array(H * T * T).map((_, n) => (n % T > Math.floor(n / T) % T ? MASKED_SCORE : 0));
    const v = Array.from({ length: B * T * d }, (_, n) => Math.floor(n / d) % T); // v row = its position
    const out = hardAttention(tf.zeros([B * T, d]) as never, tf.zeros([B * T, d]) as never, tf.tensor2d(v, [B * T, d]) as never, shape, { alibi: tf.tensor3d(flat, [H, T, T]), noise: null, tau: 1 });
    assert.ok(Array.from(out.dataSync()).every((x) => x === 0));
  });
}

hardAttentionSuite('T = 5, hd = 3', 2, 5, 2, 3, 7, 'tfjs');
hardAttentionSuite('T = 8, hd = 4', 2, 8, 2, 4, 17, 'kernels');

test('the causal kernels and the backend kernels agree on a trainer-sized head (T = 32, hd = 16): same keys, values and gradients to float rounding', () => {
  const [B, T, H, hd] = [2, 32, 4, 16];
  const d = H * hd;
  const shape = { batch: B, seqLen: T, heads: H };
  const rand = mulberry32(5);
  const arr = () => tf.tensor2d(Array.from({ length: B * T * d }, () => 2 * rand() - 1), [B * T, d]);
  const [q, k, v, R] = [arr(), arr(), arr(), arr()];
  const noise = Array.from({ length: B }, (_, b) => gumbelArray(H * T * T, mulberry32(40 + b)));
  const alibi = tf.tensor3d(alibiBias(H, T), [H, T, T]);
  const run = (path: 'auto' | 'tfjs') => {
    const f = (a: T, b: T, c: T) => tf.sum(tf.mul(hardAttention(a as never, b as never, c as never, shape, { alibi, noise, tau: 0.6, path }), R));
    const out = hardAttention(q, k, v, shape, { alibi, noise, tau: 0.6, path }).dataSync();
    const evalOut = hardAttention(q, k, v, shape, { alibi, noise: null, tau: 1, path }).dataSync();
    return { out, evalOut, grads: tf.grads(f)([q, k, v]).map((g) => g.dataSync()) };
  };
  const kernels = run('auto');
  const backend = run('tfjs');
  assert.deepEqual(Array.from(kernels.out), Array.from(backend.out));
  assert.deepEqual(Array.from(kernels.evalOut), Array.from(backend.evalOut));
  kernels.grads.forEach((g, i) => {
    const scale = Math.max(...Array.from(backend.grads[i], Math.abs));
    assert.ok(maxAbsDiff(g, backend.grads[i]) <= 1e-5 * scale, `gradient ${i} differs by ${maxAbsDiff(g, backend.grads[i])} (largest ${scale})`);
  });
});

test('softmax attention (v52) gradients match finite differences for q, k and v', () => {
  const [B, T, H, hd] = [2, 5, 2, 3];
  const d = H * hd;
  const rand = mulberry32(7);
  const arr = (n: number) => Array.from({ length: n }, () => 2 * rand() - 1);
  const q0 = arr(B * T * d), k0 = arr(B * T * d), v0 = arr(B * T * d), R = arr(B * T * d);
  const shape = { batch: B, seqLen: T, heads: H };
  const al = tf.tensor3d(alibiBias(H, T), [H, T, T]);
  const f = (a: T, b: T, c: T) => tf.sum(tf.mul(softAttention(a as never, b as never, c as never, shape, al), tf.tensor2d(R, [B * T, d])));
  const val = (q: number[], k: number[], v: number[]) => tf.tidy(() => f(tf.tensor2d(q, [B * T, d]), tf.tensor2d(k, [B * T, d]), tf.tensor2d(v, [B * T, d])).dataSync()[0]);
  const g = tf.grads(f)([tf.tensor2d(q0, [B * T, d]), tf.tensor2d(k0, [B * T, d]), tf.tensor2d(v0, [B * T, d])]).map((x) => x.dataSync());
  const h = 1e-2;
  const inputs = [q0, k0, v0];
  for (let w = 0; w < 3; w++) {
    for (const idx of [0, 7, 20, 41, 59]) {
      const p = inputs.map((x) => x.slice());
      const m = inputs.map((x) => x.slice());
      p[w][idx] += h;
      m[w][idx] -= h;
      const numeric = (val(p[0], p[1], p[2]) - val(m[0], m[1], m[2])) / (2 * h);
      assert.ok(Math.abs(g[w][idx] - numeric) < 2e-3, `input ${w} index ${idx}: ${g[w][idx]} vs ${numeric}`);
    }
  }
});

test('softmax attention (v52): the causal kernels and the backend kernels agree on a trainer-sized head (T = 32, hd = 16), values and gradients to float rounding', () => {
  const [B, T, H, hd] = [2, 32, 4, 16];
  const d = H * hd;
  const shape = { batch: B, seqLen: T, heads: H };
  assert.ok(causalKernelFits(shape, hd));
  const rand = mulberry32(9);
  // Scores spread over several units, as a trained model's are, so that the softmax is not flat.
  const arr = (s: number) => tf.tensor2d(Array.from({ length: B * T * d }, () => s * (2 * rand() - 1)), [B * T, d]);
  const [q, k, v, R] = [arr(3), arr(3), arr(1), arr(1)];
  const alibi = tf.tensor3d(alibiBias(H, T), [H, T, T]);
  const run = (path: 'auto' | 'tfjs') => {
    const f = (a: T, b: T, c: T) => tf.sum(tf.mul(softAttention(a as never, b as never, c as never, shape, alibi, path), R));
    return { out: softAttention(q, k, v, shape, alibi, path).dataSync(), grads: tf.grads(f)([q, k, v]).map((g) => g.dataSync()) };
  };
  const kernels = run('auto');
  const backend = run('tfjs');
  const outScale = Math.max(...Array.from(backend.out, Math.abs));
  assert.ok(maxAbsDiff(kernels.out, backend.out) <= 1e-6 * outScale, `outputs differ by ${maxAbsDiff(kernels.out, backend.out)}`);
  kernels.grads.forEach((g, i) => {
    const scale = Math.max(...Array.from(backend.grads[i], Math.abs));
    assert.ok(maxAbsDiff(g, backend.grads[i]) <= 1e-5 * scale, `gradient ${i} differs by ${maxAbsDiff(g, backend.grads[i])} (largest ${scale})`);
  });
  // Row 0 of every head attends only to itself: its output is v's row 0, exactly.
  for (let c = 0; c < d; c++) assert.equal(kernels.out[c], v.dataSync()[c]);
});

test('the causal kernels take the first largest score over j ≤ i, ties and all (integer scores, exact in float32)', async () => {
  const { causalScores } = await import('../../src/model/attention-kernels.js');
  const [B, T, H, hd] = [2, 16, 2, 4];
  const d = H * hd;
  const rand = mulberry32(21);
  // Entries in {−1, 0, 1}: scores are small integers, so many keys tie for the largest.
  const ints = () => Float32Array.from({ length: B * T * d }, () => Math.floor(3 * rand()) - 1);
  const q = ints();
  const k = ints();
  const { idx } = causalScores(q, k, new Float32Array(H * T * T), null, { batch: B, seqLen: T, heads: H }, hd, 1, 1);
  let ties = 0;
  for (let b = 0; b < B; b++)
    for (let h = 0; h < H; h++)
      for (let i = 0; i < T; i++) {
        const z = Array.from({ length: i + 1 }, (_, j) => {
          let s = 0;
          for (let c = 0; c < hd; c++) s += q[(b * T + i) * d + h * hd + c] * k[(b * T + j) * d + h * hd + c];
          return s;
        });
        const best = Math.max(...z);
        if (z.filter((x) => x === best).length > 1) ties++;
        assert.equal(idx[(b * H + h) * T + i], z.indexOf(best), `b ${b} h ${h} query ${i}`);
      }
  assert.ok(ties > 20, `only ${ties} rows with a tie`);
});
