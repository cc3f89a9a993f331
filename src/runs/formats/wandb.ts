/**
 * Weights & Biases, three shapes:
 * - a local run directory `wandb/run-YYYYMMDD_HHMMSS-<id>/` (`offline-run-…` too):
 *   `files/config.yaml` (`key: {value: v}`, older `{desc, value}`), and the full history in
 *   `run-<id>.wandb`: the 7-byte header `:W&B` · u16 0xBEE1 · u8 version 0, then LevelDB-log
 *   blocks of 32 KiB (counted from the start of the file). A chunk is u32 LE CRC-32 (of the type
 *   byte then the data) · u16 LE length · u8 type (1 FULL, 2 FIRST, 3 MIDDLE, 4 LAST); fewer than
 *   7 bytes left in a block are zero padding. Each whole record is a `Record` protobuf; its
 *   `history` (field 2) holds items `{key | nested_key, value_json}`. Directories of a resumed
 *   run share the id: they are read oldest first and the later point wins at the same step.
 * - pre-0.10 directories with `wandb-history.jsonl` (one JSON object per `log()`, `_step`).
 * - CSV exports: the UI panel's (`Step`, `<run> - <key>`, `… __MIN`/`__MAX`; one run per name)
 *   and `run.history().to_csv()` (`_step` and the keys; NaN written as empty).
 */
