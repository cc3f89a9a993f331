/**
 * Variable projection (Golub & Pereyra 1973, 2003) for every law that is linear in some of its
 * parameters: the prediction at point i is
 *   ŷᵢ(c, θ) = oᵢ(θ) + Σₖ cₖ·φᵢₖ(θ),
 * with c the linear coefficients (a floor E or A, the scales A, B, C) and θ the exponents (α, β).
 * The objective is Σᵢ wᵢ·ρ(rᵢ), either
 *   - 'squares':   rᵢ = ŷᵢ − yᵢ,        ρ(r) = r²                 (the step and size laws), or
 *   - 'log-huber': rᵢ = ln ŷᵢ − ln yᵢ,  ρ = Huber_δ(r) (r²/2 inside δ, δ(|r| − δ/2) beyond)
 *                                                          (the joint law, Hoffmann et al. 2022).
 * For fixed θ the best c is found exactly:
 *   - squares: one least-squares problem with sign constraints (cₖ ≥ 0 where asked), solved by
 *     trying the unconstrained solution and, if it breaks a sign, every active set (2^k of them,
 *     k ≤ 4): the lowest feasible one is the optimum of that convex problem;
 *   - log-huber: Gauss–Newton with iteratively reweighted least squares (Huber weights
 *     ωᵢ = wᵢ·min(1, δ/|rᵢ|)), each step the same constrained least squares, with step halving so
 *     that the objective never rises, started from the relative least-squares solution
 *     (min Σ wᵢ((ŷᵢ − yᵢ)/yᵢ)², the first-order form of the log residual) or from the previous
 *     θ's solution where that is lower; to convergence. Each step tries the Newton step for the
 *     current split of points inside and beyond δ first (exact once the split is right), and the
 *     IRLS step where that does not descend.
 * The profile F(θ) = min_c f(c, θ) is then searched over the exponents only: every point of a
 * coarse grid, then a polish from the best, inside the bounds: where the problem gives ∂φ/∂θ, a
 * projected BFGS with the profile's exact gradient (by the envelope theorem, ∂F/∂θⱼ = ∂f/∂θⱼ at
 * the optimal c(θ): Σᵢ wᵢ·ρ'(rᵢ)·∂rᵢ/∂θⱼ with c held), else Nelder–Mead (Lagarias et al. 1998).
 * A coefficient constrained to ≥ 0 may end exactly at 0 (E = 0: no floor), an optimum on the
 * boundary that a search in log coordinates can only approach.
 */

import { huber } from './stats.js';

export type VarProLoss = { kind: 'squares' } | { kind: 'log-huber'; delta: number };

/** A law linear in c for fixed θ. */
export interface VarProProblem {
  /** Observed values yᵢ (positive for 'log-huber'). */
  y: ArrayLike<number>;
  /** Weights wᵢ (default 1 each): a bootstrap resample counts a run drawn k times with weight k. */
  w?: ArrayLike<number>;
  /** Number of linear coefficients k (at most 4). */
  linear: number;
  /** Per coefficient: true when it must be ≥ 0. */
  nonNegative: readonly boolean[];
  /**
   * Fill φ (n·k, row-major: φ[i·k + j]) and the fixed part o (n; zeros when there is none) for the
   * exponents θ.
   */
  basis(theta: ArrayLike<number>, phi: Float64Array, offset: Float64Array): void;
  /**
   * Optional: fill dphi (n·k) and doffset (n) with ∂φ/∂θⱼ and ∂o/∂θⱼ. Given, the polish is a
   * projected BFGS on the profile with its exact gradient (see profileGradient); else Nelder–Mead.
   */
  basisDerivative?(theta: ArrayLike<number>, j: number, dphi: Float64Array, doffset: Float64Array): void;
  loss: VarProLoss;
}

/**
 * The points a resample `idx` selects (default: all, once each), each distinct index once with its
 * count as its weight wᵢ (a resample of n runs holds about 0.63·n distinct ones).
 */
export function weightedIndices(n: number, idx?: readonly number[]): { ix: number[]; w: Float64Array } {
  const counts = new Map<number, number>();
  for (const i of idx ?? Array.from({ length: n }, (_, j) => j)) counts.set(i, (counts.get(i) ?? 0) + 1);
  const ix = [...counts.keys()];
  return { ix, w: Float64Array.from(ix, (i) => counts.get(i)!) };
}

