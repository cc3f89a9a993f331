/**
 * BitLMv57 shapes and the formulas every part of bitscale shares: parameter count and training
 * FLOPs. Source: docs/model.md ("Shapes", "Forward pass"). Pure, no TensorFlow.js.
 */

/**
 * bitlm-v57: the ±1 model; bitlm-v52: its ablation with per-channel float α, RMSNorm and softmax
 * attention over ±1 weights; float-v52: the v52 stack with float weights, the reference a ±1
 * parameter is measured against (docs/model.md, "float-v52").
 */
export type Architecture = 'bitlm-v57' | 'bitlm-v52' | 'float-v52';

/** The model's shape. `seqLen` is T (context, in bytes), `vocab` is V (bytes 0..127). */
export interface ModelConfig {
  d: number;
  layers: number;
  heads: number;
  dFf: number;
  seqLen: number;
  vocab: number;
}

/**
 * ±1 (sign) parameters, every matrix counted once:
 *   N = L·(4d² + 3·d·d_ff) + 2·V·d
 * (Wq, Wk, Wv, Wo are d×d; Wg, Wu are d×d_ff and Wd d_ff×d; untied embedding and unembedding V×d.)
 * Example: d=1024, L=8, d_ff=512, V=128 → 46,399,488.
 */
export function countParams(c: Pick<ModelConfig, 'd' | 'layers' | 'dFf' | 'vocab'>): number {
  return c.layers * (4 * c.d * c.d + 3 * c.d * c.dFf) + 2 * c.vocab * c.d;
}

/**
 * The v52 variant's float parameters, counted apart from its ±1 matrices: a per-channel α on each
 * linear output (q, k, v, o, gate, up: 4d + 2·d_ff; down: d), two RMSNorm gains per layer (2d),
 * the final RMSNorm gain (d) and the logits' α (V):  L·(7d + 2·d_ff) + V + d.
 */
export function countV52FloatParams(c: Pick<ModelConfig, 'd' | 'layers' | 'dFf' | 'vocab'>): number {
  return c.layers * (7 * c.d + 2 * c.dFf) + c.vocab + c.d;
}

/**
 * All trainable parameters of an architecture: the weight matrices plus, for the v52 stack (±1 or
 * float weights), its float α and gains. Example: d=32, L=2, d_ff=16, V=128 → 19,456 + 672 = 20,128.
 */
export function countTrainableParams(c: ModelConfig, arch: Architecture = 'bitlm-v57'): number {
  return countParams(c) + (arch === 'bitlm-v57' ? 0 : countV52FloatParams(c));
}

/**
 * The trainable parameters stored and used as float values (a run log's `float_params`): none for
 * v57, v52's α and gains, and every parameter of float-v52 (its matrices are not binarised).
 */
export function countFloatParams(c: ModelConfig, arch: Architecture): number {
  if (arch === 'float-v52') return countTrainableParams(c, arch);
  return arch === 'bitlm-v52' ? countV52FloatParams(c) : 0;
}

/** Parameters that enter matmuls: everything but the embedding lookup (a one-hot row select). */
export function countMatmulParams(c: Pick<ModelConfig, 'd' | 'layers' | 'dFf' | 'vocab'>): number {
  return countParams(c) - c.vocab * c.d;
}

/**
 * Training FLOPs for one optimizer step over `batchSize` sequences of T tokens:
 *   6·N_matmul·tokens            (forward 2·N, backward 4·N per token; Kaplan et al. 2020 §2.1)
 * + 12·L·d·T·tokens              (q·kᵀ and y·v: 2·T·d each per token forward, ×3 with backward)
 * where tokens = batchSize·T. The attention term counts the full T×T square (the trainer computes
 * the masked half too). The embedding is a row lookup and is left out of N_matmul.
 */
export function trainingFlopsPerStep(c: ModelConfig, batchSize: number): number {
  const tokens = batchSize * c.seqLen;
  return 6 * countMatmulParams(c) * tokens + 12 * c.layers * c.d * c.seqLen * tokens;
}

/** Tokens consumed by a run: steps × batch size × T (one token is one byte here). */
export function tokensSeen(steps: number, batchSize: number, seqLen: number): number {
  return steps * batchSize * seqLen;
}

/** The seed report's configs (docs/model.md, "Shapes"). */
export const SEED_CONFIGS: Record<string, ModelConfig> = {
  '13.7M': { d: 640, layers: 6, heads: 20, dFf: 320, seqLen: 256, vocab: 128 },
  '46.4M': { d: 1024, layers: 8, heads: 32, dFf: 512, seqLen: 256, vocab: 128 },
  '300M': { d: 2048, layers: 16, heads: 32, dFf: 1024, seqLen: 256, vocab: 128 },
};
