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
import { closeSync, lstatSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { basename, dirname, extname, join, relative } from 'node:path';
import { BitscaleError } from '../../util/errors.js';
import { fsError } from '../../util/files.js';
import { parseRunLog, serializeRunLog } from '../log.js';
import type { RunLog } from '../types.js';
import { FORMAT_NAMES, type ForeignRun, type FormatName } from './common.js';
import { checkForeignOptions, foreignToRunLog, type ConvertOptions, type Mapping } from './convert.js';
import { isHuggingFaceDir, readHuggingFaceRun } from './huggingface.js';
import { isLightningVersionDir, readLightningRuns } from './lightning.js';
import { isMlflowRunDir, readMlflowRun } from './mlflow.js';
import { readLlmcLog, readMegatronLog, readNanoGptLog, sniffPlainText } from './plaintext.js';
import { eventFilesIn, isEventFile, readTensorBoardRun } from './tensorboard.js';
import { isWandbRunDir, readWandbCsv, readWandbRun, sniffWandbCsv, wandbRunId } from './wandb.js';

export { FORMAT_NAMES, type FormatName, type Mapping };

export interface ForeignReadOptions extends ConvertOptions {
  /** Read every path as this format instead of recognising it. */
  format?: string;
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
function head(file: string, bytes = 256 * 1024): string {
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(bytes);
    return buf.subarray(0, readSync(fd, buf, 0, bytes, 0)).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

function firstLine(file: string): string[] {
  return (head(file).replace(/^\uFEFF/, '').split('\n', 1)[0] ?? '').split(',').map((c) => c.trim().replace(/^"|"$/g, ''));
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
  if (as('wandb-csv', () => ext === '.csv' && sniffWandbCsv(firstLine(file)) !== null)) return readWandbCsv(file);
  const readers = { nanogpt: readNanoGptLog, llmc: readLlmcLog, megatron: readMegatronLog };
  if (want === 'nanogpt' || want === 'llmc' || want === 'megatron') return [readers[want](file)];
  if (want === undefined && TEXT_LOG.has(ext)) {
    const kind = sniffPlainText(head(file));
    if (kind) return [readers[kind](file)];
  }
  return null;
}

/** Every trainer's run under a directory. */
function runsInDir(root: string, want: FormatName | undefined, warn?: (m: string) => void): ForeignRun[] {
  const runs: ForeignRun[] = [];
  const wandbById = new Map<string, string[]>();
  const lightningParents = new Set<string>();
  const is = (f: FormatName) => want === undefined || want === f;
  const nameOf = (dir: string) => (dir === root ? basename(root) : relative(root, dir).split(/[\\/]/).join('-'));
  const walk = (dir: string) => {
    if (is('huggingface') && isHuggingFaceDir(dir)) return void runs.push(readHuggingFaceRun(dir, warn));
    if (is('mlflow') && isMlflowRunDir(dir)) return void runs.push(readMlflowRun(dir, warn));
    if (is('wandb') && isWandbRunDir(dir)) {
      const id = wandbRunId(dir);
      wandbById.set(id, [...(wandbById.get(id) ?? []), dir]);
      return;
    }
    if (is('lightning') && isLightningVersionDir(dir)) return void lightningParents.add(dirname(dir));
    const entries = readdirSync(dir).sort();
    // Symbolic links are not followed: wandb's latest-run points at a run directory the walk reaches anyway.
    const subdirs = entries.filter((n) => !n.startsWith('.') && n !== 'node_modules' && lstatSync(join(dir, n)).isDirectory());
    if (is('tensorboard')) {
      if (eventFilesIn(dir).length > 0) runs.push(readTensorBoardRun(dir, nameOf(dir), warn));
      else if (['train', 'validation'].every((s) => subdirs.includes(s) && eventFilesIn(join(dir, s)).length > 0)) return void runs.push(readTensorBoardRun(dir, nameOf(dir), warn));
    }
    for (const n of entries) {
      const p = join(dir, n);
      if (subdirs.includes(n) || isEventFile(n) || n === 'metrics.csv') continue;
      const ext = extname(n).toLowerCase();
      if ((is('wandb-csv') && ext === '.csv') || ((is('nanogpt') || is('llmc') || is('megatron')) && TEXT_LOG.has(ext))) {
        const found = runsInFile(p, want, warn);
        if (found) runs.push(...found);
      }
    }
    for (const s of subdirs) walk(join(dir, s));
  };
  walk(root);
  for (const parent of [...lightningParents].sort()) runs.push(...readLightningRuns(parent, warn));
  for (const dirs of wandbById.values()) runs.push(readWandbRun(dirs, warn));
  return runs;
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
  const runs = isDir ? runsInDir(path, want, warn) : runsInFile(path, want, warn);
  if (runs === null) return null;
  checkForeignOptions(options);
  if (runs.length === 0) throw new BitscaleError(`no trainer logs found${want ? ` in format ${want}` : ''} (looked for ${FORMAT_NAMES.join(', ')})`, { file: path });
  if (options.set?.run_id !== undefined && runs.length > 1) {
    throw new BitscaleError(`--set run_id=${options.set.run_id} names one run, but ${runs.length} were found (${runs.map((r) => r.source).join(', ')})`, { file: path, field: 'run_id' });
  }
  return runs.map((run) => {
    const { log, mapping } = foreignToRunLog(run, options);
    // The run-log validator checks the converted log exactly as it would check a written file.
    const checked = parseRunLog(serializeRunLog(log), `${run.source} (as run ${log.header.run_id})`);
    return { log: checked, source: run.source, mapping };
  });
}