/** A 'log-huber' problem whose k linear coefficients are all ≥ 0 (the joint laws' E, A, B). */
export function nonNegativeLogHuber(y: Float64Array, w: Float64Array, k: number, delta: number, basis: VarProProblem['basis'], basisDerivative?: VarProProblem['basisDerivative']): VarProProblem {
  return { y, w, linear: k, nonNegative: new Array(k).fill(true), loss: { kind: 'log-huber', delta }, basis, basisDerivative };
}

export interface LinearSolution {
  c: Float64Array;
  /** Σ wᵢ·ρ(rᵢ); Infinity when no c gives a finite objective (e.g. a prediction ≤ 0 in log space). */
  objective: number;
  /** Gauss–Newton iterations (0 for squares). */
  iterations: number;
}

/** Fitted values ŷ = o + φ·c. */
function predictions(phi: Float64Array, offset: Float64Array, c: ArrayLike<number>, k: number, out: Float64Array): void {
  for (let i = 0; i < out.length; i++) {
    let s = offset[i];
    for (let j = 0; j < k; j++) s += phi[i * k + j] * c[j];
    out[i] = s;
  }
}

/**
 * min ½·xᵀHx + qᵀx with xⱼ ≥ 0 for the constrained j (H k × k, symmetric positive semi-definite,
 * k ≤ 4), written into `x`; false when no active set has a solution. Every active set is tried,
 * the unconstrained one first: the optimum of this convex problem is the stationary point of its
 * own active set, so the lowest feasible stationary point is the optimum. Each solve scales H to
 * unit diagonal (its columns differ by orders of magnitude: 1 against N^−α) and eliminates with
 * partial pivoting; a set whose scaled H is (numerically) singular is skipped.
 */
export function boxQp(H: Float64Array, q: Float64Array, k: number, nonNegative: readonly boolean[], x: Float64Array): boolean {
  let best = Infinity;
  let found = false;
  const trial = QP_TRIAL;
  let constrainedMask = 0;
  for (let j = 0; j < k; j++) if (nonNegative[j]) constrainedMask |= 1 << j;
  // zero: the coordinates held at 0, a subset of the constrained ones (0 first: all free).
  for (let zero = 0; zero < 1 << k; zero++) {
    if ((zero & ~constrainedMask) !== 0) continue;
    if (!solveOnFree(H, q, k, zero, trial)) continue;
    let feasible = true;
    for (let j = 0; j < k; j++) if (nonNegative[j] && trial[j] < 0) feasible = false;
    if (!feasible) continue;
    let v = 0;
    for (let a = 0; a < k; a++) {
      let hx = 0;
      for (let b = 0; b < k; b++) hx += H[a * k + b] * trial[b];
      v += trial[a] * (0.5 * hx + q[a]);
    }
    if (v < best) {
      best = v;
      found = true;
      for (let j = 0; j < k; j++) x[j] = trial[j];
    }
    // The unconstrained optimum, when feasible, is the optimum.
    if (zero === 0) break;
  }
  return found;
}

const QP_TRIAL = new Float64Array(8);
const QP_M = new Float64Array(8 * 9);
const QP_SCALE = new Float64Array(8);
const QP_FREE = new Int32Array(8);

