/**
 * The offset power law y = offset + scale · x^(−exponent), the shape of both the step law
 * L(S) = L∞ + C·S^(−β) and the saturating parameter law L(N) = A + B/N^α.
 *
 * Least squares by variable projection (Golub & Pereyra 1973): for a given exponent the model is
 * linear in (offset, scale), which have a closed form; the exponent is found by a log-spaced scan
 * of the profile residual followed by golden-section search. The main fit is then polished with
 * Levenberg–Marquardt (ml-levenberg-marquardt) on all free parameters. Any parameter may be fixed.
 */
import { levenbergMarquardt } from 'ml-levenberg-marquardt';
import type { Determination, FitForm, FitResult } from './types.js';
import { assembleFit, estimateUncertainty, type BootstrapOptions } from './resample.js';
import { countDistinct } from './stats.js';

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

interface Profile {
  offset: number;
  scaleNorm: number;
  rss: number;
}

/**
 * For a fixed exponent k, the least-squares offset and scale on z = x / xRef (scaleNorm is the
 * scale for z; scale for x is scaleNorm · xRef^k).
 */
function profileAt(z: readonly number[], y: readonly number[], k: number, fixed: OffsetPowerLawFixed, xRef: number): Profile | null {
  const n = z.length;
  const u = z.map((v) => Math.pow(v, -k));
  let offset: number;
  let scaleNorm: number;
  if (fixed.scale !== undefined) {
    scaleNorm = fixed.scale * Math.pow(xRef, -k);
    if (fixed.offset !== undefined) offset = fixed.offset;
    else {
      let s = 0;
      for (let i = 0; i < n; i++) s += y[i] - scaleNorm * u[i];
      offset = s / n;
    }
  } else if (fixed.offset !== undefined) {
    offset = fixed.offset;
    let suy = 0;
    let suu = 0;
    for (let i = 0; i < n; i++) {
      suy += u[i] * (y[i] - offset);
      suu += u[i] * u[i];
    }
    if (!(suu > 0)) return null;
    scaleNorm = suy / suu;
  } else {
    let mu = 0;
    let my = 0;
    for (let i = 0; i < n; i++) {
      mu += u[i];
      my += y[i];
    }
    mu /= n;
    my /= n;
    let suu = 0;
    let suy = 0;
    for (let i = 0; i < n; i++) {
      suu += (u[i] - mu) ** 2;
      suy += (u[i] - mu) * (y[i] - my);
    }
    if (!(suu > 1e-300) || suu < 1e-24 * mu * mu * n) return null;
    scaleNorm = suy / suu;
    offset = my - scaleNorm * mu;
  }
  let rss = 0;
  for (let i = 0; i < n; i++) rss += (y[i] - offset - scaleNorm * u[i]) ** 2;
  return Number.isFinite(rss) ? { offset, scaleNorm, rss } : null;
}

/**
 * Least-squares solution of y = offset + scale·x^(−exponent) with any parameter fixed; null when the
 * points cannot identify the free parameters (fewer distinct x than free parameters).
 * `polish` runs Levenberg–Marquardt from the profile solution (used for the main fit; the
 * bootstrap relies on the profile search alone, which already finds the least-squares optimum).
 */
