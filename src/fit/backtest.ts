/**
 * The backtest: can the laws fitted on a ladder's smaller sizes predict its largest size? Within
 * one analysis group, every run of the largest parameter count is held out; the joint law
 * L(N, D) = E + A/N^α + B/D^β is fitted on the other sizes (all their budgets), and so is the
 * matched-budget size law A + B/N^α at every budget (steps, batch size, context) that has three or
 * more smaller sizes. Each held-out run is then predicted from them and compared with what it
 * measured.
 *
 * The interval is a prediction interval for a new run, not the parameter bootstrap's confidence
 * interval of the mean curve that the fit tables give (which says where the law's curve lies, not
 * where a run lands). It is the classical prediction interval of a nonlinear regression (Seber &
 * Wild 1989, "Nonlinear Regression", §5.12.1), taken at the joint law's (Huber) fit, in log space
 * where that law is fitted:
 *   ln L̂(x₀) ± t_{(1+level)/2, n−p} · s · sqrt(1 + g₀ᵀ (JᵀJ)⁻¹ g₀),
 * p the law's free parameters (5; 4 when the chosen form has no floor), s² = Σ r_i² / (n − p)
 * from the fit's log residuals, J the Jacobian of ln L̂ in the fitted
 * coordinates (ln A, ln B, ln E, α, β) at the fitted runs, g₀ its row at the held-out run. The 1
 * holds the run-to-run scatter, g₀ᵀ(JᵀJ)⁻¹g₀ the law's uncertainty out at the held-out size, and
 * Student's t the uncertainty of s itself with few runs. On synthetic ladders with known
 * parameters (test/fit/backtest.test.ts) its 80% interval held 78–80% of held-out runs at noise
 * 0.005–0.02 bits (300 runs each); bootstrap variants tried first held 65–75% (a residual or the
 * fits' pairs bootstrap of the curve, plus noise) or 87–91% (a bootstrap-t over pairs). The range
 * over laws is the interval ∪ the size law's value at the same budget, as in `predict`: the
 * uncertainty of the law's form, which no interval of one law holds.
 */
import type { RunRecord } from '../runs/types.js';
import { analysisGroupKey, analysisGroups, byCodePoint, fitGroups, groupRecipe, mainFitGroup, recipeLabel } from '../runs/table.js';
import { BitscaleError } from '../util/errors.js';
import { formatCount, formatSteps } from '../util/format.js';
import { chinchillaLoss, DEFAULT_HUBER_DELTA, fitChinchillaLaw, type ChinchillaFit, type ChinchillaParams, type ExponentGrid, type JointFloor, type JointPoint, jointParameterCount } from './chinchilla.js';
import { fitSaturatingPowerLaw, MILLION, saturatingLoss, type SaturatingFit } from './saturating.js';
import { mean, studentTQuantile } from './stats.js';
import { fitSelectedJointLaw } from './select.js';
import { Matrix, pseudoInverse } from 'ml-matrix';

/** One run as the backtest sees it: its size, its budget and what it measured. */
export interface BacktestRun {
  id: string;
  /** Parameter count N. */
  params: number;
  steps: number;
  batchSize: number;
  seqLen: number;
  /** Training tokens D. */
  tokens: number;
  /** Final validation loss, in the group's loss unit. */
  loss: number;
}

export interface BacktestOptions {
  /** Coverage of the prediction interval (default 0.8). */
  level?: number;
  /** Exponent grid of the joint law's fit (default JOINT_EXPONENT_GRID, as the report's own joint laws). */
  grid?: ExponentGrid;
  /** Huber δ of the joint law (default 1e-3, as everywhere). */
  delta?: number;
}

export const BACKTEST_DEFAULT_LEVEL = 0.8;

/** Sizes the laws are fitted on, at least: the size law has three free parameters. */
export const BACKTEST_MIN_SIZES = 3;

/** The interval's method, in one line (the report and --json state it). */
export const BACKTEST_INTERVAL_METHOD =
  'prediction interval of a nonlinear regression (Seber & Wild 1989, §5.12.1) at the joint law\'s fit, in log space: ln L̂ ± t(n − p) · s · sqrt(1 + g₀ᵀ(JᵀJ)⁻¹g₀), p the law\'s free parameters (5, or 4 with no floor), s from the fit\'s log residuals, J the law\'s Jacobian at the fitted runs';

