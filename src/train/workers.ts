/**
 * Data-parallel training on every core. The wasm and cpu backends of TensorFlow.js run on one
 * thread in Node, so a run with `threads` > 1 starts that many worker_threads, each with its own
 * backend instance and model replica (src/train/worker-entry.ts). Per update:
 *   1. the main thread's weights are published to a SharedArrayBuffer every worker reads;
 *   2. worker w takes samples [⌊wB/N⌋, ⌊(w+1)B/N⌋) of the batch and writes its mean loss and
 *      gradients to its own shared region;
 *   3. the main thread sums them, weighted by slice size, in worker order 0 … N−1 (a fixed order,
 *      so a given N is bit-for-bit deterministic), and applies one AdamW step to its own copy.
 * Batch windows and Gumbel noise belong to (seed, step, sample index), so N changes only the order
 * of summation. Evaluation windows are split the same way. A worker that fails stops every pending
 * and later request with its error; the caller keeps its last checkpoint.
 */
import * as tf from '@tensorflow/tfjs-core';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { Corpus } from '../data/corpus.js';
import type { BitLM } from '../model/model.js';
import { BitscaleError } from '../util/errors.js';
import { workerScript } from '../util/worker-script.js';
import { AdamW } from './adamw.js';
import type { TrainConfig } from './presets.js';

/** Backends whose kernels run on one JavaScript thread: the ones workers multiply. */
export const WORKER_BACKENDS: readonly string[] = ['wasm', 'cpu'];

/** Samples [first, first + count) of a batch of `batchSize` for worker `index` of `threads`. */
export function sliceOf(batchSize: number, threads: number, index: number): { first: number; count: number } {
  const first = Math.floor((index * batchSize) / threads);
  return { first, count: Math.floor(((index + 1) * batchSize) / threads) - first };
}

/**
 * Threads for one run when the user gave none: one per core, shared among `jobs` concurrent runs
 * (jobs × threads ≤ cores), at least 1 and at most the batch's samples.
 */
export function defaultThreads(batchSize: number, jobs = 1, cores = availableParallelism()): number {
  return Math.max(1, Math.min(batchSize, Math.floor(cores / Math.max(1, jobs))));
}

/** A thread count must be 1 … batch size (each worker needs at least one sample). */
export function checkThreads(threads: number, batchSize: number): number {
  if (!Number.isSafeInteger(threads) || threads < 1) throw new BitscaleError(`expected an integer ≥ 1, got '${threads}'`, { field: 'threads' });
  if (threads > batchSize) throw new BitscaleError(`${threads} threads is more than the batch's ${batchSize} samples (each worker takes at least one)`, { field: 'threads' });
  return threads;
}

/** What a worker gets at start (structured-cloned; the SharedArrayBuffers are shared). */
export interface WorkerInit {
  index: number;
  threads: number;
  config: TrainConfig;
  backend: string;
  corpus: Corpus;
  first: number;
  count: number;
  /** Every variable's latent weights, in variable order: written by the main thread. */
  weights: SharedArrayBuffer;
  /** This worker's gradients, same layout: written by the worker. */
  grads: SharedArrayBuffer;
  sizes: number[];
  /** Tests: throw at this update (0-based), as a worker that dies. */
  faultAtStep?: number;
}

export type WorkerCommand = { kind: 'step'; t: number; tau: number; version: number; measure: boolean } | { kind: 'eval'; offsets: number[]; batchSize: number; version: number };
export type WorkerReply = { kind: 'ready' } | { kind: 'step'; lossNats: number; peakBytes: number | null } | { kind: 'eval'; nats: number };

interface Pending {
  resolve: (r: WorkerReply) => void;
  reject: (e: Error) => void;
}

export interface ParallelStep {
  lossNats: number;
  gradNorm: number;
  /** Σ of the workers' peak bytes plus the main thread's update, when measured. */
  peakBytes?: number;
}

export class TrainingWorkers {
  private failure: Error | null = null;
  private closed = false;
  private pending: (Pending | null)[];
  private version = 0;
  private readonly weights: Float32Array[];
  private readonly grads: Float32Array[][];
  private readonly slices: { first: number; count: number }[];

  private constructor(
    private readonly workers: Worker[],
    weightsBuf: SharedArrayBuffer,
    gradBufs: SharedArrayBuffer[],
    private readonly sizes: number[],
    private readonly batchSize: number,
  ) {
    const views = (buf: SharedArrayBuffer) => {
      let off = 0;
      return sizes.map((n) => {
        const v = new Float32Array(buf, 4 * off, n);
        off += n;
        return v;
      });
    };
    this.weights = views(weightsBuf);
    this.grads = gradBufs.map(views);
    this.pending = workers.map(() => null);
    this.slices = workers.map((_, i) => sliceOf(batchSize, workers.length, i));
  }

  get threads(): number {
    return this.workers.length;
  }

