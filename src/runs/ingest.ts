/**
 * Ingestion: run logs (JSONL) and tabular results (CSV) into runs/<collection>/<run_id>.jsonl.
 * Everything is parsed and validated first, without a lock; then, holding the run table's lock
 * (`runs/.ingest.lock`, proper-lockfile), the run ids are checked again against the whole table
 * and every run of the command is written as one transaction (writeNewFilesTogether: all or
 * none, never over an existing file). Sources are only ever read.
 */
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename, extname, join, relative, sep } from 'node:path';
import lockfile from 'proper-lockfile';
import { countParams } from '../arch/bitlm.js';
import { isBitLM } from '../arch/family.js';
import { BitscaleError } from '../util/errors.js';
import { recoverStagedFiles, writeNewFilesTogether } from '../util/atomic.js';
import { fsError, readHead } from '../util/files.js';
import { currentOwner, readLockOwner, sleepSync, staleReason } from '../util/owner.js';
import { resolveInside } from '../util/paths.js';
import { checkRunLog, copyPlace, setLine } from './checks.js';
import { NON_NEGATIVE_INT, POSITIVE_INT, POSITIVE_REAL, parseField, type FieldSpec } from '../util/numbers.js';
import { parseCsvTable } from '../util/csv.js';
import { VERSION } from '../version.js';
import { readRunLog, serializeRunLogChunks, validateRecord, RUN_ID_PATTERN } from './log.js';
import { readForeignRuns, type Mapping } from './formats/index.js';
import { readCsvStream } from './formats/csv-stream.js';
import { listRunLogFiles } from './table.js';
import { CSV_FIELDS } from './csv-fields.js';
import { RUN_LOG_FORMAT_VERSION, type EvalRecord, type HeaderRecord, type RunLog, type SummaryRecord } from './types.js';

export { CSV_FIELDS };

const ALIASES: Record<string, keyof typeof CSV_FIELDS> = { bs: 'batch_size', T: 'seq_len', iter: 'steps', step: 'steps' };
/** The most rows of a results table: measured with bench/ingest-memory.ts, 955k rows peaked at 766 MiB. */
export const MAX_CSV_ROWS = 1_000_000;

/** The fields a CSV row gives for its own point (the others are the run's, the same on every row). */
const PER_POINT_FIELDS = ['steps', 'val_bpc', 'wall_s', 'train_loss'] as const;
const PER_RUN_FIELDS = ['params', 'dataset', 'batch_size', 'seq_len', 'lr', 'arch', 'd', 'layers', 'heads', 'd_ff', 'vocab', 'loss_unit', 'token_unit', 'tokenizer', 'precision', 'hardware', 'backend', 'planned_steps', 'seed', 'dataset_bytes', 'dataset_sha256', 'source', 'notes'] as const;

export interface IngestOptions {
  /** Folder under the runs directory the runs go to (default "ingested"). */
  into?: string;
  /** FIELD → CSV column, from `--map val_bpc=loss,steps=iter`. */
  map?: Record<string, string>;
  /** FIELD → constant for every CSV row, from `--set dataset=GLM-Reasoning,seq_len=256`. */
  set?: Record<string, string>;
  /**
   * Convert per-token losses to per byte with this user-given figure (bytes per token of the
   * dataset's tokenizer): every train_loss and val_bpc is divided by it, and it is recorded in the
   * header as bytes_per_token. Without it, losses stay per token.
   */
  bytesPerToken?: number;
  onWarning?: (message: string) => void;
  /** Read every path as this trainer's log format (src/runs/formats/) instead of recognising it. */
  format?: string;
  /**
   * A trainer's run that cannot be read fails the whole command (default: it is reported as a
   * warning and the other runs are ingested; the command fails only when none could be read).
   */
  strict?: boolean;
}

export interface PlannedRun {
  runId: string;
  source: string;
  target: string;
  log: RunLog;
  /** For a trainer's log: which metrics and facts were used. */
  mapping?: Mapping;
}

