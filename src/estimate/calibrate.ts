/**
 * Calibration of the estimator from the run table. Facts a run log gives:
 * Only BitLMv57 runs are used: the storage presets model v57.
 * - a run that completed on a GPU fit in its memory → an upper bound on ttBytesPerElement;
 * - a run stopped by "out of memory" did not → a lower bound;
 * - a GPU run that logged its peak bytes → ttBytesPerElement solved exactly;
 * - a run's wall-clock over its steps → achieved FLOP/s on that GPU at that FLOPs per step;
 * - a tfjs run's peak bytes (tf.profile) → a check of the fp32 model (predicted / measured).
 * Every figure keeps the run it came from. Pure: takes RunRecords, returns plain data.
 */
import { trainingFlopsPerStep, type ModelConfig } from '../arch/bitlm.js';
import { isBitLM } from '../arch/family.js';
import type { ModelConfigJson, RunRecord } from '../runs/types.js';
import { findGpu } from './hardware.js';
import {
  STORAGE_PRESETS,
  estimateTrainingMemory,
  maxTtBytesThatFit,
  presetTtBytes,
  type MemoryPrecision,
  type StoragePresetId,
} from './memory.js';

/** Smallest bytes per T×T element any bf16 implementation can keep: softmax backward needs p (or its input) per element, at least in bf16. */
export const TT_BYTES_PHYSICAL_MIN = 2;

/** tfjs backend names a run header may carry (HeaderRecord.backend). */
const TFJS_BACKENDS = ['tensorflow', 'wasm', 'cpu', 'webgl', 'webgpu', 'tfjs'];

export function modelConfigFromJson(c: ModelConfigJson): ModelConfig {
  return { d: c.d, layers: c.layers, heads: c.heads, dFf: c.d_ff, seqLen: c.seq_len, vocab: c.vocab };
}

/**
 * The storage preset a run's backend implies: torch.compile → compiled, other PyTorch → eager,
 * tfjs → tfjs-fp32 where the step ran on bitscale's kernels, else tfjs-fp32-backend-kernels (a log
 * that does not say was written before those kernels).
 */
export function presetForRun(run: Pick<RunRecord, 'backend' | 'precision' | 'kernels'>): StoragePresetId | null {
  const b = run.backend.toLowerCase();
  if (run.precision === 'fp32' && TFJS_BACKENDS.some((t) => b.includes(t))) return run.kernels === 'bitscale' ? 'tfjs-fp32' : 'tfjs-fp32-backend-kernels';
  if (run.precision === 'fp32' && b.includes('torch') && !b.includes('compile')) return 'torch-eager-fp32';
  if (run.precision !== 'bf16-autocast') return null;
  if (b.includes('compile')) return 'torch-compiled-bf16';
  if (b.includes('torch')) return 'torch-eager-bf16';
  return null;
}

export interface TtBound {
  runId: string;
  file: string;
  kind: 'fit' | 'oom' | 'peak';
  gpu: string;
  batchSize: number;
  /** The bound (fit: ≤ value; oom: > value; peak: = value), bytes per T×T element. */
  value: number;
  detail: string;
}

export interface TtCalibration {
  preset: StoragePresetId;
  /** The preset's own bytes per T×T element, before calibration. */
  presetValue: number;
  min: number;
  max: number;
  /** Where min and max come from: a run id or "assumption: …". */
  minSource: string;
  maxSource: string;
  bounds: TtBound[];
  /** The value the estimator uses: the preset's, clamped into [min, max]. */
  value: number;
  verdict: string;
}

export interface ThroughputPoint {
  runId: string;
  file: string;
  gpu: string;
  precision: MemoryPrecision;
  config: ModelConfig;
  batchSize: number;
  steps: number;
  wallSeconds: number;
  secondsPerStep: number;
  flopsPerStep: number;
  achievedFlops: number;
  /** The GPU's dense peak FLOP/s at the run's precision. */
  peakFlops: number;
  /** achievedFlops / peakFlops. */
  mfu: number;
}

export interface PeakCheck {
  runId: string;
  file: string;
  /** The tfjs preset the run's log implies (presetForRun). */
  preset: StoragePresetId;
  config: ModelConfig;
  batchSize: number;
  measuredBytes: number;
  predictedBytes: number;
  /** predicted / measured. */
  ratio: number;
}

export interface Calibration {
  tt: Partial<Record<StoragePresetId, TtCalibration>>;
  throughput: ThroughputPoint[];
  fp32Checks: PeakCheck[];
  /** Runs looked at and why each was or was not used. */
  notes: string[];
}

