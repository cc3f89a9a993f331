/**
 * Model families compared on the same data and recipe (issue 31): what a parameter of family f is
 * worth in parameters of the reference family, whether their size exponents differ, and the loss
 * gap between them. Two laws, both fitted to every family's runs at once by variable projection
 * (src/fit/varpro.ts): for fixed exponents and multipliers the rest is linear.
 *
 * The shared law with a multiplier (one E, A, α, B, β for all families; m_ref = 1):
 *   chinchilla  L_f(N, D) = E + A/(m_f·N)^α + B/D^β
 *   saturating  L_f(N)    = A + B/(m_f·N)^α
 * m_f is the effective-parameter multiplier: family f at N parameters has the reference's loss at
 * m_f·N. Searched: α (β) and ln m_f; exact: (E, A, B) ≥ 0. The objective is the law's own: the
 * log-Huber sum of chinchilla.ts (δ = 1e-3) or the squares of saturating.ts.
 *
 * The separate-exponent law (each family its own size term; the floor and the data term shared,
 * since they belong to the data and the recipe, which are matched; fully separate 5-parameter
 * laws would leave a ladder of 8 runs 3 degrees of freedom, and their E, A, α trade off):
 *   chinchilla  L_f(N, D) = E + A_f/N^α_f + B/D^β
 *   saturating  L_f(N)    = A + B_f/N^α_f
 * From it, for family f against the reference r (the D term cancels, so none depends on D):
 *   m_f(N)   = (A_r/A_f)^(1/α_r) · N^(α_f/α_r − 1)        (A_r·(m·N)^−α_r = A_f·N^−α_f)
 *   gap_f(N) = L_f − L_r = A_f·N^−α_f − A_r·N^−α_r         (loss units, at any matched D)
 *   Δα       = α_f − α_r
 *   gain(N)  = L(N) − L(10N) = A·N^−α·(1 − 10^−α)          (per decade of N)
 *   N*: gain_f(N*) = ½·gain_r(N*)  ⇒  N* = (2·A_f·c_f / (A_r·c_r))^(1/Δα), c = 1 − 10^−α.
 * gain_f/gain_r ∝ N^−Δα falls with N only when Δα > 0 (f's size term flattens faster), so only
 * then is there a ceiling N* beyond which f's parameters buy less than half of what the
 * reference's do; Δα ≤ 0 has none. A family floor E_f above E_r (another kind of ceiling) is not
 * in these laws: E is shared.
 *
 * Intervals: a bootstrap over runs stratified by family (resample.ts), each resample refitting
 * both laws; every derived number is computed per draw and given its percentile interval.
 */
import { BitscaleError } from '../util/errors.js';
import { formatCount, formatParam } from '../util/format.js';
import { DEFAULT_HUBER_DELTA } from './chinchilla.js';
import { EXPONENT_RANGE } from './powerlaw.js';
import { bootstrapParameters, DEFAULT_BOOTSTRAP, holdsEstimate, percentileInterval, type BootstrapOptions } from './resample.js';
import { countDistinct, sortedDistinct } from './stats.js';
import type { BootstrapSummary } from './types.js';
import { solveVarPro, weightedIndices, type VarProProblem } from './varpro.js';

export type FamilyForm = 'chinchilla' | 'saturating';

export interface FamilyPoint {
  /** The model family (an arch name, or a column value of a table from elsewhere). */
  family: string;
  /** Parameters N (a count). */
  params: number;
  /** Training tokens D (a count); unused by the saturating form. */
  tokens: number;
  loss: number;
}

/** A number with its bootstrap percentile interval (lo, hi null: no interval). */
export interface Estimate {
  value: number;
  lo: number | null;
  hi: number | null;
}

export const FAMILY_FORMULAS: Record<FamilyForm, { multiplier: string; exponents: string }> = {
  chinchilla: { multiplier: 'L_f(N, D) = E + A/(m_f·N)^alpha + B/D^beta, m_ref = 1 (N parameters, D tokens)', exponents: 'L_f(N, D) = E + A_f/N^alpha_f + B/D^beta (N parameters, D tokens)' },
  saturating: { multiplier: 'L_f(N) = A + B/(m_f·N)^alpha, m_ref = 1 (N parameters)', exponents: 'L_f(N) = A + B_f/N^alpha_f (N parameters)' },
};