/** Parse `a=b,c=d` (the --map and --set syntax). */
export function parseAssignments(text: string | undefined, what: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (!text) return out;
  for (const part of text.split(',')) {
    const eq = part.indexOf('=');
    if (eq <= 0) throw new BitscaleError(`${what}: expected FIELD=VALUE, got '${part}'`);
    out[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
  }
  return out;
}

/**
 * Read and validate every input; return what would be written. Throws (writing nothing) on the
 * first bad record, duplicate run id, or a run id that already exists under `runsDir`.
 */
export function planIngest(files: string[], runsDir: string, options: IngestOptions = {}): PlannedRun[] {
  const into = options.into ?? 'ingested';
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(into)) throw new BitscaleError(`--into: '${into}' must be a plain folder name`);
  const existing = existingRunIds(runsDir);
  const planned: PlannedRun[] = [];
  for (const file of files) {
    const foreign = readForeignRuns(file, options);
    const ext = extname(file).toLowerCase();
    const logs: { log: RunLog; line?: number; source?: string; mapping?: Mapping }[] = foreign
      ? foreign
      : ext === '.csv'
        ? csvTableToRunLogs(readCsvStream(file, options.onWarning, { lastLine: 'keep' }), file, options)
        : [{ log: readRunLog(file, { onWarning: options.onWarning }), line: 1 }];
    for (const { log: original, line, source = file, mapping } of logs) {
      const log = options.bytesPerToken === undefined ? original : convertToPerByte(original, options.bytesPerToken, source, line, options.onWarning);
      const id = log.header.run_id;
      const clash = existing.get(id) ?? planned.find((p) => p.runId === id)?.source;
      if (clash) throw new BitscaleError(`duplicate run id '${id}' (already in ${clash})`, { file: source, line, field: 'run_id' });
      const target = resolveInside(runsDir, join(into, `${id}.jsonl`), '--into');
      if (existsSync(target)) throw new BitscaleError(`${target} already exists`, { file: source, line, field: 'run_id' });
      planned.push({ runId: id, source, target, log, ...(mapping ? { mapping } : {}) });
    }
  }
  if (planned.length === 0) throw new BitscaleError('no runs in the given files (a table with a header and no rows?)', { file: files.length === 1 ? files[0] : files.join(', ') });
  return planned;
}

/**
 * A per-token log converted to per byte: losses divided by `bytesPerToken`, the figure recorded in
 * the header. Refused for a byte-level log and for one already converted.
 */
export function convertToPerByte(log: RunLog, bytesPerToken: number, file: string, line = 1, onWarning?: (message: string) => void): RunLog {
  const h = log.header;
  if (h.dataset.token_unit === 'byte') throw new BitscaleError(`--bytes-per-token: run '${h.run_id}' is byte-level (token_unit byte); there is nothing to convert`, { file, line, field: 'token_unit' });
  if (h.bytes_per_token !== undefined) throw new BitscaleError(`--bytes-per-token: run '${h.run_id}' was already converted (bytes_per_token ${h.bytes_per_token})`, { file, line, field: 'bytes_per_token' });
  const per = (v: number) => v / bytesPerToken;
  const header: HeaderRecord = { ...h, bytes_per_token: bytesPerToken };
  validateRecord(header, { file, line });
  const converted: RunLog = {
    header: copyPlace(h, header),
    steps: log.steps.map((s) => copyPlace(s, { ...s, train_loss: per(s.train_loss) })),
    evals: log.evals.map((e) => copyPlace(e, { ...e, val_bpc: per(e.val_bpc), ...(typeof e.train_loss === 'number' ? { train_loss: per(e.train_loss) } : {}) })),
    summary: log.summary ? copyPlace(log.summary, { ...log.summary, final_val_bpc: log.summary.final_val_bpc === null ? null : per(log.summary.final_val_bpc) }) : null,
  };
  // The bounds again, on the converted values: a figure like 1e-6 would store losses no reader accepts.
  try {
    checkRunLog(converted, file, onWarning);
  } catch (err) {
    if (err instanceof BitscaleError) throw new BitscaleError(`${err.message} (after --bytes-per-token ${bytesPerToken})`);
    throw err;
  }
  return converted;
}

/** The run id on a log's first line, or null when that line is not a header (or cannot be read). */
function readHeaderRunId(path: string): string | null {
  try {
    const id = (JSON.parse(readHead(path, 1024 * 1024).split('\n', 1)[0]) as { run_id?: unknown } | null)?.run_id;
    return typeof id === 'string' ? id : null;
  } catch {
    return null;
  }
}

