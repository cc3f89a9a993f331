/**
 * The joint-law fitter of bitscale 0.2, kept as the baseline that bench/fit.ts compares the
 * variable-projection fitter (src/fit/chinchilla.ts) against: L-BFGS on the Huber objective in
 * log-space parameters θ = (ln A, ln B, ln E, α, β) from every start of Besiroglu et al. 2024's
 * grid (4,500 starts; screened, best 8 polished), and refits from the full-data optimum with a
 * check of the E = 0 boundary after 250 iterations. Not used by bitscale itself.
 */
import { DEFAULT_GRADIENT_TOLERANCE, minimizeLbfgs, type LbfgsResult, type ValueAndGradient } from './lbfgs.js';
import { DEFAULT_HUBER_DELTA, type JointPoint, type JointSolution as VarProJointSolution } from '../../src/fit/chinchilla.js';

/** A start grid: values for each log-space parameter (a = ln A, b = ln B, e = ln E, alpha, beta). */
export interface StartGrid {
  a: readonly number[];
  b: readonly number[];
  e: readonly number[];
  alpha: readonly number[];
  beta: readonly number[];
}

const range = (from: number, to: number, step: number) => Array.from({ length: Math.round((to - from) / step) + 1 }, (_, i) => from + i * step);

/** Besiroglu et al. 2024's grid of initialisations (4,500 starts). */
export const BESIROGLU_START_GRID: StartGrid = { a: range(0, 25, 5), b: range(0, 25, 5), e: range(-1, 1, 0.5), alpha: range(0, 2, 0.5), beta: range(0, 2, 0.5) };

/** Every other value of that grid in each coordinate: 3⁵ = 243 starts (what bitscale 0.2's run-table fits used). */
export const SUITE_START_GRID: StartGrid = {
  a: BESIROGLU_START_GRID.a.filter((_, i) => i % 2 === 0),
  b: BESIROGLU_START_GRID.b.filter((_, i) => i % 2 === 0),
  e: BESIROGLU_START_GRID.e.filter((_, i) => i % 2 === 0),
  alpha: BESIROGLU_START_GRID.alpha.filter((_, i) => i % 2 === 0),
  beta: BESIROGLU_START_GRID.beta.filter((_, i) => i % 2 === 0),
};

const SCREEN_TOLERANCE = 1e-10;
const POLISH_COUNT = 8;
const MAX_ITERATIONS = 1000;
const BOUNDARY_CHECK_AFTER = 250;
const REFIT_MAX_ITERATIONS = 20000;

interface LogData {
  lnN: Float64Array;
  lnD: Float64Array;
  lnL: Float64Array;
  /** How many times each point counts: a bootstrap resample draws some runs more than once. */
  w: Float64Array;
}

/**
 * The points `idx` selects (default: all, once each) in logs, each distinct index once with its
 * count as a weight: the objective is the same sum, and a resample of n runs holds only about
 * 0.63·n distinct ones, so each evaluation costs a third less.
 */
function logData(points: readonly JointPoint[], idx?: readonly number[]): LogData {
  const counts = new Map<number, number>();
  for (const i of idx ?? points.keys()) counts.set(i, (counts.get(i) ?? 0) + 1);
  const ix = [...counts.keys()];
  return {
    lnN: Float64Array.from(ix, (i) => Math.log(points[i].params)),
    lnD: Float64Array.from(ix, (i) => Math.log(points[i].tokens)),
    lnL: Float64Array.from(ix, (i) => Math.log(points[i].loss)),
    w: Float64Array.from(ix, (i) => counts.get(i)!),
  };
}

/** Σ wᵢ·vᵢ / Σ wᵢ. */
function weightedMean(v: Float64Array, w: Float64Array): number {
  let s = 0;
  let n = 0;
  for (let i = 0; i < v.length; i++) {
    s += w[i] * v[i];
    n += w[i];
  }
  return s / n;
}

/**
 * Σ wᵢ·Huber_δ(LSE(a − α lnN, b − β lnD, e) − lnL) and its gradient, in centred coordinates
 * θ' = (a', b', e, α, β) with a' = a − α·cN, b' = b − β·cD (cN, cD the means of lnN, lnD): the
 * same function, but a' and α are no longer nearly collinear, so L-BFGS needs far fewer steps.
 */