/** The shared law with a multiplier: its parameters, each family's m_f, how well it fits. */
export interface MultiplierLaw {
  formula: string;
  /** chinchilla: E, A, B, alpha, beta; saturating: A, B, alpha (B for N as a count). */
  params: Record<string, Estimate>;
  /** m_f of every family but the reference. */
  multipliers: Record<string, Estimate>;
  objective: number;
  /** RMS of observed − fitted loss. */
  rmse: number;
  /** RMS of ln(observed) − ln(fitted). */
  logRmse: number;
  converged: boolean;
  /** Exponents or multipliers whose optimum sits on the search bound. */
  atBound: string[];
}

export interface SeparateExponentLaw {
  formula: string;
  /** The shared parameters: chinchilla E, B, beta; saturating A. */
  shared: Record<string, Estimate>;
  /** Per family: its size scale (A_f, or B_f for the saturating form) and exponent alpha_f. */
  families: Record<string, { scale: Estimate; alpha: Estimate }>;
  objective: number;
  rmse: number;
  logRmse: number;
  converged: boolean;
  atBound: string[];
}

export type CeilingVerdict = 'ceiling' | 'no-ceiling' | 'not-identifiable';

/** Family f against the reference at one size N. */
export interface SizeContrast {
  params: number;
  /** N over the largest size both families were run at, when above 1 (an extrapolation); else null. */
  beyondLargest: number | null;
  /** m_f(N) from the separate-exponent law. */
  multiplier: Estimate;
  /** L_f − L_ref at N (any matched D), loss units; negative: f is better. */
  gap: Estimate;
}

export interface FamilyContrast {
  family: string;
  /** m_f of the shared law. */
  multiplier: Estimate;
  /** α_f − α_ref, from the separate-exponent law; null without it. */
  deltaAlpha: Estimate | null;
  /** At each size of f's runs, then at each target size. */
  sizes: SizeContrast[];
  /** Where f's per-decade gain falls below half the reference's; null without the separate-exponent law. */
  ceiling: { verdict: CeilingVerdict; nStar: Estimate | null; beyondLargest: number | null; why: string } | null;
}

export interface FamilyComparison {
  form: FamilyForm;
  reference: string;
  /** The reference first, then the others in the order given (or of first appearance). */
  families: string[];
  runs: Record<string, number>;
  level: number;
  ranges: { params: { min: number; max: number }; tokens: { min: number; max: number } | null };
  shared: MultiplierLaw;
  separate: SeparateExponentLaw | null;
  contrasts: FamilyContrast[];
  bootstrap: BootstrapSummary | null;
  warnings: string[];
  /** Bootstrap draws of the shared law, each [...params in order, m_f of each non-reference family] (for a saved law). */
  samples: number[][];
}

export interface FamilyFitOptions {
  form: FamilyForm;
  reference: string;
  /** Fit the separate-exponent law too (Δα, N*, m(N), the gap; default true). */
  separateExponents?: boolean;
  bootstrap?: BootstrapOptions | false;
  /** Huber δ of the chinchilla form (default 1e-3). */
  delta?: number;
  /** Sizes (parameter counts) at which m(N) and the gap are given besides the runs' own, e.g. 369.6M. */
  targets?: readonly number[];
  /** Family order after the reference (default: order of first appearance). */
  order?: readonly string[];
}

/** The most families one fit takes: the separate-exponent law's linear part (E, A_f…, B) has at most 8 coefficients. */
export const MAX_FAMILIES = 6;
const LN_M_BOUND = Math.log(1e4);
const FULL_EXPONENTS = [0.05, 0.1, 0.2, 0.3, 0.45, 0.7, 1, 1.6, 2.5];
const FULL_LN_M = [0.1, 0.3, 1, 3, 10].map(Math.log);
const SEPARATE_ALPHAS = [0.1, 0.3, 0.6, 1.2];
const SEPARATE_BETAS = [0.15, 0.3, 0.6];
const REFIT_TOLERANCE = 1e-5;

type Variant = 'multiplier' | 'exponents';

/** One fitted law of either variant in plain numbers (the linear part in the units of N and D as given). */
interface Solved {
  /** multiplier: [floor, A, (B), alpha, (beta), m_1…]; exponents: [floor, (B, beta), scale_0…, alpha_0…]. */
  vector: number[];
  theta: Float64Array;
  objective: number;
  converged: boolean;
  atBound: boolean[];
}

