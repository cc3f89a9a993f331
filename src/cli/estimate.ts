/**
 * `bitscale estimate`: parameters, FLOPs per step, the memory breakdown, fit, micro-batch and
 * gradient accumulation, seconds per step and total hours for a BitLMv57 shape on a GPU, calibrated
 * from the run table (--runs). `--sweep-batch-size` lists memory and fit for bs = 1, 2, 4, … ; every fit also over the T×T range (memoryVerdict).
 */
import { existsSync } from 'node:fs';
import { readTextFile } from '../util/files.js';
import type { Command } from 'commander';
import { SEED_CONFIGS, type ModelConfig } from '../arch/bitlm.js';
import { calibrateFromRuns, modelConfigFromJson, type Calibration } from '../estimate/calibrate.js';
import { estimateToJson, estimateTraining, formatSplit, sweepBatchSizes, verdictJson, type EstimateInput, type TrainingEstimate } from '../estimate/estimate.js';
import { GPUS } from '../estimate/hardware.js';
import { MEMORY_PRECISIONS, STORAGE_PRESETS, memoryRows, type MemoryPrecision, type StoragePresetId } from '../estimate/memory.js';
import { parseRunLog } from '../runs/log.js';
import { loadRunTable } from '../runs/table.js';
import type { ModelConfigJson } from '../runs/types.js';
import { BitscaleError } from '../util/errors.js';
import { BATCH_SIZE, FRACTION, HEADROOM, MODEL_DIM, SEQUENCE, STEPS, checkNumber, numberOption, type NumberSpec } from '../util/numbers.js';
import { formatBytes, formatBytesColumn, formatCount, formatDuration, formatInteger, formatPercent, formatRange, formatSeconds, formatTable } from '../util/format.js';
import { bold, emit, warn } from './output.js';

/** Options as commander hands them over: every number already parsed and range-checked (numberOption). */
export interface EstimateCliOptions {
  model?: string;
  config?: string;
  d?: number;
  layers?: number;
  heads?: number;
  dFf?: number;
  seqLen?: number;
  vocab?: number;
  batchSize?: number;
  gpu: string;
  steps?: number;
  precision?: string;
  storage?: string;
  ttBytes?: number;
  mfu?: number;
  headroom?: number;
  sweepBatchSize?: boolean;
  json?: boolean;
}

interface FileSettings {
  config: Partial<ModelConfig>;
  batchSize?: number;
  steps?: number;
}

/** Bytes kept per [bs, H, T, T] element per layer: 0 (nothing kept) to 64 (eight fp64 copies), far above any preset's 8–16. */
const TT_BYTES: NumberSpec = { min: 0, max: 64 };
/** Model shape keys as either the run log (snake_case) or ModelConfig (camelCase) spell them. */
function shapeFromObject(o: Record<string, unknown>): Partial<ModelConfig> {
  const pick = (...keys: string[]) => keys.map((k) => o[k]).find((v) => typeof v === 'number') as number | undefined;
  const out: Partial<ModelConfig> = {};
  const set = (k: keyof ModelConfig, v: number | undefined) => {
    if (v !== undefined) out[k] = v;
  };
  set('d', pick('d', 'd_model'));
  set('layers', pick('layers', 'n_layers'));
  set('heads', pick('heads', 'n_heads'));
  set('dFf', pick('dFf', 'd_ff'));
  set('seqLen', pick('seqLen', 'seq_len', 'T'));
  set('vocab', pick('vocab'));
  return out;
}

/**
 * --config FILE: a JSON object with the shape at top level or under "model"/"config" (snake_case
 * or camelCase), optionally batch_size/batchSize and steps; or a run log (.jsonl), whose header
 * gives the config and batch size.
 */
