/**
 * The joint law L(N, D) = E + A/N^α + B/D^β (Hoffmann et al. 2022, approach 3), with the objective
 * Besiroglu et al. 2024 ("Chinchilla Scaling: A replication attempt", §2) use:
 *   Σ Huber_δ(ln L̂ − ln L), δ = 1e-3,
 * minimised by variable projection (src/fit/varpro.ts): for fixed exponents (α, β) the law is
 * linear in (E, A, B) ≥ 0, which Gauss–Newton/IRLS with non-negative least squares solves exactly;
 * only α and β are searched (a grid of 21 × 21 exponents, then a Nelder–Mead polish). E = 0 (no
 * floor) is an ordinary point of that search, not a valley that an optimiser in ln E walks down.
 * Bootstrap and leave-one-out refits search a coarser 6 × 6 grid plus the full-data optimum.
 * Plus the compute-optimal split N_opt(C), D_opt(C) under C = 6·N·D.
 */
import type { FitResult } from './types.js';
import { assembleFit, estimateUncertainty, type BootstrapOptions } from './resample.js';
import { countDistinct } from './stats.js';
import { determinationOf, determinationWarning, EXPONENT_RANGE } from './powerlaw.js';
import { nonNegativeLogHuber, solveVarPro, weightedIndices, type VarProProblem } from './varpro.js';

export interface JointPoint {
  /** Parameters N (a count). */
  params: number;
  /** Training tokens D (a count). */
  tokens: number;
  loss: number;
}

export type ChinchillaParam = 'E' | 'A' | 'B' | 'alpha' | 'beta';
export type ChinchillaParams = Record<ChinchillaParam, number>;
export type ChinchillaFit = FitResult<ChinchillaParam>;

export const CHINCHILLA_FORMULA = 'L(N, D) = E + A/N^alpha + B/D^beta, N = parameters, D = training tokens (counts)';

/** The exponents searched: values of α and β tried on the grid before the polish. */
export interface ExponentGrid {
  alpha: readonly number[];
  beta: readonly number[];
}

const EXPONENT_VALUES = [0.01, 0.03, 0.06, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.5, 0.6, 0.75, 0.9, 1.1, 1.4, 1.8, 2.4, 3.2, 4.2, 5];
/** The full fit's grid: 21 × 21 exponent pairs from 0.01 to 5 (published LM exponents lie near 0.3). */
export const JOINT_EXPONENT_GRID: ExponentGrid = { alpha: EXPONENT_VALUES, beta: EXPONENT_VALUES };
const REFIT_VALUES = [0.05, 0.15, 0.3, 0.6, 1.2, 2.4];
/** A refit's exponents are polished to this (the full fit's to 1e-9): a bootstrap percentile quoted to 4 digits needs no more. */
const REFIT_TOLERANCE = 1e-5;
/** A refit's grid (6 × 6), searched together with the full-data optimum. */
export const REFIT_EXPONENT_GRID: ExponentGrid = { alpha: REFIT_VALUES, beta: REFIT_VALUES };

export const DEFAULT_HUBER_DELTA = 1e-3;

/** An exponent above this is flagged: published LM exponents sit near 0.3. */
export const PLAUSIBLE_EXPONENT_MAX = 3;

/** Exponents closer than this (relative) are reported as tied: the runs do not tell the N and D terms apart. */
const TIE_TOLERANCE = 1e-3;

/** E + A·N^(−α) + B·D^(−β). */
export function chinchillaLoss(p: ChinchillaParams, params: number, tokens: number): number {
  return p.E + p.A * Math.pow(params, -p.alpha) + p.B * Math.pow(tokens, -p.beta);
}

/**
 * The points `idx` selects (default: all, once each) as a variable-projection problem: each distinct
 * index once with its count as a weight (a resample of n runs holds about 0.63·n distinct ones),
 * ln N and ln D centred on their weighted means cN, cD so that the basis 1, e^(−α(ln N − cN)),
 * e^(−β(ln D − cD)) is of order 1 whatever the units; A = A'·e^(α·cN), B = B'·e^(β·cD).
 */