function huberObjective(data: LogData, delta: number, cN: number, cD: number) {
  const n = data.lnL.length;
  const xN = Float64Array.from(data.lnN, (v) => v - cN);
  const xD = Float64Array.from(data.lnD, (v) => v - cD);
  const lnL = data.lnL;
  const w = data.w;
  return (th: Float64Array, g: Float64Array): number => {
    const a = th[0];
    const b = th[1];
    const e = th[2];
    const al = th[3];
    const be = th[4];
    let f = 0;
    let ga = 0;
    let gb = 0;
    let ge = 0;
    let gal = 0;
    let gbe = 0;
    for (let i = 0; i < n; i++) {
      const t1 = a - al * xN[i];
      const t2 = b - be * xD[i];
      // exp(t − max) for the three terms; the largest is exactly 1.
      let p1: number;
      let p2: number;
      let p3: number;
      let m: number;
      if (t1 >= t2 && t1 >= e) {
        m = t1;
        p1 = 1;
        p2 = Math.exp(t2 - m);
        p3 = Math.exp(e - m);
      } else if (t2 >= e) {
        m = t2;
        p1 = Math.exp(t1 - m);
        p2 = 1;
        p3 = Math.exp(e - m);
      } else {
        m = e;
        p1 = Math.exp(t1 - m);
        p2 = Math.exp(t2 - m);
        p3 = 1;
      }
      const s = p1 + p2 + p3;
      const r = m + Math.log(s) - lnL[i];
      const ar = r < 0 ? -r : r;
      const wi = w[i];
      let d: number;
      if (ar <= delta) {
        f += wi * (0.5 * r * r);
        d = wi * r;
      } else {
        f += wi * (delta * (ar - 0.5 * delta));
        d = wi * (r > 0 ? delta : -delta);
      }
      const dr = d / s;
      ga += dr * p1;
      gb += dr * p2;
      ge += dr * p3;
      gal -= dr * p1 * xN[i];
      gbe -= dr * p2 * xD[i];
    }
    g[0] = ga;
    g[1] = gb;
    g[2] = ge;
    g[3] = gal;
    g[4] = gbe;
    return f;
  };
}

/**
 * The Huber objective on the points `idx` selects, in the centred coordinates huberObjective uses,
 * with the maps between θ = (a, b, e, α, β) and those coordinates (e passes through unchanged).
 */
function centredObjective(points: readonly JointPoint[], idx: readonly number[] | undefined, delta: number) {
  const data = logData(points, idx);
  const cN = weightedMean(data.lnN, data.w);
  const cD = weightedMean(data.lnD, data.w);
  return {
    f: huberObjective(data, delta, cN, cD),
    centre: (t: ArrayLike<number>) => [t[0] - t[3] * cN, t[1] - t[4] * cD, t[2], t[3], t[4]],
    uncentre: (x: ArrayLike<number>) => Float64Array.from([x[0] + x[3] * cN, x[1] + x[4] * cD, x[2], x[3], x[4]]),
  };
}

/** An L-BFGS end point with a finite value and finite coordinates. */
function finiteResult(r: LbfgsResult): boolean {
  return Number.isFinite(r.f) && r.x.every(Number.isFinite);
}

function gridStarts(grid: StartGrid): number[][] {
  const out: number[][] = [];
  for (const a of grid.a) for (const b of grid.b) for (const e of grid.e) for (const al of grid.alpha) for (const be of grid.beta) out.push([a, b, e, al, be]);
  return out;
}

/** bitscale's JointSolution less `atBound` (this fitter has no bounds); `iterations` counts L-BFGS iterations. */
export type JointSolution = Omit<VarProJointSolution, 'atBound'>;

/**
 * Minimise the Huber objective from each start (θ = (a, b, e, α, β)); keep the lowest. Each start
 * is mapped to centred coordinates, minimised there, and the optimum mapped back.
 */
export function solveChinchillaLbfgs(
  points: readonly JointPoint[],
  options: { delta?: number; grid?: StartGrid; starts?: readonly number[][]; idx?: readonly number[]; maxIterations?: number; screenTolerance?: number } = {},
): JointSolution | null {
  const { f, centre, uncentre } = centredObjective(points, options.idx, options.delta ?? DEFAULT_HUBER_DELTA);
  const starts = options.starts ?? gridStarts(options.grid ?? BESIROGLU_START_GRID);
  // Every start runs to a screening tolerance; the few best end points are then polished to
  // scipy-tight tolerance (ftol 1e-15) and the lowest kept.
  const screened: LbfgsResult[] = [];
  let iterations = 0;
  const screenTol = starts.length > POLISH_COUNT ? options.screenTolerance ?? SCREEN_TOLERANCE : 1e-15;
  for (const s of starts) {
    const r = minimizeLbfgs(f, centre(s), { maxIterations: options.maxIterations ?? MAX_ITERATIONS, functionTolerance: screenTol });
    iterations += r.iterations;
    if (finiteResult(r)) screened.push(r);
  }
  screened.sort((p, q) => p.f - q.f);
  let best: LbfgsResult | null = screened[0] ?? null;
  if (screenTol > 1e-15) {
    for (const r of screened.slice(0, POLISH_COUNT)) {
      const polished = minimizeLbfgs(f, r.x, { maxIterations: 5000, functionTolerance: 1e-15 });
      iterations += polished.iterations;
      if (Number.isFinite(polished.f) && best && polished.f < best.f) best = polished;
    }
  }
  if (!best) return null;
  return { theta: uncentre(best.x), objective: best.f, starts: starts.length, converged: best.converged, iterations };
}