/** The run ids already in the table, each with its file. */
function existingRunIds(runsDir: string): Map<string, string> {
  const existing = new Map<string, string>();
  for (const path of listRunLogFiles(runsDir)) {
    const id = readHeaderRunId(path);
    if (id && !existing.has(id)) existing.set(id, path);
  }
  return existing;
}

/** The run table's lock: a folder in runs/, held by one ingest at a time. */
export const RUN_TABLE_LOCK = '.ingest.lock';
/** proper-lockfile refreshes the lock's time every STALE/2 while held; one older than STALE is a dead holder's. */
const LOCK_STALE_MS = 20_000;
/** A lock whose holder is known to be gone (owner file: pid, start time, host) is taken once this old. */
const LOCK_DEAD_HOLDER_MS = 2_000;
/** How long an ingest waits for another to finish before giving up. */
const LOCK_WAIT_MS = 30_000;

/**
 * Hold the run table's lock while `section` runs. Waits for another ingest (up to LOCK_WAIT_MS).
 * The holder writes its identity beside the lock (`.ingest.lock.owner`: host, pid, start time);
 * a lock whose holder is gone (killed: no such pid, a zombie, a reused pid) is taken over after
 * LOCK_DEAD_HOLDER_MS, one whose holder cannot be checked after LOCK_STALE_MS (both by
 * proper-lockfile's own staleness rule, on the lock's refreshed time).
 */
export function withRunTableLock<T>(runsDir: string, section: () => T): T {
  const lockPath = join(runsDir, RUN_TABLE_LOCK);
  const ownerPath = `${lockPath}.owner`;
  try {
    mkdirSync(runsDir, { recursive: true });
  } catch (err) {
    throw fsError(err, runsDir);
  }
  let compromised: Error | null = null;
  const take = (stale: number) => lockfile.lockSync(runsDir, { lockfilePath: lockPath, realpath: false, stale, onCompromised: (err) => void (compromised = err) });
  const deadline = Date.now() + LOCK_WAIT_MS;
  let release: (() => void) | null = null;
  while (!release) {
    try {
      release = take(LOCK_STALE_MS);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ELOCKED') throw fsError(err, lockPath);
      const holder = readLockOwner(ownerPath);
      if (holder && holder.host === hostname() && staleReason(holder) !== null) {
        try {
          release = take(LOCK_DEAD_HOLDER_MS);
          break;
        } catch (again) {
          if ((again as NodeJS.ErrnoException).code !== 'ELOCKED') throw fsError(again, lockPath);
        }
      }
      if (Date.now() > deadline) {
        throw new BitscaleError(`another ingest has held the run table's lock for over ${LOCK_WAIT_MS / 1000} s${holder ? ` (pid ${holder.pid} on ${holder.host})` : ''}; wait for it, or, if none is running, remove the folder ${lockPath} (a lock left by a killed ingest is taken over by itself after ${LOCK_DEAD_HOLDER_MS / 1000} s on the same host, ${LOCK_STALE_MS / 1000} s otherwise)`, { file: lockPath });
      }
      sleepSync(50 + Math.floor(Math.random() * 50));
    }
  }
  const me = currentOwner();
  try {
    writeFileSync(ownerPath, `${JSON.stringify(me)}\n`);
    const result = section();
    if (compromised) throw new BitscaleError(`the run table's lock was lost while this ingest held it (${(compromised as Error).message}); check the runs with bitscale runs`, { file: lockPath });
    return result;
  } finally {
    const holder = readLockOwner(ownerPath);
    if (holder && holder.pid === me.pid && holder.start === me.start) rmSync(ownerPath, { force: true });
    try {
      release();
    } catch {
      // Already released or taken over: proper-lockfile reported it through onCompromised.
    }
  }
}

/**
 * Write the planned runs as one transaction under the run table's lock: the leftovers of a killed
 * ingest are finished or removed first, the run ids are checked again against the whole table
 * (another ingest may have written since the plan), then all runs are written or none.
 */
export function applyIngest(plan: PlannedRun[], runsDir: string, onWarning?: (message: string) => void): void {
  withRunTableLock(runsDir, () => {
    for (const note of recoverStagedFiles(runsDir)) onWarning?.(note);
    const existing = existingRunIds(runsDir);
    for (const p of plan) {
      const clash = existing.get(p.runId);
      if (clash) throw new BitscaleError(`duplicate run id '${p.runId}' (already in ${clash}, written while this ingest was reading)`, { file: p.source, field: 'run_id' });
      if (existsSync(p.target)) throw new BitscaleError(`${p.target} already exists`, { file: p.source, field: 'run_id' });
    }
    writeNewFilesTogether(runsDir, plan.map((p) => ({ target: relative(runsDir, p.target).split(sep).join('/'), data: serializeRunLogChunks(p.log) })));
  });
}

