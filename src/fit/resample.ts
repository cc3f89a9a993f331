/**
 * Uncertainty for any fitter: a pairs bootstrap over points (each point is one run) with percentile
 * intervals, and leave-one-out prediction error. The fitter is passed in as `fitSubset(indices)`,
 * which returns a parameter vector or null when the subset does not identify the parameters.
 */
import type { BootstrapSummary, Determination, FitResult, Interval, LeaveOneOutSummary } from './types.js';
import { quantileOfSorted, resampleIndices, rootMeanSquare, seededRandom, standardNormal } from './stats.js';

export interface BootstrapOptions {
  /** Resamples to draw (default 1000). */
  count?: number;
  /** Seed of the generator (default 1). */
  seed?: number;
  /** Coverage of the percentile interval (default 0.8). */
  level?: number;
}

const STRATIFIED_METHOD = 'pairs bootstrap over points (runs) within each stratum, percentile interval';

export const DEFAULT_BOOTSTRAP = { count: 1000, seed: 1, level: 0.8 } as const;

export interface BootstrapDraws {
  samples: number[][];
  summary: BootstrapSummary;
}

/**
 * Refit on `count` resamples of the n points drawn with replacement (Efron & Tibshirani 1993,
 * "bootstrapping pairs"). Resamples whose fit returns null (too few distinct points) are skipped
 * and not replaced; `summary.used` says how many counted.
 *
 * A resample is a multiset: its indices are passed sorted, and a multiset drawn again reuses its
 * fit. With few points most draws repeat (3 points give 27 ordered draws but only 10 multisets),
 * so a 1000-resample bootstrap of a 3-point law runs 10 fits, not 1000, with the same draws.
 *
 * Every resample is drawn first and the distinct multisets are fitted together, by `fitMany` when
 * given (which may share them out between threads: each fit depends on its indices alone, so the
 * draws are the same however they are computed), else one by one with `fitSubset`.
 *
 * With `strata` (index lists covering the n points, e.g. the runs of each model family), each
 * resample draws every stratum's own count from that stratum alone, so that no resample loses a
 * family or changes how many runs each has (a stratified bootstrap, Davison & Hinkley 1997 §3.2).
 */
export function bootstrapParameters(
  n: number,
  fitSubset: (indices: number[]) => number[] | null,
  options: BootstrapOptions = {},
  fitMany?: (subsets: number[][]) => (number[] | null)[],
  strata?: readonly (readonly number[])[],
): BootstrapDraws {
  const count = options.count ?? DEFAULT_BOOTSTRAP.count;
  const seed = options.seed ?? DEFAULT_BOOTSTRAP.seed;
  const level = options.level ?? DEFAULT_BOOTSTRAP.level;
  const random = seededRandom(seed);
  const slotOf = new Map<string, number>();
  const distinct: number[][] = [];
  const draws: number[] = [];
  for (let b = 0; b < count; b++) {
    const indices = (strata ? strata.flatMap((s) => resampleIndices(s.length, random).map((k) => s[k])) : resampleIndices(n, random)).sort((i, j) => i - j);
    const key = indices.join(',');
    let slot = slotOf.get(key);
    if (slot === undefined) {
      slot = distinct.length;
      slotOf.set(key, slot);
      distinct.push(indices);
    }
    draws.push(slot);
  }
  const fits = fitMany ? fitMany(distinct) : distinct.map(fitSubset);
  const samples: number[][] = [];
  for (const slot of draws) {
    const p = fits[slot];
    if (p && p.every(Number.isFinite)) samples.push(p);
  }
  return { samples, summary: { requested: count, used: samples.length, seed, level, method: strata ? STRATIFIED_METHOD : 'pairs bootstrap over points (runs), percentile interval', withheld: null } };
}

/** The central `level` percentile interval of the draws: [q((1−level)/2), q((1+level)/2)]. */
export function percentileInterval(values: readonly number[], level: number): Interval | null {
  const sorted = Float64Array.from(values.filter(Number.isFinite)).sort();
  if (sorted.length < 2) return null;
  return { level, lo: quantileOfSorted(sorted, (1 - level) / 2), hi: quantileOfSorted(sorted, (1 + level) / 2) };
}

/**
 * A prediction interval for a new run from a law's bootstrap values at one point: each value times
 * e^(σ·z), z standard normal from `random` (the run-to-run scatter, log-normal with σ in ln(loss)),
 * then the percentile interval at `level`.
 */
export function logScatterInterval(values: readonly number[], sigma: number, level: number, random: () => number): Interval | null {
  return percentileInterval(values.map((v) => v * Math.exp(sigma * standardNormal(random))), level);
}

/**
 * An interval holds its point estimate (to a relative 1e-9, for exact fits whose draws all equal
 * it). A percentile interval that does not is a sign that the resamples fit other data than the
 * full fit did (e.g. an outlier that drives every resample holding it to a degenerate fit).
 */
export function holdsEstimate(interval: Interval, estimate: number): boolean {
  const slack = 1e-9 * Math.max(Math.abs(estimate), Math.abs(interval.lo), Math.abs(interval.hi), 1e-300);
  return interval.lo - slack <= estimate && estimate <= interval.hi + slack;
}

/** Percentile intervals for each parameter position of the draws. */
export function parameterIntervals(samples: readonly number[][], width: number, level: number): (Interval | null)[] {
  const out: (Interval | null)[] = [];
  for (let j = 0; j < width; j++) out.push(percentileInterval(samples.map((s) => s[j]), level));
  return out;
}