export function readEstimateConfigFile(path: string): FileSettings {
  const text = readTextFile(path);
  if (path.endsWith('.jsonl')) {
    const h = parseRunLog(text, path).header;
    if (!h.config) throw new BitscaleError('the run log has no config', { file: path, field: 'config' });
    return { config: modelConfigFromJson(h.config as ModelConfigJson), batchSize: h.batch_size, steps: h.planned_steps };
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new BitscaleError('not valid JSON', { file: path });
  }
  if (typeof raw !== 'object' || raw === null) throw new BitscaleError('expected a JSON object', { file: path });
  const o = raw as Record<string, unknown>;
  const inner = (typeof o.model === 'object' && o.model) || (typeof o.config === 'object' && o.config) || o;
  const bs = o.batch_size ?? o.batchSize;
  const checked = (v: unknown, field: string, spec: NumberSpec) => (typeof v === 'number' ? checkNumber(v, spec, { file: path, field }) : undefined);
  return {
    config: shapeFromObject(inner as Record<string, unknown>),
    batchSize: checked(bs, 'batch_size', BATCH_SIZE),
    steps: checked(o.steps, 'steps', STEPS),
  };
}

/** The estimate's input from flags, a seed config name and/or a config file (flags win). */
export function estimateInputFromOptions(o: EstimateCliOptions): EstimateInput & { batchSize: number } {
  let base: Partial<ModelConfig> = {};
  let batchSize: number | undefined;
  let steps: number | undefined;
  if (o.model) {
    const seed = SEED_CONFIGS[o.model];
    if (!seed) throw new BitscaleError(`unknown model '${o.model}' (known: ${Object.keys(SEED_CONFIGS).join(', ')})`, { field: 'model' });
    base = { ...seed };
  }
  if (o.config) {
    const f = readEstimateConfigFile(o.config);
    base = { ...base, ...f.config };
    batchSize = f.batchSize;
    steps = f.steps;
  }
  const config = {
    d: o.d ?? base.d,
    layers: o.layers ?? base.layers,
    heads: o.heads ?? base.heads,
    dFf: o.dFf ?? base.dFf,
    seqLen: o.seqLen ?? base.seqLen ?? 256,
    vocab: o.vocab ?? base.vocab ?? 128,
  };
  for (const [k, flagName] of [['d', 'd'], ['layers', 'layers'], ['heads', 'heads'], ['dFf', 'd-ff']] as const) {
    if (config[k] === undefined) throw new BitscaleError(`no model ${k}: give --${flagName}, --model or --config`, { field: flagName });
  }
  if (config.d! % config.heads! !== 0) throw new BitscaleError(`d=${config.d} is not divisible by heads=${config.heads}`, { field: 'heads' });
  const precision = o.precision ?? (o.storage ? STORAGE_PRESETS[o.storage as StoragePresetId]?.precision : undefined) ?? 'bf16-autocast';
  if (!MEMORY_PRECISIONS.includes(precision as MemoryPrecision)) throw new BitscaleError(`unknown precision '${precision}' (known: ${MEMORY_PRECISIONS.join(', ')})`, { field: 'precision' });
  if (o.storage && !STORAGE_PRESETS[o.storage as StoragePresetId]) throw new BitscaleError(`unknown storage '${o.storage}' (known: ${Object.keys(STORAGE_PRESETS).join(', ')})`, { field: 'storage' });
  return {
    config: config as ModelConfig,
    batchSize: o.batchSize ?? batchSize ?? 256,
    gpu: o.gpu,
    precision: precision as MemoryPrecision,
    preset: o.storage as StoragePresetId | undefined,
    steps: o.steps ?? steps,
    ttBytesPerElement: o.ttBytes,
    mfu: o.mfu,
    headroom: o.headroom,
  };
}

/** The T×T range of a memory verdict: "2.00–6.23", "2.00–∞", or one value when it is a point. */
function ttRangeText([lo, hi]: [number, number | null]): string {
  return hi === lo ? lo.toFixed(2) : formatRange(lo, hi, 2);
}

/** "gradient accumulation: 4 × 64 = 256 …" — the split always sums to the effective batch; an uneven one says so. */
export function accumulationText(e: TrainingEstimate): string {
  if (e.split === null) return 'gradient accumulation: impossible, not even a micro-batch of 1 fits';
  if (e.split.steps === 1) return `gradient accumulation: none, one micro-batch of ${e.batchSize}`;
  return `gradient accumulation: ${e.split.steps} micro-steps, ${formatSplit(e.split)} = ${e.batchSize} sequences${e.split.even ? '' : ' (uneven: no equal split fits; weight each micro-step\'s loss by its size)'}`;
}

