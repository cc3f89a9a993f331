/**
 * Whole-log checks that go beyond one field's type: values no real run can have (errors), values
 * no ordinary run has (warnings), and records that contradict each other (errors). Every message
 * names the file, the line and the field. The bounds are documented, with their reasons, in
 * docs/run-log.md ("Bounds and consistency"); BOUNDS is the one definition both follow.
 */
import { BitscaleError } from '../util/errors.js';
import type { EvalRecord, HeaderRecord, RunLog, StepRecord } from './types.js';

/** Error and warning bounds, in the unit each field is stored in (losses: bits per token). */
export const BOUNDS = {
  /** Losses (val_bpc, final_val_bpc): > 0 (a real model never predicts held-out text perfectly); ≤ 1000 bits. */
  lossMaxBits: 1000,
  /** Warn below 0.5 bits per token: the best models reach ≈ 0.9 bits per byte on English text. */
  lossWarnLowBits: 0.5,
  /** Warn above 1.5 × log2(vocab): a model that far above a uniform guess has diverged, or the unit is wrong. */
  lossWarnUniformFactor: 1.5,
  /** params ≤ 1e13 (10 trillion); warn above 1e11 and below 1e3. */
  paramsMax: 1e13,
  paramsWarnHigh: 1e11,
  paramsWarnLow: 1e3,
  /** step, steps, planned_steps ≤ 1e12 (30 years at 1 ms a step); warn above 1e8. */
  stepsMax: 1e12,
  stepsWarnHigh: 1e8,
  /** batch_size and seq_len ≤ 1e9; warn above 1e6. */
  shapeMax: 1e9,
  shapeWarnHigh: 1e6,
  /** tokens vs step × batch_size × seq_len: equal within 1%; a warning up to a factor 2; beyond, an error. */
  tokensTolerance: 0.01,
  tokensFactor: 2,
  /** The summary's final_val_bpc equals the last eval's val_bpc within half a unit in the third decimal. */
  finalTolerance: 5e-4,
} as const;

/**
 * Where each record came from (set by the readers; absent for records built in memory): its line,
 * and, for a record converted from another trainer's log, the user's own file (never the
 * converted log, which the user does not see).
 */
export interface Place {
  file?: string;
  line?: number;
}
const PLACES = new WeakMap<object, Place>();

export function setLine(record: object, line: number): void {
  PLACES.set(record, { ...PLACES.get(record), line });
}

export function setPlace(record: object, place: Place): void {
  PLACES.set(record, place);
}

/** `to`, carrying `from`'s place (for a record rebuilt from another, e.g. converted to per byte). */
export function copyPlace<T extends object>(from: object, to: T): T {
  const p = PLACES.get(from);
  if (p) PLACES.set(to, p);
  return to;
}

/** Where a record was read, if a reader said. */
export function placeOf(record: object): Place | undefined {
  return PLACES.get(record);
}

function lineOf(record: object): number | undefined {
  return PLACES.get(record)?.line;
}

/** The vocabulary a loss is measured against, when the log says (config.vocab, or 256 for bytes). */
function vocabOf(h: HeaderRecord): number | null {
  const v = (h.config as { vocab?: unknown } | null)?.vocab;
  if (typeof v === 'number' && v > 1) return v;
  return h.dataset.token_unit === 'byte' ? 256 : null;
}

/**
 * Check a parsed log as a whole. Throws a BitscaleError on an impossible value or a contradiction;
 * calls `onWarning` for an implausible value. Run after every record has passed validateRecord.
 * `fileOrder` (default true): the records must appear in step order, as in a JSONL log; a CSV's
 * rows may come in any order (ingest sorts them), so it passes false.
 */