/** A matched budget's size law A + B/N^α (A fitted), from the smaller sizes only. */
export interface BacktestSizeLaw {
  steps: number;
  batchSize: number;
  seqLen: number;
  tokens: number;
  /** The distinct sizes it was fitted on. */
  sizes: number[];
  runIds: string[];
  fit: SaturatingFit;
  /** Why its value is not used in the range over laws (a failed or flagged fit); null when it is. */
  notUsed: string | null;
}

export interface BacktestPoint {
  runId: string;
  params: number;
  steps: number;
  batchSize: number;
  seqLen: number;
  tokens: number;
  measured: number;
  /** The joint law's value at (N, D). */
  predicted: number;
  /** (predicted − measured) / measured. */
  relativeError: number;
  /** The prediction interval; null when the fit leaves no residual degree of freedom. */
  interval: { level: number; lo: number; hi: number } | null;
  intervalHolds: boolean | null;
  /** The size law's value at this budget; null when the budget has no usable size law (`sizeLawNote` says why). */
  sizeLaw: number | null;
  sizeLawNote: string | null;
  /** The interval ∪ the size law's value (the range over laws); null without an interval. */
  range: { lo: number; hi: number } | null;
  rangeHolds: boolean | null;
}

export interface Backtest {
  /** analysisGroupKey of the runs, or null for plain points. */
  group: string | null;
  heldOut: { params: number; runIds: string[] };
  fitted: { sizes: number[]; runIds: string[] };
  /** Held-out N / the largest fitted N. */
  extrapolationFactor: number;
  /** The held-out runs' largest D / the largest fitted D: above 1, the backtest also extrapolates in D. */
  tokensFactor: number;
  joint: ChinchillaFit;
  sizeLaws: BacktestSizeLaw[];
  points: BacktestPoint[];
  summary: {
    points: number;
    meanAbsRelativeError: number;
    maxAbsRelativeError: number;
    /** Points whose interval held the measured value, of those with an interval. */
    intervalHeld: number;
    withInterval: number;
    rangeHeld: number;
    withRange: number;
  };
  /** How the interval was made: its level, the residual degrees of freedom n − p, Student's t and the log residual scale s (null without an interval). */
  interval: { method: string; level: number; dof: number; t: number | null; logScale: number | null };
  /**
   * The same interval's coverage with every size of these runs held out in turn (leaveOneSizeOut);
   * null with fewer than BACKTEST_MIN_SIZES + 1 sizes.
   */
  coverage: Coverage | null;
  warnings: string[];
}

/** "1 run" / "3 runs". */
const runsText = (n: number) => `${n} run${n === 1 ? '' : 's'}`;

/** Why these runs cannot be backtested (null when they can): fewer than three distinct sizes once the largest is held out. */
export function backtestRefusal(runs: readonly Pick<BacktestRun, 'params'>[]): string | null {
  const sizes = [...new Set(runs.map((r) => r.params))].sort((a, b) => a - b);
  if (sizes.length - 1 < BACKTEST_MIN_SIZES) {
    const left = sizes.slice(0, -1);
    return `the backtest holds out the largest size and needs at least ${BACKTEST_MIN_SIZES} smaller sizes to fit on; ${runsText(runs.length)} at ${sizes.length} size(s) (${sizes.map((n) => formatCount(n)).join(', ') || 'none'}) leave ${left.length} (${left.map((n) => formatCount(n)).join(', ') || 'none'})`;
  }
  return null;
}


const budgetKey = (r: Pick<BacktestRun, 'steps' | 'batchSize' | 'seqLen'>) => `${r.steps}|${r.batchSize}|${r.seqLen}`;

/** The size law at each budget (steps, batch size, context) of the fitted runs that has ≥ 3 sizes. */
function sizeLaws(fitted: readonly BacktestRun[]): BacktestSizeLaw[] {
  const byBudget = new Map<string, BacktestRun[]>();
  for (const r of fitted) byBudget.set(budgetKey(r), [...(byBudget.get(budgetKey(r)) ?? []), r]);
  const out: BacktestSizeLaw[] = [];
  for (const runs of byBudget.values()) {
    const sizes = [...new Set(runs.map((r) => r.params))].sort((a, b) => a - b);
    if (sizes.length < BACKTEST_MIN_SIZES) continue;
    const fit = fitSaturatingPowerLaw(
      runs.map((r) => ({ params: r.params, valBpc: r.loss })),
      { nUnit: MILLION, bootstrap: false, loo: false },
    );
    const r0 = runs[0];
    out.push({ steps: r0.steps, batchSize: r0.batchSize, seqLen: r0.seqLen, tokens: r0.tokens, sizes, runIds: runs.map((r) => r.id), fit, notUsed: fit.failure ?? fit.noExtrapolation });
  }
  return out.sort((a, b) => a.tokens - b.tokens || a.steps - b.steps || a.batchSize - b.batchSize || a.seqLen - b.seqLen);
}