interface Layout {
  form: FamilyForm;
  families: string[];
  /** Family index of each point (0: the reference). */
  fam: Int32Array;
}

/**
 * The variable-projection problem of `variant` on the points `idx` selects. θ: multiplier
 * [α, (β), ln m_1…]; exponents [α_0…, (β)]. Linear: multiplier [floor, A', (B')]; exponents
 * [floor, A'_0…, (B')], ln N and ln D centred on their weighted means (A = A'·e^(α·cN)).
 */
function familyProblem(points: readonly FamilyPoint[], layout: Layout, variant: Variant, idx: readonly number[] | undefined, delta: number): { problem: VarProProblem; cN: number; cD: number } {
  const { ix, w } = weightedIndices(points.length, idx);
  const F = layout.families.length;
  const joint = layout.form === 'chinchilla';
  const total = w.reduce((s, v) => s + v, 0);
  const lnN = Float64Array.from(ix, (i) => Math.log(points[i].params));
  const lnD = Float64Array.from(ix, (i) => (joint ? Math.log(points[i].tokens) : 0));
  const cN = lnN.reduce((s, v, i) => s + w[i] * v, 0) / total;
  const cD = lnD.reduce((s, v, i) => s + w[i] * v, 0) / total;
  const xN = lnN.map((v) => v - cN);
  const xD = lnD.map((v) => v - cD);
  const fam = Int32Array.from(ix, (i) => layout.fam[i]);
  const k = variant === 'multiplier' ? (joint ? 3 : 2) : F + (joint ? 2 : 1);
  const bCol = k - 1;
  const betaAt = variant === 'multiplier' ? 1 : F;
  const y = Float64Array.from(ix, (i) => points[i].loss);
  const basis: VarProProblem['basis'] = (theta, phi, offset) => {
    for (let i = 0; i < xN.length; i++) {
      phi.fill(0, k * i, k * i + k);
      phi[k * i] = 1;
      if (variant === 'multiplier') {
        const lnM = fam[i] === 0 ? 0 : theta[(joint ? 2 : 1) + fam[i] - 1];
        phi[k * i + 1] = Math.exp(-theta[0] * (xN[i] + lnM));
      } else phi[k * i + 1 + fam[i]] = Math.exp(-theta[fam[i]] * xN[i]);
      if (joint) phi[k * i + bCol] = Math.exp(-theta[betaAt] * xD[i]);
      offset[i] = 0;
    }
  };
  const basisDerivative: VarProProblem['basisDerivative'] = (theta, j, dphi, doffset) => {
    for (let i = 0; i < xN.length; i++) {
      dphi.fill(0, k * i, k * i + k);
      doffset[i] = 0;
      if (joint && j === betaAt) {
        dphi[k * i + bCol] = -xD[i] * Math.exp(-theta[betaAt] * xD[i]);
        continue;
      }
      if (variant === 'multiplier') {
        const lnM = fam[i] === 0 ? 0 : theta[(joint ? 2 : 1) + fam[i] - 1];
        const u = Math.exp(-theta[0] * (xN[i] + lnM));
        // ∂/∂α: −(x + ln m)·u; ∂/∂ln m_g: −α·u on family g's points only.
        if (j === 0) dphi[k * i + 1] = -(xN[i] + lnM) * u;
        else if (fam[i] === j - (joint ? 2 : 1) + 1) dphi[k * i + 1] = -theta[0] * u;
      } else if (fam[i] === j) dphi[k * i + 1 + j] = -xN[i] * Math.exp(-theta[j] * xN[i]);
    }
  };
  const problem: VarProProblem = {
    y,
    w,
    linear: k,
    nonNegative: new Array(k).fill(true),
    loss: joint ? { kind: 'log-huber', delta } : { kind: 'squares' },
    basis,
    basisDerivative,
  };
  return { problem, cN, cD };
}

