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

test('the recommended config analysed from its own dataset laws alone (as the report does beside its fit worker) equals the analysis from every fit', async () => {
  const { readFileSync } = await import('node:fs');
  const { loadRunTable } = await import('../../src/runs/table.js');
  const { parseClaimsFile } = await import('../../src/report/claims.js');
  const { analyseRecommended, analyseRuns, recommendedSuite } = await import('../../src/report/analysis.js');
  const root = new URL('../../', import.meta.url).pathname;
  const runs = loadRunTable(`${root}runs`);
  const claimsPath = `${root}claims/seed-report.json`;
  const rec = parseClaimsFile(JSON.parse(readFileSync(claimsPath, 'utf8')), claimsPath).recommended;
  const options = { bootstrap: 200, candidateBootstrap: 50 };
  const own = recommendedSuite(runs, rec, options);
  assert.ok(own.joint.every((j) => j.fit === null), 'no joint law is fitted for the other datasets');
  const part = analyseRecommended(own, runs, rec, options);
  const whole = analyseRuns(runs, rec, options);
  for (const [key, value] of Object.entries(part)) assert.deepEqual(value, whole[key as keyof typeof whole], key);
});
