/**
 * The training-memory model: every tensor a BitLMv57 training step keeps alive at its peak, named,
 * with its shape and bytes per element. What an implementation really keeps differs (PyTorch eager
 * vs torch.compile vs the tfjs trainer), so the bytes per element of each tensor come from a named
 * storage preset; the saved [bs, H, T, T] tensors (scores, soft probabilities, one-hot), which
 * dominate at large batch because no flash-style kernel applies to hard-argmax attention, sum to
 * one documented parameter, `ttBytesPerElement`, that calibration bounds from evidence.
 * A preset may have several phases (tfjs: end of backward, optimizer update); the step's peak is
 * the largest. Parameter counts come from src/arch/bitlm.ts. Pure; no I/O.
 */
import { countMatmulParams, countParams, type ModelConfig } from '../arch/bitlm.js';
import { BitscaleError } from '../util/errors.js';
import { formatPercent } from '../util/format.js';

export type MemoryPrecision = 'fp32' | 'bf16-autocast';
export const MEMORY_PRECISIONS: readonly MemoryPrecision[] = ['fp32', 'bf16-autocast'];

/**
 * What the memory is for: the parts the report's chart stacks and its table labels. Every component
 * belongs to one; allocator fragmentation is a part of its own with no tensor.
 */
export const MEMORY_GROUPS = ['weights', 'weight_gradients', 'optimizer', 'activations', 'attention', 'activation_gradients', 'workspace', 'fragmentation'] as const;
export type MemoryGroup = (typeof MEMORY_GROUPS)[number];

/** How each part is named in tables and chart legends. */
export const MEMORY_GROUP_LABELS: Record<MemoryGroup, string> = {
  weights: 'weights (W, sign(W), ALiBi)',
  weight_gradients: 'weight gradients dL/dW',
  optimizer: 'AdamW state and update',
  activations: 'activations saved for backward',
  attention: 'attention T×T, saved',
  activation_gradients: 'activation gradients',
  workspace: 'workspace (layer in flight)',
  fragmentation: 'allocator fragmentation',
};

/** What one element of a component's shape is multiplied by. */
type ShapeKind =
  | 'params' // [N]
  | 'matmul-params' // [N_matmul]
  | 'alibi' // [H, T, T]
  | 'layer-d' // [bs, T, d] per layer
  | 'layer-dff' // [bs, T, d_ff] per layer
  | 'layer-tt' // [bs, H, T, T] per layer
  | 'one-tt' // [bs, H, T, T], one layer in flight
  | 'once-d' // [bs, T, d] once
  | 'once-v'; // [bs, T, V] once

/** The named tensors of a training step, in the order the breakdown lists them. */
export const COMPONENT_KEYS = [
  'latent_weights',
  'sign_weight_copies',
  'gradients',
  'weight_grad_temporaries',
  'adamw_m',
  'adamw_v',
  'optimizer_temporaries',
  'alibi',
  'embedding',
  'layer_input',
  'q',
  'k',
  'v',
  'attention_scores',
  'attention_probs',
  'attention_onehot',
  'gumbel_noise',
  'attention_output',
  'attention_proj',
  'ffn_gate_pre',
  'ffn_gate',
  'ffn_up',
  'ffn_h',
  'ffn_out',
  'residual_pre_sign',
  'final_hidden',
  'logits',
  'loss',
  'activation_grads_d',
  'activation_grads_dff',
  'attention_grads',
  'embedding_grads',
  'logit_grads',
  'attention_transient',
] as const;
export type ComponentKey = (typeof COMPONENT_KEYS)[number];

