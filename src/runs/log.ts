/**
 * Reading, validating and writing run logs (JSON Lines; docs/run-log.md). Each record is checked
 * against schema/run-log.schema.json, the format's one machine-checkable definition, then by the
 * rules across fields and records (here and in checks.ts). Validation errors are BitscaleErrors
 * naming file, line and field. A truncated last line (a trainer killed mid-write:
 * no trailing newline and not valid JSON) is skipped with a warning; everything before it is kept.
 */
import { openSync, closeSync, writeSync, fsyncSync } from 'node:fs';
import type { ErrorObject } from 'ajv';
import { countParams } from '../arch/bitlm.js';
import { isBitLM } from '../arch/family.js';
import { BitscaleError } from '../util/errors.js';
import { writeFileAtomic } from '../util/atomic.js';
import { readLines, type TextLine } from '../util/files.js';
import { checkField, showValue } from '../util/numbers.js';
import { validate as validateLine } from './run-log-validator.generated.js';
import { checkRunLog, setLine } from './checks.js';
import {
  RUN_LOG_FORMAT_VERSION,
  type EvalRecord,
  type HeaderRecord,
  type LogRecord,
  type ModelConfigJson,
  type RunLog,
  type StepRecord,
  type SummaryRecord,
} from './types.js';

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
// Validation: each record against schema/run-log.schema.json (compiled once, by ajv, into
// run-log-validator.generated.js: scripts/compile-schema.js), then the rules across fields that a
// JSON Schema does not hold (BitLM's parameter formula, units against the architecture).

interface Where {
  file: string;
  line?: number;
}

type Obj = Record<string, unknown>;

/** A JSON Pointer segment as written: "~1" is "/", "~0" is "~". */
const unescapePointer = (segment: string) => segment.replace(/~1/g, '/').replace(/~0/g, '~');

function fail(where: Where, field: string, problem: string): never {
  throw new BitscaleError(problem, { file: where.file, line: where.line, field });
}

/**
 * Field words that the schema's keywords cannot give: the noun of an enumeration ("unknown dataset
 * units …"), what a field of several types holds ("expected 64 lowercase hex digits or null"),
 * what a pattern allows, and why a limit exists. Keyed by field path.
 */
const FIELD_WORDS: Record<string, { noun?: string; expected?: string; pattern?: string; why?: string }> = {
  status: { noun: 'status' },
  loss_unit: { noun: 'loss unit' },
  precision: { noun: 'precision' },
  kernels: { noun: 'kernels' },
  'lr.schedule': { noun: 'schedule' },
  'dataset.token_unit': { noun: 'dataset units' },
  'dataset.bytes': { expected: 'a positive integer or null' },
  'dataset.train_bytes': { expected: 'a positive number or null' },
  'dataset.unique_tokens': { expected: 'a positive number or null' },
  'dataset.sha256': { expected: '64 lowercase hex digits or null' },
  'dataset.tokenizer': { expected: 'a non-empty string' },
  tokens_step_offset: { expected: '0 or 1' },
  run_id: { pattern: "may hold only letters, digits, '.', '_' and '-'", why: "it names the log's file" },
};

const TYPE_WORDS: Record<string, string> = { object: 'an object', string: 'a string', number: 'a number', integer: 'an integer', boolean: 'true or false', array: 'a list', null: 'null' };

/**
 * Turn ajv's first error into today's message: `/dataset/token_unit` becomes the field
 * `dataset.token_unit`, a missing property its own field; numbers are worded by numbers.ts.
 */
