/**
 * The laws the planner can use: the run table's (the same predictBpc the report uses) or a joint
 * law L(N, D) = E + A/N^α + B/D^β saved by `bitscale fit --csv … --form chinchilla --save`. Pure.
 */
import type { RunRecord } from '../runs/types.js';
import { analysisGroupKey } from '../runs/table.js';
import { batchNoiseEvidence } from '../fit/batch-transfer.js';
import { predictBpc, type FitSuite, type PredictOptions, type PredictQuery } from '../fit/index.js';
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
export function runTablePredictor(suite: FitSuite, dataset: string, seqLen?: number, options: { borrowGains?: boolean; batch?: PredictOptions['batch'] } = {}): Predictor {
  return (q) => {
    const p = predictBpc(suite, runTableQuery(q, dataset, seqLen), { borrowGains: options.borrowGains === true, batch: options.batch });
    return { valBpc: p.valBpc, interval: p.interval, range: p.range, method: p.method, warnings: p.warnings, law: p.base.law, baseSteps: p.base.steps, batch: p.batch, lr: p.lr };
  };
}

/**
 * The batch sizes a plan searches when the critical-batch law can answer those without runs: each
 * law batch size b and b/4, b/2, 2b, 4b (the span over which one B_noise estimate is read), and
 * the measured ones; ascending, whole sequences only.
 */
export function criticalBatchCandidates(lawSizes: readonly number[], measured: readonly number[]): number[] {
  const around = lawSizes.flatMap((b) => [b / 4, b / 2, b, 2 * b, 4 * b]);
  return [...new Set([...around, ...measured].filter((b) => Number.isInteger(b) && b >= 1))].sort((a, b) => a - b);
}

/**
 * The batch sizes at which the dataset has a parameter law (a matched budget with a usable fit):
 * the only ones predictBpc answers without the critical-batch law's move.
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

/**
 * The batch sizes a plan searches for `dataset` and how it predicts them. Where some run measures
 * the critical batch B_noise (batchNoiseEvidence: the dataset's own grid or pair, else another
 * dataset's grid), the law's batch sizes and 1/4 to 4× around them (criticalBatchCandidates), each
 * answered by predictBpc's critical-batch move (`batch`). Otherwise only the batch sizes with a
 * parameter law (the measured ones when none has), and a note on what was left out.
 */
export function planBatchSizes(all: readonly RunRecord[], own: readonly RunRecord[], suite: FitSuite, dataset: string, seqLen?: number): { batchSizes: number[]; note: string | null; batch: PredictOptions['batch'] } {
  const measuredBs = [...new Set(own.map((r) => r.batchSize))].sort((a, b) => a - b);
  const withLaw = lawBatchSizes(suite, dataset, seqLen);
  const bNoise = own.length && withLaw.length ? batchNoiseEvidence(all, analysisGroupKey(own[0]), Math.max(...own.map((r) => r.params)), Math.min(...own.map((r) => r.finalValBpc))) : null;
  if (bNoise)
    return {
      batchSizes: criticalBatchCandidates(withLaw, measuredBs),
      note: `${dataset}'s parameter law is measured at bs ${withLaw.join(', ')}; other batch sizes are predicted by the critical-batch law S(B) = S_min(1 + B_noise/B) at the law's batch size, B_noise ${bNoise.source === 'borrowed' ? 'borrowed' : `from ${dataset}'s own runs`} (${bNoise.from}; each candidate reads it at its own size and loss), its interval widening each prediction`,
      batch: { runs: all, cache: new Map() },
    };
  const without = measuredBs.filter((b) => !withLaw.includes(b));
  return {
    batchSizes: withLaw.length ? withLaw : measuredBs,
    note: without.length && withLaw.length ? `bs ${without.join(', ')} (also measured) has no ${dataset} parameter law, and no run measures the critical batch B_noise for a batch-size correction: left out (add it with --batch-size ${measuredBs.join(',')})` : null,
    batch: undefined,
  };
}