/** H_FF·x_F = −q_F on the coordinates not in `zero` (bit mask), the others 0; false when singular. */
function solveOnFree(H: Float64Array, q: Float64Array, k: number, zero: number, x: Float64Array): boolean {
  let m = 0;
  for (let j = 0; j < k; j++) {
    x[j] = 0;
    if (!(zero & (1 << j))) QP_FREE[m++] = j;
  }
  if (m === 0) return true;
  const M = QP_M;
  const w = m + 1;
  for (let a = 0; a < m; a++) {
    const d = H[QP_FREE[a] * k + QP_FREE[a]];
    if (!(d > 0)) return false;
    QP_SCALE[a] = 1 / Math.sqrt(d);
  }
  for (let a = 0; a < m; a++) {
    for (let b = 0; b < m; b++) M[a * w + b] = H[QP_FREE[a] * k + QP_FREE[b]] * QP_SCALE[a] * QP_SCALE[b];
    M[a * w + m] = -q[QP_FREE[a]] * QP_SCALE[a];
  }
  for (let col = 0; col < m; col++) {
    let piv = col;
    for (let r = col + 1; r < m; r++) if (Math.abs(M[r * w + col]) > Math.abs(M[piv * w + col])) piv = r;
    // A unit-diagonal Gram matrix with a pivot this small has (numerically) dependent columns.
    if (!(Math.abs(M[piv * w + col]) > 1e-12)) return false;
    if (piv !== col)
      for (let j = 0; j < w; j++) {
        const t = M[col * w + j];
        M[col * w + j] = M[piv * w + j];
        M[piv * w + j] = t;
      }
    for (let r = col + 1; r < m; r++) {
      const f = M[r * w + col] / M[col * w + col];
      if (f !== 0) for (let j = col; j < w; j++) M[r * w + j] -= f * M[col * w + j];
    }
  }
  for (let a = m - 1; a >= 0; a--) {
    let s = M[a * w + m];
    for (let b = a + 1; b < m; b++) s -= M[a * w + b] * x[QP_FREE[b]];
    x[QP_FREE[a]] = s / M[a * w + a];
  }
  for (let a = 0; a < m; a++) {
    x[QP_FREE[a]] *= QP_SCALE[a];
    if (!Number.isFinite(x[QP_FREE[a]])) return false;
  }
  return true;
}

/** H = XᵀΩX and q = −XᵀΩt. */
function normalEquations(X: Float64Array, t: ArrayLike<number>, omega: ArrayLike<number>, k: number, H: Float64Array, q: Float64Array): void {
  H.fill(0);
  q.fill(0);
  for (let i = 0; i < t.length; i++) {
    const wi = omega[i];
    if (wi === 0) continue;
    const row = i * k;
    for (let a = 0; a < k; a++) {
      const xa = X[row + a] * wi;
      for (let b = a; b < k; b++) H[a * k + b] += xa * X[row + b];
      q[a] -= xa * t[i];
    }
  }
  for (let a = 0; a < k; a++) for (let b = 0; b < a; b++) H[a * k + b] = H[b * k + a];
}

/** Reusable buffers for one problem size, so that a grid of profile evaluations allocates once. */
interface Scratch {
  phi: Float64Array;
  offset: Float64Array;
  yhat: Float64Array;
  X: Float64Array;
  t: Float64Array;
  omega: Float64Array;
  lnY: Float64Array;
  w: Float64Array;
  H: Float64Array;
  q: Float64Array;
  next: Float64Array;
  trial: Float64Array;
  /** ∂φ/∂θⱼ and ∂o/∂θⱼ for the profile's gradient (n·k and n). */
  dphi: Float64Array;
  doffset: Float64Array;
  /** The last solution's coefficients (a warm start for the next, nearby θ); empty before the first. */
  last: Float64Array | null;
}

function scratchFor(p: VarProProblem): Scratch {
  const n = p.y.length;
  const k = p.linear;
  return {
    phi: new Float64Array(n * k),
    offset: new Float64Array(n),
    yhat: new Float64Array(n),
    X: new Float64Array(n * k),
    t: new Float64Array(n),
    omega: new Float64Array(n),
    lnY: Float64Array.from(p.y, (v) => (p.loss.kind === 'log-huber' ? Math.log(v) : v)),
    w: p.w ? Float64Array.from(p.w) : new Float64Array(n).fill(1),
    H: new Float64Array(k * k),
    q: new Float64Array(k),
    next: new Float64Array(k),
    trial: new Float64Array(k),
    dphi: new Float64Array(n * k),
    doffset: new Float64Array(n),
    last: null,
  };
}

/** The objective at ŷ (already in s.yhat). */
function objectiveAt(p: VarProProblem, s: Scratch): number {
  let f = 0;
  const y = p.y;
  for (let i = 0; i < s.yhat.length; i++) {
    if (s.w[i] === 0) continue;
    if (p.loss.kind === 'squares') {
      const r = s.yhat[i] - y[i];
      f += s.w[i] * r * r;
    } else {
      if (!(s.yhat[i] > 0)) return Infinity;
      f += s.w[i] * huber(Math.log(s.yhat[i]) - s.lnY[i], p.loss.delta);
    }
  }
  return f;
}

