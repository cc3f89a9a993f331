/**
 * One training estimate: parameters, FLOPs per step, the memory breakdown, whether it fits, the
 * largest micro-batch that does, gradient accumulation, seconds per step and total hours, with
 * the evidence each figure rests on. Pure: the caller loads runs and passes a Calibration.
 */
import { countParams, trainingFlopsPerStep, type ModelConfig } from '../arch/bitlm.js';
import { formatDuration, formatGiB, formatPercent, formatRange } from '../util/format.js';
import { BitscaleError } from '../util/errors.js';
import { curveSeconds, fitSpeedCurve, type Calibration, type PeakCheck, type SpeedCurve, type ThroughputPoint, type TtCalibration } from './calibrate.js';
import { requireGpu, type GpuSpec } from './hardware.js';
import {
  COMPONENT_KEYS,
  DEFAULT_PRESET,
  STORAGE_PRESETS,
  estimateTrainingMemory,
  maxMicroBatch,
  maxTtBytesThatFit,
  presetTtBytes,
  type MemoryBreakdown,
  type MemoryPrecision,
  type StoragePresetId,
} from './memory.js';

/** MFU assumed when no run at the precision measured one (on any GPU): the seed's 46.4M bs=256 A100 run reached ~0.23. */
export const DEFAULT_MFU = 0.25;

/**
 * The per-micro-step time floor: however few FLOPs a step does, the host still launches every
 * kernel of the forward pass, the backward pass and the optimizer, one after another. A micro-step
 * takes at least KERNELS_PER_LAYER × layers × KERNEL_LAUNCH_SECONDS.
 *   KERNEL_LAUNCH_SECONDS = 5 µs: the low end of the 5–20 µs CPU-side launch time per CUDA kernel
 *     that Meta's Holistic Trace Analysis documentation reports ("CUDA kernel launch statistics",
 *     github.com/facebookresearch/HolisticTraceAnalysis, docs/source/features/cuda_kernel_launch_stats.rst).
 *   KERNELS_PER_LAYER = 100: a BitLMv57 layer runs about 30 kernels forward (7 sign + 7 matmuls,
 *     scores, ALiBi add, Gumbel noise, softmax, argmax, one-hot, STE combine, FFN product, the
 *     residual sum and its sign), about twice that backward, and its share of the optimizer.
 * An assumption, not a measurement: it keeps a tiny model from getting microseconds per step, and
 * is printed with every estimate.
 */
export const KERNEL_LAUNCH_SECONDS = 5e-6;
export const KERNELS_PER_LAYER = 100;

/** The time floor of one micro-step of `config` (see KERNEL_LAUNCH_SECONDS). */
export function microStepFloorSeconds(config: Pick<ModelConfig, 'layers'>): number {
  return KERNELS_PER_LAYER * config.layers * KERNEL_LAUNCH_SECONDS;
}

/** How an effective batch is cut into micro-batches: `count` micro-batches of `size`, largest first. */
export interface MicroBatchSplit {
  parts: { size: number; count: number }[];
  /** Micro-steps per optimizer step (Σ count). */
  steps: number;
  /** The largest micro-batch (the one whose memory must fit). */
  largest: number;
  even: boolean;
}

/**
 * Cut an effective batch of `batchSize` sequences into micro-batches of at most `maxMicro`,
 * summing to exactly `batchSize`:
 *   k = ceil(bs / maxMicro) micro-steps are needed at least;
 *   equal micro-batches are preferred: the smallest k' in [k, 2k] that divides bs gives k' × bs/k'
 *   (bs 256, max 122 → 4 × 64 rather than 3 × 86 = 258);
 *   otherwise k balanced micro-batches that differ by one (bs 251, max 122 → 2 × 84 + 1 × 83).
 * null when not even a micro-batch of 1 fits (maxMicro < 1).
 */
