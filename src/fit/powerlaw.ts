/**
 * The offset power law y = offset + scale · x^(−exponent), the shape of both the step law
 * L(S) = L∞ + C·S^(−β) and the saturating parameter law L(N) = A + B/N^α.
 *
 * Least squares by variable projection (src/fit/varpro.ts, Golub & Pereyra 1973): for a given
 * exponent the model is linear in (offset, scale), solved exactly; the exponent is found by a
 * log-spaced scan of the profile residual and a local polish. The main fit is then polished with
 * Levenberg–Marquardt (ml-levenberg-marquardt) on all free parameters. Any parameter may be fixed.
 * The offset is a loss floor (A, L∞): a fitted floor below zero is a failed fit, not a law.
 */
import { levenbergMarquardt } from 'ml-levenberg-marquardt';
import { ROUNDING, type Determination, type FitForm, type FitResult } from './types.js';
import { assembleFit, estimateUncertainty, type BootstrapOptions } from './resample.js';
import { countDistinct } from './stats.js';
import { solveVarPro, type VarProProblem } from './varpro.js';

export interface OffsetPowerLaw {
  offset: number;
  scale: number;
  exponent: number;
}

export type OffsetPowerLawFixed = Partial<OffsetPowerLaw>;

export interface OffsetPowerLawSolution extends OffsetPowerLaw {
  /** Σ (y − ŷ)². */
  rss: number;
  /** The exponent sits on its search bound (no interior optimum: the data do not bend like a power law). */
  atBound: boolean;
  lmIterations: number;
}

/** Exponents searched (both fitted laws decay; 5 is far beyond any LM scaling exponent). */
export const EXPONENT_RANGE: readonly [number, number] = [1e-3, 5];

/** y = offset + scale · x^(−exponent). */
export function offsetPowerLaw(p: OffsetPowerLaw, x: number): number {
  return p.offset + p.scale * Math.pow(x, -p.exponent);
}

/** Free parameters of the law given what is fixed. */
export function freeParameterCount(fixed: OffsetPowerLawFixed): number {
  return (fixed.offset === undefined ? 1 : 0) + (fixed.scale === undefined ? 1 : 0) + (fixed.exponent === undefined ? 1 : 0);
}

/**
 * Least-squares solution of y = offset + scale·x^(−exponent) with any parameter fixed; null when the
 * points cannot identify the free parameters (fewer distinct x than free parameters). Variable
 * projection (src/fit/varpro.ts): offset and scale, free in sign, are exact for each exponent; the
 * exponent is searched on 97 log-spaced values of EXPONENT_RANGE, then polished. `polish` runs
 * Levenberg–Marquardt from that solution on all free parameters (kept only if it lowers the RSS).
 */
export function solveOffsetPowerLaw(
  x: readonly number[],
  y: readonly number[],
  fixed: OffsetPowerLawFixed = {},
  options: { polish?: boolean; exponentRange?: readonly [number, number] } = {},
): OffsetPowerLawSolution | null {
  const p = freeParameterCount(fixed);
  if (x.length === 0 || countDistinct(x) < Math.max(p, 1) || x.some((v) => !(v > 0))) return null;
  // x in units of its geometric mean, so that x^(−k) stays of order 1 whatever x's unit.
  const xRef = Math.exp(x.reduce((s, v) => s + Math.log(v), 0) / x.length);
  const lnZ = x.map((v) => Math.log(v / xRef));
  const range = options.exponentRange ?? EXPONENT_RANGE;
  const [kMin, kMax] = range;
  const steps = 96;
  const grid = fixed.exponent !== undefined ? [fixed.exponent] : Array.from({ length: steps + 1 }, (_, i) => kMin * Math.pow(kMax / kMin, i / steps));
  // Linear coefficients: the offset and the scale of z^(−k) (scale for x is that · xRef^k), each unless fixed.
  const freeOffset = fixed.offset === undefined;
  const freeScale = fixed.scale === undefined;
  const k = Number(freeOffset) + Number(freeScale);
  const problem: VarProProblem = {
    y,
    linear: k,
    nonNegative: new Array(k).fill(false),
    loss: { kind: 'squares' },
    basis(theta, phi, offset) {
      const e = theta[0];
      for (let i = 0; i < lnZ.length; i++) {
        const u = Math.exp(-e * lnZ[i]);
        let j = 0;
        if (freeOffset) phi[i * k + j++] = 1;
        if (freeScale) phi[i * k + j++] = u;
        offset[i] = (freeOffset ? 0 : fixed.offset!) + (freeScale ? 0 : fixed.scale! * Math.pow(x[i], -e));
      }
    },
  };
  const sol = solveVarPro(problem, { grid: [grid], bounds: [fixed.exponent !== undefined ? [fixed.exponent, fixed.exponent] : range], tolerance: 1e-12 });
  if (!sol) return null;
  const exponent = sol.theta[0];
  const offset = freeOffset ? sol.c[0] : fixed.offset!;
  const scale = freeScale ? sol.c[k - 1] * Math.pow(xRef, exponent) : fixed.scale!;
  let out: OffsetPowerLawSolution = { offset, scale, exponent, rss: sol.objective, atBound: sol.atBound[0], lmIterations: 0 };
  if (options.polish && p > 0 && !out.atBound && out.rss > 1e-24) out = polishWithLevenbergMarquardt(x.map((v) => v / xRef), y, fixed, xRef, out);
  return out;
}

