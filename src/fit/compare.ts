/**
 * Matched comparisons from the run table: batch size / LR at a matched model (seed report §2.3)
 * and the dataset offset at matched N, steps, batch size and LR (seed report §2.4).
 */
import type { RunRecord } from '../runs/types.js';
import { byCodePoint, groupRuns } from '../runs/table.js';
import { mean } from './stats.js';

export interface RunSide {
  runId: string;
  batchSize: number;
  lr: number;
  steps: number;
  tokens: number;
  valBpc: number;
  wallSeconds: number | null;
}

export interface BatchLrComparison {
  dataset: string;
  arch: string;
  params: number;
  /** The run with the smaller batch size (or, at equal batch size, the smaller LR). */
  from: RunSide;
  to: RunSide;
  /** to.valBpc − from.valBpc (negative: `to` is better). */
  deltaBpc: number;
  /** to.wallSeconds / from.wallSeconds; null unless both are known. */
  wallClockRatio: number | null;
  /** to.tokens / from.tokens. */
  tokensRatio: number;
  stepsRatio: number;
}

function side(r: RunRecord): RunSide {
  return { runId: r.id, batchSize: r.batchSize, lr: r.lr, steps: r.steps, tokens: r.tokens, valBpc: r.finalValBpc, wallSeconds: r.wallSeconds };
}

/**
 * Every pair of runs of one model (dataset, architecture, params, context) that differ in batch
 * size or LR. Example (seed §2.3): bs 64 / 3e-4 / 40K, 108 min, 1.792 against bs 256 / 6e-4 / 15K,
 * 69 min, 1.766 gives ΔBPC −0.026, wall-clock ratio 0.64, tokens ratio 1.5.
 */
export function compareBatchAndLr(runs: readonly RunRecord[]): BatchLrComparison[] {
  const out: BatchLrComparison[] = [];
  for (const [, group] of groupRuns([...runs], ['dataset', 'arch', 'params', 'seqLen'])) {
    const sorted = [...group].sort((a, b) => a.batchSize - b.batchSize || a.lr - b.lr || a.steps - b.steps || byCodePoint(a.id, b.id));
    for (let i = 0; i < sorted.length; i++)
      for (let j = i + 1; j < sorted.length; j++) {
        const a = sorted[i];
        const b = sorted[j];
        if (a.batchSize === b.batchSize && a.lr === b.lr) continue;
        out.push({
          dataset: a.dataset,
          arch: a.arch,
          params: a.params,
          from: side(a),
          to: side(b),
          deltaBpc: b.finalValBpc - a.finalValBpc,
          wallClockRatio: a.wallSeconds && b.wallSeconds ? b.wallSeconds / a.wallSeconds : null,
          tokensRatio: b.tokens / a.tokens,
          stepsRatio: b.steps / a.steps,
        });
      }
  }
  return out;
}

export interface DatasetOffset {
  arch: string;
  params: number;
  steps: number;
  batchSize: number;
  lr: number;
  /** The easier dataset (lower val_bpc). */
  from: { dataset: string; valBpc: number; runIds: string[] };
  /** The harder dataset. */
  to: { dataset: string; valBpc: number; runIds: string[] };
  /** to.valBpc − from.valBpc ≥ 0: how much harder `to` is, in the runs' shared loss unit. */
  offset: number;
}

/**
 * Offset between datasets at matched architecture, loss unit, N, steps, batch size, LR and context;
 * replicate runs on one dataset are averaged. Example (seed §2.4): 46.4M, 40K, bs 64:
 * TinyStories 1.169 against GLM (1.794 + 1.792)/2 = 1.793 gives +0.624.
 */
export function datasetOffsets(runs: readonly RunRecord[]): DatasetOffset[] {
  const out: DatasetOffset[] = [];
  for (const [, group] of groupRuns([...runs], ['arch', 'params', 'steps', 'batchSize', 'lr', 'seqLen', 'lossUnit'])) {
    const byDataset = new Map<string, RunRecord[]>();
    for (const r of group) byDataset.set(r.dataset, [...(byDataset.get(r.dataset) ?? []), r]);
    const names = [...byDataset.keys()].sort();
    for (let i = 0; i < names.length; i++)
      for (let j = i + 1; j < names.length; j++) {
        let a = byDataset.get(names[i])!;
        let b = byDataset.get(names[j])!;
        let va = mean(a.map((r) => r.finalValBpc));
        let vb = mean(b.map((r) => r.finalValBpc));
        if (vb < va) [a, b, va, vb] = [b, a, vb, va];
        const r0 = a[0];
        out.push({
          arch: r0.arch,
          params: r0.params,
          steps: r0.steps,
          batchSize: r0.batchSize,
          lr: r0.lr,
          from: { dataset: a[0].dataset, valBpc: va, runIds: a.map((r) => r.id) },
          to: { dataset: b[0].dataset, valBpc: vb, runIds: b.map((r) => r.id) },
          offset: vb - va,
        });
      }
  }
  return out;
}
