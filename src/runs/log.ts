/**
 * Reading, validating and writing run logs (JSON Lines; docs/run-log.md). Validation errors are
 * BitscaleErrors naming file, line and field. A truncated last line (a trainer killed mid-write:
 * no trailing newline and not valid JSON) is skipped with a warning; everything before it is kept.
 */
import { openSync, closeSync, writeSync, fsyncSync } from 'node:fs';
import { countParams } from '../arch/bitlm.js';
import { isBitLM } from '../arch/family.js';
import { BitscaleError } from '../util/errors.js';
import { writeFileAtomic } from '../util/atomic.js';
import { readLines, type TextLine } from '../util/files.js';
import { checkRunLog, setLine } from './checks.js';
import {
  TRAINER_KERNELS,
  LOSS_UNITS,
  RUN_LOG_FORMAT_VERSION,
  TOKEN_UNITS,
  type EvalRecord,
  type HeaderRecord,
  type LogRecord,
  type RunLog,
  type StepRecord,
  type SummaryRecord,
} from './types.js';

const STATUSES = ['completed', 'diverged', 'stopped', 'running'];
const PRECISIONS = ['fp32', 'bf16-autocast', 'fp16-autocast', 'unknown'];
export const RUN_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
/** The longest run id: `<id>.jsonl` and the writers' temporary names stay under NAME_MAX (255 bytes). */
export const RUN_ID_MAX_LENGTH = 200;

export interface ParseOptions {
  /** Called once per skipped truncated line. */
  onWarning?: (message: string) => void;
}

/** Parse and validate a whole log from text. `file` is used in error messages only. */
export function parseRunLog(text: string, file: string, options: ParseOptions = {}): RunLog {
  return parseRunLogLines(linesOf(text), file, options);
}

/** The lines of a text, as readLines gives a file's. */
function* linesOf(text: string): Generator<TextLine> {
  text = text.replace(/^\uFEFF/, ''); // a byte-order mark, as CSV accepts it
  let start = 0;
  let line = 0;
  while (start < text.length) {
    const nl = text.indexOf('\n', start);
    if (nl === -1) {
      yield { text: text.slice(start), line: ++line, terminated: false };
      return;
    }
    yield { text: text.slice(start, nl), line: ++line, terminated: true };
    start = nl + 1;
  }
}

/**
 * The most records of one run log, so that reading one stays under 1 GB: measured with
 * bench/ingest-memory.ts, a 200 MB log of 2.88M records ingested at 881 MiB peak (about 306 bytes a
 * record), so 3.2M records come to about 1 GB.
 */
export const MAX_LOG_RECORDS = 3_200_000;

/** Parse and validate a log from its lines (a file streamed by readLines, or a text split). */
export function parseRunLogLines(lines: Iterable<TextLine>, file: string, options: ParseOptions = {}): RunLog {
  let header: HeaderRecord | null = null;
  const steps: StepRecord[] = [];
  const evals: EvalRecord[] = [];
  let summary: SummaryRecord | null = null;

  let records = 0;
  for (const { text: raw, line: lineNo, terminated } of lines) {
    if (raw.trim() === '') continue;
    if (++records > MAX_LOG_RECORDS) throw new BitscaleError(`more than ${MAX_LOG_RECORDS.toLocaleString('en-US')} records; a run log is read into memory (about 450 bytes a record at its peak), so it stops here rather than run out of memory`, { file, line: lineNo });
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch {
      if (!terminated) {
        options.onWarning?.(`${file}:${lineNo}: skipped a truncated last line (the writer was probably killed)`);
        continue;
      }
      throw new BitscaleError('not valid JSON', { file, line: lineNo });
    }
    const record = validateRecord(value, { file, line: lineNo });
    setLine(record, lineNo);
    if (record.type === 'header') {
      if (header) throw new BitscaleError('a second header record', { file, line: lineNo, field: 'type' });
      header = record;
    } else if (!header) {
      throw new BitscaleError('the first record must be the header', { file, line: lineNo, field: 'type' });
    } else if (summary) {
      throw new BitscaleError('record after the summary', { file, line: lineNo, field: 'type' });
    } else if (record.type === 'step') steps.push(record);
    else if (record.type === 'eval') evals.push(record);
    else summary = record;
  }
  if (!header) throw new BitscaleError('no header record', { file, line: 1 });
  const log = { header, steps, evals, summary };
  checkRunLog(log, file, options.onWarning);
  return log;
}

/** Read a log file line by line (never the whole file as one string). */
export function readRunLog(path: string, options: ParseOptions = {}): RunLog {
  return parseRunLogLines(readLines(path), path, options);
}