export function renderEstimate(e: TrainingEstimate): string {
  const c = e.config;
  const lines: string[] = [];
  lines.push(bold(`BitLMv57 d=${c.d} L=${c.layers} H=${c.heads} d_ff=${c.dFf} T=${c.seqLen} V=${c.vocab}: ${formatCount(e.params)} parameters (${formatInteger(e.params)})`));
  lines.push(`FLOPs per step at bs=${e.batchSize}: ${e.flopsPerStep.toExponential(3)}`);
  lines.push(`GPU ${e.gpu.name}: ${formatBytes(e.usableBytes)} usable; ${e.precision}, storage ${e.preset}; T×T bytes per element ${e.tt.value.toFixed(2)}`);
  lines.push('');
  lines.push(`Memory of one micro-batch of ${e.batchSize} (peak phase: ${e.memory.peakPhase})`);
  const memRows = memoryRows(e.memory);
  const bytes = formatBytesColumn([...memRows.map((r) => r.bytes), e.totalBytes]);
  const rows = memRows.map((r, i) => [r.groupLabel, r.key, r.shapeText, r.bytesPerElement === null ? '' : Number(r.bytesPerElement.toFixed(2)), bytes[i]] as (string | number)[]);
  rows.push(['total', '', '', '', bytes.at(-1)!]);
  lines.push(formatTable(['part', 'component', 'shape', 'bytes/elt', 'bytes'], rows));
  lines.push('');
  const limit = e.headroom > 0 ? `${formatBytes(e.limitBytes)} (${formatBytes(e.usableBytes)} usable less ${formatPercent(e.headroom, 0)} headroom)` : formatBytes(e.usableBytes);
  lines.push(`fits: ${e.fits ? 'yes' : 'NO'} at ${e.tt.value.toFixed(2)} T×T bytes/element (${formatBytes(e.totalBytes)} of ${limit})`);
  lines.push(`memory verdict over the T×T range ${ttRangeText(e.verdict.range)} bytes/element: ${e.verdict.text}${e.microBatchVerdict && e.split && e.split.steps > 1 ? `; its micro-batch of ${e.split.largest}: ${e.microBatchVerdict.text}` : ''}`);
  const maxMb = Number.isFinite(e.maxMicroBatch) ? String(e.maxMicroBatch) : 'unbounded';
  lines.push(`largest micro-batch that fits: ${maxMb}`);
  lines.push(accumulationText(e));
  if (e.secondsPerStep !== null) lines.push(`time: ${formatSeconds(e.secondsPerStep)} per step (${(e.throughput.achievedFlops / 1e12).toFixed(1)} TFLOP/s, MFU ${formatPercent(e.throughput.mfu)}${e.floorApplied ? `; the ${formatDuration(e.floorSecondsPerMicroStep)} per-micro-step floor sets it` : ''})`);
  if (e.totalHours !== null) lines.push(`total: ${e.steps} steps → ${e.totalHours.toPrecision(3)} h`);
  lines.push('');
  lines.push('evidence and assumptions:');
  for (const ev of e.evidence) lines.push(`  - ${ev}`);
  return lines.join('\n');
}

/**
 * The calibration from the run table. Runs still without a val_bpc are left out silently. A --runs
 * folder given on the command line must exist (the rule of every command); the default runs/ may
 * be absent, and then the estimate is uncalibrated and says so.
 */
function loadCalibration(cmd: Command): { calibration: Calibration; note: string | null } {
  const runsDir: string = cmd.optsWithGlobals().runs ?? 'runs';
  const given = cmd.getOptionValueSourceWithGlobals('runs') === 'cli';
  if (!given && !existsSync(runsDir)) return { calibration: calibrateFromRuns([]), note: `no ${runsDir}/ folder here: nothing calibrated from runs (give --runs DIR)` };
  return { calibration: calibrateFromRuns(loadRunTable(runsDir)), note: null };
}