function jointProblem(points: readonly JointPoint[], idx: readonly number[] | undefined, delta: number, floor: JointFloor): { problem: VarProProblem; cN: number; cD: number } {
  const { ix, w } = weightedIndices(points.length, idx);
  const lnN = Float64Array.from(ix, (i) => Math.log(points[i].params));
  const lnD = Float64Array.from(ix, (i) => Math.log(points[i].tokens));
  const total = w.reduce((s, v) => s + v, 0);
  const cN = lnN.reduce((s, v, i) => s + w[i] * v, 0) / total;
  const cD = lnD.reduce((s, v, i) => s + w[i] * v, 0) / total;
  const xN = lnN.map((v) => v - cN);
  const xD = lnD.map((v) => v - cD);
  // With no floor (E held at 0) the constant column is left out.
  const k = floor === 'free' ? 3 : 2;
  const e0 = k - 2;
  const problem = nonNegativeLogHuber(
    Float64Array.from(ix, (i) => points[i].loss),
    w,
    k,
    delta,
    (theta, phi, offset) => {
      const al = theta[0];
      const be = theta[1];
      for (let i = 0; i < xN.length; i++) {
        if (e0) phi[k * i] = 1;
        phi[k * i + e0] = Math.exp(-al * xN[i]);
        phi[k * i + e0 + 1] = Math.exp(-be * xD[i]);
        offset[i] = 0;
      }
    },
    // ∂/∂α of e^(−α·xN) is −xN·e^(−α·xN) (column A'), ∂/∂β likewise for B'; the floor's column is constant.
    (theta, j, dphi, doffset) => {
      const e = theta[j];
      const x = j === 0 ? xN : xD;
      for (let i = 0; i < x.length; i++) {
        dphi.fill(0, k * i, k * i + k);
        dphi[k * i + e0 + j] = -x[i] * Math.exp(-e * x[i]);
        doffset[i] = 0;
      }
    },
  );
  return { problem, cN, cD };
}

/** θ = (ln A, ln B, ln E, α, β) from the linear part ((E,) A', B') and the exponents; a coefficient at 0 gives −∞. */
function thetaOf(c: ArrayLike<number>, alpha: number, beta: number, cN: number, cD: number): Float64Array {
  const [E, A, B] = c.length === 3 ? [c[0], c[1], c[2]] : [0, c[0], c[1]];
  return Float64Array.from([Math.log(A) + alpha * cN, Math.log(B) + beta * cD, Math.log(E), alpha, beta]);
}

/** The floor E: fitted (E ≥ 0) or held at 0 (the floor-free law A/N^α + B/D^β, four parameters). */
export type JointFloor = 'free' | 'none';

/** Free parameters of the joint law with this floor. */
export const jointParameterCount = (floor: JointFloor) => (floor === 'free' ? 5 : 4);

/** The law's parameters from θ = (ln A, ln B, ln E, α, β). */
export function thetaToParams(th: ArrayLike<number>): ChinchillaParams {
  return { E: Math.exp(th[2]), A: Math.exp(th[0]), B: Math.exp(th[1]), alpha: th[3], beta: th[4] };
}

export interface JointSolution {
  /** θ = (ln A, ln B, ln E, α, β); ln E = −∞ when the optimum has no floor (E = 0). */
  theta: Float64Array;
  objective: number;
  /** Exponent pairs on the grid (and extra starts) searched before the polish. */
  starts: number;
  /** The polish met its tolerance. */
  converged: boolean;
  /** Profile evaluations: each an exact solve of (E, A, B) for one (α, β). */
  iterations: number;
  /** Per exponent (α, β): the optimum sits on the search bound. */
  atBound: [boolean, boolean];
}

/**
 * Minimise the Huber objective over (α, β) on `grid` (plus `starts`, θ vectors whose α, β are
 * tried too), each pair with its exact (E, A, B) ≥ 0; null when no pair has a solution.
 */
