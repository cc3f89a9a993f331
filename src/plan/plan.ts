/**
 * The planner: for a budget (GPU-hours on a catalogued GPU, or a FLOPs total), every candidate
 * shape × batch size gets the largest micro-batch that fits (with accumulation to the batch), the
 * steps the budget buys at the estimator's calibrated speed, and a predicted val_bpc from a
 * law; the lowest prediction among candidates that fit is recommended. Pure: the caller passes
 * the shapes, the predictor (src/plan/predictors.ts) and the calibration.
 */
import { countParams, trainingFlopsPerStep, type ModelConfig } from '../arch/bitlm.js';
import type { Calibration } from '../estimate/calibrate.js';
import type { BatchAdjustment } from '../fit/predict.js';
import type { LrAdjustment } from '../fit/lr-transfer.js';
import { estimateTraining, type MemoryVerdict, type MicroBatchSplit } from '../estimate/estimate.js';
import type { GpuSpec } from '../estimate/hardware.js';
import { estimateTrainingMemory, type MemoryPrecision } from '../estimate/memory.js';
import { BitscaleError } from '../util/errors.js';
import { formatGiB, formatPercent } from '../util/format.js';
import type { PlanShape, ShapeOrigin } from './shapes.js';

/** What a law says about one candidate; `range` is the interval with every alternative law's value in it. */
export interface PlanPrediction {
  valBpc: number;
  interval: { level: number; lo: number; hi: number } | null;
  range: { lo: number; hi: number } | null;
  method: string;
  warnings: string[];
  /** For the run table's laws: the saturating law used and the step count of its matched budget (what a refit holds and where short runs go). */
  law?: 'A fixed' | 'A free';
  baseSteps?: number;
  /** For the run table's laws at a batch size the budget did not measure: the critical-batch law's move (src/fit/batch-transfer.ts). */
  batch?: BatchAdjustment | null;
  /** For the run table's laws where a batch/LR grid exists: the learning rate the prediction stands for (src/fit/lr-transfer.ts). */
  lr?: LrAdjustment | null;
}

export interface PredictorQuery {
  config: ModelConfig;
  params: number;
  steps: number;
  batchSize: number;
  tokens: number;
}

/** A law as the planner uses it; throws BitscaleError where it cannot predict. */
export type Predictor = (q: PredictorQuery) => PlanPrediction;

/** The budget: hours on `gpus` GPUs, or a total of training FLOPs (run on the same GPUs). */
export type PlanBudget = { kind: 'hours'; hours: number } | { kind: 'flops'; flops: number };

/** The measured ranges a candidate is compared with, to mark extrapolation. */
export interface MeasuredRanges {
  params: { min: number; max: number };
  steps?: { min: number; max: number };
  tokens?: { min: number; max: number };
}

export interface PlanInput {
  gpu: GpuSpec;
  gpus: number;
  budget: PlanBudget;
  shapes: readonly PlanShape[];
  /** Effective batch sizes (sequences per optimizer step over all GPUs), e.g. those the runs were measured at. */
  batchSizes: readonly number[];
  predict: Predictor;
  calibration?: Calibration;
  precision?: MemoryPrecision;
  measured?: MeasuredRanges | null;
  /** Fraction of each GPU's usable memory kept free (default DEFAULT_PLAN_HEADROOM). */
  headroom?: number;
  /** FLOPs of one optimizer step, for a FLOPs budget (default trainingFlopsPerStep; a test may pass 6·N·tokens). */
  flopsPerStep?: (config: ModelConfig, batchSize: number) => number;
}

/** The plan keeps 5% of the usable memory free: the memory model's own error is a few percent (docs/memory.md), and the allocator fragments. */
export const DEFAULT_PLAN_HEADROOM = 0.05;

/** How far outside the measured ranges a candidate lies: factor > 1 beyond, null inside. */
export interface Extrapolation {
  /** N / largest measured N, or smallest / N. */
  params: number | null;
  steps: number | null;
  tokens: number | null;
}

