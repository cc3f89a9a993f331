/**
 * AdamW (Loshchilov & Hutter 2019, decoupled weight decay, as torch.optim.AdamW) with global-norm
 * gradient clipping, over a fixed list of variables. Its moments are plain state that checkpoints
 * save and restore.
 */
import * as tf from '@tensorflow/tfjs-core';
import { kernelMemory, kernelModule, layoutRegions } from '../model/kernels.js';

export interface AdamWConfig {
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** Clip the global L2 norm of all gradients to this value (0 = off). */
  clipNorm: number;
}

export const DEFAULT_ADAMW: AdamWConfig = { beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.01, clipNorm: 1.0 };

export class AdamW {
  readonly m: tf.Variable[];
  readonly v: tf.Variable[];
  /** Updates applied so far (the bias corrections use it). */
  t = 0;
  private readonly zeros: tf.Tensor[] = [];

  constructor(readonly vars: tf.Variable[], readonly cfg: AdamWConfig) {
    this.m = vars.map((x) => this.zeroVariable(x));
    this.v = vars.map((x) => this.zeroVariable(x));
  }

  /**
   * A non-trainable variable of x's shape at 0. The zeros it was made from live as long as the
   * optimizer, as the tfjs-fp32 memory preset counts them, and are freed by dispose().
   */
  private zeroVariable(x: tf.Tensor): tf.Variable {
    const zeros = tf.zerosLike(x);
    this.zeros.push(zeros);
    return tf.variable(zeros, false);
  }

  /** Global gradient norm sqrt(Σ‖g‖²), before clipping. */
  static globalNorm(grads: tf.Tensor[]): tf.Scalar {
    return tf.tidy(() => tf.sqrt(tf.addN(grads.map((g) => tf.sum(tf.square(g))))) as tf.Scalar);
  }

  /**
   * One update with learning rate lr, given the gradients (same order as vars) and their global
   * norm: g ← g·min(1, clip/‖g‖); m ← β1m + (1−β1)g; v ← β2v + (1−β2)g²;
   * w ← w·(1 − lr·wd) − lr·m̂/(√v̂ + ε), m̂ = m/(1−β1^t), v̂ = v/(1−β2^t).
   */
  apply(grads: tf.Tensor[], norm: number, lr: number): void {
    const { beta1, beta2, eps, weightDecay, clipNorm } = this.cfg;
    this.t += 1;
    const clip = clipNorm > 0 && norm > clipNorm ? clipNorm / norm : 1;
    const c1 = 1 - Math.pow(beta1, this.t);
    const c2 = 1 - Math.pow(beta2, this.t);
    tf.tidy(() => {
      grads.forEach((g0, i) => {
        const g = clip === 1 ? g0 : tf.mul(g0, clip);
        const m = tf.add(tf.mul(this.m[i], beta1), tf.mul(g, 1 - beta1));
        const v = tf.add(tf.mul(this.v[i], beta2), tf.mul(tf.square(g), 1 - beta2));
        const step = tf.div(tf.div(m, c1), tf.add(tf.sqrt(tf.div(v, c2)), eps));
        const w = this.vars[i];
        w.assign(tf.sub(tf.mul(w, 1 - lr * weightDecay), tf.mul(step, lr)));
        this.m[i].assign(m);
        this.v[i].assign(v);
      });
    });
  }

  /**
   * The same update over [lo, hi) of flat float32 arrays of weights, moments and gradients
   * (data-parallel workers update disjoint ranges of shared memory: src/train/workers.ts). `t` is
   * the update count after this update. Every operation is rounded to float32 as tfjs's float32
   * kernels round it, so it gives the values `apply` gives. Runs in bitscale's WebAssembly kernel
   * (kernels.wat, `adamw`: four values an instruction; 9.5 ms against 54 ms in JavaScript for 2.95M
   * values, copies included), the range copied through its memory a chunk at a time; the last few
   * values in JavaScript.
   */
  static applyRange(cfg: AdamWConfig, a: { w: Float32Array; m: Float32Array; v: Float32Array; g: Float32Array }, lo: number, hi: number, t: number, norm: number, lr: number): void {
    const k = AdamW.floatConstants(cfg, t, norm, lr);
    const CHUNK = 1 << 18;
    const kernel = kernelModule();
    let start = lo;
    for (; start + 4 <= hi; ) {
      const n = Math.min(CHUNK, (hi - start) & ~3);
      const { at, end } = layoutRegions([4 * n, 4 * n, 4 * n, 4 * n]);
      const mem = kernelMemory(end);
      const views = at.map((offset) => new Float32Array(mem, offset, n));
      [a.w, a.m, a.v, a.g].forEach((arr, i) => views[i].set(arr.subarray(start, start + n)));
      kernel.adamw(at[0], at[1], at[2], at[3], n, k.clip, k.b1, k.nb1, k.b2, k.nb2, k.c1, k.c2, k.e, k.decay, k.rate);
      [a.w, a.m, a.v].forEach((arr, i) => arr.set(views[i], start));
      start += n;
    }
    AdamW.applyRangeInJs(k, a, start, hi);
  }

  /** The update's constants, each rounded to float32 (clip is 1 when the norm needs no clipping). */
  private static floatConstants(cfg: AdamWConfig, t: number, norm: number, lr: number) {
    const f = Math.fround;
    const { beta1, beta2, eps, weightDecay, clipNorm } = cfg;
    const clip = clipNorm > 0 && norm > clipNorm ? f(clipNorm / norm) : 1;
    const [b1, nb1, b2, nb2, c1, c2, e, decay, rate] = [beta1, 1 - beta1, beta2, 1 - beta2, 1 - Math.pow(beta1, t), 1 - Math.pow(beta2, t), eps, 1 - lr * weightDecay, lr].map(f);
    return { clip, b1, nb1, b2, nb2, c1, c2, e, decay, rate };
  }

  /** applyRange's arithmetic in JavaScript (Math.fround of the exact double result is the correctly rounded float32 result for +, −, ×, ÷ and √). */
  private static applyRangeInJs(k: ReturnType<typeof AdamW.floatConstants>, a: { w: Float32Array; m: Float32Array; v: Float32Array; g: Float32Array }, lo: number, hi: number): void {
    const f = Math.fround;
    const { w, m, v, g } = a;
    for (let i = lo; i < hi; i++) {
      const gk = k.clip === 1 ? g[i] : f(g[i] * k.clip);
      const mk = f(f(m[i] * k.b1) + f(gk * k.nb1));
      const vk = f(f(v[i] * k.b2) + f(f(gk * gk) * k.nb2));
      const step = f(f(mk / k.c1) / f(f(Math.sqrt(f(vk / k.c2))) + k.e));
      w[i] = f(w[i] * k.decay) - f(step * k.rate);
      m[i] = mk;
      v[i] = vk;
    }
  }

  dispose(): void {
    for (const x of [...this.m, ...this.v, ...this.zeros]) x.dispose();
  }
}