/** The search of `variant`: its grid (around `around`, a previous optimum's θ, for a refit) and bounds. */
function searchOf(layout: Layout, variant: Variant, around: Float64Array | null, starts: number[][]): Parameters<typeof solveVarPro>[1] {
  const F = layout.families.length;
  const joint = layout.form === 'chinchilla';
  const exps = variant === 'multiplier' ? (joint ? 2 : 1) : F + (joint ? 1 : 0);
  const dims = variant === 'multiplier' ? exps + F - 1 : exps;
  const isLnM = (j: number) => variant === 'multiplier' && j >= exps;
  // A refit's grid: two points either side of the full-data optimum per dimension (the optimum itself is a start).
  const local = (j: number) => (isLnM(j) ? [around![j] - 0.5, around![j] + 0.5] : [around![j] / 1.5, around![j] * 1.5]);
  const grid = Array.from({ length: dims }, (_, j) => {
    if (around) return local(j).map((v) => (isLnM(j) ? Math.max(-LN_M_BOUND, Math.min(LN_M_BOUND, v)) : Math.max(EXPONENT_RANGE[0], Math.min(EXPONENT_RANGE[1], v))));
    if (isLnM(j)) return FULL_LN_M;
    if (variant === 'multiplier') return FULL_EXPONENTS;
    return joint && j === F ? SEPARATE_BETAS : SEPARATE_ALPHAS;
  });
  const bounds = Array.from({ length: dims }, (_, j) => (isLnM(j) ? ([-LN_M_BOUND, LN_M_BOUND] as const) : EXPONENT_RANGE));
  return { grid, bounds, starts, tolerance: around ? REFIT_TOLERANCE : 1e-9, maxEvaluations: 800 };
}

/** Solve one variant on `idx`; null when no grid point has a solution. */
function solveVariant(points: readonly FamilyPoint[], layout: Layout, variant: Variant, delta: number, idx: readonly number[] | undefined, around: Float64Array | null, starts: number[][] = []): Solved | null {
  const { problem, cN, cD } = familyProblem(points, layout, variant, idx, delta);
  const sol = solveVarPro(problem, searchOf(layout, variant, around, around ? [Array.from(around), ...starts] : starts));
  if (!sol) return null;
  const F = layout.families.length;
  const joint = layout.form === 'chinchilla';
  const th = sol.theta;
  const c = sol.c;
  let vector: number[];
  if (variant === 'multiplier') {
    const alpha = th[0];
    const A = c[1] * Math.exp(alpha * cN);
    const m = Array.from(th.subarray(joint ? 2 : 1), (v) => Math.exp(v));
    vector = joint ? [c[0], A, c[2] * Math.exp(th[1] * cD), alpha, th[1], ...m] : [c[0], A, alpha, ...m];
  } else {
    const scales = Array.from({ length: F }, (_, f) => c[1 + f] * Math.exp(th[f] * cN));
    const alphas = Array.from(th.subarray(0, F));
    vector = joint ? [c[0], c[F + 1] * Math.exp(th[F] * cD), th[F], ...scales, ...alphas] : [c[0], ...scales, ...alphas];
  }
  return { vector, theta: Float64Array.from(th), objective: sol.objective, converged: sol.converged, atBound: sol.atBound };
}

/** Names of the multiplier law's vector entries (the m_f written m[f]). */
function multiplierNames(layout: Layout): string[] {
  const base = layout.form === 'chinchilla' ? ['E', 'A', 'B', 'alpha', 'beta'] : ['A', 'B', 'alpha'];
  return [...base, ...layout.families.slice(1).map((f) => `m[${f}]`)];
}

/** The separate-exponent law's vector read back: shared parameters, then per family (scale, alpha). */
function readSeparate(v: readonly number[], layout: Layout): { shared: Record<string, number>; scale: number[]; alpha: number[] } {
  const F = layout.families.length;
  const head = layout.form === 'chinchilla' ? 3 : 1;
  const shared: Record<string, number> = layout.form === 'chinchilla' ? { E: v[0], B: v[1], beta: v[2] } : { A: v[0] };
  return { shared, scale: v.slice(head, head + F), alpha: v.slice(head + F, head + 2 * F) };
}

/** The loss of family f under the multiplier law's vector. */
export function multiplierLawLoss(form: FamilyForm, v: readonly number[], family: number, params: number, tokens: number): number {
  const m = family === 0 ? 1 : v[(form === 'chinchilla' ? 5 : 3) + family - 1];
  if (form === 'chinchilla') return v[0] + v[1] * Math.pow(m * params, -v[3]) + v[2] * Math.pow(tokens, -v[4]);
  return v[0] + v[1] * Math.pow(m * params, -v[2]);
}

