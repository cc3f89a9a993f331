/**
 * Finding trainers' logs under the paths given to `ingest`, and reading them into run logs.
 * A directory is walked and each format is recognised by its files:
 *   events.out.tfevents.*                → tensorboard (a directory of them is one run;
 *                                           Keras train/ + validation/ subdirectories one run)
 *   run-*.wandb, wandb-history.jsonl     → wandb (directories sharing a run id are one run)
 *   version_N/metrics.csv                → lightning
 *   trainer_state.json                   → huggingface
 *   meta.yaml + metrics/                 → mlflow
 *   *.log / *.txt / *.out with nanoGPT, llm.c or Megatron-LM lines → nanogpt / llmc / megatron
 *   *.csv with _step, or Step + '<run> - <key>' columns → wandb-csv
 * Nothing is written here; `ingest` writes.
 */
import { lstatSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, extname, join, relative } from 'node:path';
import { BitscaleError } from '../../util/errors.js';
import { fsError, readHead } from '../../util/files.js';
import { checkRunLog, placeOf } from '../checks.js';
import { validateRecord } from '../log.js';
import type { RunLog } from '../types.js';
import { FORMAT_NAMES, type ForeignRun, type FormatName } from './common.js';
import { checkForeignOptions, foreignToRunLog, type ConvertOptions, type Mapping } from './convert.js';
import { isHuggingFaceDir, readHuggingFaceRun } from './huggingface.js';
import { isLightningVersionDir, readLightningRuns } from './lightning.js';
import { isMlflowRunDir, readMlflowRun } from './mlflow.js';
import { readLlmcLog, readMegatronLog, readNanoGptLog, sniffPlainText } from './plaintext.js';
import { eventFilesIn, hparamsSubdirs, isEventFile, readTensorBoardRun } from './tensorboard.js';
import { isWandbRunDir, readWandbCsv, readWandbRun, sniffWandbCsv, wandbRunId } from './wandb.js';

export { FORMAT_NAMES, type FormatName, type Mapping };

export interface ForeignReadOptions extends ConvertOptions {
  /** Read every path as this format instead of recognising it. */
  format?: string;
  /** A run that cannot be read fails the whole read (default: reported as a warning, the others read). */
  strict?: boolean;
}

export interface ReadForeignRun {
  log: RunLog;
  source: string;
  mapping: Mapping;
}

const TEXT_LOG = new Set(['.log', '.txt', '.out']);

function checkFormat(format: string | undefined): FormatName | undefined {
  if (format === undefined) return undefined;
  if (!(FORMAT_NAMES as readonly string[]).includes(format)) throw new BitscaleError(`--format ${format}: unknown format (known: ${FORMAT_NAMES.join(', ')})`, { field: 'format' });
  return format as FormatName;
}

/** The first `bytes` of a file as text: enough to recognise a format without reading a large file whole. */
const head = (file: string) => readHead(file);

function firstLine(file: string): string[] {
  return (head(file).split('\n', 1)[0] ?? '').split(',').map((c) => c.trim().replace(/^"|"$/g, ''));
}

/**
 * Any exception while reading a run as a one-line BitscaleError naming `source`: the readers
 * validate shapes and name the place themselves; this is the net under them (a filesystem error,
 * a stack overflow on absurdly nested input), so no other error class reaches the user.
 */
export function asUserError(err: unknown, source: string): BitscaleError {
  if (err instanceof BitscaleError) return err;
  const fs = fsError(err, source);
  if (fs instanceof BitscaleError) return fs;
  return new BitscaleError(`could not be read: ${String((err as Error)?.message ?? err).split('\n')[0]}`, { file: source });
}

/**
 * The trainers' runs in one file, or null when the file is in none of their formats. With
 * `--format`, the file is read as that format whatever its name.
 */