export interface PlanCandidate {
  label: string;
  origin: ShapeOrigin;
  config: ModelConfig;
  params: number;
  batchSize: number;
  /** Sequences each GPU runs per optimizer step (batchSize / gpus). */
  perGpuBatch: number;
  /** The per-GPU batch cut into micro-batches that fit (sums to perGpuBatch). */
  split: MicroBatchSplit;
  microBatch: number;
  accumulation: number;
  /** Peak bytes of the largest micro-batch, what the GPU offers, and that less the headroom (the limit). */
  memoryBytes: number;
  usableBytes: number;
  limitBytes: number;
  /** The largest micro-batch over the estimator's T×T bytes/element range: fits, or depends (fits at ≤ X). */
  memoryVerdict: MemoryVerdict;
  secondsPerStep: number;
  /** Where the speed came from (the estimator's throughput choice: a calibrating run or an MFU assumption). */
  speed: string;
  steps: number;
  tokens: number;
  tokensPerParam: number;
  /** Wall-clock of the run and GPU-hours (hours × gpus). */
  hours: number;
  gpuHours: number;
  flops: number;
  prediction: PlanPrediction;
  extrapolation: Extrapolation | null;
}

export interface Excluded {
  label: string;
  batchSize: number;
  reason: string;
}

export interface PlanResult {
  gpu: GpuSpec;
  gpus: number;
  budget: PlanBudget;
  /** The fraction of usable memory kept free. */
  headroom: number;
  /** Every candidate that fits and got a prediction, best (lowest val_bpc) first. */
  candidates: PlanCandidate[];
  excluded: Excluded[];
  /** The best candidate of each size, in order of size. */
  frontier: PlanCandidate[];
  recommended: PlanCandidate;
  /** The best candidate of another size, or null when only one size is left. */
  nextBest: PlanCandidate | null;
  /** nextBest's val_bpc − recommended's. */
  gap: number | null;
  /** True when the two ranges (or intervals, or points) overlap: the data cannot tell them apart. */
  overlap: boolean | null;
  /** 'largest' / 'smallest' when the recommendation is the largest / smallest size that fits: the optimum may lie beyond the shapes searched. */
  edge: 'largest' | 'smallest' | null;
  assumptions: string[];
}

/**
 * A split in "micro-batch × accumulation" order: "64 × 4"; uneven, each size × its count:
 * "86 × 1 + 85 × 2" (the estimator's formatSplit writes count × size: "4 × 64").
 */
export function microAccumText(split: MicroBatchSplit): string {
  return split.parts.map((p) => `${p.size} × ${p.count}`).join(' + ');
}

/** A candidate's memory verdict in a table cell: "fits", or "≤ 4.48 B" where it fits only up to that many T×T bytes/element. */
export function verdictCell(v: MemoryVerdict): string {
  return v.kind === 'fits' ? 'fits' : v.kind === 'no' ? 'no' : `≤ ${v.maxTtBytes.toFixed(2)} B`;
}

/** A prediction's range: interval ∪ other laws, else the interval, else the point. */
export function spanOf(p: Pick<PlanPrediction, 'valBpc' | 'interval' | 'range'>): { lo: number; hi: number } {
  return p.range ?? (p.interval ? { lo: p.interval.lo, hi: p.interval.hi } : { lo: p.valBpc, hi: p.valBpc });
}

/** Whether two predictions' ranges (interval ∪ other laws, else the interval, else the point) overlap. */
export function rangesOverlap(a: Pick<PlanPrediction, 'valBpc' | 'interval' | 'range'>, b: Pick<PlanPrediction, 'valBpc' | 'interval' | 'range'>): boolean {
  const x = spanOf(a);
  const y = spanOf(b);
  return x.lo <= y.hi && y.lo <= x.hi;
}