const GAUSS_NEWTON_MAX = 100;

/**
 * One step's target for the log-Huber inner problem at c (ŷ in s.yhat), as a box QP in the new
 * coefficients c': the Gauss–Newton model of ln ŷ, rᵢ + Jᵢ·(c' − c) with Jᵢⱼ = φᵢⱼ/ŷᵢ, under the
 * Huber loss with curvature 1 inside δ and, beyond it, `outer` times the IRLS curvature δ/|rᵢ|
 * (outer = 1: the IRLS step, a majoriser, always a descent direction; outer = 0: the Newton step
 * for the current split into points inside and beyond δ, exact once that split is the optimum's).
 */
function huberStepQp(p: VarProProblem, s: Scratch, c: Float64Array, delta: number, outer: number): void {
  const n = s.yhat.length;
  const k = p.linear;
  const H = s.H;
  const q = s.q;
  H.fill(0);
  q.fill(0);
  for (let i = 0; i < n; i++) {
    const wi = s.w[i];
    if (wi === 0) continue;
    const yh = s.yhat[i];
    const r = Math.log(yh) - s.lnY[i];
    const a = r < 0 ? -r : r;
    const inside = a <= delta;
    const psi = inside ? r : r > 0 ? delta : -delta;
    const h = inside ? 1 : outer * (delta / a);
    const row = i * k;
    for (let x = 0; x < k; x++) {
      const jx = s.phi[row + x] / yh;
      q[x] += wi * psi * jx;
      if (h !== 0) for (let y = x; y < k; y++) H[x * k + y] += wi * h * jx * (s.phi[row + y] / yh);
    }
  }
  for (let x = 0; x < k; x++) for (let y = 0; y < x; y++) H[x * k + y] = H[y * k + x];
  // In c': ½(c' − c)ᵀH(c' − c) + gᵀ(c' − c) = ½c'ᵀHc' + (g − Hc)ᵀc' + const.
  for (let x = 0; x < k; x++) {
    let hc = 0;
    for (let y = 0; y < k; y++) hc += H[x * k + y] * c[y];
    q[x] -= hc;
  }
}

/**
 * Move from c towards `target` with step halving until the objective does not rise; returns the
 * new objective (c updated, s.yhat at c), or NaN when no step of 40 halvings helps (c unchanged).
 */
function lineSearch(p: VarProProblem, s: Scratch, c: Float64Array, target: Float64Array, f: number): number {
  const k = p.linear;
  let step = 1;
  for (let h = 0; h < 40; h++) {
    for (let j = 0; j < k; j++) s.trial[j] = c[j] + step * (target[j] - c[j]);
    predictions(s.phi, s.offset, s.trial, k, s.yhat);
    const fNew = objectiveAt(p, s);
    if (fNew <= f) {
      c.set(s.trial);
      return fNew;
    }
    step *= 0.5;
  }
  predictions(s.phi, s.offset, c, k, s.yhat);
  return Number.NaN;
}

