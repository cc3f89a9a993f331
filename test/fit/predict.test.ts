import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fitRunTable } from '../../src/fit/suite.js';
import { chooseLaw, explainPrediction, predictBpc, predictFromLaw, refitForQuery, stepMove, type PredictedValue } from '../../src/fit/predict.js';
import { saturatingLoss } from '../../src/fit/saturating.js';
import { BitscaleError } from '../../src/util/errors.js';
import { seedRuns } from './seed-runs.js';
import type { RunRecord } from '../../src/runs/types.js';

const GLM_30K = { params: 369.6e6, steps: 30000, batchSize: 256, dataset: 'GLM-Reasoning' };

test('chooseLaw answers 369.6M/30K on GLM with the 15K bs-256 budget, A held (A free is exactly determined), and the one GLM doubling 20K → 40K as its step evidence', () => {
  const suite = fitRunTable(seedRuns(), { bootstrap: { count: 50 } });
  const c = chooseLaw(suite, GLM_30K);
  assert.equal(c.budget.steps, 15000);
  assert.equal(c.budget.batchSize, 256);
  assert.equal(c.name, 'A fixed');
  assert.equal(c.fit.params.A, 1);
  assert.match(c.why, /^A held: with A fitted the law is exactly determined/);
  assert.equal(c.nUnit, 1e6);
  assert.deepEqual(c.steps!.pool.map((d) => [d.fromSteps, d.toSteps]), [[20000, 40000]]);
  assert.equal(c.steps!.ownCount, 1);
  assert.equal(c.steps!.spreadBorrowed, false);
  // A free beside it, evaluated (not flagged); no joint law (the 7 GLM runs are of two recipes).
  assert.deepEqual(c.alternatives.map((a) => [a.law, a.notUsed]), [['A free', null]]);
  // At the budget's own step count nothing moves it.
  assert.equal(chooseLaw(suite, { ...GLM_30K, steps: 15000 }).steps, null);
});

test('chooseLaw refuses a dataset without a parameter law, naming the datasets that have one; --law free is taken as asked', () => {
  const suite = fitRunTable(seedRuns(), { bootstrap: false });
  assert.throws(() => chooseLaw(suite, { ...GLM_30K, dataset: 'nope' }), (e: Error) => e instanceof BitscaleError && /no parameter law for dataset 'nope'.*\(datasets with one: GLM-Reasoning\)$/.test(e.message));
  // From runs, the suite fitted for 'nope' holds no law at all: the datasets named come from a refit of every dataset.
  assert.throws(() => predictBpc(seedRuns(), { ...GLM_30K, dataset: 'nope' }, { fit: { bootstrap: false } }), /\(datasets with one: GLM-Reasoning\)$/);
  assert.equal(chooseLaw(suite, GLM_30K, { law: 'free' }).why, 'A fitted, as asked (--law free)');
  assert.throws(() => chooseLaw(suite, { ...GLM_30K, params: 0 }), /params, steps and batch size must be positive/);
});

test('refitForQuery fits only the queried dataset\'s parameter laws from runs, and passes a suite through unchanged', () => {
  const runs = seedRuns();
  const suite = refitForQuery(runs, GLM_30K, { fit: { bootstrap: false } });
  assert.deepEqual([...new Set(suite.paramBudgets.map((b) => b.dataset))], ['GLM-Reasoning']);
  assert.equal(refitForQuery(suite, GLM_30K), suite);
});

test('predictFromLaw = the A = 1 law at 369.6M plus stepMove of the mean gain (1.793 − 1.877) over one doubling at the floor-reaching ratio 1 + gain/(base − 1)', () => {
  const suite = fitRunTable(seedRuns(), { bootstrap: { count: 200 } });
  const c = chooseLaw(suite, GLM_30K);
  const v = predictFromLaw(c, GLM_30K);
  const base = saturatingLoss(c.fit.params, 369.6e6);
  const gain = (1.794 + 1.792) / 2 - 1.877;
  const ratio = 1 + gain / (base - 1);
  assert.ok(Math.abs(v.baseBpc - base) < 1e-12);
  assert.ok(Math.abs(v.step!.ratio - ratio) < 1e-12);
  // One doubling moves by the first gain exactly, whatever the ratio.
  assert.ok(Math.abs(v.valBpc - (base + stepMove(gain, 1, ratio))) < 1e-12);
  assert.ok(Math.abs(v.valBpc - (base + gain)) < 1e-12);
  assert.equal(v.floor, 1);
  assert.equal(v.ceiling, 7);
  assert.equal(v.draws, c.fit.samples!.length);
  assert.ok(v.interval && v.interval.lo < v.valBpc && v.valBpc < v.interval.hi);
  assert.deepEqual(v.range, { lo: Math.min(v.interval.lo, v.alternatives[0].valBpc), hi: Math.max(v.interval.hi, v.alternatives[0].valBpc) });
});