/** How far (N, steps, tokens) lie outside the measured ranges given; null when inside all. */
export function extrapolationOf(params: number, steps: number, tokens: number, m: MeasuredRanges): Extrapolation | null {
  const factor = (v: number, r?: { min: number; max: number }) => (!r ? null : v > r.max ? v / r.max : v < r.min ? r.min / v : null);
  const e = { params: factor(params, m.params), steps: factor(steps, m.steps), tokens: factor(tokens, m.tokens) };
  return e.params === null && e.steps === null && e.tokens === null ? null : e;
}

/** Lower val_bpc first; ties to the smaller model, then the smaller batch. */
function byPrediction(a: PlanCandidate, b: PlanCandidate): number {
  return a.prediction.valBpc - b.prediction.valBpc || a.params - b.params || a.batchSize - b.batchSize || a.label.localeCompare(b.label);
}

/**
 * Plan a training run for the budget:
 *   per GPU batch  b = bs / gpus (data parallel; bs must divide);
 *   split          = estimateTraining(config, b, gpu).split: micro-batches that fit, summing to b;
 *   s/step         = the estimator's seconds for b on one GPU (all-reduce time not modelled);
 *   steps          = floor(hours·3600 / s/step), or floor(C / flopsPerStep(config, bs));
 *   tokens         = steps · bs · T;
 * then each candidate's prediction; the recommendation is the lowest val_bpc among those that fit.
 * Throws BitscaleError when nothing fits or nothing could be predicted (the reasons listed).
 */