export function ingestFiles(files: string[], runsDir: string, options: IngestOptions = {}): PlannedRun[] {
  const plan = planIngest(files, runsDir, options);
  applyIngest(plan, runsDir, options.onWarning);
  return plan;
}

// ---------------------------------------------------------------------------------------------
// CSV

interface CsvRow {
  line: number;
  values: Record<string, string>;
  extras: Record<string, string>;
}

/** Turn a results table into run logs: one run per run_id (or per row when there is none). */
export function csvToRunLogs(text: string, file: string, options: IngestOptions = {}): { log: RunLog; line: number }[] {
  return csvTableToRunLogs(parseCsvTable(text, file), file, options);
}

/** The same, from a table's columns and rows (a file streamed by readCsvStream, or a text parsed whole). */
export function csvTableToRunLogs(table: { columns: string[]; rows: Iterable<{ record: Record<string, string>; line: number }> }, file: string, options: IngestOptions = {}): { log: RunLog; line: number }[] {
  const { columns, rows: records } = table;
  const map = { ...(options.map ?? {}) };
  const set = options.set ?? {};
  for (const field of Object.keys({ ...map, ...set })) {
    if (!(field in CSV_FIELDS)) throw new BitscaleError(`unknown field '${field}' in --map/--set (known: ${Object.keys(CSV_FIELDS).join(', ')})`, { file });
  }
  // Resolve each field to a CSV column: explicit --map, the field's own name, then an alias.
  const columnOf: Record<string, string> = {};
  for (const field of Object.keys(CSV_FIELDS)) {
    if (map[field] !== undefined) {
      if (!columns.includes(map[field])) throw new BitscaleError(`--map ${field}=${map[field]}: no column '${map[field]}' (columns: ${columns.join(', ')})`, { file, line: 1, field });
      columnOf[field] = map[field];
    } else if (columns.includes(field)) columnOf[field] = field;
  }
  // An alias fills a field only when exactly one of its aliases is a column: with both `step` and
  // `iter`, say, either could be meant, so the user chooses.
  for (const field of new Set(Object.values(ALIASES))) {
    if (columnOf[field] !== undefined) continue;
    const present = Object.entries(ALIASES).filter(([alias, f]) => f === field && columns.includes(alias)).map(([alias]) => alias);
    if (present.length > 1) throw new BitscaleError(`columns ${present.map((c) => `'${c}'`).join(' and ')} could both be the ${field}; choose one with --map ${field}=COLUMN`, { file, line: 1, field });
    if (present.length === 1) columnOf[field] = present[0];
  }
  const used = new Set(Object.values(columnOf));
  const unused = columns.filter((c) => !used.has(c));

  for (const field of ['dataset', 'steps', 'batch_size', 'seq_len', 'lr', 'val_bpc'] as const) {
    if (columnOf[field] === undefined && set[field] === undefined) {
      throw new BitscaleError(`missing column (map one with --map ${field}=COLUMN or give a constant with --set ${field}=VALUE)`, { file, line: 1, field });
    }
  }
  const hasConfig = ['d', 'layers', 'heads', 'd_ff'].every((f) => columnOf[f] !== undefined || set[f] !== undefined);
  const foreignArch = set.arch !== undefined && !isBitLM(set.arch) ? set.arch : null;
  if (columnOf.params === undefined && set.params === undefined && (!hasConfig || foreignArch)) {
    throw new BitscaleError(
      foreignArch
        ? `missing column: architecture '${foreignArch}' is not BitLM, so bitscale has no parameter formula for it; give the count (--map params=COLUMN or --set params=N)`
        : 'missing column (map one with --map params=COLUMN, or give d, layers, heads, d_ff for a BitLM model)',
      { file, line: 1, field: 'params' },
    );
  }

  // Rows are grouped by run as they are read; a run's fields are checked against its first row
  // there and then, so that each later row keeps only its own per-point fields.
  const byRun = new Map<string, CsvRow[]>();
  let count = 0;
  const noExtras: Record<string, string> = {};
  for (const { record, line } of records) {
    if (++count > MAX_CSV_ROWS) throw new BitscaleError(`more than ${MAX_CSV_ROWS.toLocaleString('en-US')} rows; a results table is read into memory (about 800 bytes a row at its peak), so it stops here rather than run out of memory: split the table by run_id`, { file, line });
    const values: Record<string, string> = {};
    for (const field of Object.keys(CSV_FIELDS)) {
      const v = columnOf[field] !== undefined ? record[columnOf[field]] : set[field];
      if (v !== undefined && v !== '') values[field] = v;
      else if (set[field] !== undefined) values[field] = set[field];
    }
    const extras: Record<string, string> = unused.length > 0 ? {} : noExtras;
    for (const c of unused) extras[c] = record[c];
    const id = values.run_id ?? `${basename(file, extname(file))}-line${line}`;
    if (!RUN_ID_PATTERN.test(id)) throw new BitscaleError(`'${id}' may hold only letters, digits, '.', '_' and '-'`, { file, line, field: columnOf.run_id ?? 'run_id' });
    const list = byRun.get(id);
    if (!list) {
      byRun.set(id, [{ line, values, extras }]);
      continue;
    }
    const first = list[0];
    for (const f of PER_RUN_FIELDS) {
      if (values[f] !== first.values[f]) {
        throw new BitscaleError(`run '${id}' has ${JSON.stringify(values[f] ?? '')} here but ${JSON.stringify(first.values[f] ?? '')} on line ${first.line}`, { file, line, field: columnOf[f] ?? f });
      }
    }
    const own: Record<string, string> = {};
    for (const f of PER_POINT_FIELDS) if (values[f] !== undefined) own[f] = values[f];
    list.push({ line, values: own, extras });
  }
  if (byRun.size === 0) throw new BitscaleError('a header and no rows: no runs to ingest', { file, line: 1 });

  const out: { log: RunLog; line: number }[] = [];
  for (const [id, runRows] of byRun) {
    const first = runRows[0];
    out.push({ log: rowsToRunLog(id, runRows, file, columnOf, options.onWarning), line: first.line });
  }
  return out;
}