const SPECS: Record<ComponentKey, { label: string; group: MemoryGroup; kind: ShapeKind }> = {
  latent_weights: { label: 'latent weights W', group: 'weights', kind: 'params' },
  sign_weight_copies: { label: 'sign(W) copies', group: 'weights', kind: 'matmul-params' },
  gradients: { label: 'gradients dL/dW', group: 'weight_gradients', kind: 'params' },
  weight_grad_temporaries: { label: 'weight-gradient temporaries', group: 'weight_gradients', kind: 'matmul-params' },
  adamw_m: { label: 'AdamW m', group: 'optimizer', kind: 'params' },
  adamw_v: { label: 'AdamW v', group: 'optimizer', kind: 'params' },
  optimizer_temporaries: { label: 'AdamW update temporaries', group: 'optimizer', kind: 'params' },
  alibi: { label: 'ALiBi bias + causal mask', group: 'weights', kind: 'alibi' },
  embedding: { label: 'embedding rows E[token] (pre-sign)', group: 'activations', kind: 'once-d' },
  layer_input: { label: 'layer input x (±1)', group: 'activations', kind: 'layer-d' },
  q: { label: 'q', group: 'activations', kind: 'layer-d' },
  k: { label: 'k', group: 'activations', kind: 'layer-d' },
  v: { label: 'v', group: 'activations', kind: 'layer-d' },
  attention_scores: { label: 'attention scores s', group: 'attention', kind: 'layer-tt' },
  attention_probs: { label: 'soft probabilities p', group: 'attention', kind: 'layer-tt' },
  attention_onehot: { label: 'hard one-hot y', group: 'attention', kind: 'layer-tt' },
  gumbel_noise: { label: 'Gumbel noise g', group: 'attention', kind: 'layer-tt' },
  attention_output: { label: 'attention output y·v', group: 'activations', kind: 'layer-d' },
  attention_proj: { label: 'attn = lin(y·v, Wo)', group: 'activations', kind: 'layer-d' },
  ffn_gate_pre: { label: 'FFN gate pre-sign', group: 'activations', kind: 'layer-dff' },
  ffn_gate: { label: 'FFN gate sign', group: 'activations', kind: 'layer-dff' },
  ffn_up: { label: 'FFN up', group: 'activations', kind: 'layer-dff' },
  ffn_h: { label: 'FFN h = gate·up', group: 'activations', kind: 'layer-dff' },
  ffn_out: { label: 'ffn = lin(h, Wd)', group: 'activations', kind: 'layer-d' },
  residual_pre_sign: { label: 'residual x+attn+ffn (pre-sign)', group: 'activations', kind: 'layer-d' },
  final_hidden: { label: 'final hidden x_L', group: 'activations', kind: 'once-d' },
  logits: { label: 'logits', group: 'activations', kind: 'once-v' },
  loss: { label: 'loss (log-softmax, targets)', group: 'activations', kind: 'once-v' },
  activation_grads_d: { label: 'activation gradients, d wide', group: 'activation_gradients', kind: 'layer-d' },
  activation_grads_dff: { label: 'activation gradients, d_ff wide', group: 'activation_gradients', kind: 'layer-dff' },
  attention_grads: { label: 'attention gradients (dP, dZ, …)', group: 'activation_gradients', kind: 'layer-tt' },
  embedding_grads: { label: 'embedding/unembedding activation gradients', group: 'activation_gradients', kind: 'once-d' },
  logit_grads: { label: 'logit gradients', group: 'activation_gradients', kind: 'once-v' },
  attention_transient: { label: 'T×T tensors of the layer in flight', group: 'workspace', kind: 'one-tt' },
};

/** The three saved [bs, H, T, T] tensors; their bytes per element sum to ttBytesPerElement. */
export const TT_KEYS: readonly ComponentKey[] = ['attention_scores', 'attention_probs', 'attention_onehot'];

export interface StorageEntry {
  /** Bytes kept per element of the component's shape (0: not kept; 8: two fp32 copies). */
  bytes: number;
  /** Why: which op keeps which copy in which dtype. */
  why: string;
}

/** One moment of the step at which memory may peak, with what is alive then. */
export interface StoragePhase {
  name: string;
  entries: Partial<Record<ComponentKey, StorageEntry>>;
}

/** How one implementation stores a training step: the phases that may hold its peak. */
export interface StoragePreset {
  id: StoragePresetId;
  precision: MemoryPrecision;
  description: string;
  phases: StoragePhase[];
  /** Allocator fragmentation, as a fraction added to the sum of all tensors. */
  fragmentation: number;
  fragmentationWhy: string;
}

export type StoragePresetId = 'torch-eager-bf16' | 'torch-compiled-bf16' | 'custom-op-bf16' | 'torch-eager-fp32' | 'tfjs-fp32' | 'tfjs-fp32-backend-kernels';

const fp32 = (why: string): StorageEntry => ({ bytes: 4, why: `fp32: ${why}` });
const bf16 = (why: string): StorageEntry => ({ bytes: 2, why: `bf16: ${why}` });
const none = (why: string): StorageEntry => ({ bytes: 0, why });

/** What every PyTorch + AdamW preset keeps: fp32 master weights, grads and moments. */
const TORCH_STATE: Partial<Record<ComponentKey, StorageEntry>> = {
  latent_weights: fp32('latent weights (nn.Parameter)'),
  sign_weight_copies: bf16('autocast casts sign(W) for each F.linear and saves it for the input gradient (not a leaf: no cast cache)'),
  gradients: fp32('.grad of every parameter (allocated in backward; counted whole, as at the end of backward)'),
  adamw_m: fp32('torch.optim.AdamW exp_avg'),
  adamw_v: fp32('torch.optim.AdamW exp_avg_sq'),
  alibi: fp32('cached ALiBi bias with the causal mask folded in (the seed: "cached ALiBi")'),
  embedding: fp32('E[token] rows, saved by sign_ste for its |z|≤1 mask'),
  layer_input: bf16('x, saved by the q, k, v, gate and up matmuls (one tensor)'),
  q: bf16('saved by q·kᵀ'),
  k: bf16('saved by q·kᵀ'),
  v: bf16('saved by y·v'),
  attention_output: bf16('heads concatenated (a copy), saved by the Wo matmul'),
  final_hidden: bf16('x_L, saved by the unembedding matmul'),
  logits: fp32('cross_entropy runs in fp32 under autocast: fp32 copy of the logits'),
  loss: fp32('log_softmax output, saved for its backward'),
};

