import { test } from 'node:test';
import assert from 'node:assert/strict';
import { predictBpc } from '../../src/fit/predict.js';
import { predictionSpan } from '../../src/report/analysis.js';
import { seedRuns } from '../fit/seed-runs.js';

test('a prediction\'s range holds its interval and the other law: 369.6M/30K on GLM spans the A-free value below the interval', () => {
  const p = predictBpc(seedRuns(), { params: 369_623_040, steps: 30000, batchSize: 256, dataset: 'GLM-Reasoning' });
  const free = p.alternatives.find((a) => a.law === 'A free')!;
  assert.ok(free.valBpc < p.interval!.lo, 'the A-free law lies outside the bootstrap interval');
  assert.deepEqual(p.range, { lo: free.valBpc, hi: p.interval!.hi });
  assert.ok(Math.abs(predictionSpan(p)! - (p.interval!.hi - free.valBpc)) < 1e-12);
});
