/**
 * The run log (JSON Lines, format_version 1; see docs/run-log.md) and the typed run record the
 * run table gives to the fitters, the estimator and the report. Field names in the log are
 * snake_case JSON; the in-memory RunRecord is camelCase.
 */
import type { Architecture } from '../arch/bitlm.js';

export const RUN_LOG_FORMAT_VERSION = 1;

/** What one token is. BitLMv57 is byte-level; any other unit is rejected at ingest. */
export type TokenUnit = 'byte';
export const TOKEN_UNITS: readonly TokenUnit[] = ['byte'];

/** Units a log may state its losses in; ingest converts nats to bits. Stored logs are in bits. */
export type LossUnit = 'bits' | 'nats';
export const LOSS_UNITS: readonly LossUnit[] = ['bits', 'nats'];

export type Precision = 'fp32' | 'bf16-autocast' | 'fp16-autocast' | 'unknown';
export type RunStatus = 'completed' | 'diverged' | 'stopped' | 'running';

export interface DatasetIdentity {
  name: string;
  /** Size of the corpus in bytes; null where the source does not state it (the seed's runs). */
  bytes: number | null;
  sha256: string | null;
  token_unit: TokenUnit;
  /** How bytes ≥ 128 were handled, e.g. "dropped" or "mapped to 127". */
  non_ascii?: string;
  train_bytes?: number | null;
  val_bytes?: number | null;
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
  arch: Architecture;
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
  precision: Precision;
  /** tfjs backend ("tensorflow", "wasm", "cpu") or the framework of an outside trainer. */
  backend: string;
  hardware: string;
  tool: { name: string; version: string };
  /** Where the numbers come from, e.g. "shared/seed/SCALING_REPORT.md §1". */
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
  /** First folder under runs/ ("seed", "brown-cpu", …): the collection the run was shipped in. */
  collection: string;
  arch: Architecture;
  config: ModelConfigJson | null;
  params: number;
  paramsReported: string | null;
  dataset: string;
  datasetBytes: number | null;
  batchSize: number;
  seqLen: number;
  lr: number;
  plannedSteps: number;
  /** Last step with a val_bpc. */
  steps: number;
  /** steps × batchSize × seqLen. */
  tokens: number;
  finalValBpc: number;
  curve: CurvePoint[];
  precision: Precision;
  backend: string;
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
