/**
 * Choosing the TensorFlow.js backend. `auto` tries, in order: @tensorflow/tfjs-node-gpu (CUDA),
 * @tensorflow/tfjs-node (native CPU), @tensorflow/tfjs-backend-wasm, the pure-JS cpu backend.
 * The native packages are optionalDependencies that cannot install without internet access, so
 * they are loaded by guarded dynamic import (tfjs-notes.md, "Installing").
 */
import * as tf from '@tensorflow/tfjs-core';
import { BitscaleError } from '../util/errors.js';

export type BackendChoice = 'auto' | 'gpu' | 'node' | 'wasm' | 'cpu';
export const BACKEND_CHOICES: readonly BackendChoice[] = ['auto', 'gpu', 'node', 'wasm', 'cpu'];

const NATIVE: Record<'gpu' | 'node', string> = { gpu: '@tensorflow/tfjs-node-gpu', node: '@tensorflow/tfjs-node' };

async function tryNative(kind: 'gpu' | 'node'): Promise<string | null> {
  const name = NATIVE[kind];
  try {
    await import(name);
    if (await tf.setBackend('tensorflow')) return null;
    return `${name} loaded but its 'tensorflow' backend did not initialise`;
  } catch (err) {
    return `${name} is not usable (${err instanceof Error ? err.message.split('\n')[0] : String(err)})`;
  }
}

async function tryJs(kind: 'wasm' | 'cpu'): Promise<string | null> {
  try {
    if (kind === 'wasm') await import('@tensorflow/tfjs-backend-wasm');
    else await import('@tensorflow/tfjs-backend-cpu');
    if (await tf.setBackend(kind)) return null;
    return `the ${kind} backend did not initialise`;
  } catch (err) {
    return `the ${kind} backend is not usable (${err instanceof Error ? err.message.split('\n')[0] : String(err)})`;
  }
}

export interface BackendSelection {
  /** The tfjs backend that runs: "tensorflow", "wasm" or "cpu". */
  backend: string;
  /** Why earlier choices of `auto` were skipped. */
  skipped: string[];
}

/** Set the backend; an explicit choice that cannot load is an error, `auto` falls through. */
export async function selectBackend(choice: BackendChoice): Promise<BackendSelection> {
  if (!BACKEND_CHOICES.includes(choice)) throw new BitscaleError(`unknown backend '${choice}' (expected one of: ${BACKEND_CHOICES.join(', ')})`);
  const order: ('gpu' | 'node' | 'wasm' | 'cpu')[] = choice === 'auto' ? ['gpu', 'node', 'wasm', 'cpu'] : [choice];
  const skipped: string[] = [];
  for (const kind of order) {
    const problem = kind === 'gpu' || kind === 'node' ? await tryNative(kind) : await tryJs(kind);
    if (problem === null) {
      await tf.ready();
      return { backend: tf.getBackend(), skipped };
    }
    skipped.push(problem);
  }
  throw new BitscaleError(`no TensorFlow.js backend could start: ${skipped.join('; ')}`);
}
