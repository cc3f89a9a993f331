/**
 * The backtest: can the laws fitted on a ladder's smaller sizes predict its largest size? Within
 * one analysis group, every run of the largest parameter count is held out; the joint law
 * L(N, D) = E + A/N^α + B/D^β is fitted on the other sizes (all their budgets), and so is the
 * matched-budget size law A + B/N^α at every budget (steps, batch size, context) that has three or
 * more smaller sizes. Each held-out run is then predicted from them and compared with what it
 * measured.
 *
 * The interval is a prediction interval for a new run, not the parameter bootstrap's confidence
 * interval of the mean curve (which says where the law's curve lies, not where a run lands). It is
 * a bootstrap-t prediction interval (Davison & Hinkley 1997, "Bootstrap methods and their
 * application", §6.3.3) in log space, where the joint law is fitted: each resample draws the
 * fitted runs with replacement (pairs, as the fits' own bootstrap), refits from the full fit's
 * optimum and predicts the held-out point; its error against the full fit's value plus a new noise
 * draw (from the fit's leverage-corrected log residuals) is divided by the resample's own residual
 * scale; the interval is the prediction minus the full fit's residual scale times that pivot's
 * quantiles. So it holds the law's uncertainty out at the held-out size, the run-to-run scatter
 * and how uncertain that scatter is with a dozen runs. On synthetic ladders with known parameters
 * the 80% interval covers 81–91% of held-out runs (noise 0.005–0.02 bits; test/fit/backtest.test.ts);
 * a residual bootstrap (with or without the pivot) covered only 65–71% at noise 0.01–0.02. The range over laws is the interval
 * ∪ the size law's value at the same budget, as in `predict`.
 */
import type { RunRecord } from '../runs/types.js';
import { analysisGroupKey, byCodePoint } from '../runs/table.js';
import { BitscaleError } from '../util/errors.js';
import { formatCount } from '../util/format.js';
import { chinchillaLoss, DEFAULT_HUBER_DELTA, fitChinchillaLaw, solveChinchilla, type ChinchillaFit, type ChinchillaParams, type JointPoint, type StartGrid } from './chinchilla.js';
import { fitSaturatingPowerLaw, MILLION, saturatingLoss, type SaturatingFit } from './saturating.js';
import { mean, quantile, seededRandom } from './stats.js';
import { Matrix, pseudoInverse } from 'ml-matrix';
import { SUITE_START_GRID } from './suite.js';

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
  /** Residual-bootstrap resamples (default 200), seed (default 1) and level (default 0.8). */
  bootstrap?: { count?: number; seed?: number; level?: number };
  /** Start grid of the joint law's fit (default SUITE_START_GRID, 243 starts; the resamples start at its optimum). */
  grid?: StartGrid;
  delta?: number;
}

export const BACKTEST_DEFAULTS = { count: 200, seed: 1, level: 0.8 } as const;

/** Sizes the laws are fitted on, at least: the size law has three free parameters. */
export const BACKTEST_MIN_SIZES = 3;

/** The interval's method, in one line (the report and --json state it). */
export const BACKTEST_INTERVAL_METHOD =
  'bootstrap-t prediction interval (Davison & Hinkley 1997, §6.3.3): the fitted runs resampled with replacement and refitted; each refit\'s log prediction error against the fit plus a new draw of its leverage-corrected log residuals, divided by the refit\'s own residual scale, gives the quantiles';

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
  /** The prediction interval; null when too few resamples were usable. */
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
  interval: { method: string; level: number; requested: number; used: number; seed: number };
  warnings: string[];
}

/** "1 run" / "3 runs". */
const runsText = (n: number) => `${n} run${n === 1 ? '' : 's'}`;

/**
 * Why these runs cannot be backtested (null when they can): fewer than three distinct sizes once
 * the largest is held out, or no other budget than the held-out size's.
 */
export function backtestRefusal(runs: readonly Pick<BacktestRun, 'params'>[]): string | null {
  const sizes = [...new Set(runs.map((r) => r.params))].sort((a, b) => a - b);
  if (sizes.length - 1 < BACKTEST_MIN_SIZES) {
    const left = sizes.slice(0, -1);
    return `the backtest holds out the largest size and needs at least ${BACKTEST_MIN_SIZES} smaller sizes to fit on; ${runsText(runs.length)} at ${sizes.length} size(s) (${sizes.map((n) => formatCount(n)).join(', ') || 'none'}) leave ${left.length} (${left.map((n) => formatCount(n)).join(', ') || 'none'})`;
  }
  return null;
}

