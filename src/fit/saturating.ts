/**
 * The saturating parameter law at a matched budget: L(N) = A + B/(N/unit)^α (Chinchilla's N-term
 * with an irreducible floor A; the seed report §3.1 fixes A = 1.0). N is a parameter count; B is
 * quoted for N in `nUnit` (default millions), so that B ≈ 1.76 reads as in the seed.
 */
import type { FitResult } from './types.js';
import { fitOffsetPowerLaw } from './powerlaw.js';
import type { BootstrapOptions } from './resample.js';

export interface ParamPoint {
  /** Parameter count (a count, not millions). */
  params: number;
  valBpc: number;
}

export type SaturatingParam = 'A' | 'B' | 'alpha';
export type SaturatingFit = FitResult<SaturatingParam>;

/** Unit in which B is quoted: N in millions, as the seed report writes it. */
export const MILLION = 1e6;

export function saturatingFormula(nUnit: number): string {
  return nUnit === 1 ? 'L(N) = A + B/N^alpha, N = parameter count' : `L(N) = A + B/(N/${nUnit.toExponential(0).replace('e+', 'e')})^alpha, N = parameter count (B quoted for N in units of ${nUnit})`;
}

/**
 * Fit L(N) = A + B/(N/nUnit)^α by least squares, any of A, B, α fixed (e.g. `fix: {A: 1.0}`).
 * Example (seed §3.1, GLM 15K bs=256): 5.52M/13.70M/46.45M → 2.213/2.003/1.766 with A = 1 gives
 * α ≈ 0.22, B ≈ 1.76 (N in millions).
 */
export function fitSaturatingPowerLaw(
  points: readonly ParamPoint[],
  options: { fix?: Partial<Record<SaturatingParam, number>>; nUnit?: number; bootstrap?: BootstrapOptions | false; loo?: boolean } = {},
): SaturatingFit {
  const nUnit = options.nUnit ?? MILLION;
  const fit = fitOffsetPowerLaw(
    points.map((p) => p.params / nUnit),
    points.map((p) => p.valBpc),
    { form: 'saturating', formula: saturatingFormula(nUnit), names: ['A', 'B', 'alpha'], fixed: options.fix, bootstrap: options.bootstrap, loo: options.loo },
  );
  fit.diagnostics.nUnit = nUnit;
  return fit;
}

/** A + B/(N/nUnit)^α for a parameter count N. */
export function saturatingLoss(p: Record<SaturatingParam, number>, params: number, nUnit = MILLION): number {
  return p.A + p.B * Math.pow(params / nUnit, -p.alpha);
}