export function solveChinchilla(
  points: readonly JointPoint[],
  options: { delta?: number; floor?: JointFloor; grid?: ExponentGrid; starts?: readonly (readonly number[])[]; idx?: readonly number[]; tolerance?: number } = {},
): JointSolution | null {
  const { problem, cN, cD } = jointProblem(points, options.idx, options.delta ?? DEFAULT_HUBER_DELTA, options.floor ?? 'free');
  const grid = options.grid ?? JOINT_EXPONENT_GRID;
  const starts = (options.starts ?? []).filter((s) => Number.isFinite(s[3]) && Number.isFinite(s[4])).map((s) => [s[3], s[4]]);
  const sol = solveVarPro(problem, { grid: [grid.alpha, grid.beta], bounds: [EXPONENT_RANGE, EXPONENT_RANGE], starts, tolerance: options.tolerance });
  if (!sol) return null;
  return {
    theta: thetaOf(sol.c, sol.theta[0], sol.theta[1], cN, cD),
    objective: sol.objective,
    starts: grid.alpha.length * grid.beta.length + starts.length,
    converged: sol.converged,
    iterations: sol.evaluations,
    atBound: [sol.atBound[0], sol.atBound[1]],
  };
}

/** A refit's optimum; `atFloor` when it has no floor (E exactly 0). */
export interface JointRefit extends JointSolution {
  atFloor: boolean;
}

/** Refit the joint law on `idx`: the refit grid plus the exponents of `start` (θ, the full-data optimum). */
export function refitChinchilla(points: readonly JointPoint[], start: readonly number[], options: { delta?: number; floor?: JointFloor; idx?: readonly number[] } = {}): JointRefit | null {
  const sol = solveChinchilla(points, { delta: options.delta, floor: options.floor, idx: options.idx, grid: REFIT_EXPONENT_GRID, starts: [start], tolerance: REFIT_TOLERANCE });
  return sol ? { ...sol, atFloor: sol.theta[2] === Number.NEGATIVE_INFINITY } : null;
}

/** Bootstrap refits of the joint law as plain data, so that another thread can compute them (refitChinchillaMany). */
export interface JointRefitTask {
  points: JointPoint[];
  /** The full-data optimum θ = (a, b, e, α, β); its exponents are searched beside the refit grid. */
  start: number[];
  delta: number;
  /** The floor of the law refitted (default 'free'). */
  floor?: JointFloor;
  /** The runs of each refit (indices into `points`, a multiset). */
  subsets: number[][];
}

/** Each subset's refit, in order (null where it is not identified or the solver failed). */
export type JointRefitMany = (task: JointRefitTask) => (JointRefit | null)[];

/** A subset identifies the law only with at least as many distinct (N, D) pairs as it has parameters. */
export const refitChinchillaMany: JointRefitMany = (task) =>
  task.subsets.map((idx) => (countDistinct(idx.map((i) => `${task.points[i].params}|${task.points[i].tokens}`)) < jointParameterCount(task.floor ?? 'free') ? null : refitChinchilla(task.points, task.start, { delta: task.delta, floor: task.floor, idx })));

export interface ChinchillaFitOptions {
  delta?: number;
  /** 'free' (default): E ≥ 0 fitted; 'none': E held at 0. */
  floor?: JointFloor;
  grid?: ExponentGrid;
  bootstrap?: BootstrapOptions | false;
  /**
   * Computes the bootstrap's refits (default refitChinchillaMany, on this thread): the report's fit
   * worker shares them with the main thread. Not part of a fit's inputs: any refitter gives the same draws.
   */
  refitMany?: JointRefitMany;
  /** Leave-one-out error (default true when over-determined). */
  loo?: boolean;
}

/** "alpha and beta tie at 0.2500 (…)" when the exponents agree within TIE_TOLERANCE, else null. */
export function exponentTie(alpha: number, beta: number): string | null {
  return Math.abs(alpha - beta) <= TIE_TOLERANCE * Math.max(Math.abs(alpha), Math.abs(beta)) ? `alpha and beta tie (${alpha.toPrecision(4)} and ${beta.toPrecision(4)}): the runs do not tell the N and D terms apart, so neither exponent is measured on its own` : null;
}

/**
 * Fit the joint law with the Huber objective by variable projection; intervals from a pairs
 * bootstrap over runs; leave-one-out error in loss units.
 */