function schemaError(error: ErrorObject, record: unknown, where: Where): never {
  const path = error.instancePath.split('/').slice(1).map(unescapePointer);
  // The generator compiled the schema with verbose: each error carries the failing value and its schema.
  const schema = (error.parentSchema ?? {}) as Obj;
  const value: unknown = error.data;
  if (path.length === 0 && error.keyword !== 'required') {
    if (error.keyword === 'discriminator') fail(where, 'type', `unknown record type ${showValue((record as Obj).type)} (expected header, step, eval or summary)`);
    fail(where, 'type', 'a record must be a JSON object');
  }
  if (error.keyword === 'required') {
    const missing = (error.params as { missingProperty: string }).missingProperty;
    const field = [...path, missing].join('.');
    if (path.length === 0 && missing === 'type') fail(where, 'type', 'unknown record type undefined (expected header, step, eval or summary)');
    const { type, arch } = record as Obj;
    if (path.length === 0 && missing === 'params' && type === 'header' && typeof arch === 'string' && !isBitLM(arch)) {
      fail(where, 'params', `missing: architecture '${arch}' is not BitLM, so bitscale has no parameter formula for it; give the count in params`);
    }
    const allowed = ((schema.properties as Record<string, Obj> | undefined)?.[missing]?.enum as unknown[] | undefined) ?? null;
    fail(where, field, allowed ? `missing (expected one of: ${allowed.join(', ')})` : 'missing');
  }
  const field = path.join('.');
  const words = FIELD_WORDS[field] ?? {};
  if (words.expected) fail(where, field, `expected ${words.expected}, got ${showValue(value)}`);
  if (field === 'format_version' && error.keyword === 'maximum') fail(where, field, `version ${value} is newer than this bitscale reads (${RUN_LOG_FORMAT_VERSION})`);
  const types = [schema.type ?? []].flat() as string[];
  if (types.includes('number') || types.includes('integer')) {
    const minimum = (schema.exclusiveMinimum ?? schema.minimum) as number | undefined;
    checkField(value, { integer: types.includes('integer'), nullable: types.includes('null'), min: minimum, minExclusive: schema.exclusiveMinimum !== undefined, max: schema.maximum as number | undefined }, { ...where, field });
  }
  switch (error.keyword) {
    case 'enum':
      fail(where, field, `unknown ${words.noun ?? field} ${showValue(value)} (expected one of: ${(schema.enum as unknown[]).join(', ')})`);
    case 'maxLength':
      fail(where, field, `is ${(value as string).length} characters long; at most ${schema.maxLength}${words.why ? ` (${words.why})` : ''}`);
    case 'pattern':
      if (words.pattern) fail(where, field, `${showValue(value)} ${words.pattern}`);
      fail(where, field, `${showValue(value)} does not match ${schema.pattern}`);
    case 'minLength':
      fail(where, field, `expected a non-empty string, got ${showValue(value)}`);
    case 'type':
      fail(where, field, `expected ${types.filter((t) => t !== 'null').map((t) => (t === 'string' && schema.minLength ? 'a non-empty string' : TYPE_WORDS[t] ?? t)).join(' or ')}, got ${showValue(value)}`);
  }
  fail(where, field, `${error.message ?? 'invalid'}, got ${showValue(value)}`);
}

/** Validate one parsed line. Returns it typed; throws a located BitscaleError otherwise. */
export function validateRecord(value: unknown, where: Where): LogRecord {
  if (!validateLine(value)) schemaError(validateLine.errors![0], value, where);
  const record = value as LogRecord;
  if (record.type === 'header') checkHeaderFields(record, where);
  return record;
}

/** The header's rules across fields: BitLM's shape and parameter formula, and the token units. */
function checkHeaderFields(h: HeaderRecord, where: Where): void {
  const bitlm = isBitLM(h.arch);
  const config = h.config as Obj | null;
  if (config) {
    if (config.seq_len !== undefined && config.seq_len !== h.seq_len) fail(where, 'seq_len', `${h.seq_len} differs from config.seq_len ${showValue(config.seq_len)}`);
    if (bitlm) {
      // BitLM's formulas need the whole shape (a foreign shape is kept as given).
      for (const f of ['d', 'layers', 'heads', 'd_ff', 'seq_len', 'vocab']) if (config[f] === undefined) fail(where, `config.${f}`, 'missing');
      const { d, layers, heads, d_ff: dFf, vocab } = config as unknown as ModelConfigJson;
      if (d % heads !== 0) fail(where, 'config.heads', `d=${d} is not divisible by heads=${heads}`);
      const counted = countParams({ d, layers, dFf, vocab });
      if (counted !== h.params) fail(where, 'params', `${h.params} differs from ${counted}, the count of config (L·(4d² + 3·d·d_ff) + 2·V·d); put the source's own figure in params_reported`);
    }
  }
  const unit = h.dataset.token_unit;
  if (bitlm && unit !== 'byte') fail(where, 'dataset.token_unit', `is ${showValue(unit)}, but ${showValue(h.arch)} is byte-level (expected "byte")`);
  if (h.dataset.tokenizer !== undefined && unit !== 'token') fail(where, 'dataset.tokenizer', `names a tokenizer, but token_unit is ${showValue(unit)} (a tokenizer goes with "token")`);
  if (h.bytes_per_token !== undefined && unit === 'byte') fail(where, 'bytes_per_token', 'is given, but token_unit is "byte": there is nothing to convert');
}
