/**
 * Causal attention with ALiBi for BitLMv57 (hard, Gumbel straight-through) and v52 (softmax), each
 * ONE custom-gradient op (docs/training.md, "bitscale's kernels"). On wasm and cpu both run in
 * bitscale's causal kernels (attention-kernels.ts), else as per-head products through
 * `batchedMatMul` (plain 2-D matMuls on wasm). The hard attention's forward y·v is a row gather of
 * v and its gradient for v a scatter-add, both done on the selected indices.
 */
import * as tf from '@tensorflow/tfjs-core';
import { causalKernelFits, causalScoreGrads, causalScores, causalSoftAttention, causalSoftGrads, type AttentionShape } from './attention-kernels.js';
import { batchedMatMul } from './batched.js';
import { KERNEL_BACKENDS, keptForBackward } from './kernels.js';
import { customOp } from './ops.js';
import { readValues, scratchZeros, tensorOf } from './wasm-kernels.js';

/** Additive score for future positions: exp(−1e9/τ) is 0 in fp32, without the NaNs of −∞. */
export const MASKED_SCORE = -1e9;

/** ALiBi slopes m_h = 2^(−8h/H), h = 1..H (Press et al. 2022; the spec keeps it for any H). */
export function alibiSlopes(heads: number): number[] {
  return Array.from({ length: heads }, (_, i) => Math.pow(2, (-8 * (i + 1)) / heads));
}

/** [H, T, T]: −m_h·(i − j) for j ≤ i, MASKED_SCORE for j > i (causal). */
export function alibiBias(heads: number, seqLen: number): Float32Array {
  const slopes = alibiSlopes(heads);
  const T = seqLen;
  const out = new Float32Array(heads * T * T);
  for (let h = 0; h < heads; h++)
    for (let i = 0; i < T; i++)
      for (let j = 0; j < T; j++) out[(h * T + i) * T + j] = j <= i ? -slopes[h] * (i - j) : MASKED_SCORE;
  return out;
}

/** [B·T, d] → [B·H, T, hd]. */
function toHeads(x: tf.Tensor, s: AttentionShape, hd: number): tf.Tensor3D {
  const { batch: B, seqLen: T, heads: H } = s;
  return tf.reshape(tf.transpose(tf.reshape(x, [B, T, H, hd]), [0, 2, 1, 3]), [B * H, T, hd]);
}

/** [B·T, d] → [B·H, hd, T]. */
function toHeadsT(x: tf.Tensor, s: AttentionShape, hd: number): tf.Tensor3D {
  const { batch: B, seqLen: T, heads: H } = s;
  return tf.reshape(tf.transpose(tf.reshape(x, [B, T, H, hd]), [0, 2, 3, 1]), [B * H, hd, T]);
}

/** [B·H, T, hd] → [B·T, d]. */
function fromHeads(y: tf.Tensor, s: AttentionShape, hd: number): tf.Tensor2D {
  const { batch: B, seqLen: T, heads: H } = s;
  return tf.reshape(tf.transpose(tf.reshape(y, [B, H, T, hd]), [0, 2, 1, 3]), [B * T, H * hd]);
}

/** Z = (q·kᵀ)·scale + bias as [B, H, T, T]; the scale is applied to q (d-sized, not T²-sized). */
function scores(q: tf.Tensor, k: tf.Tensor, bias: tf.Tensor, scale: number, s: AttentionShape, hd: number): tf.Tensor4D {
  const { batch: B, seqLen: T, heads: H } = s;
  const raw = batchedMatMul(toHeads(tf.mul(q, scale), s, hd), toHeadsT(k, s, hd));
  return tf.add(tf.reshape(raw, [B, H, T, T]), bias) as tf.Tensor4D;
}

/**
 * Gradients for q and k from dL/dP through P = softmax(Z), Z = (q·kᵀ)·scale + bias:
 *   dZ = P ⊙ (dP − Σ_j dP⊙P);  dq = dZ·(k·scale);  dk = dZᵀ·(q·scale).
 */
function softmaxPathGrads(dP: tf.Tensor3D, p: tf.Tensor3D, q: tf.Tensor, k: tf.Tensor, scale: number, s: AttentionShape, hd: number): [tf.Tensor2D, tf.Tensor2D] {
  const dz = tf.mul(p, tf.sub(dP, tf.sum(tf.mul(dP, p), -1, true))) as tf.Tensor3D;
  const dq = fromHeads(batchedMatMul(dz, toHeads(tf.mul(k, scale), s, hd)), s, hd);
  // dk = dZᵀ·(q·scale) per head, from a transposed dZ: [T, T]·[T, hd] takes XNNPACK's fast shape,
  // where (q·scale)ᵀ·dZ, [hd, T]·[T, T], packs a T×T operand per head (3× slower at hd = 16).
  const dk = fromHeads(batchedMatMul(tf.transpose(dz, [0, 2, 1]) as tf.Tensor3D, toHeads(tf.mul(q, scale), s, hd)), s, hd);
  return [dq, dk];
}

