/**
 * One data-parallel training worker (started by src/train/workers.ts): its own TensorFlow.js
 * backend and model replica. It answers 'step' with the mean loss and gradients of its slice of the
 * batch (written to its shared gradient region) and 'eval' with the summed nats of its validation
 * windows, reloading the shared weights whenever the main thread has published new ones.
 */
import * as tf from '@tensorflow/tfjs-core';
import { parentPort, workerData } from 'node:worker_threads';
import { createModel } from '../model/model.js';
import { selectBackend, type BackendChoice } from './backend.js';
import { trainingBatch } from './batches.js';
import { GumbelPool } from './noise.js';
import { evaluationNats, sliceGradients } from './replica.js';
import type { WorkerCommand, WorkerInit, WorkerReply } from './workers.js';

const init = workerData as WorkerInit;
const port = parentPort!;
await selectBackend(init.backend as BackendChoice);
const cfg = init.config;
const m = cfg.model;
const model = createModel(m, { arch: cfg.arch, ste: cfg.ste, initStd: cfg.initStd, seed: cfg.seed });
const pool = cfg.arch === 'bitlm-v57' ? new GumbelPool(cfg.seed, m.heads * m.seqLen * m.seqLen) : null;
const corpus = init.corpus;
const view = (buf: SharedArrayBuffer) => {
  let off = 0;
  return init.sizes.map((n) => {
    const v = new Float32Array(buf, 4 * off, n);
    off += n;
    return v;
  });
};
const weights = view(init.weights);
const grads = view(init.grads);
let loaded = -1;

function load(version: number): void {
  if (version === loaded) return;
  model.variables.forEach((v, i) => v.assign(tf.tensor(weights[i], v.shape)));
  loaded = version;
}

function step(c: Extract<WorkerCommand, { kind: 'step' }>): number {
  if (init.faultAtStep === c.t) throw new Error(`injected fault at update ${c.t}`);
  const batch = trainingBatch(corpus, cfg.seed, c.t, cfg.batchSize, m.seqLen, init.first, init.count);
  return tf.tidy(() => {
    const { value, grads: list } = sliceGradients(model, pool, batch, c.t, c.tau, init.first);
    list.forEach((g, i) => grads[i].set(g.dataSync() as Float32Array));
    return value.dataSync()[0];
  });
}

port.on('message', async (c: WorkerCommand) => {
  load(c.version);
  let reply: WorkerReply;
  if (c.kind === 'step') {
    let lossNats = Number.NaN;
    let peakBytes: number | null = null;
    if (c.measure) peakBytes = (await tf.profile(() => void (lossNats = step(c)))).peakBytes;
    else lossNats = step(c);
    reply = { kind: 'step', lossNats, peakBytes };
  } else {
    reply = { kind: 'eval', nats: evaluationNats(model, corpus, c.offsets, c.batchSize) };
  }
  port.postMessage(reply);
});
port.postMessage({ kind: 'ready' } satisfies WorkerReply);