/** Levenberg–Marquardt on the free parameters (in z = x/xRef units), started at the profile solution; kept only if it lowers the RSS. */
function polishWithLevenbergMarquardt(z: readonly number[], y: readonly number[], fixed: OffsetPowerLawFixed, xRef: number, start: OffsetPowerLawSolution): OffsetPowerLawSolution {
  const names = (['offset', 'scaleNorm', 'exponent'] as const).filter((k) => (k === 'scaleNorm' ? fixed.scale === undefined : fixed[k] === undefined));
  const startNorm = { offset: start.offset, scaleNorm: start.scale * Math.pow(xRef, -start.exponent), exponent: start.exponent };
  const unpack = (v: number[]) => {
    const q = { ...startNorm };
    names.forEach((k, i) => (q[k] = v[i]));
    if (fixed.scale !== undefined) q.scaleNorm = fixed.scale * Math.pow(xRef, -q.exponent);
    return q;
  };
  const model = (v: number[]) => {
    const q = unpack(v);
    return (t: number) => q.offset + q.scaleNorm * Math.pow(t, -q.exponent);
  };
  try {
    const r = levenbergMarquardt({ x: z, y }, model, {
      initialValues: names.map((k) => startNorm[k]),
      maxIterations: 50,
      errorTolerance: 0,
      damping: 1e-3,
      gradientDifference: 1e-7,
      centralDifference: true,
    });
    const q = unpack(r.parameterValues);
    if (!(r.parameterError < start.rss) || !Number.isFinite(r.parameterError) || q.exponent <= 0) return { ...start, lmIterations: r.iterations };
    return { offset: q.offset, scale: q.scaleNorm * Math.pow(xRef, q.exponent), exponent: q.exponent, rss: r.parameterError, atBound: false, lmIterations: r.iterations };
  } catch {
    return start;
  }
}

/** How many points a fit had for its p free parameters, judged by distinct x. */
export function determinationOf(distinctPoints: number, freeParameters: number): Determination {
  return distinctPoints < freeParameters ? 'under' : distinctPoints === freeParameters ? 'exact' : 'over';
}

/**
 * The warning a fit carries for its determination, or null when over-determined. With as many
 * distinct points as free parameters, "exactly determined" is said only when the residuals are
 * zero to rounding; otherwise the law cannot pass through its points, and the warning gives the
 * residual. Either way nothing tests the law.
 */
export function determinationWarning(d: Determination, n: number, distinct: number, p: number, residuals: readonly number[] | null = null, y: readonly number[] = []): string | null {
  if (d === 'under') return `under-determined: ${distinct} distinct point(s) (${n} in all) for ${p} free parameter(s); the parameters are not identified`;
  if (d === 'over') return null;
  const replicates = n > distinct ? ` (${n} rows: repeats of the same x count as replicates, not as new points)` : '';
  if (residuals && residuals.every(Number.isFinite)) {
    const scale = Math.max(...y.map(Math.abs), 1e-300);
    const worst = Math.max(...residuals.map(Math.abs));
    if (worst > ROUNDING * scale) {
      const rms = Math.sqrt(residuals.reduce((s, r) => s + r * r, 0) / residuals.length);
      return `as many distinct points (${distinct}) as free parameters${replicates}, yet the law does not pass through them (RMSE ${rms.toPrecision(3)}, largest |residual| ${worst.toPrecision(3)}): nothing tests it, and it has no interval`;
    }
  }
  return `exactly determined: ${distinct} distinct point(s) for ${p} free parameter(s)${replicates}; the curve passes through every point, so nothing tests it and it has no interval`;
}

export interface OffsetPowerLawFitOptions<K extends string> {
  form: FitForm;
  formula: string;
  /** Names for (offset, scale, exponent) in the result, e.g. ['Linf', 'C', 'beta']. */
  names: readonly [K, K, K];
  fixed?: Partial<Record<K, number>>;
  /** false: no bootstrap. Default: 1000 resamples, seed 1, 80%. */
  bootstrap?: BootstrapOptions | false;
  /** Leave-one-out prediction error (default true when the fit is over-determined). */
  loo?: boolean;
}

