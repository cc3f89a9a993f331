/**
 * The shapes every fitter in src/fit returns. A fit carries its own diagnostics (residuals, RMSE,
 * degrees of freedom, how it was determined, bootstrap and leave-one-out summaries, warnings) so
 * that the CLI and the report only format it.
 */

/** A two-sided interval from the bootstrap: `level` is its coverage, e.g. 0.8 for 80%. */
export interface Interval {
  level: number;
  lo: number;
  hi: number;
}

/**
 * How many points a fit had against how many free parameters: 'over' (n > p, residuals say
 * something), 'exact' (n = p, the curve passes through every point), 'under' (n < p, or fewer
 * distinct x than free parameters: the parameters are not identified).
 */
export type Determination = 'over' | 'exact' | 'under';

export interface BootstrapSummary {
  /** Resamples asked for. */
  requested: number;
  /** Resamples that were identified (enough distinct points) and converged. */
  used: number;
  seed: number;
  level: number;
  method: 'pairs bootstrap over points (runs), percentile interval' | 'pairs bootstrap over points (runs) within each stratum, percentile interval';
  /**
   * Why the intervals were withheld (null when they stand): a percentile interval that excludes
   * its own point estimate says the resamples describe other data than the fit, so none is shown.
   */
  withheld: string | null;
}

export interface LeaveOneOutSummary {
  /** Prediction error (observed − predicted) at each left-out point, in the y unit; null where the refit was not identified. */
  errors: (number | null)[];
  rmse: number;
  maxAbs: number;
}

export type FitForm = 'steps' | 'saturating' | 'chinchilla' | 'data-constrained';

export interface FitResult<K extends string = string> {
  form: FitForm;
  /** The law in one line with the units of x, e.g. "L(S) = Linf + C·S^(−beta), S in steps". */
  formula: string;
  params: Record<K, number>;
  /** Parameters held fixed by the caller (they have no interval). */
  fixed: Partial<Record<K, number>>;
  /** Bootstrap percentile intervals per free parameter; null when not computed or not identified. */
  intervals: Record<K, Interval | null>;
  /** observed − predicted at each input point, in the order given, in the y unit. */
  residuals: number[];
  rmse: number;
  n: number;
  /** n − free parameters (may be negative). */
  dof: number;
  determination: Determination;
  /** The minimised objective (sum of squares, or the Huber sum for the joint law). */
  objective: number;
  bootstrap: BootstrapSummary | null;
  loo: LeaveOneOutSummary | null;
  warnings: string[];
  /**
   * Why nothing was fitted (null when the fit has finite values for every free parameter): too
   * few distinct points, or no solution. A fit with a failure is never a result; `bitscale fit
   * --csv` exits 1 with it and predict never uses it.
   */
  failure: string | null;
  /**
   * Why this law must not be used beyond its points (null when it may): an exponent far past any
   * measured one, or one pinned on its search bound. Such a law is shown, never used to predict.
   */
  noExtrapolation: string | null;
  /** Solver details: iterations, starts, whether the exponent sits on its search bound. */
  diagnostics: Record<string, number | boolean | string>;
  /**
   * Bootstrap parameter draws (each in `paramOrder`), kept for prediction intervals. Not written to
   * fits/*.json (see `withoutSamples`).
   */
  samples?: number[][];
  paramOrder: K[];
}

/**
 * A deep copy without the bootstrap draws (`samples` at any depth) and with non-finite numbers as
 * null: the JSON form of a fit, a suite or a prediction (what fits/*.json and --json hold).
 */
export function withoutSamples<T>(value: T): T {
  return JSON.parse(JSON.stringify(value, (k, v) => (k === 'samples' ? undefined : v)));
}

/** Residual this small against the data (relative) is zero to rounding: the curve passes through its points. */
export const ROUNDING = 1e-9;

/**
 * How a fit was determined, in words: over- or under-determined, "exactly determined" only when
 * the curve passes through its points (residuals zero to rounding), and otherwise "as many points
 * as parameters" (nothing tests it, yet it leaves a residual).
 */
export function determinationLabel(fit: Pick<FitResult, 'determination' | 'residuals'>, observed?: readonly number[]): string {
  if (fit.determination === 'over') return 'over-determined';
  if (fit.determination === 'under') return 'under-determined';
  const worst = Math.max(...fit.residuals.map(Math.abs));
  const scale = observed && observed.length ? Math.max(...observed.map(Math.abs)) : 1;
  return Number.isFinite(worst) && worst > ROUNDING * scale ? 'as many points as parameters, not passing through them' : 'exactly determined';
}