/** A refit's optimum; `atFloor` when it is the E = 0 boundary (theta's e is −∞, E exactly 0). */
export interface JointRefit extends JointSolution {
  atFloor: boolean;
}

/** ln E at which E is negligible beside any loss yet exp(e) is still a normal double (see floorSlope). */
const LN_TINY_E = Math.log(1e-300);

/**
 * ∂f/∂E at E = 0 for the floor-free law at x4 = (a', b', α, β) (centred): Σ ψ(rᵢ)/L̂ᵢ. The e-gradient
 * of the objective at a negligible E is E·Σ ψ(rᵢ)/L̂ᵢ, so dividing it by that E gives the slope.
 */
function floorSlope(f: ValueAndGradient, x4: Float64Array): number {
  const g = new Float64Array(5);
  f(Float64Array.from([x4[0], x4[1], LN_TINY_E, x4[2], x4[3]]), g);
  return g[2] / Math.exp(LN_TINY_E);
}

/**
 * Refit the joint law on `idx` from `start` (θ = (a, b, e, α, β), the full-data optimum). With few
 * runs a resample often has no floor: its objective keeps falling as E → 0, and L-BFGS in e = ln E
 * walks towards −∞ for thousands of iterations (each step in e costs the same while E shrinks
 * geometrically), stopping mid-way at whatever cap it has. So a refit not converged after
 * BOUNDARY_CHECK_AFTER iterations is compared with the boundary E = 0: the floor-free law
 * L = A/N^α + B/D^β minimised from where L-BFGS stands. The boundary is the refit's optimum when it
 * is at least as low and is a Karush–Kuhn–Tucker point of the problem in E ≥ 0 (∂f/∂E ≥ 0 there,
 * to L-BFGS's own gradient tolerance: raising E from 0 does not help); otherwise L-BFGS goes on in
 * all five parameters, up to REFIT_MAX_ITERATIONS.
 */
export function refitChinchillaLbfgs(points: readonly JointPoint[], start: readonly number[], options: { delta?: number; idx?: readonly number[] } = {}): JointRefit | null {
  const { f, centre, uncentre } = centredObjective(points, options.idx, options.delta ?? DEFAULT_HUBER_DELTA);
  // The floor-free law: the objective with e = −∞ (the third term vanishes), over (a', b', α, β).
  const th = new Float64Array(5);
  const g5 = new Float64Array(5);
  const floorFree: ValueAndGradient = (x, g) => {
    th[0] = x[0];
    th[1] = x[1];
    th[2] = Number.NEGATIVE_INFINITY;
    th[3] = x[2];
    th[4] = x[3];
    const v = f(th, g5);
    g[0] = g5[0];
    g[1] = g5[1];
    g[2] = g5[3];
    g[3] = g5[4];
    return v;
  };
  // At the checkpoint: the boundary's optimum, from where L-BFGS stands, if it wins.
  let atFloor: LbfgsResult | null = null;
  let floorIterations = 0;
  const boundaryWins = (x: Float64Array, fx: number): boolean => {
    const floor = minimizeLbfgs(floorFree, [x[0], x[1], x[3], x[4]], { maxIterations: REFIT_MAX_ITERATIONS, functionTolerance: 1e-15 });
    floorIterations = floor.iterations;
    if (finiteResult(floor) && floor.f <= fx && floorSlope(f, floor.x) >= -DEFAULT_GRADIENT_TOLERANCE) atFloor = floor;
    return atFloor !== null;
  };
  const run = minimizeLbfgs(f, centre(start), { maxIterations: REFIT_MAX_ITERATIONS, functionTolerance: 1e-15, checkpoint: { at: BOUNDARY_CHECK_AFTER, stop: boundaryWins } });
  const iterations = run.iterations + floorIterations;
  const floor = atFloor as LbfgsResult | null;
  if (floor) {
    const x = floor.x;
    return { theta: uncentre([x[0], x[1], Number.NEGATIVE_INFINITY, x[2], x[3]]), objective: floor.f, starts: 1, converged: floor.converged, iterations, atFloor: true };
  }
  return finiteResult(run) ? { theta: uncentre(run.x), objective: run.f, starts: 1, converged: run.converged, iterations, atFloor: false } : null;
}