/** A CSV cell that must be ≥ 0 (a loss, seconds). */
const NON_NEGATIVE: FieldSpec = { min: 0 };

function rowsToRunLog(id: string, rows: CsvRow[], file: string, columnOf: Record<string, string>, onWarning?: (message: string) => void): RunLog {
  const first = rows[0];
  const col = (f: string) => columnOf[f] ?? f;
  // A cell as a number, checked by numbers.ts (empty cells are undefined); counts may carry K/M/B/T.
  const num = (row: CsvRow, f: string, spec: FieldSpec): number | null => parseField(row.values[f], spec, { file, line: row.line, field: col(f) });
  const str = (f: string, dflt: string) => first.values[f] ?? dflt;

  const seqLen = num(first, 'seq_len', POSITIVE_INT)!;
  const config = ['d', 'layers', 'heads', 'd_ff'].every((f) => first.values[f] !== undefined)
    ? {
        d: num(first, 'd', POSITIVE_INT)!,
        layers: num(first, 'layers', POSITIVE_INT)!,
        heads: num(first, 'heads', POSITIVE_INT)!,
        d_ff: num(first, 'd_ff', POSITIVE_INT)!,
        seq_len: seqLen,
        vocab: num(first, 'vocab', { ...POSITIVE_INT, optional: true }) ?? 128,
      }
    : null;
  const arch = str('arch', 'bitlm-v57');
  if (!isBitLM(arch) && first.values.params === undefined) {
    throw new BitscaleError(`missing: architecture '${arch}' is not BitLM, so bitscale has no parameter formula for it; give the count (--map params=COLUMN or --set params=N)`, { file, line: first.line, field: col('params') });
  }
  const givenParams = num(first, 'params', { ...POSITIVE_REAL, suffixes: true, optional: config !== null });
  const params = givenParams !== null ? Math.round(givenParams) : countParams({ d: config!.d, layers: config!.layers, dFf: config!.d_ff, vocab: config!.vocab });
  const batch = num(first, 'batch_size', POSITIVE_INT)!;
  const lr = num(first, 'lr', POSITIVE_REAL)!;

  // Each row's step parsed once (not in the sort's comparator), then the rows in step order.
  const stepOf = new Map(rows.map((r) => [r, num(r, 'steps', NON_NEGATIVE_INT)!]));
  const sorted = [...rows].sort((a, b) => stepOf.get(a)! - stepOf.get(b)!);
  const evals: EvalRecord[] = sorted.map((row) => {
    const step = num(row, 'steps', NON_NEGATIVE_INT)!;
    const rec: EvalRecord = { type: 'eval', step, tokens: step * batch * seqLen, val_bpc: num(row, 'val_bpc', NON_NEGATIVE)! };
    const wall = num(row, 'wall_s', { ...NON_NEGATIVE, optional: true });
    if (wall !== null) rec.wall_s = wall;
    const train = num(row, 'train_loss', { ...NON_NEGATIVE, optional: true });
    if (train !== null) rec.train_loss = train;
    for (const [k, v] of Object.entries(row.extras)) if (!(k in rec)) rec[k] = v;
    return rec;
  });
  const seen = new Set<number>();
  for (const [i, e] of evals.entries()) {
    if (seen.has(e.step)) throw new BitscaleError(`run '${id}' has step ${e.step} twice`, { file, line: sorted[i].line, field: col('steps') });
    seen.add(e.step);
  }
  const last = evals[evals.length - 1];
  const header: HeaderRecord = {
    type: 'header',
    format_version: RUN_LOG_FORMAT_VERSION,
    run_id: id,
    arch,
    config,
    params,
    batch_size: batch,
    seq_len: seqLen,
    lr: { peak: lr, schedule: 'unknown', warmup_steps: null, final: null },
    planned_steps: num(first, 'planned_steps', { ...NON_NEGATIVE_INT, optional: true }) ?? last.step,
    seed: num(first, 'seed', { integer: true, optional: true }),
    dataset: {
      name: str('dataset', ''),
      bytes: num(first, 'dataset_bytes', { ...POSITIVE_INT, optional: true }),
      sha256: first.values.dataset_sha256 ?? null,
      token_unit: str('token_unit', 'byte') as HeaderRecord['dataset']['token_unit'],
      ...(first.values.tokenizer !== undefined ? { tokenizer: first.values.tokenizer } : {}),
    },
    loss_unit: str('loss_unit', 'bits') as HeaderRecord['loss_unit'],
    precision: str('precision', 'unknown') as HeaderRecord['precision'],
    backend: str('backend', 'unknown'),
    hardware: str('hardware', 'unknown'),
    tool: { name: 'bitscale ingest (csv)', version: VERSION },
    source: first.values.source ?? `${basename(file)} line${rows.length > 1 ? 's' : ''} ${rows.map((r) => r.line).join(', ')}`,
  };
  if (first.values.params !== undefined && config && isBitLM(arch)) header.params_reported = first.values.params;
  if (first.values.notes !== undefined) header.notes = first.values.notes;
  try {
    validateRecord(header, { file, line: first.line });
  } catch (err) {
    if (err instanceof BitscaleError && err.field) {
      const csvField = err.field.replace(/^dataset\.(name|bytes|sha256|token_unit|tokenizer)$/, (_, f) => (f === 'name' ? 'dataset' : f === 'bytes' ? 'dataset_bytes' : f === 'sha256' ? 'dataset_sha256' : f)).replace(/^config\./, '');
      throw new BitscaleError(err.message.replace(/^.*?field '[^']+': /, ''), { file, line: first.line, field: col(csvField) });
    }
    throw err;
  }
  const summary: SummaryRecord = {
    type: 'summary',
    status: 'completed',
    steps: last.step,
    tokens: last.tokens,
    final_val_bpc: last.val_bpc,
    wall_s: typeof last.wall_s === 'number' ? last.wall_s : null,
  };
  const log: RunLog = { header, steps: [], evals, summary };
  // Each record through the schema, then bounds and consistency, as for a JSONL log; each record
  // carries the CSV line it came from.
  setLine(header, first.line);
  sorted.forEach((row, i) => {
    validateRecord(evals[i], { file, line: row.line });
    setLine(evals[i], row.line);
  });
  const lastLine = sorted[sorted.length - 1].line;
  validateRecord(summary, { file, line: lastLine });
  setLine(summary, lastLine);
  checkRunLog(log, file, onWarning, { fileOrder: false });
  return log;
}