export function planTraining(input: PlanInput): PlanResult {
  const { gpu, gpus, budget } = input;
  if (!(Number.isInteger(gpus) && gpus >= 1)) throw new BitscaleError(`GPUs must be a positive integer, got ${gpus}`, { field: 'gpus' });
  if (budget.kind === 'hours' && !(budget.hours > 0 && Number.isFinite(budget.hours))) throw new BitscaleError(`hours must be > 0, got ${budget.hours}`, { field: 'hours' });
  if (budget.kind === 'flops' && !(budget.flops > 0 && Number.isFinite(budget.flops))) throw new BitscaleError(`FLOPs must be > 0, got ${budget.flops}`, { field: 'flops' });
  if (input.shapes.length === 0 || input.batchSizes.length === 0) throw new BitscaleError('no shapes or no batch sizes to plan over', { field: 'shape' });
  const flopsPerStep = input.flopsPerStep ?? trainingFlopsPerStep;
  const headroom = input.headroom ?? DEFAULT_PLAN_HEADROOM;
  const candidates: PlanCandidate[] = [];
  const excluded: Excluded[] = [];
  let predictionError: BitscaleError | null = null;
  for (const shape of input.shapes) {
    const { config, label } = shape;
    const params = countParams(config);
    for (const batchSize of input.batchSizes) {
      const skip = (reason: string) => excluded.push({ label, batchSize, reason });
      if (batchSize % gpus !== 0) {
        skip(`bs ${batchSize} does not divide over ${gpus} GPUs`);
        continue;
      }
      const perGpuBatch = batchSize / gpus;
      const e = estimateTraining({ config, batchSize: perGpuBatch, gpu, precision: input.precision, headroom }, input.calibration);
      if (e.split === null || e.secondsPerStep === null || e.microBatchVerdict === null) {
        skip(`does not fit ${gpu.name} even at micro-batch 1 (${formatGiB(estimateTrainingMemory(config, 1, { precision: e.precision, preset: e.preset, ttBytesPerElement: e.tt.value }).totalBytes, 1)} > ${formatGiB(e.limitBytes, 1)}, the usable less ${formatPercent(headroom, 0)} headroom)`);
        continue;
      }
      const memoryBytes = estimateTrainingMemory(config, e.split.largest, { precision: e.precision, preset: e.preset, ttBytesPerElement: e.tt.value }).totalBytes;
      if (memoryBytes > e.limitBytes) {
        // The split is built to fit; this guards the rule that nothing recommended is over memory.
        skip(`micro-batch ${e.split.largest} needs ${memoryBytes} bytes > ${e.limitBytes} (usable less headroom)`);
        continue;
      }
      const secondsPerStep = e.secondsPerStep;
      const steps = budget.kind === 'hours' ? Math.floor((budget.hours * 3600) / secondsPerStep) : Math.floor(budget.flops / flopsPerStep(config, batchSize));
      if (steps < 1) {
        skip(`the budget buys no whole step (${secondsPerStep.toPrecision(3)} s/step)`);
        continue;
      }
      const tokens = steps * batchSize * config.seqLen;
      let prediction: PlanPrediction;
      try {
        prediction = input.predict({ config, params, steps, batchSize, tokens });
      } catch (err) {
        if (!(err instanceof BitscaleError)) throw err;
        predictionError ??= err;
        skip(`no prediction: ${err.message}`);
        continue;
      }
      const hours = (steps * secondsPerStep) / 3600;
      candidates.push({
        label,
        origin: shape.origin,
        config,
        params,
        batchSize,
        perGpuBatch,
        split: e.split,
        microBatch: e.split.largest,
        accumulation: e.split.steps,
        memoryBytes,
        usableBytes: e.usableBytes,
        limitBytes: e.limitBytes,
        memoryVerdict: e.microBatchVerdict,
        secondsPerStep,
        speed: `${e.throughput.detail}${e.throughput.spread ? `; spread: ${e.throughput.spread}` : ''}${e.throughput.extrapolation ? `; ${e.throughput.extrapolation}` : ''}${e.floorApplied ? '; the per-micro-step launch floor sets the time' : ''}`,
        steps,
        tokens,
        tokensPerParam: tokens / params,
        hours,
        gpuHours: hours * gpus,
        flops: steps * flopsPerStep(config, batchSize),
        prediction,
        extrapolation: input.measured ? extrapolationOf(params, steps, tokens, input.measured) : null,
      });
    }
  }
  if (candidates.length === 0) {
    // Blame what failed: the law (its own field) when some candidate fit and none could be predicted, else the GPU.
    if (predictionError) throw predictionError;
    const reasons = [...new Set(excluded.map((x) => x.reason))].slice(0, 3).join('; ');
    throw new BitscaleError(`no candidate fits ${gpus > 1 ? `${gpus}× ` : ''}${gpu.name} (${reasons})`, { field: 'gpu' });
  }
  candidates.sort(byPrediction);
  const bestPerSize = new Map<number, PlanCandidate>();
  for (const c of candidates) if (!bestPerSize.has(c.params)) bestPerSize.set(c.params, c);
  const frontier = [...bestPerSize.values()].sort((a, b) => a.params - b.params);
  const recommended = candidates[0];
  const nextBest = candidates.find((c) => c.params !== recommended.params) ?? null;
  const assumptions = [
    `data parallel over ${gpus} GPU${gpus > 1 ? 's' : ''}: each runs bs/${gpus} sequences per step; gradient all-reduce time is not modelled`,
    budget.kind === 'hours'
      ? `steps = floor(${budget.hours} h × 3600 / s per step), s per step from the estimator (memory model and calibrated speed)`
      : `steps = floor(${budget.flops.toExponential(3)} FLOPs / FLOPs per step); hours at the estimator's speed`,
    `memory: ${formatPercent(headroom, 0)} of the usable memory kept free (--headroom ${headroom}); micro-batch: the largest that fits the rest by the memory model; accumulation brings it to the batch size (an exact split)`,
    'memory verdict per candidate over the estimator\'s T×T bytes/element range: "fits" across it, or "≤ X" where it fits only up to X bytes/element',
    'a candidate outside the measured sizes or step counts is an extrapolation; the factor says how far',
  ];
  return {
    gpu,
    gpus,
    budget,
    headroom,
    candidates,
    excluded,
    frontier,
    recommended,
    nextBest,
    gap: nextBest ? nextBest.prediction.valBpc - recommended.prediction.valBpc : null,
    overlap: nextBest ? rangesOverlap(recommended.prediction, nextBest.prediction) : null,
    edge: frontier.length < 2 ? null : recommended.params === frontier.at(-1)!.params ? 'largest' : recommended.params === frontier[0].params ? 'smallest' : null,
    assumptions,
  };
}
