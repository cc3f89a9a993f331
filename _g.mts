import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from './src/train/backend.js';
import { packSigns, signGemm } from './src/model/sign-kernels.js';
await selectBackend('wasm');
const time = (f: () => void) => { let best = 1e9; for (let i = 0; i < 7; i++) { const t = performance.now(); f(); best = Math.min(best, performance.now() - t); } return best; };
for (const [M, K, N] of [[1024, 512, 512], [1024, 256, 512], [512, 1024, 512], [1024, 128, 128], [128, 1024, 128], [8, 21, 5]]) {
  const a = Float32Array.from({ length: M * K }, () => Math.random() - 0.5);
  const s = Float32Array.from({ length: K * N }, () => (Math.random() < 0.5 ? -1 : 1));
  const A = tf.tensor2d(a, [M, K]); const S = tf.tensor2d(s, [K, N]);
  const ref = tf.matMul(A, S).dataSync();
  const cols = packSigns(tf.transpose(S).dataSync() as Float32Array, N, K)!;
  const got = signGemm(a, M, cols, 1);
  let err = 0, mx = 0; for (let i = 0; i < ref.length; i++) { err = Math.max(err, Math.abs(ref[i] - got[i])); mx = Math.max(mx, Math.abs(ref[i])); }
  const aT = tf.transpose(A).dataSync() as Float32Array;
  const gotT = signGemm(aT, M, cols, 1, true);
  let errT = 0; for (let m = 0; m < M; m++) for (let n = 0; n < N; n++) errT = Math.max(errT, Math.abs(ref[m * N + n] - gotT[n * M + m]));
  const tfms = time(() => { const y = tf.matMul(A, S); y.dataSync(); y.dispose(); });
  const ours = time(() => { signGemm(a, M, cols, 1); });
  const oursT = time(() => { signGemm(aT, M, cols, 1, true); });
  console.log(`[${M},${K}]x[${K},${N}]: err ${err.toExponential(1)} (T ${errT.toExponential(1)}) of max ${mx.toFixed(1)}; tf ${tfms.toFixed(2)} ms, ours ${ours.toFixed(2)} ms, ours(T) ${oursT.toFixed(2)} ms`);
}