/**
 * One note per hardware not in the GPU catalog, naming how many runs it leaves out and the first
 * three: "hardware 'AMD EPYC (2 logical cores)' is not in the GPU catalog; its wall-clock is not
 * used (71 runs: a, b, c, …)".
 */
function uncataloguedNotes(runs: readonly RunRecord[], consequence: string): string[] {
  const byHardware = new Map<string, string[]>();
  for (const r of runs) byHardware.set(r.hardware, [...(byHardware.get(r.hardware) ?? []), r.id]);
  return [...byHardware].map(([hardware, ids]) => `hardware '${hardware}' is not in the GPU catalog; ${consequence} (${ids.length === 1 ? ids[0] : `${ids.length} runs: ${ids.slice(0, 3).join(', ')}${ids.length > 3 ? ', …' : ''}`})`);
}

function ttBoundsForPreset(runs: RunRecord[], preset: StoragePresetId, notes: string[]): TtBound[] {
  const out: TtBound[] = [];
  const uncatalogued: RunRecord[] = [];
  for (const r of runs) {
    if (presetForRun(r) !== preset || !r.config || r.arch !== 'bitlm-v57') continue;
    const gpu = findGpu(r.hardware);
    if (!gpu) {
      uncatalogued.push(r);
      continue;
    }
    const config = modelConfigFromJson(r.config);
    const opts = { preset, precision: STORAGE_PRESETS[preset].precision };
    const oom = r.status !== 'completed' && /out of memory|\boom\b/i.test(String(r.log.summary?.message ?? ''));
    if (r.peakBytes !== null && r.peakBytes > 0) {
      // A logged peak counts allocated tensor bytes (torch.cuda.max_memory_allocated): no fragmentation.
      const value = maxTtBytesThatFit(config, r.batchSize, r.peakBytes, { ...opts, fragmentation: 0 });
      out.push({ runId: r.id, file: r.file, kind: 'peak', gpu: gpu.id, batchSize: r.batchSize, value, detail: `logged peak ${r.peakBytes} bytes` });
    } else if (r.status === 'completed') {
      const value = maxTtBytesThatFit(config, r.batchSize, gpu.usableBytes, opts);
      out.push({ runId: r.id, file: r.file, kind: 'fit', gpu: gpu.id, batchSize: r.batchSize, value, detail: `completed ${r.steps} steps at bs=${r.batchSize} on ${gpu.name}, so it fit` });
    } else if (oom) {
      const value = maxTtBytesThatFit(config, r.batchSize, gpu.usableBytes, opts);
      out.push({ runId: r.id, file: r.file, kind: 'oom', gpu: gpu.id, batchSize: r.batchSize, value, detail: `ran out of memory at bs=${r.batchSize} on ${gpu.name}` });
    }
  }
  notes.push(...uncataloguedNotes(uncatalogued, 'not used for memory'));
  return out;
}

/**
 * The range of ttBytesPerElement consistent with the runs for one preset, and the value to use:
 *   max = min over fitting runs of the largest value that fits (and over peaks of the solved value)
 *   min = max over OOM runs of the largest value that fits (and over peaks), else the physical 2 bytes.
 */
export function calibrateTtBytes(runs: RunRecord[], preset: StoragePresetId, notes: string[] = []): TtCalibration {
  const bounds = ttBoundsForPreset(runs, preset, notes);
  const presetValue = presetTtBytes(STORAGE_PRESETS[preset]);
  let max = Number.POSITIVE_INFINITY;
  let maxSource = 'no evidence: no run of this implementation on a catalogued GPU';
  let min = Math.min(TT_BYTES_PHYSICAL_MIN, presetValue);
  let minSource = `assumption: at least ${min} bytes (softmax backward needs p or its input per element, bf16 at least)`;
  for (const b of bounds) {
    if ((b.kind === 'fit' || b.kind === 'peak') && b.value < max) {
      max = b.value;
      maxSource = `${b.runId} (${b.detail})`;
    }
    if ((b.kind === 'oom' || b.kind === 'peak') && b.value > min) {
      min = b.value;
      minSource = `${b.runId} (${b.detail})`;
    }
  }
  let value = presetValue;
  let verdict: string;
  if (max < min) {
    verdict = `evidence is inconsistent (min ${min.toFixed(2)} > max ${max.toFixed(2)}): the memory model misses something; using the preset's ${presetValue}`;
  } else if (presetValue > max) {
    value = max;
    verdict = `the preset's ${presetValue} bytes would not have fit ${maxSource}; using the largest value consistent with it, ${max.toFixed(2)}`;
  } else if (presetValue < min) {
    value = min;
    verdict = `the preset's ${presetValue} bytes is below ${minSource}; using ${min.toFixed(2)}`;
  } else {
    verdict = Number.isFinite(max) ? `the preset's ${presetValue} bytes is consistent with the evidence (≤ ${max.toFixed(2)} from ${maxSource.split(' ')[0]})` : `no evidence; using the preset's ${presetValue} bytes`;
  }
  return { preset, presetValue, min, max, minSource, maxSource, bounds, value, verdict };
}

