/**
 * Limited-memory BFGS (Nocedal 1980; Nocedal & Wright 2006, Algorithm 7.4 with the two-loop
 * recursion 7.5) with a backtracking Armijo line search. Used for the joint law's Huber objective,
 * as Hoffmann et al. 2022 and Besiroglu et al. 2024 use L-BFGS. Unconstrained; no I/O.
 */

/** The default gradient test: stop when max |∂f/∂x| ≤ this. */
export const DEFAULT_GRADIENT_TOLERANCE = 1e-10;

export interface LbfgsOptions {
  /** Pairs (s, y) kept (default 10). */
  memory?: number;
  maxIterations?: number;
  /** Stop when max |∂f/∂x| falls below this (default 1e-10). */
  gradientTolerance?: number;
  /** Stop when (f_k − f_{k+1}) / max(|f_k|, |f_{k+1}|, 1) ≤ this (default 1e-15, scipy's L-BFGS-B `ftol` as Besiroglu et al. set it). */
  functionTolerance?: number;
  /**
   * Called once, after iteration `at` if L-BFGS has not stopped by then, with the current point and
   * value; returning true stops the run there (the result then says `converged: false`).
   */
  checkpoint?: { at: number; stop: (x: Float64Array, f: number) => boolean };
}

export interface LbfgsResult {
  x: Float64Array;
  f: number;
  iterations: number;
  evaluations: number;
  converged: boolean;
}

/** f(x) returning the value and writing ∂f/∂x into `grad`. */
export type ValueAndGradient = (x: Float64Array, grad: Float64Array) => number;

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

function maxAbs(a: Float64Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

/**
 * Minimise f from x0. Returns the best point seen. The (s, y) pairs live in one ring buffer, and no
 * array is allocated per iteration: the joint law's bootstrap runs this hundreds of thousands of
 * iterations on five parameters, where allocation would cost as much as the objective.
 */
export function minimizeLbfgs(f: ValueAndGradient, x0: ArrayLike<number>, options: LbfgsOptions = {}): LbfgsResult {
  const m = options.memory ?? 10;
  const maxIterations = options.maxIterations ?? 1000;
  const gtol = options.gradientTolerance ?? DEFAULT_GRADIENT_TOLERANCE;
  const ftol = options.functionTolerance ?? 1e-15;
  const n = x0.length;
  const x = Float64Array.from(x0);
  let g = new Float64Array(n);
  let fx = f(x, g);
  let evaluations = 1;
  // Pair j (0 = oldest of the k kept) is at slot (head + j) % m; S and Y hold slot t at t·n.
  const S = new Float64Array(m * n);
  const Y = new Float64Array(m * n);
  const rho = new Float64Array(m);
  let head = 0;
  let k = 0;
  /** Pair j's slot, j < 2m: head + j, less m past the end (a compare, not an integer division: L-BFGS runs hundreds of thousands of iterations in a bootstrap). */
  const slotOf = (j: number) => (head + j < m ? head + j : head + j - m);
  const alpha = new Float64Array(m);
  const d = new Float64Array(n);
  const xNew = new Float64Array(n);
  let gNew = new Float64Array(n);
  let iterations = 0;
  let converged = !Number.isFinite(fx) ? false : maxAbs(g) <= gtol;
  while (!converged && iterations < maxIterations && Number.isFinite(fx)) {
    iterations++;
    // Two-loop recursion: d = −H·g.
    for (let i = 0; i < n; i++) d[i] = -g[i];
    for (let j = k - 1; j >= 0; j--) {
      const slot = slotOf(j);
      const o = slot * n;
      let sd = 0;
      for (let i = 0; i < n; i++) sd += S[o + i] * d[i];
      const a = rho[slot] * sd;
      alpha[j] = a;
      for (let i = 0; i < n; i++) d[i] -= a * Y[o + i];
    }
    let gamma: number;
    if (k > 0) {
      const o = slotOf(k - 1) * n;
      let sy = 0;
      let yy = 0;
      for (let i = 0; i < n; i++) sy += S[o + i] * Y[o + i];
      for (let i = 0; i < n; i++) yy += Y[o + i] * Y[o + i];
      gamma = sy / yy;
    } else gamma = 1 / Math.max(maxAbs(g), 1e-300);
    for (let i = 0; i < n; i++) d[i] *= gamma;
    for (let j = 0; j < k; j++) {
      const slot = slotOf(j);
      const o = slot * n;
      let yd = 0;
      for (let i = 0; i < n; i++) yd += Y[o + i] * d[i];
      const c = alpha[j] - rho[slot] * yd;
      for (let i = 0; i < n; i++) d[i] += c * S[o + i];
    }
    let slope = dot(g, d);
    if (!(slope < 0)) {
      // Not a descent direction: restart from steepest descent.
      k = 0;
      head = 0;
      const scale = 1 / Math.max(maxAbs(g), 1e-300);
      for (let i = 0; i < n; i++) d[i] = -g[i] * scale;
      slope = dot(g, d);
    }
    // Backtracking Armijo line search (c1 = 1e-4, halving).
    let step = 1;
    let fNew = Number.NaN;
    let accepted = false;
    for (let ls = 0; ls < 60; ls++) {
      for (let i = 0; i < n; i++) xNew[i] = x[i] + step * d[i];
      fNew = f(xNew, gNew);
      evaluations++;
      if (Number.isFinite(fNew) && fNew <= fx + 1e-4 * step * slope) {
        accepted = true;
        break;
      }
      step *= 0.5;
    }
    if (!accepted) break;
    // The new pair goes to the slot after the newest, replacing the oldest when all m are kept.
    // A pair with sᵀy ≤ 0 is not kept (it would break the positive definiteness of H).
    let sy = 0;
    for (let i = 0; i < n; i++) sy += (xNew[i] - x[i]) * (gNew[i] - g[i]);
    if (sy > 1e-300) {
      const slot = k < m ? slotOf(k) : head;
      const o = slot * n;
      for (let i = 0; i < n; i++) {
        S[o + i] = xNew[i] - x[i];
        Y[o + i] = gNew[i] - g[i];
      }
      rho[slot] = 1 / sy;
      if (k < m) k++;
      else head = slotOf(1);
    }
    const fPrev = fx;
    x.set(xNew);
    const swap = g;
    g = gNew;
    gNew = swap;
    fx = fNew;
    if (maxAbs(g) <= gtol || (fPrev - fx) / Math.max(Math.abs(fPrev), Math.abs(fx), 1) <= ftol) converged = true;
    else if (iterations === options.checkpoint?.at && options.checkpoint.stop(x, fx)) break;
  }
  return { x, f: fx, iterations, evaluations, converged };
}
