/**
 * Batch size and learning rate as laws (issue 30).
 *
 * **The critical batch** (McCandlish et al. 2018, "An Empirical Model of Large-Batch Training",
 * arXiv:1812.06162). To reach a loss L, the optimizer steps S and the examples E = B·S trade off as
 *     (S/S_min − 1)(E/E_min − 1) = 1,
 * which is the same as
 *     S(B) = S_min·(1 + B_noise/B),   B_noise = E_min/S_min = B_crit(L):
 * below B_crit, doubling the batch nearly halves the steps; above it, it buys almost nothing. Fitted
 * per target loss on the steps each batch size needed (criticalBatch): in ln S, since S spans
 * orders of magnitude, ln S = ln S_min + ln(1 + B_noise/B); for fixed B_noise, ln S_min is the
 * mean of ln S − ln(1 + B_noise/B), so only ln B_noise is searched (golden section on a bracket from
 * a grid). Its interval is the profile-likelihood one: every B_noise whose residual sum of squares
 * exceeds the minimum by at most t²((1+level)/2, n − 2) · RSS_min/(n − 2) (the F(1, n − 2) test).
 * An end that reaches the search range (B_noise → 0: steps do not fall with batch; → ∞: perfect
 * scaling over the measured batches) is reported open.
 *
 * The trend across targets or sizes (Kaplan et al. 2020 fit B_crit ∝ L^(−1/α_B)): B_noise =
 * coefficient · by^exponent, ordinary least squares of ln B_noise on ln by (criticalBatchTrend),
 * with a t interval for the exponent.
 *
 * **The best learning rate against batch size**: lr_opt ∝ B^γ. At each batch size (and model size,
 * budget), the loss over log-spaced learning rates is fitted by a parabola in log lr through the
 * best rate and its two neighbours, whose vertex is lr_opt (optimalLr; a best rate at the grid's
 * edge gives only a bound and is left out of the law). Then ln lr_opt = a_g + γ·ln B by least
 * squares with one intercept per group (a model size and budget) and one common γ (lrBatchLaw),
 * with a t interval; the √ rule is γ = 0.5.
 */
import { studentTQuantile } from './stats.js';
import type { Interval } from './types.js';

/** One batch size's steps to a target loss. */
export interface BatchSteps {
  batch: number;
  steps: number;
}

export interface CriticalBatchFit {
  sMin: number;
  bNoise: number;
  /** Profile-likelihood interval of B_noise; an open end is 0 (lo) or +∞ (hi). */
  interval: Interval | null;
  n: number;
  dof: number;
  /** RMSE of ln S. */
  logRmse: number;
  /** Why no fit (fewer than 3 distinct batch sizes, a non-positive value); null when fitted. */
  refusal: string | null;
}

/** ln B_noise is searched over this many decades either side of the measured batch sizes. */
const SEARCH_DECADES = 3;

function profile(points: readonly BatchSteps[], lnB: number): { rss: number; lnSMin: number } {
  const b = Math.exp(lnB);
  const shifts = points.map((p) => Math.log(p.steps) - Math.log1p(b / p.batch));
  const lnSMin = shifts.reduce((a, x) => a + x, 0) / shifts.length;
  return { rss: shifts.reduce((a, x) => a + (x - lnSMin) ** 2, 0), lnSMin };
}

/** Golden-section minimum of f on [lo, hi]. */
function goldenMin(f: (x: number) => number, lo: number, hi: number, tol = 1e-9): number {
  const g = (Math.sqrt(5) - 1) / 2;
  let a = lo;
  let b = hi;
  let c = b - g * (b - a);
  let d = a + g * (b - a);
  while (Math.abs(b - a) > tol) {
    if (f(c) < f(d)) b = d;
    else a = c;
    c = b - g * (b - a);
    d = a + g * (b - a);
  }
  return (a + b) / 2;
}

/** The x in [lo, hi] where f crosses `level` (f(lo) and f(hi) on either side), by bisection. */
function crossing(f: (x: number) => number, lo: number, hi: number, level: number): number {
  let a = lo;
  let b = hi;
  const below = f(a) <= level;
  for (let i = 0; i < 200 && b - a > 1e-10; i++) {
    const m = (a + b) / 2;
    if ((f(m) <= level) === below) a = m;
    else b = m;
  }
  return (a + b) / 2;
}