function solveLinearWith(p: VarProProblem, theta: ArrayLike<number>, s: Scratch): LinearSolution | null {
  const n = p.y.length;
  const k = p.linear;
  p.basis(theta, s.phi, s.offset);
  for (let i = 0; i < n * k; i++) if (!Number.isFinite(s.phi[i])) return null;
  const y = p.y;
  if (p.loss.kind === 'squares') {
    for (let i = 0; i < n; i++) s.t[i] = y[i] - s.offset[i];
    normalEquations(s.phi, s.t, s.w, k, s.H, s.q);
    const c = new Float64Array(k);
    if (!boxQp(s.H, s.q, k, p.nonNegative, c)) return null;
    predictions(s.phi, s.offset, c, k, s.yhat);
    return { c, objective: objectiveAt(p, s), iterations: 0 };
  }
  const delta = p.loss.delta;
  // Start: relative least squares, rows divided by yᵢ.
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < k; j++) s.X[i * k + j] = s.phi[i * k + j] / y[i];
    s.t[i] = (y[i] - s.offset[i]) / y[i];
  }
  normalEquations(s.X, s.t, s.w, k, s.H, s.q);
  const c = new Float64Array(k);
  if (!boxQp(s.H, s.q, k, p.nonNegative, c)) return null;
  predictions(s.phi, s.offset, c, k, s.yhat);
  let f = objectiveAt(p, s);
  // The previous solution (at a nearby θ during a polish), where it starts lower.
  if (s.last) {
    predictions(s.phi, s.offset, s.last, k, s.yhat);
    const fLast = objectiveAt(p, s);
    if (fLast < f) {
      f = fLast;
      c.set(s.last);
    } else predictions(s.phi, s.offset, c, k, s.yhat);
  }
  if (!Number.isFinite(f)) return null;
  let iterations = 0;
  while (iterations < GAUSS_NEWTON_MAX) {
    iterations++;
    // The Newton step for the current split first; where it is singular or does not help, IRLS.
    let fNew = Number.NaN;
    huberStepQp(p, s, c, delta, 0);
    if (boxQp(s.H, s.q, k, p.nonNegative, s.next)) fNew = lineSearch(p, s, c, s.next, f);
    if (!(fNew < f)) {
      huberStepQp(p, s, c, delta, 1);
      if (boxQp(s.H, s.q, k, p.nonNegative, s.next)) fNew = lineSearch(p, s, c, s.next, f);
    }
    if (!(fNew < f)) break;
    const gain = f - fNew;
    f = fNew;
    if (gain <= 1e-15 * f) break;
  }
  s.last = Float64Array.from(c);
  return { c, objective: f, iterations };
}

export interface ExponentSearch {
  /** Grid values per exponent (a single value holds that exponent fixed). */
  grid: readonly (readonly number[])[];
  /** Bounds [lo, hi] per exponent; the polish stays inside them. */
  bounds: readonly (readonly [number, number])[];
  /** Extra starting points compared with the grid's best (e.g. the full-data optimum for a refit). */
  starts?: readonly (readonly number[])[];
  /** The polish stops when its step (BFGS) or its simplex (Nelder–Mead) spans less than this in every exponent (default 1e-9). */
  tolerance?: number;
  /** Most profile evaluations in the polish (default 400). */
  maxEvaluations?: number;
}

export interface VarProSolution {
  theta: Float64Array;
  c: Float64Array;
  objective: number;
  /** Per exponent: true when the optimum sits on its bound (no interior optimum in that direction). */
  atBound: boolean[];
  /** Profile evaluations (each one exact linear solve). */
  evaluations: number;
  /** Gauss–Newton iterations summed over every linear solve. */
  iterations: number;
  /** The polish met its tolerance (false: it stopped at maxEvaluations). */
  converged: boolean;
}

function clampInto(theta: ArrayLike<number>, bounds: ExponentSearch['bounds'], out: Float64Array): number {
  let outside = 0;
  for (let j = 0; j < out.length; j++) {
    const [lo, hi] = bounds[j];
    const v = theta[j];
    const cl = v < lo ? lo : v > hi ? hi : v;
    outside += (v - cl) * (v - cl);
    out[j] = cl;
  }
  return outside;
}

/**
 * Minimise the profile F(θ) = min_c f(c, θ): every grid point (and extra start), then a polish
 * from the best on the free exponents: projected BFGS where the problem gives ∂φ/∂θ (and it can
 * take a first step), else Nelder–Mead with points outside the bounds evaluated at their
 * projection plus a penalty. Null when no grid point has a solution.
 */
