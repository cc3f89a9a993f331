/**
 * The data-constrained law of Muennighoff et al. 2023 ("Scaling Data-Constrained Language Models",
 * arXiv:2305.16264, eqs. 5–7): the joint law L(N, D) = E + A/N^α + B/D^β evaluated at an effective
 * data D' and an effective size N' that discount repeated tokens and excess parameters:
 *   U_D = min(D, U)                      unique tokens seen (U: the corpus size, in tokens)
 *   R_D = D/U_D − 1                      repeated passes (0 for a single pass or less)
 *   D'  = U_D + U_D·R*_D·(1 − e^(−R_D/R*_D))
 *   U_N = min(N, N_opt(U_D)),  R_N = max(N/U_N − 1, 0)
 *   N'  = U_N + U_N·R*_N·(1 − e^(−R_N/R*_N))
 *   L   = E + A/N'^α + B/D'^β
 * with N_opt(U) the compute-optimal N of the base law for the budget whose optimal D is U
 * (computeOptimalParamsForTokens in chinchilla.ts). R*_D is the number of repeated passes after
 * which repeats are worth 1/e of a new token's value: with many passes D' saturates at U·(1 + R*_D).
 * R*_N = +∞ (N' = N) is the law without an excess-parameter decay.
 *
 * The objective is the paper's (Hoffmann et al. 2022 approach 3): Σ Huber_δ(ln L̂ − ln L),
 * δ = 1e-3, minimised by variable projection (src/fit/varpro.ts): for fixed (α, β, ln R*_D, ln R*_N)
 * the law is linear in (E, A, B) ≥ 0, solved exactly; the others are searched on a grid, then
 * polished by Nelder–Mead. N_opt depends on the ratio ρ = A/B, so where R*_N is in the law and A, B
 * are both free, A is written ρ·B and ln ρ is searched too (the linear part is then (E, B)).
 *
 * What the runs identify: R*_D only when at least two distinct runs repeat their data (R_D > 0):
 * with none it does not enter the loss of any run, with one it fits that run exactly. R*_N only
 * when at least two distinct runs have N > N_opt(U_D) under the law fitted without it (else it is
 * held at +∞). Unidentified parameters are reported as such, never given a value.
 */
import type { FitResult, Interval } from './types.js';
import { assembleFit, estimateUncertainty, type BootstrapOptions } from './resample.js';
import { countDistinct } from './stats.js';
import { determinationOf, determinationWarning, EXPONENT_RANGE } from './powerlaw.js';
import { computeOptimalParamsForTokens, DEFAULT_HUBER_DELTA, exponentTie, PLAUSIBLE_EXPONENT_MAX } from './chinchilla.js';
import { nonNegativeLogHuber, solveVarPro, weightedIndices, type VarProProblem } from './varpro.js';

export interface RepetitionPoint {
  /** Parameters N (a count). */
  params: number;
  /** Training tokens D seen, repeats included (a count). */
  tokens: number;
  /** Unique tokens U of the corpus the tokens were drawn from (a count, same token unit as D). */
  uniqueTokens: number;
  loss: number;
}

export const DATA_CONSTRAINED_PARAMS = ['E', 'A', 'B', 'alpha', 'beta', 'R_D_star', 'R_N_star'] as const;
export type DataConstrainedParam = (typeof DATA_CONSTRAINED_PARAMS)[number];
/** R_N_star = Infinity: no excess-parameter decay (N' = N). */
export type DataConstrainedParams = Record<DataConstrainedParam, number>;

export const DATA_CONSTRAINED_FORMULA =
  "L = E + A/N'^alpha + B/D'^beta, D' = U_D + U_D·R_D_star·(1 − e^(−R_D/R_D_star)), U_D = min(D, U), R_D = D/U_D − 1, N' = U_N + U_N·R_N_star·(1 − e^(−R_N/R_N_star)), U_N = min(N, N_opt(U_D)), R_N = max(N/U_N − 1, 0); N = parameters, D = training tokens, U = unique tokens (counts)";

