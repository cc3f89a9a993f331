/**
 * Small numeric helpers the fitters share: a seeded random generator, quantiles, RMSE, the Huber
 * penalty, a stable log-sum-exp and Student's t quantile. Pure; no I/O.
 */
import { createRequire } from 'node:module';

/**
 * A deterministic uniform generator on [0, 1): mulberry32 (Tommy Ettinger's 32-bit mixer), so that
 * every bootstrap with the same seed draws the same resamples on every machine.
 */
export function seededRandom(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One draw of a standard normal from a uniform generator (Box–Muller, cosine branch). */
export function standardNormal(random: () => number): number {
  const u = 1 - random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

/** n indices drawn with replacement from 0..n−1 (one bootstrap resample). */
export function resampleIndices(n: number, random: () => number): number[] {
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) out[i] = Math.floor(random() * n);
  return out;
}

/** The q-quantile (0 ≤ q ≤ 1) with linear interpolation between order statistics (R type 7, numpy's default). */
export function quantile(values: readonly number[], q: number): number {
  return quantileOfSorted(Float64Array.from(values).sort(), q);
}

/** quantile() of values already in ascending order (several quantiles of one sample sort it once). */
export function quantileOfSorted(s: ArrayLike<number>, q: number): number {
  if (s.length === 0) return Number.NaN;
  const h = (s.length - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, s.length - 1);
  return s[lo] + (h - lo) * (s[hi] - s[lo]);
}

export function mean(values: readonly number[]): number {
  let s = 0;
  for (const v of values) s += v;
  return values.length ? s / values.length : Number.NaN;
}

/** Root mean square of residuals: sqrt(Σ r² / n). */
export function rootMeanSquare(residuals: readonly number[]): number {
  if (residuals.length === 0) return Number.NaN;
  let s = 0;
  for (const r of residuals) s += r * r;
  return Math.sqrt(s / residuals.length);
}

/**
 * Huber's penalty: r²/2 for |r| ≤ δ, δ·(|r| − δ/2) beyond (Huber 1964; scipy.special.huber), the
 * robust loss Hoffmann et al. 2022 and Besiroglu et al. 2024 use on log-loss residuals.
 */
export function huber(r: number, delta: number): number {
  const a = Math.abs(r);
  return a <= delta ? 0.5 * r * r : delta * (a - 0.5 * delta);
}

/** Number of distinct values among the given keys. */
export function countDistinct(values: readonly (number | string)[]): number {
  return new Set(values).size;
}

/** The distinct numbers, ascending. */
export function sortedDistinct(values: Iterable<number>): number[] {
  return [...new Set(values)].sort((a, b) => a - b);
}

/** Mean y at each distinct x, sorted by x: [[x, mean y], …] (replicate runs averaged). */
export function meanByX(pairs: readonly (readonly [number, number])[]): [number, number][] {
  const byX = new Map<number, number[]>();
  for (const [x, y] of pairs) byX.set(x, [...(byX.get(x) ?? []), y]);
  return [...byX.entries()].sort((a, b) => a[0] - b[0]).map(([x, ys]) => [x, mean(ys)]);
}

/** Student's t quantile from jStat (CommonJS only, one file, no dependencies), loaded when first needed. */
export function studentTQuantile(p: number, dof: number): number {
  const jStat: { studentt: { inv: (p: number, dof: number) => number } } = createRequire(import.meta.url)('jstat');
  return jStat.studentt.inv(p, dof);
}