export function solveVarPro(p: VarProProblem, search: ExponentSearch): VarProSolution | null {
  const s = scratchFor(p);
  const dims = search.grid.length;
  const clamped = new Float64Array(dims);
  let evaluations = 0;
  let iterations = 0;
  let best: { theta: Float64Array; sol: LinearSolution } | null = null;
  // Solve the linear part at θ (s.yhat then holds its fitted values) and keep the lowest point seen.
  const consider = (theta: Float64Array): LinearSolution | null => {
    evaluations++;
    const sol = solveLinearWith(p, theta, s);
    if (!sol) return null;
    iterations += sol.iterations;
    if (Number.isFinite(sol.objective) && (!best || sol.objective < best.sol.objective)) best = { theta: Float64Array.from(theta), sol: { ...sol, c: Float64Array.from(sol.c) } };
    return sol;
  };
  // The grid, in lexicographic order (deterministic ties: the first lowest point is kept).
  const idx = new Array<number>(dims).fill(0);
  const point = new Float64Array(dims);
  for (;;) {
    for (let j = 0; j < dims; j++) point[j] = search.grid[j][idx[j]];
    consider(point);
    let j = dims - 1;
    while (j >= 0 && ++idx[j] === search.grid[j].length) idx[j--] = 0;
    if (j < 0) break;
  }
  for (const st of search.starts ?? []) {
    clampInto(st, search.bounds, clamped);
    consider(Float64Array.from(clamped));
  }
  if (!best) return null;
  const free = Array.from({ length: dims }, (_, j) => j).filter((j) => search.grid[j].length > 1);
  let converged = true;
  if (free.length > 0) {
    const start = (best as { theta: Float64Array }).theta;
    const full = Float64Array.from(start);
    const profile = (x: Float64Array): number => {
      for (let a = 0; a < free.length; a++) full[free[a]] = x[a];
      const outside = clampInto(full, search.bounds, clamped);
      const v = consider(Float64Array.from(clamped))?.objective ?? Infinity;
      return outside > 0 ? v + outside * (1 + Math.abs(v)) : v;
    };
    const tolerance = search.tolerance ?? 1e-9;
    const maxEvaluations = search.maxEvaluations ?? 400;
    const polished = p.basisDerivative ? polishByGradient(p, s, search, free, start, consider, tolerance, maxEvaluations) : null;
    if (polished !== null) converged = polished;
    else {
      const steps = free.map((j) => {
        const [lo, hi] = search.bounds[j];
        return Math.max(Math.min(0.1 * Math.abs(start[j]), 0.05 * (hi - lo)), 1e-4);
      });
      const nm = minimizeNelderMead(profile, free.map((j) => start[j]), steps, { tolerance, maxEvaluations });
      converged = nm.converged;
    }
  }
  const b = best as { theta: Float64Array; sol: LinearSolution };
  const atBound = Array.from(b.theta, (v, j) => {
    const [lo, hi] = search.bounds[j];
    return search.grid[j].length > 1 && (Math.abs(v - lo) <= 1e-6 * Math.max(Math.abs(lo), 1e-3) || Math.abs(v - hi) <= 1e-6 * Math.max(Math.abs(hi), 1e-3));
  });
  return { theta: b.theta, c: b.sol.c, objective: b.sol.objective, atBound, evaluations, iterations, converged };
}

/**
 * ∂F/∂θⱼ for the free exponents at θ, from the linear solution c (s.yhat at it): by the envelope
 * theorem, Σᵢ wᵢ·ρ'(rᵢ)·∂ŷᵢ/∂θⱼ (squares: ρ' = 2r; log-huber: ψ(r)/ŷᵢ, ψ = r clipped to ±δ), with
 * ∂ŷᵢ/∂θⱼ = Σₖ cₖ·∂φᵢₖ/∂θⱼ + ∂oᵢ/∂θⱼ.
 */
function profileGradient(p: VarProProblem, s: Scratch, theta: Float64Array, c: Float64Array, free: readonly number[], out: Float64Array): void {
  const n = s.yhat.length;
  const k = p.linear;
  const dphi = s.dphi;
  const doff = s.doffset;
  for (let a = 0; a < free.length; a++) {
    p.basisDerivative!(theta, free[a], dphi, doff);
    let g = 0;
    for (let i = 0; i < n; i++) {
      if (s.w[i] === 0) continue;
      let dy = doff[i];
      for (let j = 0; j < k; j++) dy += c[j] * dphi[i * k + j];
      if (p.loss.kind === 'squares') g += s.w[i] * 2 * (s.yhat[i] - p.y[i]) * dy;
      else {
        const r = Math.log(s.yhat[i]) - s.lnY[i];
        const psi = r > p.loss.delta ? p.loss.delta : r < -p.loss.delta ? -p.loss.delta : r;
        g += (s.w[i] * psi * dy) / s.yhat[i];
      }
    }
    out[a] = g;
  }
}

