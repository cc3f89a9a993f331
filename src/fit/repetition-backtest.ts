/**
 * Does the data-constrained law predict heavily repeated runs from lightly repeated ones?
 *
 * Within one recipe (src/runs/table.ts fitGroups), the law (src/fit/data-constrained.ts) is fitted
 * on every run with at most `fitMaxPasses` passes over its corpus (default 4: the single-pass and
 * unique-data runs fix the base law, the 2–4-pass runs R*_D), then predicts every run with at least
 * `heldMinPasses` passes (default 16), which it never saw. For each held run:
 *   - the prediction and its prediction interval for a new run: the law at each bootstrap draw times
 *     e^(σ·z), z standard normal, σ the fit's residual standard error in ln(loss),
 *     √(Σ ln(L/L̂)² / (n − p)); the percentile interval of those values at `level`;
 *   - the relative error (L̂ − L)/L and whether L lies inside the interval;
 *   - beside it, what the unique-data law says: E + A/N^α + B/D^β fitted on the same runs with every
 *     token counted as new (U = D), the law bitscale used before it knew passes.
 * The summary: the mean and largest |relative error| of each law, and the coverage (inside / held).
 * A run's passes are whole steps of tokens over U, so a run planned at 4 passes reads 4.01: the
 * thresholds allow PASSES_SLACK (2%) either way.
 */
import type { Interval } from './types.js';
import { DEFAULT_BOOTSTRAP, logScatterInterval, type BootstrapOptions } from './resample.js';
import { seededRandom } from './stats.js';
import { dataConstrainedLoss, fitDataConstrainedLaw, R_STAR_RANGE, type DataConstrainedFit, type DataConstrainedParams, type RepetitionPoint } from './data-constrained.js';
import { analysisGroupKey, fitGroups, groupRecipe, recipeLabel } from '../runs/table.js';
import type { RunRecord } from '../runs/types.js';

export interface RepetitionBacktestOptions {
  /** Runs with at most this many passes are fitted (default 4). */
  fitMaxPasses?: number;
  /** Runs with at least this many passes are predicted (default 16). */
  heldMinPasses?: number;
  bootstrap?: BootstrapOptions;
}

export const REPETITION_BACKTEST_DEFAULTS = { fitMaxPasses: 4, heldMinPasses: 16 } as const;

/** Relative slack on both thresholds: passes come in whole steps (module comment). */
export const PASSES_SLACK = 0.02;

/** A run as the backtest takes it: its id, N, D, U (same token unit) and final loss. */
export interface RepetitionRun extends RepetitionPoint {
  id: string;
}

export interface RepetitionHeldRun {
  id: string;
  params: number;
  tokens: number;
  uniqueTokens: number;
  passes: number;
  observed: number;
  predicted: number;
  /** Prediction interval for a new run at the bootstrap's level; null without draws or residual freedom. */
  interval: Interval | null;
  /** (predicted − observed) / observed. */
  error: number;
  inside: boolean | null;
  /** The unique-data law's prediction and relative error. */
  uniqueDataPredicted: number;
  uniqueDataError: number;
}

export interface ErrorSummary {
  meanAbs: number;
  maxAbs: number;
}

export interface RepetitionBacktest {
  fitMaxPasses: number;
  heldMinPasses: number;
  level: number;
  /** Ids of the runs fitted, in the order given. */
  fitted: string[];
  held: RepetitionHeldRun[];
  /** Why nothing was predicted (too few runs on either side, or the law failed); null when it was. */
  refusal: string | null;
  law: DataConstrainedFit | null;
  uniqueDataLaw: DataConstrainedFit | null;
  /** σ, the residual standard error in ln(loss) of the fitted law; null without residual freedom. */
  scatter: number | null;
  errors: ErrorSummary | null;
  uniqueDataErrors: ErrorSummary | null;
  /** Held runs inside their interval, of those with one. */
  coverage: { inside: number; total: number } | null;
  /** The largest R* the fit searches: a bootstrap interval reaching it has no upper end. */
  rStarBound: number;
}

function errorSummary(errors: readonly number[]): ErrorSummary | null {
  if (errors.length === 0) return null;
  const abs = errors.map(Math.abs);
  return { meanAbs: abs.reduce((a, b) => a + b, 0) / abs.length, maxAbs: Math.max(...abs) };
}

/** σ, the residual standard error in ln(loss): the fit's log RMSE times √(n/(n − p)); null without residual freedom. */
function logScatter(law: DataConstrainedFit): number | null {
  const logRmse = Number(law.diagnostics.logRmse);
  return law.dof > 0 && Number.isFinite(logRmse) ? logRmse * Math.sqrt(law.n / law.dof) : null;
}

/** The prediction interval at one point: each bootstrap draw's value times e^(σ·z) (logScatterInterval). */
function predictionInterval(law: DataConstrainedFit, q: RepetitionPoint, scatter: number | null, level: number, seed: number): Interval | null {
  if (scatter === null || !law.samples || law.samples.length < 2) return null;
  const values = law.samples.map((s) => {
    const draw = { ...law.params, ...Object.fromEntries(law.paramOrder.map((k, i) => [k, s[i]])) } as DataConstrainedParams;
    return dataConstrainedLoss(draw, q.params, q.tokens, q.uniqueTokens);
  });
  return logScatterInterval(values, scatter, level, seededRandom(seed));
}

