/**
 * What every log importer produces: a ForeignRun, named metric series (keyed on metric and step,
 * the last writer winning) plus the facts the trainer's files state. Readers fill these; convert.ts
 * turns one into a run log.
 */
import { BitscaleError } from '../../util/errors.js';
import { formatInteger } from '../../util/format.js';
import { parseLoggedNumber } from './values.js';

/**
 * The most values (all metrics, all steps) one run may log: at 37 bytes a value in MetricSeries
 * (twice that while a column grows), 16M stay within about 1 GB; a log with more is refused in one
 * line rather than run out of memory.
 */
export const MAX_POINTS_PER_RUN = 16_000_000;

export const FORMAT_NAMES = ['tensorboard', 'wandb', 'wandb-csv', 'lightning', 'huggingface', 'mlflow', 'nanogpt', 'llmc', 'megatron'] as const;
export type FormatName = (typeof FORMAT_NAMES)[number];

export interface MetricPoint {
  step: number;
  value: number;
  /** Unix seconds when the writer logged it, where the format records it. */
  wallTime?: number;
  /**
   * Where the point was read, for messages: the file ("file@byte" or "file log_history[3]" where
   * that says more), and the line for text formats (kept apart, so that a point costs no string of
   * its own; a point is itself the `Place` of the record made from it).
   */
  file: string;
  line?: number;
  /** Byte offset of the record in `file` (TensorBoard, .wandb), where there are no lines. */
  byte?: number;
  /** Index of the entry in a list (Hugging Face's log_history). */
  entry?: number;
}

/** A point's place as text: "file:line", "file@byte", "file log_history[i]", or the file. */
export function pointPlace(p: Pick<MetricPoint, 'file' | 'line' | 'byte' | 'entry'>): string {
  if (p.line !== undefined) return `${p.file}:${p.line}`;
  if (p.byte !== undefined) return `${p.file}@${p.byte}`;
  if (p.entry !== undefined) return `${p.file} log_history[${p.entry}]`;
  return p.file;
}

const LINE = 1;
const BYTE = 2;
const ENTRY = 3;

/** One metric's points as columns, in the order they were put (a point costs 37 bytes, not an object). */
class Column {
  n = 0;
  step = new Float64Array(64);
  value = new Float64Array(64);
  /** Wall time in seconds, NaN where none; allocated when the first point has one. */
  wall: Float64Array | null = null;
  /** Line, byte offset or entry index in the file (which one: `kind`). */
  at = new Float64Array(64);
  kind = new Uint8Array(64);
  file = new Uint32Array(64);
  maxStep = -Infinity;
  /** Steps never went down in put order (then last-writer-wins needs no sort). */
  ordered = true;
  /** The resolved view (one index per step, the last put; in step order), until the next change. */
  resolved: Int32Array | null = null;

  grow(): void {
    const cap = this.step.length * 2;
    const more = <T extends Float64Array | Uint32Array | Uint8Array>(a: T): T => {
      const b = new (a.constructor as new (n: number) => T)(cap);
      b.set(a);
      return b;
    };
    this.step = more(this.step);
    this.value = more(this.value);
    this.at = more(this.at);
    this.kind = more(this.kind);
    this.file = more(this.file);
    if (this.wall) this.wall = more(this.wall);
  }
}

/** A metric's resolved points, read by index without making an object per point. */
export interface SeriesView {
  length: number;
  step(k: number): number;
  value(k: number): number;
  /** Wall time (s) or undefined. */
  wall(k: number): number | undefined;
  /** The k-th point as an object (for the few that become records or messages). */
  point(k: number): MetricPoint;
}

/**
 * Points keyed on (metric, step); a later `put` for the same key replaces the earlier one
 * (last writer wins: readers call `put` in file order, then record order). Stored as columns of
 * typed arrays, so that a log of millions of points stays within memory.
 */
export class MetricSeries {
  private readonly columns = new Map<string, Column>();
  private readonly files: string[] = [];
  private readonly fileIndex = new Map<string, number>();

  /** Points held, all metrics together. */
  private count = 0;

  constructor(private readonly limit = MAX_POINTS_PER_RUN) {}

  put(metric: string, point: MetricPoint): void {
    if (++this.count > this.limit) {
      throw new BitscaleError(
        `holds more than ${formatInteger(this.limit)} logged values in one run; ingest keeps a run's values in memory, so it stops here rather than run out of memory: keep every k-th training line of the log (validation lines all), then ingest that`,
        { file: point.file.replace(/(@\d+| log_history\[\d+\])$/, '') },
      );
    }
    let c = this.columns.get(metric);
    if (!c) this.columns.set(metric, (c = new Column()));
    if (c.n === c.step.length) c.grow();
    let f = this.fileIndex.get(point.file);
    if (f === undefined) {
      f = this.files.push(point.file) - 1;
      this.fileIndex.set(point.file, f);
    }
    const i = c.n++;
    if (i > 0 && point.step < c.step[i - 1]) c.ordered = false;
    c.step[i] = point.step;
    c.value[i] = point.value;
    c.kind[i] = point.line !== undefined ? LINE : point.byte !== undefined ? BYTE : point.entry !== undefined ? ENTRY : 0;
    c.at[i] = point.line ?? point.byte ?? point.entry ?? 0;
    c.file[i] = f;
    if (point.wallTime !== undefined && !c.wall) {
      c.wall = new Float64Array(c.step.length);
      c.wall.fill(NaN, 0, i);
    }
    if (c.wall) c.wall[i] = point.wallTime ?? NaN;
    c.maxStep = Math.max(c.maxStep, point.step);
    c.resolved = null;
  }