/** θ = (ln A, ln B, ln E, α, β): the joint law's solver coordinates. */
function thetaOf(p: ChinchillaParams): number[] {
  return [Math.log(p.A), Math.log(p.B), Math.log(p.E), p.alpha, p.beta];
}

function paramsOf(th: ArrayLike<number>): ChinchillaParams {
  return { E: Math.exp(th[2]), A: Math.exp(th[0]), B: Math.exp(th[1]), alpha: th[3], beta: th[4] };
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

/** ∂ ln L̂ / ∂θ at (N, D) for θ = (ln A, ln B, ln E, α, β). */
function logGradient(p: ChinchillaParams, params: number, tokens: number): number[] {
  const a = p.A * Math.pow(params, -p.alpha);
  const b = p.B * Math.pow(tokens, -p.beta);
  const l = p.E + a + b;
  return [a / l, b / l, p.E / l, (-Math.log(params) * a) / l, (-Math.log(tokens) * b) / l];
}

/** Leverages h_i = diag(J (JᵀJ)⁻¹ Jᵀ) of the law's log-space Jacobian at the points (0 where JᵀJ is singular). */
function leverages(points: readonly JointPoint[], p: ChinchillaParams): number[] {
  const J = new Matrix(points.map((q) => logGradient(p, q.params, q.tokens)));
  let inv: Matrix;
  try {
    inv = pseudoInverse(J.transpose().mmul(J));
  } catch {
    return points.map(() => 0);
  }
  return points.map((_, i) => {
    const row = J.getRowVector(i);
    const v = row.mmul(inv).mmul(row.transpose()).get(0, 0);
    return Number.isFinite(v) ? Math.min(Math.max(v, 0), 1) : 0;
  });
}

/**
 * Bootstrap prediction intervals at `targets` (see the module comment). Returns, per target, the
 * interval in loss units (null when fewer than 20 resamples were usable), and how many were.
 */
function predictionIntervals(
  points: readonly JointPoint[],
  fit: ChinchillaParams,
  targets: readonly { params: number; tokens: number }[],
  o: { count: number; seed: number; level: number; delta: number },
): { intervals: ({ level: number; lo: number; hi: number } | null)[]; used: number } {
  const n = points.length;
  const p = 5;
  const logResiduals = (law: ChinchillaParams, qs: readonly JointPoint[]) => qs.map((q) => Math.log(q.loss) - Math.log(chinchillaLoss(law, q.params, q.tokens)));
  /** The residual scale with n − 5 degrees of freedom. */
  const scaleOf = (r: number[]) => Math.sqrt(r.reduce((acc, v) => acc + v * v, 0) / Math.max(r.length - p, 1));
  const raw = logResiduals(fit, points);
  // New noise is drawn from the modified residuals r_i / sqrt(1 − h_i), centred (D&H eq. 6.9):
  // the fit pulls each residual towards zero by its leverage h_i.
  const h = leverages(points, fit);
  const modified = raw.map((r, i) => r / Math.sqrt(Math.max(1 - h[i], 0.05)));
  const centre = mean(modified);
  const noisePool = modified.map((r) => r - centre);
  const random = seededRandom(o.seed);
  const start = [thetaOf(fit)];
  const targetLog = targets.map((t) => Math.log(chinchillaLoss(fit, t.params, t.tokens)));
  const pivots: number[][] = targets.map(() => []);
  let used = 0;
  for (let b = 0; b < o.count; b++) {
    const resample = points.map(() => points[Math.floor(random() * n)]);
    const noise = targets.map(() => noisePool[Math.floor(random() * n)]);
    // A resample needs more distinct runs than the law has parameters to have a residual scale.
    if (new Set(resample.map((q) => `${q.params}|${q.tokens}`)).size <= p) continue;
    const sol = solveChinchilla(resample, { delta: o.delta, starts: start });
    if (!sol || !sol.theta.every(Number.isFinite)) continue;
    const star = paramsOf(sol.theta);
    const preds = targets.map((t) => Math.log(chinchillaLoss(star, t.params, t.tokens)));
    const sStar = scaleOf(logResiduals(star, resample));
    if (!preds.every(Number.isFinite) || !(sStar > 0)) continue;
    used++;
    // This resample's prediction error at the target (against the full fit's value plus new
    // noise), in units of the resample's own residual scale: a bootstrap-t pivot, so that the
    // interval also carries how uncertain the scatter itself is with few runs.
    preds.forEach((v, k) => pivots[k].push((v - (targetLog[k] + noise[k])) / sStar));
  }
  const s = scaleOf(raw);
  const intervals = targets.map((_, k) => {
    if (pivots[k].length < 20) return null;
    return { level: o.level, lo: Math.exp(targetLog[k] - s * quantile(pivots[k], (1 + o.level) / 2)), hi: Math.exp(targetLog[k] - s * quantile(pivots[k], (1 - o.level) / 2)) };
  });
  return { intervals, used };
}

/**
 * Backtest plain runs (one analysis group's): hold out every run of the largest N, fit on the rest,
 * predict the held-out runs. Throws BitscaleError with `backtestRefusal`'s reason when fewer than
 * three sizes remain, or when the joint law cannot be fitted on them.
 */
export function backtestRuns(runs: readonly BacktestRun[], options: BacktestOptions = {}, group: string | null = null): Backtest {
  const refusal = backtestRefusal(runs);
  if (refusal) throw new BitscaleError(refusal);
  const b = { count: options.bootstrap?.count ?? BACKTEST_DEFAULTS.count, seed: options.bootstrap?.seed ?? BACKTEST_DEFAULTS.seed, level: options.bootstrap?.level ?? BACKTEST_DEFAULTS.level };
  const delta = options.delta ?? DEFAULT_HUBER_DELTA;
  const largest = Math.max(...runs.map((r) => r.params));
  const order = (x: BacktestRun, y: BacktestRun) => x.params - y.params || x.tokens - y.tokens || byCodePoint(x.id, y.id);
  const held = runs.filter((r) => r.params === largest).sort(order);
  const fitted = runs.filter((r) => r.params !== largest).sort(order);
  const fittedSizes = [...new Set(fitted.map((r) => r.params))].sort((x, y) => x - y);
  const jointPoints = fitted.map((r) => ({ params: r.params, tokens: r.tokens, loss: r.loss }));
  const joint = fitChinchillaLaw(jointPoints, { delta, grid: options.grid ?? SUITE_START_GRID, bootstrap: false, loo: false });
  if (joint.failure) throw new BitscaleError(`the joint law cannot be fitted on the ${fittedSizes.length} smaller sizes (${runsText(fitted.length)}): ${joint.failure}`);
  const warnings = [...joint.warnings];
  const laws = sizeLaws(fitted);
  const pi = predictionIntervals(jointPoints, joint.params, held, { ...b, delta });
  if (pi.used < b.count * 0.5) warnings.push(`only ${pi.used} of ${b.count} bootstrap resamples gave a finite refit; the intervals are rough`);
  const points: BacktestPoint[] = held.map((r, k) => {
    const predicted = chinchillaLoss(joint.params, r.params, r.tokens);
    const interval = pi.intervals[k];
    const law = laws.find((l) => budgetKey(l) === budgetKey(r));
    let sizeLaw: number | null = null;
    let sizeLawNote: string | null = null;
    if (!law) sizeLawNote = `no budget of ${formatCount(r.steps, 0)} steps, bs ${r.batchSize}, T ${r.seqLen} with ${BACKTEST_MIN_SIZES} smaller sizes`;
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
    interval: { method: BACKTEST_INTERVAL_METHOD, level: b.level, requested: b.count, used: pi.used, seed: b.seed },
    warnings,
  };
}

/** A run record as the backtest sees it. */
export function backtestRunOf(r: RunRecord): BacktestRun {
  return { id: r.id, params: r.params, steps: r.steps, batchSize: r.batchSize, seqLen: r.seqLen, tokens: r.tokens, loss: r.finalValBpc };
}

export interface GroupBacktest {
  group: string;
  dataset: string;
  arch: string;
  lossUnit: string;
  /** The backtest, or null with `refusal` saying why it could not be made. */
  backtest: Backtest | null;
  refusal: string | null;
}

/**
 * Backtest each analysis group of the given runs (completed runs only: a running run's last point
 * is no finished budget). The caller keeps probes out (scalingRuns). A group that cannot be
 * backtested comes back with its refusal rather than throwing, so that a report can say why.
 */
export function backtestGroups(runs: readonly RunRecord[], options: BacktestOptions = {}): GroupBacktest[] {
  const completed = runs.filter((r) => r.status === 'completed');
  const groups = new Map<string, RunRecord[]>();
  for (const r of completed) groups.set(analysisGroupKey(r), [...(groups.get(analysisGroupKey(r)) ?? []), r]);
  return [...groups.entries()]
    .sort(([x], [y]) => byCodePoint(x, y))
    .map(([group, rs]) => {
      const base = { group, dataset: rs[0].dataset, arch: rs[0].arch, lossUnit: rs[0].lossUnit };
      try {
        return { ...base, backtest: backtestRuns(rs.map(backtestRunOf), options, group), refusal: null };
      } catch (err) {
        if (err instanceof BitscaleError) return { ...base, backtest: null, refusal: err.message };
        throw err;
      }
    });
}