/** One record per line, keys in insertion order; the file ends with a newline. */
export function serializeRunLog(log: RunLog): string {
  return [...serializeRunLogChunks(log)].join('');
}

/**
 * The same text as serializeRunLog, in pieces of about `chunkChars` characters, so that a log of
 * millions of records can be written without ever being one string (V8 caps a string at 2²⁹ − 24
 * characters).
 */
export function* serializeRunLogChunks(log: RunLog, chunkChars = 1 << 20): Generator<string> {
  let buf = JSON.stringify(log.header) + '\n';
  for (const r of mergeByStep(log.steps, log.evals)) {
    buf += JSON.stringify(r) + '\n';
    if (buf.length >= chunkChars) {
      yield buf;
      buf = '';
    }
  }
  if (log.summary) buf += JSON.stringify(log.summary) + '\n';
  if (buf !== '') yield buf;
}

/** Write a whole log atomically (temp file, then rename). */
export function writeRunLog(path: string, log: RunLog): void {
  writeFileAtomic(path, serializeRunLog(log));
}

const inStepOrder = (records: { step: number }[]) => records.every((r, i) => i === 0 || records[i - 1].step <= r.step);

/**
 * Step and eval records interleaved in step order (a step's eval follows its step record; records
 * of one kind keep their order). Both lists are normally in step order already: then this is a
 * linear merge, with no copy of either list.
 */
function* mergeByStep(steps: StepRecord[], evals: EvalRecord[]): Generator<StepRecord | EvalRecord> {
  const byStep = (list: (StepRecord | EvalRecord)[]) => list.map((r, i) => ({ r, i })).sort((a, b) => a.r.step - b.r.step || a.i - b.i).map(({ r }) => r);
  const s = inStepOrder(steps) ? steps : (byStep(steps) as StepRecord[]);
  const e = inStepOrder(evals) ? evals : (byStep(evals) as EvalRecord[]);
  let i = 0;
  let j = 0;
  while (i < s.length || j < e.length) {
    if (j >= e.length || (i < s.length && s[i].step <= e[j].step)) yield s[i++];
    else yield e[j++];
  }
}

/**
 * Appends records to a log as they happen, each written and fsynced before `append` returns, so a
 * killed trainer loses at most the line it was writing. `create` refuses to overwrite a file.
 */
export class RunLogWriter {
  private constructor(readonly path: string) {}

