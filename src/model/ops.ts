/**
 * The ±1 building blocks of BitLMv57 as custom-gradient ops (docs/model.md,
 * "Forward pass"). Every matMul here is a plain 2-D product without transpose flags, the only
 * fast one on the wasm backend; gradients use explicit transposes.
 */
import * as tf from '@tensorflow/tfjs-core';
import './gradients.js';
import { keptForBackward } from './kernels.js';
import { packSigns, signMatMulInto, type PackedSigns } from './sign-kernels.js';
import { readValues, registerWasmKernels } from './wasm-kernels.js';

type GradFn = (dy: tf.Tensor, saved: tf.Tensor[]) => tf.Tensor[];

/**
 * tf.customGrad with plain typing: f gets the input tensors and `save`, returns the value and a
 * gradient function (dy, saved tensors) → one gradient per input.
 */
export function customOp(f: (inputs: tf.Tensor[], save: tf.GradSaveFunc) => { value: tf.Tensor; gradFunc: GradFn }): (...xs: tf.Tensor[]) => tf.Tensor {
  registerWasmKernels();
  const wrapped = (...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const save = args.pop() as tf.GradSaveFunc;
    const r = f(args as tf.Tensor[], save);
    return { value: r.value, gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => r.gradFunc(dy as tf.Tensor, saved) };
  };
  return tf.customGrad(wrapped as unknown as Parameters<typeof tf.customGrad>[0]) as (...xs: tf.Tensor[]) => tf.Tensor;
}

/** Straight-through estimator for sign: "clipped" passes gradient where |z| ≤ 1, "identity" everywhere. */
export type SteKind = 'clipped' | 'identity';

/**
 * sign with sign(0) = +1: +1 where z ≥ 0 (−0 included), −1 elsewhere, as −step(−z, −1) (step(u, α)
 * is 1 where u > 0, else α). Unary float kernels only: on wasm the comparison route
 * (greaterEqual → bool → cast) cost 20× more (6.5 ms against 0.3 ms per million values). A NaN
 * stays NaN.
 */
export function signValues(z: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.neg(tf.step(tf.neg(z), -1)));
}

/** 1 where |z| ≤ 1, else 0 (the clipped STE's gradient mask, BinaryConnect / BNN), as 1 − step(|z| − 1): |z| − 1 is exact near 1 in fp32, so the boundary |z| = 1 passes. */
export function steMask(z: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.sub(1, tf.step(tf.sub(tf.abs(z), 1))));
}

/**
 * signSTE(z): forward +1 if z ≥ 0 else −1; backward dy·[|z| ≤ 1] (clipped) or dy (identity).
 */
export function signSTE(z: tf.Tensor, kind: SteKind = 'clipped'): tf.Tensor {
  const op = customOp(([x], save) => {
    save([x]);
    return {
      value: signValues(x),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const g = dy as tf.Tensor;
        return [kind === 'identity' ? g.clone() : tf.mul(g, steMask(saved[0]))];
      },
    };
  });
  return op(z);
}

/** Backends whose matMul the packed-bit product beats (measured: 7× at [1024, 512]·[512, 512] on wasm). */
const PACKED_SIGN_BACKENDS = new Set(['wasm', 'cpu']);

/**
 * What every signLinear that reads the same layer input x shares (q, k, v, gate and up all read
 * it): xᵀ, made by the first backward that needs it from its saved x, and, when x is declared ±1,
 * x's packed signs, made by the first forward. One per forward pass; xᵀ lives until the backward
 * pass ends, like every tensor made in a custom gradient.
 */
export class LayerInput {
  private t: tf.Tensor2D | null = null;
  private signs: PackedSigns | null | undefined;

  /** plusMinusOne: x holds only ±1 (a signSTE output), so its products may run on packed bits. */
  constructor(readonly plusMinusOne = false) {}

  transposed(x: tf.Tensor2D): tf.Tensor2D {
    if (this.t === null || this.t.isDisposed) this.t = tf.transpose(x);
    return this.t;
  }

  /** x's signs, packed once; null where the packed product does not apply (x not ±1, a backend with a fast matMul of its own, or a NaN in x). */
  packedSigns(x: tf.Tensor2D): PackedSigns | null {
    if (!this.plusMinusOne || !PACKED_SIGN_BACKENDS.has(tf.getBackend())) return null;
    if (this.signs === undefined) {
      this.signs = packSigns(readValues(x) as Float32Array, x.shape[0], x.shape[1]);
      keptForBackward.bytes += this.signs?.bits.byteLength ?? 0;
    }
    return this.signs;
  }
}

/**
 * lin(x, W) = (x · signSTE(W)) / sqrt(fan_in) for x [N, fan_in], W [fan_in, out]. The product is
 * taken first and scaled after, so ±1 inputs give exact integers before the scale (spec,
 * "Implementation notes"). Backward: dx = dy·(sign(W)ᵀ/√fan_in), dW = (xᵀ·dy)·(mask(W)/√fan_in),
 * the scales folded into the weight-sized factors so no extra pass runs over activations. Linears
 * that read the same x share one `LayerInput`, so that xᵀ is made once for all of them; when it
 * declares x ±1, the forward product runs on packed bits, with the same values bit for bit.
 */