export interface HardAttentionOptions {
  /** The ALiBi bias [H, T, T] (see `alibiBias`). */
  alibi: tf.Tensor3D;
  /**
   * Training: one array of H·T·T standard Gumbel draws per sample (laid out [H, T, T]), added to
   * the alibi and scaled by 1/τ; null: evaluation (the plain alibi, no gradient).
   */
  noise: Float32Array[] | null;
  /** Gumbel temperature: shapes the gradient only, never the forward choice. */
  tau: number;
  /** "tfjs": the backend's kernels even where the causal ones would run (a model off bitscale's kernels; tests compare the two). */
  path?: 'auto' | 'tfjs';
}

/**
 * (alibi + g)/τ for a batch as a [B, H, T, T] tensor: bias[b,h,i,j] =
 * (alibi[h,i,j] + noise[b][(h·T + i)·T + j])/τ, with noise[b] the H·T·T Gumbel draws of sample b,
 * each operation rounded to float32. The draws are copied into `scratch` (a reused buffer: tensors
 * copy their values when made) and the sum and scale run as two backend kernels, which beat one
 * pass in JavaScript (~5 ns per value) by several times.
 */
export function gumbelAlibiBias(alibi: tf.Tensor3D, noise: Float32Array[], tau: number, scratch = new Float32Array(noise.length * alibi.size)): tf.Tensor4D {
  const n = alibi.size;
  if (scratch.length !== noise.length * n) throw new Error(`gumbelAlibiBias: scratch holds ${scratch.length} values, expected ${noise.length * n}`);
  noise.forEach((g, b) => {
    if (g.length !== n) throw new Error(`gumbelAlibiBias: sample ${b} has ${g.length} draws, expected ${n}`);
    scratch.set(g, b * n);
  });
  return tf.tidy(() => tf.mul(tf.add(tf.tensor4d(scratch, [noise.length, ...alibi.shape]), alibi), 1 / tau));
}

/**
 * The hard attention's row moves for the chosen key j = idx[b,h,i] of each query i, per head:
 * gather out[b,i,h,:] = src[b,j,h,:] (forward y·v), or scatter-add out[b,j,h,:] += src[b,i,h,:]
 * (the gradient onehotᵀ·dout). Arrays are [B·T, d] with head h in columns h·hd … h·hd + hd − 1.
 */
function moveHeadRows(idx: Int32Array, src: Float32Array, out: Float32Array, s: AttentionShape, hd: number, mode: 'gather' | 'scatter-add'): void {
  const { batch: B, seqLen: T, heads: H } = s;
  const d = H * hd;
  for (let b = 0; b < B; b++)
    for (let h = 0; h < H; h++)
      for (let i = 0; i < T; i++) {
        const rowI = (b * T + i) * d + h * hd;
        const rowJ = (b * T + idx[(b * H + h) * T + i]) * d + h * hd;
        if (mode === 'gather') for (let c = 0; c < hd; c++) out[rowI + c] = src[rowJ + c];
        else for (let c = 0; c < hd; c++) out[rowJ + c] += src[rowI + c];
      }
}

/**
 * Causal Gumbel-hard-argmax straight-through attention for q, k, v [B·T, d]:
 *   Z = (q·kᵀ/√hd + alibi + g)/τ,  P = softmax(Z),  Y = onehot(argmax Z) (forward),
 *   out = Y·v;  backward as for Y = onehot − stopgrad(P) + P: dv = Yᵀ·dout, dP = dout·vᵀ.
 * τ > 0 does not change the argmax. Ties go to the oldest position. On wasm and cpu the scores
 * and their gradients run in the causal kernels (attention-kernels.ts) where T and hd allow;
 * elsewhere, as backend kernels over the full T×T square.
 */