/** U·R*·(1 − e^(−R/R*)) + U: the value of U unique tokens seen 1 + R times (R* = ∞: U·(1 + R)). */
function effectiveCount(unique: number, repeats: number, rStar: number): number {
  if (repeats <= 0) return unique;
  if (rStar === Number.POSITIVE_INFINITY) return unique * (1 + repeats);
  return unique + unique * rStar * -Math.expm1(-repeats / rStar);
}

export interface EffectiveData {
  /** U_D = min(D, U). */
  uniqueSeen: number;
  /** R_D = D/U_D − 1. */
  repeats: number;
  /** Passes over the corpus, D/U. */
  passes: number;
  /** D'. */
  effective: number;
}

/** D' for D tokens drawn from U unique ones (see the module comment). */
export function effectiveData(tokens: number, uniqueTokens: number, rDStar: number): EffectiveData {
  const uniqueSeen = Math.min(tokens, uniqueTokens);
  const repeats = Math.max(tokens / uniqueSeen - 1, 0);
  return { uniqueSeen, repeats, passes: tokens / uniqueTokens, effective: effectiveCount(uniqueSeen, repeats, rDStar) };
}

export interface EffectiveParams {
  /** N_opt(U_D), the compute-optimal N for U_D unique tokens. */
  optimal: number;
  /** U_N = min(N, N_opt). */
  useful: number;
  /** R_N = max(N/U_N − 1, 0). */
  excess: number;
  /** N'. */
  effective: number;
}

/** N' for a model of N parameters trained on U_D unique tokens (see the module comment). */
export function effectiveParams(p: Pick<DataConstrainedParams, 'A' | 'B' | 'alpha' | 'beta' | 'R_N_star'>, params: number, uniqueSeen: number): EffectiveParams {
  const optimal = computeOptimalParamsForTokens(p, uniqueSeen);
  const useful = Math.min(params, optimal);
  const excess = Math.max(params / useful - 1, 0);
  return { optimal, useful, excess, effective: effectiveCount(useful, excess, p.R_N_star) };
}

/** L(N, D, U) of the law in the module comment. */
export function dataConstrainedLoss(p: DataConstrainedParams, params: number, tokens: number, uniqueTokens: number): number {
  const d = effectiveData(tokens, uniqueTokens, p.R_D_star);
  const n = p.R_N_star === Number.POSITIVE_INFINITY ? params : effectiveParams(p, params, d.uniqueSeen).effective;
  return p.E + p.A * Math.pow(n, -p.alpha) + p.B * Math.pow(d.effective, -p.beta);
}

/** Search ranges: R*_D and R*_N between 0.1 and 10⁴ passes (the paper's fits sit near 5–15). */
export const R_STAR_RANGE: readonly [number, number] = [0.1, 1e4];
const R_STAR_GRID = [0.3, 1, 3, 10, 30, 100, 1000];
const R_STAR_REFIT_GRID = [1, 10, 100];
const EXPONENT_GRID = [0.05, 0.1, 0.2, 0.3, 0.4, 0.6, 0.9, 1.4, 2.4, 4];
const EXPONENT_REFIT_GRID = [0.15, 0.4, 1.2];
/** ln ρ = ln(A/B) is searched this far (in e-folds) either side of the fit without R*_N. */
const LOG_RATIO_SPAN = 12;
const REFIT_TOLERANCE = 1e-5;

/** Which of the law's parameters are searched, held, or out of the law, for one fit. */
interface FitPlan {
  fix: Partial<DataConstrainedParams>;
  /** R*_D enters the fit (identified or fixed). */
  withRD: boolean;
  /** R*_N is finite (fitted or fixed). */
  withRN: boolean;
  /** A = ρ·B with ln ρ searched (R*_N in the law, A and B both free). */
  withRatio: boolean;
  /** Centre of the ln ρ search (the fit without R*_N). */
  logRatioCentre: number;
}

