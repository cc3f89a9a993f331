import { test } from 'node:test';
import assert from 'node:assert/strict';
import { trainingBatch, validationOffsets, windowsAt } from '../../src/train/batches.js';
import type { Corpus } from '../../src/data/corpus.js';

const bytes = Uint8Array.from({ length: 1000 }, (_, i) => i % 128);
const corpus: Corpus = { name: 'ramp', bytes, sha256: '0'.repeat(64), nonAscii: 'dropped (0 bytes)', valStart: 950 };

test('a window gives T inputs and the T following bytes as targets', () => {
  const { tokens, targets } = windowsAt(bytes, [10, 500], 4);
  assert.deepEqual(Array.from(tokens), [10, 11, 12, 13, 500 % 128, 501 % 128, 502 % 128, 503 % 128]);
  assert.deepEqual(Array.from(targets), [11, 12, 13, 14, 501 % 128, 502 % 128, 503 % 128, 504 % 128]);
});

test('the batch of a step depends only on (seed, step) and stays in the training split', () => {
  const a = trainingBatch(corpus, 3, 17, 8, 16);
  assert.deepEqual(a, trainingBatch(corpus, 3, 17, 8, 16));
  assert.notDeepEqual(a, trainingBatch(corpus, 3, 18, 8, 16));
  // Bytes before valStart are 1, from valStart on 2: no input or target may be a 2.
  const split: Corpus = { ...corpus, bytes: Uint8Array.from({ length: 1000 }, (_, i) => (i < 950 ? 1 : 2)) };
  for (let s = 0; s < 200; s++) {
    const { tokens, targets } = trainingBatch(split, 1, s, 4, 16);
    assert.ok(tokens.every((x) => x === 1) && targets.every((x) => x === 1), `step ${s} reads validation bytes`);
  }
});

test('validation windows are evenly spaced from valStart to the last full window', () => {
  assert.deepEqual(validationOffsets(corpus, 3, 9), [950, 970, 990]);
  assert.deepEqual(validationOffsets(corpus, 1, 9), [950]);
});
