/** Shared test setup: the wasm backend (the one the trainer uses here), loaded once. */
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '../../src/train/backend.js';

export async function useWasm(): Promise<typeof tf> {
  await selectBackend('wasm');
  return tf;
}

/** Max |a − b| over two equal-length arrays. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`lengths differ: ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}