/** θ = (α, β, ln R*_D, ln R*_N, ln ρ); dimensions a plan does not use are held at 0. */
type Theta = ArrayLike<number>;

/** The variable-projection problem of `plan` on the points `idx` selects (multiset: counts as weights). */
function repetitionProblem(points: readonly RepetitionPoint[], idx: readonly number[] | undefined, delta: number, plan: FitPlan): { problem: VarProProblem; cN: number; cD: number; linear: ('E' | 'A' | 'B')[] } {
  const { ix, w } = weightedIndices(points.length, idx);
  const total = w.reduce((s, v) => s + v, 0);
  const cN = ix.reduce((s, i, j) => s + w[j] * Math.log(points[i].params), 0) / total;
  const cD = ix.reduce((s, i, j) => s + w[j] * Math.log(points[i].tokens), 0) / total;
  const { fix } = plan;
  // The free linear coefficients, in this order; with ρ searched, A is ρ·B and has no column.
  const linear = (['E', 'A', 'B'] as const).filter((k) => fix[k] === undefined && !(k === 'A' && plan.withRatio));
  const k = linear.length;
  const lawAt = (theta: Theta) => {
    const alpha = fix.alpha ?? theta[0];
    const beta = fix.beta ?? theta[1];
    const rD = plan.withRD ? fix.R_D_star ?? Math.exp(theta[2]) : Number.POSITIVE_INFINITY;
    const rN = plan.withRN ? fix.R_N_star ?? Math.exp(theta[3]) : Number.POSITIVE_INFINITY;
    // N_opt needs only A/B: ρ searched, or the fixed A and B.
    const ratio = plan.withRatio ? Math.exp(theta[4]) : fix.A !== undefined && fix.B !== undefined ? fix.A / fix.B : Number.NaN;
    return { alpha, beta, rD, rN, ratio };
  };
  const problem = nonNegativeLogHuber(Float64Array.from(ix, (i) => points[i].loss), w, k, delta, (theta, phi, offset) => {
    const { alpha, beta, rD, rN, ratio } = lawAt(theta);
    for (let j = 0; j < ix.length; j++) {
      const q = points[ix[j]];
      const d = effectiveData(q.tokens, q.uniqueTokens, rD);
      const n = plan.withRN ? effectiveParams({ A: ratio, B: 1, alpha, beta, R_N_star: rN }, q.params, d.uniqueSeen).effective : q.params;
      // Centred powers: A·N'^(−α) = A'·e^(−α(ln N' − cN)), A = A'·e^(α·cN); B likewise with cD.
      const nTerm = Math.exp(-alpha * (Math.log(n) - cN));
      const dTerm = Math.exp(-beta * (Math.log(d.effective) - cD));
      let o = fix.E ?? 0;
      if (fix.A !== undefined) o += fix.A * Math.pow(n, -alpha);
      if (fix.B !== undefined) o += fix.B * Math.pow(d.effective, -beta);
      offset[j] = o;
      let c = 0;
      if (fix.E === undefined) phi[k * j + c++] = 1;
      if (fix.A === undefined && !plan.withRatio) phi[k * j + c++] = nTerm;
      // With A = ρ·B: B·(ρ·N'^(−α) + D'^(−β)) = B'·(ρ·e^(β·cD − α·cN)·nTerm + dTerm).
      if (fix.B === undefined) phi[k * j + c++] = plan.withRatio ? ratio * Math.exp(beta * cD - alpha * cN) * nTerm + dTerm : dTerm;
    }
  });
  return { problem, cN, cD, linear };
}

interface RepetitionSolution {
  params: DataConstrainedParams;
  /** θ of the optimum (a start for refits). */
  theta: Float64Array;
  objective: number;
  /** Per θ dimension: the optimum sits on its search bound. */
  atBound: boolean[];
  evaluations: number;
  converged: boolean;
}

interface SearchGrids {
  exponents: readonly number[];
  rStar: readonly number[];
  logRatio: readonly number[];
  tolerance?: number;
}

