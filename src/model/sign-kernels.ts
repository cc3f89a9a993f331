/**
 * Products of ±1 matrices on packed bits (docs/model.md, "Implementation notes"). Five of a layer's
 * seven linears (q, k, v, gate, up) and the logits read the ±1 residual through ±1 weights, so their
 * forward product is x·sign(W) with both factors ±1: with the signs packed 64 to a word,
 *   x_i·w_c = K − 2·popcount(x_i XOR w_c),
 * an exact integer, as the float product is (every partial sum of ±1 terms is an integer below
 * 2^24). The result therefore equals the float path's bit for bit, scale included, at a fraction of
 * its work: ~2 popcounts per 128 multiply-adds. The kernels are WebAssembly (sign-kernels.wat), one
 * instance per thread, with inputs and outputs copied through its memory.
 */
import { SIGN_KERNELS_WASM } from './sign-kernels.wasm.js';

interface SignKernelExports {
  memory: WebAssembly.Memory;
  pack_signs(src: number, rows: number, k: number, dst: number, kw: number): number;
  sign_matmul(a: number, m: number, b: number, n: number, kw: number, k: number, scale: number, out: number): void;
}

/** A [rows, k] matrix of ±1 as bits: row r is `words` 64-bit words from byte 8·words·r, bit j set where the value is −1. */
export interface PackedSigns {
  bits: Uint8Array;
  rows: number;
  k: number;
  words: number;
}

let kernels: SignKernelExports | null = null;

function instance(): SignKernelExports {
  kernels ??= new WebAssembly.Instance(new WebAssembly.Module(Buffer.from(SIGN_KERNELS_WASM, 'base64'))).exports as unknown as SignKernelExports;
  return kernels;
}

/** The module's memory, grown to hold at least `bytes`. */
function memoryOf(k: SignKernelExports, bytes: number): ArrayBuffer {
  const have = k.memory.buffer.byteLength;
  if (bytes > have) k.memory.grow(Math.ceil((bytes - have) / 65536));
  return k.memory.buffer;
}

const align16 = (n: number) => Math.ceil(n / 16) * 16;

/**
 * The signs of a [rows, k] float matrix (−1 where a value is < 0, so −0 is +1 as in signValues), or
 * null when it holds a NaN: the float path keeps NaN where these bits would not.
 */
export function packSigns(values: Float32Array, rows: number, k: number): PackedSigns | null {
  if (values.length !== rows * k || k < 1) throw new Error(`packSigns: ${values.length} values are not a [${rows}, ${k}] matrix`);
  const words = Math.ceil(k / 64);
  const inst = instance();
  const floatsBytes = align16(4 * rows * k);
  const bitsBytes = 8 * rows * words;
  const mem = memoryOf(inst, floatsBytes + bitsBytes);
  new Float32Array(mem, 0, rows * k).set(values);
  if (inst.pack_signs(0, rows, k, floatsBytes, words) !== 0) return null;
  return { bits: new Uint8Array(mem, floatsBytes, bitsBytes).slice(), rows, k, words };
}

/**
 * (a·bᵀ)·scale as float32 [a.rows, b.rows] for ±1 matrices a [M, K] and b [N, K] (b is the weight
 * transposed: its rows are the output columns), written into `out`.
 */
export function signMatMulInto(a: PackedSigns, b: PackedSigns, scale: number, out: Float32Array): void {
  if (a.k !== b.k) throw new Error(`signMatMul: inner sizes ${a.k} and ${b.k} differ`);
  if (out.length !== a.rows * b.rows) throw new Error(`signMatMul: the output holds ${out.length} values, expected ${a.rows * b.rows}`);
  const inst = instance();
  const bOffset = align16(a.bits.length);
  const outOffset = bOffset + align16(b.bits.length);
  const mem = memoryOf(inst, outOffset + 4 * out.length);
  new Uint8Array(mem, 0, a.bits.length).set(a.bits);
  new Uint8Array(mem, bOffset, b.bits.length).set(b.bits);
  inst.sign_matmul(0, a.rows, bOffset, b.rows, a.words, a.k, scale, outOffset);
  out.set(new Float32Array(mem, outOffset, out.length));
}
