/**
 * Training configurations: the defaults of the spec's recipe, named presets from `tiny` upward
 * and the seed report's shapes, and reading a `--config FILE`.
 */
import { readTextFile } from '../util/files.js';
import { SEED_CONFIGS, type Architecture, type ModelConfig } from '../arch/bitlm.js';
import type { SteKind } from '../model/ops.js';
import { BitscaleError } from '../util/errors.js';
import { BITLM_ARCHITECTURES, isBitLM } from '../arch/family.js';
import { BATCH_SIZE, MODEL_DIM, SEED, SEQUENCE, STEPS, FRACTION, checkNumber, type NumberSpec } from '../util/numbers.js';

export interface TrainConfig {
  /** Preset or config name; the default run id is built from it. */
  name: string;
  arch: Architecture;
  model: ModelConfig;
  batchSize: number;
  steps: number;
  /** Peak learning rate, linear warmup over `warmup` updates, cosine to `lrFinal`. */
  lr: number;
  warmup: number;
  lrFinal: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  clipNorm: number;
  /** Gumbel temperature, log schedule τ0 → τ1. */
  tau0: number;
  tau1: number;
  ste: SteKind;
  initStd: number;
  seed: number;
  /** Evaluate val_bpc every this many steps (and at the last). */
  evalEvery: number;
  /** Windows of T+1 bytes, evenly spaced over the validation split, in every evaluation. */
  evalWindows: number;
  /** Write a checkpoint every this many steps (0 = only at the end). */
  checkpointEvery: number;
  /** Measure peak bytes with tf.profile on the first step and every this many steps. */
  profileEvery: number;
  /** Stop as diverged when the mean train loss of the last 10 steps exceeds this (bits). */
  divergeBits: number;
  /** What the run is for, written to the header: "scaling" when absent; any other (e.g. "lr-probe") keeps it out of the scaling fits. */
  purpose?: string;
  /**
   * Train on this fraction of the training split's documents only, spread evenly over it (e.g. 1/64;
   * see trainingSubset in src/data/corpus.ts); absent: the whole split. Config files and sweep grids
   * may write it as "1/64". The run log records the subset's bytes and sha256.
   */
  trainSubset?: number;
}

const V = 128;

function shape(d: number, layers: number, heads: number, dFf: number, seqLen: number): ModelConfig {
  return { d, layers, heads, dFf, seqLen, vocab: V };
}

/** The spec's recipe (AdamW 0.9/0.95, wd 0.01, clip 1.0, τ 2.0 → 0.1, init N(0, 0.02²)). */
export const DEFAULT_TRAIN: Omit<TrainConfig, 'name' | 'model' | 'steps' | 'batchSize' | 'lr' | 'warmup'> = {
  arch: 'bitlm-v57',
  lrFinal: 0,
  beta1: 0.9,
  beta2: 0.95,
  eps: 1e-8,
  weightDecay: 0.01,
  clipNorm: 1.0,
  tau0: 2.0,
  tau1: 0.1,
  ste: 'clipped',
  initStd: 0.02,
  seed: 0,
  evalEvery: 0,
  evalWindows: 256,
  checkpointEvery: 100,
  profileEvery: 100,
  divergeBits: 16,
};

type PresetSpec = Pick<TrainConfig, 'model' | 'batchSize' | 'steps' | 'lr' | 'warmup'> & Partial<TrainConfig>;

/**
 * Presets. tiny…large are sized for a CPU (T=128, bs=16, the bench shapes); the seed-*
 * presets are the seed report's configs at its recipe, for machines that can run them. The seed
 * gives no shape for its 5.5M model; `5.9M` (d=512, L=4) is the nearest round shape.
 */
export const PRESETS: Record<string, PresetSpec> = {
  tiny: { model: shape(64, 2, 4, 64, 64), batchSize: 16, steps: 400, lr: 4e-3, warmup: 40, evalWindows: 128 },
  small: { model: shape(128, 2, 8, 64, 128), batchSize: 16, steps: 1000, lr: 3e-3, warmup: 50 },
  medium: { model: shape(256, 4, 8, 128, 128), batchSize: 16, steps: 1000, lr: 2e-3, warmup: 50 },
  large: { model: shape(512, 4, 16, 256, 128), batchSize: 16, steps: 1000, lr: 1.5e-3, warmup: 50 },
  '5.9M': { model: shape(512, 4, 16, 256, 256), batchSize: 256, steps: 20000, lr: 3.2e-3, warmup: 500 },
  '13.7M': { model: SEED_CONFIGS['13.7M'], batchSize: 256, steps: 15000, lr: 6e-4, warmup: 500 },
  '46.4M': { model: SEED_CONFIGS['46.4M'], batchSize: 256, steps: 15000, lr: 6e-4, warmup: 500 },
  '300M': { model: SEED_CONFIGS['300M'], batchSize: 256, steps: 30000, lr: 6e-4, warmup: 500 },
};