export function splitBatch(batchSize: number, maxMicro: number): MicroBatchSplit | null {
  if (!(Number.isSafeInteger(batchSize) && batchSize >= 1)) throw new BitscaleError(`batch size must be a positive integer, got ${batchSize}`, { field: 'batch-size' });
  if (!(maxMicro >= 1)) return null;
  const k = Math.ceil(batchSize / Math.min(maxMicro, batchSize));
  for (let even = k; even <= 2 * k; even++) {
    if (batchSize % even === 0) return { parts: [{ size: batchSize / even, count: even }], steps: even, largest: batchSize / even, even: true };
  }
  return fewestSplit(batchSize, maxMicro);
}

/**
 * The split with the fewest micro-steps, k = ceil(bs / maxMicro), balanced (sizes differ by at most
 * one): bs 251, max 122 → 2 × 84 + 1 × 83; bs 256, max 122 → 1 × 86 + 2 × 85. null when maxMicro < 1.
 */
export function fewestSplit(batchSize: number, maxMicro: number): MicroBatchSplit | null {
  if (!(maxMicro >= 1)) return null;
  const k = Math.ceil(batchSize / Math.min(maxMicro, batchSize));
  const q = Math.floor(batchSize / k);
  const r = batchSize - q * k;
  const parts = [{ size: q + 1, count: r }, { size: q, count: k - r }].filter((p) => p.count > 0);
  return { parts, steps: k, largest: parts[0].size, even: r === 0 };
}

/** "4 × 64" or, for an uneven split, "2 × 84 + 1 × 83" (count × micro-batch). */
export function formatSplit(split: MicroBatchSplit): string {
  return split.parts.map((p) => `${p.count} × ${p.size}`).join(' + ');
}

export interface EstimateInput {
  config: ModelConfig;
  /** The effective batch (sequences per optimizer step). */
  batchSize: number;
  /** Catalog id or name ("a100-40gb", "A100 40GB"), or a spec. */
  gpu: string | GpuSpec;
  precision?: MemoryPrecision;
  preset?: StoragePresetId;
  /** Optimizer steps, for total hours. */
  steps?: number;
  /** Force bytes per T×T element (skips calibration of it). */
  ttBytesPerElement?: number;
  /** MFU to assume when no calibrating run exists (default DEFAULT_MFU). */
  mfu?: number;
  /** Fraction of the usable memory kept free, in [0, 1) (default 0; `plan` keeps DEFAULT_PLAN_HEADROOM). */
  headroom?: number;
}

/**
 * Whether a batch fits across the T×T bytes-per-element range the calibration allows (TtChoice's
 * min–max): 'fits' at the range's top, 'no' even at its bottom, else 'depends' — it fits at up to
 * maxTtBytes bytes per element. Without a range (given by --tt-bytes, or an uncalibrated preset) the
 * one value decides.
 */
export interface MemoryVerdict {
  kind: 'fits' | 'no' | 'depends';
  /** The largest T×T bytes per element at which it fits the memory limit (−∞: not even at 0). */
  maxTtBytes: number;
  /** The range judged over: [min, max] (max null: no upper evidence), or the one value. */
  range: [number, number | null];
  /** "fits", "does not fit" or "depends on the T×T storage (fits at ≤ 3.60 bytes/element)". */
  text: string;
}

/** The verdict for `batchSize` as one micro-batch against `limitBytes`, over the T×T range `tt`. */
export function memoryVerdict(config: ModelConfig, batchSize: number, limitBytes: number, tt: TtChoice, options: { precision: MemoryPrecision; preset: StoragePresetId }): MemoryVerdict {
  const maxTtBytes = maxTtBytesThatFit(config, batchSize, limitBytes, options);
  const lo = tt.min ?? tt.value;
  const hi = tt.min === null ? tt.value : tt.max;
  const kind = maxTtBytes < lo ? 'no' : hi !== null && maxTtBytes >= hi ? 'fits' : 'depends';
  const text = kind === 'fits' ? 'fits' : kind === 'no' ? 'does not fit' : `depends on the T×T storage (fits at ≤ ${maxTtBytes.toFixed(2)} bytes/element)`;
  return { kind, maxTtBytes, range: [lo, hi], text };
}