export function checkRunLog(log: RunLog, file: string, onWarning?: (message: string) => void, options: { fileOrder?: boolean } = {}): void {
  const h = log.header;
  const fileOf = (record: object) => PLACES.get(record)?.file ?? file;
  const at = (record: object, field: string) => ({ file: fileOf(record), line: lineOf(record), field });
  const fail = (record: object, field: string, problem: string): never => {
    throw new BitscaleError(problem, at(record, field));
  };
  const warn = (record: object, field: string, problem: string) => onWarning?.(`${fileOf(record)}${lineOf(record) !== undefined ? `:${lineOf(record)}` : ''}: field '${field}': ${problem}`);
  // "line 12" for a record of the same file, "other.log:12" for one read from another file.
  const placeOf = (record: object) => (fileOf(record) === file ? `line ${lineOf(record)}` : `${fileOf(record)}${lineOf(record) !== undefined ? `:${lineOf(record)}` : ''}`);

  // Header shapes.
  if (h.params > BOUNDS.paramsMax) fail(h, 'params', `${h.params} is beyond any model (bound ${BOUNDS.paramsMax}); a count of bytes or FLOPs?`);
  if (h.params > BOUNDS.paramsWarnHigh) warn(h, 'params', `${h.params} is larger than any model trained so far (warning above ${BOUNDS.paramsWarnHigh})`);
  if (h.params < BOUNDS.paramsWarnLow) warn(h, 'params', `${h.params} is smaller than any useful model (warning below ${BOUNDS.paramsWarnLow}); a count in millions?`);
  for (const f of ['batch_size', 'seq_len'] as const) {
    if (h[f] > BOUNDS.shapeMax) fail(h, f, `${h[f]} is beyond any run (bound ${BOUNDS.shapeMax})`);
    if (h[f] > BOUNDS.shapeWarnHigh) warn(h, f, `${h[f]} is unusually large (warning above ${BOUNDS.shapeWarnHigh})`);
  }
  checkSteps(h, 'planned_steps', h.planned_steps, fail, warn);
  // The corpus, where the log states its size: at least one batch, and its two statements agreeing.
  const ds = h.dataset as { unique_tokens?: number | null; train_bytes?: number | null; token_unit?: string };
  const perToken = typeof h.bytes_per_token === 'number' ? h.bytes_per_token : ds.token_unit === 'byte' ? 1 : null;
  if (typeof ds.unique_tokens === 'number' && typeof ds.train_bytes === 'number' && perToken !== null && Math.abs(ds.train_bytes / perToken / ds.unique_tokens - 1) > 0.01)
    fail(h, 'dataset.unique_tokens', `${ds.unique_tokens} contradicts dataset.train_bytes ${ds.train_bytes} at ${perToken} byte(s) per token (${Math.round(ds.train_bytes / perToken)} tokens): the passes over the corpus would depend on which is read`);
  const unique = typeof ds.unique_tokens === 'number' ? { value: ds.unique_tokens, field: 'dataset.unique_tokens' } : typeof ds.train_bytes === 'number' && perToken !== null ? { value: ds.train_bytes / perToken, field: 'dataset.train_bytes' } : null;
  if (unique && unique.value < h.batch_size * h.seq_len)
    fail(h, unique.field, `the training corpus holds ${Math.round(unique.value)} tokens, less than one batch (batch_size ${h.batch_size} × seq_len ${h.seq_len} = ${h.batch_size * h.seq_len}): every step would repeat data within itself`);

  const toBits = h.loss_unit === 'nats' ? 1 / Math.LN2 : 1;
  const vocab = vocabOf(h);
  const checkLoss = (record: object, field: string, value: number, kind: 'val' | 'train') => {
    const bits = value * toBits;
    if (kind === 'val' && !(value > 0)) fail(record, field, `${value}: a validation loss of 0 is impossible for a real model (it must be > 0)`);
    if (bits > BOUNDS.lossMaxBits) fail(record, field, `${value} ${h.loss_unit} is beyond any real loss (bound ${BOUNDS.lossMaxBits} bits per token)`);
    if (kind !== 'val') return;
    if (bits < BOUNDS.lossWarnLowBits) warn(record, field, `${value} ${h.loss_unit} is below what any model reaches on natural text (warning below ${BOUNDS.lossWarnLowBits} bits per token)`);
    if (vocab !== null && bits > BOUNDS.lossWarnUniformFactor * Math.log2(vocab)) {
      warn(record, field, `${value} ${h.loss_unit} is far above a uniform guess over ${vocab} symbols (log2 = ${Math.log2(vocab).toFixed(2)} bits; warning above ${BOUNDS.lossWarnUniformFactor}×)`);
    }
  };
  const tokensPerStep = h.batch_size * h.seq_len;
  // A trainer that logs the tokens seen after the update numbered `step` (W&B's 0-based _step,
  // say) counts step + 1 updates; ingest records that as tokens_step_offset 1.
  const offset = h.tokens_step_offset === 1 ? 1 : 0;
  const checkTokens = (record: object, step: number, tokens: number) => {
    const expected = (step + offset) * tokensPerStep;
    const rule = `${offset ? `(step ${step} + tokens_step_offset 1)` : `step ${step}`} × batch_size ${h.batch_size} × seq_len ${h.seq_len} = ${expected}`;
    if (expected === 0 ? tokens !== 0 : tokens > expected * BOUNDS.tokensFactor || tokens < expected / BOUNDS.tokensFactor) {
      fail(record, 'tokens', `${tokens} contradicts ${rule}`);
    }
    if (Math.abs(tokens - expected) > BOUNDS.tokensTolerance * expected) warn(record, 'tokens', `${tokens} differs from ${rule} by ${((100 * (tokens - expected)) / expected).toFixed(1)}%`);
  };

  // Step and eval records: bounds, then order (each kind strictly increasing, both together never going back).
  let previous: (StepRecord | EvalRecord) | null = null;
  let lastOfKind: { step?: StepRecord; eval?: EvalRecord } = {};
  const all = [...log.steps, ...log.evals];
  // Lines order records only within one file: records read from several files are ordered by step.
  const inFileOrder = options.fileOrder !== false && all.every((r) => lineOf(r) !== undefined && fileOf(r) === file);
  for (const r of all.sort(inFileOrder ? (a, b) => lineOf(a)! - lineOf(b)! : (a, b) => a.step - b.step)) {
    checkSteps(r, 'step', r.step, fail, warn);
    checkTokens(r, r.step, r.tokens);
    if (r.type === 'eval') checkLoss(r, 'val_bpc', r.val_bpc, 'val');
    else checkLoss(r, 'train_loss', r.train_loss, 'train');
    const same = lastOfKind[r.type];
    if (same && r.step <= same.step) {
      fail(r, 'step', r.step === same.step ? `a second ${r.type} record at step ${r.step} (the first on ${placeOf(same)})` : `${r.type} records out of step order: step ${r.step} after step ${same.step} (${placeOf(same)})`);
    }
    if (previous && r.step < previous.step) fail(r, 'step', `records out of step order: step ${r.step} after step ${previous.step} (${placeOf(previous)})`);
    previous = r;
    lastOfKind = { ...lastOfKind, [r.type]: r };
  }

  // The summary agrees with the records.
  const s = log.summary;
  if (!s) return;
  checkSteps(s, 'steps', s.steps, fail, warn);
  checkTokens(s, s.steps, s.tokens);
  if (s.final_val_bpc !== null) checkLoss(s, 'final_val_bpc', s.final_val_bpc, 'val');
  const lastEval = log.evals.length > 0 ? log.evals.reduce((a, b) => (b.step >= a.step ? b : a)) : null;
  if (lastEval && s.final_val_bpc !== null && Math.abs(s.final_val_bpc - lastEval.val_bpc) > BOUNDS.finalTolerance) {
    fail(s, 'final_val_bpc', `${s.final_val_bpc} contradicts the last eval's val_bpc ${lastEval.val_bpc} (${placeOf(lastEval)}, step ${lastEval.step})`);
  }
  if (previous && s.steps !== previous.step) {
    fail(s, 'steps', `${s.steps} contradicts the last record, at step ${previous.step} (${placeOf(previous)})`);
  }
}

function checkSteps(record: object, field: string, value: number, fail: (r: object, f: string, p: string) => never, warn: (r: object, f: string, p: string) => void): void {
  if (value > BOUNDS.stepsMax) fail(record, field, `${value} is beyond any run (bound ${BOUNDS.stepsMax} steps: 30 years at 1 ms a step)`);
  if (value > BOUNDS.stepsWarnHigh) warn(record, field, `${value} steps is unusually many (warning above ${BOUNDS.stepsWarnHigh})`);
}
