/**
 * One data-parallel training worker (started by src/train/workers.ts): its own TensorFlow.js
 * backend and model replica. It answers 'step' by computing the mean loss and gradients of its
 * slice of the batch, then, with the other workers, summing the gradients and applying AdamW to its
 * range of the shared weights and moments; and 'eval' with the summed nats of its validation
 * windows. It reloads the shared weights whenever they have changed.
 */
import * as tf from '@tensorflow/tfjs-core';
import { parentPort, workerData } from 'node:worker_threads';
import { createModel } from '../model/model.js';
import { readValues } from '../model/wasm-kernels.js';
import { AdamW } from './adamw.js';
import { selectBackend, type BackendChoice } from './backend.js';
import { trainingBatch } from './batches.js';
import { GumbelPool } from './noise.js';
import { assignValues, evaluationNats, measuredPeakBytes, sliceGradients } from './replica.js';
import { Barrier, reduceGradients, sliceOf, variableViews, type WorkerCommand, type WorkerInit, type WorkerReply } from './workers.js';

const init = workerData as WorkerInit;
const port = parentPort!;
await selectBackend(init.backend as BackendChoice);
const cfg = init.config;
const m = cfg.model;
const model = createModel(m, { arch: cfg.arch, ste: cfg.ste, initStd: cfg.initStd, seed: cfg.seed });
const pool = cfg.arch === 'bitlm-v57' ? new GumbelPool(cfg.seed, m.heads * m.seqLen * m.seqLen) : null;
const corpus = init.corpus;
const N = init.threads;
const total = init.sizes.reduce((a, b) => a + b, 0);
const weights = variableViews(init.weights, init.sizes);
const grads = variableViews(init.grads[init.index], init.sizes);
/** The whole flat state, for the range this worker reduces and updates. */
const flat = {
  w: new Float32Array(init.weights),
  m: new Float32Array(init.moments[0]),
  v: new Float32Array(init.moments[1]),
  g: init.grads.map((b) => new Float32Array(b)),
};
const range = sliceOf(total, N, init.index);
const barrier = new Barrier(init.control, N);
/** Per worker: [mean loss of its slice, Σ of squares of its range of the summed gradient]. */
const shared = new Float64Array(init.control, 8, 2 * N);
/** n_w/B: worker w's share of the batch. */
const shareOf = Array.from({ length: N }, (_, w) => sliceOf(cfg.batchSize, N, w).count / cfg.batchSize);
let loaded = -1;

function load(version: number): void {
  if (version === loaded) return;
  assignValues(model.variables, weights);
  loaded = version;
}

/** This worker's slice: loss and gradients into its shared region. */
function sliceStep(c: Extract<WorkerCommand, { kind: 'step' }>): number {
  if (init.faultAtStep === c.t) throw new Error(`injected fault at update ${c.t}`);
  const batch = trainingBatch(corpus, cfg.seed, c.t, cfg.batchSize, m.seqLen, init.first, init.count);
  return tf.tidy(() => {
    const { value, grads: list } = sliceGradients(model, pool, batch, c.t, c.tau, init.first);
    list.forEach((g, i) => grads[i].set(readValues(g)));
    return value.dataSync()[0];
  });
}

/**
 * The whole batch's update, this worker's part: Σ_w (n_w/B)·g_w over its range, in worker order,
 * into grads[0]'s range (no other worker reads it); the global norm from every worker's partial
 * squares in worker order; AdamW on the range unless the loss or the norm is not finite.
 */
function update(c: Extract<WorkerCommand, { kind: 'step' }>, sliceLoss: number): Extract<WorkerReply, { kind: 'step' }> {
  shared[2 * init.index] = sliceLoss;
  barrier.wait();
  const [lo, hi] = [range.first, range.first + range.count];
  shared[2 * init.index + 1] = reduceGradients(flat.g, shareOf, lo, hi);
  barrier.wait();
  let lossNats = 0;
  let normSquared = 0;
  for (let w = 0; w < N; w++) {
    lossNats += shareOf[w] * shared[2 * w];
    normSquared += shared[2 * w + 1];
  }
  const gradNorm = Math.sqrt(normSquared);
  const updated = Number.isFinite(lossNats) && Number.isFinite(gradNorm);
  if (updated) AdamW.applyRange(cfg, { w: flat.w, m: flat.m, v: flat.v, g: flat.g[0] }, lo, hi, c.adamStep, gradNorm, c.lr);
  return { kind: 'step', lossNats, gradNorm, updated, peakBytes: null };
}

port.on('message', async (c: WorkerCommand) => {
  load(c.version);
  let reply: WorkerReply;
  if (c.kind === 'step') {
    let lossNats = Number.NaN;
    let peakBytes: number | null = null;
    if (c.measure) peakBytes = await measuredPeakBytes(() => void (lossNats = sliceStep(c)));
    else lossNats = sliceStep(c);
    reply = { ...update(c, lossNats), peakBytes };
  } else {
    reply = { kind: 'eval', nats: evaluationNats(model, corpus, c.offsets, c.batchSize) };
  }
  port.postMessage(reply);
});
port.postMessage({ kind: 'ready' } satisfies WorkerReply);