/**
 * Leave-one-out: refit without point i and predict it. Returns the errors (observed − predicted),
 * their RMSE and the largest |error|; null when no refit was identified.
 */
export function leaveOneOut(
  n: number,
  fitSubset: (indices: number[]) => number[] | null,
  predictPoint: (params: number[], i: number) => number,
  observed: readonly number[],
): LeaveOneOutSummary | null {
  const errors: (number | null)[] = [];
  for (let i = 0; i < n; i++) {
    const keep: number[] = [];
    for (let j = 0; j < n; j++) if (j !== i) keep.push(j);
    const p = fitSubset(keep);
    errors.push(p ? observed[i] - predictPoint(p, i) : null);
  }
  const ok = errors.filter((e): e is number => e !== null && Number.isFinite(e));
  if (ok.length === 0) return null;
  return { errors, rmse: rootMeanSquare(ok), maxAbs: Math.max(...ok.map(Math.abs)) };
}

export interface Uncertainty<K extends string> {
  intervals: Record<K, Interval | null>;
  bootstrap: BootstrapSummary | null;
  samples: number[][] | undefined;
  loo: LeaveOneOutSummary | null;
  warnings: string[];
}

/**
 * The bootstrap intervals (free parameters only) and leave-one-out error of a fit whose refits are
 * `fitSubset` (parameter vectors in `order`). Skipped (nulls) unless `identified`, i.e. the fit is
 * over-determined.
 */
export function estimateUncertainty<K extends string>(
  order: readonly K[],
  fixed: Partial<Record<K, number>>,
  n: number,
  fitSubset: (indices: number[]) => number[] | null,
  predictPoint: (params: number[], i: number) => number,
  observed: readonly number[],
  options: { identified: boolean; estimate: readonly number[]; bootstrap?: BootstrapOptions | false; loo?: boolean; fitMany?: (subsets: number[][]) => (number[] | null)[] },
): Uncertainty<K> {
  const intervals = Object.fromEntries(order.map((k) => [k, null])) as Record<K, Interval | null>;
  const out: Uncertainty<K> = { intervals, bootstrap: null, samples: undefined, loo: null, warnings: [] };
  if (!options.identified) return out;
  if (options.bootstrap !== false) {
    const draws = bootstrapParameters(n, fitSubset, options.bootstrap ?? {}, options.fitMany);
    out.bootstrap = draws.summary;
    const found = parameterIntervals(draws.samples, order.length, draws.summary.level);
    const excluded = order.flatMap((k, j) => {
      const iv = found[j];
      return fixed[k] === undefined && iv && !holdsEstimate(iv, options.estimate[j]) ? [`${k} = ${options.estimate[j].toPrecision(4)} outside [${iv.lo.toPrecision(4)}, ${iv.hi.toPrecision(4)}]`] : [];
    });
    if (excluded.length) {
      // The draws do not describe this fit: no interval from them, here or in a prediction.
      draws.summary.withheld = `the ${Math.round(draws.summary.level * 100)}% bootstrap interval excludes its own estimate (${excluded.join('; ')}): the resamples fit other data than the full fit (an outlier or a degenerate fit), so no interval is given`;
      out.warnings.push(draws.summary.withheld);
    } else {
      out.samples = draws.samples;
      found.forEach((iv, j) => {
        if (fixed[order[j]] === undefined) intervals[order[j]] = iv;
      });
    }
    if (draws.summary.used < draws.summary.requested * 0.5) out.warnings.push(`only ${draws.summary.used} of ${draws.summary.requested} bootstrap resamples identified the fit; intervals are rough`);
  }
  if (options.loo !== false) out.loo = leaveOneOut(n, fitSubset, predictPoint, observed);
  return out;
}

/**
 * A fit result from its point estimate and its uncertainty: RMSE, n and dof computed here, and
 * `failure` set whenever a parameter is not finite, whatever the fitter said, so that no fitter
 * can return an empty fit as a result.
 */
export function assembleFit<K extends string>(
  core: Pick<FitResult<K>, 'form' | 'formula' | 'params' | 'fixed' | 'residuals' | 'objective' | 'warnings' | 'diagnostics' | 'paramOrder'> & {
    freeParameters: number;
    determination: Determination;
    solved: boolean;
    /** Why nothing was fitted, when the fitter knows (else a generic reason is given). */
    failure?: string | null;
    noExtrapolation?: string | null;
  },
  u: Uncertainty<K>,
): FitResult<K> {
  const { freeParameters, solved, failure, noExtrapolation, ...rest } = core;
  const nonFinite = core.paramOrder.filter((k) => !Number.isFinite(core.params[k]));
  const failed = !solved || nonFinite.length > 0 ? failure ?? `no finite value for ${nonFinite.join(', ') || 'the parameters'}: the solver found no solution` : null;
  return {
    ...rest,
    failure: failed,
    noExtrapolation: failed ? null : noExtrapolation ?? null,
    intervals: u.intervals,
    // A fit refused for what it found (a floor below zero) still has residuals to show.
    rmse: core.residuals.length && core.residuals.every(Number.isFinite) ? rootMeanSquare(core.residuals) : Number.NaN,
    n: core.residuals.length,
    dof: core.residuals.length - freeParameters,
    bootstrap: u.bootstrap,
    loo: u.loo,
    warnings: [...core.warnings, ...u.warnings],
    samples: u.samples,
  };
}
