/**
 * The run log (JSON Lines, format_version 1; see docs/run-log.md) and the typed run record the
 * run table gives to the fitters, the estimator and the report. Field names in the log are
 * snake_case JSON; the in-memory RunRecord is camelCase.
 */
export const RUN_LOG_FORMAT_VERSION = 1;

/**
 * What one token is. BitLMv57 is byte-level ('byte'); other models count characters ('char') or
 * tokenizer tokens ('token', with `dataset.tokenizer` naming the tokenizer). A loss is per token of
 * this unit unless the header's `bytes_per_token` says it was converted to per byte.
 */
export type TokenUnit = 'byte' | 'char' | 'token';
export const TOKEN_UNITS: readonly TokenUnit[] = ['byte', 'char', 'token'];

/** Units a log may state its losses in; ingest converts nats to bits. Stored logs are in bits. */
export type LossUnit = 'bits' | 'nats';
export const LOSS_UNITS: readonly LossUnit[] = ['bits', 'nats'];

/** Which kernels a bitscale tfjs run's products and hard attention ran on (header `kernels`). */
export type TrainerKernels = 'bitscale' | 'backend';
export const TRAINER_KERNELS: readonly TrainerKernels[] = ['bitscale', 'backend'];

export type Precision = 'fp32' | 'bf16-autocast' | 'fp16-autocast' | 'unknown';
export type RunStatus = 'completed' | 'diverged' | 'stopped' | 'running';

export interface DatasetIdentity {
  name: string;
  /** Size of the corpus in bytes; null where the source does not state it (the seed's runs). */
  bytes: number | null;
  sha256: string | null;
  token_unit: TokenUnit;
  /** The tokenizer when token_unit is 'token', e.g. "gpt2" or "olmo2". */
  tokenizer?: string;
  /** How bytes ≥ 128 were handled, e.g. "dropped" or "mapped to 127". */
  non_ascii?: string;
  /** Bytes of the training split (the part a run repeats); null or absent where not stated. */
  train_bytes?: number | null;
  val_bytes?: number | null;
  /** Unique tokens of the training split in the run's token unit, where the source states it. */
  unique_tokens?: number | null;
  /** A run that trained on some whole documents of the training split only (then train_bytes is the subset's). */
  subset?: { fraction: number; documents: number; of_documents: number; bytes: number; sha256: string; of_train_bytes: number };
}

export interface ModelConfigJson {
  d: number;
  layers: number;
  heads: number;
  d_ff: number;
  seq_len: number;
  vocab: number;
}

export interface LrScheduleJson {
  peak: number;
  schedule: 'cosine' | 'constant' | 'unknown';
  warmup_steps: number | null;
  final: number | null;
}

export interface HeaderRecord {
  type: 'header';
  format_version: number;
  run_id: string;
  /** Any non-empty name; BitLM formulas apply only to 'bitlm-v57' / 'bitlm-v52' (src/arch/family.ts). */
  arch: string;
  /** null where the source gives only a parameter count (the seed's 5.5M run). */
  config: ModelConfigJson | null;
  /** Exact parameter count (the spec formula where config is known). */
  params: number;
  /** The count as the source states it, e.g. "46.45M", when it differs in form from `params`. */
  params_reported?: string;
  batch_size: number;
  seq_len: number;
  lr: LrScheduleJson;
  planned_steps: number;
  seed: number | null;
  dataset: DatasetIdentity;
  loss_unit: LossUnit;
  /**
   * Set when per-token losses were converted to per byte with a figure the user gave (ingest
   * --bytes-per-token X): `train_loss` and `val_bpc` in this file are then per byte, i.e. the
   * per-token value divided by X. Absent: losses are per token of `dataset.token_unit`.
   */
  bytes_per_token?: number;
  precision: Precision;
  /** tfjs backend ("tensorflow", "wasm", "cpu") or the framework of an outside trainer. */
  backend: string;
  hardware: string;
  tool: { name: string; version: string };
  /**
   * `bitscale train`: which kernels ran the step. "bitscale": bitscale's own (wasm and cpu): the ±1
   * products on packed bits, the hard attention causal, keeping signs and softmax rows outside
   * tfjs; "backend": the backend's matMuls, the attention over the full T×T square. Absent:
   * "backend" for a bitscale log (logs written before bitscale's kernels).
   */
  kernels?: TrainerKernels;
  /** Where the numbers come from, e.g. "hand-written seed scaling report §1". */
  source?: string;
  /** "scaling" (the default when absent) or another purpose, e.g. "memory-measurement": such runs are kept out of the scaling fits. */
  purpose?: string;
  notes?: string;
  /** Trainer-specific settings (STE kind, τ schedule, optimizer…): kept verbatim. */
  [extra: string]: unknown;
}

