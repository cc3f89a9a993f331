import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bootstrapParameters } from '../../src/fit/resample.js';
import { resampleIndices, seededRandom } from '../../src/fit/stats.js';

/** A fit whose result depends on the multiset only: the mean and the spread of the chosen values. */
const values = [3.1, 2.7, 2.2, 1.9];
function meanFit(indices: number[]): number[] | null {
  if (new Set(indices).size < 2) return null;
  const xs = indices.map((i) => values[i]);
  const mean = xs.reduce((s, v) => s + v, 0) / xs.length;
  return [mean, Math.max(...xs) - Math.min(...xs)];
}

test('bootstrapParameters: one fit per distinct multiset, in sorted order, and the same draws as fitting every resample', () => {
  const n = 3;
  const calls: string[] = [];
  const draws = bootstrapParameters(n, (idx) => {
    calls.push(idx.join(','));
    return meanFit(idx);
  }, { count: 1000, seed: 7 });

  // 3 points drawn 3 times with replacement: 10 multisets, so at most 10 fits for 1000 resamples.
  assert.ok(calls.length <= 10, `${calls.length} fits`);
  assert.equal(new Set(calls).size, calls.length, 'no multiset is fitted twice');
  for (const c of calls) {
    const idx = c.split(',').map(Number);
    assert.deepEqual(idx, [...idx].sort((a, b) => a - b), 'indices arrive sorted');
  }

  // Reference: the same generator, every resample fitted on its own.
  const random = seededRandom(7);
  const expected: number[][] = [];
  for (let b = 0; b < 1000; b++) {
    const p = meanFit(resampleIndices(n, random).sort((i, j) => i - j));
    if (p) expected.push(p);
  }
  assert.deepEqual(draws.samples, expected);
  assert.equal(draws.summary.used, expected.length);
  // Resamples of a single repeated point (3 of the 27 ordered draws) do not identify the fit.
  assert.ok(draws.summary.used < 1000 && draws.summary.used > 800, `${draws.summary.used} used`);
});

test('a stratified bootstrap draws each stratum\'s own count from that stratum alone: every resample of strata {0,1,2} and {3,4} holds 3 of the first and 2 of the second', () => {
  const seen: number[][] = [];
  const draws = bootstrapParameters(5, (idx) => (seen.push(idx), [idx.length]), { count: 200, seed: 3 }, undefined, [[0, 1, 2], [3, 4]]);
  assert.equal(draws.summary.method, 'pairs bootstrap over points (runs) within each stratum, percentile interval');
  assert.ok(seen.length > 10);
  for (const idx of seen) {
    assert.equal(idx.filter((i) => i <= 2).length, 3);
    assert.equal(idx.filter((i) => i >= 3).length, 2);
  }
});