function separateLawLoss(layout: Layout, v: readonly number[], family: number, params: number, tokens: number): number {
  const s = readSeparate(v, layout);
  const size = s.scale[family] * Math.pow(params, -s.alpha[family]);
  return layout.form === 'chinchilla' ? s.shared.E + size + s.shared.B * Math.pow(tokens, -s.shared.beta) : s.shared.A + size;
}

/** m_f(N) = (A_r/A_f)^(1/α_r)·N^(α_f/α_r − 1): the reference's size at which its N-term equals f's at N. */
export function multiplierAtSize(scaleRef: number, alphaRef: number, scale: number, alpha: number, params: number): number {
  return Math.pow(scaleRef / scale, 1 / alphaRef) * Math.pow(params, alpha / alphaRef - 1);
}

/** Loss gained per decade of N by a size term A·N^−α: A·N^−α·(1 − 10^−α). */
export function perDecadeGain(scale: number, alpha: number, params: number): number {
  return scale * Math.pow(params, -alpha) * (1 - Math.pow(10, -alpha));
}

/**
 * N* where f's per-decade gain falls to half the reference's: (2·A_f·c_f/(A_r·c_r))^(1/Δα),
 * c = 1 − 10^−α; null when Δα ≤ 0 (f's gain does not fall relative to the reference's).
 */
export function ceilingSize(scaleRef: number, alphaRef: number, scale: number, alpha: number): number | null {
  const dAlpha = alpha - alphaRef;
  if (!(dAlpha > 0)) return null;
  const cRef = 1 - Math.pow(10, -alphaRef);
  const c = 1 - Math.pow(10, -alpha);
  return Math.pow((2 * scale * c) / (scaleRef * cRef), 1 / dAlpha);
}

/** The estimate and its percentile interval over the draws; the interval is withheld (with a warning) when it excludes the estimate. */
function estimateOf(value: number, draws: readonly number[] | null, level: number, name: string, warnings: string[]): Estimate {
  const iv = draws ? percentileInterval(draws, level) : null;
  if (!iv) return { value, lo: null, hi: null };
  if (Number.isFinite(value) && !holdsEstimate(iv, value)) {
    warnings.push(`the ${Math.round(level * 100)}% bootstrap interval of ${name} (${iv.lo.toPrecision(4)} to ${iv.hi.toPrecision(4)}) excludes its estimate ${value.toPrecision(4)}: the resamples fit other data than the full fit, so no interval is given`);
    return { value, lo: null, hi: null };
  }
  return { value, lo: iv.lo, hi: iv.hi };
}

const fmtN = (n: number) => formatCount(n);

/** Check the points can identify the laws; a BitscaleError saying why not. */
function checkPoints(points: readonly FamilyPoint[], layout: Layout, separate: boolean): void {
  const F = layout.families.length;
  const joint = layout.form === 'chinchilla';
  const bad = points.findIndex((p) => !(p.params > 0 && p.loss > 0 && (!joint || p.tokens > 0)));
  if (bad >= 0) throw new BitscaleError(`point ${bad + 1} (${points[bad].family}): N${joint ? ', D' : ''} and the loss must be positive`, { field: 'params' });
  for (let f = 0; f < F; f++) {
    const sizes = countDistinct(points.filter((_, i) => layout.fam[i] === f).map((p) => p.params));
    if (sizes < 2) throw new BitscaleError(`family ${layout.families[f]} has runs at ${sizes} size(s): a family's size term needs at least 2`, { field: 'family' });
  }
  if (joint && countDistinct(points.map((p) => p.tokens)) < 2) throw new BitscaleError('the chinchilla form needs at least 2 distinct token counts D across the runs', { field: 'tokens' });
  const distinct = countDistinct(points.map((p) => `${p.family}|${p.params}|${joint ? p.tokens : ''}`));
  const p = separate ? (joint ? 3 : 1) + 2 * F : (joint ? 5 : 3) + F - 1;
  if (distinct <= p) throw new BitscaleError(`${distinct} distinct (family, N${joint ? ', D' : ''}) points for the ${p} parameters of the ${separate ? 'separate-exponent' : 'shared'} law: nothing would test it; add runs`, { field: 'family' });
}

/** The distinct sizes of the runs of families `a` and `b`, and the largest size both were run at. */
function largestShared(points: readonly FamilyPoint[], layout: Layout, f: number): number {
  const maxOf = (g: number) => Math.max(...points.filter((_, i) => layout.fam[i] === g).map((p) => p.params));
  return Math.min(maxOf(0), maxOf(f));
}

