/**
 * The trainer's test seam: faults and early stops that only tests inject, kept out of
 * `TrainOptions` so that the options a caller sees are all meant for use. Nothing in the CLI or the
 * library sets it; a test sets it for one call with `withTestSeam`, which empties it again however
 * the call ends. The trainer (src/train/trainer.ts) and the worker pool (src/train/workers.ts) read
 * it through `testSeam()`.
 */

export interface TestSeam {
  /** Return after this many updates as if killed: no summary, no final checkpoint (status 'halted'). */
  haltAfter?: number;
  /** Throw in the training thread at update `throwAt` (0-based), before it runs, as a bug would. */
  throwAt?: number;
  /** Make data-parallel worker `worker` (0-based) throw at update `step`, as a worker that dies. */
  workerFault?: { worker: number; step: number };
}

const NONE: TestSeam = Object.freeze({});
let current: TestSeam = NONE;

/** The seam in force: empty outside `withTestSeam`. */
export function testSeam(): TestSeam {
  return current;
}

/** Run `f` with `seam` in force, then empty it again. Calls do not nest. */
export async function withTestSeam<T>(seam: TestSeam, f: () => Promise<T>): Promise<T> {
  if (current !== NONE) throw new Error('withTestSeam calls do not nest');
  current = { ...seam };
  try {
    return await f();
  } finally {
    current = NONE;
  }
}