/** Solve `plan` on the points `idx` selects: grid over the searched dimensions of θ plus `starts`, then the polish. */
function solveRepetition(points: readonly RepetitionPoint[], plan: FitPlan, delta: number, grids: SearchGrids, options: { idx?: readonly number[]; starts?: readonly (readonly number[])[] } = {}): RepetitionSolution | null {
  const { problem, cN, cD, linear } = repetitionProblem(points, options.idx, delta, plan);
  const { fix } = plan;
  const lnR = R_STAR_RANGE.map(Math.log) as [number, number];
  const held = (v: number): [number, number] => [v, v];
  const searched = [fix.alpha === undefined, fix.beta === undefined, plan.withRD && fix.R_D_star === undefined, plan.withRN && fix.R_N_star === undefined, plan.withRatio];
  const grid = [
    searched[0] ? grids.exponents : [0],
    searched[1] ? grids.exponents : [0],
    searched[2] ? grids.rStar.map(Math.log) : [0],
    searched[3] ? grids.rStar.map(Math.log) : [0],
    searched[4] ? grids.logRatio.map((v) => plan.logRatioCentre + v) : [0],
  ];
  const bounds = [
    searched[0] ? EXPONENT_RANGE : held(0),
    searched[1] ? EXPONENT_RANGE : held(0),
    searched[2] ? lnR : held(0),
    searched[3] ? lnR : held(0),
    searched[4] ? ([plan.logRatioCentre - LOG_RATIO_SPAN, plan.logRatioCentre + LOG_RATIO_SPAN] as [number, number]) : held(0),
  ];
  const starts = (options.starts ?? []).filter((s) => s.every(Number.isFinite));
  const sol = solveVarPro(problem, { grid, bounds, starts, tolerance: grids.tolerance, maxEvaluations: 2000 });
  if (!sol) return null;
  const th = sol.theta;
  const c = Object.fromEntries(linear.map((name, j) => [name, sol.c[j]])) as Partial<Record<'E' | 'A' | 'B', number>>;
  const alpha = fix.alpha ?? th[0];
  const beta = fix.beta ?? th[1];
  const B = fix.B ?? c.B! * Math.exp(beta * cD);
  const ratio = Math.exp(th[4]);
  const params: DataConstrainedParams = {
    E: fix.E ?? c.E!,
    A: fix.A ?? (plan.withRatio ? ratio * B : c.A! * Math.exp(alpha * cN)),
    B,
    alpha,
    beta,
    R_D_star: plan.withRD ? fix.R_D_star ?? Math.exp(th[2]) : Number.NaN,
    R_N_star: plan.withRN ? fix.R_N_star ?? Math.exp(th[3]) : Number.POSITIVE_INFINITY,
  };
  return { params, theta: th, objective: sol.objective, atBound: sol.atBound, evaluations: sol.evaluations, converged: sol.converged };
}

const FULL_GRIDS: SearchGrids = { exponents: EXPONENT_GRID, rStar: R_STAR_GRID, logRatio: [-4, -2, 0, 2, 4] };
const REFIT_GRIDS: SearchGrids = { exponents: EXPONENT_REFIT_GRID, rStar: R_STAR_REFIT_GRID, logRatio: [0], tolerance: REFIT_TOLERANCE };

export type DataConstrainedFit = FitResult<DataConstrainedParam> & {
  /** Per R* parameter: null when it is fitted or fixed, else why the runs do not identify it. */
  notIdentified: Record<'R_D_star' | 'R_N_star', string | null>;
  /** Passes D/U of each point, in the order given. */
  passes: number[];
};

export interface DataConstrainedFitOptions {
  /** Parameters held at a value, by name (e.g. a published base law: E, A, B, alpha, beta). */
  fix?: Partial<DataConstrainedParams>;
  delta?: number;
  bootstrap?: BootstrapOptions | false;
  loo?: boolean;
  /** false: leave R_N_star out (held at +∞) without trying it, for a caller that needs R_D_star only. */
  excessParams?: boolean;
}

