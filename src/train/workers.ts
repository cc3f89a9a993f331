/**
 * Data-parallel training on every core. The wasm and cpu backends of TensorFlow.js run on one
 * thread in Node, so a run with `threads` > 1 starts that many worker_threads, each with its own
 * backend instance and model replica (src/train/worker-entry.ts). The weights and AdamW's moments
 * live in SharedArrayBuffers. Per update:
 *   1. worker w takes samples [⌊wB/N⌋, ⌊(w+1)B/N⌋) of the batch and writes its mean loss and
 *      gradients to its own shared region;
 *   2. after a barrier, worker w sums the gradients of its own range of the parameters (ranges
 *      split like the batch), weighted by slice size, in worker order 0 … N−1, and the squares of
 *      the sums; after a second barrier every worker adds the N partial squares in worker order
 *      (a fixed order, so a given N is bit-for-bit deterministic) into the global norm;
 *   3. worker w applies AdamW (AdamW.applyRange, the same float32 arithmetic as AdamW.apply) to its
 *      range of the shared weights and moments; every worker reloads the weights at its next
 *      command.
 * The main thread does no arithmetic between updates: it copies the state in (publish) when the run
 * starts or resumes and out (pull) for checkpoints. Batch windows and Gumbel noise belong to (seed,
 * step, sample index), so N changes only the order of summation. Evaluation windows are split the
 * same way. A worker that fails stops every pending and later request with its error; the others,
 * waiting at a barrier, are ended; the caller keeps its last checkpoint.
 */
import * as tf from '@tensorflow/tfjs-core';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { Corpus } from '../data/corpus.js';
import { BitscaleError } from '../util/errors.js';
import { workerScript } from '../util/worker-script.js';
import type { AdamW } from './adamw.js';
import { assignValues } from './replica.js';
import type { TrainConfig } from './presets.js';
import { testSeam } from './test-seam.js';

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
  /** Every variable's latent weights, in variable order, flat; then AdamW's first and second moments, same layout. */
  weights: SharedArrayBuffer;
  moments: [SharedArrayBuffer, SharedArrayBuffer];
  /** Every worker's gradients, same layout; worker w writes grads[w], then sums its range into it. */
  grads: SharedArrayBuffer[];
  /** The barrier's two Int32 counters, then per worker its mean loss and partial squared norm (float64). */
  control: SharedArrayBuffer;
  sizes: number[];
  /** The test seam's workerFault for this worker: throw at this update (0-based), as a worker that dies. */
  faultAtStep?: number;
}

/** Update `t` (0-based) with learning rate lr; `adamStep` is AdamW's update count after it. */
export type WorkerCommand = { kind: 'step'; t: number; tau: number; lr: number; adamStep: number; version: number; measure: boolean } | { kind: 'eval'; offsets: number[]; batchSize: number; version: number };
export type WorkerReply = { kind: 'ready' } | { kind: 'step'; lossNats: number; gradNorm: number; updated: boolean; peakBytes: number | null } | { kind: 'eval'; nats: number };

/**
 * The whole batch's gradient over [lo, hi): sum[k] = Σ_w shares[w]·grads[w][k] in worker order,
 * each partial sum rounded to float32, written into grads[0] (no other worker reads that range);
 * returns Σ_k sum[k]² in k order (float64). One pass over the range, where three (scale, add,
 * square) moved the range through memory three times: 24 → 8.5 ms a step for worker 0 of 2 at d1024,
 * 12 → 4.3 at d512 (5 interleaved blocks, two runs).
 * The same values as the passes, bit for bit: each term is a float64 product added in float64
 * and rounded once to float32, in the same order.
 */
export function reduceGradients(grads: readonly Float32Array[], shares: readonly number[], lo: number, hi: number): number {
  const sum = grads[0];
  const c0 = shares[0];
  let squares = 0;
  if (grads.length === 2) {
    const [g1, c1] = [grads[1], shares[1]];
    for (let k = lo; k < hi; k++) {
      const s = Math.fround(Math.fround(c0 * sum[k]) + c1 * g1[k]);
      sum[k] = s;
      squares += s * s;
    }
    return squares;
  }
  for (let k = lo; k < hi; k++) {
    let s = Math.fround(c0 * sum[k]);
    for (let w = 1; w < grads.length; w++) s = Math.fround(s + shares[w] * grads[w][k]);
    sum[k] = s;
    squares += s * s;
  }
  return squares;
}

/** Bytes of the control buffer for `threads` workers: two Int32 barrier counters, then 2 float64 per worker. */
export function controlBytes(threads: number): number {
  return 8 + 16 * threads;
}

/**
 * A reusable barrier for `parties` threads over two Int32 slots (arrived, generation) of shared
 * memory. Waits in 50 ms slices, so that a thread whose peer died can still be terminated.
 */
export class Barrier {
  private readonly i32: Int32Array;

  constructor(buffer: SharedArrayBuffer, private readonly parties: number) {
    this.i32 = new Int32Array(buffer, 0, 2);
  }