export interface TtChoice {
  value: number;
  source: string;
  min: number | null;
  max: number | null;
}

export interface ThroughputChoice {
  /** calibrated: the curve of runs on this GPU; transferred: of runs on other GPUs at this precision; mfu-assumption: a constant MFU. */
  method: 'calibrated' | 'transferred' | 'mfu-assumption';
  /** seconds(F) = (F / mfuMax + overheadFlops) / peak (src/estimate/calibrate.ts); a constant MFU has overheadFlops 0. */
  curve: SpeedCurve;
  /** The GPU's dense FLOP/s at the precision. */
  peakFlops: number;
  /** FLOPs per step over seconds per step at this estimate's shape and batch, and that over the peak. */
  achievedFlops: number;
  mfu: number;
  detail: string;
  /** How far the curve is from the runs it rests on: the leave-one-out range, in words; null without two runs. */
  spread: string | null;
  /** Where this step's FLOPs lie outside those of the runs the curve rests on: how far, and the MFU read off there; null inside. */
  extrapolation: string | null;
}

export interface TrainingEstimate {
  config: ModelConfig;
  batchSize: number;
  gpu: GpuSpec;
  precision: MemoryPrecision;
  preset: StoragePresetId;
  params: number;
  /** FLOPs of one optimizer step over the whole effective batch (src/arch/bitlm.ts). */
  flopsPerStep: number;
  /** Memory at the requested batch, as one micro-batch. */
  memory: MemoryBreakdown;
  totalBytes: number;
  usableBytes: number;
  /** The fraction of usableBytes kept free, and what is left: the limit every fit is judged against. */
  headroom: number;
  limitBytes: number;
  /** At the T×T value used (tt.value). */
  fits: boolean;
  /** The whole batch as one micro-batch, over the T×T range. */
  verdict: MemoryVerdict;
  /** The largest micro-batch of the split, over the T×T range; null when none fits. */
  microBatchVerdict: MemoryVerdict | null;
  maxMicroBatch: number;
  /** The micro-batches one optimizer step runs (splitBatch); they sum to batchSize. null when not even bs=1 fits. */
  split: MicroBatchSplit | null;
  /** The largest micro-batch actually run (split.largest); 0 when none fits. */
  microBatch: number;
  /** Micro-steps per optimizer step (split.steps); null when not even bs=1 fits. */
  gradAccumSteps: number | null;
  secondsPerStep: number | null;
  /** The per-micro-step floor (microStepFloorSeconds) and whether it, not the FLOPs, set the time. */
  floorSecondsPerMicroStep: number;
  floorApplied: boolean;
  steps: number | null;
  totalHours: number | null;
  tt: TtChoice;
  throughput: ThroughputChoice;
  /** One line per figure that rests on evidence or an assumption. */
  evidence: string[];
}

function chooseTt(input: EstimateInput, preset: StoragePresetId, calibration?: Calibration): TtChoice {
  if (input.ttBytesPerElement !== undefined) return { value: input.ttBytesPerElement, source: 'given by the caller (--tt-bytes)', min: null, max: null };
  const cal: TtCalibration | undefined = calibration?.tt[preset];
  if (!cal) return { value: presetTtBytes(STORAGE_PRESETS[preset]), source: `preset ${preset}, not calibrated (no calibration for this preset)`, min: null, max: null };
  const max = Number.isFinite(cal.max) ? cal.max : null;
  const range = `consistent range ${formatRange(cal.min, max, 2)}; upper bound: ${cal.maxSource}; lower bound: ${cal.minSource}`;
  return { value: cal.value, source: `${cal.verdict} (${range})`, min: cal.min, max };
}

const tflop = (x: number) => `${(x / 1e12).toFixed(2)} TFLOP`;

/** "×0.43–×2.35" over the ratios. */
function ratioRange(ratios: number[]): string {
  return `×${Math.min(...ratios).toFixed(2)}–×${Math.max(...ratios).toFixed(2)}`;
}