  /** Drop points at or after `step` (of the named metrics, or all): a restart superseded them. */
  purgeFrom(step: number, metrics?: Iterable<string>): number {
    let dropped = 0;
    for (const name of metrics ?? this.columns.keys()) {
      const c = this.columns.get(name);
      if (!c || c.maxStep < step) continue;
      let kept = 0;
      let max = -Infinity;
      for (let i = 0; i < c.n; i++) {
        if (c.step[i] >= step) continue;
        c.step[kept] = c.step[i];
        c.value[kept] = c.value[i];
        c.at[kept] = c.at[i];
        c.kind[kept] = c.kind[i];
        c.file[kept] = c.file[i];
        if (c.wall) c.wall[kept] = c.wall[i];
        max = Math.max(max, c.step[i]);
        kept++;
      }
      dropped += c.n - kept;
      this.count -= c.n - kept;
      c.n = kept;
      c.maxStep = max;
      c.ordered = c.step.subarray(0, kept).every((v, i, a) => i === 0 || a[i - 1] <= v);
      c.resolved = null;
    }
    return dropped;
  }

  /** Highest step logged for a metric, or -Infinity. */
  lastStep(metric: string): number {
    return this.columns.get(metric)?.maxStep ?? -Infinity;
  }

  names(): string[] {
    return [...this.columns].filter(([, c]) => c.n > 0).map(([n]) => n).sort();
  }

  /** One index per step, the last put at that step, in step order. */
  private resolve(c: Column): Int32Array {
    if (c.resolved) return c.resolved;
    let order: Int32Array = new Int32Array(c.n);
    for (let i = 0; i < c.n; i++) order[i] = i;
    if (!c.ordered) order = order.sort((a, b) => c.step[a] - c.step[b] || a - b);
    let kept = 0;
    for (let k = 0; k < order.length; k++) if (k === order.length - 1 || c.step[order[k + 1]] !== c.step[order[k]]) order[kept++] = order[k];
    c.resolved = order.subarray(0, kept);
    return c.resolved;
  }

  /** A metric's points in step order, read by index. */
  view(metric: string): SeriesView {
    const c = this.columns.get(metric);
    if (!c) return { length: 0, step: () => NaN, value: () => NaN, wall: () => undefined, point: () => { throw new RangeError('no points'); } };
    const idx = this.resolve(c);
    const wall = (k: number) => {
      const w = c.wall ? c.wall[idx[k]] : NaN;
      return Number.isNaN(w) ? undefined : w;
    };
    return {
      length: idx.length,
      step: (k) => c.step[idx[k]],
      value: (k) => c.value[idx[k]],
      wall,
      point: (k) => {
        const i = idx[k];
        const p: MetricPoint = { step: c.step[i], value: c.value[i], file: this.files[c.file[i]] };
        if (c.kind[i] === LINE) p.line = c.at[i];
        else if (c.kind[i] === BYTE) p.byte = c.at[i];
        else if (c.kind[i] === ENTRY) p.entry = c.at[i];
        const w = wall(k);
        if (w !== undefined) p.wallTime = w;
        return p;
      },
    };
  }

  /** A metric's points in step order, as objects (for metrics with few points, and tests). */
  points(metric: string): MetricPoint[] {
    const v = this.view(metric);
    return Array.from({ length: v.length }, (_, k) => v.point(k));
  }
}

/** Where a warning should go (the user's stderr at ingest). */
export type Warn = ((message: string) => void) | undefined;

/**
 * Put a value as the trainer printed it: a decimal or Python's nan/inf. Anything else (hex,
 * "1,5", "2.05.1") is skipped with a warning naming the place, never stored as NaN or re-read.
 */
export function putLogged(series: MetricSeries, metric: string, step: number, text: string, file: string, line: number, warn: Warn, wallTime?: number): void {
  const value = parseLoggedNumber(text);
  if (value === null) {
    warn?.(`${file}:${line}: '${text.trim().slice(0, 40)}' is not a decimal number; the ${metric} point at step ${step} is skipped`);
    return;
  }
  series.put(metric, { step, value, file, line, ...(wallTime !== undefined ? { wallTime } : {}) });
}

/** The warning for a last line with no line end, which a reader drops: its last number may be cut short. */
export function unterminatedLine(file: string, line: number, text: string): string {
  return `${file}:${line}: skipped the last line, which has no line end (the writer was probably still running or was killed, so its last number may be cut short): '${text.slice(0, 60)}'`;
}

/** Facts a reader found in the trainer's own files; each names where it came from. */
export interface RunFacts {
  params?: { value: number; from: string; reported?: string };
  batchSize?: { value: number; from: string };
  seqLen?: { value: number; from: string };
  lr?: { value: number; from: string };
  plannedSteps?: number;
  seed?: number;
  dataset?: string;
  tokenizer?: string;
  arch?: string;
  /** The trainer's framework, stored as the run's backend. */
  backend: string;
  /** A hint shown when batch_size cannot be found, e.g. HF's per-device train_batch_size. */
  batchHint?: string;
  /** Tokens per optimizer step stated by the trainer (nanoGPT prints it). */
  tokensPerStep?: { value: number; from: string };
}

export interface ForeignRun {
  format: FormatName;
  /** The run's name in its trainer's terms (a directory name, an MLflow run name…). */
  name: string;
  /** The file or directory it was read from. */
  source: string;
  series: MetricSeries;
  facts: RunFacts;
  /** Metric names this format uses for each role, tried before the shared conventions. */
  conventions?: Partial<Record<MetricRole, string[]>>;
  /** How the trainer left the run, where the format records it. */
  status?: 'completed' | 'stopped' | 'running';
}

export type MetricRole = 'train_loss' | 'val_loss' | 'tokens' | 'lr';
