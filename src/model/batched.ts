/**
 * Batched matrix products on the fast path of the wasm backend. tfjs-backend-wasm sends a matMul
 * to XNNPACK only for batch 1 without transpose flags; every other case is a naive loop at 1–2
 * GFLOP/s (measured by bench/train.ts). Two routes to per-entry fast products:
 *   - `matMulEach`, public API only: one plain 2-D matMul per batch entry on slices taken in
 *     JavaScript (tf.unstack's slices cost more than the products themselves);
 *   - the `BitscaleMatMulEach` kernel registered for wasm: the backend's own BatchMatMul function
 *     called once per entry on views of the operands' wasm memory (a tensor id registered at an
 *     offset into the batch; disposing such an id frees nothing). No copies through JavaScript and
 *     no engine work per entry. It uses the wasm backend's internals (4.x: `dataIdMap`,
 *     `dataIdNextNumber`, `wasm.tfjs.registerTensor`/`disposeData`), so it is registered only when
 *     they are all there, and checked against `matMulEach` in test/model/batched.test.ts.
 */
import * as tf from '@tensorflow/tfjs-core';

/**
 * out[i] = a[i] · b[i] for a [B, M, K] and b [B, K, N]; returns [B, M, N]. Plain 2-D products,
 * so each one takes the backend's fast matMul.
 */
export function matMulEach(a: tf.Tensor3D, b: tf.Tensor3D): tf.Tensor3D {
  const [B, M, K] = a.shape;
  const [B2, K2, N] = b.shape;
  if (B !== B2 || K !== K2) throw new Error(`matMulEach: shapes ${a.shape} and ${b.shape} do not match`);
  const aData = a.dataSync() as Float32Array;
  const bData = b.dataSync() as Float32Array;
  const out = new Float32Array(B * M * N);
  for (let i = 0; i < B; i++) {
    const ai = tf.tensor2d(aData.subarray(i * M * K, (i + 1) * M * K), [M, K]);
    const bi = tf.tensor2d(bData.subarray(i * K * N, (i + 1) * K * N), [K, N]);
    const ci = tf.matMul(ai, bi);
    out.set(ci.dataSync() as Float32Array, i * M * N);
    ai.dispose();
    bi.dispose();
    ci.dispose();
  }
  return tf.tensor3d(out, [B, M, N]);
}

/** The kernel's name (profiles list it under this name). */
export const MATMUL_EACH = 'BitscaleMatMulEach';

/** The parts of tfjs-backend-wasm's BackendWasm the kernel uses. */
interface WasmInternals {
  dataIdMap: { get(id: tf.DataId): { memoryOffset: number } };
  dataIdNextNumber: number;
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  wasm: {
    cwrap(name: string, ret: null, args: string[]): (...xs: unknown[]) => void;
    _malloc(bytes: number): number;
    HEAP32: Int32Array;
    tfjs: { registerTensor(id: number, size: number, offset: number): void; disposeData(id: number): void };
  };
}

function hasInternals(b: unknown): b is WasmInternals {
  const w = b as Partial<WasmInternals> | undefined;
  return Boolean(w?.dataIdMap) && typeof w?.dataIdNextNumber === 'number' && typeof w?.makeOutput === 'function' && typeof w?.wasm?.tfjs?.registerTensor === 'function' && typeof w?.wasm?.tfjs?.disposeData === 'function' && typeof w?.wasm?.cwrap === 'function' && typeof w?.wasm?._malloc === 'function';
}

let registered: boolean | null = null;

/** Register the per-entry kernel for wasm once; false when the backend lacks the internals. */
function registerMatMulEach(): boolean {
  if (registered !== null) return registered;
  const backend = tf.findBackend('wasm');
  if (!hasInternals(backend)) return (registered = false);
  // The exported C function behind tfjs's BatchMatMul kernel (batch_mat_mul_impl.cc): for batch 1
  // and no transposes it runs XNNPACK's fully-connected operator. Its shape arguments are passed as
  // pointers to one buffer of wasm memory, kept for the process: Emscripten's 'array' arguments
  // copy each array onto the wasm stack per call (4–5 µs of the ~30 µs an entry takes).
  const batchMatMul = backend.wasm.cwrap('BatchMatMul', null, ['number', 'number', 'number', 'number', 'number', 'number', 'number', 'number', 'number']);
  const shapes = backend.wasm._malloc(24);
  tf.registerKernel({
    kernelName: MATMUL_EACH,
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend: be }) => {
      const w = be as unknown as WasmInternals;
      const { a, b } = inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
      const [B, M, K] = a.shape;
      const N = b.shape[2];
      const out = w.makeOutput([B, M, N], 'float32');
      const offsets = [a, b, out].map((t) => w.dataIdMap.get(t.dataId).memoryOffset);
      const sizes = [M * K, K * N, M * N];
      w.wasm.HEAP32.set([1, M, K, 1, K, N], shapes / 4);
      for (let i = 0; i < B; i++) {
        const ids = sizes.map((size, j) => {
          const id = w.dataIdNextNumber++;
          w.wasm.tfjs.registerTensor(id, size, offsets[j] + 4 * i * size);
          return id;
        });
        batchMatMul(ids[0], shapes, 3, ids[1], shapes + 12, 3, 0, 0, ids[2]);
        for (const id of ids) w.wasm.tfjs.disposeData(id);
      }
      return out;
    },
  });
  return (registered = true);
}

/** a[i] · b[i] by the fastest route of the current backend. */
export function batchedMatMul(a: tf.Tensor3D, b: tf.Tensor3D): tf.Tensor3D {
  if (tf.getBackend() !== 'wasm') return tf.matMul(a, b);
  const [B, , K] = a.shape;
  if (b.shape[0] !== B || b.shape[1] !== K) throw new Error(`batchedMatMul: shapes ${a.shape} and ${b.shape} do not match`);
  if (!registerMatMulEach()) return matMulEach(a, b);
  return tf.engine().runKernel(MATMUL_EACH, { a, b }, {}) as tf.Tensor3D;
}