/**
 * Fit y = offset + scale·x^(−exponent) with uncertainty and diagnostics, reporting the parameters
 * under the caller's names. Intervals come from the pairs bootstrap (only for over-determined
 * fits); leave-one-out error likewise.
 */
export function fitOffsetPowerLaw<K extends string>(x: readonly number[], y: readonly number[], options: OffsetPowerLawFitOptions<K>): FitResult<K> {
  const [kOff, kScale, kExp] = options.names;
  const fixedNamed: Partial<Record<K, number>> = options.fixed ?? {};
  const fixed: OffsetPowerLawFixed = { offset: fixedNamed[kOff], scale: fixedNamed[kScale], exponent: fixedNamed[kExp] };
  const p = freeParameterCount(fixed);
  const n = x.length;
  const distinct = countDistinct(x);
  const determination = determinationOf(distinct, p);
  const warnings: string[] = [];
  const nonPositive = x.findIndex((v) => !(v > 0));
  const sol = determination === 'under' || nonPositive >= 0 ? null : solveOffsetPowerLaw(x, y, fixed, { polish: true });
  const params = { [kOff]: sol?.offset ?? Number.NaN, [kScale]: sol?.scale ?? Number.NaN, [kExp]: sol?.exponent ?? Number.NaN } as Record<K, number>;
  const residuals = sol ? x.map((xi, i) => y[i] - offsetPowerLaw(sol, xi)) : x.map(() => Number.NaN);
  const dw = determinationWarning(determination, n, distinct, p, sol ? residuals : null, y);
  if (dw) warnings.push(dw);
  // A loss has no negative floor: such an optimum says the points do not bend towards any floor.
  const belowZero = sol && fixed.offset === undefined && sol.offset < 0 ? `the fitted floor ${kOff} = ${sol.offset.toPrecision(4)} is below zero, and no loss is negative: the points do not bend towards a floor (${kExp} = ${sol.exponent.toPrecision(3)}), so there is no law with ${kOff} fitted; hold ${kOff} fixed or add points that show the floor` : null;
  const failure = determination === 'under' ? dw : nonPositive >= 0 ? `x must be positive for a power law: x = ${x[nonPositive]} at point ${nonPositive + 1}` : !sol ? 'the solver found no least-squares solution' : belowZero;
  // Either shape is no decaying power law: shown, but not a law to extrapolate with.
  const flags = [
    sol?.atBound ? `${kExp} sits on its search bound [${EXPONENT_RANGE.join(', ')}]: the points do not bend like a decaying power law` : null,
    sol && sol.scale < 0 && fixed.scale === undefined ? `${kScale} < 0: the fitted curve rises with x` : null,
  ].filter((f): f is string => f !== null);
  const noExtrapolation = flags.length ? `${flags.join('; ')}, so do not extrapolate with this law` : null;
  if (noExtrapolation) warnings.push(noExtrapolation);
  const subsetFit = (idx: number[]): number[] | null => {
    const s = solveOffsetPowerLaw(
      idx.map((i) => x[i]),
      idx.map((i) => y[i]),
      fixed,
    );
    // Every refit that identifies the law counts, on its bound or not: dropping some by their
    // outcome would describe other data than the fit's (the fit itself may sit on the bound).
    return s ? [s.offset, s.scale, s.exponent] : null;
  };
  const predictPoint = (q: number[], i: number) => offsetPowerLaw({ offset: q[0], scale: q[1], exponent: q[2] }, x[i]);
  const u = estimateUncertainty([kOff, kScale, kExp], fixedNamed, n, subsetFit, predictPoint, y, {
    identified: sol !== null && determination === 'over' && belowZero === null,
    estimate: [params[kOff], params[kScale], params[kExp]],
    bootstrap: options.bootstrap,
    loo: options.loo,
  });
  return assembleFit(
    {
      form: options.form,
      formula: options.formula,
      params,
      fixed: Object.fromEntries(Object.entries(fixedNamed).filter(([, v]) => v !== undefined)) as Partial<Record<K, number>>,
      residuals,
      objective: sol?.rss ?? Number.NaN,
      warnings,
      diagnostics: { solver: 'variable projection (exponent scan and polish, offset and scale exact) + Levenberg–Marquardt polish', lmIterations: sol?.lmIterations ?? 0, exponentAtBound: sol?.atBound ?? false },
      paramOrder: [kOff, kScale, kExp],
      freeParameters: p,
      determination,
      solved: sol !== null && belowZero === null,
      failure,
      noExtrapolation,
    },
    u,
  );
}