export function solveOffsetPowerLaw(
  x: readonly number[],
  y: readonly number[],
  fixed: OffsetPowerLawFixed = {},
  options: { polish?: boolean; exponentRange?: readonly [number, number] } = {},
): OffsetPowerLawSolution | null {
  const p = freeParameterCount(fixed);
  if (x.length === 0 || countDistinct(x) < Math.max(p, 1) || x.some((v) => !(v > 0))) return null;
  const xRef = Math.exp(x.reduce((s, v) => s + Math.log(v), 0) / x.length);
  const z = x.map((v) => v / xRef);
  const [kMin, kMax] = options.exponentRange ?? EXPONENT_RANGE;
  let best: { k: number; prof: Profile } | null = null;
  let atBound = false;
  if (fixed.exponent !== undefined) {
    const prof = profileAt(z, y, fixed.exponent, fixed, xRef);
    if (prof) best = { k: fixed.exponent, prof };
  } else {
    const steps = 96;
    const grid: number[] = [];
    for (let i = 0; i <= steps; i++) grid.push(kMin * Math.pow(kMax / kMin, i / steps));
    let bi = -1;
    let bestRss = Infinity;
    const profiles = grid.map((k) => profileAt(z, y, k, fixed, xRef));
    profiles.forEach((pr, i) => {
      if (pr && pr.rss < bestRss) {
        bestRss = pr.rss;
        bi = i;
      }
    });
    if (bi < 0) return null;
    // Golden-section search on log k between the scan's neighbours of the best point.
    let a = Math.log(grid[Math.max(bi - 1, 0)]);
    let b = Math.log(grid[Math.min(bi + 1, steps)]);
    const rssAt = (lk: number) => profileAt(z, y, Math.exp(lk), fixed, xRef)?.rss ?? Infinity;
    const phi = (Math.sqrt(5) - 1) / 2;
    let c = b - phi * (b - a);
    let d = a + phi * (b - a);
    let fc = rssAt(c);
    let fd = rssAt(d);
    for (let it = 0; it < 80 && b - a > 1e-13; it++) {
      if (fc < fd) {
        b = d;
        d = c;
        fd = fc;
        c = b - phi * (b - a);
        fc = rssAt(c);
      } else {
        a = c;
        c = d;
        fc = fd;
        d = a + phi * (b - a);
        fd = rssAt(d);
      }
    }
    let k = Math.exp((a + b) / 2);
    let prof = profileAt(z, y, k, fixed, xRef);
    if (!prof || prof.rss > bestRss) {
      k = grid[bi];
      prof = profiles[bi];
    }
    if (!prof) return null;
    best = { k, prof };
    atBound = (bi === 0 || bi === steps) && (Math.abs(Math.log(k / kMin)) < 1e-3 || Math.abs(Math.log(k / kMax)) < 1e-3);
  }
  if (!best) return null;
  let sol: OffsetPowerLawSolution = {
    offset: best.prof.offset,
    scale: best.prof.scaleNorm * Math.pow(xRef, best.k),
    exponent: best.k,
    rss: best.prof.rss,
    atBound,
    lmIterations: 0,
  };
  if (options.polish && p > 0 && !atBound && sol.rss > 1e-24) sol = polishWithLevenbergMarquardt(z, y, fixed, xRef, sol);
  return sol;
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

/** The warning a fit carries for its determination, or null when over-determined. */
export function determinationWarning(d: Determination, n: number, distinct: number, p: number): string | null {
  if (d === 'exact') return `exactly determined: ${distinct} distinct point(s) for ${p} free parameter(s); the curve passes through every point, so there is no residual to judge it by and no interval`;
  if (d === 'under') return `under-determined: ${distinct} distinct point(s) (${n} in all) for ${p} free parameter(s); the parameters are not identified`;
  return null;
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
  const dw = determinationWarning(determination, n, distinct, p);
  if (dw) warnings.push(dw);
  const nonPositive = x.findIndex((v) => !(v > 0));
  const sol = determination === 'under' || nonPositive >= 0 ? null : solveOffsetPowerLaw(x, y, fixed, { polish: true });
  const failure = determination === 'under' ? dw : nonPositive >= 0 ? `x must be positive for a power law: x = ${x[nonPositive]} at point ${nonPositive + 1}` : sol ? null : 'the solver found no least-squares solution';
  const params = { [kOff]: sol?.offset ?? Number.NaN, [kScale]: sol?.scale ?? Number.NaN, [kExp]: sol?.exponent ?? Number.NaN } as Record<K, number>;
  const residuals = sol ? x.map((xi, i) => y[i] - offsetPowerLaw(sol, xi)) : x.map(() => Number.NaN);
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
    identified: sol !== null && determination === 'over',
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
      diagnostics: { solver: 'variable projection (golden-section on the exponent) + Levenberg–Marquardt polish', lmIterations: sol?.lmIterations ?? 0, exponentAtBound: sol?.atBound ?? false },
      paramOrder: [kOff, kScale, kExp],
      freeParameters: p,
      determination,
      solved: sol !== null,
      failure,
      noExtrapolation,
    },
    u,
  );
}