/** ∂ ln L̂ / ∂θ at (N, D) for θ = (ln A, ln B, ln E, α, β), the coordinates the law is fitted in. */
function logGradient(p: ChinchillaParams, params: number, tokens: number): number[] {
  const a = p.A * Math.pow(params, -p.alpha);
  const b = p.B * Math.pow(tokens, -p.beta);
  const l = p.E + a + b;
  return [a / l, b / l, p.E / l, (-Math.log(params) * a) / l, (-Math.log(tokens) * b) / l];
}

/**
 * The prediction interval at each target (see the module comment): in log space,
 * ln L̂(x₀) ± t_{(1+level)/2, n−5} · s · sqrt(1 + g₀ᵀ (JᵀJ)⁻¹ g₀). Null everywhere, with the
 * reason, when the fit leaves no residual degrees of freedom.
 */
function predictionIntervals(
  points: readonly JointPoint[],
  fit: ChinchillaParams,
  targets: readonly { params: number; tokens: number }[],
  level: number,
  floor: JointFloor = 'free',
): { intervals: ({ level: number; lo: number; hi: number } | null)[]; dof: number; t: number | null; scale: number | null; note: string | null } {
  const p = jointParameterCount(floor);
  const dof = points.length - p;
  if (dof < 1) return { intervals: targets.map(() => null), dof, t: null, scale: null, note: `no interval: ${points.length} runs leave no residual degree of freedom for the joint law's ${p} parameters` };
  const residuals = points.map((q) => Math.log(q.loss) - Math.log(chinchillaLoss(fit, q.params, q.tokens)));
  const scale = Math.sqrt(residuals.reduce((acc, r) => acc + r * r, 0) / dof);
  const J = new Matrix(points.map((q) => logGradient(fit, q.params, q.tokens)));
  // (JᵀJ)⁻¹ as a pseudo-inverse: E, A and α can trade off nearly exactly over a short ladder.
  const cov = pseudoInverse(J.transpose().mmul(J));
  const t = studentTQuantile((1 + level) / 2, dof);
  const intervals = targets.map((x) => {
    const g = Matrix.rowVector(logGradient(fit, x.params, x.tokens));
    const spread = g.mmul(cov).mmul(g.transpose()).get(0, 0);
    const centre = Math.log(chinchillaLoss(fit, x.params, x.tokens));
    const half = t * scale * Math.sqrt(1 + Math.max(spread, 0));
    return Number.isFinite(half) && Number.isFinite(centre) ? { level, lo: Math.exp(centre - half), hi: Math.exp(centre + half) } : null;
  });
  return { intervals, dof, t, scale, note: null };
}

/**
 * Backtest plain runs (one analysis group's): hold out every run of the largest N, fit on the rest,
 * predict the held-out runs. Throws BitscaleError with `backtestRefusal`'s reason when fewer than
 * three sizes remain, or when the joint law cannot be fitted on them.
 */
