/**
 * The hard attention's scores and their gradients in kernels.wat, for keys j ≤ i only (the causal
 * half the tfjs path computes in full and masks), on q, k, v in their [B·T, d] layout (no head
 * transposes), one pass per query for bias, argmax and softmax, one per query row for the
 * gradient of the softmax path. Needs T and hd to be multiples of 4.
 */
import { kernelMemory, kernelModule, layoutRegions, timed } from './kernels.js';

/** The attention's batch, context and head count (q, k and v are [batch·seqLen, heads·head width]). */
export interface AttentionShape {
  batch: number;
  seqLen: number;
  heads: number;
}

/**
 * Softmax rows handed back by the backward pass, for the next forward to fill: one [B, H, T, T]
 * array per layer would otherwise be allocated and dropped every step.
 */
const spareRows: Float32Array[] = [];
const MAX_SPARE_ROWS = 16;

/** Whether the kernels take this shape (T and the head width multiples of 4). */
export function causalKernelFits(shape: AttentionShape, hd: number): boolean {
  return shape.seqLen % 4 === 0 && hd % 4 === 0 && hd > 0;
}

export interface CausalScores {
  /** [B, H, T]: the key each query takes (the first largest score). */
  idx: Int32Array;
  /** [B, H, T, T]: softmax over keys j ≤ i, row by row (zeros past i up to the row's last group of four; the rest of a row unset), or null in evaluation. */
  p: Float32Array | null;
}

/**
 * For q, k [B·T, d]: Z = (q·scale)·kᵀ + bias per head, bias = (alibi + noise_b)·(1/τ) in training
 * (noise: one array of H·T·T Gumbel draws per sample) or alibi in evaluation (noise null), over
 * j ≤ i; returns argmax and (training) softmax. The q·scale product is rounded to float32 first,
 * as tf.mul does.
 */
export function causalScores(q: Float32Array, k: Float32Array, alibi: Float32Array, noise: Float32Array[] | null, shape: AttentionShape, hd: number, scale: number, tau: number): CausalScores {
  return timed('causalAttention', () => causalScoresNow(q, k, alibi, noise, shape, hd, scale, tau));
}

function causalScoresNow(q: Float32Array, k: Float32Array, alibi: Float32Array, noise: Float32Array[] | null, shape: AttentionShape, hd: number, scale: number, tau: number): CausalScores {
  const { batch: B, seqLen: T, heads: H } = shape;
  const n = B * T * H * hd;
  const tt = H * T * T;
  const training = noise !== null;
  const { at, end } = layoutRegions([4 * n, 4 * n, 4 * tt, training ? 4 * B * tt : 0, 4 * B * H * T, training ? 4 * B * tt : 0, 4 * hd * T, 16 * T]);
  const [qAt, kAt, alibiAt, noiseAt, idxAt, pAt, kTAt, zAt] = at;
  const mem = kernelMemory(end);
  const qs = new Float32Array(mem, qAt, n);
  const s = Math.fround(scale);
  for (let i = 0; i < n; i++) qs[i] = q[i] * s;
  new Float32Array(mem, kAt, n).set(k);
  new Float32Array(mem, alibiAt, tt).set(alibi);
  noise?.forEach((g, b) => {
    if (g.length !== tt) throw new Error(`causalScores: sample ${b} has ${g.length} draws, expected ${tt}`);
    new Float32Array(mem, noiseAt + 4 * b * tt, tt).set(g);
  });
  kernelModule().attn_forward(qAt, kAt, alibiAt, training ? noiseAt : 0, B, T, H, hd, 1 / tau, idxAt, training ? pAt : 0, kTAt, zAt);
  let p: Float32Array | null = null;
  if (training) {
    p = spareRows.pop() ?? new Float32Array(B * tt);
    if (p.length !== B * tt) p = new Float32Array(B * tt);
    p.set(new Float32Array(mem, pAt, B * tt));
  }
  return { idx: new Int32Array(mem, idxAt, B * H * T).slice(), p };
}

/**
 * Gradients of the softmax path for q and k ([B·T, d] each) from dout [B·T, d], v, and p as
 * causalScores returned it: dP = dout·vᵀ, dZ = P ⊙ (dP − Σ_j dP ⊙ P), dq = dZ·k·scale,
 * dk = dZᵀ·q·scale, per head over j ≤ i. Takes p back for a later causalScores (do not use it
 * after); dq and dk are views of the kernels' memory, valid until the next kernel call.
 */
export function causalScoreGrads(q: Float32Array, k: Float32Array, v: Float32Array, dout: Float32Array, p: Float32Array, shape: AttentionShape, hd: number, scale: number): { dq: Float32Array; dk: Float32Array } {
  return timed('causalAttention', () => causalScoreGradsNow(q, k, v, dout, p, shape, hd, scale));
}

function causalScoreGradsNow(q: Float32Array, k: Float32Array, v: Float32Array, dout: Float32Array, p: Float32Array, shape: AttentionShape, hd: number, scale: number): { dq: Float32Array; dk: Float32Array } {
  const { batch: B, seqLen: T, heads: H } = shape;
  const n = B * T * H * hd;
  const { at, end } = layoutRegions([4 * n, 4 * n, 4 * n, 4 * n, 4 * p.length, 4 * n, 4 * n, 4 * hd * T, 4 * T * T]);
  const [qAt, kAt, vAt, doutAt, pAt, dqAt, dkAt, vTAt, dzAt] = at;
  const mem = kernelMemory(end);
  new Float32Array(mem, qAt, n).set(q);
  new Float32Array(mem, kAt, n).set(k);
  new Float32Array(mem, vAt, n).set(v);
  new Float32Array(mem, doutAt, n).set(dout);
  new Float32Array(mem, pAt, p.length).set(p);
  kernelModule().attn_backward(qAt, kAt, vAt, doutAt, pAt, B, T, H, hd, scale, dqAt, dkAt, vTAt, dzAt);
  if (spareRows.length < MAX_SPARE_ROWS) spareRows.push(p);
  return { dq: new Float32Array(mem, dqAt, n), dk: new Float32Array(mem, dkAt, n) };
}
