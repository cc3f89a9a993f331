/**
 * One training estimate: parameters, FLOPs per step, the memory breakdown, whether it fits, the
 * largest micro-batch that does, gradient accumulation, seconds per step and total hours, with
 * the evidence each figure rests on. Pure: the caller loads runs and passes a Calibration.
 */
import { countParams, trainingFlopsPerStep, type ModelConfig } from '../arch/bitlm.js';
import { formatDuration } from '../util/format.js';
import { BitscaleError } from '../util/errors.js';
import type { Calibration, PeakCheck, ThroughputPoint, TtCalibration } from './calibrate.js';
import { requireGpu, type GpuSpec } from './hardware.js';
import {
  COMPONENT_KEYS,
  DEFAULT_PRESET,
  STORAGE_PRESETS,
  estimateTrainingMemory,
  maxMicroBatch,
  presetTtBytes,
  type MemoryBreakdown,
  type MemoryPrecision,
  type StoragePresetId,
} from './memory.js';

/** MFU assumed when no run on the same GPU and precision measured one: the seed's 46.4M bs=256 A100 run reached ~0.23. */
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
  if (!(Number.isSafeInteger(batchSize) && batchSize >= 1)) throw new BitscaleError(`batch size must be a positive integer, got ${batchSize}`, { field: 'bs' });
  if (!(maxMicro >= 1)) return null;
  const k = Math.ceil(batchSize / Math.min(maxMicro, batchSize));
  for (let even = k; even <= 2 * k; even++) {
    if (batchSize % even === 0) return { parts: [{ size: batchSize / even, count: even }], steps: even, largest: batchSize / even, even: true };
  }
  const q = Math.floor(batchSize / k);
  const r = batchSize - q * k;
  return { parts: [{ size: q + 1, count: r }, { size: q, count: k - r }], steps: k, largest: q + 1, even: false };
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
}

export interface TtChoice {
  value: number;
  source: string;
  min: number | null;
  max: number | null;
}

export interface ThroughputChoice {
  method: 'calibrated' | 'mfu-assumption';
  achievedFlops: number;
  mfu: number;
  /** The calibrating run, when method is 'calibrated'. */
  run: ThroughputPoint | null;
  detail: string;
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
  fits: boolean;
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
  const range = `consistent range ${cal.min.toFixed(2)}–${max === null ? '∞' : max.toFixed(2)}; upper bound: ${cal.maxSource}; lower bound: ${cal.minSource}`;
  return { value: cal.value, source: `${cal.verdict} (${range})`, min: cal.min, max };
}

/** The point whose FLOPs per step are nearest (in log) to `flops`. */
function nearestPoint(points: ThroughputPoint[], flops: number): ThroughputPoint {
  const dist = (p: ThroughputPoint) => Math.abs(Math.log(p.flopsPerStep / flops));
  return points.reduce((a, b) => (dist(b) < dist(a) ? b : a));
}

function describeRun(p: ThroughputPoint): string {
  return `${p.runId} (${p.gpu}): ${p.steps} steps in ${(p.wallSeconds / 60).toFixed(0)} min at bs=${p.batchSize} = ${(p.secondsPerStep * 1000).toFixed(0)} ms/step, ${(p.flopsPerStep / 1e12).toFixed(2)} TFLOP/step → ${(p.achievedFlops / 1e12).toFixed(1)} TFLOP/s achieved (MFU ${(100 * p.mfu).toFixed(1)}%)`;
}

/**
 * Achieved FLOP/s for this GPU and precision: `mfu` × peak when given; else from the measured run
 * on the same GPU whose FLOPs per micro-step are nearest (in log) to ours; else an MFU assumption:
 * the MFU of the nearest run on another GPU at this precision, else DEFAULT_MFU.
 */
export function chooseThroughput(gpu: GpuSpec, precision: MemoryPrecision, flopsPerMicroStep: number, calibration?: Calibration, mfu?: number): ThroughputChoice {
  const peak = precision === 'fp32' ? gpu.fp32Flops : gpu.bf16Flops;
  const points = (calibration?.throughput ?? []).filter((p) => p.precision === precision);
  const same = points.filter((p) => p.gpu === gpu.id);
  if (mfu !== undefined) {
    // A given MFU always wins, and says what it replaces.
    const measured = same.length > 0 ? nearestPoint(same, flopsPerMicroStep) : null;
    return {
      method: 'mfu-assumption',
      achievedFlops: mfu * peak,
      mfu,
      run: null,
      detail: `MFU ${(100 * mfu).toFixed(1)}% given (--mfu) of ${(peak / 1e12).toFixed(1)} TFLOP/s dense ${precision === 'fp32' ? 'fp32' : 'bf16'} peak${measured ? `, instead of the ${(100 * measured.achievedFlops / peak).toFixed(1)}% measured by ${measured.runId}` : ''}`,
    };
  }
  if (same.length > 0) {
    const best = nearestPoint(same, flopsPerMicroStep);
    return { method: 'calibrated', achievedFlops: best.achievedFlops, mfu: best.achievedFlops / peak, run: best, detail: describeRun(best) };
  }
  const peakText = `${(peak / 1e12).toFixed(1)} TFLOP/s dense ${precision === 'fp32' ? 'fp32' : 'bf16'} peak`;
  const other = points.length > 0 ? nearestPoint(points, flopsPerMicroStep) : null;
  const assumed = other?.mfu ?? DEFAULT_MFU;
  const why = other ? `the MFU measured by ${describeRun(other)}` : 'default';
  return {
    method: 'mfu-assumption',
    achievedFlops: assumed * peak,
    mfu: assumed,
    run: null,
    detail: `no measured run on ${gpu.id} at ${precision}: assumed MFU ${(100 * assumed).toFixed(1)}% (${why}) of ${peakText}`,
  };
}