/** What the tfjs trainer keeps for its whole life, as tf.profile counts it (handles, see below). */
const TFJS_STATE: Partial<Record<ComponentKey, StorageEntry>> = {
  latent_weights: { bytes: 8, why: 'fp32 ×2 handles: the tf.Variable and the initial tensor createModel passes to tf.variable (never disposed)' },
  adamw_m: { bytes: 8, why: 'fp32 ×2 handles: AdamW.m and the zerosLike it was made from' },
  adamw_v: { bytes: 8, why: 'fp32 ×2 handles: AdamW.v and its zerosLike' },
  alibi: fp32("alibiBias tensor, kept for the model's life"),
};

/**
 * The bitscale tfjs trainer's step, fp32, on either set of kernels: "bitscale" (its own, on wasm
 * and cpu: ±1 products on packed bits, the hard attention causal) or "backend" (the backend's
 * matMuls and the attention over the full T×T square: the native backends, and every run logged
 * before bitscale's kernels).
 *
 * Derived from src/model (ops.ts, attention.ts, model.ts, gradients.ts) and src/train (trainer.ts,
 * adamw.ts) under tfjs-core 4.22's engine, which tf.profile reads: numBytes grows by a tensor's size
 * for every live tensor HANDLE (engine.trackTensor), so reshapes, clones and a variable with its
 * initial tensor each count, even when they share one buffer. A customGrad op keeps a clone of each
 * tensor it save()s; a registered gradient keeps clones of its inputsToSave; saved clones and every
 * handle made in backward (customGrad gradFuncs run outside any tidy) live until the backward tidy
 * ends, which is therefore the activation peak; the forward's own handles die with the forward tidy
 * (fewer: 21 d-wide, 8 d_ff-wide per layer, and the backend attention's 2 T×T). bitscale's kernels
 * keep the softmax rows and the ±1 layer inputs' packed rows and columns outside tfjs; the trainer's
 * peak_bytes adds them (src/train/replica.ts). AdamW.apply makes 15 handles per weight in one tidy.
 * Not modelled: the backend attention's [B, H, T, 1] row sums (1/T of a T×T tensor).
 */
