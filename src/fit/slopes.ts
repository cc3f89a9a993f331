/**
 * Per-decade parameter slopes at a matched budget (seed report §3.1): ΔL / Δlog10(N) between
 * consecutive sizes.
 */
import type { ParamPoint } from './saturating.js';
import { meanByX } from './stats.js';

export interface PerDecadeSlope {
  fromParams: number;
  toParams: number;
  fromBpc: number;
  toBpc: number;
  /** log10(toParams / fromParams). */
  decades: number;
  /** (toBpc − fromBpc) / decades: ΔBPC per decade of parameters. */
  slope: number;
}

/**
 * Slopes between consecutive distinct sizes; replicates at one size are averaged.
 * Example: 5.52M→2.213, 13.70M→2.003, 46.45M→1.766 give −0.21/0.395 ≈ −0.53 and −0.237/0.530 ≈ −0.45.
 */
export function perDecadeSlopes(points: readonly ParamPoint[]): PerDecadeSlope[] {
  const m = meanByX(points.map((p) => [p.params, p.valBpc] as const));
  return m.slice(1).map(([toParams, toBpc], i) => {
    const [fromParams, fromBpc] = m[i];
    const decades = Math.log10(toParams / fromParams);
    return { fromParams, toParams, fromBpc, toBpc, decades, slope: (toBpc - fromBpc) / decades };
  });
}