export function fitChinchillaLaw(points: readonly JointPoint[], options: ChinchillaFitOptions = {}): ChinchillaFit {
  const delta = options.delta ?? DEFAULT_HUBER_DELTA;
  const floor = options.floor ?? 'free';
  const n = points.length;
  const p = jointParameterCount(floor);
  const distinctPairs = countDistinct(points.map((q) => `${q.params}|${q.tokens}`));
  const enoughSpread = countDistinct(points.map((q) => q.params)) >= 2 && countDistinct(points.map((q) => q.tokens)) >= 2;
  const determination = enoughSpread ? determinationOf(distinctPairs, p) : 'under';
  const nonPositive = points.findIndex((q) => !(q.params > 0 && q.tokens > 0 && q.loss > 0));
  const sol = determination === 'under' || nonPositive >= 0 ? null : solveChinchilla(points, { delta, floor, grid: options.grid });
  const params: ChinchillaParams = sol ? thetaToParams(sol.theta) : { E: Number.NaN, A: Number.NaN, B: Number.NaN, alpha: Number.NaN, beta: Number.NaN };
  const residuals = points.map((q) => (sol ? q.loss - chinchillaLoss(params, q.params, q.tokens) : Number.NaN));
  const warnings: string[] = [];
  const dw = determinationWarning(determination, n, distinctPairs, p, sol ? residuals : null, points.map((q) => q.loss));
  if (dw) warnings.push(enoughSpread ? dw : `${dw}; N and D must each take at least two values`);
  const order: ChinchillaParam[] = ['E', 'A', 'B', 'alpha', 'beta'];
  // How many refits were made, how many ended their polish short of its tolerance, and how many
  // ended at E = 0; the report says so under the law.
  const refits = { solved: 0, unconverged: 0, atFloor: 0 };
  const drawOf = (s: JointRefit | null): number[] | null => {
    if (!s) return null;
    refits.solved++;
    if (!s.converged) refits.unconverged++;
    if (s.atFloor) refits.atFloor++;
    const q = thetaToParams(s.theta);
    return order.map((k) => q[k]);
  };
  const refitMany = (subsets: number[][]) => (sol ? (options.refitMany ?? refitChinchillaMany)({ points: [...points], start: Array.from(sol.theta), delta, floor, subsets }).map(drawOf) : subsets.map(() => null));
  const subsetFit = (idx: number[]): number[] | null => refitMany([idx])[0];
  const predictPoint = (q: number[], i: number) => chinchillaLoss({ E: q[0], A: q[1], B: q[2], alpha: q[3], beta: q[4] }, points[i].params, points[i].tokens);
  const identified = sol !== null && determination === 'over';
  const u = estimateUncertainty(order, floor === 'free' ? {} : { E: 0 }, n, subsetFit, predictPoint, points.map((q) => q.loss), { identified, estimate: order.map((k) => params[k]), bootstrap: options.bootstrap, loo: options.loo, fitMany: refitMany });
  if (refits.unconverged > 0) {
    warnings.push(`${refits.unconverged} of the ${refits.solved} refits behind the intervals and the leave-one-out error ended their exponent search short of its tolerance; those draws sit near, not at, their own optimum`);
  }
  if (refits.atFloor > 0 && floor === 'free') {
    warnings.push(
      `${refits.atFloor} of the ${refits.solved} refits behind the intervals and the leave-one-out error fit best with no floor (E = 0, the boundary of the law: A/N^alpha + B/D^beta alone), so E's interval reaches 0: the runs do not pin the floor`,
    );
  }
  if (identified && n - p < 5) warnings.push(`only ${n - p} degree(s) of freedom for a ${p}-parameter law: E, A and α trade off; read the exponents as indicative`);
  const flags: string[] = [];
  if (sol) {
    (['alpha', 'beta'] as const).forEach((k, j) => {
      if (sol.atBound[j]) flags.push(`${k} = ${params[k].toPrecision(3)} sits on its search bound [${EXPONENT_RANGE.join(', ')}]: the runs do not pin the ${k === 'alpha' ? 'N' : 'D'} dependence`);
      else if (params[k] > PLAUSIBLE_EXPONENT_MAX) flags.push(`${k} = ${params[k].toPrecision(3)} is far beyond any measured scaling exponent (> ${PLAUSIBLE_EXPONENT_MAX}): the runs do not pin the ${k === 'alpha' ? 'N' : 'D'} dependence`);
    });
    const tie = exponentTie(params.alpha, params.beta);
    if (tie) warnings.push(tie);
  }
  const noExtrapolation = flags.length ? `${flags.join('; ')}, so do not extrapolate with this law` : null;
  if (noExtrapolation) warnings.push(noExtrapolation);
  return assembleFit(
    {
      form: 'chinchilla',
      formula: CHINCHILLA_FORMULA,
      params,
      fixed: floor === 'free' ? {} : { E: 0 },
      residuals,
      objective: sol?.objective ?? Number.NaN,
      warnings,
      diagnostics: {
        solver: 'variable projection: (E, A, B) ≥ 0 solved exactly for each (alpha, beta) by Gauss–Newton/IRLS with non-negative least squares; (alpha, beta) searched on a grid, then Nelder–Mead',
        delta,
        floor,
        starts: sol?.starts ?? 0,
        iterations: sol?.iterations ?? 0,
        converged: sol?.converged ?? false,
        // RMS of ln L − ln L̂: the residual scale where the law is fitted (prediction intervals use it).
        logRmse: sol ? Math.sqrt(points.reduce((acc, q) => acc + Math.log(q.loss / chinchillaLoss(params, q.params, q.tokens)) ** 2, 0) / n) : Number.NaN,
        alphaAtBound: sol?.atBound[0] ?? false,
        betaAtBound: sol?.atBound[1] ?? false,
        refits: refits.solved,
        refitsAtFloor: refits.atFloor,
        refitsUnconverged: refits.unconverged,
      },
      paramOrder: order,
      freeParameters: p,
      determination,
      solved: sol !== null,
      failure: determination === 'under' ? warnings[0] : nonPositive >= 0 ? `N, D and the loss must be positive (the law is fitted in logs): point ${nonPositive + 1} has N = ${points[nonPositive].params}, D = ${points[nonPositive].tokens}, loss = ${points[nonPositive].loss}` : null,
      noExtrapolation,
    },
    u,
  );
}

