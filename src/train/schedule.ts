/** Learning-rate and Gumbel-temperature schedules (docs/model.md, "Training recipe"). */

/**
 * Linear warmup then cosine decay to `final` at the last step, for update t (0-based) of `steps`:
 *   t < warmup: peak·(t+1)/warmup
 *   else:       final + (peak − final)·½(1 + cos(π·(t − warmup + 1)/(steps − warmup)))
 * With final = 0 this is the spec's formula; the last update (t = steps − 1) gets `final`.
 */
export function learningRateAt(t: number, steps: number, peak: number, warmup: number, final = 0): number {
  if (t < warmup) return (peak * (t + 1)) / warmup;
  if (steps <= warmup) return peak;
  const progress = Math.min(1, (t - warmup + 1) / (steps - warmup));
  return final + (peak - final) * 0.5 * (1 + Math.cos(Math.PI * progress));
}

/** Log (geometric) temperature schedule τ(t) = τ0·(τ1/τ0)^(t/steps): τ0 at t = 0, → τ1 at the end. */
export function temperatureAt(t: number, steps: number, tau0: number, tau1: number): number {
  return tau0 * Math.pow(tau1 / tau0, steps > 0 ? t / steps : 0);
}