export function hardAttention(q: tf.Tensor2D, k: tf.Tensor2D, v: tf.Tensor2D, shape: AttentionShape, opts: HardAttentionOptions): tf.Tensor2D {
  const { batch: B, seqLen: T, heads: H } = shape;
  const d = q.shape[1];
  const hd = d / H;
  const scale = 1 / (Math.sqrt(hd) * opts.tau);
  const useKernels = opts.path !== 'tfjs' && KERNEL_BACKENDS.has(tf.getBackend()) && causalKernelFits(shape, hd);
  const op = customOp(([qin, kin, vin], save) => {
    let idx: Int32Array;
    let p: Float32Array | tf.Tensor3D | null;
    if (useKernels) {
      ({ idx, p } = causalScores(readValues(qin) as Float32Array, readValues(kin) as Float32Array, readValues(opts.alibi) as Float32Array, opts.noise, shape, hd, scale, opts.tau));
      keptForBackward.bytes += p?.byteLength ?? 0;
    } else {
      const bias = opts.noise ? gumbelAlibiBias(opts.alibi, opts.noise, opts.tau) : opts.alibi;
      const z = tf.tidy(() => scores(qin, kin, bias, scale, shape, hd));
      if (bias !== opts.alibi) bias.dispose();
      const idxT = tf.argMax(z, -1);
      idx = idxT.dataSync() as Int32Array; // [B, H, T]: the chosen key position per query
      idxT.dispose();
      p = opts.noise ? tf.tidy(() => tf.reshape(tf.softmax(z), [B * H, T, T]) as tf.Tensor3D) : null;
      z.dispose();
    }
    const out = scratchZeros(B * T * d);
    moveHeadRows(idx, readValues(vin) as Float32Array, out, shape, hd, 'gather');
    save(p instanceof tf.Tensor ? [qin, kin, vin, p] : [qin, kin, vin]);
    return {
      value: tensorOf(out, [B * T, d]) as tf.Tensor2D,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [qs, ks, vs, ps] = saved;
        if (!p) throw new Error('hardAttention: no gradient in evaluation mode');
        const dvValues = scratchZeros(B * T * d);
        moveHeadRows(idx, readValues(dy) as Float32Array, dvValues, shape, hd, 'scatter-add');
        const dv = tensorOf(dvValues, [B * T, d]);
        if (p instanceof Float32Array) {
          const g = causalScoreGrads(readValues(qs) as Float32Array, readValues(ks) as Float32Array, readValues(vs) as Float32Array, readValues(dy) as Float32Array, p, shape, hd, scale);
          return [tensorOf(g.dq, [B * T, d]), tensorOf(g.dk, [B * T, d]), dv];
        }
        const dP = batchedMatMul(toHeads(dy, shape, hd), toHeadsT(vs, shape, hd));
        const [dq, dk] = softmaxPathGrads(dP, ps as tf.Tensor3D, qs, ks, scale, shape, hd);
        return [dq, dk, dv];
      },
    };
  });
  return op(q, k, v) as tf.Tensor2D;
}

/**
 * Causal softmax attention with ALiBi (the v52 variant): P = softmax(q·kᵀ/√hd + alibi), out = P·v.
 * Backward: dv = Pᵀ·dout, dP = dout·vᵀ, then the softmax path for q and k (τ = 1). On wasm and cpu
 * all of it runs in the causal kernels (attention-kernels.ts) where T and hd allow, over keys j ≤ i
 * and without [B, H, T, T] tensors; elsewhere (or with path 'tfjs') as backend kernels over the full
 * square. The two agree to float rounding.
 */
export function softAttention(q: tf.Tensor2D, k: tf.Tensor2D, v: tf.Tensor2D, shape: AttentionShape, alibi: tf.Tensor, path: 'auto' | 'tfjs' = 'auto'): tf.Tensor2D {
  const { batch: B, seqLen: T, heads: H } = shape;
  const d = q.shape[1];
  const hd = d / H;
  const scale = 1 / Math.sqrt(hd);
  const useKernels = path !== 'tfjs' && KERNEL_BACKENDS.has(tf.getBackend()) && causalKernelFits(shape, hd);
  const op = customOp(([qin, kin, vin], save) => {
    if (useKernels) {
      const { out, p } = causalSoftAttention(readValues(qin) as Float32Array, readValues(kin) as Float32Array, readValues(vin) as Float32Array, readValues(alibi) as Float32Array, shape, hd, scale);
      keptForBackward.bytes += p.byteLength;
      save([qin, kin, vin]);
      return {
        value: tensorOf(out, [B * T, d]) as tf.Tensor2D,
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
          const [qs, ks, vs] = saved;
          const g = causalSoftGrads(readValues(qs) as Float32Array, readValues(ks) as Float32Array, readValues(vs) as Float32Array, readValues(dy) as Float32Array, p, shape, hd, scale);
          return [tensorOf(g.dq, [B * T, d]), tensorOf(g.dk, [B * T, d]), tensorOf(g.dv, [B * T, d])];
        },
      };
    }
    const p = tf.tidy(() => tf.reshape(tf.softmax(scores(qin, kin, alibi, scale, shape, hd)), [B * H, T, T]) as tf.Tensor3D);
    save([qin, kin, vin, p]);
    return {
      value: tf.tidy(() => fromHeads(batchedMatMul(p, toHeads(vin, shape, hd)), shape, hd)),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [qs, ks, vs, ps] = saved;
        const dOutH = toHeads(dy as tf.Tensor, shape, hd);
        const dv = fromHeads(batchedMatMul(tf.transpose(ps, [0, 2, 1]) as tf.Tensor3D, dOutH), shape, hd);
        const dP = batchedMatMul(dOutH, toHeadsT(vs, shape, hd));
        const [dq, dk] = softmaxPathGrads(dP, ps as tf.Tensor3D, qs, ks, scale, shape, hd);
        return [dq, dk, dv];
      },
    };
  });
  return op(q, k, v) as tf.Tensor2D;
}