export function backtestRuns(runs: readonly BacktestRun[], options: BacktestOptions = {}, group: string | null = null): Backtest {
  const refusal = backtestRefusal(runs);
  if (refusal) throw new BitscaleError(refusal);
  const level = options.level ?? BACKTEST_DEFAULT_LEVEL;
  const delta = options.delta ?? DEFAULT_HUBER_DELTA;
  const largest = Math.max(...runs.map((r) => r.params));
  const order = (x: BacktestRun, y: BacktestRun) => x.params - y.params || x.tokens - y.tokens || byCodePoint(x.id, y.id);
  const held = runs.filter((r) => r.params === largest).sort(order);
  const fitted = runs.filter((r) => r.params !== largest).sort(order);
  const fittedSizes = [...new Set(fitted.map((r) => r.params))].sort((x, y) => x - y);
  const jointPoints = fitted.map((r) => ({ params: r.params, tokens: r.tokens, loss: r.loss }));
  // The form chosen by held-out sizes among the fitted runs only: the held-out size plays no part.
  const { fit: joint, floor } = fitSelectedJointLaw(jointPoints, { select: options.delta === undefined, delta, grid: options.grid, bootstrap: false, loo: false });
  if (joint.failure) throw new BitscaleError(`the joint law cannot be fitted on the ${fittedSizes.length} smaller sizes (${runsText(fitted.length)}): ${joint.failure}`);
  const warnings = [...joint.warnings];
  const laws = sizeLaws(fitted);
  const pi = predictionIntervals(jointPoints, joint.params, held, level, floor);
  if (pi.note) warnings.push(pi.note);
  const points: BacktestPoint[] = held.map((r, k) => {
    const predicted = chinchillaLoss(joint.params, r.params, r.tokens);
    const interval = pi.intervals[k];
    const law = laws.find((l) => budgetKey(l) === budgetKey(r));
    let sizeLaw: number | null = null;
    let sizeLawNote: string | null = null;
    if (!law) sizeLawNote = `no budget of ${formatSteps(r.steps)} steps, bs ${r.batchSize}, T ${r.seqLen} with ${BACKTEST_MIN_SIZES} smaller sizes`;
    else if (law.notUsed) sizeLawNote = `the size law at this budget is not used: ${law.notUsed}`;
    else {
      const v = saturatingLoss(law.fit.params, r.params, MILLION);
      if (Number.isFinite(v)) sizeLaw = v;
      else sizeLawNote = 'the size law gives no finite value here';
    }
    const ends = interval ? [interval.lo, interval.hi, ...(sizeLaw === null ? [] : [sizeLaw])] : [];
    const range = interval ? { lo: Math.min(...ends), hi: Math.max(...ends) } : null;
    return {
      runId: r.id,
      params: r.params,
      steps: r.steps,
      batchSize: r.batchSize,
      seqLen: r.seqLen,
      tokens: r.tokens,
      measured: r.loss,
      predicted,
      relativeError: (predicted - r.loss) / r.loss,
      interval,
      intervalHolds: interval ? interval.lo <= r.loss && r.loss <= interval.hi : null,
      sizeLaw,
      sizeLawNote,
      range,
      rangeHolds: range ? range.lo <= r.loss && r.loss <= range.hi : null,
    };
  });
  const abs = points.map((p) => Math.abs(p.relativeError));
  const withInterval = points.filter((p) => p.interval);
  const withRange = points.filter((p) => p.range);
  return {
    group,
    heldOut: { params: largest, runIds: held.map((r) => r.id) },
    fitted: { sizes: fittedSizes, runIds: fitted.map((r) => r.id) },
    extrapolationFactor: largest / fittedSizes[fittedSizes.length - 1],
    tokensFactor: Math.max(...held.map((r) => r.tokens)) / Math.max(...fitted.map((r) => r.tokens)),
    joint,
    sizeLaws: laws,
    points,
    summary: {
      points: points.length,
      meanAbsRelativeError: mean(abs),
      maxAbsRelativeError: Math.max(...abs),
      intervalHeld: withInterval.filter((p) => p.intervalHolds).length,
      withInterval: withInterval.length,
      rangeHeld: withRange.filter((p) => p.rangeHolds).length,
      withRange: withRange.length,
    },
    interval: { method: BACKTEST_INTERVAL_METHOD, level, dof: pi.dof, t: pi.t, logScale: pi.scale },
    coverage: leaveOneSizeOut(runs, options),
    warnings,
  };
}

/** A run record as the backtest sees it. */
export function backtestRunOf(r: RunRecord): BacktestRun {
  return { id: r.id, params: r.params, steps: r.steps, batchSize: r.batchSize, seqLen: r.seqLen, tokens: r.tokens, loss: r.finalValBpc };
}

export interface GroupBacktest {
  /** analysisGroupKey of the runs. */
  group: string;
  /** Their recipe (recipeLabel): a backtest, like every law, stays inside one fit group. */
  recipe: string;
  /** True for the analysis group's main recipe (mainFitGroup: most runs, then most sizes). */
  mainRecipe: boolean;
  dataset: string;
  arch: string;
  lossUnit: string;
  /** The backtest, or null with `refusal` saying why it could not be made. */
  backtest: Backtest | null;
  refusal: string | null;
}

/**
 * Backtest each fit group (analysis group and recipe, src/runs/table.ts fitGroupKey) of the given
 * runs, completed runs only (a running run's last point is no finished budget): a run of another
 * context, batch size or LR schedule never enters another recipe's backtest. The caller keeps
 * probes out (scalingRuns). Groups come in analysis-group order, the main recipe first; a group
 * that cannot be backtested comes back with its refusal rather than throwing, so that a report
 * can say why.
 */
