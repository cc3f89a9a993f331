/**
 * The ±1 building blocks of BitLMv57 as custom-gradient ops (docs/model.md,
 * "Forward pass"). Every matMul here is a plain 2-D product without transpose flags, the only
 * fast one on the wasm backend; gradients use explicit transposes.
 */
import * as tf from '@tensorflow/tfjs-core';
import './gradients.js';
import { KERNEL_BACKENDS, keptForBackward } from './kernels.js';
import { packSignColumns, packSignRowsAndColumns, packSigns, signGemm, signMatMul, type PackedSigns } from './sign-kernels.js';
import { readValues, registerWasmKernels, scratchZeros, tensorOf } from './wasm-kernels.js';

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

/** Whether signLinear runs its products in bitscale's kernels on the current backend. */
export function signKernelsApply(): boolean {
  return KERNEL_BACKENDS.has(tf.getBackend());
}

/**
 * What every signLinear that reads the same layer input x shares (q, k, v, gate and up all read
 * it), made once by the first linear that needs it: xᵀ (the weight gradients' float product) and,
 * when x is declared ±1 and the kernels apply, x's packed rows (the forward's popcount product) and
 * packed columns (the weight gradients' table-lookup product, in place of xᵀ). One per forward
 * pass; what it holds lives until the backward pass ends.
 */
export class LayerInput {
  private t: tf.Tensor2D | null = null;
  private rows: PackedSigns | null | undefined;
  private columns: PackedSigns | null | undefined;

  /**
   * plusMinusOne: x holds only ±1 (a signSTE output), so its products may run on packed bits;
   * kernels: the products that read x may run on bitscale's kernels at all (default: where the
   * backend is one they beat).
   */
  constructor(
    readonly plusMinusOne = false,
    readonly kernels = signKernelsApply(),
  ) {}

  transposed(x: tf.Tensor2D): tf.Tensor2D {
    if (this.t === null || this.t.isDisposed) this.t = tf.transpose(x);
    return this.t;
  }

  /** x's rows as signs, packed once; null where they do not apply (x not ±1, a backend with a fast matMul of its own, or a NaN in x). */
  packedSigns(x: tf.Tensor2D): PackedSigns | null {
    if (this.rows === undefined) this.rows = this.pack(x, packSigns);
    return this.rows;
  }

  /** x's columns as signs (the rows of xᵀ), packed once; null where they do not apply. */
  packedColumns(x: tf.Tensor2D): PackedSigns | null {
    if (this.columns === undefined) this.columns = this.pack(x, packSignColumns);
    return this.columns;
  }

  private pack(x: tf.Tensor2D, packer: (values: Float32Array, rows: number, cols: number) => PackedSigns | null): PackedSigns | null {
    if (!this.plusMinusOne || !this.kernels) return null;
    const packed = packer(readValues(x) as Float32Array, x.shape[0], x.shape[1]);
    keptForBackward.bytes += packed?.bits.byteLength ?? 0;
    return packed;
  }
}

/**
 * lin(x, W) = (x · signSTE(W)) / sqrt(fan_in) for x [N, fan_in], W [fan_in, out]. The product is
 * taken first and scaled after, so ±1 inputs give exact integers before the scale (spec,
 * "Implementation notes"). Backward: dx = dy·sign(W)ᵀ/√fan_in, dW = (xᵀ·dy)·(mask(W)/√fan_in).
 * Linears that read the same x share one `LayerInput`, so that what is made from x is made once.
 *
 * On wasm and cpu every product with a ±1 factor runs in bitscale's kernels: x·sign(W) by popcount
 * where x is ±1 (the same values bit for bit), else by table lookup, as do dy·sign(W)ᵀ and, for ±1
 * x, xᵀ·dy; those sum in another order than a float matMul, so they agree with it to float
 * rounding. Elsewhere (and for row counts not a multiple of 4) the products are the backend's
 * matMuls, with the scales folded into the weight-sized factors.
 */