test('explainPrediction says a withheld interval and a missing scatter in words, from the numbers alone', () => {
  const suite = fitRunTable(seedRuns(), { bootstrap: { count: 200 } });
  const c = chooseLaw(suite, { ...GLM_30K, steps: 15000 });
  const v: PredictedValue = { ...predictFromLaw(c, { ...GLM_30K, steps: 15000 }), valBpc: 1.4, interval: null, withheld: { lo: 1.5, hi: 1.6, level: 0.8 }, scatter: null, range: null };
  const t = explainPrediction(c, v, { ...GLM_30K, steps: 15000 });
  assert.ok(t.warnings.includes('the 80% interval [1.500, 1.600] excludes the prediction 1.400: no interval is given'), t.warnings.join('\n'));
  assert.ok(t.warnings.includes('the interval holds the law\'s uncertainty only: with no leave-one-out error or residual degree of freedom, the run-to-run scatter is not measured'));
  assert.match(t.assumptions.at(-1)!, /with no run-to-run scatter \(the law leaves no residual to measure it by\)/);
  assert.equal(t.method, 'A + B/N^α (A = 1) at the 15K-step bs 256 GLM-Reasoning budget');
});

test('every loss in a prediction\'s words is in its group\'s unit: runs in bits per token (gpt2) never say bits per byte or BPC', () => {
  const perToken = (r: RunRecord): RunRecord => ({ ...r, tokenUnit: 'token', tokenizer: 'gpt2', lossPer: 'token', lossUnit: 'bits per token (gpt2)' });
  const p = predictBpc(seedRuns().map(perToken), GLM_30K, { fit: { bootstrap: { count: 50 } } });
  const bytes = predictBpc(seedRuns(), GLM_30K, { fit: { bootstrap: { count: 50 } } });
  assert.equal(p.lossUnit, 'bits per token (gpt2)');
  assert.equal(p.valBpc, bytes.valBpc, 'the same numbers, only the unit differs');
  assert.match(p.method, /the first −0\.084 bits per token \(gpt2\) and each further one/);
  assert.ok(p.assumptions.some((a) => a.includes('(mean of 1 per-doubling Δ in bits per token (gpt2) from GLM-Reasoning step families)')), p.assumptions.join('\n'));
  const words = [p.method, ...p.assumptions, ...p.warnings].join('\n');
  assert.doesNotMatch(words, /bits per byte|bits\/byte|BPC/);
});

test('predictBpc is refitForQuery, chooseLaw, predictFromLaw and explainPrediction in turn', () => {
  const runs = seedRuns();
  const options = { fit: { bootstrap: { count: 100 } }, borrowGains: true };
  const p = predictBpc(runs, GLM_30K, options);
  const c = chooseLaw(refitForQuery(runs, GLM_30K, options), GLM_30K, options);
  const v = predictFromLaw(c, GLM_30K);
  const t = explainPrediction(c, v, GLM_30K);
  assert.equal(p.valBpc, v.valBpc);
  assert.deepEqual(p.interval, v.interval);
  assert.deepEqual([p.method, p.fits, p.assumptions, p.warnings], [t.method, t.fits, t.assumptions, t.warnings]);
});

test('a query below the budget\'s steps moves back: the method says "− 0.58 doubling(s)" for 15K → 10K and the value rises by the gain\'s stepMove', () => {
  const suite = fitRunTable(seedRuns(), { bootstrap: false });
  const q = { ...GLM_30K, steps: 10000 };
  const p = predictBpc(suite, q);
  assert.match(p.method, /GLM-Reasoning budget − 0\.58 doubling\(s\) of steps, the first −0\.084 bits per byte/);
  const s = p.stepAdjustment!;
  assert.ok(Math.abs(s.doublings - Math.log2(10000 / 15000)) < 1e-12);
  assert.ok(Math.abs(p.valBpc - (p.base.valBpc + stepMove(s.perDoubling, s.doublings, s.ratio))) < 1e-12);
  assert.ok(p.valBpc > p.base.valBpc, 'fewer steps: a higher loss');
});