function tfjsPreset(kernels: 'bitscale' | 'backend'): StoragePreset {
  const ours = kernels === 'bitscale';
  return {
    id: ours ? 'tfjs-fp32' : 'tfjs-fp32-backend-kernels',
    precision: 'fp32',
    description: ours
      ? "the bitscale tfjs trainer on wasm or cpu (src/model, src/train), fp32, on bitscale's kernels (±1 products on packed bits, causal attention): bytes per live tensor handle as tf.profile counts them, plus what the kernels keep for the backward"
      : "the bitscale tfjs trainer on the backend's kernels (matMuls, attention over the full T×T square: the native backends; runs logged before bitscale's kernels), fp32, as tf.profile counts it: bytes per live tensor handle",
    phases: [
      {
        name: 'end of backward',
        entries: {
          ...TFJS_STATE,
          sign_weight_copies: ours
            ? fp32('the clone of mask(W)·scale that every signLinear save()s (sign(W) itself is kept as bits, 1/32 of this)')
            : { bytes: 8, why: 'fp32 ×2 handles: the clones of sign(W)ᵀ·scale and mask(W)·scale that every signLinear save()s' },
          gradients: fp32('dW of every variable: signLinear (xᵀ·dy)·mask, embedRows onehotᵀ·dy'),
          weight_grad_temporaries: fp32('xᵀ·dy of every signLinear, before the mask'),
          embedding: fp32('embedRows output, saved by signSTE'),
          layer_input: ours
            ? { bytes: 4.25, why: 'fp32: the clone the residual AddN saves; and its packed rows and columns, 1 bit a value each, for the q, k, v, gate and up products (which save no float x)' }
            : { bytes: 24, why: 'fp32 ×6 clones: saved by the q, k, v, gate and up signLinears and by the residual AddN' },
          q: fp32('saved by hardAttention'),
          k: fp32('saved by hardAttention'),
          v: fp32('saved by hardAttention'),
          attention_scores: none('z lives inside the hardAttention op only'),
          attention_probs: fp32(ours ? 'p = softmax(z) over j ≤ i, in rows of T, kept by the causal attention outside tfjs' : 'p = softmax(z), saved by hardAttention'),
          attention_onehot: none('kept as argmax indices in a JS Int32Array'),
          attention_output: fp32('y·v (a row gather), saved by the Wo signLinear'),
          attention_proj: fp32('saved by the residual AddN'),
          ffn_gate_pre: fp32('saved by signSTE'),
          ffn_gate: fp32('saved by Mul'),
          ffn_up: fp32('saved by Mul'),
          ffn_h: fp32('saved by the Wd signLinear'),
          ffn_out: fp32('saved by the residual AddN'),
          residual_pre_sign: fp32('saved by signSTE'),
          final_hidden: ours ? { bytes: 0.25, why: 'x_L as packed rows and columns, 1 bit a value each, for the unembedding products' } : fp32('x_L, saved by the unembedding signLinear'),
          loss: { bytes: 8, why: 'fp32 ×2: logSoftmax and the target one-hot, saved by crossEntropyNats' },
          activation_grads_d: ours
            ? { bytes: 60, why: 'fp32 ×15 handles per layer: dx of the 6 signLinears with fan-in d, and the Wo linear\'s xᵀ (its weight gradient is a float product); dq, dk and dv of hardAttention; 3 AddN gradient clones; 2 in the residual signSTE (mask, dx)' }
            : { bytes: 160, why: 'fp32 ×40 handles per layer: 2 per signLinear with fan-in d (dy·sign(W)ᵀ·scale, xᵀ) ×6; 23 in hardAttention backward (reshape, transpose, reshape for each of 6 head splits or merges, q·scale, k·scale, 2 batched products, dv); 3 AddN gradient clones; 2 in the residual signSTE (mask, dx)' },
          activation_grads_dff: { bytes: 24, why: 'fp32 ×6 per layer: 2 in the Wd signLinear, 2 in Mul, 2 in the gate signSTE' },
          attention_grads: ours ? none("dP and dZ live in the causal kernels' scratch, one head at a time") : { bytes: 16, why: 'fp32 ×4 per layer: dP, dP⊙p, dP − Σ, p⊙(…)' },
          embedding_grads: ours ? { bytes: 12, why: 'fp32 ×3: dx of the unembedding signLinear, 2 in the embedding signSTE' } : { bytes: 16, why: 'fp32 ×4: 2 in the unembedding signLinear, 2 in the embedding signSTE' },
          logit_grads: ours ? { bytes: 16, why: 'fp32 ×4: exp, −onehot, ÷N, ·dy in crossEntropyNats' } : { bytes: 20, why: 'fp32 ×5: exp, −onehot, ÷N, ·dy in crossEntropyNats; the [V, bs·T] one-hotᵀ of embedRows' },
        },
      },
      {
        name: 'AdamW update',
        entries: {
          ...TFJS_STATE,
          gradients: fp32('the gradient list, alive through the whole update tidy'),
          optimizer_temporaries: { bytes: 60, why: 'fp32 ×15 handles per weight alive until the update tidy ends: m·β1, g·(1−β1), +, v·β2, g², ·(1−β2), +, m/c1, v/c2, √, +ε, ÷, w·(1−lr·wd), step·lr, − (one more, g·clip, when the norm is clipped)' },
        },
      },
    ],
    fragmentation: 0,
    fragmentationWhy: 'tf.profile counts tensor handles, not allocator blocks',
  };
}

/**
 * Storage presets. The PyTorch figures are derived op by op from which tensors autograd saves
 * (autocast op lists: matmul/linear → bf16; softmax, log_softmax, cross_entropy → fp32); they
 * are not measured, which is why calibration bounds ttBytesPerElement from evidence. The tfjs
 * figures are derived from src/model and src/train and checked against tf.profile (runs/tfjs-memory).
 */