/** Why R_N_star cannot be held with only one of A, B fixed. */
export const HALF_FIXED = 'R_N_star in the law needs A and B both fixed or both free: N_opt, the compute-optimal N it discounts from, depends on A/B';

const keyOf = (q: RepetitionPoint) => `${q.params}|${q.tokens}|${q.uniqueTokens}`;

/** Why R*_N is not fitted from these points, under the law fitted without it (null: it is). */
function excessParamsRefusal(points: readonly RepetitionPoint[], law: DataConstrainedParams): string | null {
  const excess = points.filter((q) => q.params > effectiveParams({ ...law, R_N_star: Number.POSITIVE_INFINITY }, q.params, Math.min(q.tokens, q.uniqueTokens)).optimal);
  const distinct = countDistinct(excess.map(keyOf));
  if (distinct >= 2) return null;
  return `${distinct === 0 ? 'no run has' : 'only one run has'} more parameters than N_opt(U_D), the compute-optimal N for its unique tokens under the law fitted without R_N_star (alpha ${law.alpha.toPrecision(3)}, beta ${law.beta.toPrecision(3)}); held at +∞ (no excess-parameter decay)`;
}

/**
 * Fit the data-constrained law (module comment) with the Huber objective by variable projection;
 * intervals from a pairs bootstrap over runs; leave-one-out error in loss units.
 */
