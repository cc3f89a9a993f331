import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gumbelArray, mixSeed, mulberry32, STREAM } from '../../src/model/rng.js';
import { GumbelPool } from '../../src/train/noise.js';

test('a Gumbel pool of the seed and size just drawn reuses those draws; another seed draws its own, the same as drawn afresh', () => {
  const a = new GumbelPool(3, 16 * 128 * 128);
  const b = new GumbelPool(3, 8 * 128 * 128); // max(2^23, 4·window): the same size
  assert.equal(b.pool, a.pool);
  const c = new GumbelPool(4, 16 * 128 * 128);
  assert.notEqual(c.pool, a.pool);
  assert.deepEqual(c.pool.subarray(0, 1000), gumbelArray(1000, mulberry32(mixSeed(4, 0, STREAM.gumbel))));
  // Back to seed 3: drawn again, the same values.
  assert.deepEqual(new GumbelPool(3, 16).pool.subarray(0, 1000), a.pool.subarray(0, 1000));
});