import { existsSync, readdirSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import protobuf from 'protobufjs';
import { BitscaleError } from '../../util/errors.js';
import { openFileWindow, readLines, readTextFile } from '../../util/files.js';
import { bufferSource, zeroFrom, type ByteSource } from './tfrecord.js';
import { crc32 } from './crc.js';
import { readCsvStream } from './csv-stream.js';
import { MetricSeries, pointPlace, putLogged, unterminatedLine, type ForeignRun, type MetricPoint, type RunFacts, type Warn } from './common.js';

/** Where a row was read. */
type Place = Pick<MetricPoint, 'file' | 'line' | 'byte'>;
import { factsFromConfig, flattenConfig, parsePythonJson, parseTrainerYaml } from './values.js';

export const WANDB_RECORD_PROTO = `
syntax = "proto3";
message Record {
  int64 num = 1;
  oneof record_type {
    HistoryRecord history = 2;
  }
}
message HistoryRecord {
  repeated HistoryItem item = 1;
  HistoryStep step = 2;
}
message HistoryStep { int64 num = 1; }
message HistoryItem {
  string key = 1;
  repeated string nested_key = 2;
  string value_json = 16;
}
`;

let recordType: protobuf.Type | null = null;
export function wandbRecordType(): protobuf.Type {
  recordType ??= protobuf.parse(WANDB_RECORD_PROTO, { keepCase: true }).root.lookupType('Record');
  return recordType;
}

export const WANDB_BLOCK = 32768;
export const WANDB_HEADER = Uint8Array.from([0x3a, 0x57, 0x26, 0x42, 0xe1, 0xbe, 0x00]); // ":W&B", 0xBEE1 LE, version 0
const CHUNK_HEADER = 7;
const FULL = 1;
const FIRST = 2;
const MIDDLE = 3;
const LAST = 4;

/** The whole records of a `.wandb` file, reassembled across block boundaries. */
export function readWandbRecords(bytes: Uint8Array, file: string, onWarning?: (m: string) => void): { offset: number; data: Uint8Array }[] {
  return [...eachWandbRecord(bufferSource(bytes), file, onWarning)].map((r) => ({ offset: r.offset, data: new Uint8Array(r.data) }));
}

/**
 * The whole records one at a time, so that a large file is neither read whole nor held as objects
 * at once. A record's `data` is valid until the next one is asked for.
 */
export function* eachWandbRecord(src: ByteSource, file: string, onWarning?: (m: string) => void): Generator<{ offset: number; data: Uint8Array }> {
  const head = src.read(0, WANDB_HEADER.length);
  if (head.length < WANDB_HEADER.length || !WANDB_HEADER.every((b, i) => head[i] === b)) {
    throw new BitscaleError('not a W&B .wandb file (expected the header :W&B, 0xBEE1, version 0)', { file });
  }
  let pending: Uint8Array[] | null = null;
  let pendingStart = 0;
  let pos = WANDB_HEADER.length;
  while (pos < src.size) {
    const left = WANDB_BLOCK - (pos % WANDB_BLOCK);
    if (left < CHUNK_HEADER) {
      pos += left;
      continue;
    }
    const torn = (why: string) => onWarning?.(`${file}: skipped a truncated last record at byte ${pending ? pendingStart : pos} (${why}; the writer was probably still running or was killed)`);
    if (src.size - pos < CHUNK_HEADER) {
      torn('a partial chunk header');
      pending = null;
      break;
    }
    const chunkHead = src.read(pos, CHUNK_HEADER);
    const view = new DataView(chunkHead.buffer, chunkHead.byteOffset, CHUNK_HEADER);
    const crc = view.getUint32(0, true);
    const length = view.getUint16(4, true);
    const type = chunkHead[6];
    const end = pos + CHUNK_HEADER + length;
    if (end > src.size) {
      torn(`a chunk needs ${length} bytes`);
      pending = null;
      break;
    }
    const data = src.read(pos + CHUNK_HEADER, length);
    if (crc32(data, crc32(Uint8Array.of(type))) !== crc || type < FULL || type > LAST) {
      if (end === src.size || zeroFrom(src, pos)) {
        torn('a bad last chunk');
        pending = null;
        break;
      }
      throw new BitscaleError(`corrupt .wandb chunk at byte ${pos} (checksum or type mismatch)`, { file });
    }
    if (type === FULL || type === FIRST) {
      if (pending) throw new BitscaleError(`corrupt .wandb file: a record starting at byte ${pendingStart} is not finished before byte ${pos}`, { file });
      if (type === FULL) yield { offset: pos, data };
      else {
        pending = [new Uint8Array(data)]; // a copy: the window moves on (Buffer.slice would be a view)
        pendingStart = pos;
      }
    } else {
      if (!pending) throw new BitscaleError(`corrupt .wandb file: a continuation chunk at byte ${pos} has no first chunk`, { file });
      pending.push(new Uint8Array(data));
      if (type === LAST) {
        const whole = Buffer.concat(pending);
        pending = null;
        yield { offset: pendingStart, data: whole };
      }
    }
    pos = end;
  }
  if (pending) onWarning?.(`${file}: skipped a truncated last record at byte ${pendingStart} (its last chunk is missing)`);
}

/** Frame records as wandb's writer does (for fixtures and round-trip tests). */
export function frameWandbRecords(records: Uint8Array[]): Uint8Array {
  const parts: Uint8Array[] = [WANDB_HEADER];
  let pos = WANDB_HEADER.length;
  const chunk = (data: Uint8Array, type: number) => {
    const head = new Uint8Array(CHUNK_HEADER);
    const v = new DataView(head.buffer);
    v.setUint32(0, crc32(data, crc32(Uint8Array.of(type))), true);
    v.setUint16(4, data.length, true);
    head[6] = type;
    parts.push(head, data);
    pos += CHUNK_HEADER + data.length;
  };
  for (const rec of records) {
    let left = WANDB_BLOCK - (pos % WANDB_BLOCK);
    if (left < CHUNK_HEADER) {
      parts.push(new Uint8Array(left));
      pos += left;
      left = WANDB_BLOCK;
    }
    if (rec.length + CHUNK_HEADER <= left) {
      chunk(rec, FULL);
      continue;
    }
    let used = left - CHUNK_HEADER;
    chunk(rec.subarray(0, used), FIRST);
    while (rec.length - used > WANDB_BLOCK - CHUNK_HEADER) {
      chunk(rec.subarray(used, used + WANDB_BLOCK - CHUNK_HEADER), MIDDLE);
      used += WANDB_BLOCK - CHUNK_HEADER;
    }
    chunk(rec.subarray(used), LAST);
  }
  return Buffer.concat(parts);
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * Put one `log()` row ({_step, key: value…}) into the series. The step is the row's `_step`, else
 * `fallbackStep` (the .wandb record's own step); a row with neither is skipped with a warning,
 * never given another step. Values that are not numbers (strings, media, nested objects) are not metrics.
 */
function putRow(series: MetricSeries, row: unknown, fallbackStep: number | undefined, at: Place, warn: Warn): void {
  const where = pointPlace(at);
  if (!isPlainObject(row)) {
    warn?.(`${where}: expected a JSON object of logged values, got ${row === null ? 'null' : Array.isArray(row) ? 'a list' : typeof row}; skipped`);
    return;
  }
  const step = row._step !== undefined ? row._step : fallbackStep;
  if (typeof step !== 'number' || !Number.isInteger(step) || step < 0) {
    warn?.(`${where}: field '_step': ${step === undefined ? 'missing' : `expected a step number, got ${JSON.stringify(step)?.slice(0, 40)}`}; the row is skipped`);
    return;
  }
  const wall = typeof row._timestamp === 'number' && Number.isFinite(row._timestamp) ? row._timestamp : undefined;
  for (const [k, v] of Object.entries(row)) {
    if (k.startsWith('_')) continue;
    if (typeof v === 'number') series.put(k, { step, value: v, wallTime: wall, ...at });
  }
}

const PLAIN_NUMBER = /^-?(0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)?$/;
const PY_NONFINITE: Record<string, number> = { NaN: NaN, Infinity: Infinity, '-Infinity': -Infinity };

/** A history item's value_json: a plain number or Python's NaN/Infinity read directly (most items), anything else as JSON. */
function historyValue(json: string, file: string, offset: number): unknown {
  if (PLAIN_NUMBER.test(json)) return Number(json);
  if (json in PY_NONFINITE) return PY_NONFINITE[json];
  return parsePythonJson(json, `${file}@${offset}`);
}

interface HistoryItemJson { key?: string; nested_key?: string[]; value_json?: string }

function addWandbFile(series: MetricSeries, file: string, onWarning?: (m: string) => void): void {
  const source = openFileWindow(file);
  try {
    addWandbRecords(series, source, file, onWarning);
  } finally {
    source.close();
  }
}

function addWandbRecords(series: MetricSeries, source: ByteSource, file: string, onWarning?: (m: string) => void): void {
  const type = wandbRecordType();
  for (const { offset, data } of eachWandbRecord(source, file, onWarning)) {
    let rec: { history?: { item?: HistoryItemJson[]; step?: { num?: number } } };
    try {
      rec = type.toObject(type.decode(data), { longs: Number }) as typeof rec;
    } catch (err) {
      throw new BitscaleError(`not a W&B Record protobuf in the record at byte ${offset}: ${(err as Error).message}`, { file });
    }
    if (!rec.history) continue;
    const row: Record<string, unknown> = {};
    for (const item of rec.history.item ?? []) {
      const key = item.nested_key?.length ? item.nested_key.join('/') : (item.key ?? '');
      row[key] = historyValue(item.value_json ?? 'null', file, offset);
    }
    putRow(series, row, rec.history.step?.num, { file, byte: offset }, onWarning);
  }
}

/** config.yaml's `key: {value: v}` (or `{desc, value}`) entries as a flat config. */
function readWandbConfig(file: string, onWarning?: (m: string) => void): Record<string, unknown> {
  const parsed = parseTrainerYaml(readTextFile(file), file, onWarning);
  const raw = isPlainObject(parsed) ? parsed : {};
  const plain: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw)) {
    if (k === 'wandb_version' || k === '_wandb') continue;
    plain[k] = v !== null && typeof v === 'object' && 'value' in (v as object) ? (v as { value: unknown }).value : v;
  }
  return flattenConfig(plain);
}

/** Is this a W&B run directory (current or pre-0.10)? */
export function isWandbRunDir(dir: string): boolean {
  return /^(offline-)?run-/.test(basename(dir)) && (readdirSync(dir).some((n) => n.endsWith('.wandb')) || existsSync(join(dir, 'wandb-history.jsonl')) || existsSync(join(dir, 'files', 'wandb-summary.json')));
}

/** The run id at the end of a run directory's name (`run-20240101_120000-abc123` → abc123). */
export function wandbRunId(dir: string): string {
  return /-([^-]+)$/.exec(basename(dir))?.[1] ?? basename(dir);
}

/** One run from its directories (several when it was resumed), oldest first by name. */
export function readWandbRun(dirs: string[], onWarning?: (m: string) => void): ForeignRun {
  const sorted = [...dirs].sort((a, b) => (basename(a).replace(/^offline-/, '') < basename(b).replace(/^offline-/, '') ? -1 : 1));
  const series = new MetricSeries();
  let config: Record<string, unknown> = {};
  let configFile = '';
  for (const dir of sorted) {
    const wandbFiles = readdirSync(dir).filter((n) => n.endsWith('.wandb')).sort();
    const jsonl = join(dir, 'wandb-history.jsonl');
    if (wandbFiles.length > 0) for (const n of wandbFiles) addWandbFile(series, join(dir, n), onWarning);
    else if (existsSync(jsonl)) {
      for (const { text, line, terminated } of readLines(jsonl)) {
        if (text.trim() === '') continue;
        if (!terminated) {
          onWarning?.(unterminatedLine(jsonl, line, text));
          break;
        }
        putRow(series, parsePythonJson(text, `${jsonl}:${line}`), undefined, { file: jsonl, line }, onWarning);
      }
    } else if (existsSync(join(dir, 'files', 'wandb-summary.json'))) {
      const summaryFile = join(dir, 'files', 'wandb-summary.json');
      onWarning?.(`${dir}: no run-*.wandb and no wandb-history.jsonl; only the last values in files/wandb-summary.json are read`);
      putRow(series, parsePythonJson(readTextFile(summaryFile), summaryFile), undefined, { file: summaryFile }, onWarning);
    } else onWarning?.(`${dir}: no run-*.wandb, wandb-history.jsonl or wandb-summary.json; no history to read`);
    for (const c of [join(dir, 'files', 'config.yaml'), join(dir, 'config.yaml')]) {
      if (existsSync(c)) {
        config = { ...config, ...readWandbConfig(c, onWarning) };
        configFile = c;
        break;
      }
    }
  }
  const facts: RunFacts = factsFromConfig(config, configFile, 'wandb');
  return { format: 'wandb', name: wandbRunId(sorted[0]), source: sorted.length === 1 ? sorted[0] : sorted.join(' + '), series, facts };
}

/** Which W&B CSV export this header is, or null. */
export function sniffWandbCsv(columns: string[]): 'panel' | 'history' | null {
  if (columns.includes('_step')) return 'history';
  if (columns[0] === 'Step' && columns.slice(1).some((c) => c.includes(' - '))) return 'panel';
  return null;
}

/** The runs in a W&B CSV export (panel: one per run name; history: one, named after the file). */
export function readWandbCsv(file: string, onWarning?: Warn): ForeignRun[] {
  const { columns, rows } = readCsvStream(file, onWarning);
  const kind = sniffWandbCsv(columns);
  if (!kind) throw new BitscaleError(`not a W&B CSV export (expected a _step column, or Step and '<run> - <key>' columns; got ${columns.join(', ')})`, { file, line: 1 });
  const runs = new Map<string, MetricSeries>();
  const stepCol = kind === 'history' ? '_step' : 'Step';
  for (const { record, line } of rows) {
    // A row without its step is skipped, never given another step.
    if (!/^\d+$/.test(record[stepCol])) {
      onWarning?.(`${file}:${line}: field '${stepCol}': expected a step number, got '${record[stepCol].slice(0, 40)}'; the row is skipped`);
      continue;
    }
    const step = Number(record[stepCol]);
    for (const c of columns) {
      if (c === stepCol || c.startsWith('_') || c.endsWith('__MIN') || c.endsWith('__MAX') || record[c] === '') continue;
      const [run, key] = kind === 'panel' ? [c.slice(0, c.indexOf(' - ')), c.slice(c.indexOf(' - ') + 3)] : [basename(file, extname(file)), c];
      if (kind === 'panel' && !c.includes(' - ')) continue;
      let series = runs.get(run);
      if (!series) runs.set(run, (series = new MetricSeries()));
      putLogged(series, key, step, record[c], file, line, onWarning);
    }
  }
  return [...runs].map(([name, series]) => ({ format: 'wandb-csv' as const, name, source: file, series, facts: { backend: 'wandb' } }));
}