/**
 * Fit the shared law with a multiplier (and, unless `separateExponents` is false, the
 * separate-exponent law) to every family's points, with stratified bootstrap intervals, and
 * contrast each family with the reference: m_f, m_f(N) and the gap at each size and target, Δα
 * and the ceiling N*. Throws BitscaleError when the reference is not among the families, a family
 * has runs at fewer than two sizes, or the points do not over-determine the laws.
 */
export function compareFamilyLaws(points: readonly FamilyPoint[], options: FamilyFitOptions): FamilyComparison {
  const names = [...new Set(points.map((p) => p.family))];
  if (!names.includes(options.reference)) throw new BitscaleError(`no family '${options.reference}' (families: ${names.join(', ')})`, { field: 'reference' });
  if (names.length < 2) throw new BitscaleError(`only one family (${names[0]}): a comparison needs at least two`, { field: 'family' });
  if (names.length > MAX_FAMILIES) throw new BitscaleError(`${names.length} families: one comparison takes at most ${MAX_FAMILIES}`, { field: 'family' });
  const rest = options.order ? options.order.filter((f) => f !== options.reference && names.includes(f)) : names.filter((f) => f !== options.reference);
  const families = [options.reference, ...rest, ...names.filter((f) => f !== options.reference && !rest.includes(f))];
  const layout: Layout = { form: options.form, families, fam: Int32Array.from(points, (p) => families.indexOf(p.family)) };
  const separate = options.separateExponents !== false;
  checkPoints(points, layout, false);
  if (separate) checkPoints(points, layout, true);
  const delta = options.delta ?? DEFAULT_HUBER_DELTA;
  const joint = options.form === 'chinchilla';
  const warnings: string[] = [];
  const shared = solveVariant(points, layout, 'multiplier', delta, undefined, null);
  if (!shared) throw new BitscaleError('the shared law with a multiplier has no solution on these points', { field: 'family' });
  const sharedTheta = shared.theta;
  // The separate-exponent search also starts from the shared law's exponents (every α_f = α).
  const sepStart: number[] = [...new Array<number>(families.length).fill(sharedTheta[0]), ...(joint ? [sharedTheta[1]] : [])];
  const sep = separate ? solveVariant(points, layout, 'exponents', delta, undefined, null, [sepStart]) : null;
  if (separate && !sep) throw new BitscaleError('the separate-exponent law has no solution on these points', { field: 'family' });
  const mLen = shared.vector.length;
  // The bootstrap: each stratified resample refits both laws near the full-data optima.
  const strata = families.map((_, f) => points.map((_, i) => i).filter((i) => layout.fam[i] === f));
  const refit = (idx: number[]): number[] | null => {
    const enough = families.every((_, f) => countDistinct(idx.filter((i) => layout.fam[i] === f).map((i) => points[i].params)) >= 2) && (!joint || countDistinct(idx.map((i) => points[i].tokens)) >= 2);
    if (!enough) return null;
    const a = solveVariant(points, layout, 'multiplier', delta, idx, sharedTheta);
    const b = sep ? solveVariant(points, layout, 'exponents', delta, idx, sep.theta) : null;
    if (!a || (sep && !b)) return null;
    return [...a.vector, ...(b ? b.vector : [])];
  };
  const draws = options.bootstrap === false ? null : bootstrapParameters(points.length, refit, options.bootstrap ?? {}, undefined, strata);
  const level = draws?.summary.level ?? (options.bootstrap ? options.bootstrap.level : undefined) ?? DEFAULT_BOOTSTRAP.level;
  if (draws && draws.summary.used < draws.summary.requested * 0.5) warnings.push(`only ${draws.summary.used} of ${draws.summary.requested} bootstrap resamples identified both laws; intervals are rough`);
  const column = (j: number) => (draws ? draws.samples.map((s) => s[j]) : null);
  const derived = (fn: (v: number[]) => number) => (draws ? draws.samples.map(fn) : null);

  // The shared law.
  const mNames = multiplierNames(layout);
  const fitted = (lawAt: (i: number) => number) => {
    const r = points.map((p, i) => p.loss - lawAt(i));
    const lr = points.map((p, i) => Math.log(p.loss / lawAt(i)));
    const rms = (v: number[]) => Math.sqrt(v.reduce((s, x) => s + x * x, 0) / v.length);
    return { rmse: rms(r), logRmse: rms(lr) };
  };
  const boundNames = (s: Solved, names: string[]) => names.filter((_, j) => s.atBound[j]);
  const thetaNamesShared = [...(joint ? ['alpha', 'beta'] : ['alpha']), ...families.slice(1).map((f) => `m[${f}]`)];
  const sharedLaw: MultiplierLaw = {
    formula: FAMILY_FORMULAS[options.form].multiplier,
    params: Object.fromEntries(mNames.slice(0, joint ? 5 : 3).map((k, j) => [k, estimateOf(shared.vector[j], column(j), level, k, warnings)])),
    multipliers: Object.fromEntries(families.slice(1).map((f, g) => [f, estimateOf(shared.vector[(joint ? 5 : 3) + g], column((joint ? 5 : 3) + g), level, `m[${f}]`, warnings)])),
    objective: shared.objective,
    ...fitted((i) => multiplierLawLoss(options.form, shared.vector, layout.fam[i], points[i].params, points[i].tokens)),
    converged: shared.converged,
    atBound: boundNames(shared, thetaNamesShared),
  };
  for (const b of sharedLaw.atBound) warnings.push(`the shared law's ${b} sits on its search bound: the runs do not pin it`);

  let separateLaw: SeparateExponentLaw | null = null;
  if (sep) {
    const s = readSeparate(sep.vector, layout);
    const sharedKeys = Object.keys(s.shared);
    const F = families.length;
    const head = sharedKeys.length;
    const scaleName = joint ? 'A' : 'B';
    separateLaw = {
      formula: FAMILY_FORMULAS[options.form].exponents,
      shared: Object.fromEntries(sharedKeys.map((k, j) => [k, estimateOf(sep.vector[j], column(mLen + j), level, k, warnings)])),
      families: Object.fromEntries(
        families.map((f, g) => [f, { scale: estimateOf(s.scale[g], column(mLen + head + g), level, `${scaleName}[${f}]`, warnings), alpha: estimateOf(s.alpha[g], column(mLen + head + F + g), level, `alpha[${f}]`, warnings) }]),
      ),
      objective: sep.objective,
      ...fitted((i) => separateLawLoss(layout, sep.vector, layout.fam[i], points[i].params, points[i].tokens)),
      converged: sep.converged,
      atBound: boundNames(sep, [...families.map((f) => `alpha[${f}]`), ...(joint ? ['beta'] : [])]),
    };
    for (const b of separateLaw.atBound) warnings.push(`the separate-exponent law's ${b} sits on its search bound: the runs do not pin it`);
  }

  const contrasts: FamilyContrast[] = families.slice(1).map((family, g) => {
    const f = g + 1;
    const largest = largestShared(points, layout, f);
    const beyond = (n: number) => (n > largest * (1 + 1e-9) ? n / largest : null);
    const contrast: FamilyContrast = { family, multiplier: sharedLaw.multipliers[family], deltaAlpha: null, sizes: [], ceiling: null };
    if (!sep) return contrast;
    const sepOf = (v: readonly number[]) => readSeparate(v.slice(mLen), layout);
    const full = readSeparate(sep.vector, layout);
    const at = <T>(s: { scale: number[]; alpha: number[] }, fn: (ar: number, aa: number, sf: number, af: number) => T) => fn(s.scale[0], s.alpha[0], s.scale[f], s.alpha[f]);
    contrast.deltaAlpha = estimateOf(full.alpha[f] - full.alpha[0], derived((v) => { const s = sepOf(v); return s.alpha[f] - s.alpha[0]; }), level, `delta alpha of ${family}`, warnings);
    const sizes = [...sortedDistinct(points.filter((_, i) => layout.fam[i] === f).map((p) => p.params)), ...(options.targets ?? [])];
    contrast.sizes = sizes.map((n) => ({
      params: n,
      beyondLargest: beyond(n),
      multiplier: estimateOf(at(full, (sr, ar, sf, af) => multiplierAtSize(sr, ar, sf, af, n)), derived((v) => at(sepOf(v), (sr, ar, sf, af) => multiplierAtSize(sr, ar, sf, af, n))), level, `m(${fmtN(n)}) of ${family}`, warnings),
      gap: estimateOf(at(full, (sr, ar, sf, af) => sf * Math.pow(n, -af) - sr * Math.pow(n, -ar)), derived((v) => at(sepOf(v), (sr, ar, sf, af) => sf * Math.pow(n, -af) - sr * Math.pow(n, -ar))), level, `the gap at ${fmtN(n)} of ${family}`, warnings),
    }));
    const smallest = Math.min(...points.filter((_, i) => layout.fam[i] === 0 || layout.fam[i] === f).map((p) => p.params));
    contrast.ceiling = ceilingOf(family, families[0], contrast.deltaAlpha, at(full, ceilingSize), derived((v) => at(sepOf(v), ceilingSize) ?? Number.POSITIVE_INFINITY), largest, smallest, level);
    return contrast;
  });

  const span = (v: number[]) => ({ min: Math.min(...v), max: Math.max(...v) });
  return {
    form: options.form,
    reference: options.reference,
    families,
    runs: Object.fromEntries(families.map((f, g) => [f, strata[g].length])),
    level,
    ranges: { params: span(points.map((p) => p.params)), tokens: joint ? span(points.map((p) => p.tokens)) : null },
    shared: sharedLaw,
    separate: separateLaw,
    contrasts,
    bootstrap: draws?.summary ?? null,
    warnings,
    samples: draws ? draws.samples.map((s) => s.slice(0, mLen)) : [],
  };
}