function runsInFile(file: string, want: FormatName | undefined, warn?: (m: string) => void): ForeignRun[] | null {
  const name = basename(file);
  const dir = dirname(file);
  const ext = extname(file).toLowerCase();
  const as = (f: FormatName, recognised: () => boolean) => want === f || (want === undefined && recognised());
  if (as('tensorboard', () => isEventFile(name))) return [readTensorBoardRun(dir, basename(dir), warn, [file])];
  if (as('wandb', () => ext === '.wandb')) return [readWandbRun([dir], warn)];
  if (as('huggingface', () => name === 'trainer_state.json')) return [readHuggingFaceRun(dir, warn)];
  if (as('lightning', () => name === 'metrics.csv' && isLightningVersionDir(dir))) return readLightningRuns(dir, warn);
  if (as('mlflow', () => false)) {
    if (!isMlflowRunDir(dir)) throw new BitscaleError('--format mlflow: give an MLflow run directory (meta.yaml and metrics/) or a folder above it', { file });
    return [readMlflowRun(dir, warn)];
  }
  if (as('wandb-csv', () => ext === '.csv' && sniffWandbCsv(firstLine(file)) !== null)) return readWandbCsv(file, warn);
  const readers = { nanogpt: readNanoGptLog, llmc: readLlmcLog, megatron: readMegatronLog };
  if (want === 'nanogpt' || want === 'llmc' || want === 'megatron') return [readers[want](file, warn)];
  if (want === undefined && TEXT_LOG.has(ext)) {
    const kind = sniffPlainText(head(file));
    if (kind) return [readers[kind](file, warn)];
  }
  return null;
}

/** A run that could not be read: where, and why. */
interface Failure {
  source: string;
  error: BitscaleError;
}

/** Every trainer's run under a directory; a run that cannot be read is a Failure, not the end of the walk. */
function runsInDir(root: string, want: FormatName | undefined, failures: Failure[], warn?: (m: string) => void): ForeignRun[] {
  const runs: ForeignRun[] = [];
  const wandbById = new Map<string, string[]>();
  const lightningParents = new Set<string>();
  const is = (f: FormatName) => want === undefined || want === f;
  const nameOf = (dir: string) => (dir === root ? basename(root) : relative(root, dir).split(/[\\/]/).join('-'));
  const attempt = (source: string, read: () => ForeignRun | ForeignRun[] | null) => {
    try {
      const got = read();
      if (got) runs.push(...(Array.isArray(got) ? got : [got]));
    } catch (err) {
      failures.push({ source, error: asUserError(err, source) });
    }
  };
  const walk = (dir: string) => {
    let entries: string[];
    try {
      if (is('huggingface') && isHuggingFaceDir(dir)) return attempt(dir, () => readHuggingFaceRun(dir, warn));
      if (is('mlflow') && isMlflowRunDir(dir)) return attempt(dir, () => readMlflowRun(dir, warn));
      if (is('wandb') && isWandbRunDir(dir)) {
        const id = wandbRunId(dir);
        wandbById.set(id, [...(wandbById.get(id) ?? []), dir]);
        return;
      }
      if (is('lightning') && isLightningVersionDir(dir)) return void lightningParents.add(dirname(dir));
      entries = readdirSync(dir).sort();
    } catch (err) {
      return void failures.push({ source: dir, error: asUserError(err, dir) });
    }
    // Symbolic links are not followed: wandb's latest-run points at a run directory the walk reaches anyway.
    const isDir = (n: string) => {
      try {
        return lstatSync(join(dir, n)).isDirectory();
      } catch {
        return false;
      }
    };
    let subdirs = entries.filter((n) => !n.startsWith('.') && n !== 'node_modules' && isDir(n));
    if (is('tensorboard')) {
      if (eventFilesIn(dir).length > 0) {
        // add_hparams sub-folders belong to this run: not walked as runs of their own.
        const merged = new Set(hparamsSubdirs(dir).map((d) => basename(d)));
        subdirs = subdirs.filter((n) => !merged.has(n));
        attempt(dir, () => readTensorBoardRun(dir, nameOf(dir), warn));
      } else if (['train', 'validation'].every((s) => subdirs.includes(s) && eventFilesIn(join(dir, s)).length > 0)) return attempt(dir, () => readTensorBoardRun(dir, nameOf(dir), warn));
    }
    for (const n of entries) {
      const p = join(dir, n);
      if (subdirs.includes(n) || isEventFile(n) || n === 'metrics.csv' || isDir(n)) continue;
      const ext = extname(n).toLowerCase();
      if ((is('wandb-csv') && ext === '.csv') || ((is('nanogpt') || is('llmc') || is('megatron')) && TEXT_LOG.has(ext))) attempt(p, () => runsInFile(p, want, warn));
    }
    for (const s of subdirs) walk(join(dir, s));
  };
  walk(root);
  for (const parent of [...lightningParents].sort()) attempt(parent, () => readLightningRuns(parent, warn));
  for (const dirs of wandbById.values()) attempt(dirs.join(' + '), () => readWandbRun(dirs, warn));
  return runs;
}