/** Evaluate about 8 times per run, at a round number of steps. */
export function defaultEvalEvery(steps: number): number {
  return Math.max(10, Math.ceil(steps / 8 / 10) * 10);
}

/** A complete config from a preset name plus overrides (unset evalEvery → about 8 evaluations). */
export function resolveConfig(base: string | null, overrides: Partial<TrainConfig> = {}): TrainConfig {
  let spec: Partial<TrainConfig> = {};
  if (base !== null) {
    const preset = PRESETS[base];
    if (!preset) throw new BitscaleError(`unknown preset '${base}' (presets: ${Object.keys(PRESETS).join(', ')})`);
    spec = { name: base, ...preset };
  }
  const cfg = { ...DEFAULT_TRAIN, ...spec, ...overrides } as TrainConfig;
  for (const f of ['model', 'steps', 'batchSize', 'lr', 'warmup', 'name'] as const) {
    if (cfg[f] === undefined) throw new BitscaleError(`the config sets no '${f}' and names no preset`);
  }
  if (!cfg.evalEvery) cfg.evalEvery = defaultEvalEvery(cfg.steps);
  validateConfig(cfg);
  return cfg;
}

/** A layer's attention bias (alibi + Gumbel noise)/τ holds bs·H·T·T float32 values in one typed array; V8 allows at most 2^32 elements. */
export const MAX_TYPED_ARRAY_ELEMENTS = 2 ** 32;

/** Ranges of the numeric TrainConfig fields (the same specs the CLI's options use). */
const FIELD_SPECS: Partial<Record<keyof TrainConfig, NumberSpec>> = {
  steps: STEPS,
  batchSize: BATCH_SIZE,
  lr: { min: 0, minExclusive: true, max: 10 },
  warmup: { integer: true, min: 0, max: 1e12 },
  lrFinal: { min: 0, max: 10 },
  beta1: { min: 0, max: 1, maxExclusive: true },
  beta2: { min: 0, max: 1, maxExclusive: true },
  eps: { min: 0, minExclusive: true, max: 1 },
  weightDecay: { min: 0, max: 10 },
  clipNorm: { min: 0 },
  tau0: { min: 0, minExclusive: true },
  tau1: { min: 0, minExclusive: true },
  initStd: { min: 0, minExclusive: true, max: 10 },
  seed: SEED,
  evalEvery: { integer: true, min: 0, max: 1e12 },
  evalWindows: { integer: true, min: 1, max: 1e7 },
  checkpointEvery: { integer: true, min: 0, max: 1e12 },
  profileEvery: { integer: true, min: 0, max: 1e12 },
  divergeBits: { min: 0, minExclusive: true },
};