/** S(B) = S_min·(1 + B_noise/B) fitted in ln S (module comment). */
export function criticalBatch(points: readonly BatchSteps[], level = 0.8): CriticalBatchFit {
  const n = points.length;
  const empty = { sMin: Number.NaN, bNoise: Number.NaN, interval: null, n, dof: n - 2, logRmse: Number.NaN };
  const bad = points.find((p) => !(p.batch > 0 && p.steps > 0));
  if (bad) return { ...empty, refusal: `batch size and steps must be positive: got batch ${bad.batch}, steps ${bad.steps}` };
  const distinct = new Set(points.map((p) => p.batch)).size;
  if (distinct < 3) return { ...empty, refusal: `S(B) = S_min·(1 + B_noise/B) needs at least 3 distinct batch sizes to leave a degree of freedom; got ${distinct}` };
  const lnBatches = points.map((p) => Math.log(p.batch));
  const lo = Math.min(...lnBatches) - SEARCH_DECADES * Math.LN10;
  const hi = Math.max(...lnBatches) + SEARCH_DECADES * Math.LN10;
  const rss = (x: number) => profile(points, x).rss;
  // A grid first (the profile may have more than one dip), then golden section around the best node.
  const grid = Array.from({ length: 121 }, (_, i) => lo + ((hi - lo) * i) / 120);
  const k = grid.reduce((best, x, i) => (rss(x) < rss(grid[best]) ? i : best), 0);
  const lnB = goldenMin(rss, grid[Math.max(0, k - 1)], grid[Math.min(grid.length - 1, k + 1)]);
  const { rss: rssMin, lnSMin } = profile(points, lnB);
  const dof = n - 2;
  const t = studentTQuantile((1 + level) / 2, dof);
  const limit = rssMin + (t * t * rssMin) / dof;
  const lower = rss(lo) <= limit ? 0 : Math.exp(crossing(rss, lo, lnB, limit));
  const upper = rss(hi) <= limit ? Number.POSITIVE_INFINITY : Math.exp(crossing(rss, lnB, hi, limit));
  return { sMin: Math.exp(lnSMin), bNoise: Math.exp(lnB), interval: { level, lo: lower, hi: upper }, n, dof, logRmse: Math.sqrt(rssMin / n), refusal: null };
}

export interface PowerTrend {
  coefficient: number;
  exponent: number;
  /** t interval of the exponent; null with fewer than 3 points. */
  exponentInterval: Interval | null;
  n: number;
}

/** y = coefficient · x^exponent by least squares in logs (x, y > 0). */
export function powerTrend(points: readonly { x: number; y: number }[], level = 0.8): PowerTrend | null {
  const usable = points.filter((p) => p.x > 0 && p.y > 0 && Number.isFinite(p.y));
  const n = usable.length;
  if (n < 2 || new Set(usable.map((p) => p.x)).size < 2) return null;
  const xs = usable.map((p) => Math.log(p.x));
  const ys = usable.map((p) => Math.log(p.y));
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  const sxx = xs.reduce((a, x) => a + (x - mx) ** 2, 0);
  const slope = xs.reduce((a, x, i) => a + (x - mx) * (ys[i] - my), 0) / sxx;
  const intercept = my - slope * mx;
  let exponentInterval: Interval | null = null;
  if (n > 2) {
    const s2 = xs.reduce((a, x, i) => a + (ys[i] - intercept - slope * x) ** 2, 0) / (n - 2);
    const half = studentTQuantile((1 + level) / 2, n - 2) * Math.sqrt(s2 / sxx);
    exponentInterval = { level, lo: slope - half, hi: slope + half };
  }
  return { coefficient: Math.exp(intercept), exponent: slope, exponentInterval, n };
}

/** A run's eval curve, in steps and loss. */
export interface CurvePoint {
  step: number;
  loss: number;
}

/**
 * The steps a run needed to reach `target`: the first eval at or below it, interpolated linearly in
 * (ln step, loss) from the eval before; null when the run never reached it (or reached it at its
 * first eval, with nothing before to place the crossing).
 */
export function stepsToTarget(curve: readonly CurvePoint[], target: number): number | null {
  const sorted = [...curve].filter((p) => p.step > 0 && Number.isFinite(p.loss)).sort((a, b) => a.step - b.step);
  const i = sorted.findIndex((p) => p.loss <= target);
  if (i <= 0) return null;
  const [a, b] = [sorted[i - 1], sorted[i]];
  const f = (a.loss - target) / (a.loss - b.loss);
  return Math.exp(Math.log(a.step) + f * (Math.log(b.step) - Math.log(a.step)));
}

export interface OptimalLr {
  /** The vertex of the parabola in ln lr; the best measured rate where the fit is at the grid's edge. */
  lrOpt: number;
  /** True when the best measured rate is the smallest or largest tried: lr_opt is only bounded. */
  atEdge: 'low' | 'high' | null;
  /** The best measured rate and its loss. */
  best: { lr: number; loss: number };
}

