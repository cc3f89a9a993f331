/**
 * The step (token) law within one step family (same dataset, architecture, params, batch size,
 * LR): L(S) = L∞ + C·S^(−β), and the per-doubling ΔBPC table of the seed report §2.1.
 */
import type { FitResult } from './types.js';
import { fitOffsetPowerLaw } from './powerlaw.js';
import type { BootstrapOptions } from './resample.js';
import { meanByX } from './stats.js';

export interface StepPoint {
  steps: number;
  valBpc: number;
}

export type StepLawParam = 'Linf' | 'C' | 'beta';
export type StepLawFit = FitResult<StepLawParam>;

export const STEP_LAW_FORMULA = 'L(S) = Linf + C·S^(−beta), S = optimizer steps, L in bits per byte';

/**
 * Fit L(S) = L∞ + C·S^(−β) by least squares. Three distinct step counts determine it exactly (the
 * result says so); two cannot, unless L∞ is fixed (`fix: {Linf}`), which leaves C and β.
 * Example: 10K/20K/40K → 1.335/1.238/1.169 gives q = 0.069/0.097 = 2^(−β), β ≈ 0.49, L∞ ≈ 1.00.
 */
export function fitStepLaw(points: readonly StepPoint[], options: { fix?: Partial<Record<StepLawParam, number>>; bootstrap?: BootstrapOptions | false; loo?: boolean } = {}): StepLawFit {
  return fitOffsetPowerLaw(
    points.map((p) => p.steps),
    points.map((p) => p.valBpc),
    { form: 'steps', formula: STEP_LAW_FORMULA, names: ['Linf', 'C', 'beta'], fixed: options.fix, bootstrap: options.bootstrap, loo: options.loo },
  );
}

/** L∞ + C·S^(−β). */
export function stepLawLoss(p: Record<StepLawParam, number>, steps: number): number {
  return p.Linf + p.C * Math.pow(steps, -p.beta);
}

export interface PerDoublingDelta {
  fromSteps: number;
  toSteps: number;
  fromBpc: number;
  toBpc: number;
  /** toBpc − fromBpc. */
  delta: number;
  /** log2(toSteps / fromSteps). */
  doublings: number;
  /** delta / doublings: ΔBPC per doubling of steps. */
  perDoubling: number;
}

/**
 * ΔBPC between consecutive step counts, per doubling of steps (seed §2.1: "each doubling ≈ −0.08").
 * Replicates at the same step count are averaged first.
 */
export function perDoublingDeltas(points: readonly StepPoint[]): PerDoublingDelta[] {
  const m = meanByX(points.map((p) => [p.steps, p.valBpc] as const));
  return m.slice(1).map(([toSteps, toBpc], i) => {
    const [fromSteps, fromBpc] = m[i];
    const doublings = Math.log2(toSteps / fromSteps);
    return { fromSteps, toSteps, fromBpc, toBpc, delta: toBpc - fromBpc, doublings, perDoubling: (toBpc - fromBpc) / doublings };
  });
}

/**
 * β from two points and a given floor L∞: (L1 − L∞)/(L2 − L∞) = (S2/S1)^β, so
 * β = ln((L1 − L∞)/(L2 − L∞)) / ln(S2/S1). NaN when either point is at or below the floor.
 */
export function stepExponentForFloor(a: StepPoint, b: StepPoint, Linf: number): number {
  const r = (a.valBpc - Linf) / (b.valBpc - Linf);
  return r > 0 && a.valBpc > Linf && b.valBpc > Linf ? Math.log(r) / Math.log(b.steps / a.steps) : Number.NaN;
}