/** Fit on the lightly repeated runs, predict the heavily repeated ones (module comment). */
export function backtestRepetition(runs: readonly RepetitionRun[], options: RepetitionBacktestOptions = {}): RepetitionBacktest {
  const fitMaxPasses = options.fitMaxPasses ?? REPETITION_BACKTEST_DEFAULTS.fitMaxPasses;
  const heldMinPasses = options.heldMinPasses ?? REPETITION_BACKTEST_DEFAULTS.heldMinPasses;
  if (!(fitMaxPasses < heldMinPasses)) throw new RangeError(`the fitted runs' passes (≤ ${fitMaxPasses}) must stay below the predicted runs' (≥ ${heldMinPasses})`);
  const given = Object.fromEntries(Object.entries(options.bootstrap ?? {}).filter(([, v]) => v !== undefined));
  const bootstrap = { ...DEFAULT_BOOTSTRAP, ...given };
  const passesOf = (r: RepetitionRun) => r.tokens / r.uniqueTokens;
  const fitRuns = runs.filter((r) => passesOf(r) <= fitMaxPasses * (1 + PASSES_SLACK));
  const heldRuns = runs.filter((r) => passesOf(r) >= heldMinPasses * (1 - PASSES_SLACK));
  const empty = { rStarBound: R_STAR_RANGE[1], fitMaxPasses, heldMinPasses, level: bootstrap.level, fitted: fitRuns.map((r) => r.id), held: [], law: null, uniqueDataLaw: null, scatter: null, errors: null, uniqueDataErrors: null, coverage: null };
  const repeatedFitted = fitRuns.filter((r) => passesOf(r) > 1).length;
  if (heldRuns.length === 0) return { ...empty, refusal: `no run has ${heldMinPasses} or more passes over its corpus: nothing to predict` };
  if (repeatedFitted < 2) return { ...empty, refusal: `${repeatedFitted === 0 ? 'no run' : 'only one run'} with 1–${fitMaxPasses} passes repeats its data: R_D_star cannot be fitted from the lightly repeated runs` };
  const law = fitDataConstrainedLaw(fitRuns, { bootstrap });
  const uniqueDataLaw = fitDataConstrainedLaw(
    fitRuns.map((r) => ({ ...r, uniqueTokens: r.tokens })),
    { bootstrap: false },
  );
  for (const [name, f] of [['data-constrained', law], ['unique-data', uniqueDataLaw]] as const)
    if (f.failure !== null) return { ...empty, law, uniqueDataLaw, refusal: `the ${name} law failed on the ${fitRuns.length} runs with ≤ ${fitMaxPasses} passes: ${f.failure}` };
  const scatter = logScatter(law);
  const held = heldRuns.map((r, i): RepetitionHeldRun => {
    const predicted = dataConstrainedLoss(law.params, r.params, r.tokens, r.uniqueTokens);
    const interval = predictionInterval(law, r, scatter, bootstrap.level, bootstrap.seed + 7919 * (i + 1));
    const uniqueDataPredicted = dataConstrainedLoss(uniqueDataLaw.params, r.params, r.tokens, r.tokens);
    return {
      id: r.id,
      params: r.params,
      tokens: r.tokens,
      uniqueTokens: r.uniqueTokens,
      passes: passesOf(r),
      observed: r.loss,
      predicted,
      interval,
      error: (predicted - r.loss) / r.loss,
      inside: interval ? r.loss >= interval.lo && r.loss <= interval.hi : null,
      uniqueDataPredicted,
      uniqueDataError: (uniqueDataPredicted - r.loss) / r.loss,
    };
  });
  const withInterval = held.filter((h) => h.inside !== null);
  return {
    ...empty,
    refusal: null,
    law,
    uniqueDataLaw,
    scatter,
    held,
    errors: errorSummary(held.map((h) => h.error)),
    uniqueDataErrors: errorSummary(held.map((h) => h.uniqueDataError)),
    coverage: withInterval.length ? { inside: withInterval.filter((h) => h.inside).length, total: withInterval.length } : null,
  };
}

/** The purposes whose runs measure loss against data: unique-data scaling runs and repetition runs. */
export const REPETITION_PURPOSES: readonly string[] = ['scaling', 'repetition'];

export interface GroupRepetitionBacktest {
  /** analysisGroupKey of the runs. */
  group: string;
  recipe: string;
  dataset: string;
  lossUnit: string;
  backtest: RepetitionBacktest;
}

/**
 * The repetition backtest of each fit group (dataset, architecture, units and recipe) that holds a
 * completed run with at least `heldMinPasses` passes: its completed scaling and repetition runs
 * whose corpus size is known (a run of unknown size has no passes and is left out). Groups in key order.
 */
export function backtestRepetitionGroups(runs: readonly RunRecord[], options: RepetitionBacktestOptions = {}): GroupRepetitionBacktest[] {
  const heldMinPasses = options.heldMinPasses ?? REPETITION_BACKTEST_DEFAULTS.heldMinPasses;
  const usable = runs.filter((r) => r.status === 'completed' && r.uniqueTokens !== null && REPETITION_PURPOSES.includes(r.purpose));
  return [...fitGroups(usable)]
    .filter(([, rs]) => rs.some((r) => r.passes! >= heldMinPasses * (1 - PASSES_SLACK)))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, rs]) => ({
      group: analysisGroupKey(rs[0]),
      recipe: recipeLabel(groupRecipe(rs)),
      dataset: rs[0].dataset,
      lossUnit: rs[0].lossUnit,
      backtest: backtestRepetition(
        rs.map((r) => ({ id: r.id, params: r.params, tokens: r.tokens, uniqueTokens: r.uniqueTokens!, loss: r.finalValBpc })),
        options,
      ),
    }));
}