/** The curve in words: its formula, the runs and their measured MFU, the fixed part on this GPU. */
function describeCurve(curve: SpeedCurve, points: readonly ThroughputPoint[], peak: number | null): string {
  const mfus = points.map((p) => p.mfu);
  const measured = points.length === 1 ? formatPercent(mfus[0]) : `${formatPercent(Math.min(...mfus))}–${formatPercent(Math.max(...mfus))}`;
  const runs = points.map((p) => `${p.runId} (${p.gpu}, bs=${p.batchSize}, ${(p.secondsPerStep * 1000).toFixed(0)} ms/step, ${tflop(p.flopsPerStep)}/step)`).join(', ');
  if (curve.overheadFlops === 0) return `constant MFU ${formatPercent(curve.mfuMax)} measured by ${runs} (one run cannot separate a fixed part from the FLOPs)`;
  const fixed = peak === null ? 'a fixed part' : `a fixed ${formatDuration(curve.overheadFlops / peak)} per step here`;
  return `MFU(F) = ${formatPercent(curve.mfuMax)} · F / (F + ${tflop(curve.mfuMax * curve.overheadFlops)}), F the FLOPs per step: ${fixed} plus the FLOPs at ${formatPercent(curve.mfuMax)} of peak, fitted on ${points.length} runs (measured MFU ${measured}): ${runs}`;
}

function spreadText(curve: SpeedCurve): string | null {
  if (curve.leaveOneOut.length === 0) return null;
  const exact = curve.residuals.every((r) => Math.abs(r.ratio - 1) < 1e-9);
  return `${exact ? `the curve passes through its ${curve.residuals.length} runs` : `the curve gives its runs' step times at ${ratioRange(curve.residuals.map((r) => r.ratio))}`}; fitted without one run, it gives that run's time at ${ratioRange(curve.leaveOneOut.map((r) => r.ratio))} of measured`;
}

/** "this step's 160.2 TFLOP is 8.1× the most any calibrating run did (19.84 TFLOP): MFU 38.0% read off the curve, above any measured (9.8%–23.0%)", or null inside the runs' range. */
function speedExtrapolation(curve: SpeedCurve, flops: number, mfu: number): string | null {
  if (!curve.flopsRange || !curve.mfuRange) return null;
  const [lo, hi] = curve.flopsRange;
  if (flops >= lo && flops <= hi) return null;
  const beyond = flops > hi ? `${(flops / hi).toFixed(1)}× the most any calibrating run did (${tflop(hi)})` : `${(lo / flops).toFixed(1)}× below the least any calibrating run did (${tflop(lo)})`;
  const [mlo, mhi] = curve.mfuRange;
  const where = mfu > mhi ? 'above any measured' : mfu < mlo ? 'below any measured' : 'inside the measured';
  return `this step's ${tflop(flops)} is ${beyond}: MFU ${formatPercent(mfu)} read off the curve, ${where} (${formatPercent(mlo)}–${formatPercent(mhi)})`;
}

/**
 * How fast a step runs on this GPU and precision, as a function of its FLOPs:
 *   --mfu given              → that MFU, constant;
 *   runs on this GPU         → the speed curve fitted on them (calibrateFromRuns' points);
 *   runs on other GPUs only  → their curve, in MFU, carried to this GPU's peak (an assumption);
 *   no runs                  → DEFAULT_MFU, constant.
 * Every branch's time grows with the FLOPs (src/estimate/calibrate.ts, SpeedCurve).
 */
