/**
 * `bitscale estimate`: parameters, FLOPs per step, the memory breakdown, fit, micro-batch and
 * gradient accumulation, seconds per step and total hours for a BitLMv57 shape on a GPU, calibrated
 * from the run table (--runs). `--sweep-bs` lists memory and fit for bs = 1, 2, 4, … .
 */
import { readTextFile } from '../util/files.js';
import type { Command } from 'commander';
import { SEED_CONFIGS, type ModelConfig } from '../arch/bitlm.js';
import { calibrateFromRuns, modelConfigFromJson, type Calibration } from '../estimate/calibrate.js';
import { estimateToJson, estimateTraining, sweepBatchSizes, type EstimateInput, type TrainingEstimate } from '../estimate/estimate.js';
import { GPUS } from '../estimate/hardware.js';
import { MEMORY_PRECISIONS, STORAGE_PRESETS, type MemoryPrecision, type StoragePresetId } from '../estimate/memory.js';
import { parseRunLog } from '../runs/log.js';
import { loadRunTable } from '../runs/table.js';
import type { ModelConfigJson } from '../runs/types.js';
import { BitscaleError } from '../util/errors.js';
import { formatBytes, formatCount, formatInteger, formatTable } from '../util/format.js';
import { bold, emit } from './output.js';

interface EstimateCliOptions {
  model?: string;
  config?: string;
  d?: string;
  layers?: string;
  heads?: string;
  dff?: string;
  seq?: string;
  vocab?: string;
  bs?: string;
  gpu: string;
  steps?: string;
  precision?: string;
  storage?: string;
  ttBytes?: string;
  mfu?: string;
  sweepBs?: boolean;
  json?: boolean;
}

interface FileSettings {
  config: Partial<ModelConfig>;
  batchSize?: number;
  steps?: number;
}

function positiveInt(text: string, field: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n <= 0) throw new BitscaleError(`must be a positive integer, got '${text}'`, { field });
  return n;
}

function positiveNumber(text: string, field: string): number {
  const n = Number(text);
  if (!(n > 0) || !Number.isFinite(n)) throw new BitscaleError(`must be a positive number, got '${text}'`, { field });
  return n;
}

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
  return {
    config: shapeFromObject(inner as Record<string, unknown>),
    batchSize: typeof bs === 'number' ? bs : undefined,
    steps: typeof o.steps === 'number' ? o.steps : undefined,
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
  const flag = (v: string | undefined, field: string) => (v === undefined ? undefined : positiveInt(v, field));
  const config = {
    d: flag(o.d, 'd') ?? base.d,
    layers: flag(o.layers, 'layers') ?? base.layers,
    heads: flag(o.heads, 'heads') ?? base.heads,
    dFf: flag(o.dff, 'dff') ?? base.dFf,
    seqLen: flag(o.seq, 'seq') ?? base.seqLen ?? 256,
    vocab: flag(o.vocab, 'vocab') ?? base.vocab ?? 128,
  };
  for (const [k, flagName] of [['d', 'd'], ['layers', 'layers'], ['heads', 'heads'], ['dFf', 'dff']] as const) {
    if (config[k] === undefined) throw new BitscaleError(`no model ${k}: give --${flagName}, --model or --config`, { field: flagName });
  }
  if (config.d! % config.heads! !== 0) throw new BitscaleError(`d=${config.d} is not divisible by heads=${config.heads}`, { field: 'heads' });
  const precision = o.precision ?? (o.storage ? STORAGE_PRESETS[o.storage as StoragePresetId]?.precision : undefined) ?? 'bf16-autocast';
  if (!MEMORY_PRECISIONS.includes(precision as MemoryPrecision)) throw new BitscaleError(`unknown precision '${precision}' (known: ${MEMORY_PRECISIONS.join(', ')})`, { field: 'precision' });
  if (o.storage && !STORAGE_PRESETS[o.storage as StoragePresetId]) throw new BitscaleError(`unknown storage '${o.storage}' (known: ${Object.keys(STORAGE_PRESETS).join(', ')})`, { field: 'storage' });
  return {
    config: config as ModelConfig,
    batchSize: flag(o.bs, 'bs') ?? batchSize ?? 256,
    gpu: o.gpu,
    precision: precision as MemoryPrecision,
    preset: o.storage as StoragePresetId | undefined,
    steps: flag(o.steps, 'steps') ?? steps,
    ttBytesPerElement: o.ttBytes === undefined ? undefined : positiveNumber(o.ttBytes, 'tt-bytes'),
    mfu: o.mfu === undefined ? undefined : positiveNumber(o.mfu, 'mfu'),
  };
}

function gib(bytes: number): string {
  return formatBytes(bytes);
}