export interface ComputeOptimalAllocation {
  flops: number;
  params: number;
  tokens: number;
  loss: number;
}

/**
 * The loss-minimising split of a compute budget C = 6·N·D under the joint law (Hoffmann et al. 2022
 * eq. 4): N_opt = G·(C/6)^(β/(α+β)), D_opt = G^(−1)·(C/6)^(α/(α+β)), G = (αA/(βB))^(1/(α+β)).
 */
export function computeOptimalAllocation(p: ChinchillaParams, flops: number): ComputeOptimalAllocation {
  const G = optimalSplitConstant(p);
  const params = G * Math.pow(flops / 6, p.beta / (p.alpha + p.beta));
  const tokens = Math.pow(flops / 6, p.alpha / (p.alpha + p.beta)) / G;
  return { flops, params, tokens, loss: chinchillaLoss(p, params, tokens) };
}

/** G = (αA/(βB))^(1/(α+β)) of computeOptimalAllocation: N_opt = G·(C/6)^(β/(α+β)). */
function optimalSplitConstant(p: Pick<ChinchillaParams, 'A' | 'B' | 'alpha' | 'beta'>): number {
  return Math.pow((p.alpha * p.A) / (p.beta * p.B), 1 / (p.alpha + p.beta));
}

/**
 * The compute-optimal model for the budget whose optimal D is `tokens` (computeOptimalAllocation
 * solved for C): D_opt = G^(−1)·(C/6)^(α/(α+β)) = U gives C/6 = (G·U)^((α+β)/α), so
 * N_opt(U) = G·(G·U)^(β/α). Muennighoff et al. (2023) cap the useful parameters of a model trained
 * on U unique tokens at this N.
 */
export function computeOptimalParamsForTokens(p: Pick<ChinchillaParams, 'A' | 'B' | 'alpha' | 'beta'>, tokens: number): number {
  const G = optimalSplitConstant(p);
  return G * Math.pow(G * tokens, p.beta / p.alpha);
}