  wait(): void {
    const generation = Atomics.load(this.i32, 1);
    if (Atomics.add(this.i32, 0, 1) === this.parties - 1) {
      Atomics.store(this.i32, 0, 0);
      Atomics.add(this.i32, 1, 1);
      Atomics.notify(this.i32, 1);
      return;
    }
    while (Atomics.load(this.i32, 1) === generation) Atomics.wait(this.i32, 1, generation, 50);
  }
}

/** One Float32Array view per variable over a flat buffer of Σ sizes values. */
export function variableViews(buf: SharedArrayBuffer, sizes: number[]): Float32Array[] {
  let off = 0;
  return sizes.map((n) => {
    const v = new Float32Array(buf, 4 * off, n);
    off += n;
    return v;
  });
}

interface Pending {
  resolve: (r: WorkerReply) => void;
  reject: (e: Error) => void;
}

/** Worker threads this module has started that have not exited yet: 0 whenever no run is training. */
let runningThreads = 0;

export function runningWorkerThreads(): number {
  return runningThreads;
}

export interface ParallelStep {
  lossNats: number;
  gradNorm: number;
  /** Σ of the workers' peak bytes, when measured. */
  peakBytes?: number;
}

export class TrainingWorkers {
  private failure: Error | null = null;
  private closed = false;
  private pending: (Pending | null)[];
  private version = 0;
  private readonly weights: Float32Array[];
  private readonly moments: [Float32Array[], Float32Array[]];

  private constructor(
    private readonly workers: Worker[],
    weightsBuf: SharedArrayBuffer,
    momentBufs: [SharedArrayBuffer, SharedArrayBuffer],
    sizes: number[],
  ) {
    this.weights = variableViews(weightsBuf, sizes);
    this.moments = [variableViews(momentBufs[0], sizes), variableViews(momentBufs[1], sizes)];
    this.pending = workers.map(() => null);
  }

  get threads(): number {
    return this.workers.length;
  }

  /** Start `threads` workers for a run's config and corpus on `backend`; resolves when all are ready. */
  static async start(o: { config: TrainConfig; corpus: Corpus; backend: string; threads: number; sizes: number[] }): Promise<TrainingWorkers> {
    const fault = testSeam().workerFault;
    const total = o.sizes.reduce((a, b) => a + b, 0);
    const weights = new SharedArrayBuffer(4 * total);
    const moments: [SharedArrayBuffer, SharedArrayBuffer] = [new SharedArrayBuffer(4 * total), new SharedArrayBuffer(4 * total)];
    const grads = Array.from({ length: o.threads }, () => new SharedArrayBuffer(4 * total));
    const control = new SharedArrayBuffer(controlBytes(o.threads));
    const { script, options } = workerScript(import.meta.url, 'worker-entry');
    const workers = grads.map((_, index) => {
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
        moments,
        grads,
        control,
        sizes: o.sizes,
        ...(fault?.worker === index ? { faultAtStep: fault.step } : {}),
      };
      // Workers keep the process alive while they run (a 'message' listener refs a Worker even after
      // unref(), Node 20), so the trainer's shutdown closes them on every path, errors included.
      const w = new Worker(script, { ...options, workerData: init });
      runningThreads++;
      w.once('exit', () => runningThreads--);
      return w;
    });
    const pool = new TrainingWorkers(workers, weights, moments, o.sizes);
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

  /** Copy the main thread's weights and AdamW moments to shared memory (start, resume); workers reload on their next command. */
  publish(variables: tf.Variable[], opt: AdamW): void {
    variables.forEach((v, i) => this.weights[i].set(v.dataSync() as Float32Array));
    opt.m.forEach((v, i) => this.moments[0][i].set(v.dataSync() as Float32Array));
    opt.v.forEach((v, i) => this.moments[1][i].set(v.dataSync() as Float32Array));
    this.version++;
  }

  /** Copy the shared weights and moments back into the main thread's model and optimizer (checkpoints). */
  pull(variables: tf.Variable[], opt: AdamW): void {
    assignValues(variables, this.weights);
    assignValues(opt.m, this.moments[0]);
    assignValues(opt.v, this.moments[1]);
  }

  /**
   * One optimizer update t, done by the workers (see the module comment): the mean loss and global
   * gradient norm of the whole batch, and AdamW's step on the shared state unless either is not
   * finite. The optimizer's update count `opt.t` advances when the update is applied.
   */
  async trainingStep(opt: AdamW, t: number, lr: number, tau: number, measure: boolean): Promise<ParallelStep> {
    const replies = await this.all(() => ({ kind: 'step', t, tau, lr, adamStep: opt.t + 1, version: this.version, measure }));
    let peak: number | null = measure ? 0 : null;
    const steps = replies.map((r, w) => {
      if (r.kind !== 'step') throw new Error(`worker ${w + 1} answered '${r.kind}' to a step`);
      if (peak !== null) peak += r.peakBytes ?? 0;
      return r;
    });
    const { lossNats, gradNorm, updated } = steps[0];
    if (updated) {
      opt.t += 1;
      this.version++;
    }
    return { lossNats, gradNorm, ...(peak !== null ? { peakBytes: peak } : {}) };
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
