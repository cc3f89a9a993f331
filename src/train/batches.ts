/**
 * Training batches and the fixed validation windows, both byte-level: a window of T+1 bytes gives
 * T inputs and the T next bytes as targets.
 */
import { stepRng, STREAM } from '../model/rng.js';
import type { Corpus } from '../data/corpus.js';

export interface Batch {
  /** B·T input bytes, window after window. */
  tokens: Int32Array;
  /** B·T target bytes: tokens shifted by one. */
  targets: Int32Array;
}

/** Copy the windows starting at `offsets` out of `bytes`. */
export function windowsAt(bytes: Uint8Array, offsets: number[], seqLen: number): Batch {
  const n = offsets.length * seqLen;
  const tokens = new Int32Array(n);
  const targets = new Int32Array(n);
  offsets.forEach((o, b) => {
    for (let i = 0; i < seqLen; i++) {
      tokens[b * seqLen + i] = bytes[o + i];
      targets[b * seqLen + i] = bytes[o + i + 1];
    }
  });
  return { tokens, targets };
}

/**
 * The batch of update `step`: B offsets uniform over the training split, drawn from (seed, step);
 * sample b is the b-th draw. `first`/`count` take samples first … first + count − 1 only (a
 * data-parallel worker's slice), the same windows the whole batch has at those indices.
 */
export function trainingBatch(corpus: Corpus, seed: number, step: number, batchSize: number, seqLen: number, first = 0, count = batchSize - first): Batch {
  const rand = stepRng(seed, step, STREAM.batch);
  const span = corpus.valStart - seqLen - 1;
  const offsets = Array.from({ length: batchSize }, () => Math.floor(rand() * (span + 1)));
  return windowsAt(corpus.bytes, offsets.slice(first, first + count), seqLen);
}

/**
 * `count` validation windows evenly spaced over the split [valStart, n): offset k is
 * valStart + floor(k·(n − valStart − T − 1)/(count − 1)). The same bytes for every run of a corpus.
 */
export function validationOffsets(corpus: Corpus, count: number, seqLen: number): number[] {
  const span = corpus.bytes.length - corpus.valStart - seqLen - 1;
  if (span < 0) throw new Error(`the validation split (${corpus.bytes.length - corpus.valStart} bytes) is shorter than one window of ${seqLen + 1}`);
  if (count <= 1) return [corpus.valStart];
  return Array.from({ length: count }, (_, k) => corpus.valStart + Math.floor((k * span) / (count - 1)));
}
