/**
 * BitLMv57, its v52 ablation and the float-v52 reference as TensorFlow.js variables and a forward
 * pass (docs/model.md). In v57 and v52 every weight matrix is a latent fp32 variable used only
 * through signSTE; float-v52 uses the same matrices as their float values. The parameter count is
 * the shared formula `countTrainableParams`, checked against the sum of the variables' sizes when
 * the model is built.
 */
import * as tf from '@tensorflow/tfjs-core';
import { countTrainableParams, type Architecture, type ModelConfig } from '../arch/bitlm.js';
import { alibiBias, hardAttention, softAttention } from './attention.js';
import type { AttentionShape } from './attention-kernels.js';
import { KERNEL_BACKENDS } from './kernels.js';
import { crossEntropyNats, embedRows, floatLinear, rmsNorm, signLinear, signSTE, LayerInput, type SteKind } from './ops.js';
import { normalArray, stepRng, STREAM } from './rng.js';

export interface ModelOptions {
  arch: Architecture;
  ste: SteKind;
  /** Latent weights start at N(0, initStd²) (spec: 0.02). */
  initStd: number;
  seed: number;
  /** false: the backend's kernels even where bitscale's fit (tests compare the two); default: bitscaleKernelsFit. */
  kernels?: boolean;
}

export interface ForwardOptions {
  batch: number;
  /**
   * Training: a layer's standard Gumbel draws, one array of H·T·T (laid out [H, T, T]) per sample
   * of the batch; null → evaluation-mode attention (argmax of the scores, no noise).
   */
  gumbel: ((layer: number) => Float32Array[]) | null;
  /** Gumbel temperature of this step (training only). */
  tau: number;
}

export interface BitLM {
  config: ModelConfig;
  options: ModelOptions;
  /** Trainable variables in a fixed order (checkpoints rely on it). */
  variables: tf.Variable[];
  /** Next-byte logits [B·T, V] for `tokens` (B·T byte ids). */
  logits(tokens: Int32Array, f: ForwardOptions): tf.Tensor2D;
  /** Mean cross-entropy in nats of predicting targets[i] from tokens[..i]. */
  lossNats(tokens: Int32Array, targets: Int32Array, f: ForwardOptions): tf.Scalar;
  dispose(): void;
}

/**
 * The weight matrices and (v52 stack) float vectors of the model: name and shape, in variable
 * order. kind 'sign': a matrix used as sign(W) (v57, v52) and started at N(0, initStd²); 'matrix':
 * a matrix used as its float value (float-v52), started the same way; 'float': an α or RMSNorm
 * gain, started at 1.
 */
export function parameterShapes(c: ModelConfig, arch: Architecture): { name: string; shape: number[]; kind: 'sign' | 'matrix' | 'float' }[] {
  const { d, dFf, vocab: V } = c;
  const w = arch === 'float-v52' ? ('matrix' as const) : ('sign' as const);
  const out: { name: string; shape: number[]; kind: 'sign' | 'matrix' | 'float' }[] = [{ name: 'embed', shape: [V, d], kind: w }];
  for (let l = 0; l < c.layers; l++) {
    for (const m of ['wq', 'wk', 'wv', 'wo']) out.push({ name: `layer${l}.${m}`, shape: [d, d], kind: w });
    out.push({ name: `layer${l}.wg`, shape: [d, dFf], kind: w });
    out.push({ name: `layer${l}.wu`, shape: [d, dFf], kind: w });
    out.push({ name: `layer${l}.wd`, shape: [dFf, d], kind: w });
    if (arch !== 'bitlm-v57') {
      for (const a of ['alpha_q', 'alpha_k', 'alpha_v', 'alpha_o', 'alpha_d', 'norm_attn', 'norm_ffn']) out.push({ name: `layer${l}.${a}`, shape: [d], kind: 'float' });
      for (const a of ['alpha_g', 'alpha_u']) out.push({ name: `layer${l}.${a}`, shape: [dFf], kind: 'float' });
    }
  }
  // Stored [d, V], i.e. Woutᵀ of the spec's Wout [V, d]: logits = lin(x, Woutᵀ) without a transpose.
  out.push({ name: 'unembed', shape: [d, V], kind: w });
  if (arch !== 'bitlm-v57') {
    out.push({ name: 'norm_final', shape: [d], kind: 'float' });
    out.push({ name: 'alpha_logits', shape: [V], kind: 'float' });
  }
  return out;
}

/** Makes variable names unique across models in one process (tfjs keeps a global registry). */
let modelCounter = 0;

/**
 * Whether a model of this shape trains on bitscale's own kernels on this backend (a run log's
 * `kernels`): on wasm and cpu, with T and the head width multiples of 4, so that the ±1 products
 * and the causal attention run on them together (the memory model has one preset for each set).
 */
export function bitscaleKernelsFit(backend: string, c: ModelConfig): boolean {
  return KERNEL_BACKENDS.has(backend) && c.seqLen % 4 === 0 && (c.d / c.heads) % 4 === 0;
}