export function chooseSpeed(gpu: GpuSpec, precision: MemoryPrecision, calibration?: Calibration, mfu?: number): Omit<ThroughputChoice, 'achievedFlops' | 'mfu' | 'extrapolation'> {
  const peak = precision === 'fp32' ? gpu.fp32Flops : gpu.bf16Flops;
  const peakText = `${(peak / 1e12).toFixed(1)} TFLOP/s dense ${precision === 'fp32' ? 'fp32' : 'bf16'} peak`;
  const points = (calibration?.throughput ?? []).filter((p) => p.precision === precision);
  const same = points.filter((p) => p.gpu === gpu.id);
  const constant = (m: number): SpeedCurve => ({ mfuMax: m, overheadFlops: 0, runs: [], flopsRange: null, mfuRange: null, leaveOneOut: [], residuals: [] });
  if (mfu !== undefined) {
    const measured = fitSpeedCurve(same);
    return {
      method: 'mfu-assumption',
      curve: constant(mfu),
      peakFlops: peak,
      detail: `MFU ${formatPercent(mfu)} given (--mfu) of ${peakText}${measured ? `, instead of the curve measured on ${gpu.id}: ${describeCurve(measured, same, peak)}` : ''}`,
      spread: null,
    };
  }
  const used = same.length > 0 ? same : points;
  const curve = fitSpeedCurve(used);
  if (!curve) return { method: 'mfu-assumption', curve: constant(DEFAULT_MFU), peakFlops: peak, detail: `no measured run at ${precision}: assumed MFU ${formatPercent(DEFAULT_MFU)} (default) of ${peakText}`, spread: null };
  if (same.length > 0) return { method: 'calibrated', curve, peakFlops: peak, detail: `${describeCurve(curve, used, peak)}; ${peakText}`, spread: spreadText(curve) };
  return {
    method: 'transferred',
    curve,
    peakFlops: peak,
    // The curve is stated without this GPU's figures, so that every GPU it is carried to reads the same.
    detail: `no measured run on ${gpu.id} at ${precision}: assumed the MFU curve of the runs on ${[...new Set(used.map((p) => p.gpu))].join(', ')} carries over (${describeCurve(curve, used, null)}) of ${peakText}`,
    spread: spreadText(curve),
  };
}

/**
 * The estimate for training `config` at effective batch `batchSize` on `gpu`:
 *   fits           = memory(bs).total ≤ usable
 *   maxMicroBatch  = floor((usable − fixed) / perSample)
 *   split          = splitBatch(bs, maxMicroBatch): micro-batches summing to exactly bs
 *   secondsPerStep = fixed / peak + Σ over micro-batches of max(flops(micro) / (mfuMax · peak), floor)
 *                    (the speed curve's fixed part once per optimizer step; chooseSpeed)
 *   totalHours     = steps · secondsPerStep / 3600
 */