export function fitDataConstrainedLaw(points: readonly RepetitionPoint[], options: DataConstrainedFitOptions = {}): DataConstrainedFit {
  const delta = options.delta ?? DEFAULT_HUBER_DELTA;
  const fix = { ...(options.fix ?? {}) };
  const n = points.length;
  const passes = points.map((q) => q.tokens / q.uniqueTokens);
  const nonPositive = points.findIndex((q) => !(q.params > 0 && q.tokens > 0 && q.uniqueTokens > 0 && q.loss > 0));
  const warnings: string[] = [];
  const notIdentified: DataConstrainedFit['notIdentified'] = { R_D_star: null, R_N_star: null };
  // R*_D: fitted where at least two distinct runs repeat their data.
  const repeated = countDistinct(points.filter((q) => q.tokens > q.uniqueTokens).map(keyOf));
  const withRD = fix.R_D_star !== undefined || repeated >= 2;
  if (!withRD) {
    notIdentified.R_D_star =
      repeated === 0
        ? 'every run is single-pass (D ≤ U: no token repeated), so repetition never enters the loss and R_D_star is not identified; the law is the unique-data law L(N, D), and it cannot predict a run that repeats its data'
        : 'only one run repeats its data (D > U); R_D_star would pass through it exactly, with nothing to test it, so it is not identified; the law is the unique-data law L(N, D), and it cannot predict a run that repeats its data';
    warnings.push(`R_D_star not identified: ${notIdentified.R_D_star}`);
  }
  const planOf = (withRN: boolean, logRatioCentre = 0): FitPlan => ({ fix, withRD, withRN, withRatio: withRN && fix.A === undefined && fix.B === undefined, logRatioCentre });
  const free = (plan: FitPlan) =>
    (['E', 'A', 'B', 'alpha', 'beta'] as const).filter((k) => fix[k] === undefined).length + Number(plan.withRD && fix.R_D_star === undefined) + Number(plan.withRN && fix.R_N_star === undefined);
  const distinct = countDistinct(points.map(keyOf));
  const needsN = fix.A === undefined || fix.alpha === undefined;
  const needsD = fix.B === undefined || fix.beta === undefined;
  const enoughSpread = (!needsN || countDistinct(points.map((q) => q.params)) >= 2) && (!needsD || countDistinct(points.map((q) => q.tokens)) >= 2);
  const halfFixed = (fix.A === undefined) !== (fix.B === undefined);
  if (fix.R_N_star !== undefined && halfFixed) throw new RangeError(HALF_FIXED);
  // First the law with R*_N at +∞; then R*_N, where the runs identify it (or it is fixed).
  let plan = planOf(fix.R_N_star !== undefined);
  let p = free(plan);
  let determination = enoughSpread ? determinationOf(distinct, p) : 'under';
  let sol: RepetitionSolution | null = null;
  if (determination !== 'under' && nonPositive < 0) {
    if (plan.withRatio) {
      const base = solveRepetition(points, planOf(false), delta, FULL_GRIDS);
      plan = planOf(true, base ? Math.log(base.params.A / base.params.B) : 0);
    }
    sol = solveRepetition(points, plan, delta, FULL_GRIDS);
    if (sol && fix.R_N_star === undefined && options.excessParams === false) notIdentified.R_N_star = 'not tried (held at +∞: the caller needs R_D_star only)';
    else if (sol && fix.R_N_star === undefined) {
      const refusal = halfFixed ? 'A or B alone is fixed, and N_opt depends on A/B: fix both or neither to fit R_N_star; held at +∞ (no excess-parameter decay)' : excessParamsRefusal(points, sol.params);
      const withRN = planOf(true, Math.log(sol.params.A / sol.params.B));
      if (refusal === null && determinationOf(distinct, free(withRN)) === 'over') {
        const start = Array.from(sol.theta);
        const rn = solveRepetition(points, withRN, delta, { ...FULL_GRIDS, exponents: EXPONENT_REFIT_GRID, logRatio: [-2, 0, 2] }, { starts: R_STAR_GRID.map((r) => [start[0], start[1], start[2], Math.log(r), withRN.logRatioCentre]) });
        if (rn && rn.objective <= sol.objective) {
          plan = withRN;
          sol = rn;
          p = free(plan);
          determination = determinationOf(distinct, p);
        }
      } else {
        notIdentified.R_N_star = refusal ?? `fitting it would leave no degree of freedom (${distinct} distinct runs); held at +∞ (no excess-parameter decay)`;
        warnings.push(`R_N_star not identified: ${notIdentified.R_N_star}`);
      }
    }
  } else notIdentified.R_N_star ??= 'nothing was fitted';
  const params: DataConstrainedParams = sol?.params ?? { E: Number.NaN, A: Number.NaN, B: Number.NaN, alpha: Number.NaN, beta: Number.NaN, R_D_star: Number.NaN, R_N_star: Number.POSITIVE_INFINITY };
  const residuals = points.map((q) => (sol ? q.loss - dataConstrainedLoss(params, q.params, q.tokens, q.uniqueTokens) : Number.NaN));
  const dw = determinationWarning(determination, n, distinct, p, sol ? residuals : null, points.map((q) => q.loss));
  if (dw) warnings.unshift(enoughSpread ? dw : `${dw}; N and D must each take at least two values`);
  // The parameter vector of the draws: the ones in the law with a finite value.
  const order = DATA_CONSTRAINED_PARAMS.filter((k) => (k === 'R_D_star' ? plan.withRD : k === 'R_N_star' ? plan.withRN : true));
  const finalPlan = plan;
  const refits = { solved: 0, unconverged: 0 };
  const subsetFit = (idx: number[]): number[] | null => {
    if (!sol || countDistinct(idx.map((i) => keyOf(points[i]))) < p) return null;
    const s = solveRepetition(points, finalPlan, delta, REFIT_GRIDS, { idx, starts: [Array.from(sol.theta)] });
    if (!s) return null;
    refits.solved++;
    if (!s.converged) refits.unconverged++;
    return order.map((k) => s.params[k]);
  };
  const lawOf = (q: number[]): DataConstrainedParams => ({ ...params, ...Object.fromEntries(order.map((k, j) => [k, q[j]])) });
  const predictPoint = (q: number[], i: number) => dataConstrainedLoss(lawOf(q), points[i].params, points[i].tokens, points[i].uniqueTokens);
  const identified = sol !== null && determination === 'over';
  const u = estimateUncertainty(order, fix, n, subsetFit, predictPoint, points.map((q) => q.loss), { identified, estimate: order.map((k) => params[k]), bootstrap: options.bootstrap, loo: options.loo });
  if (refits.unconverged > 0) warnings.push(`${refits.unconverged} of the ${refits.solved} refits behind the intervals and the leave-one-out error ended their search short of its tolerance; those draws sit near, not at, their own optimum`);
  const flags: string[] = [];
  if (sol) {
    (['alpha', 'beta'] as const).forEach((k, j) => {
      if (sol!.atBound[j]) flags.push(`${k} = ${params[k].toPrecision(3)} sits on its search bound [${EXPONENT_RANGE.join(', ')}]: the runs do not pin the ${k === 'alpha' ? 'N' : 'D'} dependence`);
      else if (params[k] > PLAUSIBLE_EXPONENT_MAX && fix[k] === undefined) flags.push(`${k} = ${params[k].toPrecision(3)} is far beyond any measured scaling exponent (> ${PLAUSIBLE_EXPONENT_MAX})`);
    });
    const tie = fix.alpha === undefined && fix.beta === undefined ? exponentTie(params.alpha, params.beta) : null;
    if (tie) warnings.push(tie);
    (['R_D_star', 'R_N_star'] as const).forEach((k, j) => {
      if (sol!.atBound[2 + j]) flags.push(`${k} = ${params[k].toPrecision(3)} sits on its search bound [${R_STAR_RANGE.join(', ')}]: the runs do not pin it`);
    });
  }
  const noExtrapolation = flags.length ? `${flags.join('; ')}, so do not extrapolate with this law` : null;
  if (noExtrapolation) warnings.push(noExtrapolation);
  const fitted = assembleFit(
    {
      form: 'data-constrained',
      formula: DATA_CONSTRAINED_FORMULA,
      params: Object.fromEntries(order.map((k) => [k, params[k]])) as DataConstrainedParams,
      fixed: fix,
      residuals,
      objective: sol?.objective ?? Number.NaN,
      warnings,
      diagnostics: {
        solver: `variable projection: (E, A, B) ≥ 0 solved exactly by Gauss–Newton/IRLS for each (${['alpha', 'beta', ...(finalPlan.withRD ? ['ln R_D_star'] : []), ...(finalPlan.withRN ? ['ln R_N_star'] : []), ...(finalPlan.withRatio ? ['ln A/B (A = (A/B)·B)'] : [])].filter((k) => fix[k as DataConstrainedParam] === undefined && fix[k.slice(3) as DataConstrainedParam] === undefined).join(', ')}); those searched on a grid, then Nelder–Mead`,
        delta,
        evaluations: sol?.evaluations ?? 0,
        converged: sol?.converged ?? false,
        logRmse: sol ? Math.sqrt(points.reduce((acc, q) => acc + Math.log(q.loss / dataConstrainedLoss(params, q.params, q.tokens, q.uniqueTokens)) ** 2, 0) / n) : Number.NaN,
        refits: refits.solved,
        refitsUnconverged: refits.unconverged,
        maxPasses: Math.max(...passes),
      },
      paramOrder: order,
      freeParameters: p,
      determination,
      solved: sol !== null,
      failure: determination === 'under' ? warnings[0] : nonPositive >= 0 ? `N, D, U and the loss must be positive: point ${nonPositive + 1} has N = ${points[nonPositive].params}, D = ${points[nonPositive].tokens}, U = ${points[nonPositive].uniqueTokens}, loss = ${points[nonPositive].loss}` : null,
      noExtrapolation,
    },
    u,
  );
  // The parameters out of the law, named: R_D_star not identified (NaN), R_N_star at +∞.
  const all = { ...params, ...fitted.params } as DataConstrainedParams;
  const intervals = Object.fromEntries(DATA_CONSTRAINED_PARAMS.map((k) => [k, (fitted.intervals as Record<string, Interval | null>)[k] ?? null])) as Record<DataConstrainedParam, Interval | null>;
  return { ...fitted, params: all, intervals, notIdentified, passes };
}
