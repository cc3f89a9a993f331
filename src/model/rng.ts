/**
 * Deterministic randomness. Everything random in a step is drawn from a generator seeded by
 * (run seed, step, stream), so a resumed run replays exactly the batches and noise that an
 * uninterrupted one would have drawn.
 */

/** Streams of per-step randomness, so that batch offsets and noise never share a generator. */
export const STREAM = { init: 1, batch: 2, gumbel: 3 } as const;

/** 32-bit mix of (seed, step, stream) (the murmur3 finalizer over a running combination). */
export function mixSeed(seed: number, step: number, stream: number): number {
  let h = 0x9e3779b9 ^ (seed | 0);
  for (const v of [step | 0, Math.floor(step / 2 ** 32), stream | 0]) {
    h = Math.imul(h ^ v, 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
  }
  return h >>> 0;
}

/** mulberry32 (Tommy Ettinger, public domain): a fast 32-bit generator of uniforms in (0, 1). */
export function mulberry32(seed: number): () => number {
  let s = seed | 0;
  return () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return (((t ^ (t >>> 14)) >>> 0) + 0.5) / 4294967296;
  };
}

/** The generator for one (seed, step, stream). */
export function stepRng(seed: number, step: number, stream: number): () => number {
  return mulberry32(mixSeed(seed, step, stream));
}

/** n draws of N(0, std²) by Box–Muller. */
export function normalArray(n: number, std: number, rand: () => number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    const r = Math.sqrt(-2 * Math.log(rand()));
    const a = 2 * Math.PI * rand();
    out[i] = std * r * Math.cos(a);
    if (i + 1 < n) out[i + 1] = std * r * Math.sin(a);
  }
  return out;
}

/** n standard Gumbel draws g = −log(−log u), u ~ U(0, 1). */
export function gumbelArray(n: number, rand: () => number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = -Math.log(-Math.log(rand()));
  return out;
}
