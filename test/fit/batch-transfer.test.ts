import { test } from 'node:test';
import assert from 'node:assert/strict';
import { equivalentSteps, pairBatchNoiseBound, batchNoiseEvidence, perDoublingGain } from '../../src/fit/batch-transfer.js';
import { predictBpc } from '../../src/fit/predict.js';
import { analysisGroupKey, loadRunTable, scalingRuns } from '../../src/runs/table.js';

const close = (a: number, b: number, tol: number, what: string) => assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b}`);

test('equivalentSteps: S(1 + Bn/B_ref)/(1 + Bn/B), and its two limits (steps only, tokens only)', () => {
  // 1000 steps at bs 64 with B_noise 16: 1000·(1 + 16/16)/(1 + 16/64) = 2000/1.25 = 1600 steps at bs 16.
  close(equivalentSteps(1000, 64, 16, 16), 1600, 1e-9, 'Bn = 16');
  assert.equal(equivalentSteps(1000, 64, 16, 0), 1000);
  assert.equal(equivalentSteps(1000, 64, 16, Number.POSITIVE_INFINITY), 4000);
  // Between the limits, monotone in B_noise.
  assert.ok(equivalentSteps(1000, 64, 16, 4) < equivalentSteps(1000, 64, 16, 64));
});

test('pairBatchNoiseBound: the seed pair (bs 64, 40K steps; bs 256 within 15K) gives exactly 320 sequences, and round-trips', () => {
  // r = 40/15 = 8/3; x = (r − 1)/(1/64 − r/256) = (5/3)/(1/64 − 1/96) = (5/3)·192 = 320.
  close(pairBatchNoiseBound(64, 40000, 256, 15000), 320, 1e-9, 'bound');
  close(equivalentSteps(15000, 256, 64, 320), 40000, 1e-6, 'round trip');
  assert.equal(pairBatchNoiseBound(64, 1000, 256, 1000), 0, 'no steps saved');
  assert.equal(pairBatchNoiseBound(64, 4000, 256, 1000), Number.POSITIVE_INFINITY, 'perfect scaling');
});

const runs = loadRunTable(new URL('../../runs/', import.meta.url).pathname, { onWarning: () => {} });
const glm = scalingRuns(runs).filter((r) => r.dataset === 'GLM-Reasoning');

test('perDoublingGain: the 46.4M bs 64 runs lose 0.085 bits per byte per doubling of steps (20K: 1.877, 40K: best 1.792)', () => {
  const g = perDoublingGain(glm.filter((r) => r.params === 46399488 && r.batchSize === 64));
  close(g!, 1.792 - 1.877, 1e-12, 'gain');
});

test('batchNoiseEvidence: GLM reads its own pair (bound 320 × 256 tokens, estimate from the step gain); brown its own grid', () => {
  const e = batchNoiseEvidence(runs, analysisGroupKey(glm[0]), 46.4e6, 1.8)!;
  assert.equal(e.source, 'own pair');
  close(e.interval.lo, 320 * 256, 1e-6, 'bound in tokens');
  assert.equal(e.interval.hi, Number.POSITIVE_INFINITY);
  // The bs 256 run reaches 1.792 at 15000·2^((1.792 − 1.766)/−0.085) steps; the pair then gives the estimate.
  const crossing = 15000 * 2 ** ((1.792 - 1.766) / (1.792 - 1.877));
  close(e.tokens, pairBatchNoiseBound(64, 40000, 256, crossing) * 256, 1e-6, 'estimate');
  const brown = runs.find((r) => r.collection === 'brown-ladder' && r.purpose === 'scaling')!;
  const b = batchNoiseEvidence(runs, analysisGroupKey(brown), 30000, 3.9)!;
  assert.equal(b.source, 'own grid');
  assert.ok(b.interval.lo <= b.tokens && b.tokens <= b.interval.hi);
});

test('predict at an unmeasured batch size moves along the law and widens the interval over B_noise; without the option it warns', () => {
  const q = { params: 46399488, steps: 15000, batchSize: 512, dataset: 'GLM-Reasoning', seqLen: 256 };
  const fit = { bootstrap: { count: 200, seed: 1, level: 0.8 } };
  const moved = predictBpc(glm, q, { fit, batch: { runs } });
  const plain = predictBpc(glm, q, { fit });
  const at256 = predictBpc(glm, { ...q, batchSize: 256 }, { fit });
  const b = moved.batch!;
  assert.equal(b.toBatch, 256);
  close(b.equivalentSteps, equivalentSteps(15000, 512, 256, b.bNoise.tokens / 256), 1e-6, 'S_eq');
  // B_noise from 320 sequences to ∞: S_eq from 15000·2.25/1.625 to 30000.
  close(b.stepsRange.lo, (15000 * 2.25) / 1.625, 1e-6, 'S_eq at the bound');
  close(b.stepsRange.hi, 30000, 1e-6, 'S_eq at ∞');
  // Twice the batch at the same steps predicts lower than bs 256, and the interval holds both ends.
  assert.ok(moved.valBpc < at256.valBpc);
  assert.ok(moved.interval!.lo <= b.valueRange.lo && b.valueRange.hi <= moved.interval!.hi);
  assert.ok(moved.assumptions.some((a) => a.startsWith('batch: no run of the budget at bs 512')), moved.assumptions.join('\n'));
  // Without the runs to read B_noise from: the budget's number, and a warning says so.
  assert.equal(plain.batch, null);
  close(plain.valBpc, at256.valBpc, 1e-12, 'uncorrected');
  assert.ok(plain.warnings.some((w) => w.includes('without a batch-size correction')));
});
