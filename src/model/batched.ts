/**
 * Batched matrix products on the fast path of the wasm backend. tfjs-backend-wasm sends a matMul
 * to XNNPACK only for batch 1 without transpose flags; every other case is a naive loop at 1–2
 * GFLOP/s (measured by bench/train.ts). `matMulEach` runs one plain 2-D matMul per batch entry on
 * slices taken in JavaScript (tf.unstack's slices cost more than the products themselves).
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

/** a[i] · b[i] by the fastest route of the current backend: per-entry 2-D products on wasm. */
export function batchedMatMul(a: tf.Tensor3D, b: tf.Tensor3D): tf.Tensor3D {
  return tf.getBackend() === 'wasm' ? matMulEach(a, b) : tf.matMul(a, b);
}