/** The rates ascending (positive rate, finite loss) and the index of the lowest loss (the first of ties); k is 0 when there are none. */
export function ratesAroundBest(points: readonly { lr: number; loss: number }[]): { sorted: { lr: number; loss: number }[]; k: number } {
  const sorted = [...points].filter((p) => p.lr > 0 && Number.isFinite(p.loss)).sort((a, b) => a.lr - b.lr);
  return { sorted, k: sorted.reduce((best, p, i) => (p.loss < sorted[best].loss ? i : best), 0) };
}

/** The best rate and its two neighbours as x = ln lr and y = loss (0 < k < sorted.length − 1): the parabola optimalLr and lrCurvature read. */
export function parabolaAroundBest(sorted: readonly { lr: number; loss: number }[], k: number): { x: [number, number, number]; y: [number, number, number] } {
  const three = [sorted[k - 1], sorted[k], sorted[k + 1]];
  return { x: three.map((p) => Math.log(p.lr)) as [number, number, number], y: three.map((p) => p.loss) as [number, number, number] };
}

/** The best learning rate from losses at log-spaced rates (module comment); null with fewer than 3 rates. */
export function optimalLr(points: readonly { lr: number; loss: number }[]): OptimalLr | null {
  const { sorted, k } = ratesAroundBest(points);
  if (new Set(sorted.map((p) => p.lr)).size < 3) return null;
  const best = { lr: sorted[k].lr, loss: sorted[k].loss };
  if (k === 0) return { lrOpt: best.lr, atEdge: 'low', best };
  if (k === sorted.length - 1) return { lrOpt: best.lr, atEdge: 'high', best };
  // The parabola through three points in x = ln lr: its vertex.
  const {
    x: [x0, x1, x2],
    y: [y0, y1, y2],
  } = parabolaAroundBest(sorted, k);
  const num = (x1 - x0) ** 2 * (y1 - y2) - (x1 - x2) ** 2 * (y1 - y0);
  const den = (x1 - x0) * (y1 - y2) - (x1 - x2) * (y1 - y0);
  return { lrOpt: Math.exp(x1 - num / (2 * den)), atEdge: null, best };
}

export interface LrBatchLaw {
  gamma: number;
  interval: Interval | null;
  /** Whether the √ rule (γ = 0.5) lies inside the interval; null without one. */
  sqrtInside: boolean | null;
  /** One intercept per group: lr_opt = e^a · B^γ. */
  intercepts: { group: string; coefficient: number }[];
  n: number;
  dof: number;
}

/** ln lr_opt = a_group + γ·ln B with one common γ (module comment); null without two batch sizes in some group. */
export function lrBatchLaw(points: readonly { group: string; batch: number; lrOpt: number }[], level = 0.8): LrBatchLaw | null {
  const groups = [...new Set(points.map((p) => p.group))].sort();
  // Within-group centring: γ = Σ (x − x̄_g)(y − ȳ_g) / Σ (x − x̄_g)².
  const centred = groups.flatMap((g) => {
    const ps = points.filter((p) => p.group === g);
    const mx = ps.reduce((a, p) => a + Math.log(p.batch), 0) / ps.length;
    const my = ps.reduce((a, p) => a + Math.log(p.lrOpt), 0) / ps.length;
    return ps.map((p) => ({ g, mx, my, dx: Math.log(p.batch) - mx, dy: Math.log(p.lrOpt) - my }));
  });
  const sxx = centred.reduce((a, c) => a + c.dx * c.dx, 0);
  if (!(sxx > 0)) return null;
  const gamma = centred.reduce((a, c) => a + c.dx * c.dy, 0) / sxx;
  const n = points.length;
  const dof = n - groups.length - 1;
  let interval: Interval | null = null;
  if (dof > 0) {
    const s2 = centred.reduce((a, c) => a + (c.dy - gamma * c.dx) ** 2, 0) / dof;
    const half = studentTQuantile((1 + level) / 2, dof) * Math.sqrt(s2 / sxx);
    interval = { level, lo: gamma - half, hi: gamma + half };
  }
  const intercepts = groups.map((g) => {
    const c = centred.find((x) => x.g === g)!;
    return { group: g, coefficient: Math.exp(c.my - gamma * c.mx) };
  });
  return { gamma, interval, sqrtInside: interval ? interval.lo <= 0.5 && 0.5 <= interval.hi : null, intercepts, n, dof };
}
