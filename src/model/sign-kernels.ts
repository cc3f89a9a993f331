/**
 * Products with a ±1 factor on packed bits, in kernels.wat (docs/model.md, "Implementation notes").
 * Five of a layer's seven linears (q, k, v, gate, up) and the logits read the ±1 residual through ±1
 * weights, so their forward product is x·sign(W) with both factors ±1: with the signs packed 64 to a
 * word,
 *   x_i·w_c = K − 2·popcount(x_i XOR w_c),
 * an exact integer, as the float product is (every partial sum of ±1 terms is an integer below
 * 2^24), so `signMatMul` equals the float path bit for bit, scale included, at ~2 popcounts per 128
 * multiply-adds. Every other product with one ±1 factor goes through `signGemm`, by table lookup.
 */
import { kernelMemory, kernelModule, layoutRegions, timed } from './kernels.js';

/** A [rows, k] matrix of ±1 as bits: row r is `words` 64-bit words from byte 8·words·r, bit j set where the value is −1. */
export interface PackedSigns {
  bits: Uint8Array;
  rows: number;
  k: number;
  words: number;
}

/**
 * The signs of a [rows, k] float matrix (−1 where a value is < 0, so −0 is +1 as in signValues), or
 * null when it holds a NaN: the float path keeps NaN where these bits would not.
 */
export function packSigns(values: Float32Array, rows: number, k: number): PackedSigns | null {
  if (values.length !== rows * k || k < 1) throw new Error(`packSigns: ${values.length} values are not a [${rows}, ${k}] matrix`);
  return packAs(values, rows, k, ['rows'])?.[0] ?? null;
}

/**
 * The signs of a [rows, cols] float matrix's columns (the rows of its transpose, without making
 * it), or null when it holds a NaN.
 */
export function packSignColumns(values: Float32Array, rows: number, cols: number): PackedSigns | null {
  if (values.length !== rows * cols || rows < 1) throw new Error(`packSignColumns: ${values.length} values are not a [${rows}, ${cols}] matrix`);
  return packAs(values, rows, cols, ['columns'])?.[0] ?? null;
}

/** Both of a [rows, cols] float matrix's packings, from one copy of its values; null when it holds a NaN. */
export function packSignRowsAndColumns(values: Float32Array, rows: number, cols: number): { rows: PackedSigns; columns: PackedSigns } | null {
  if (values.length !== rows * cols || rows < 1 || cols < 1) throw new Error(`packSignRowsAndColumns: ${values.length} values are not a [${rows}, ${cols}] matrix`);
  const packed = packAs(values, rows, cols, ['rows', 'columns']);
  return packed && { rows: packed[0], columns: packed[1] };
}

/** Copy [rows, cols] values into the kernels' memory once and pack them as each of `ways` asks. */
function packAs(values: Float32Array, rows: number, cols: number, ways: ('rows' | 'columns')[]): PackedSigns[] | null {
  return timed('signProducts', () => {
    const shapes = ways.map((way) => (way === 'rows' ? { outRows: rows, k: cols } : { outRows: cols, k: rows })).map((x) => ({ ...x, words: Math.ceil(x.k / 64) }));
    const { at: [src, ...dst], end } = layoutRegions([4 * rows * cols, ...shapes.map((x) => 8 * x.outRows * x.words)]);
    const mem = kernelMemory(end);
    new Float32Array(mem, src, rows * cols).set(values);
    const kernels = kernelModule();
    const out: PackedSigns[] = [];
    for (const [i, way] of ways.entries()) {
      const { outRows, k, words } = shapes[i];
      // Columns four at a time where they come in fours: 5× faster than the one-column walk at [1024, 1024] (2.40 → 0.47 ms, bench/kernels.ts).
      const pack = way === 'rows' ? kernels.pack_signs : cols % 4 === 0 ? kernels.pack_sign_columns4 : kernels.pack_sign_columns;
      if (pack(src, rows, cols, dst[i], words) !== 0) return null;
      out.push({ bits: new Uint8Array(mem, dst[i], 8 * outRows * words).slice(), rows: outRows, k, words });
    }
    return out;
  });
}

/**
 * (a·bᵀ)·scale as float32 [a.rows, b.rows] for ±1 matrices a [M, K] and b [N, K] (b is the weight
 * transposed: its rows are the output columns). Returns a view of the kernels' memory, valid until
 * the next kernel call: make the tensor from it at once (see `tensorOf`).
 */
export function signMatMul(a: PackedSigns, b: PackedSigns, scale: number): Float32Array {
  if (a.k !== b.k) throw new Error(`signMatMul: inner sizes ${a.k} and ${b.k} differ`);
  return timed('signProducts', () => {
    const size = a.rows * b.rows;
    const { at: [aAt, bAt, outAt], end } = layoutRegions([a.bits.length, b.bits.length, 4 * size]);
    const mem = kernelMemory(end);
    new Uint8Array(mem, aAt, a.bits.length).set(a.bits);
    new Uint8Array(mem, bAt, b.bits.length).set(b.bits);
    kernelModule().sign_matmul(aAt, a.rows, bAt, b.rows, a.words, a.k, scale, outAt);
    return new Float32Array(mem, outAt, size);
  });
}

/**
 * A·S·scale for a float matrix A [M, K] and a ±1 matrix S [K, N] given by its packed columns
 * (`columns`: N rows of K signs, as packSigns makes them from Sᵀ), by table lookup: eight rows of
 * A at a time, 256 signed sums per eight k, one lookup per column and eight k. M must be a multiple
 * of 4. `aTransposed`: A is given as Aᵀ [K, M] and the result is returned as (A·S)ᵀ [N, M].
 * Returns a view of the kernels' memory, valid until the next kernel call.
 */
export function signGemm(a: Float32Array, M: number, columns: PackedSigns, scale: number, aTransposed = false): Float32Array {
  const K = columns.k;
  const N = columns.rows;
  if (M % 4 !== 0) throw new Error(`signGemm: M = ${M} is not a multiple of 4`);
  if (a.length !== M * K) throw new Error(`signGemm: ${a.length} values are not a [${M}, ${K}] matrix`);
  return timed('signProducts', () => {
    const k8 = Math.ceil(K / 8) * 8;
    const { at: [aAt, bitsAt, outAt, a8At, tablesAt, accAt], end } = layoutRegions([4 * M * K, columns.bits.length, 4 * M * N, 32 * k8, 8192 * 4, 32 * N]);
    const mem = kernelMemory(end);
    new Float32Array(mem, aAt, M * K).set(a);
    new Uint8Array(mem, bitsAt, columns.bits.length).set(columns.bits);
    kernelModule().sign_gemm(aAt, M, K, bitsAt, N, columns.words, aTransposed ? 1 : 0, scale, outAt, a8At, tablesAt, accAt);
    return new Float32Array(mem, outAt, M * N);
  });
}
