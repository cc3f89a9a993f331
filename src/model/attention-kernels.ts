/**
 * The causal attentions in kernels.wat, for keys j ≤ i only (the causal half the tfjs path computes
 * in full and masks), on q, k, v in their [B·T, d] layout (no head transposes): the hard
 * attention's scores (one pass per query for bias, argmax and softmax) and the gradients of its
 * softmax path; softmax attention's (v52's) softmax, output P·v and all three gradients. Needs T
 * and hd to be multiples of 4.
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
  return timed('causalAttention', () => causalScoresNow(q, k, alibi, noise, shape, hd, scale, tau, null).scores);
}

/**
 * Softmax attention (v52) for q, k, v [B·T, d]: P = softmax((q·scale)·kᵀ + alibi) over j ≤ i per
 * head, out = P·v ([B·T, d], a view of the kernels' memory, valid until the next kernel call), and
 * P ([B, H, T, T] as causalScores lays it out) for causalSoftGrads.
 */
export function causalSoftAttention(q: Float32Array, k: Float32Array, v: Float32Array, alibi: Float32Array, shape: AttentionShape, hd: number, scale: number): { out: Float32Array; p: Float32Array } {
  return timed('causalAttention', () => {
    const { scores, out } = causalScoresNow(q, k, alibi, null, shape, hd, scale, 1, v);
    return { out: out!, p: scores.p! };
  });
}

/** causalScores, and with v (softmax attention) the softmax rows kept and out = P·v. */
function causalScoresNow(q: Float32Array, k: Float32Array, alibi: Float32Array, noise: Float32Array[] | null, shape: AttentionShape, hd: number, scale: number, tau: number, v: Float32Array | null): { scores: CausalScores; out: Float32Array | null } {
  const { batch: B, seqLen: T, heads: H } = shape;
  const n = B * T * H * hd;
  const tt = H * T * T;
  const keepRows = noise !== null || v !== null;
  const { at, end } = layoutRegions([4 * n, 4 * n, 4 * tt, noise ? 4 * B * tt : 0, 4 * B * H * T, keepRows ? 4 * B * tt : 0, 4 * hd * T, 16 * T, v ? 4 * n : 0, v ? 4 * n : 0]);
  const [qAt, kAt, alibiAt, noiseAt, idxAt, pAt, kTAt, zAt, vAt, outAt] = at;
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
  kernelModule().attn_forward(qAt, kAt, alibiAt, noise ? noiseAt : 0, B, T, H, hd, 1 / tau, idxAt, keepRows ? pAt : 0, kTAt, zAt);
  let out: Float32Array | null = null;
  if (v) {
    new Float32Array(mem, vAt, n).set(v);
    kernelModule().attn_apply(pAt, vAt, B, T, H, hd, outAt);
    out = new Float32Array(mem, outAt, n);
  }
  let p: Float32Array | null = null;
  if (keepRows) {
    p = spareRows.pop() ?? new Float32Array(B * tt);
    if (p.length !== B * tt) p = new Float32Array(B * tt);
    p.set(new Float32Array(mem, pAt, B * tt));
  }
  return { scores: { idx: new Int32Array(mem, idxAt, B * H * T).slice(), p }, out };
}

/**
 * Gradients of the softmax path for q and k ([B·T, d] each) from dout [B·T, d], v, and p as
 * causalScores returned it: dP = dout·vᵀ, dZ = P ⊙ (dP − Σ_j dP ⊙ P), dq = dZ·k·scale,
 * dk = dZᵀ·q·scale, per head over j ≤ i. Takes p back for a later causalScores (do not use it
 * after); dq and dk are views of the kernels' memory, valid until the next kernel call.
 */
export function causalScoreGrads(q: Float32Array, k: Float32Array, v: Float32Array, dout: Float32Array, p: Float32Array, shape: AttentionShape, hd: number, scale: number): { dq: Float32Array; dk: Float32Array } {
  return timed('causalAttention', () => causalGradsNow(q, k, v, dout, p, shape, hd, scale, false));
}

/**
 * Softmax attention's gradients for q, k and v from dout and causalSoftAttention's p: those of
 * causalScoreGrads and dv = Pᵀ·dout per head. Takes p back as causalScoreGrads does; the three are
 * views of the kernels' memory, valid until the next kernel call.
 */
export function causalSoftGrads(q: Float32Array, k: Float32Array, v: Float32Array, dout: Float32Array, p: Float32Array, shape: AttentionShape, hd: number, scale: number): { dq: Float32Array; dk: Float32Array; dv: Float32Array } {
  return timed('causalAttention', () => causalGradsNow(q, k, v, dout, p, shape, hd, scale, true) as { dq: Float32Array; dk: Float32Array; dv: Float32Array });
}

function causalGradsNow(q: Float32Array, k: Float32Array, v: Float32Array, dout: Float32Array, p: Float32Array, shape: AttentionShape, hd: number, scale: number, withDv: boolean): { dq: Float32Array; dk: Float32Array; dv?: Float32Array } {
  const { batch: B, seqLen: T, heads: H } = shape;
  const n = B * T * H * hd;
  const { at, end } = layoutRegions([4 * n, 4 * n, 4 * n, 4 * n, 4 * p.length, 4 * n, 4 * n, 4 * hd * T, 4 * T * T, withDv ? 4 * n : 0]);
  const [qAt, kAt, vAt, doutAt, pAt, dqAt, dkAt, vTAt, dzAt, dvAt] = at;
  const mem = kernelMemory(end);
  new Float32Array(mem, qAt, n).set(q);
  new Float32Array(mem, kAt, n).set(k);
  new Float32Array(mem, vAt, n).set(v);
  new Float32Array(mem, doutAt, n).set(dout);
  new Float32Array(mem, pAt, p.length).set(p);
  kernelModule().attn_backward(qAt, kAt, vAt, doutAt, pAt, B, T, H, hd, scale, dqAt, dkAt, withDv ? dvAt : 0, vTAt, dzAt);
  if (spareRows.length < MAX_SPARE_ROWS) spareRows.push(p);
  const grads = { dq: new Float32Array(mem, dqAt, n), dk: new Float32Array(mem, dkAt, n) };
  return withDv ? { ...grads, dv: new Float32Array(mem, dvAt, n) } : grads;
}