/**
 * The estimate for training `config` at effective batch `batchSize` on `gpu`:
 *   fits           = memory(bs).total ≤ usable
 *   maxMicroBatch  = floor((usable − fixed) / perSample)
 *   split          = splitBatch(bs, maxMicroBatch): micro-batches summing to exactly bs
 *   secondsPerStep = Σ over micro-batches of max(flops(micro) / achievedFlops, floor)
 *   totalHours     = steps · secondsPerStep / 3600
 */
export function estimateTraining(input: EstimateInput, calibration?: Calibration): TrainingEstimate {
  const { config, batchSize } = input;
  if (!(Number.isInteger(batchSize) && batchSize >= 1)) throw new BitscaleError(`batch size must be a positive integer, got ${batchSize}`, { field: 'bs' });
  const gpu = typeof input.gpu === 'string' ? requireGpu(input.gpu) : input.gpu;
  const precision = input.precision ?? (input.preset ? STORAGE_PRESETS[input.preset].precision : 'bf16-autocast');
  const preset = input.preset ?? DEFAULT_PRESET[precision];
  const tt = chooseTt(input, preset, calibration);
  const memory = estimateTrainingMemory(config, batchSize, { precision, preset, ttBytesPerElement: tt.value });
  const usableBytes = gpu.usableBytes;
  const fits = memory.totalBytes <= usableBytes;
  const maxMicro = maxMicroBatch(memory, usableBytes);
  const split = splitBatch(batchSize, fits ? batchSize : maxMicro);
  const microBatch = split?.largest ?? 0;
  const gradAccumSteps = split?.steps ?? null;
  const flopsPerStep = trainingFlopsPerStep(config, batchSize);
  const throughput = chooseThroughput(gpu, precision, trainingFlopsPerStep(config, Math.max(1, microBatch)), calibration, input.mfu);
  const floor = microStepFloorSeconds(config);
  const microSeconds = (size: number) => trainingFlopsPerStep(config, size) / throughput.achievedFlops;
  const floorApplied = split !== null && split.parts.some((p) => microSeconds(p.size) < floor);
  const secondsPerStep = split ? split.parts.reduce((s, p) => s + p.count * Math.max(microSeconds(p.size), floor), 0) : null;
  const steps = input.steps ?? null;
  const totalHours = steps !== null && secondsPerStep !== null ? (steps * secondsPerStep) / 3600 : null;
  const evidence = [
    `GPU ${gpu.name}: ${(usableBytes / 2 ** 30).toFixed(2)} GiB usable (${gpu.sources.capacity_gib}; less the runtime reserve)`,
    `storage ${preset}: ${STORAGE_PRESETS[preset].description}${input.preset ? '' : ` (the default for ${precision} on a GPU; others for ${precision}: ${Object.values(STORAGE_PRESETS).filter((p) => p.precision === precision && p.id !== preset).map((p) => p.id).join(', ') || 'none'}, chosen with --storage)`}`,
    `T×T bytes per element ${tt.value.toFixed(2)}: ${tt.source}`,
    `speed: ${throughput.detail}`,
    `time floor ${formatDuration(floor)} per micro-step (${KERNELS_PER_LAYER} kernel launches per layer × ${config.layers} layers × ${KERNEL_LAUNCH_SECONDS * 1e6} µs, the low end of the 5–20 µs launch time Meta's Holistic Trace Analysis reports): ${floorApplied ? 'it sets the time: the FLOPs alone would take less' : 'not reached: the FLOPs take longer'}`,
    ...(throughput.method === 'calibrated' ? ['speed caveat: the calibrating wall-clock includes evaluation and start-up; larger matmuls usually run nearer peak, so this is conservative for bigger models'] : []),
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
    fits,
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
}

/** Memory and fit for bs = 1, 2, 4, … up to and including the first that does not fit (at most 2^24). */
export function sweepBatchSizes(input: Omit<EstimateInput, 'batchSize'>, calibration?: Calibration): SweepRow[] {
  const rows: SweepRow[] = [];
  const base = estimateTraining({ ...input, batchSize: 1 }, calibration);
  const opts = { precision: base.precision, preset: base.preset, ttBytesPerElement: base.tt.value };
  for (let bs = 1; bs <= 2 ** 24; bs *= 2) {
    const m = estimateTrainingMemory(input.config, bs, opts);
    const fits = m.totalBytes <= base.usableBytes;
    rows.push({ batchSize: bs, totalBytes: m.totalBytes, attentionBytes: m.byGroup.attention, fits });
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
    max_micro_batch: e.maxMicroBatch,
    micro_batch: e.microBatch,
    micro_batches: e.split ? e.split.parts.map((p) => ({ size: p.size, count: p.count })) : null,
    grad_accum_steps: e.gradAccumSteps,
    floor_seconds_per_micro_step: e.floorSecondsPerMicroStep,
    seconds_per_step: e.secondsPerStep,
    total_hours: e.totalHours,
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
    calibrating_run: e.throughput.run?.runId ?? null,
    evidence: e.evidence,
  };
}

/** The evidence line for a tfjs preset: how its memory model compared with the measured peaks of the runs it describes. */
function peakCheckEvidence(preset: StoragePresetId, checks: PeakCheck[]): string[] {
  const mine = checks.filter((c) => c.preset === preset);
  if (mine.length === 0) return [];
  const ratios = mine.map((c) => c.ratio);
  return [`${preset} memory model checked against ${mine.length} measured tf.profile peaks: predicted/measured ${Math.min(...ratios).toFixed(3)}–${Math.max(...ratios).toFixed(3)}`];
}
