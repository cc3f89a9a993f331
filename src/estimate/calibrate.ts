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
  /** achievedFlops / the GPU's dense peak at the run's precision. */
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

function ttBoundsForPreset(runs: RunRecord[], preset: StoragePresetId, notes: string[]): TtBound[] {
  const out: TtBound[] = [];
  for (const r of runs) {
    if (presetForRun(r) !== preset || !r.config || r.arch !== 'bitlm-v57') continue;
    const gpu = findGpu(r.hardware);
    if (!gpu) {
      notes.push(`${r.id}: hardware '${r.hardware}' is not in the GPU catalog; not used for memory`);
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
  for (const r of runs) {
    if (r.wallSeconds === null || r.wallSeconds <= 0 || !r.config || r.steps <= 0) continue;
    const gpu = findGpu(r.hardware);
    if (!gpu) {
      notes.push(`${r.id}: hardware '${r.hardware}' is not in the GPU catalog; its wall-clock is not used`);
      continue;
    }
    if (r.precision !== 'fp32' && r.precision !== 'bf16-autocast') continue;
    const config = modelConfigFromJson(r.config);
    const flopsPerStep = trainingFlopsPerStep(config, r.batchSize);
    const secondsPerStep = r.wallSeconds / r.steps;
    const achievedFlops = flopsPerStep / secondsPerStep;
    const peak = r.precision === 'fp32' ? gpu.fp32Flops : gpu.bf16Flops;
    out.push({ runId: r.id, file: r.file, gpu: gpu.id, precision: r.precision, config, batchSize: r.batchSize, steps: r.steps, wallSeconds: r.wallSeconds, secondsPerStep, flopsPerStep, achievedFlops, mfu: achievedFlops / peak });
  }
  return out;
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
