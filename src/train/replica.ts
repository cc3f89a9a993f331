/**
 * What one model replica computes for a step or an evaluation, whether it holds the whole batch
 * (a single-process run) or a data-parallel worker's slice of it (src/train/workers.ts). The model
 * stays unaware of how many replicas run: a slice is just a smaller batch whose samples keep their
 * indices in the whole one, so their Gumbel noise is the same wherever they are computed.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Corpus } from '../data/corpus.js';
import { keptForBackward } from '../model/kernels.js';
import type { BitLM } from '../model/model.js';
import { windowsAt, type Batch } from './batches.js';
import type { GumbelPool } from './noise.js';

/**
 * Set each variable to the matching values, in variable order. The tensor the values go through is
 * disposed: `assign` keeps a reference to its argument's data, so an argument left undisposed keeps
 * every earlier value of the variable alive (a worker reloading its weights each step grew by the
 * model's size per step).
 */
export function assignValues(variables: readonly tf.Variable[], values: readonly Float32Array[]): void {
  variables.forEach((v, i) => {
    const t = tf.tensor(values[i], v.shape);
    v.assign(t);
    t.dispose();
  });
}

/**
 * Mean loss (nats) of `batch` — samples first … first + n − 1 of update t — and its gradients for
 * every variable, in variable order. Run inside tf.tidy.
 */
export function sliceGradients(model: BitLM, pool: GumbelPool | null, batch: Batch, t: number, tau: number, first: number): { value: tf.Scalar; grads: tf.Tensor[] } {
  const n = batch.tokens.length / model.config.seqLen;
  const gumbel = pool ? (layer: number) => pool.noise(t, layer, first, n) : null;
  const { value, grads } = tf.variableGrads(() => model.lossNats(batch.tokens, batch.targets, { batch: n, gumbel, tau }), model.variables);
  return { value, grads: model.variables.map((v) => grads[v.name]) };
}

/**
 * Σ over the windows at `offsets` of their mean next-byte cross-entropy (nats) × window count, in
 * chunks of `batchSize`, evaluation-mode attention: deterministic for given weights.
 */
export function evaluationNats(model: BitLM, corpus: Corpus, offsets: number[], batchSize: number): number {
  const T = model.config.seqLen;
  let nats = 0;
  for (let i = 0; i < offsets.length; i += batchSize) {
    const chunk = offsets.slice(i, i + batchSize);
    const { tokens, targets } = windowsAt(corpus.bytes, chunk, T);
    const loss = tf.tidy(() => model.lossNats(tokens, targets, { batch: chunk.length, gumbel: null, tau: 1 }));
    nats += loss.dataSync()[0] * chunk.length;
    loss.dispose();
  }
  return nats;
}

/**
 * Peak bytes of f (one training step): tf.profile's peak of live tensors plus what the model's own
 * kernels kept for the backward pass outside tfjs meanwhile (src/model/kernels.ts). The two are
 * added because what the kernels keep lives until the backward pass ends, where tfjs peaks.
 */
export async function measuredPeakBytes(f: () => void): Promise<number> {
  keptForBackward.bytes = 0;
  const { peakBytes } = await tf.profile(f);
  return peakBytes + keptForBackward.bytes;
}