  static create(path: string, header: HeaderRecord): RunLogWriter {
    validateRecord(header, { file: path, line: 1 });
    const fd = openSync(path, 'wx');
    try {
      writeSync(fd, JSON.stringify(header) + '\n');
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    return new RunLogWriter(path);
  }

  /** Continue an existing log (after a resume has rewritten it to the checkpoint's step). */
  static reopen(path: string): RunLogWriter {
    return new RunLogWriter(path);
  }

  append(record: StepRecord | EvalRecord | SummaryRecord): void {
    const fd = openSync(this.path, 'a');
    try {
      writeSync(fd, JSON.stringify(record) + '\n');
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Validation

interface Where {
  file: string;
  line?: number;
}

type Obj = Record<string, unknown>;

function fail(where: Where, field: string, problem: string): never {
  throw new BitscaleError(problem, { file: where.file, line: where.line, field });
}

function describe(v: unknown): string {
  if (typeof v === 'number' && Number.isNaN(v)) return 'NaN';
  return JSON.stringify(v) ?? String(v);
}

/** A finite number; JSON has no NaN, so NaN arrives as a string "NaN" or null and is named as such. */
export function requireNumber(o: Obj, field: string, where: Where, opts: { min?: number; integer?: boolean; positive?: boolean; optional?: boolean; nullable?: boolean; label?: string } = {}): number {
  const v = o[field];
  field = opts.label ?? field;
  if (v === undefined) {
    if (opts.optional) return Number.NaN;
    fail(where, field, 'missing');
  }
  if (v === null) {
    if (opts.nullable) return Number.NaN;
    fail(where, field, 'is null, expected a number');
  }
  if (typeof v !== 'number') {
    if (typeof v === 'string' && /^[-+]?(nan|inf(inity)?)$/i.test(v.trim())) fail(where, field, `is ${v.trim()}, expected a finite number`);
    fail(where, field, `expected a number, got ${describe(v)}`);
  }
  if (!Number.isFinite(v)) fail(where, field, `is ${v}, expected a finite number`);
  if (opts.integer && !Number.isInteger(v)) fail(where, field, `expected an integer, got ${v}`);
  if (opts.positive && v <= 0) fail(where, field, `must be positive, got ${v}`);
  if (opts.min !== undefined && v < opts.min) fail(where, field, `must be ≥ ${opts.min}, got ${v}`);
  return v;
}

function requireString(o: Obj, field: string, where: Where, opts: { optional?: boolean; nullable?: boolean } = {}): string | null {
  const v = o[field];
  if (v === undefined && opts.optional) return null;
  if (v === null && opts.nullable) return null;
  if (typeof v !== 'string' || v === '') fail(where, field, v === undefined ? 'missing' : `expected a non-empty string, got ${describe(v)}`);
  return v;
}

function requireObject(o: Obj, field: string, where: Where, nullable = false): Obj | null {
  const v = o[field];
  if (v === null && nullable) return null;
  if (v === null || typeof v !== 'object' || Array.isArray(v)) fail(where, field, v === undefined ? 'missing' : `expected an object, got ${describe(v)}`);
  return v as Obj;
}

function requireOneOf<T extends string>(o: Obj, field: string, allowed: readonly T[], where: Where, what: string): T {
  const v = o[field];
  if (typeof v !== 'string' || !allowed.includes(v as T)) {
    fail(where, field, `${v === undefined ? 'missing' : `unknown ${what} ${describe(v)}`} (expected one of: ${allowed.join(', ')})`);
  }
  return v as T;
}

/** Validate one parsed line. Returns it typed; throws a located BitscaleError otherwise. */
export function validateRecord(value: unknown, where: Where): LogRecord {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) fail(where, 'type', 'a record must be a JSON object');
  const o = value as Obj;
  switch (o.type) {
    case 'header':
      return validateHeader(o, where);
    case 'step':
      requireNumber(o, 'step', where, { integer: true, min: 0 });
      requireNumber(o, 'tokens', where, { min: 0 });
      requireNumber(o, 'train_loss', where, { min: 0 });
      for (const f of ['lr', 'tau', 'wall_s', 'peak_bytes', 'tokens_per_s']) requireNumber(o, f, where, { optional: true, min: 0 });
      return o as StepRecord;
    case 'eval':
      requireNumber(o, 'step', where, { integer: true, min: 0 });
      requireNumber(o, 'tokens', where, { min: 0 });
      requireNumber(o, 'val_bpc', where, { min: 0 });
      requireNumber(o, 'wall_s', where, { optional: true, min: 0 });
      return o as EvalRecord;
    case 'summary':
      requireOneOf(o, 'status', STATUSES, where, 'status');
      requireNumber(o, 'steps', where, { integer: true, min: 0 });
      requireNumber(o, 'tokens', where, { min: 0 });
      requireNumber(o, 'final_val_bpc', where, { min: 0, nullable: true });
      requireNumber(o, 'wall_s', where, { min: 0, nullable: true });
      requireNumber(o, 'peak_bytes', where, { optional: true, nullable: true, min: 0 });
      return o as SummaryRecord;
    default:
      return fail(where, 'type', `unknown record type ${describe(o.type)} (expected header, step, eval or summary)`);
  }
}

function validateHeader(o: Obj, where: Where): HeaderRecord {
  const version = requireNumber(o, 'format_version', where, { integer: true, positive: true });
  if (version > RUN_LOG_FORMAT_VERSION) fail(where, 'format_version', `version ${version} is newer than this bitscale reads (${RUN_LOG_FORMAT_VERSION})`);
  const id = requireString(o, 'run_id', where)!;
  if (!RUN_ID_PATTERN.test(id)) fail(where, 'run_id', `${describe(id)} may hold only letters, digits, '.', '_' and '-'`);
  if (id.length > RUN_ID_MAX_LENGTH) fail(where, 'run_id', `is ${id.length} characters long; at most ${RUN_ID_MAX_LENGTH} (it names the log's file)`);
  if (o.tokens_step_offset !== undefined && o.tokens_step_offset !== 0 && o.tokens_step_offset !== 1) fail(where, 'tokens_step_offset', `expected 0 or 1, got ${describe(o.tokens_step_offset)}`);
  validateArchParamsConfig(o, where);
  requireNumber(o, 'batch_size', where, { integer: true, positive: true });
  requireString(o, 'params_reported', where, { optional: true });

  const lr = requireObject(o, 'lr', where)!;
  requireNumber(lr, 'peak', where, { positive: true, label: 'lr.peak' });
  requireNumber(o, 'planned_steps', where, { integer: true, min: 0 });
  requireNumber(o, 'seed', where, { integer: true, nullable: true });

  const ds = requireObject(o, 'dataset', where)!;
  if (typeof ds.name !== 'string' || ds.name === '') fail(where, 'dataset.name', 'missing');
  if (ds.bytes !== null && (typeof ds.bytes !== 'number' || !Number.isInteger(ds.bytes) || ds.bytes <= 0)) fail(where, 'dataset.bytes', `expected a positive integer or null, got ${describe(ds.bytes)}`);
  for (const f of ['train_bytes', 'unique_tokens'])
    if (ds[f] !== undefined && ds[f] !== null && (typeof ds[f] !== 'number' || !Number.isFinite(ds[f]) || (ds[f] as number) <= 0)) fail(where, `dataset.${f}`, `expected a positive number or null, got ${describe(ds[f])}`);
  if (ds.sha256 !== null && (typeof ds.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(ds.sha256))) fail(where, 'dataset.sha256', `expected 64 lowercase hex digits or null, got ${describe(ds.sha256)}`);
  validateUnits(o, ds, where);
  requireOneOf(o, 'loss_unit', LOSS_UNITS, where, 'loss unit');
  requireOneOf(o, 'precision', PRECISIONS, where, 'precision');
  requireString(o, 'backend', where);
  if (o.kernels !== undefined) requireOneOf(o, 'kernels', TRAINER_KERNELS, where, 'kernels');
  requireString(o, 'hardware', where);
  const tool = requireObject(o, 'tool', where)!;
  if (typeof tool.name !== 'string' || typeof tool.version !== 'string') fail(where, 'tool', 'expected {name, version}');
  return o as HeaderRecord;
}

// ---------------------------------------------------------------------------------------------
// Architecture and units (issue 17): any architecture name; BitLM shape rules only for BitLM.

/** `arch`, `params`, `seq_len` and `config`. Returns seq_len. */
function validateArchParamsConfig(o: Obj, where: Where): number {
  const arch = requireString(o, 'arch', where)!;
  const bitlm = isBitLM(arch);
  if (o.params === undefined && !bitlm) {
    fail(where, 'params', `missing: architecture '${arch}' is not BitLM, so bitscale has no parameter formula for it; give the count in params`);
  }
  const params = requireNumber(o, 'params', where, { integer: true, positive: true });
  const seqLen = requireNumber(o, 'seq_len', where, { integer: true, positive: true });
  const config = requireObject(o, 'config', where, true);
  if (!config) return seqLen;
  if (!bitlm) {
    // A foreign shape is kept as given; only the fields bitscale names are checked for sense.
    for (const f of ['d', 'layers', 'heads', 'd_ff', 'seq_len', 'vocab']) requireNumber(config, f, where, { integer: true, positive: true, optional: true, label: `config.${f}` });
    if (config.seq_len !== undefined && config.seq_len !== seqLen) fail(where, 'seq_len', `${seqLen} differs from config.seq_len ${describe(config.seq_len)}`);
    return seqLen;
  }
  const get = (f: string) => requireNumber(config, f, where, { integer: true, positive: true, label: `config.${f}` });
  const d = get('d');
  const layers = get('layers');
  const heads = get('heads');
  const dFf = get('d_ff');
  const T = get('seq_len');
  const vocab = get('vocab');
  if (d % heads !== 0) fail(where, 'config.heads', `d=${d} is not divisible by heads=${heads}`);
  if (T !== seqLen) fail(where, 'seq_len', `${seqLen} differs from config.seq_len ${T}`);
  const counted = countParams({ d, layers, dFf, vocab });
  if (counted !== params) fail(where, 'params', `${params} differs from ${counted}, the count of config (L·(4d² + 3·d·d_ff) + 2·V·d); put the source's own figure in params_reported`);
  return seqLen;
}

/** `dataset.token_unit`, `dataset.tokenizer` and `bytes_per_token`. */
function validateUnits(o: Obj, ds: Obj, where: Where): void {
  if (typeof ds.token_unit !== 'string' || !TOKEN_UNITS.includes(ds.token_unit as never)) {
    fail(where, 'dataset.token_unit', `unknown dataset units ${describe(ds.token_unit)} (expected one of: ${TOKEN_UNITS.join(', ')})`);
  }
  const unit = ds.token_unit as string;
  if (isBitLM(o.arch as string) && unit !== 'byte') fail(where, 'dataset.token_unit', `is ${describe(unit)}, but ${describe(o.arch)} is byte-level (expected "byte")`);
  if (ds.tokenizer !== undefined) {
    if (typeof ds.tokenizer !== 'string' || ds.tokenizer.trim() === '') fail(where, 'dataset.tokenizer', `expected a non-empty string, got ${describe(ds.tokenizer)}`);
    if (unit !== 'token') fail(where, 'dataset.tokenizer', `names a tokenizer, but token_unit is ${describe(unit)} (a tokenizer goes with "token")`);
  }
  if (o.bytes_per_token !== undefined) {
    requireNumber(o, 'bytes_per_token', where, { positive: true });
    if (unit === 'byte') fail(where, 'bytes_per_token', 'is given, but token_unit is "byte": there is nothing to convert');
  }
}