/**
 * Projected BFGS on the profile over the free exponents, from `start` (the grid's best), inside
 * the bounds: a coordinate on its bound whose gradient points outward is held there; Armijo
 * backtracking along the projected step. Returns whether it converged (the projected step or
 * gradient below tolerance), or null when it could not take a first step (the caller falls back
 * to Nelder–Mead). `consider` evaluates F and keeps the lowest point seen.
 */
function polishByGradient(
  p: VarProProblem,
  s: Scratch,
  search: ExponentSearch,
  free: readonly number[],
  start: Float64Array,
  consider: (theta: Float64Array) => LinearSolution | null,
  tolerance: number,
  maxEvaluations: number,
): boolean | null {
  const m = free.length;
  const theta = Float64Array.from(start);
  const lo = free.map((j) => search.bounds[j][0]);
  const hi = free.map((j) => search.bounds[j][1]);
  // F and its gradient at theta (s.yhat and the solution refreshed by the evaluation).
  const evaluate = (th: Float64Array, g: Float64Array): number => {
    const sol = consider(Float64Array.from(th));
    if (!sol || !Number.isFinite(sol.objective)) return Infinity;
    profileGradient(p, s, th, sol.c, free, g);
    return sol.objective;
  };
  let g = new Float64Array(m);
  let f = evaluate(theta, g);
  if (!Number.isFinite(f)) return null;
  // Inverse Hessian approximation, started as a scaled identity.
  const H = new Float64Array(m * m);
  const resetH = (scale: number) => {
    H.fill(0);
    for (let a = 0; a < m; a++) H[a * m + a] = scale;
  };
  const gnorm = () => Math.sqrt(g.reduce((acc, v) => acc + v * v, 0));
  resetH(0.01 / Math.max(gnorm(), 1e-300));
  const x = new Float64Array(m);
  const d = new Float64Array(m);
  const xNew = new Float64Array(m);
  const thNew = new Float64Array(theta.length);
  let gNew = new Float64Array(m);
  let evals = 1;
  let took = false;
  for (let a = 0; a < m; a++) x[a] = theta[free[a]];
  while (evals < maxEvaluations) {
    // Coordinates held on a bound (gradient pushing out) take no step.
    const held = x.map((v, a) => ((v <= lo[a] && g[a] > 0) || (v >= hi[a] && g[a] < 0) ? 1 : 0));
    for (let a = 0; a < m; a++) {
      let v = 0;
      for (let b = 0; b < m; b++) if (!held[b]) v -= H[a * m + b] * g[b];
      d[a] = held[a] ? 0 : v;
    }
    let slope = 0;
    for (let a = 0; a < m; a++) slope += g[a] * d[a];
    if (!(slope < 0)) {
      // Not a descent direction: steepest descent on the free coordinates, H reset.
      resetH(0.01 / Math.max(gnorm(), 1e-300));
      slope = 0;
      for (let a = 0; a < m; a++) {
        d[a] = held[a] ? 0 : -H[a * m + a] * g[a];
        slope += g[a] * d[a];
      }
      if (!(slope < 0)) return took ? true : null;
    }
    let step = 1;
    let fNew = Infinity;
    let accepted = false;
    for (let ls = 0; ls < 40 && evals < maxEvaluations; ls++) {
      for (let a = 0; a < m; a++) xNew[a] = Math.min(hi[a], Math.max(lo[a], x[a] + step * d[a]));
      thNew.set(theta);
      for (let a = 0; a < m; a++) thNew[free[a]] = xNew[a];
      fNew = evaluate(thNew, gNew);
      evals++;
      let decrease = 0;
      for (let a = 0; a < m; a++) decrease += g[a] * (xNew[a] - x[a]);
      if (fNew <= f + 1e-4 * Math.min(decrease, 0)) {
        accepted = true;
        break;
      }
      step *= 0.5;
    }
    if (!accepted) return took ? true : null;
    took = true;
    let moved = 0;
    let sy = 0;
    const sv = new Float64Array(m);
    const yv = new Float64Array(m);
    for (let a = 0; a < m; a++) {
      sv[a] = xNew[a] - x[a];
      yv[a] = gNew[a] - g[a];
      moved = Math.max(moved, Math.abs(sv[a]));
      sy += sv[a] * yv[a];
    }
    // BFGS update of the inverse Hessian (skipped when sᵀy ≤ 0, which would break positive definiteness).
    if (sy > 1e-300) {
      const Hy = new Float64Array(m);
      for (let a = 0; a < m; a++) for (let b = 0; b < m; b++) Hy[a] += H[a * m + b] * yv[b];
      let yHy = 0;
      for (let a = 0; a < m; a++) yHy += yv[a] * Hy[a];
      for (let a = 0; a < m; a++)
        for (let b = 0; b < m; b++) H[a * m + b] += ((sy + yHy) * sv[a] * sv[b]) / (sy * sy) - (Hy[a] * sv[b] + sv[a] * Hy[b]) / sy;
    }
    const gain = f - fNew;
    x.set(xNew);
    theta.set(thNew);
    const swap = g;
    g = gNew;
    gNew = swap;
    f = fNew;
    if (moved <= tolerance || gain <= 1e-15 * Math.max(f, 1e-300)) return true;
  }
  return false;
}