export function backtestGroups(runs: readonly RunRecord[], options: BacktestOptions = {}): GroupBacktest[] {
  // analysisGroups orders the groups by key; backtestRuns orders each group's runs itself.
  return [...analysisGroups(runs.filter((r) => r.status === 'completed'))].flatMap(([, analysisRuns]) => {
    const recipes = fitGroups(analysisRuns);
    const main = mainFitGroup(recipes);
    return [...recipes].sort(([a], [b]) => Number(b === main) - Number(a === main)).map(([key, rs]) => {
      const group = analysisGroupKey(rs[0]);
      const base = { group, recipe: recipeLabel(groupRecipe(rs)), mainRecipe: key === main, dataset: rs[0].dataset, arch: rs[0].arch, lossUnit: rs[0].lossUnit };
      try {
        return { ...base, backtest: backtestRuns(rs.map(backtestRunOf), options, group), refusal: null };
      } catch (err) {
        if (err instanceof BitscaleError) return { ...base, backtest: null, refusal: err.message };
        throw err;
      }
    });
  });
}


/** One held-out run of a leave-one-size-out pass. */
export interface CoveragePoint {
  runId: string;
  params: number;
  tokens: number;
  measured: number;
  predicted: number;
  interval: { level: number; lo: number; hi: number } | null;
  holds: boolean | null;
}

export interface Coverage {
  level: number;
  /** Sizes held out in turn (each with at least BACKTEST_MIN_SIZES others to fit on). */
  sizes: number[];
  points: CoveragePoint[];
  /** Held-out runs whose interval held the measured value, of those with an interval. */
  held: number;
  withInterval: number;
  /** held / withInterval (NaN without any interval). */
  coverage: number;
  meanAbsRelativeError: number;
  /** Sizes that could not be held out, with why (a failed fit on the rest). */
  skipped: { params: number; reason: string }[];
  method: string;
}

/**
 * Empirical coverage of the joint law's prediction interval by leave-one-size-out: each distinct
 * N in turn is held out (every run of it), the law is fitted on the other sizes, and each held-out
 * run is predicted with the prediction interval of the backtest (see the module comment); the
 * coverage is the share of held-out runs inside their interval. A well-calibrated 80% interval
 * holds about 80%. Throws BitscaleError when fewer than BACKTEST_MIN_SIZES + 1 sizes exist.
 */
export function leaveOneSizeOut(runs: readonly BacktestRun[], options: BacktestOptions = {}): Coverage {
  const level = options.level ?? BACKTEST_DEFAULT_LEVEL;
  const delta = options.delta ?? DEFAULT_HUBER_DELTA;
  const sizes = [...new Set(runs.map((r) => r.params))].sort((a, b) => a - b);
  if (sizes.length < BACKTEST_MIN_SIZES + 1) throw new BitscaleError(`coverage by leave-one-size-out needs at least ${BACKTEST_MIN_SIZES + 1} sizes (each held out with ${BACKTEST_MIN_SIZES} left to fit on); ${runsText(runs.length)} at ${sizes.length} size(s)`);
  const points: CoveragePoint[] = [];
  const skipped: Coverage['skipped'] = [];
  for (const size of sizes) {
    const held = runs.filter((r) => r.params === size).sort((x, y) => x.tokens - y.tokens || byCodePoint(x.id, y.id));
    const fitted = runs.filter((r) => r.params !== size);
    const jointPoints = fitted.map((r) => ({ params: r.params, tokens: r.tokens, loss: r.loss }));
    const joint = fitChinchillaLaw(jointPoints, { delta, grid: options.grid, bootstrap: false, loo: false });
    if (joint.failure) {
      skipped.push({ params: size, reason: joint.failure });
      continue;
    }
    const pi = predictionIntervals(jointPoints, joint.params, held, level);
    held.forEach((r, k) => {
      const interval = pi.intervals[k];
      points.push({ runId: r.id, params: r.params, tokens: r.tokens, measured: r.loss, predicted: chinchillaLoss(joint.params, r.params, r.tokens), interval, holds: interval ? interval.lo <= r.loss && r.loss <= interval.hi : null });
    });
  }
  const withInterval = points.filter((p) => p.interval).length;
  const held = points.filter((p) => p.holds).length;
  return {
    level,
    sizes: sizes.filter((s) => !skipped.some((k) => k.params === s)),
    points,
    held,
    withInterval,
    coverage: withInterval ? held / withInterval : Number.NaN,
    meanAbsRelativeError: mean(points.map((p) => Math.abs(p.predicted - p.measured) / p.measured)),
    skipped,
    method: `each size held out in turn, the joint law fitted on the others, each held-out run predicted with the ${Math.round(level * 100)}% ${BACKTEST_INTERVAL_METHOD}`,
  };
}