export interface StepRecord {
  type: 'step';
  step: number;
  tokens: number;
  train_loss: number;
  lr?: number;
  tau?: number;
  wall_s?: number;
  peak_bytes?: number;
  tokens_per_s?: number;
  [extra: string]: unknown;
}

export interface EvalRecord {
  type: 'eval';
  step: number;
  tokens: number;
  val_bpc: number;
  wall_s?: number;
  [extra: string]: unknown;
}

export interface SummaryRecord {
  type: 'summary';
  status: RunStatus;
  steps: number;
  tokens: number;
  final_val_bpc: number | null;
  wall_s: number | null;
  peak_bytes?: number | null;
  tokens_per_s?: number | null;
  message?: string;
  [extra: string]: unknown;
}

export type LogRecord = HeaderRecord | StepRecord | EvalRecord | SummaryRecord;

export interface RunLog {
  header: HeaderRecord;
  steps: StepRecord[];
  evals: EvalRecord[];
  summary: SummaryRecord | null;
}

/** One point of a run's validation curve. */
export interface CurvePoint {
  step: number;
  tokens: number;
  valBpc: number;
}

/** A run as the fitters, estimator and report see it. */
export interface RunRecord {
  id: string;
  /** Path of the log relative to the runs directory, e.g. "seed/v71.jsonl". */
  file: string;
  /** First folder under runs/ ("seed", "brown-ladder", …): the collection the run was shipped in. */
  collection: string;
  /** The log's architecture name; isBitLM(arch) says whether BitLM formulas apply. */
  arch: string;
  config: ModelConfigJson | null;
  params: number;
  paramsReported: string | null;
  dataset: string;
  datasetBytes: number | null;
  /** Unique tokens U of the training corpus, in the run's token unit; null where no size is stated. */
  uniqueTokens: number | null;
  /** Passes over the corpus, tokens ÷ U; null where U is unknown. */
  passes: number | null;
  /** Where U comes from (e.g. "dataset.train_bytes, 1 byte per token"), or "unknown: …" with why. */
  corpusSize: string;
  /** What one token is (tokens, seq_len and batch counts are in this unit). */
  tokenUnit: TokenUnit;
  /** The tokenizer when tokenUnit is 'token'; null otherwise or when the log does not say. */
  tokenizer: string | null;
  /** The user-given bytes-per-token figure the losses were converted with, or null. */
  bytesPerToken: number | null;
  /** What the loss is per: the token unit, or 'byte' when converted with bytesPerToken. */
  lossPer: TokenUnit;
  /** The loss unit in words: "bits per byte", "bits per char", "bits per token (gpt2)". */
  lossUnit: string;
  batchSize: number;
  seqLen: number;
  /** Peak learning rate (header `lr.peak`). */
  lr: number;
  /** The rest of the LR schedule the header records (`lr.schedule`, `lr.warmup_steps`, `lr.final`): part of a run's recipe. */
  lrSchedule: LrScheduleJson['schedule'];
  warmupSteps: number | null;
  lrFinal: number | null;
  plannedSteps: number;
  /** Last step with a val_bpc. */
  steps: number;
  /** steps × batchSize × seqLen. */
  tokens: number;
  finalValBpc: number;
  curve: CurvePoint[];
  precision: Precision;
  backend: string;
  /** A bitscale tfjs run's kernels (header `kernels`); null where the header does not say. */
  kernels: TrainerKernels | null;
  hardware: string;
  status: RunStatus;
  wallSeconds: number | null;
  peakBytes: number | null;
  tokensPerSecond: number | null;
  source: string | null;
  notes: string | null;
  /** What the run is for: "scaling" (default) or e.g. "memory-measurement" (kept out of the fits). */
  purpose: string;
  log: RunLog;
}