export const STORAGE_PRESETS: Record<StoragePresetId, StoragePreset> = {
  'torch-eager-bf16': {
    id: 'torch-eager-bf16',
    precision: 'bf16-autocast',
    description: 'PyTorch eager, bf16 autocast, attention written as y = onehot − p.detach() + p',
    phases: [
      {
        name: 'end of forward',
        entries: {
          ...TORCH_STATE,
          attention_scores: none('q·kᵀ, +alibi, +gumbel, ÷τ save nothing (adds, scalar division)'),
          attention_probs: fp32('softmax output, fp32 under autocast, saved by softmax backward'),
          attention_onehot: bf16('y cast by autocast, saved by the y·v matmul'),
          ffn_gate_pre: bf16('saved by sign_ste for its mask'),
          ffn_gate: bf16('sign(gate), saved by the product gate·up'),
          ffn_up: bf16('saved by the product gate·up'),
          ffn_h: bf16('saved by the Wd matmul'),
          residual_pre_sign: bf16('x+attn+ffn, saved by sign_ste for its mask'),
          attention_transient: { bytes: 16, why: 'one layer in flight: bf16 scores (2) + fp32 s+alibi (4) + fp32 noise (4) + int64 argmax one_hot (8) minus what is freed; in backward fp32 dy, dp and softmax-backward temporaries' },
        },
      },
    ],
    fragmentation: 0.1,
    fragmentationWhy: 'caching allocator with many differently sized blocks; 10% is a common planning margin',
  },
  'torch-compiled-bf16': {
    id: 'torch-compiled-bf16',
    precision: 'bf16-autocast',
    description: 'PyTorch + torch.compile (Inductor), bf16 autocast: pointwise ops fused, cheap ones recomputed in backward',
    phases: [
      {
        name: 'end of forward',
        entries: {
          ...TORCH_STATE,
          attention_scores: none('fused into the softmax kernel, not saved'),
          attention_probs: fp32('softmax output, saved (the partitioner does not recompute the Gumbel noise)'),
          attention_onehot: none('recomputed from p (argmax + one-hot) in backward'),
          ffn_gate_pre: bf16('saved; sign and the STE mask are recomputed from it'),
          ffn_gate: none('recomputed from the gate pre-sign'),
          ffn_up: bf16('saved'),
          ffn_h: none('recomputed as sign(gate)·up'),
          residual_pre_sign: bf16('saved for the STE mask; the next layer input is recomputed from it'),
          attention_transient: { bytes: 8, why: 'one layer in flight: fused kernels still materialise the fp32 softmax input and, in backward, dp' },
        },
      },
    ],
    fragmentation: 0.05,
    fragmentationWhy: 'compiled graphs allocate fewer, more regular buffers',
  },
  'custom-op-bf16': {
    id: 'custom-op-bf16',
    precision: 'bf16-autocast',
    description: 'one custom autograd op for the straight-through attention (docs/model.md, "Implementation notes"): forward the one-hot, save p in bf16 and the argmax indices',
    phases: [
      {
        name: 'end of forward',
        entries: {
          ...TORCH_STATE,
          v: bf16('saved by the op (the gradient of v is a scatter by the argmax indices)'),
          attention_scores: none('not saved'),
          attention_probs: bf16('p, saved for the softmax Jacobian-vector product'),
          attention_onehot: none('kept as [bs, H, T] argmax indices (negligible)'),
          ffn_gate_pre: bf16('saved by sign_ste'),
          ffn_gate: bf16('saved by the product'),
          ffn_up: bf16('saved by the product'),
          ffn_h: bf16('saved by the Wd matmul'),
          residual_pre_sign: bf16('saved by sign_ste'),
          attention_transient: { bytes: 6, why: 'one layer in flight: fp32 (s+g)/τ feeding the softmax, then bf16 p' },
        },
      },
    ],
    fragmentation: 0.1,
    fragmentationWhy: 'caching allocator, as eager',
  },
  'torch-eager-fp32': {
    id: 'torch-eager-fp32',
    precision: 'fp32',
    description: 'PyTorch eager on a GPU in plain fp32 (no autocast), attention written as y = onehot − p.detach() + p',
    phases: [
      {
        name: 'end of forward',
        entries: {
          ...TORCH_STATE,
          sign_weight_copies: fp32('sign(W) for each F.linear, saved for the input gradient'),
          layer_input: fp32('x, saved by the q, k, v, gate and up matmuls (one tensor)'),
          q: fp32('saved by q·kᵀ'),
          k: fp32('saved by q·kᵀ'),
          v: fp32('saved by y·v'),
          attention_scores: none('q·kᵀ, +alibi, +gumbel, ÷τ save nothing (adds, scalar division)'),
          attention_probs: fp32('softmax output, saved by softmax backward'),
          attention_onehot: fp32('y = onehot − p.detach() + p, saved by the y·v matmul'),
          attention_output: fp32('heads concatenated (a copy), saved by the Wo matmul'),
          ffn_gate_pre: fp32('saved by sign_ste for its mask'),
          ffn_gate: fp32('sign(gate), saved by the product gate·up'),
          ffn_up: fp32('saved by the product gate·up'),
          ffn_h: fp32('saved by the Wd matmul'),
          residual_pre_sign: fp32('x+attn+ffn, saved by sign_ste for its mask'),
          final_hidden: fp32('x_L, saved by the unembedding matmul'),
          logits: none('no autocast copy: log_softmax saves only its output'),
          attention_transient: { bytes: 16, why: 'one layer in flight: fp32 scores (4) + fp32 s+alibi (4) + fp32 noise (4) + int64 argmax one_hot (8) minus what is freed; in backward fp32 dy, dp and softmax-backward temporaries' },
        },
      },
    ],
    fragmentation: 0.1,
    fragmentationWhy: 'caching allocator, as eager bf16',
  },
  'tfjs-fp32': tfjsPreset('bitscale'),
  'tfjs-fp32-backend-kernels': tfjsPreset('backend'),
};

