/**
 * Gumbel noise for the hard attention. Drawing B·H·T·T fresh uniforms per layer and step in
 * JavaScript costs more than the layer's matmuls (measured ~9 ns per draw: 18 ms for the
 * d=128 bench shape), so the noise is a window of a fixed pool of standard Gumbel draws *(choice)*.
 * Each sample of a batch has its own window of H·T·T draws at an offset drawn from
 * (seed, step, layer, sample index): the noise a sample sees does not depend on which worker
 * computes it, so data-parallel workers change only the order of summation. Windows of different
 * steps overlap only at random shifts, so no position sees the same noise twice in a row.
 */
import { gumbelArray, mixSeed, mulberry32, stepRng, STREAM } from '../model/rng.js';

/**
 * The last pool drawn in this thread, reused by the next pool of the same seed and size (it is
 * read-only): a sweep's task runner trains run after run in one process, every shipped ladder
 * with seed 0, and drawing 2^23 values took ~270 ms a run.
 */
let lastDrawn: { seed: number; n: number; pool: Float32Array } | null = null;

export class GumbelPool {
  readonly pool: Float32Array;

  /** A pool of max(2^23, 4·window) draws, fixed by the run seed; `window` = H·T·T (one sample). */
  constructor(readonly seed: number, readonly window: number) {
    const n = Math.max(2 ** 23, 4 * window);
    if (lastDrawn?.seed !== seed || lastDrawn.n !== n) lastDrawn = { seed, n, pool: gumbelArray(n, mulberry32(mixSeed(seed, 0, STREAM.gumbel))) };
    this.pool = lastDrawn.pool;
  }

  /**
   * The `window` Gumbel draws of samples first … first + count − 1 of `layer` at `step` (views into
   * the pool: do not modify). Sample b's offset is the b-th draw of the (seed, step, layer) stream.
   */
  noise(step: number, layer: number, first: number, count: number): Float32Array[] {
    const rand = stepRng(this.seed, step, STREAM.gumbel + 16 * (layer + 1));
    const out: Float32Array[] = [];
    for (let b = 0; b < first + count; b++) {
      const offset = Math.floor(rand() * (this.pool.length - this.window));
      if (b >= first) out.push(this.pool.subarray(offset, offset + this.window));
    }
    return out;
  }
}
