/**
 * Gradients of the few built-in ops the model differentiates through outside its custom ops:
 * Add, AddN, Mul (with broadcasting) and Sum. @tensorflow/tfjs-core registers no gradients by itself
 * (the umbrella @tensorflow/tfjs does, from ES modules that Node cannot load from tfjs-core's
 * dist), so bitscale registers these; an op that was already registered (e.g. by tfjs-node) is
 * left alone.
 */
import * as tf from '@tensorflow/tfjs-core';

/** Sum a broadcast gradient back down to the input's shape (numpy broadcasting rules). */
export function reduceToShape(g: tf.Tensor, shape: number[]): tf.Tensor {
  if (g.shape.length === shape.length && g.shape.every((s, i) => s === shape[i])) return g;
  const lead = g.rank - shape.length;
  const axes: number[] = [];
  for (let i = 0; i < g.rank; i++) if (i < lead || (shape[i - lead] === 1 && g.shape[i] !== 1)) axes.push(i);
  const summed = axes.length > 0 ? tf.sum(g, axes) : g;
  return tf.reshape(summed, shape);
}

function registerOnce(config: tf.GradConfig): void {
  if (!tf.getGradient(config.kernelName)) tf.registerGradient(config);
}

export function registerModelGradients(): void {
  registerOnce({
    kernelName: tf.Add,
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, saved) => {
      const [a, b] = saved;
      const g = dy as tf.Tensor;
      return { a: () => reduceToShape(g, a.shape), b: () => reduceToShape(g, b.shape) };
    },
  });
  registerOnce({
    kernelName: tf.AddN,
    saveAllInputs: true,
    gradFunc: (dy, saved) => Object.fromEntries(saved.map((_, i) => [i, () => (dy as tf.Tensor).clone()])),
  });
  registerOnce({
    kernelName: tf.Multiply,
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, saved) => {
      const [a, b] = saved;
      const g = dy as tf.Tensor;
      return { a: () => reduceToShape(tf.mul(g, tf.cast(b, 'float32')), a.shape), b: () => reduceToShape(tf.mul(g, tf.cast(a, 'float32')), b.shape) };
    },
  });
  registerOnce({
    kernelName: tf.Sum,
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => {
      const [x] = saved;
      const { axis } = attrs as unknown as { axis: number | number[] | null };
      const axes = axis === null || axis === undefined ? x.shape.map((_, i) => i) : (Array.isArray(axis) ? axis : [axis]).map((a) => (a < 0 ? a + x.rank : a));
      const kept = x.shape.map((s, i) => (axes.includes(i) ? 1 : s));
      return { x: () => tf.mul(tf.reshape(dy as tf.Tensor, kept), tf.onesLike(x)) };
    },
  });
}

registerModelGradients();
