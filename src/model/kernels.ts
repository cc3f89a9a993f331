/**
 * bitscale's own WebAssembly kernels (kernels.wat): one instance per thread, with one memory that
 * each call fills with its inputs, computes in, and is read back from. Nothing stays in it between
 * calls, so callers never share regions. The wrappers are sign-kernels.ts (products with a ±1
 * factor), attention-kernels.ts (the causal attentions' scores, softmax attention's output, and their
 * gradients) and
 * AdamW.applyRange in src/train/adamw.ts.
 */
import { KERNELS_WASM } from './kernels.wasm.js';

export interface KernelExports {
  memory: WebAssembly.Memory;
  pack_signs(src: number, rows: number, k: number, dst: number, kw: number): number;
  pack_sign_columns(src: number, k: number, n: number, dst: number, kw: number): number;
  pack_sign_columns4(src: number, k: number, n: number, dst: number, kw: number): number;
  sign_matmul(a: number, m: number, b: number, n: number, kw: number, k: number, scale: number, out: number): void;
  sign_gemm(a: number, M: number, K: number, bits: number, N: number, kw: number, mode: number, scale: number, out: number, a8: number, tables: number, acc: number): void;
  attn_forward(q: number, k: number, alibi: number, noise: number, B: number, T: number, H: number, hd: number, invTau: number, idx: number, p: number, kT: number, z: number): void;
  attn_apply(p: number, v: number, B: number, T: number, H: number, hd: number, out: number): void;
  attn_backward(q: number, k: number, v: number, dout: number, p: number, B: number, T: number, H: number, hd: number, scale: number, dq: number, dk: number, dv: number, vT: number, dz: number): void;
  adamw(w: number, m: number, v: number, g: number, n: number, clip: number, b1: number, nb1: number, b2: number, nb2: number, c1: number, c2: number, e: number, decay: number, rate: number): void;
}

/**
 * The backends whose own kernels these beat (measured by bench/train.ts on wasm: the popcount
 * product 7× at [1024, 512]·[512, 512], the table-lookup product 3×, the causal attention ~2×), and
 * whose tensors live in this thread's memory; the native backends keep theirs.
 */
export const KERNEL_BACKENDS: ReadonlySet<string> = new Set(['wasm', 'cpu']);

let kernels: KernelExports | null = null;

export function kernelModule(): KernelExports {
  kernels ??= new WebAssembly.Instance(new WebAssembly.Module(Buffer.from(KERNELS_WASM, 'base64'))).exports as unknown as KernelExports;
  return kernels;
}

/** The module's memory, grown to hold at least `bytes` (views of an earlier buffer go stale on growth). */
export function kernelMemory(bytes: number): ArrayBuffer {
  const k = kernelModule();
  const have = k.memory.buffer.byteLength;
  if (bytes > have) k.memory.grow(Math.ceil((bytes - have) / 65536));
  return k.memory.buffer;
}

/**
 * Byte offsets for consecutive regions of the given byte sizes, each 16-aligned, from byte 16 (so
 * that 0 can mean "none"), and the total they need.
 */
export function layoutRegions(sizes: number[]): { at: number[]; end: number } {
  const at: number[] = [];
  let end = 16;
  for (const s of sizes) {
    at.push(end);
    end += Math.ceil(s / 16) * 16;
  }
  return { at, end };
}

/**
 * Bytes these kernels' callers keep for the backward pass outside tfjs's tensors (the attention's
 * softmax rows, a layer input's packed signs), added up since the last reset: tf.profile does not
 * see them, so a measured peak adds them (src/train/replica.ts, `measuredPeakBytes`).
 */
export const keptForBackward = { bytes: 0 };

/** Milliseconds spent in these kernels (copies in and out included) since the counters were zeroed; bench/train.ts reads them beside tf.profile's kernel times. */
export const kernelMs = { signProducts: 0, causalAttention: 0 };

/** f(), its wall-clock added to kernelMs[key]. */
export function timed<R>(key: keyof typeof kernelMs, f: () => R): R {
  const t0 = performance.now();
  try {
    return f();
  } finally {
    kernelMs[key] += performance.now() - t0;
  }
}