export function estimateTraining(input: EstimateInput, calibration?: Calibration): TrainingEstimate {
  const { config, batchSize } = input;
  if (!(Number.isInteger(batchSize) && batchSize >= 1)) throw new BitscaleError(`batch size must be a positive integer, got ${batchSize}`, { field: 'batch-size' });
  const gpu = typeof input.gpu === 'string' ? requireGpu(input.gpu) : input.gpu;
  const precision = input.precision ?? (input.preset ? STORAGE_PRESETS[input.preset].precision : 'bf16-autocast');
  const preset = input.preset ?? DEFAULT_PRESET[precision];
  const tt = chooseTt(input, preset, calibration);
  const memory = estimateTrainingMemory(config, batchSize, { precision, preset, ttBytesPerElement: tt.value });
  const usableBytes = gpu.usableBytes;
  const headroom = input.headroom ?? 0;
  if (!(headroom >= 0 && headroom < 1)) throw new BitscaleError(`headroom must be a fraction in [0, 1), got ${headroom}`, { field: 'headroom' });
  const limitBytes = usableBytes * (1 - headroom);
  const fits = memory.totalBytes <= limitBytes;
  const maxMicro = maxMicroBatch(memory, limitBytes);
  const flopsPerStep = trainingFlopsPerStep(config, batchSize);
  const speed = chooseSpeed(gpu, precision, calibration, input.mfu);
  const floor = microStepFloorSeconds(config);
  const microSeconds = (size: number) => trainingFlopsPerStep(config, size) / (speed.curve.mfuMax * speed.peakFlops);
  const splitSeconds = (s: MicroBatchSplit) => speed.curve.overheadFlops / speed.peakFlops + s.parts.reduce((sum, p) => sum + p.count * Math.max(microSeconds(p.size), floor), 0);
  // Equal micro-batches where they cost nothing; where the launch floor makes their extra micro-steps
  // slower, the fewest micro-steps instead (so that a larger batch never gets a faster step).
  const evenSplit = splitBatch(batchSize, fits ? batchSize : maxMicro);
  const fewest = fewestSplit(batchSize, fits ? batchSize : maxMicro);
  const split = evenSplit && fewest && splitSeconds(fewest) < splitSeconds(evenSplit) ? fewest : evenSplit;
  const microBatch = split?.largest ?? 0;
  const gradAccumSteps = split?.steps ?? null;
  const floorApplied = split !== null && split.parts.some((p) => microSeconds(p.size) < floor);
  const secondsPerStep = split ? splitSeconds(split) : null;
  // Achieved FLOP/s at this shape; with no split, at a micro-batch of 1 (what the curve would give it).
  const achievedFlops = secondsPerStep !== null ? flopsPerStep / secondsPerStep : trainingFlopsPerStep(config, 1) / curveSeconds(speed.curve, trainingFlopsPerStep(config, 1), speed.peakFlops);
  const mfuHere = achievedFlops / speed.peakFlops;
  const throughput: ThroughputChoice = { ...speed, achievedFlops, mfu: mfuHere, extrapolation: speedExtrapolation(speed.curve, flopsPerStep, mfuHere) };
  const storage = { precision, preset };
  const verdict = memoryVerdict(config, batchSize, limitBytes, tt, storage);
  const microBatchVerdict = split ? memoryVerdict(config, split.largest, limitBytes, tt, storage) : null;
  const steps = input.steps ?? null;
  const totalHours = steps !== null && secondsPerStep !== null ? (steps * secondsPerStep) / 3600 : null;
  const evidence = [
    `GPU ${gpu.name}: ${formatGiB(usableBytes)} usable (${gpu.sources.capacity_gib}; less the runtime reserve)${headroom > 0 ? `; ${formatPercent(headroom, 0)} kept free as headroom, so ${formatGiB(limitBytes)} is the limit` : ''}`,
    `storage ${preset}: ${STORAGE_PRESETS[preset].description}${input.preset ? '' : ` (the default for ${precision} on a GPU; others for ${precision}: ${Object.values(STORAGE_PRESETS).filter((p) => p.precision === precision && p.id !== preset).map((p) => p.id).join(', ') || 'none'}, chosen with --storage)`}`,
    `T×T bytes per element ${tt.value.toFixed(2)}: ${tt.source}`,
    `speed: ${throughput.detail}`,
    ...(throughput.spread ? [`speed spread: ${throughput.spread}`] : []),
    ...(throughput.extrapolation ? [`speed extrapolation: ${throughput.extrapolation}`] : []),
    `time floor ${formatDuration(floor)} per micro-step (${KERNELS_PER_LAYER} kernel launches per layer × ${config.layers} layers × ${KERNEL_LAUNCH_SECONDS * 1e6} µs, the low end of the 5–20 µs launch time Meta's Holistic Trace Analysis reports): ${floorApplied ? 'it sets the time: the FLOPs alone would take less' : 'not reached: the FLOPs take longer'}`,
    ...(throughput.curve.overheadFlops > 0 ? ['speed caveat: the fixed part is counted once per optimizer step (the calibrating runs did not accumulate, so they cannot say how it splits over micro-steps) and includes the evaluation and start-up their wall-clock counted'] : []),
    ...peakCheckEvidence(preset, calibration?.fp32Checks ?? []),
  ];
  return {
    config,
    batchSize,
    gpu,
    precision,
    preset,
    params: countParams(config),
    flopsPerStep,
    memory,
    totalBytes: memory.totalBytes,
    usableBytes,
    headroom,
    limitBytes,
    fits,
    verdict,
    microBatchVerdict,
    maxMicroBatch: maxMicro,
    split,
    microBatch,
    gradAccumSteps,
    secondsPerStep,
    floorSecondsPerMicroStep: floor,
    floorApplied,
    steps,
    totalHours,
    tt,
    throughput,
    evidence,
  };
}

