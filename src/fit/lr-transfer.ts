/**
 * A prediction at a learning rate no run of the law's budget used, by the batch/LR grid's laws
 * (src/fit/batch-lr.ts).
 *
 * The rate the law's budget is taken to stand for at the query's batch size B is its own rate moved
 * by lr_opt ∝ B^γ:  lr_exp = lr_budget · (B/B_budget)^γ  (the budget's rate is read as its best; the
 * output says so). A query at another rate pays the grid's loss curvature in ln lr:
 *     ΔL = c · (ln lr − ln lr_exp)²,
 * c the second-order coefficient of the parabola through each interior optimum and its two
 * neighbours (lrCurvature). The value uses the median c and γ; the interval adds ΔL's range over
 * the grid's c (min to max) and γ's interval. Evidence comes from the query's own analysis group's
 * grid, else from another group's of the same loss unit (borrowed, and said).
 */
import type { RunRecord } from '../runs/types.js';
import { gridAnalyses, type GridCache } from './batch-transfer.js';
import type { LrPoint } from './batch-lr-runs.js';
import { parabolaAroundBest, ratesAroundBest } from './batch-lr.js';
import { quantileOfSorted } from './stats.js';

/**
 * The c of loss ≈ L* + c·(ln lr − ln lr*)² through the best rate and its two neighbours (the
 * parabola optimalLr takes its vertex from); null when the best rate is at the grid's edge or the
 * parabola opens downward.
 */
export function lrCurvature(rates: readonly { lr: number; loss: number }[]): number | null {
  const { sorted, k } = ratesAroundBest(rates);
  if (k === 0 || k === sorted.length - 1) return null;
  const {
    x: [x0, x1, x2],
    y: [y0, y1, y2],
  } = parabolaAroundBest(sorted, k);
  // Second divided difference: the x² coefficient of the interpolating parabola.
  const c = ((y2 - y1) / (x2 - x1) - (y1 - y0) / (x1 - x0)) / (x2 - x0);
  return c > 0 ? c : null;
}

export interface LrEvidence {
  gamma: number;
  gammaRange: { lo: number; hi: number };
  /** The curvatures of the grid's interior optima, ascending. */
  curvatures: number[];
  source: 'own grid' | 'borrowed';
  collection: string;
  lossUnit: string;
}

/** γ and the curvatures from the first grid of `group` (own) or of `lossUnit` (borrowed) with an lr_opt law and a curvature; null without one. */
export function lrEvidence(runs: readonly RunRecord[], group: string, lossUnit: string, cache?: GridCache): LrEvidence | null {
  const all = gridAnalyses(runs, cache);
  const ordered = [...all.filter((g) => g.group === group), ...all.filter((g) => g.group !== group && g.analysis.lossUnit === lossUnit)];
  for (const g of ordered) {
    const law = g.analysis.lrLaw;
    const curvatures = g.analysis.lr.map((p: LrPoint) => lrCurvature(p.rates)).filter((c): c is number => c !== null).sort((a, b) => a - b);
    if (!law || curvatures.length === 0) continue;
    const gammaRange = law.interval ? { lo: law.interval.lo, hi: law.interval.hi } : { lo: law.gamma, hi: law.gamma };
    return { gamma: law.gamma, gammaRange, curvatures, source: g.group === group ? 'own grid' : 'borrowed', collection: g.analysis.collection, lossUnit: g.analysis.lossUnit };
  }
  return null;
}

export interface LrAdjustment {
  budgetLr: number;
  budgetBatch: number;
  batch: number;
  /** The rate the budget stands for at `batch`, and its range over γ's interval. */
  expectedLr: number;
  expectedRange: { lo: number; hi: number };
  /** The query's rate; null when it gave none (then no penalty: the prediction is at expectedLr). */
  askedLr: number | null;
  /** ΔL at the median curvature and γ, and its range over the curvatures and γ's interval (0 without askedLr). */
  penalty: number;
  penaltyRange: { lo: number; hi: number };
  evidence: LrEvidence;
}

/** The LR move of a query at `batch` (and `askedLr`, if given) from a budget at (budgetBatch, budgetLr) (module comment). */
export function lrAdjustment(evidence: LrEvidence, budgetLr: number, budgetBatch: number, batch: number, askedLr: number | null): LrAdjustment {
  const at = (gamma: number) => budgetLr * Math.pow(batch / budgetBatch, gamma);
  const ends = [at(evidence.gammaRange.lo), at(evidence.gammaRange.hi)];
  const expectedLr = at(evidence.gamma);
  const cost = (c: number, lrExp: number) => (askedLr === null ? 0 : c * Math.log(askedLr / lrExp) ** 2);
  const costs = evidence.curvatures.flatMap((c) => [expectedLr, ...ends].map((e) => cost(c, e)));
  return {
    budgetLr,
    budgetBatch,
    batch,
    expectedLr,
    expectedRange: { lo: Math.min(...ends), hi: Math.max(...ends) },
    askedLr,
    penalty: cost(quantileOfSorted(evidence.curvatures, 0.5), expectedLr),
    penaltyRange: { lo: Math.min(...costs), hi: Math.max(...costs) },
    evidence,
  };
}
