/**
 * Three replacements, registered once per process, for kernels of tfjs-backend-wasm whose own versions
 * cost the trainer more than the work they do (measured by bench/train.ts's per-kernel profile):
 *   - Identity: customGrad keeps a clone of every tensor an op save()s, and tfjs's engine clones
 *     through Identity. The cpu backend's Identity shares the values (tensors are immutable: one
 *     buffer, one more reference), as the wasm backend's own Reshape does; the wasm backend's
 *     copies them, ~150 copies per training step (20–30 ms of a d=512 worker's step). This one
 *     shares, like cpu's.
 *   - Transpose: the wasm kernel moves one value at a time through a general N-d index (4–8 ns per
 *     value: 4.3 ms for a [1024, 512] activation, 3× the time the same values take in 8 × 8
 *     blocks in JavaScript). This one does the 2-D transposes (once axes that stay together are
 *     merged): xᵀ for weight gradients and sign(W)ᵀ, in 8 × 8 blocks on the backend's memory, and
 *     hands every other permutation to the original kernel, which is fast on the attention's
 *     batched ones.
 *   - Sum over leading axes (the column sums behind every broadcast gradient: v52's α vectors and
 *     RMSNorm gains): the wasm kernel moves the summed axes last through a general transpose first
 *     (7.6 ms for [2048, 512]); this one adds row after row into a float32 accumulator per column
 *     (1.6 ms), the same additions in the same order, so the same bits (test/model/wasm-kernels.test.ts).
 * All use the wasm backend's `incRef`, `makeOutput` and `typedArrayFromHeap`, and are registered
 * only when the backend has them (tfjs-backend-wasm 4.x).
 */
import * as tf from '@tensorflow/tfjs-core';

interface WasmBackend {
  incRef(id: tf.DataId): void;
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
}

function hasInternals(b: unknown): b is WasmBackend {
  const w = b as Partial<WasmBackend> | undefined;
  return typeof w?.incRef === 'function' && typeof w?.makeOutput === 'function' && typeof w?.typedArrayFromHeap === 'function';
}

/**
 * A transpose as out[b][c][r][e] = in[b][r][c][e] with in of shape [batch, rows, cols, run], or null
 * when the permutation is not of that form. Size-1 axes are dropped and axes that stay adjacent and
 * in order are merged first.
 */
export function blockTransposeShape(shape: number[], perm: number[]): { batch: number; rows: number; cols: number; run: number } | null {
  const kept = perm.filter((a) => shape[a] !== 1);
  // Merge output neighbours that are input neighbours in the same order into groups of input axes.
  const groups: number[][] = [];
  for (const a of kept) {
    const last = groups[groups.length - 1];
    if (last && a === last[last.length - 1] + 1) last.push(a);
    else groups.push([a]);
  }
  const size = (g: number[]) => g.reduce((n, a) => n * shape[a], 1);
  // The groups in input order, each with its place in the output.
  const byInput = groups.map((g, out) => ({ g, out })).sort((a, b) => a.g[0] - b.g[0]);
  const inSize = (k: number) => size(byInput[k].g);
  const is = (...outOf: number[]) => outOf.length === byInput.length && byInput.every((x, k) => x.out === outOf[k]);
  if (is(1, 0)) return { batch: 1, rows: inSize(0), cols: inSize(1), run: 1 };
  if (is(0, 2, 1)) return { batch: inSize(0), rows: inSize(1), cols: inSize(2), run: 1 };
  if (is(1, 0, 2)) return { batch: 1, rows: inSize(0), cols: inSize(1), run: inSize(2) };
  if (is(0, 2, 1, 3)) return { batch: inSize(0), rows: inSize(1), cols: inSize(2), run: inSize(3) };
  return null;
}

/** out[c][r] = x[r][c] for x of shape [R, C], in blocks of 8 × 8 for the caches. */
function blockTranspose(x: Float32Array | Int32Array | Uint8Array, out: Float32Array | Int32Array | Uint8Array, R: number, C: number): void {
  const BLOCK = 8;
  for (let r0 = 0; r0 < R; r0 += BLOCK)
    for (let c0 = 0; c0 < C; c0 += BLOCK) {
      const r1 = Math.min(R, r0 + BLOCK);
      const c1 = Math.min(C, c0 + BLOCK);
      for (let r = r0; r < r1; r++) for (let c = c0; c < c1; c++) out[c * R + r] = x[r * C + c];
    }
}

/**
 * A tensor's values without a copy where the backend keeps them in this thread's memory (wasm: a
 * view of its heap, valid until the next tensor is made; read it at once), else `dataSync()`.
 */