const NO_CEILING = 1e6;
/** ln N above this (N > 1e300) is no size: an interval end there comes from draws without a ceiling. */
const OPEN_TOP = 690;

/**
 * The ceiling's verdict: 'not-identifiable' when Δα has no interval or its interval holds 0;
 * 'no-ceiling' when the whole interval is below 0 (f's gain grows relative to the reference's);
 * else 'ceiling' with N* and its interval over the draws (a draw with Δα ≤ 0 has none: +∞, so the
 * interval's top may be open).
 */
function ceilingOf(family: string, reference: string, deltaAlpha: Estimate, nStar: number | null, draws: number[] | null, largest: number, smallest: number, level: number): FamilyContrast['ceiling'] {
  const pct = `${Math.round(level * 100)}%`;
  if (deltaAlpha.lo === null || deltaAlpha.hi === null) return { verdict: 'not-identifiable', nStar: null, beyondLargest: null, why: `not identifiable from these runs: Δα = ${formatParam(deltaAlpha.value, 3)} has no bootstrap interval, so nothing says whether the exponents differ` };
  const iv = `Δα = ${formatParam(deltaAlpha.value, 3)} (${pct} ${formatParam(deltaAlpha.lo, 3)} to ${formatParam(deltaAlpha.hi, 3)})`;
  if (deltaAlpha.lo <= 0 && deltaAlpha.hi >= 0) return { verdict: 'not-identifiable', nStar: null, beyondLargest: null, why: `not identifiable from these runs: ${iv} holds 0, so the runs cannot tell whether ${family}'s per-decade gain falls relative to ${reference}'s` };
  if (deltaAlpha.hi < 0 || nStar === null) return { verdict: 'no-ceiling', nStar: null, beyondLargest: null, why: `no ceiling: ${iv} < 0, so ${family}'s per-decade gain grows relative to ${reference}'s with N` };
  // In ln N*, a draw without a ceiling stands at NO_CEILING: where the interval reaches it, its top is open (null).
  const logs = draws ? percentileInterval(draws.map((v) => (Number.isFinite(v) ? Math.log(v) : NO_CEILING)), level) : null;
  const est: Estimate = logs ? { value: nStar, lo: logs.lo >= OPEN_TOP ? null : Math.exp(logs.lo), hi: logs.hi >= OPEN_TOP ? null : Math.exp(logs.hi) } : { value: nStar, lo: null, hi: null };
  const beyond = nStar > largest ? nStar / largest : null;
  const where = beyond !== null ? `×${beyond.toFixed(1)} beyond the largest run both families share (${fmtN(largest)})` : nStar < smallest ? `below the smallest run (${fmtN(smallest)}): at every size run, ${family}'s gain is already under half` : `inside the runs (largest shared size ${fmtN(largest)})`;
  return { verdict: 'ceiling', nStar: est, beyondLargest: beyond, why: `${iv} > 0: ${family}'s per-decade gain falls below half of ${reference}'s at N* = ${fmtN(nStar)}, ${where}` };
}