export function signLinear(x: tf.Tensor2D, w: tf.Tensor2D, kind: SteKind = 'clipped', input: LayerInput = new LayerInput()): tf.Tensor2D {
  const [fanIn, out] = w.shape;
  const scale = 1 / Math.sqrt(fanIn);
  const op = customOp(([xin, win], save) => {
    const sw = signValues(win) as tf.Tensor2D;
    const swtScaled = tf.tidy(() => tf.mul(tf.transpose(sw), scale)) as tf.Tensor2D;
    const maskScaled = tf.tidy(() => (kind === 'clipped' ? tf.mul(steMask(win), scale) : tf.fill(win.shape, scale)));
    save([xin, swtScaled, maskScaled]);
    const xBits = input.packedSigns(xin as tf.Tensor2D);
    // sign(W)ᵀ·scale has sign(W)ᵀ's signs: its rows are the packed product's output columns.
    const wBits = xBits && packSigns(readValues(swtScaled) as Float32Array, out, fanIn);
    let value: tf.Tensor2D;
    if (xBits && wBits) {
      const values = new Float32Array(xBits.rows * out);
      signMatMulInto(xBits, wBits, scale, values);
      value = tf.tensor2d(values, [xBits.rows, out]);
    } else value = tf.tidy(() => tf.mul(tf.matMul(xin as tf.Tensor2D, sw), scale)) as tf.Tensor2D;
    sw.dispose();
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const g = dy as tf.Tensor2D;
        const [xs, swts, masks] = saved as tf.Tensor2D[];
        return [tf.matMul(g, swts), tf.mul(tf.matMul(input.transposed(xs), g), masks)];
      },
    };
  });
  return op(x, w) as tf.Tensor2D;
}

/** E[tokens] by copying rows in JavaScript: wasm's GatherV2 took ~30 ms for 2,048 rows of 128 to 512 values. */
function gatherRows(e: tf.Tensor2D, tokens: Int32Array): tf.Tensor2D {
  const [V, d] = e.shape;
  const values = e.dataSync() as Float32Array;
  const out = new Float32Array(tokens.length * d);
  tokens.forEach((tok, i) => {
    if (!(tok >= 0 && tok < V)) throw new Error(`embedRows: token ${tok} is outside the vocabulary of ${V}`);
    out.set(values.subarray(tok * d, (tok + 1) * d), i * d);
  });
  return tf.tensor2d(out, [tokens.length, d]);
}

/**
 * Embedding rows E[tokens] ([N, d]). Forward is a row gather; backward dE = onehotᵀ·dy as one
 * plain matMul (wasm has no gradient kernel for gather: tfjs-notes.md).
 */
export function embedRows(e: tf.Tensor2D, tokens: Int32Array): tf.Tensor2D {
  const [V] = e.shape;
  const N = tokens.length;
  const op = customOp(([ein], save) => {
    save([]);
    return {
      value: tf.getBackend() === 'wasm' ? gatherRows(ein as tf.Tensor2D, tokens) : tf.tidy(() => tf.gather(ein, tf.tensor1d(tokens, 'int32'))),
      gradFunc: (dy: tf.Tensor) => {
        const oneHotT = new Float32Array(V * N);
        for (let i = 0; i < N; i++) oneHotT[tokens[i] * N + i] = 1;
        return [tf.matMul(tf.tensor2d(oneHotT, [V, N]), dy as tf.Tensor2D)];
      },
    };
  });
  return op(e) as tf.Tensor2D;
}

/**
 * Mean next-byte cross-entropy in nats: −mean_i log softmax(logits_i)[target_i]; gradient
 * (softmax − onehot)/N.
 */
export function crossEntropyNats(logits: tf.Tensor2D, targets: Int32Array): tf.Scalar {
  const [N, V] = logits.shape;
  const op = customOp(([lin], save) => {
    const onehot = tf.oneHot(tf.tensor1d(targets, 'int32'), V);
    const logp = tf.logSoftmax(lin);
    save([logp, onehot]);
    return {
      value: tf.neg(tf.div(tf.sum(tf.mul(onehot, logp)), N)) as tf.Scalar,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => [tf.mul(tf.div(tf.sub(tf.exp(saved[0]), saved[1]), N), dy as tf.Tensor)],
    };
  });
  return op(logits) as tf.Scalar;
}

/**
 * RMSNorm(x)·g over the last axis of x [N, d]: y = x·r·g with r = 1/sqrt(mean(x²) + ε).
 * Backward: dx = r·(dy⊙g) − x·r³·mean((dy⊙g)⊙x); dg = Σ_rows dy⊙x·r.
 */
export function rmsNorm(x: tf.Tensor2D, g: tf.Tensor1D, eps = 1e-6): tf.Tensor2D {
  const op = customOp(([xin, gin], save) => {
    const r = tf.tidy(() => tf.rsqrt(tf.add(tf.mean(tf.square(xin), -1, true), eps)));
    save([xin, gin, r]);
    return {
      value: tf.tidy(() => tf.mul(tf.mul(xin, r), gin)),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xs, gs, rs] = saved;
        const dyg = tf.mul(dy, gs);
        const dx = tf.sub(tf.mul(dyg, rs), tf.mul(tf.mul(xs, tf.pow(rs, 3)), tf.mean(tf.mul(dyg, xs), -1, true)));
        const dg = tf.sum(tf.mul(tf.mul(dy, xs), rs), 0);
        return [dx, dg];
      },
    };
  });
  return op(x, g) as tf.Tensor2D;
}