/**
 * Nelder–Mead simplex minimisation with the standard coefficients (reflection 1, expansion 2,
 * contraction ½, shrink ½; Lagarias et al. 1998), from x0 with initial steps per coordinate. Stops
 * when every vertex lies within `tolerance` of the best in every coordinate, or after maxEvaluations.
 */
export function minimizeNelderMead(f: (x: Float64Array) => number, x0: readonly number[], steps: readonly number[], options: { tolerance: number; maxEvaluations: number }): { x: Float64Array; f: number; evaluations: number; converged: boolean } {
  const d = x0.length;
  let evaluations = 0;
  const evalAt = (x: Float64Array) => {
    evaluations++;
    const v = f(x);
    return Number.isFinite(v) ? v : Infinity;
  };
  const verts: Float64Array[] = [Float64Array.from(x0)];
  for (let j = 0; j < d; j++) {
    const v = Float64Array.from(x0);
    v[j] += steps[j];
    verts.push(v);
  }
  const vals = verts.map(evalAt);
  const order = () => {
    const ix = verts.map((_, i) => i).sort((a, b) => vals[a] - vals[b] || a - b);
    const vs = ix.map((i) => verts[i]);
    const fs = ix.map((i) => vals[i]);
    verts.splice(0, verts.length, ...vs);
    vals.splice(0, vals.length, ...fs);
  };
  const centroid = new Float64Array(d);
  const along = (k: number) => {
    const x = new Float64Array(d);
    for (let j = 0; j < d; j++) x[j] = centroid[j] + k * (verts[d][j] - centroid[j]);
    return x;
  };
  let converged = false;
  while (evaluations < options.maxEvaluations) {
    order();
    let spread = 0;
    for (let i = 1; i <= d; i++) for (let j = 0; j < d; j++) spread = Math.max(spread, Math.abs(verts[i][j] - verts[0][j]));
    if (spread <= options.tolerance) {
      converged = true;
      break;
    }
    centroid.fill(0);
    for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) centroid[j] += verts[i][j] / d;
    const xr = along(-1);
    const fr = evalAt(xr);
    if (fr < vals[0]) {
      const xe = along(-2);
      const fe = evalAt(xe);
      if (fe < fr) {
        verts[d] = xe;
        vals[d] = fe;
      } else {
        verts[d] = xr;
        vals[d] = fr;
      }
      continue;
    }
    if (fr < vals[d - 1]) {
      verts[d] = xr;
      vals[d] = fr;
      continue;
    }
    const outside = fr < vals[d];
    const xc = along(outside ? -0.5 : 0.5);
    const fc = evalAt(xc);
    if (fc < (outside ? fr : vals[d])) {
      verts[d] = xc;
      vals[d] = fc;
      continue;
    }
    for (let i = 1; i <= d; i++) {
      for (let j = 0; j < d; j++) verts[i][j] = verts[0][j] + 0.5 * (verts[i][j] - verts[0][j]);
      vals[i] = evalAt(verts[i]);
    }
  }
  order();
  return { x: verts[0], f: vals[0], evaluations, converged };
}
