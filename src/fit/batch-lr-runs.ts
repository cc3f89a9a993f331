/**
 * The batch-size and learning-rate laws of src/fit/batch-lr.ts on the run table.
 *
 * A comparison is one collection's completed runs at one model size (params): within it, runs may
 * differ only in batch size, learning rate and steps; any other difference (context, dataset,
 * architecture, LR schedule, warmup, final LR, precision) is refused, naming two runs and the field,
 * since the laws would then read that difference as an effect of the batch or the rate.
 *
 * - lr_opt: per (size, token budget, batch size), optimalLr over the rates tried; the law
 *   lr_opt ∝ B^γ over every (size, budget) group whose rate is not at the grid's edge.
 * - The critical batch: for a target loss L, the steps S(B) each batch size needed are the fewest
 *   over its runs (every rate and budget) whose eval curve reaches L (stepsToTarget); S(B) =
 *   S_min(1 + B_noise/B) per size and target. Targets: the highest of the batch sizes' best final
 *   losses (every batch size reaches it), and that plus 0.1 and 0.2 of the loss unit; their trend
 *   B_noise ∝ L^k (Kaplan et al.'s −1/α_B) per size.
 */
import type { RunRecord } from '../runs/types.js';
import { byCodePoint } from '../runs/table.js';
import { BitscaleError } from '../util/errors.js';
import { criticalBatch, lrBatchLaw, optimalLr, powerTrend, stepsToTarget, type CriticalBatchFit, type LrBatchLaw, type OptimalLr, type PowerTrend } from './batch-lr.js';
import { sortedDistinct } from './stats.js';

/** The fields a comparison's runs must share (all but batch size, learning rate and steps). */
const SHARED: readonly (keyof RunRecord)[] = ['dataset', 'arch', 'seqLen', 'lossUnit', 'lrSchedule', 'warmupSteps', 'lrFinal', 'precision'];

/** Target losses above the highest best-final-loss of the batch sizes. */
export const TARGET_OFFSETS = [0, 0.1, 0.2] as const;

export interface LrPoint {
  params: number;
  tokens: number;
  batch: number;
  /** The runs' (rate, final loss), ascending in rate. */
  rates: { lr: number; loss: number; runId: string }[];
  optimum: OptimalLr | null;
}

export interface CriticalBatchTarget {
  target: number;
  /** Fewest steps to the target per batch size, and the run that took them. */
  points: { batch: number; steps: number; runId: string }[];
  fit: CriticalBatchFit;
}

export interface SizeAnalysis {
  params: number;
  runIds: string[];
  targets: CriticalBatchTarget[];
  /** B_noise against the target loss: B_noise = coefficient · L^exponent; null with fewer than 2 fitted targets. */
  trend: PowerTrend | null;
}

export interface BatchLrAnalysis {
  collection: string;
  lossUnit: string;
  lr: LrPoint[];
  /** lr_opt ∝ B^γ over the (size, budget) groups; null where no group has two batch sizes with an interior optimum. */
  lrLaw: LrBatchLaw | null;
  sizes: SizeAnalysis[];
}

function refuseMixed(runs: readonly RunRecord[]): void {
  for (const f of SHARED) {
    const other = runs.find((r) => r[f] !== runs[0][f]);
    if (other) throw new BitscaleError(`runs ${runs[0].id} and ${other.id} (collection ${runs[0].collection}, N = ${runs[0].params}) differ in ${String(f)} (${String(runs[0][f])} vs ${String(other[f])}): a batch/LR comparison may vary only batch size, learning rate and steps`, { field: String(f) });
  }
}


/** The laws for one collection's runs (module comment). */
export function analyseBatchLr(runs: readonly RunRecord[], collection: string, level = 0.8): BatchLrAnalysis {
  const mine = runs.filter((r) => r.collection === collection && r.status === 'completed');
  if (mine.length === 0) throw new BitscaleError(`no completed runs in collection '${collection}'`, { field: 'collection' });
  const sizes = sortedDistinct(mine.map((r) => r.params));
  for (const n of sizes) refuseMixed(mine.filter((r) => r.params === n));
  const lr: LrPoint[] = [];
  for (const params of sizes)
    for (const tokens of sortedDistinct(mine.filter((r) => r.params === params).map((r) => r.tokens)))
      for (const batch of sortedDistinct(mine.filter((r) => r.params === params && r.tokens === tokens).map((r) => r.batchSize))) {
        const rs = mine.filter((r) => r.params === params && r.tokens === tokens && r.batchSize === batch).sort((a, b) => a.lr - b.lr || byCodePoint(a.id, b.id));
        const rates = rs.map((r) => ({ lr: r.lr, loss: r.finalValBpc, runId: r.id }));
        lr.push({ params, tokens, batch, rates, optimum: optimalLr(rates) });
      }
  const interior = lr.filter((p) => p.optimum && p.optimum.atEdge === null);
  const lrLaw = lrBatchLaw(
    interior.map((p) => ({ group: `N=${p.params}|D=${p.tokens}`, batch: p.batch, lrOpt: p.optimum!.lrOpt })),
    level,
  );
  const sizeAnalyses = sizes.map((params): SizeAnalysis => {
    const rs = mine.filter((r) => r.params === params);
    const batches = sortedDistinct(rs.map((r) => r.batchSize));
    const bestFinal = Math.max(...batches.map((b) => Math.min(...rs.filter((r) => r.batchSize === b).map((r) => r.finalValBpc))));
    const targets = TARGET_OFFSETS.map((offset) => {
      const target = bestFinal + offset;
      const points = batches.flatMap((batch) => {
        const reached = rs
          .filter((r) => r.batchSize === batch)
          .map((r) => ({ runId: r.id, steps: stepsToTarget(r.curve.map((c) => ({ step: c.step, loss: c.valBpc })), target) }))
          .filter((x): x is { runId: string; steps: number } => x.steps !== null)
          .sort((a, b) => a.steps - b.steps || byCodePoint(a.runId, b.runId));
        return reached.length ? [{ batch, steps: reached[0].steps, runId: reached[0].runId }] : [];
      });
      return { target, points, fit: criticalBatch(points, level) };
    });
    const fitted = targets.filter((t) => t.fit.refusal === null);
    return { params, runIds: rs.map((r) => r.id).sort(byCodePoint), targets, trend: powerTrend(fitted.map((t) => ({ x: t.target, y: t.fit.bNoise })), level) };
  });
  return { collection, lossUnit: mine[0].lossUnit, lr, lrLaw, sizes: sizeAnalyses };
}
