/**
 * What repeating the data costs a prediction (issue 29): the passes a query makes over its corpus
 * and the loss it gives up against the same tokens all new, with an interval.
 *
 * The evidence is R*_D, the data-constrained law's repetition constant (src/fit/data-constrained.ts:
 * repeats past R*_D passes are worth 1/e of a new token). It comes from the query's own dataset
 * where its runs identify it (a recipe with at least two distinct repeated (D, U) pairs), else it is
 * BORROWED from the dataset that does (the Brown repetition ladder), and the prediction says so,
 * with the bootstrap spread of R*_D.
 *
 * The cost, under a prediction's own law: D tokens from U unique ones are worth D' = U + U·R*·(1 −
 * e^(−(D/U − 1)/R*)) new tokens. The law was measured at its budget's tokens D_b, which may already
 * repeat (GLM's 15K-step budgets make 2.5 passes): only the repetition beyond the budget's is a new
 * cost. So the law is asked at the step count whose tokens are worth as much, relative to the
 * budget, as the query's:
 *     S' = S · (D'/D) / (D'_b/D_b)
 * and cost = L(S') − L(S), ≥ 0 where the query repeats more than its budget (S' ≤ S). The cost falls as R*_D grows, so its interval is the cost at
 * the ends of R*_D's bootstrap interval, swapped; an R*_D interval without an upper end (draws at
 * the search bound) gives a cost interval reaching 0.
 */
import type { Interval } from './types.js';
import { effectiveData, fitDataConstrainedLaw, R_STAR_RANGE } from './data-constrained.js';
import { percentileInterval } from './resample.js';
import { REPETITION_PURPOSES } from './repetition-backtest.js';
import { analysisGroupKey, fitGroups, groupRecipe, recipeLabel } from '../runs/table.js';
import type { RunRecord } from '../runs/types.js';
import { BitscaleError } from '../util/errors.js';

/** Where R*_D comes from. */
export interface RepetitionEvidence {
  /** 'own': fitted on the query's dataset; 'borrowed': on another dataset's runs. */
  source: 'own' | 'borrowed';
  /** The analysis group and recipe it was fitted on, and how many runs (and repeated runs). */
  group: string;
  recipe: string;
  runs: number;
  repeatedRuns: number;
  rStar: number;
  /** R*_D's bootstrap percentile interval; hi is +∞ where the draws reach the search bound. */
  rStarInterval: Interval | null;
}

export interface RepetitionCost {
  uniqueTokens: number;
  /** Where U comes from: "--unique-tokens", "--dataset-bytes" or the runs' dataset size. */
  uniqueSource: string;
  /** D/U for the query, and for the budget its law was measured at. */
  passes: number;
  budgetPasses: number;
  /** Null when the query repeats nothing (≤ 1 pass) or no dataset identifies R*_D (then `note` says which). */
  evidence: RepetitionEvidence | null;
  /** L(S') − L(S) in the loss unit (0 at ≤ 1 pass); null without evidence. */
  cost: number | null;
  interval: Interval | null;
  /** The repetition-aware prediction, L(S'), and S'. */
  valBpc: number | null;
  effectiveSteps: number | null;
  /**
   * What the passes beyond the first are predicted to gain: the law at one pass (the steps whose
   * tokens equal U) less L(S'); null at ≤ 1 pass or without evidence.
   */
  repeatsGain: number | null;
  note: string;
}

/** A corpus size the user gave: in the dataset's token unit, or in bytes for a byte-level dataset. */
export interface CorpusSize {
  uniqueTokens: number;
  /** Where it came from, as the output names it. */
  source: string;
  /** The option it came from, for errors. */
  field: 'unique-tokens' | 'dataset-bytes';
}

/** `--unique-tokens U` or `--dataset-bytes B` (not both; null: neither, the dataset's runs say). */
export function corpusSizeFromOptions(o: { uniqueTokens?: number; datasetBytes?: number }): CorpusSize | null {
  if (o.uniqueTokens !== undefined && o.datasetBytes !== undefined) throw new BitscaleError('give --unique-tokens or --dataset-bytes, not both', { field: 'dataset-bytes' });
  if (o.uniqueTokens !== undefined) return { uniqueTokens: o.uniqueTokens, source: '--unique-tokens', field: 'unique-tokens' };
  if (o.datasetBytes !== undefined) return { uniqueTokens: o.datasetBytes, source: '--dataset-bytes (1 byte per token)', field: 'dataset-bytes' };
  return null;
}

/** The search bound R*_D's draws reach when the runs set no upper end. */
const OPEN_END = R_STAR_RANGE[1] * 0.99;

/** Distinct (D, U) pairs among the runs that repeat their data: R*_D needs two. */
function repeatedPairs(runs: readonly RunRecord[]): number {
  return new Set(runs.filter((r) => r.passes! > 1).map((r) => `${r.tokens}|${r.uniqueTokens}`)).size;
}