export function register(program: Command): void {
  program
    .command('estimate')
    .description('memory, FLOPs and wall-clock of training a BitLMv57 shape on a GPU, calibrated from the run table')
    .option('--model <name>', `a seed config (${Object.keys(SEED_CONFIGS).join(', ')})`)
    .option('--config <file>', 'JSON with the shape (d, layers, heads, d_ff, seq_len, vocab; optional batch_size, steps) or a run log')
    .option('--d <n>', 'model width', numberOption('d', MODEL_DIM))
    .option('--layers <n>', 'layers', numberOption('layers', MODEL_DIM))
    .option('--heads <n>', 'attention heads', numberOption('heads', MODEL_DIM))
    .option('--d-ff <n>', 'FFN width', numberOption('d-ff', MODEL_DIM))
    .option('--seq-len <n>', 'context T (default 256)', numberOption('seq-len', SEQUENCE))
    .option('--vocab <n>', 'vocabulary (default 128)', numberOption('vocab', SEQUENCE))
    .option('--batch-size <n>', 'effective batch size (default 256; K/M suffixes allowed)', numberOption('batch-size', BATCH_SIZE))
    .option('--gpu <id>', `GPU (${GPUS.map((g) => g.id).join(', ')})`, 'a100-40gb')
    .option('--steps <n>', 'optimizer steps, for the total wall-clock (e.g. 30K)', numberOption('steps', STEPS))
    .option('--precision <p>', `${MEMORY_PRECISIONS.join(' | ')} (default bf16-autocast; fp32 is PyTorch fp32 on the GPU, torch-eager-fp32, unless --storage says otherwise)`)
    .option('--storage <preset>', `what the implementation keeps (${Object.keys(STORAGE_PRESETS).join(', ')})`)
    .option('--tt-bytes <n>', 'bytes kept per [bs,H,T,T] element per layer, 0–64 (overrides calibration)', numberOption('tt-bytes', TT_BYTES))
    .option('--mfu <x>', 'a constant MFU in (0, 1] to assume, overriding calibration (default: the speed curve of the runs on this GPU, else of the runs on others, else 0.25)', numberOption('mfu', FRACTION))
    .option('--headroom <fraction>', 'fraction of the usable memory to keep free, in [0, 1) (default 0; plan keeps 0.05)', numberOption('headroom', HEADROOM))
    .option('--sweep-batch-size', 'memory and fit for batch sizes 1, 2, 4, … up to the first that does not fit')
    .option('--json', 'print JSON only')
    .action((opts: EstimateCliOptions, cmd: Command) => {
      const input = estimateInputFromOptions(opts);
      const { calibration, note } = loadCalibration(cmd);
      if (note) warn(note);
      if (opts.sweepBatchSize) {
        const rows = sweepBatchSizes(input, calibration);
        const e = estimateTraining(input, calibration);
        const json = {
          gpu: e.gpu.id,
          usable_bytes: e.usableBytes,
          precision: e.precision,
          storage: e.preset,
          tt_bytes_per_element: e.tt.value,
          max_micro_batch: e.maxMicroBatch,
          rows: rows.map((r) => ({ batch_size: r.batchSize, total_bytes: r.totalBytes, attention_bytes: r.attentionBytes, fits: r.fits, memory_verdict: verdictJson(r.verdict) })),
        };
        const totals = formatBytesColumn(rows.map((r) => r.totalBytes));
        const attention = formatBytesColumn(rows.map((r) => r.attentionBytes));
        emit(opts, json, () =>
          [
            `${e.gpu.name}, ${formatBytes(e.usableBytes)} usable; ${e.precision}, storage ${e.preset}, T×T bytes per element ${e.tt.value.toFixed(2)}`,
            formatTable(['bs', 'total', 'T×T attention', `fits at ${e.tt.value.toFixed(2)}`, `over T×T ${ttRangeText(e.verdict.range)} bytes/element`], rows.map((r, i) => [r.batchSize, totals[i], attention[i], r.fits ? 'yes' : 'no', r.verdict.text])),
            `largest micro-batch that fits: ${Number.isFinite(e.maxMicroBatch) ? e.maxMicroBatch : 'unbounded'}`,
          ].join('\n'),
        );
        return;
      }
      const e = estimateTraining(input, calibration);
      emit(opts, estimateToJson(e), () => renderEstimate(e));
    });
}
