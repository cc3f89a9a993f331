/**
 * AdamW (Loshchilov & Hutter 2019, decoupled weight decay, as torch.optim.AdamW) with global-norm
 * gradient clipping, over a fixed list of variables. Its moments are plain state that checkpoints
 * save and restore.
 */
import * as tf from '@tensorflow/tfjs-core';

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

  constructor(readonly vars: tf.Variable[], readonly cfg: AdamWConfig) {
    this.m = vars.map((x) => tf.variable(tf.zerosLike(x), false));
    this.v = vars.map((x) => tf.variable(tf.zerosLike(x), false));
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
   * The same update in JavaScript over [lo, hi) of flat float32 arrays of weights, moments and
   * gradients (data-parallel workers update disjoint ranges of shared memory: src/train/workers.ts).
   * `t` is the update count after this update. Every operation is rounded to float32 as tfjs's
   * float32 kernels round it (Math.fround of the exact double result is the correctly rounded
   * float32 result for +, −, ×, ÷ and √), so it gives the values `apply` gives.
   */
  static applyRange(cfg: AdamWConfig, a: { w: Float32Array; m: Float32Array; v: Float32Array; g: Float32Array }, lo: number, hi: number, t: number, norm: number, lr: number): void {
    const f = Math.fround;
    const { beta1, beta2, eps, weightDecay, clipNorm } = cfg;
    const clip = clipNorm > 0 && norm > clipNorm ? f(clipNorm / norm) : 1;
    const [b1, nb1, b2, nb2, c1, c2, e, decay, rate] = [beta1, 1 - beta1, beta2, 1 - beta2, 1 - Math.pow(beta1, t), 1 - Math.pow(beta2, t), eps, 1 - lr * weightDecay, lr].map(f);
    const { w, m, v, g } = a;
    for (let k = lo; k < hi; k++) {
      const gk = clip === 1 ? g[k] : f(g[k] * clip);
      const mk = f(f(m[k] * b1) + f(gk * nb1));
      const vk = f(f(v[k] * b2) + f(f(gk * gk) * nb2));
      const step = f(f(mk / c1) / f(f(Math.sqrt(f(vk / c2))) + e));
      w[k] = f(w[k] * decay) - f(step * rate);
      m[k] = mk;
      v[k] = vk;
    }
  }

  dispose(): void {
    for (const x of [...this.m, ...this.v]) x.dispose();
  }
}