/**
 * The preset each precision uses on a GPU unless told otherwise: the seed's GPU runs were
 * torch.compile'd (bf16); fp32 on a GPU is PyTorch's plain fp32. The bitscale tfjs trainer
 * (tfjs-fp32) is never chosen silently: it must be asked for with --storage.
 */
export const DEFAULT_PRESET: Record<MemoryPrecision, StoragePresetId> = {
  'bf16-autocast': 'torch-compiled-bf16',
  fp32: 'torch-eager-fp32',
};

export function requirePreset(id: string): StoragePreset {
  const p = STORAGE_PRESETS[id as StoragePresetId];
  if (!p) throw new BitscaleError(`unknown storage preset '${id}' (known: ${Object.keys(STORAGE_PRESETS).join(', ')})`, { field: 'storage' });
  return p;
}

/** Sum of the preset's bytes over the three saved [bs, H, T, T] tensors (in its first phase). */
export function presetTtBytes(preset: StoragePreset): number {
  return TT_KEYS.reduce((s, k) => s + (preset.phases[0].entries[k]?.bytes ?? 0), 0);
}

export interface MemoryComponent {
  key: ComponentKey;
  label: string;
  group: MemoryGroup;
  /** e.g. [256, 32, 256, 256]; the per-layer shape for per-layer components. */
  shape: number[];
  /** "[bs=256, H=32, T=256, T=256] × L=8". */
  shapeText: string;
  /** How many such tensors: L for per-layer components, else 1. */
  copies: number;
  elements: number;
  bytesPerElement: number;
  bytes: number;
  /** True when the component grows linearly with the micro-batch. */
  perSample: boolean;
  why: string;
}

export interface PhaseTotal {
  name: string;
  totalBytes: number;
  fixedBytes: number;
  perSampleBytes: number;
}

export interface MemoryBreakdown {
  config: ModelConfig;
  batchSize: number;
  precision: MemoryPrecision;
  preset: StoragePresetId;
  /** Bytes kept per [bs, H, T, T] element per layer, summed over scores, probabilities and one-hot. */
  ttBytesPerElement: number;
  /** The phase that holds the peak, and its components (every key; bytes 0 where not alive). */
  peakPhase: string;
  components: MemoryComponent[];
  /** Sum of the peak phase's tensors, before fragmentation (whole bytes). */
  tensorBytes: number;
  fragmentation: number;
  /** round(tensorBytes · fragmentation), whole bytes. */
  fragmentationBytes: number;
  /** tensorBytes + fragmentationBytes, whole bytes. */
  totalBytes: number;
  /** Bytes per part; they sum to totalBytes exactly (fragmentation is its own part). */
  byGroup: Record<MemoryGroup, number>;
  /** Every phase's total; each is fixed + perSample · batchSize (linear in the batch). */
  phases: PhaseTotal[];
}

export interface MemoryOptions {
  precision?: MemoryPrecision;
  /** Storage preset; defaults to DEFAULT_PRESET[precision]. */
  preset?: StoragePresetId;
  /** Override the preset's bytes per T×T element (scores + probs + one-hot), e.g. a calibrated value. */
  ttBytesPerElement?: number;
  /** Override the preset's fragmentation fraction. */
  fragmentation?: number;
}

function shapeOf(kind: ShapeKind, c: ModelConfig, bs: number): { shape: number[]; names: string[]; copies: number } {
  const T = c.seqLen;
  const L = c.layers;
  switch (kind) {
    case 'params':
      return { shape: [countParams(c)], names: ['N'], copies: 1 };
    case 'matmul-params':
      return { shape: [countMatmulParams(c)], names: ['N_matmul'], copies: 1 };
    case 'alibi':
      return { shape: [c.heads, T, T], names: ['H', 'T', 'T'], copies: 1 };
    case 'layer-d':
      return { shape: [bs, T, c.d], names: ['bs', 'T', 'd'], copies: L };
    case 'layer-dff':
      return { shape: [bs, T, c.dFf], names: ['bs', 'T', 'd_ff'], copies: L };
    case 'layer-tt':
      return { shape: [bs, c.heads, T, T], names: ['bs', 'H', 'T', 'T'], copies: L };
    case 'one-tt':
      return { shape: [bs, c.heads, T, T], names: ['bs', 'H', 'T', 'T'], copies: 1 };
    case 'once-d':
      return { shape: [bs, T, c.d], names: ['bs', 'T', 'd'], copies: 1 };
    case 'once-v':
      return { shape: [bs, T, c.vocab], names: ['bs', 'T', 'V'], copies: 1 };
  }
}