/** Every field checked before anything is built: kind, range, and the trainer's own limits. Throws naming the field. */
function validateConfig(c: TrainConfig, file?: string): void {
  const m = c.model;
  for (const f of ['d', 'layers', 'heads', 'dFf', 'seqLen', 'vocab'] as const) {
    const v = m[f];
    if (typeof v !== 'number') throw new BitscaleError(`expected a number, got ${JSON.stringify(v)}`, { file, field: `model.${f}` });
    checkNumber(v, f === 'seqLen' ? SEQUENCE : MODEL_DIM, { file, field: `model.${f}` });
  }
  if (m.vocab !== V) throw new BitscaleError(`the trainer is byte-level: vocab must be ${V}`, { file, field: 'model.vocab' });
  if (m.d % m.heads !== 0) throw new BitscaleError(`d=${m.d} is not divisible by heads=${m.heads}`, { file, field: 'model.heads' });
  for (const [f, spec] of Object.entries(FIELD_SPECS) as [keyof TrainConfig, NumberSpec][]) {
    const v = c[f];
    if (typeof v !== 'number') throw new BitscaleError(`expected a number, got ${JSON.stringify(v)}`, { file, field: f });
    checkNumber(v, spec, { file, field: f });
  }
  if (!['clipped', 'identity'].includes(c.ste)) throw new BitscaleError(`expected clipped or identity, got ${c.ste}`, { file, field: 'ste' });
  if (c.purpose !== undefined && (typeof c.purpose !== 'string' || !/^[a-z][a-z0-9-]*$/.test(c.purpose))) throw new BitscaleError(`expected a purpose of lower-case letters, digits and '-' (e.g. "lr-probe"), got ${JSON.stringify(c.purpose)}`, { file, field: 'purpose' });
  if (c.trainSubset !== undefined) {
    if (typeof c.trainSubset !== 'number') throw new BitscaleError(`expected a fraction such as 0.25 or "1/64", got ${JSON.stringify(c.trainSubset)}`, { file, field: 'train_subset' });
    checkNumber(c.trainSubset, FRACTION, { file, field: 'train_subset' });
  }
  if (!isBitLM(c.arch)) throw new BitscaleError(`expected ${BITLM_ARCHITECTURES.join(', ')}, got ${c.arch}`, { file, field: 'arch' });
  const perSequence = m.heads * m.seqLen * m.seqLen;
  if (c.batchSize * perSequence > MAX_TYPED_ARRAY_ELEMENTS) {
    const most = Math.floor(MAX_TYPED_ARRAY_ELEMENTS / perSequence);
    throw new BitscaleError(`${c.batchSize} is too large for H=${m.heads}, T=${m.seqLen}: a layer's attention bias (bs·H·T·T floats) must fit one typed array of 2^32; at most ${most}`, { file, field: 'batchSize' });
  }
}

/**
 * A config object (a config file's content or a sweep entry): any TrainConfig field (camelCase),
 * optionally "preset" naming the base; "model" may use the run log's snake_case keys (d_ff,
 * seq_len) and is merged over the preset's model.
 */
export function readConfigObject(raw: Record<string, unknown>, file: string): TrainConfig {
  const { preset, model, ...rest } = raw as { preset?: string; model?: Record<string, number> } & Partial<TrainConfig>;
  // snake_case keys (batch_size, eval_windows), as the JSON the CLI writes spells them, are the camelCase fields.
  const overrides: Partial<TrainConfig> = Object.fromEntries(Object.entries(rest).map(([k, v]) => [k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()), v]));
  if (model) {
    const base = preset ? PRESETS[preset]?.model : undefined;
    const merged: Record<string, number> = { ...(base ?? { vocab: V }), ...model };
    if (merged.d_ff !== undefined) merged.dFf = merged.d_ff;
    if (merged.seq_len !== undefined) merged.seqLen = merged.seq_len;
    delete merged.d_ff;
    delete merged.seq_len;
    overrides.model = merged as unknown as ModelConfig;
  }
  if (typeof overrides.trainSubset === 'string') overrides.trainSubset = parseFraction(overrides.trainSubset, file);
  if (!overrides.name) overrides.name = preset ?? file.replace(/^.*\//, '').replace(/\.json$/, '');
  try {
    return resolveConfig(preset ?? null, overrides);
  } catch (err) {
    if (err instanceof BitscaleError && !err.file) throw new BitscaleError(err.message, { file });
    throw err;
  }
}

/** "1/64" → 0.015625, "0.25" → 0.25; anything else names the field. */
function parseFraction(text: string, file: string): number {
  const m = /^\s*([0-9.]+)\s*(?:\/\s*([0-9.]+))?\s*$/.exec(text);
  const value = m ? Number(m[1]) / (m[2] === undefined ? 1 : Number(m[2])) : Number.NaN;
  if (!Number.isFinite(value)) throw new BitscaleError(`expected a fraction such as 0.25 or "1/64", got ${JSON.stringify(text)}`, { file, field: 'train_subset' });
  return value;
}

/** Read a `--config FILE` (see readConfigObject). */
export function readConfigFile(path: string): TrainConfig {
  const text = readTextFile(path);
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new BitscaleError(`cannot read the config (${err instanceof Error ? err.message : String(err)})`, { file: path });
  }
  return readConfigObject(raw, path);
}