export interface SweepRow {
  batchSize: number;
  totalBytes: number;
  attentionBytes: number;
  fits: boolean;
  /** Over the T×T range (memoryVerdict). */
  verdict: MemoryVerdict;
}

/** Memory and fit for bs = 1, 2, 4, … up to and including the first that does not fit (at most 2^24). */
export function sweepBatchSizes(input: Omit<EstimateInput, 'batchSize'>, calibration?: Calibration): SweepRow[] {
  const rows: SweepRow[] = [];
  const base = estimateTraining({ ...input, batchSize: 1 }, calibration);
  const opts = { precision: base.precision, preset: base.preset, ttBytesPerElement: base.tt.value };
  for (let bs = 1; bs <= 2 ** 24; bs *= 2) {
    const m = estimateTrainingMemory(input.config, bs, opts);
    const fits = m.totalBytes <= base.limitBytes;
    rows.push({ batchSize: bs, totalBytes: m.totalBytes, attentionBytes: m.byGroup.attention, fits, verdict: memoryVerdict(input.config, bs, base.limitBytes, base.tt, { precision: base.precision, preset: base.preset }) });
    if (!fits) break;
  }
  return rows;
}

/** The estimate as the CLI's --json prints it: the issue's keys, snake_case, plus provenance. */
export function estimateToJson(e: TrainingEstimate): Record<string, unknown> {
  const memory: Record<string, number> = { total_bytes: e.totalBytes, fragmentation: e.memory.fragmentationBytes };
  for (const key of COMPONENT_KEYS) memory[key] = e.memory.components.find((c) => c.key === key)!.bytes;
  return {
    params: e.params,
    flops_per_step: e.flopsPerStep,
    memory,
    fits: e.fits,
    memory_verdict: verdictJson(e.verdict),
    micro_batch_memory_verdict: e.microBatchVerdict ? verdictJson(e.microBatchVerdict) : null,
    headroom: e.headroom,
    limit_bytes: e.limitBytes,
    max_micro_batch: e.maxMicroBatch,
    micro_batch: e.microBatch,
    micro_batches: e.split ? e.split.parts.map((p) => ({ size: p.size, count: p.count })) : null,
    grad_accum_steps: e.gradAccumSteps,
    floor_seconds_per_micro_step: e.floorSecondsPerMicroStep,
    seconds_per_step: e.secondsPerStep,
    hours: e.totalHours,
    steps: e.steps,
    batch_size: e.batchSize,
    gpu: e.gpu.id,
    usable_bytes: e.usableBytes,
    precision: e.precision,
    storage: e.preset,
    tt_bytes_per_element: e.tt.value,
    tt_bytes_range: [e.tt.min, e.tt.max],
    achieved_flops: Math.round(e.throughput.achievedFlops),
    mfu: e.throughput.mfu,
    throughput_method: e.throughput.method,
    calibrating_runs: e.throughput.curve.runs,
    speed_curve: { mfu_max: e.throughput.curve.mfuMax, overhead_flops: e.throughput.curve.overheadFlops },
    speed_spread: e.throughput.spread,
    speed_extrapolation: e.throughput.extrapolation,
    evidence: e.evidence,
  };
}

/** A verdict as JSON: kind, the largest T×T bytes/element that fits, the range judged over. */
export function verdictJson(v: MemoryVerdict) {
  return { kind: v.kind, max_tt_bytes: Number.isFinite(v.maxTtBytes) ? v.maxTtBytes : null, tt_bytes_range: v.range, text: v.text };
}

/** The evidence line for a tfjs preset: how its memory model compared with the measured peaks of the runs it describes. */
function peakCheckEvidence(preset: StoragePresetId, checks: PeakCheck[]): string[] {
  const mine = checks.filter((c) => c.preset === preset);
  if (mine.length === 0) return [];
  const ratios = mine.map((c) => c.ratio);
  return [`${preset} memory model checked against ${mine.length} measured tf.profile peaks: predicted/measured ${Math.min(...ratios).toFixed(3)}–${Math.max(...ratios).toFixed(3)}`];
}