const PER_LAYER: ReadonlySet<ShapeKind> = new Set(['layer-d', 'layer-dff', 'layer-tt']);
const FIXED: ReadonlySet<ShapeKind> = new Set(['params', 'matmul-params', 'alibi']);

function phaseComponents(phase: StoragePhase, config: ModelConfig, batchSize: number, ttBytes: number, presetTt: number): MemoryComponent[] {
  return COMPONENT_KEYS.map((key) => {
    const spec = SPECS[key];
    const entry = phase.entries[key] ?? none('not alive in this phase');
    let bytesPerElement = entry.bytes;
    let why = entry.why;
    if (TT_KEYS.includes(key) && ttBytes !== presetTt) {
      // A calibrated or overridden total: spread it over the three tensors in the preset's proportions.
      bytesPerElement = presetTt > 0 ? (entry.bytes * ttBytes) / presetTt : ttBytes / TT_KEYS.length;
      why = `${why}; scaled to a total of ${ttBytes.toFixed(2)} bytes per T×T element`;
    }
    const { shape, names, copies } = shapeOf(spec.kind, config, batchSize);
    const elements = shape.reduce((a, b) => a * b, 1) * copies;
    const dims = shape.map((n, i) => `${names[i]}=${n}`).join(', ');
    return {
      key,
      label: spec.label,
      group: spec.group,
      shape,
      shapeText: `[${dims}]${PER_LAYER.has(spec.kind) ? ` × L=${copies}` : ''}`,
      copies,
      elements,
      bytesPerElement,
      // Whole bytes: a calibrated bytes-per-element may be fractional.
      bytes: Math.round(elements * bytesPerElement),
      perSample: !FIXED.has(spec.kind),
      why,
    };
  });
}

/**
 * Bytes a training step of `config` at micro-batch `batchSize` keeps alive at its peak:
 *   phase total = (Σ_components elements · bytesPerElement) · (1 + fragmentation),
 *   total = max over the preset's phases,
 * with per-layer tensors counted L times and the saved [bs, H, T, T] tensors at
 * ttBytesPerElement per element per layer. Every phase is linear in the batch:
 * total_phase(bs) = fixed_phase + perSample_phase · bs.
 * Example (test/estimate/memory.test.ts): the 46.4M config at bs=256, torch-compiled-bf16, keeps
 * 16 GiB of T×T probabilities (4 bytes × 256·32·256² × 8 layers).
 */
export function estimateTrainingMemory(config: ModelConfig, batchSize: number, options: MemoryOptions = {}): MemoryBreakdown {
  if (!(Number.isInteger(batchSize) && batchSize >= 0)) throw new BitscaleError(`batch size must be a non-negative integer, got ${batchSize}`, { field: 'batch-size' });
  const precision = options.precision ?? (options.preset ? requirePreset(options.preset).precision : 'bf16-autocast');
  const preset = requirePreset(options.preset ?? DEFAULT_PRESET[precision]);
  if (preset.precision !== precision) throw new BitscaleError(`storage preset ${preset.id} is for ${preset.precision}, not ${precision}`, { field: 'storage' });
  const presetTt = presetTtBytes(preset);
  const ttBytes = options.ttBytesPerElement ?? presetTt;
  if (!(ttBytes >= 0)) throw new BitscaleError(`ttBytesPerElement must be ≥ 0, got ${ttBytes}`, { field: 'tt-bytes' });
  const fragmentation = options.fragmentation ?? preset.fragmentation;
  const scale = 1 + fragmentation;

  let peak: { phase: StoragePhase; components: MemoryComponent[]; tensorBytes: number } | null = null;
  const phases: PhaseTotal[] = [];
  for (const phase of preset.phases) {
    const components = phaseComponents(phase, config, batchSize, ttBytes, presetTt);
    const tensorBytes = components.reduce((s, c) => s + c.bytes, 0);
    const fixed = components.filter((c) => !c.perSample).reduce((s, c) => s + c.bytes, 0);
    const perSampleAtOne = batchSize > 0 ? (tensorBytes - fixed) / batchSize : phaseComponents(phase, config, 1, ttBytes, presetTt).filter((c) => c.perSample).reduce((s, c) => s + c.bytes, 0);
    phases.push({ name: phase.name, totalBytes: tensorBytes + Math.round(tensorBytes * fragmentation), fixedBytes: fixed * scale, perSampleBytes: perSampleAtOne * scale });
    if (!peak || tensorBytes > peak.tensorBytes) peak = { phase, components, tensorBytes };
  }
  const { phase, components, tensorBytes } = peak!;
  const byGroup = Object.fromEntries(MEMORY_GROUPS.map((g) => [g, 0])) as Record<MemoryGroup, number>;
  for (const c of components) byGroup[c.group] += c.bytes;
  const fragmentationBytes = Math.round(tensorBytes * fragmentation);
  byGroup.fragmentation = fragmentationBytes;
  return {
    config,
    batchSize,
    precision,
    preset: preset.id,
    ttBytesPerElement: ttBytes,
    peakPhase: phase.name,
    components,
    tensorBytes,
    fragmentation,
    fragmentationBytes,
    totalBytes: tensorBytes + fragmentationBytes,
    byGroup,
    phases,
  };
}