/** Achieved FLOP/s of every run with a wall-clock, a config and a catalogued GPU. */
export function throughputPoints(runs: RunRecord[], notes: string[] = []): ThroughputPoint[] {
  const out: ThroughputPoint[] = [];
  const uncatalogued: RunRecord[] = [];
  for (const r of runs) {
    if (r.wallSeconds === null || r.wallSeconds <= 0 || !r.config || r.steps <= 0) continue;
    const gpu = findGpu(r.hardware);
    if (!gpu) {
      uncatalogued.push(r);
      continue;
    }
    if (r.precision !== 'fp32' && r.precision !== 'bf16-autocast') continue;
    const config = modelConfigFromJson(r.config);
    const flopsPerStep = trainingFlopsPerStep(config, r.batchSize);
    const secondsPerStep = r.wallSeconds / r.steps;
    const achievedFlops = flopsPerStep / secondsPerStep;
    const peak = r.precision === 'fp32' ? gpu.fp32Flops : gpu.bf16Flops;
    out.push({ runId: r.id, file: r.file, gpu: gpu.id, precision: r.precision, config, batchSize: r.batchSize, steps: r.steps, wallSeconds: r.wallSeconds, secondsPerStep, flopsPerStep, achievedFlops, peakFlops: peak, mfu: achievedFlops / peak });
  }
  notes.push(...uncataloguedNotes(uncatalogued, 'its wall-clock is not used'));
  return out;
}

/**
 * The speed of a step as a function of its work, fitted over every measured run:
 *   seconds(F) = (F / mfuMax + overheadFlops) / peak,   i.e.   MFU(F) = mfuMax · F / (F + mfuMax · overheadFlops)
 * F the FLOPs of one optimizer step, peak the GPU's dense FLOP/s at the precision. A fixed part
 * (overheadFlops / peak seconds: what a step costs however little it computes — the optimizer
 * update, the host, the evaluation and start-up that a run's wall-clock includes) plus the FLOPs at
 * an asymptotic efficiency mfuMax ≤ 1. Both constants are ≥ 0, so the time never falls as F grows,
 * and MFU rises with the work per step toward mfuMax, as larger matmuls run nearer peak.
 * The 46.4M seed runs on an A100 (bs 64: 162 ms, bs 256: 276 ms) give mfuMax 0.418 and a fixed
 * 124 ms: a step of 4× the work took 1.7× the time.
 */
export interface SpeedCurve {
  mfuMax: number;
  /** The fixed part of a step, in FLOPs at peak (overheadFlops / peak seconds on any GPU). */
  overheadFlops: number;
  /** The runs it was fitted on, and the FLOPs per step and MFU they span. */
  runs: string[];
  flopsRange: [number, number] | null;
  mfuRange: [number, number] | null;
  /** Each run's step time as the curve fitted without it predicts it, over the measured time (the spread); empty below 2 runs. */
  leaveOneOut: { runId: string; ratio: number }[];
  /** Each run's step time as the curve predicts it, over the measured time. */
  residuals: { runId: string; ratio: number }[];
}

/** A point of the curve: peak × seconds per step (FLOPs at peak), the run's FLOPs per step. */
interface SpeedSample {
  flops: number;
  peakSeconds: number;
}

/**
 * Least squares in relative error of peak·t = overheadFlops + F / mfuMax, with overheadFlops ≥ 0
 * and 0 < mfuMax ≤ 1; one run gives a constant MFU (no fixed part can be told from one point).
 */
