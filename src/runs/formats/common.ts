/**
 * What every log importer produces: a ForeignRun, named metric series (keyed on metric and step,
 * the last writer winning) plus the facts the trainer's files state. Readers fill these; convert.ts
 * turns one into a run log.
 */
import { BitscaleError } from '../../util/errors.js';
import { parseLoggedNumber } from './values.js';

/**
 * The most values (all metrics, all steps) one run may log. Measured with bench/ingest-memory.ts:
 * an llm.c log of 2.0M values peaked at 792 MiB, so 2M keep an ingest under 1 GB; a log with more
 * is refused in one line rather than run out of memory.
 */
export const MAX_POINTS_PER_RUN = 2_000_000;

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
}

/** A point's place as text: "file:line", or `file` as it is. */
export function pointPlace(p: Pick<MetricPoint, 'file' | 'line'>): string {
  return p.line !== undefined ? `${p.file}:${p.line}` : p.file;
}

/**
 * Points keyed on (metric, step); a later `put` for the same key replaces the earlier one
 * (last writer wins: readers call `put` in file order, then record order).
 */
export class MetricSeries {
  private readonly byMetric = new Map<string, Map<number, MetricPoint>>();

  /** Highest step per metric, kept up to date so restart checks stay O(1) per point. */
  private readonly maxStep = new Map<string, number>();

  /** Points held, all metrics together. */
  private count = 0;

  constructor(private readonly limit = MAX_POINTS_PER_RUN) {}

  put(metric: string, point: MetricPoint): void {
    let points = this.byMetric.get(metric);
    if (!points) this.byMetric.set(metric, (points = new Map()));
    if (!points.delete(point.step) && ++this.count > this.limit) {
      throw new BitscaleError(
        `holds more than ${this.limit.toLocaleString('en-US')} logged values in one run; ingest keeps a run in memory (about 400 bytes a value at its peak), so it stops here rather than run out of memory: keep every k-th training line of the log (validation lines all), then ingest that`,
        { file: point.file.replace(/(@\d+| log_history\[\d+\])$/, '') },
      );
    }
    points.set(point.step, point);
    this.maxStep.set(metric, Math.max(this.maxStep.get(metric) ?? -Infinity, point.step));
  }

  /** Drop points at or after `step` (of the named metrics, or all): a restart superseded them. */
  purgeFrom(step: number, metrics?: Iterable<string>): number {
    let dropped = 0;
    for (const name of metrics ?? this.byMetric.keys()) {
      const points = this.byMetric.get(name);
      if (!points) continue;
      if ((this.maxStep.get(name) ?? -Infinity) < step) continue;
      let max = -Infinity;
      for (const s of [...points.keys()]) {
        if (s >= step && points.delete(s)) {
          dropped++;
          this.count--;
        }
        else max = Math.max(max, s);
      }
      this.maxStep.set(name, max);
    }
    return dropped;
  }

  /** Highest step logged for a metric, or -Infinity. */
  lastStep(metric: string): number {
    return this.maxStep.get(metric) ?? -Infinity;
  }

  names(): string[] {
    return [...this.byMetric.keys()].filter((n) => (this.byMetric.get(n)?.size ?? 0) > 0).sort();
  }

  /** A metric's points in step order. */
  points(metric: string): MetricPoint[] {
    return [...(this.byMetric.get(metric)?.values() ?? [])].sort((a, b) => a.step - b.step);
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