export function createModel(config: ModelConfig, options: ModelOptions): BitLM {
  const { d, heads, seqLen: T, layers } = config;
  if (d % heads !== 0) throw new Error(`d=${d} is not divisible by heads=${heads}`);
  const rand = stepRng(options.seed, 0, STREAM.init);
  const shapes = parameterShapes(config, options.arch);
  // The tensors the variables were made from live as long as the model, as tf.profile and the
  // tfjs-fp32 memory preset count them (src/estimate/memory.ts), and are freed with it: a sweep's
  // task runner trains many models in one process, and each run's peak_bytes must not see the last.
  const initialValues: tf.Tensor[] = [];
  const variables = shapes.map(({ name, shape, kind }) => {
    const n = shape.reduce((a, b) => a * b, 1);
    const init = kind !== 'float' ? normalArray(n, options.initStd, rand) : new Float32Array(n).fill(1);
    const value = tf.tensor(init, shape);
    initialValues.push(value);
    return tf.variable(value, true, `${name}_${++modelCounter}`);
  });
  const byName = new Map(shapes.map((s, i) => [s.name, variables[i]]));
  const P = (name: string) => byName.get(name)! as tf.Variable<tf.Rank.R2>;
  const G = (name: string) => byName.get(name)! as tf.Variable<tf.Rank.R1>;
  const sizeSum = variables.reduce((a, v) => a + v.size, 0);
  const expected = countTrainableParams(config, options.arch);
  if (sizeSum !== expected) throw new Error(`model has ${sizeSum} parameters, the shared formula says ${expected}`);
  const alibiData = alibiBias(heads, T);
  const alibi = tf.keep(tf.tensor3d(alibiData, [heads, T, T]));
  const ste = options.ste;
  // Linears that read the same x share one LayerInput, so that the backward transposes x once for
  // all; v57's x is ±1, so its products run on packed bits.
  const kernels = options.kernels !== false && bitscaleKernelsFit(tf.getBackend(), config);
  const lin = (x: tf.Tensor2D, name: string, input = new LayerInput(false, kernels)) => signLinear(x, P(name), ste, input);

  function logitsV57(tokens: Int32Array, f: ForwardOptions): tf.Tensor2D {
    const shape: AttentionShape = { batch: f.batch, seqLen: T, heads };
    let x = signSTE(embedRows(P('embed'), tokens), ste) as tf.Tensor2D;
    for (let l = 0; l < layers; l++) {
      const p = `layer${l}.`;
      const path = kernels ? ('auto' as const) : ('tfjs' as const);
      const opts = f.gumbel ? { alibi, noise: f.gumbel(l), tau: f.tau, path } : { alibi, noise: null, tau: 1, path };
      const xIn = new LayerInput(true, kernels);
      const y = hardAttention(lin(x, p + 'wq', xIn), lin(x, p + 'wk', xIn), lin(x, p + 'wv', xIn), shape, opts);
      const attn = lin(y, p + 'wo');
      const h = tf.mul(signSTE(lin(x, p + 'wg', xIn), ste), lin(x, p + 'wu', xIn)) as tf.Tensor2D;
      const ffn = lin(h, p + 'wd');
      x = signSTE(tf.addN([x, attn, ffn]), ste) as tf.Tensor2D;
    }
    return lin(x, 'unembed', new LayerInput(true, kernels));
  }

  // The v52 stack; float-v52 differs only in using each weight matrix as its float value (the
  // embedding a float row, each linear x·W) where v52 uses sign(W) (x·sign(W)/√fan_in).
  const floatWeights = options.arch === 'float-v52';
  function logitsV52(tokens: Int32Array, f: ForwardOptions): tf.Tensor2D {
    const shape: AttentionShape = { batch: f.batch, seqLen: T, heads };
    const wlin = floatWeights ? (x: tf.Tensor2D, w: string, input = new LayerInput(false, kernels)) => floatLinear(x, P(w), input) : lin;
    const alin = (x: tf.Tensor2D, w: string, a: string, input?: LayerInput) => tf.mul(wlin(x, w, input), P(a)) as tf.Tensor2D;
    const rows = embedRows(P('embed'), tokens);
    let x = floatWeights ? rows : (signSTE(rows, ste) as tf.Tensor2D);
    for (let l = 0; l < layers; l++) {
      const p = `layer${l}.`;
      const h1 = rmsNorm(x, G(p + 'norm_attn'));
      const h1In = new LayerInput(false, kernels);
      const y = softAttention(alin(h1, p + 'wq', p + 'alpha_q', h1In), alin(h1, p + 'wk', p + 'alpha_k', h1In), alin(h1, p + 'wv', p + 'alpha_v', h1In), shape, alibi, kernels ? 'auto' : 'tfjs');
      x = tf.add(x, alin(y, p + 'wo', p + 'alpha_o'));
      const h2 = rmsNorm(x, G(p + 'norm_ffn'));
      const h2In = new LayerInput(false, kernels);
      const h = tf.mul(signSTE(alin(h2, p + 'wg', p + 'alpha_g', h2In), ste), alin(h2, p + 'wu', p + 'alpha_u', h2In)) as tf.Tensor2D;
      x = tf.add(x, alin(h, p + 'wd', p + 'alpha_d'));
    }
    return alin(rmsNorm(x, G('norm_final')), 'unembed', 'alpha_logits');
  }

  const logits = options.arch === 'bitlm-v57' ? logitsV57 : logitsV52;
  return {
    config,
    options,
    variables,
    logits,
    lossNats: (tokens, targets, f) => crossEntropyNats(logits(tokens, f), targets),
    dispose: () => {
      for (const v of [...variables, ...initialValues]) v.dispose();
      alibi.dispose();
    },
  };
}
