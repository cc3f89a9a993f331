/** Timing for the benchmarks: run `fn` `warmup` times untimed, then `repeat` times timed. */
export function timeRepeated(fn: () => unknown, options: { repeat: number; warmup: number }): { min: number; median: number; p95: number } {
  for (let i = 0; i < options.warmup; i++) fn();
  const ms: number[] = [];
  for (let i = 0; i < options.repeat; i++) {
    const t0 = performance.now();
    fn();
    ms.push(performance.now() - t0);
  }
  ms.sort((a, b) => a - b);
  return { min: ms[0], median: ms[Math.floor(ms.length / 2)], p95: ms[Math.floor(0.95 * (ms.length - 1))] };
}