export function readValues(t: tf.Tensor): Float32Array | Int32Array | Uint8Array {
  const backend = tf.getBackend() === 'wasm' ? tf.findBackend('wasm') : null;
  if (hasInternals(backend) && t.dtype !== 'string' && t.dtype !== 'complex64') return backend.typedArrayFromHeap(t);
  return t.dataSync() as Float32Array | Int32Array | Uint8Array;
}

/**
 * A tensor of `values` held in a transient buffer (a view of bitscale's kernel memory, or scratch
 * reused by the next call): the wasm backend copies values into its own memory as the tensor is
 * made; every other backend may keep the array it is given, so it gets a copy. Saves the trainer a
 * fresh array per product on wasm (and the page faults and GC that come with it).
 */
export function tensorOf(values: Float32Array, shape: number[]): tf.Tensor {
  return tf.tensor(tf.getBackend() === 'wasm' ? values : values.slice(), shape);
}

let scratch = new Float32Array(0);

/** n zeros in this thread's scratch buffer, for values that go into `tensorOf` at once. */
export function scratchZeros(n: number): Float32Array {
  if (scratch.length < n) scratch = new Float32Array(n);
  const out = scratch.subarray(0, n);
  out.fill(0);
  return out;
}

let registered = false;

/**
 * For a float32 sum over `axes` of `shape`: the number of leading axes summed, and rows × columns
 * (out[c] = Σ_r x[r·columns + c]) when the summed axes are the leading ones, else null.
 */
export function leadingSumShape(shape: number[], axes: number[]): { leading: number; rows: number; columns: number } | null {
  const summed = new Set(axes.map((a) => (a < 0 ? a + shape.length : a)));
  const leading = summed.size;
  for (let a = 0; a < leading; a++) if (!summed.has(a)) return null;
  if (leading === 0 || leading === shape.length) return null;
  return { leading, rows: shape.slice(0, leading).reduce((n, x) => n * x, 1), columns: shape.slice(leading).reduce((n, x) => n * x, 1) };
}

/** out[c] = Σ_r x[r·C + c], each addition rounded to float32, r in order (as the wasm Sum adds). */
function sumLeadingRows(x: Float32Array, out: Float32Array, R: number, C: number): void {
  out.fill(0);
  for (let r = 0; r < R; r++) {
    const row = r * C;
    for (let c = 0; c < C; c++) out[c] += x[row + c];
  }
}

/** Register the kernels for wasm, once; a no-op on other backends or without the internals. */
export function registerWasmKernels(): void {
  if (registered || tf.getBackend() !== 'wasm') return;
  registered = true;
  if (!hasInternals(tf.findBackend('wasm'))) return;
  replaceKernel(tf.Identity, (x, _attrs, be) => {
    be.incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  });
  replaceKernel(tf.Transpose, (x, attrs, be) => {
    const perm = (attrs as unknown as { perm: number[] }).perm;
    // Batched ones and runs of several values (the attention's head splits and merges) are moved
    // well by the original kernel (measured: 0.2–1.2 ms for [8, 128, 512]).
    const s = x.dtype === 'float32' || x.dtype === 'int32' ? blockTransposeShape(x.shape, perm) : null;
    if (!s || s.run !== 1 || s.batch !== 1) return null;
    const out = be.makeOutput(
      perm.map((a) => x.shape[a]),
      x.dtype,
    );
    blockTranspose(be.typedArrayFromHeap(x), be.typedArrayFromHeap(out), s.rows, s.cols);
    return out;
  });
  replaceKernel(tf.Sum, (x, attrs, be) => {
    const { axis, keepDims } = attrs as unknown as { axis: number | number[]; keepDims: boolean };
    const s = x.dtype === 'float32' ? leadingSumShape(x.shape, tf.util.parseAxisParam(axis, x.shape)) : null;
    if (!s) return null;
    const kept = x.shape.slice(s.leading);
    const out = be.makeOutput(keepDims ? [...Array<number>(s.leading).fill(1), ...kept] : kept, 'float32');
    sumLeadingRows(be.typedArrayFromHeap(x) as Float32Array, be.typedArrayFromHeap(out) as Float32Array, s.rows, s.columns);
    return out;
  });
}

/**
 * Registers `replacement` for the wasm kernel `name` (one input, x), handing every call it returns
 * null for to the original kernel.
 */
function replaceKernel(name: string, replacement: (x: tf.TensorInfo, attrs: tf.NamedAttrMap, be: WasmBackend) => tf.TensorInfo | null): void {
  const original = tf.getKernel(name, 'wasm');
  if (!original) return;
  tf.unregisterKernel(name, 'wasm');
  tf.registerKernel({
    kernelName: name,
    backendName: 'wasm',
    kernelFunc: (args) => replacement(args.inputs.x as tf.TensorInfo, args.attrs ?? {}, args.backend as unknown as WasmBackend) ?? original.kernelFunc(args),
  });
}
