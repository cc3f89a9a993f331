/**
 * The laws the planner can use: the run table's (the same predictBpc the report uses) or a joint
 * law L(N, D) = E + A/N^α + B/D^β saved by `bitscale fit --csv … --form chinchilla --save`. Pure.
 */
import type { RunRecord } from '../runs/types.js';
import { predictBpc, type FitSuite, type PredictQuery } from '../fit/index.js';
import { predictSavedLaw, type SavedLaw } from '../fit/saved.js';
import type { MeasuredRanges, Predictor, PredictorQuery } from './plan.js';

/**
 * The runs a dataset's predictions read: without borrowing, only the dataset's own. Each analysis
 * group is fitted on its own with its own seeded bootstrap, so fitting these alone gives the same
 * fits for the dataset, faster.
 */
export function predictionRuns(runs: readonly RunRecord[], dataset: string, borrowGains: boolean): RunRecord[] {
  return borrowGains ? [...runs] : runs.filter((r) => r.dataset.toLowerCase() === dataset.toLowerCase());
}

/** The predictBpc query the run table's predictor asks for a candidate. */
export function runTableQuery(q: Pick<PredictorQuery, 'params' | 'steps' | 'batchSize'>, dataset: string, seqLen?: number): PredictQuery {
  return { params: q.params, steps: q.steps, batchSize: q.batchSize, dataset, seqLen, arch: 'bitlm-v57' };
}

/** predictBpc on the suite, for one dataset's BitLMv57 runs (and context T); `borrowGains` as predictBpc takes it. */
export function runTablePredictor(suite: FitSuite, dataset: string, seqLen?: number, options: { borrowGains?: boolean } = {}): Predictor {
  return (q) => {
    const p = predictBpc(suite, runTableQuery(q, dataset, seqLen), { borrowGains: options.borrowGains === true });
    return { valBpc: p.valBpc, interval: p.interval, range: p.range, method: p.method, warnings: p.warnings, law: p.base.law, baseSteps: p.base.steps };
  };
}

/**
 * The batch sizes at which the dataset has a parameter law (a matched budget with a usable fit):
 * the only ones where predictBpc needs no batch-size correction it does not have.
 */
export function lawBatchSizes(suite: FitSuite, dataset: string, seqLen?: number): number[] {
  const ok = (f: { params: { alpha: number; B: number } } | null) => f !== null && Number.isFinite(f.params.alpha) && Number.isFinite(f.params.B);
  const sizes = suite.paramBudgets
    .filter((b) => b.dataset.toLowerCase() === dataset.toLowerCase() && b.matched && b.batchSize !== null && (seqLen === undefined || b.seqLen === seqLen) && (ok(b.fixedA) || ok(b.free)))
    .map((b) => b.batchSize as number);
  return [...new Set(sizes)].sort((a, b) => a - b);
}

/** The sizes and step counts the dataset's runs measured (its scaling runs with a val_bpc). */
export function measuredRanges(runs: readonly RunRecord[], dataset: string): MeasuredRanges | null {
  const own = runs.filter((r) => r.dataset.toLowerCase() === dataset.toLowerCase() && r.params > 0 && r.steps > 0);
  if (own.length === 0) return null;
  const params = own.map((r) => r.params);
  const steps = own.map((r) => r.steps);
  return { params: { min: Math.min(...params), max: Math.max(...params) }, steps: { min: Math.min(...steps), max: Math.max(...steps) } };
}

/** A predictor over a saved joint law, D = steps × bs × T; the interval is the bootstrap's over the saved draws. */
export function savedLawPredictor(law: SavedLaw): Predictor {
  return (q) => {
    const p = predictSavedLaw(law, q.params, q.tokens);
    return { valBpc: p.value, interval: p.interval, range: p.interval ? { lo: p.interval.lo, hi: p.interval.hi } : null, method: `E + A/N^α + B/D^β from ${p.provenance}`, warnings: p.warnings };
  };
}

/** The N and D ranges a saved law was fitted on, for the planner's extrapolation marks. */
export function savedLawRanges(law: SavedLaw): MeasuredRanges {
  return { params: law.ranges.params, tokens: law.ranges.tokens };
}
