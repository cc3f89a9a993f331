/**
 * Limited-memory BFGS (Nocedal 1980; Nocedal & Wright 2006, Algorithm 7.4 with the two-loop
 * recursion 7.5) with a backtracking Armijo line search. Used for the joint law's Huber objective,
 * as Hoffmann et al. 2022 and Besiroglu et al. 2024 use L-BFGS. Unconstrained; no I/O.
 */

export interface LbfgsOptions {
  /** Pairs (s, y) kept (default 10). */
  memory?: number;
  maxIterations?: number;
  /** Stop when max |∂f/∂x| falls below this (default 1e-10). */
  gradientTolerance?: number;
  /** Stop when (f_k − f_{k+1}) / max(|f_k|, |f_{k+1}|, 1) ≤ this (default 1e-15, scipy's L-BFGS-B `ftol` as Besiroglu et al. set it). */
  functionTolerance?: number;
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

/** Minimise f from x0. Returns the best point seen. */
export function minimizeLbfgs(f: ValueAndGradient, x0: ArrayLike<number>, options: LbfgsOptions = {}): LbfgsResult {
  const m = options.memory ?? 10;
  const maxIterations = options.maxIterations ?? 1000;
  const gtol = options.gradientTolerance ?? 1e-10;
  const ftol = options.functionTolerance ?? 1e-15;
  const n = x0.length;
  let x = Float64Array.from(x0);
  let g = new Float64Array(n);
  let fx = f(x, g);
  let evaluations = 1;
  const S: Float64Array[] = [];
  const Y: Float64Array[] = [];
  const rho: number[] = [];
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
    const k = S.length;
    for (let j = k - 1; j >= 0; j--) {
      alpha[j] = rho[j] * dot(S[j], d);
      for (let i = 0; i < n; i++) d[i] -= alpha[j] * Y[j][i];
    }
    const gamma = k > 0 ? dot(S[k - 1], Y[k - 1]) / dot(Y[k - 1], Y[k - 1]) : 1 / Math.max(maxAbs(g), 1e-300);
    for (let i = 0; i < n; i++) d[i] *= gamma;
    for (let j = 0; j < k; j++) {
      const beta = rho[j] * dot(Y[j], d);
      for (let i = 0; i < n; i++) d[i] += (alpha[j] - beta) * S[j][i];
    }
    let slope = dot(g, d);
    if (!(slope < 0)) {
      // Not a descent direction: restart from steepest descent.
      S.length = 0;
      Y.length = 0;
      rho.length = 0;
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
    const s = new Float64Array(n);
    const y = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      s[i] = xNew[i] - x[i];
      y[i] = gNew[i] - g[i];
    }
    const sy = dot(s, y);
    if (sy > 1e-300) {
      if (S.length === m) {
        S.shift();
        Y.shift();
        rho.shift();
      }
      S.push(s);
      Y.push(y);
      rho.push(1 / sy);
    }
    const fPrev = fx;
    x = Float64Array.from(xNew);
    const swap = g;
    g = gNew;
    gNew = swap;
    fx = fNew;
    if (maxAbs(g) <= gtol || (fPrev - fx) / Math.max(Math.abs(fPrev), Math.abs(fx), 1) <= ftol) converged = true;
  }
  return { x, f: fx, iterations, evaluations, converged };
}