  /** Start `threads` workers for a run's config and corpus on `backend`; resolves when all are ready. */
  static async start(o: { config: TrainConfig; corpus: Corpus; backend: string; threads: number; sizes: number[]; faultAt?: { worker: number; step: number } }): Promise<TrainingWorkers> {
    const total = o.sizes.reduce((a, b) => a + b, 0);
    const weights = new SharedArrayBuffer(4 * total);
    const grads = Array.from({ length: o.threads }, () => new SharedArrayBuffer(4 * total));
    const { script, options } = workerScript(import.meta.url, 'worker-entry');
    const workers = grads.map((g, index) => {
      const { first, count } = sliceOf(o.config.batchSize, o.threads, index);
      const init: WorkerInit = {
        index,
        threads: o.threads,
        config: o.config,
        backend: o.backend,
        corpus: o.corpus,
        first,
        count,
        weights,
        grads: g,
        sizes: o.sizes,
        ...(o.faultAt?.worker === index ? { faultAtStep: o.faultAt.step } : {}),
      };
      // unref: a worker never keeps the process alive on its own (close() ends them on every normal path).
      const w = new Worker(script, { ...options, workerData: init });
      w.unref();
      return w;
    });
    const pool = new TrainingWorkers(workers, weights, grads, o.sizes, o.config.batchSize);
    workers.forEach((w, i) => {
      w.on('message', (r: WorkerReply) => pool.settle(i, r));
      w.on('error', (e) => pool.fail(i, e instanceof Error ? e.message : String(e)));
      w.on('exit', (code) => pool.fail(i, `exited with code ${code}`));
    });
    await pool.all(() => null);
    return pool;
  }

  private settle(i: number, r: WorkerReply): void {
    const p = this.pending[i];
    this.pending[i] = null;
    p?.resolve(r);
  }

  private fail(i: number, why: string): void {
    if (this.failure || this.closed) return;
    this.failure = new BitscaleError(`training worker ${i + 1} of ${this.workers.length} failed: ${why.split('\n')[0]}`);
    for (const p of this.pending) p?.reject(this.failure);
    this.pending = this.workers.map(() => null);
    void Promise.all(this.workers.map((w) => w.terminate()));
  }

  /** Send each worker its command (null: none, wait for its 'ready') and wait for every reply. */
  private all(command: (i: number) => WorkerCommand | null): Promise<WorkerReply[]> {
    if (this.failure) return Promise.reject(this.failure);
    return Promise.all(
      this.workers.map(
        (w, i) =>
          new Promise<WorkerReply>((resolve, reject) => {
            this.pending[i] = { resolve, reject };
            const c = command(i);
            if (c) w.postMessage(c);
          }),
      ),
    );
  }

  /** Copy the main thread's variables to the shared weights; workers reload them on their next command. */
  publish(variables: tf.Variable[]): void {
    variables.forEach((v, i) => this.weights[i].set(v.dataSync() as Float32Array));
    this.version++;
  }

  /**
   * Mean loss and gradient of the whole batch of update t: Σ_w (n_w/B)·(loss_w, g_w) in worker
   * order, in float32.
   */
  async gradients(t: number, tau: number, measure: boolean): Promise<{ lossNats: number; grads: Float32Array[]; peakBytes: number | null }> {
    const replies = await this.all(() => ({ kind: 'step', t, tau, version: this.version, measure }));
    const sum = this.sizes.map((n) => new Float32Array(n));
    let lossNats = 0;
    let peak: number | null = measure ? 0 : null;
    replies.forEach((r, w) => {
      if (r.kind !== 'step') throw new Error(`worker ${w + 1} answered '${r.kind}' to a step`);
      const c = this.slices[w].count / this.batchSize;
      lossNats += c * r.lossNats;
      if (peak !== null) peak += r.peakBytes ?? 0;
      this.grads[w].forEach((g, i) => {
        const s = sum[i];
        for (let k = 0; k < g.length; k++) s[k] += c * g[k];
      });
    });
    return { lossNats, grads: sum, peakBytes: peak };
  }

  /**
   * One optimizer update t on the main thread's model: the workers' summed gradients, the global
   * norm, AdamW (skipped when the loss or the norm is not finite), then the new weights published.
   */
  async trainingStep(model: BitLM, opt: AdamW, t: number, lr: number, tau: number, measure: boolean): Promise<ParallelStep> {
    const { lossNats, grads, peakBytes } = await this.gradients(t, tau, measure);
    let gradNorm = Number.NaN;
    const update = () => {
      tf.tidy(() => {
        const list = grads.map((g, i) => tf.tensor(g, model.variables[i].shape));
        gradNorm = AdamW.globalNorm(list).dataSync()[0];
        if (Number.isFinite(lossNats) && Number.isFinite(gradNorm)) opt.apply(list, gradNorm, lr);
      });
    };
    let mainPeak = 0;
    if (measure) mainPeak = (await tf.profile(update)).peakBytes;
    else update();
    this.publish(model.variables);
    return { lossNats, gradNorm, ...(peakBytes !== null ? { peakBytes: peakBytes + mainPeak } : {}) };
  }

  /** Mean validation bits per byte over `offsets`, the windows split among the workers like a batch. */
  async evaluateBpc(offsets: number[], batchSize: number): Promise<number> {
    const parts = this.workers.map((_, i) => {
      const { first, count } = sliceOf(offsets.length, this.workers.length, i);
      return offsets.slice(first, first + count);
    });
    const replies = await this.all((i) => ({ kind: 'eval', offsets: parts[i], batchSize, version: this.version }));
    let nats = 0;
    replies.forEach((r, w) => {
      if (r.kind !== 'eval') throw new Error(`worker ${w + 1} answered '${r.kind}' to an evaluation`);
      nats += r.nats;
    });
    return nats / offsets.length / Math.LN2;
  }

  /** End every worker. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