function fitSpeedSamples(samples: SpeedSample[]): { mfuMax: number; overheadFlops: number } {
  const w = samples.map((s) => 1 / s.peakSeconds ** 2);
  const sum = (f: (s: SpeedSample, i: number) => number) => samples.reduce((acc, s, i) => acc + f(s, i), 0);
  const through = () => sum((s, i) => w[i] * s.flops * s.peakSeconds) / sum((s, i) => w[i] * s.flops ** 2);
  let a = 0;
  let b = through();
  if (samples.length >= 2) {
    const sw = sum((_, i) => w[i]);
    const sx = sum((s, i) => w[i] * s.flops);
    const sy = sum((s, i) => w[i] * s.peakSeconds);
    const sxx = sum((s, i) => w[i] * s.flops ** 2);
    const sxy = sum((s, i) => w[i] * s.flops * s.peakSeconds);
    const det = sw * sxx - sx * sx;
    if (det > 0) {
      const slope = (sw * sxy - sx * sy) / det;
      const intercept = (sy - slope * sx) / sw;
      if (intercept >= 0 && slope > 0) [a, b] = [intercept, slope];
    }
  }
  if (b < 1) {
    // MFU cannot pass 100%: hold mfuMax at 1 and give the rest to the fixed part.
    b = 1;
    a = Math.max(0, sum((s, i) => w[i] * (s.peakSeconds - s.flops)) / sum((_, i) => w[i]));
  }
  return { mfuMax: 1 / b, overheadFlops: a };
}

/** Seconds of a step of `flops` FLOPs on a GPU of `peak` FLOP/s, by the curve. */
export function curveSeconds(curve: Pick<SpeedCurve, 'mfuMax' | 'overheadFlops'>, flops: number, peak: number): number {
  return (flops / curve.mfuMax + curve.overheadFlops) / peak;
}

/** The curve through `points` (any GPUs: each point's time is scaled by its own peak), with its spread; null for no points. */
export function fitSpeedCurve(points: readonly ThroughputPoint[]): SpeedCurve | null {
  if (points.length === 0) return null;
  const samples = points.map((p) => ({ flops: p.flopsPerStep, peakSeconds: p.peakFlops * p.secondsPerStep }));
  const fit = fitSpeedSamples(samples);
  const residuals = points.map((p) => ({ runId: p.runId, ratio: curveSeconds(fit, p.flopsPerStep, p.peakFlops) / p.secondsPerStep }));
  const leaveOneOut =
    points.length < 2
      ? []
      : points.map((p, i) => {
          const other = fitSpeedSamples(samples.filter((_, j) => j !== i));
          return { runId: p.runId, ratio: curveSeconds(other, p.flopsPerStep, p.peakFlops) / p.secondsPerStep };
        });
  const span = (xs: number[]): [number, number] => [Math.min(...xs), Math.max(...xs)];
  return { ...fit, runs: points.map((p) => p.runId), flopsRange: span(points.map((p) => p.flopsPerStep)), mfuRange: span(points.map((p) => p.mfu)), leaveOneOut, residuals };
}

/** fp32-model predictions against every BitLMv57 tfjs run that logged tf.profile peak bytes (the preset models v57, not v52). */
export function fp32PeakChecks(runs: RunRecord[]): PeakCheck[] {
  const out: PeakCheck[] = [];
  for (const r of runs) {
    const preset = presetForRun(r);
    if ((preset !== 'tfjs-fp32' && preset !== 'tfjs-fp32-backend-kernels') || !r.config || r.arch !== 'bitlm-v57' || r.peakBytes === null || r.peakBytes <= 0) continue;
    const config = modelConfigFromJson(r.config);
    const predictedBytes = estimateTrainingMemory(config, r.batchSize, { precision: 'fp32', preset }).totalBytes;
    out.push({ runId: r.id, file: r.file, preset, config, batchSize: r.batchSize, measuredBytes: r.peakBytes, predictedBytes, ratio: predictedBytes / r.peakBytes });
  }
  return out;
}

/** Everything the run table says about memory and speed, for estimateTraining. */
export function calibrateFromRuns(allRuns: RunRecord[]): Calibration {
  // The estimator models BitLM only (its parameter count, FLOPs and memory come from the BitLM
  // shape): another architecture's runs never reach it, not even in its notes.
  const runs = allRuns.filter((r) => isBitLM(r.arch));
  const notes: string[] = [];
  const tt: Partial<Record<StoragePresetId, TtCalibration>> = {};
  for (const id of Object.keys(STORAGE_PRESETS) as StoragePresetId[]) {
    if (STORAGE_PRESETS[id].precision === 'fp32') continue;
    tt[id] = calibrateTtBytes(runs, id, notes);
  }
  return { tt, throughput: throughputPoints(runs, notes), fp32Checks: fp32PeakChecks(runs), notes: [...new Set(notes)] };
}