/** R*_D from one recipe's runs, or null where they do not identify it. */
function fitEvidence(runs: RunRecord[], source: RepetitionEvidence['source'], bootstrap: { count: number; seed: number; level: number }): RepetitionEvidence | null {
  if (repeatedPairs(runs) < 2) return null;
  const fit = fitDataConstrainedLaw(
    runs.map((r) => ({ params: r.params, tokens: r.tokens, uniqueTokens: r.uniqueTokens!, loss: r.finalValBpc })),
    { bootstrap, loo: false, excessParams: false },
  );
  if (fit.failure !== null || !Number.isFinite(fit.params.R_D_star)) return null;
  const k = fit.paramOrder.indexOf('R_D_star');
  const draws = k < 0 ? [] : (fit.samples ?? []).map((s) => s[k]);
  const iv = percentileInterval(draws, bootstrap.level);
  return {
    source,
    group: analysisGroupKey(runs[0]),
    recipe: recipeLabel(groupRecipe(runs)),
    runs: runs.length,
    repeatedRuns: runs.filter((r) => r.passes! > 1).length,
    rStar: fit.params.R_D_star,
    rStarInterval: iv ? { ...iv, hi: iv.hi >= OPEN_END ? Number.POSITIVE_INFINITY : iv.hi } : null,
  };
}

/**
 * R*_D for a dataset's analysis group: from its own recipe with the most runs that identifies it,
 * else borrowed from the recipe of any other group with the most repeated runs; null when none does.
 */
export function repetitionEvidence(runs: readonly RunRecord[], group: string, bootstrap: { count: number; seed: number; level: number }): RepetitionEvidence | null {
  const usable = runs.filter((r) => r.status === 'completed' && r.uniqueTokens !== null && REPETITION_PURPOSES.includes(r.purpose));
  const recipes = [...fitGroups(usable).values()];
  const own = recipes.filter((rs) => analysisGroupKey(rs[0]) === group).sort((a, b) => b.length - a.length);
  for (const rs of own) {
    const e = fitEvidence(rs, 'own', bootstrap);
    if (e) return e;
  }
  const others = recipes.filter((rs) => analysisGroupKey(rs[0]) !== group && repeatedPairs(rs) >= 2).sort((a, b) => repeatedPairs(b) - repeatedPairs(a) || (analysisGroupKey(a[0]) < analysisGroupKey(b[0]) ? -1 : 1));
  for (const rs of others) {
    const e = fitEvidence(rs, 'borrowed', bootstrap);
    if (e) return e;
  }
  return null;
}

/** S' = S · (D'/D) / (D'_b/D_b): the steps whose tokens are worth, relative to the budget, what the query's are. */
export function effectiveSteps(steps: number, tokens: number, budgetTokens: number, uniqueTokens: number, rStar: number): number {
  const worth = (d: number) => effectiveData(d, uniqueTokens, rStar).effective / d;
  return (steps * worth(tokens)) / worth(budgetTokens);
}

/**
 * The cost of repetition for a prediction (module comment): `lawAt(steps)` is the prediction's law
 * at a step count (the same law, budget and step gains); `tokens` and `budgetTokens` are the query's
 * and its budget's D.
 */
export function repetitionCost(
  q: { steps: number; tokens: number; budgetTokens: number; uniqueTokens: number; uniqueSource: string },
  evidence: RepetitionEvidence | null,
  lawAt: (steps: number) => number,
): RepetitionCost {
  const passes = q.tokens / q.uniqueTokens;
  const budgetPasses = q.budgetTokens / q.uniqueTokens;
  const base = { uniqueTokens: q.uniqueTokens, uniqueSource: q.uniqueSource, passes, budgetPasses };
  if (passes <= 1) return { ...base, evidence, cost: 0, interval: null, valBpc: lawAt(q.steps), effectiveSteps: q.steps, repeatsGain: null, note: 'one pass or less: no token repeats' };
  if (evidence === null) return { ...base, evidence, cost: null, interval: null, valBpc: null, effectiveSteps: null, repeatsGain: null, note: 'no dataset has runs that identify R_D_star (two or more distinct repeated (D, U) pairs in one recipe): the cost of repetition is unknown' };
  const at = (rStar: number) => {
    const s = effectiveSteps(q.steps, q.tokens, q.budgetTokens, q.uniqueTokens, rStar);
    return { steps: s, value: lawAt(s) };
  };
  const unique = lawAt(q.steps);
  const point = at(evidence.rStar);
  const iv = evidence.rStarInterval;
  const interval = iv ? { level: iv.level, lo: Number.isFinite(iv.hi) ? at(iv.hi).value - unique : 0, hi: at(iv.lo).value - unique } : null;
  const spread = iv ? `, ${Math.round(iv.level * 100)}% bootstrap interval ${iv.lo.toPrecision(3)}–${Number.isFinite(iv.hi) ? iv.hi.toPrecision(3) : '∞'}` : '';
  const note =
    evidence.source === 'own'
      ? `R_D_star ${evidence.rStar.toPrecision(3)} passes${spread}, fitted on this dataset's ${evidence.runs} runs (${evidence.repeatedRuns} repeat their data)`
      : `R_D_star ${evidence.rStar.toPrecision(3)} passes${spread}, BORROWED from ${evidence.group.split('|')[0].replace('dataset=', '')} (${evidence.runs} runs, ${evidence.repeatedRuns} repeating, recipe ${evidence.recipe}): this dataset's runs do not identify it, so repeats are assumed to lose value as fast as there`;
  const onePass = lawAt((q.steps * q.uniqueTokens) / q.tokens);
  return { ...base, evidence, cost: point.value - unique, interval, valBpc: point.value, effectiveSteps: point.steps, repeatsGain: onePass - point.value, note };
}