/** A converted log checked exactly as a written file would be, with messages naming the user's own files and lines. */
function checkConverted(log: RunLog, source: string, warn?: (m: string) => void): void {
  for (const record of [log.header, ...log.steps, ...log.evals, ...(log.summary ? [log.summary] : [])]) {
    const at = placeOf(record);
    validateRecord(record, { file: at?.file ?? source, line: at?.line });
  }
  checkRunLog(log, source, warn, { fileOrder: false });
}

/**
 * The trainers' runs at `path` as validated run logs, or null when `path` is a file in none of
 * their formats (a bitscale .jsonl or a results .csv: ingest reads those itself). Each log has
 * passed the run-log validator.
 */
export function readForeignRuns(path: string, options: ForeignReadOptions = {}): ReadForeignRun[] | null {
  const want = checkFormat(options.format);
  const warn = options.onWarning;
  let isDir: boolean;
  try {
    isDir = statSync(path).isDirectory();
  } catch (err) {
    throw fsError(err, path);
  }
  // A folder named like a run log or a table (x.jsonl, x.csv) is left to ingest, which says it is a folder.
  if (isDir && want === undefined && /\.(jsonl|csv)$/i.test(path)) return null;
  const failures: Failure[] = [];
  let runs: ForeignRun[] | null;
  try {
    runs = isDir ? runsInDir(path, want, failures, warn) : runsInFile(path, want, warn);
  } catch (err) {
    throw asUserError(err, path);
  }
  if (runs === null) return null;
  checkForeignOptions(options);
  if (runs.length === 0 && failures.length === 0) throw new BitscaleError(`no trainer logs found${want ? ` in format ${want}` : ''} (looked for ${FORMAT_NAMES.join(', ')})`, { file: path });
  if (options.set?.run_id !== undefined && runs.length + failures.length > 1) {
    throw new BitscaleError(`--set run_id=${options.set.run_id} names one run, but ${runs.length + failures.length} were found (${[...runs.map((r) => r.source), ...failures.map((f) => f.source)].join(', ')})`, { file: path, field: 'run_id' });
  }
  const read: ReadForeignRun[] = [];
  for (const run of runs) {
    try {
      const { log, mapping } = foreignToRunLog(run, options);
      checkConverted(log, run.source, warn);
      read.push({ log, source: run.source, mapping });
    } catch (err) {
      failures.push({ source: run.source, error: asUserError(err, run.source) });
    }
  }
  // One run that cannot be read does not block the others: it is reported, and the command fails
  // only when nothing could be read (or with --strict).
  if (failures.length > 0 && (options.strict || read.length === 0)) {
    if (failures.length === 1) throw failures[0].error;
    throw new BitscaleError(`${failures.length} runs could not be read${read.length > 0 ? ` (and ${read.length} could, but --strict was given)` : ''}; the first: ${failures[0].error.message}`, { file: path });
  }
  for (const f of failures) warn?.(`${f.error.message} — this run is not ingested; the other runs are (--strict to fail instead)`);
  return read;
}