export function renderEstimate(e: TrainingEstimate): string {
  const c = e.config;
  const lines: string[] = [];
  lines.push(bold(`BitLMv57 d=${c.d} L=${c.layers} H=${c.heads} d_ff=${c.dFf} T=${c.seqLen} V=${c.vocab}: ${formatCount(e.params)} parameters (${formatInteger(e.params)})`));
  lines.push(`FLOPs per step at bs=${e.batchSize}: ${e.flopsPerStep.toExponential(3)}`);
  lines.push(`GPU ${e.gpu.name}: ${gib(e.usableBytes)} usable; ${e.precision}, storage ${e.preset}; T×T bytes per element ${e.tt.value.toFixed(2)}`);
  lines.push('');
  lines.push(`Memory of one micro-batch of ${e.batchSize} (peak phase: ${e.memory.peakPhase})`);
  const rows = e.memory.components
    .filter((x) => x.bytes > 0)
    .map((x) => [x.key, x.shapeText, Number(x.bytesPerElement.toFixed(2)), gib(x.bytes)] as (string | number)[]);
  if (e.memory.fragmentationBytes > 0) rows.push(['fragmentation', `${(100 * e.memory.fragmentation).toFixed(0)}% of the tensors`, '', gib(e.memory.fragmentationBytes)]);
  rows.push(['total', '', '', gib(e.totalBytes)]);
  lines.push(formatTable(['component', 'shape', 'bytes/elt', 'bytes'], rows));
  lines.push('');
  lines.push(`fits: ${e.fits ? 'yes' : 'NO'} (${gib(e.totalBytes)} of ${gib(e.usableBytes)})`);
  const maxMb = Number.isFinite(e.maxMicroBatch) ? String(e.maxMicroBatch) : 'unbounded';
  lines.push(`largest micro-batch that fits: ${maxMb}`);
  if (e.gradAccumSteps === null) lines.push('gradient accumulation: impossible, not even bs=1 fits');
  else lines.push(`gradient accumulation: ${e.gradAccumSteps} step(s) of micro-batch ${e.microBatch} for the effective batch ${e.batchSize}`);
  if (e.secondsPerStep !== null) lines.push(`time: ${e.secondsPerStep.toPrecision(3)} s per step (${(e.throughput.achievedFlops / 1e12).toFixed(1)} TFLOP/s, MFU ${(100 * e.throughput.mfu).toFixed(1)}%)`);
  if (e.totalHours !== null) lines.push(`total: ${e.steps} steps → ${e.totalHours.toPrecision(3)} h`);
  lines.push('');
  lines.push('evidence and assumptions:');
  for (const ev of e.evidence) lines.push(`  - ${ev}`);
  return lines.join('\n');
}

function loadCalibration(runsDir: string): Calibration {
  // Runs still without a val_bpc are left out silently: calibration uses finished runs only.
  return calibrateFromRuns(loadRunTable(runsDir));
}

export function register(program: Command): void {
  program
    .command('estimate')
    .description('memory, FLOPs and wall-clock of training a BitLMv57 shape on a GPU, calibrated from the run table')
    .option('--model <name>', `a seed config (${Object.keys(SEED_CONFIGS).join(', ')})`)
    .option('--config <file>', 'JSON with the shape (d, layers, heads, d_ff, seq_len, vocab; optional batch_size, steps) or a run log')
    .option('--d <n>', 'model width')
    .option('--layers <n>', 'layers')
    .option('--heads <n>', 'attention heads')
    .option('--dff <n>', 'FFN width')
    .option('--seq <n>', 'context T (default 256)')
    .option('--vocab <n>', 'vocabulary (default 128)')
    .option('--bs <n>', 'effective batch size (default 256)')
    .option('--gpu <id>', `GPU (${GPUS.map((g) => g.id).join(', ')})`, 'a100-40gb')
    .option('--steps <n>', 'optimizer steps, for the total wall-clock')
    .option('--precision <p>', `${MEMORY_PRECISIONS.join(' | ')} (default bf16-autocast)`)
    .option('--storage <preset>', `what the implementation keeps (${Object.keys(STORAGE_PRESETS).join(', ')})`)
    .option('--tt-bytes <n>', 'bytes kept per [bs,H,T,T] element per layer (overrides calibration)')
    .option('--mfu <x>', 'MFU to assume when no run on this GPU measured one (default 0.25)')
    .option('--sweep-bs', 'memory and fit for bs = 1, 2, 4, … up to the first that does not fit')
    .option('--json', 'print JSON only')
    .action((opts: EstimateCliOptions, cmd: Command) => {
      const input = estimateInputFromOptions(opts);
      const calibration = loadCalibration(cmd.optsWithGlobals().runs ?? 'runs');
      if (opts.sweepBs) {
        const rows = sweepBatchSizes(input, calibration);
        const e = estimateTraining(input, calibration);
        const json = {
          gpu: e.gpu.id,
          usable_bytes: e.usableBytes,
          precision: e.precision,
          storage: e.preset,
          tt_bytes_per_element: e.tt.value,
          max_micro_batch: e.maxMicroBatch,
          rows: rows.map((r) => ({ batch_size: r.batchSize, total_bytes: r.totalBytes, attention_bytes: r.attentionBytes, fits: r.fits })),
        };
        emit(opts, json, () =>
          [
            `${e.gpu.name}, ${gib(e.usableBytes)} usable; ${e.precision}, storage ${e.preset}, T×T bytes per element ${e.tt.value.toFixed(2)}`,
            formatTable(['bs', 'total', 'T×T attention', 'fits'], rows.map((r) => [r.batchSize, gib(r.totalBytes), gib(r.attentionBytes), r.fits ? 'yes' : 'no'])),
            `largest micro-batch that fits: ${Number.isFinite(e.maxMicroBatch) ? e.maxMicroBatch : 'unbounded'}`,
          ].join('\n'),
        );
        return;
      }
      const e = estimateTraining(input, calibration);
      emit(opts, estimateToJson(e), () => renderEstimate(e));
    });
}