export function signLinear(x: tf.Tensor2D, w: tf.Tensor2D, kind: SteKind = 'clipped', input: LayerInput = new LayerInput()): tf.Tensor2D {
  const [fanIn, out] = w.shape;
  const scale = 1 / Math.sqrt(fanIn);
  const op = customOp(([xin, win], save) => {
    const rows = xin.shape[0];
    const maskScaled = tf.tidy(() => (kind === 'clipped' ? tf.mul(steMask(win), scale) : tf.fill(win.shape, scale)));
    // The kernels' operands: sign(W)'s columns for the forward and its rows for dx, packed from W
    // itself (w < 0 is −1, as in signValues), and for ±1 x its packed rows (forward) and columns (dW).
    const wSigns = input.kernels && rows % 4 === 0 ? packSignRowsAndColumns(readValues(win) as Float32Array, fanIn, out) : null;
    const xColumns = wSigns && out % 4 === 0 ? input.packedColumns(xin as tf.Tensor2D) : null;
    let value: tf.Tensor2D;
    if (wSigns) {
      const xRows = input.packedSigns(xin as tf.Tensor2D);
      const product = xRows ? signMatMul(xRows, wSigns.columns, scale) : signGemm(readValues(xin) as Float32Array, rows, wSigns.columns, scale);
      value = tensorOf(product, [rows, out]) as tf.Tensor2D;
      save(xColumns ? [maskScaled] : [xin, maskScaled]);
    } else {
      const sw = signValues(win) as tf.Tensor2D;
      value = tf.tidy(() => tf.mul(tf.matMul(xin as tf.Tensor2D, sw), scale)) as tf.Tensor2D;
      save([xin, tf.tidy(() => tf.mul(tf.transpose(sw), scale)), maskScaled]);
      sw.dispose();
    }
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const g = dy as tf.Tensor2D;
        if (!wSigns) {
          const [xs, swts, masks] = saved as tf.Tensor2D[];
          return [tf.matMul(g, swts), tf.mul(tf.matMul(input.transposed(xs), g), masks)];
        }
        const masks = saved[saved.length - 1];
        // dy's values are a view of wasm memory, stale once a tensor is made: read them per product.
        const dx = tensorOf(signGemm(readValues(g) as Float32Array, rows, wSigns.rows, scale), [rows, fanIn]);
        const xtdy = xColumns ? tensorOf(signGemm(readValues(g) as Float32Array, out, xColumns, 1, true), [fanIn, out]) : tf.matMul(input.transposed(saved[0] as tf.Tensor2D), g);
        return [dx, tf.mul(xtdy, masks)];
      },
    };
  });
  return op(x, w) as tf.Tensor2D;
}

/**
 * float-v52's linear: lin(x, W) = x · W, the place of signLinear's x·sign(W)/√fan_in taken by a
 * float W (the ±1 weight with its fixed 1/√fan_in gain becomes one learned float weight; with W =
 * sign(V)/√fan_in the two agree). Backward: dx = dy·Wᵀ, dW = xᵀ·dy, with explicit transposes
 * (wasm's only fast matMul is the plain one); xᵀ is shared through `input` with the other linears
 * that read x.
 */
export function floatLinear(x: tf.Tensor2D, w: tf.Tensor2D, input: LayerInput = new LayerInput()): tf.Tensor2D {
  const op = customOp(([xin, win], save) => {
    save([xin, tf.transpose(win)]);
    return {
      value: tf.matMul(xin as tf.Tensor2D, win as tf.Tensor2D),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xs, wt] = saved as tf.Tensor2D[];
        return [tf.matMul(dy as tf.Tensor2D, wt), tf.matMul(input.transposed(xs), dy as tf.Tensor2D)];
      },
    };
  });
  return op(x, w) as tf.Tensor2D;
}

/** E[tokens] by copying rows in JavaScript: wasm's GatherV2 took ~30 ms for 2,048 rows of 128 to 512 values. */
function gatherRows(e: tf.Tensor2D, tokens: Int32Array): tf.Tensor2D {
  const [V, d] = e.shape;
  const values = readValues(e) as Float32Array;
  const out = scratchZeros(tokens.length * d);
  tokens.forEach((tok, i) => {
    if (!(tok >= 0 && tok < V)) throw new Error(`embedRows: token ${tok} is outside the vocabulary of ${V}`);
    out.set(values.subarray(tok * d, (tok + 1) * d), i * d);
  });
  return tensorOf(out, [tokens.length, d]) as tf.Tensor2D;
}

/**
 * Embedding rows E[tokens] ([N, d]). Forward is a row gather; backward dE = onehotᵀ·dy, on wasm and
 * cpu as a scatter-add of dy's rows in JavaScript, elsewhere as one plain matMul (wasm has no
 * gradient kernel for gather: tfjs-notes.md).
 */
export function embedRows(e: tf.Tensor2D, tokens: Int32Array): tf.Tensor2D {
  const [V] = e.shape;
  const N = tokens.length;
  const op = customOp(([ein], save) => {
    save([]);
    return {
      value: tf.getBackend() === 'wasm' ? gatherRows(ein as tf.Tensor2D, tokens) : tf.tidy(() => tf.gather(ein, tf.tensor1d(tokens, 'int32'))),
      gradFunc: (dy: tf.Tensor) => {
        if (signKernelsApply()) {
          // dE[token] += dy row, in row order: the one-hot product without its V·N multiplications.
          const [, d] = dy.shape;
          const rowsIn = readValues(dy) as Float32Array;
          const dE = scratchZeros(V * d);
          for (let i = 0; i < N; i++) for (let c = 0, at = tokens[i] * d, from = i * d; c < d; c++) dE[at + c] += rowsIn[from + c];
          return [tensorOf(dE, [V, d])];
        }
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