/** One line of a memory breakdown as every table and chart shows it. */
export interface MemoryRow {
  group: MemoryGroup;
  /** MEMORY_GROUP_LABELS[group]: the chart segment this row's bytes are drawn in. */
  groupLabel: string;
  /** The component's key, or 'fragmentation'. */
  key: ComponentKey | 'fragmentation';
  label: string;
  shapeText: string;
  /** null for fragmentation (a fraction of the tensors, not a tensor). */
  bytesPerElement: number | null;
  bytes: number;
}

/**
 * The one list a breakdown is shown from: every component that holds bytes at the peak, then the
 * fragmentation allowance, ordered by part (MEMORY_GROUPS). Tables print these rows; charts stack
 * memoryParts(rows), so a chart segment is always the sum of the table rows labelled with it.
 * The rows' bytes sum to m.totalBytes.
 */
export function memoryRows(m: MemoryBreakdown): MemoryRow[] {
  const rows: MemoryRow[] = m.components
    .filter((c) => c.bytes > 0)
    .map((c) => ({ group: c.group, groupLabel: MEMORY_GROUP_LABELS[c.group], key: c.key, label: c.label, shapeText: c.shapeText, bytesPerElement: c.bytesPerElement, bytes: c.bytes }));
  if (m.fragmentationBytes > 0) {
    rows.push({ group: 'fragmentation', groupLabel: MEMORY_GROUP_LABELS.fragmentation, key: 'fragmentation', label: `allocator fragmentation, ${formatPercent(m.fragmentation, 0)} of the tensors`, shapeText: '', bytesPerElement: null, bytes: m.fragmentationBytes });
  }
  return rows.sort((a, b) => MEMORY_GROUPS.indexOf(a.group) - MEMORY_GROUPS.indexOf(b.group));
}

/** The chart's segments: memoryRows summed by part, in MEMORY_GROUPS order, parts with no bytes left out. */
export function memoryParts(rows: readonly MemoryRow[]): { group: MemoryGroup; label: string; bytes: number }[] {
  return MEMORY_GROUPS.map((g) => ({ group: g, label: MEMORY_GROUP_LABELS[g], bytes: rows.filter((r) => r.group === g).reduce((s, r) => s + r.bytes, 0) })).filter((p) => p.bytes > 0);
}

/**
 * The largest micro-batch whose estimate fits in `usableBytes`:
 *   min over phases of floor((usable − fixed) / perSample); 0 when not even the state fits.
 */
export function maxMicroBatch(breakdown: Pick<MemoryBreakdown, 'phases'>, usableBytes: number): number {
  let best = Number.POSITIVE_INFINITY;
  for (const p of breakdown.phases) {
    const room = usableBytes - p.fixedBytes;
    if (room < 0) return 0;
    if (p.perSampleBytes > 0) best = Math.min(best, Math.floor(room / p.perSampleBytes + 1e-9));
  }
  return best;
}

/**
 * The largest ttBytesPerElement for which `config` at `batchSize` fits in `usableBytes`. Each
 * phase's total is linear in it, so: min over phases of (usable − total(0)) / (total(1) − total(0)).
 * −Infinity when even 0 bytes per T×T element does not fit.
 */
export function maxTtBytesThatFit(config: ModelConfig, batchSize: number, usableBytes: number, options: MemoryOptions = {}): number {
  const at0 = estimateTrainingMemory(config, batchSize, { ...options, ttBytesPerElement: 0 }).phases;
  const at1 = estimateTrainingMemory(config, batchSize, { ...options, ttBytesPerElement: 1 }).phases;
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < at0.length; i++) {
    if (at0[i].totalBytes > usableBytes) return Number.NEGATIVE_INFINITY;
    const slope = at1[i].totalBytes - at0[i].totalBytes;
    if (slope > 0) best = Math.min(best, (usableBytes - at0[i].totalBytes) / slope);
  }
  return best;
}
