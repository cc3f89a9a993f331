/**
 * Issue 9, items 3–5: a prediction stays inside what a law can give, an empty fit is never a
 * result, an interval holds its own estimate, and a law flagged "do not extrapolate" is shown but
 * never used to predict.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fitRunTable } from '../../src/fit/suite.js';
import { predictBpc, stepMove, stepRatio } from '../../src/fit/predict.js';
import { saturatingLoss } from '../../src/fit/saturating.js';
import { fitSaturatingPowerLaw } from '../../src/fit/saturating.js';
import { fitColumns } from '../../src/fit/columns.js';
import { estimateUncertainty } from '../../src/fit/resample.js';
import { BitscaleError } from '../../src/util/errors.js';
import { SEED_RUNS, seedRuns, type SeedRunSpec } from './seed-runs.js';

const GLM = { params: 369.6e6, batchSize: 256, dataset: 'GLM-Reasoning' };

test('stepMove: the first doubling moves by the gain, each further one by ratio× the one before (hand sums); stepRatio stops the sum at the floor', () => {
  assert.ok(Math.abs(stepMove(-0.1, 1, 0.5) - -0.1) < 1e-15);
  assert.ok(Math.abs(stepMove(-0.1, 2, 0.5) - -0.15) < 1e-15);
  assert.ok(Math.abs(stepMove(-0.1, 3, 0.5) - -0.175) < 1e-15);
  assert.ok(Math.abs(stepMove(-0.1, 3, 1) - -0.3) < 1e-15, 'ratio 1 is linear');
  assert.ok(Math.abs(stepMove(-0.1, -1, 0.5) - 0.2) < 1e-15, 'one doubling back undoes a gain of 0.1/0.5');
  // 1.5 above a floor of 1 with gain −0.1: ratio 1 − 0.1/0.5 = 0.8, and the sum of all gains is −0.5.
  assert.ok(Math.abs(stepRatio(1.5, 1, -0.1, null) - 0.8) < 1e-15);
  assert.ok(Math.abs(stepMove(-0.1, 1e4, 0.8) - -0.5) < 1e-12);
  assert.equal(stepRatio(1.5, 1, -0.1, 0.5), 0.5, 'a faster fitted ratio is kept');
  assert.ok(Number.isNaN(stepRatio(1.05, 1, -0.1, null)), 'a first doubling past the floor has no ratio');
});

test('predict at 1e9 and 1e30 steps saturates above the floor A = 1 and warns with the extrapolation factor (was 0.145 and −5.7)', () => {
  const suite = fitRunTable(seedRuns(), { bootstrap: { count: 200 } });
  const far = predictBpc(suite, { ...GLM, steps: 1e9 });
  assert.equal(far.floor, 1);
  assert.ok(far.valBpc > 1 && far.interval!.lo >= 1, `${far.valBpc} [${far.interval!.lo}, ${far.interval!.hi}]`);
  const steps = far.extrapolations.find((e) => e.quantity === 'steps')!;
  assert.equal(steps.measuredMax, 40000);
  assert.equal(steps.factor, 1e9 / 40000);
  assert.ok(far.warnings.includes('steps 1.00B is 25,000× beyond the largest measured 40K: an extrapolation the runs do not test'), far.warnings.join('\n'));
  const params = far.extrapolations.find((e) => e.quantity === 'params')!;
  assert.equal(params.measuredMax, 46_399_488);
  const farther = predictBpc(suite, { ...GLM, steps: 1e30 });
  assert.ok(Number.isFinite(farther.valBpc) && farther.valBpc >= 1 && farther.valBpc <= far.valBpc);
  // Inside the measured range there is no warning of either kind.
  const inside = predictBpc(suite, { params: 20e6, steps: 15000, batchSize: 256, dataset: 'GLM-Reasoning' });
  assert.deepEqual(inside.extrapolations, []);
});

test('predict at 60K steps on GLM (no step law of its own): 15K → 30K moves by the gain g, 30K → 60K by g·(1 + g/(L₀ − A)), so all gains sum to the floor (hand sum)', () => {
  const suite = fitRunTable(seedRuns(), { bootstrap: false });
  const law = suite.paramBudgets.find((b) => b.dataset === 'GLM-Reasoning')!.fixedA.params;
  const g = 1.793 - 1.877;
  const l0 = saturatingLoss(law, GLM.params);
  const p = predictBpc(suite, { ...GLM, steps: 60000 });
  const r = 1 + g / (l0 - 1);
  assert.ok(Math.abs(p.valBpc - (l0 + g + g * r)) < 1e-12, `${p.valBpc} vs ${l0 + g + g * r}`);
  assert.ok(Math.abs(p.stepAdjustment!.ratio - r) < 1e-12);
  assert.match(p.stepAdjustment!.ratioSource, /GLM-Reasoning has no step law with three step counts/);
  // Infinitely many doublings land on the floor, never below.
  assert.ok(Math.abs(l0 + stepMove(g, 1e4, r) - 1) < 1e-9);
});

test('predict on TinyStories at 80K steps: β from its own step law (0.491): 20K → 40K by the mean gain g, 40K → 80K by g·2^−β (hand sum)', () => {
  // The seed's TinyStories sizes differ in recipe (v70: bs 256, LR 3.2e-3), so no size law joins them:
  // a 5.5M run at the 46.4M runs' recipe (bs 64, LR 3e-4, 20K steps), at v70's value, gives the budget.
  const suite = fitRunTable(seedRuns([...SEED_RUNS, { id: 'ts_5M_bs64', dataset: 'TinyStories', params: 5_500_000, batchSize: 64, lr: 3e-4, steps: 20000, valBpc: 1.481 }]), { bootstrap: false });
  const beta = suite.stepLaws.find((s) => s.dataset === 'TinyStories' && s.fit)!.fit!.params.beta;
  const budget = suite.paramBudgets.find((b) => b.dataset === 'TinyStories')!;
  assert.deepEqual(budget.runIds, ['ts_5M_bs64', 'v72']);
  const g = (-0.097 + -0.069) / 2;
  const l0 = saturatingLoss(budget.fixedA.params, 10e6);
  const p = predictBpc(suite, { params: 10e6, steps: 80000, batchSize: 64, dataset: 'TinyStories' });
  assert.equal(p.stepAdjustment!.fromSteps, 20000);
  assert.ok(Math.abs(p.valBpc - (l0 + g + g * Math.pow(2, -beta))) < 1e-12, `${p.valBpc}`);
  assert.match(p.stepAdjustment!.ratioSource, /β = 0\.491 from TinyStories's fitted step law .*exactly determined/);
});

test('a value above log2(vocab) is an error, not a prediction: --params 100 gave 13.7 bits/byte', () => {
  const suite = fitRunTable(seedRuns(), { bootstrap: false });
  assert.throws(() => predictBpc(suite, { ...GLM, params: 100, steps: 15000 }), (e: Error) => e instanceof BitscaleError && /above log2\(128\) = 7\.000/.test(e.message) && /55,000× below the smallest measured 5\.5M/.test(e.message));
});

test('a law flagged "do not extrapolate" is shown in the suite but never used by predict (the Brown joint law, α on its bound)', () => {
  // The former CPU study (runs/brown-cpu, since replaced by runs/brown-ladder): 3 sizes × 250/500/1000 steps at bs 16.
  const sizes = [61_440, 212_992, 657_408];
  const bpc = [
    [3.619, 3.559, 3.542],
    [3.448, 3.409, 3.382],
    [3.487, 3.406, 3.36],
  ];
  const specs: SeedRunSpec[] = sizes.flatMap((params, i) => [250, 500, 1000].map((steps, j) => ({ id: `b${i}-${steps}`, dataset: 'brown', params, batchSize: 16, lr: 3e-3, steps, valBpc: bpc[i][j] })));
  const suite = fitRunTable(seedRuns(specs), { bootstrap: false });
  const joint = suite.joint.find((j) => j.dataset === 'brown')!;
  assert.ok(joint.fit && joint.fit.params.alpha > 3);
  assert.match(joint.fit.noExtrapolation ?? '', /^alpha = .* (far beyond any measured scaling exponent|sits on its search bound)/);
  const p = predictBpc(suite, { params: 1e6, steps: 1000, batchSize: 16, dataset: 'brown' });
  assert.equal(p.alternatives.find((a) => a.law === 'joint'), undefined);
  assert.equal(p.notUsed.find((n) => n.law === 'joint')?.reason, joint.fit.noExtrapolation);
  assert.ok(!p.fits.some((f) => f.startsWith('joint')));
  // Nor does it give compute-optimal splits at 10× and 100× the compute.
  assert.deepEqual(joint.computeOptimal, []);
  assert.match(joint.note ?? '', /^no compute-optimal split: alpha = /);
});

test('a saturating law that rises with N is flagged "do not extrapolate" (a first-class field, not a warning to match)', () => {
  // Rising with N: no decaying power law fits.
  const fit = fitSaturatingPowerLaw([{ params: 1e6, valBpc: 2 }, { params: 2e6, valBpc: 2.1 }, { params: 4e6, valBpc: 2.3 }, { params: 8e6, valBpc: 2.2 }], { bootstrap: false });
  assert.equal(fit.failure, null);
  assert.match(fit.noExtrapolation ?? '', /B < 0: the fitted curve rises with x/);
});

test('an empty fit is never a result: fitColumns throws naming the cause (one row, duplicated x, non-positive x)', () => {
  const rows = (pairs: [string, string][]) => pairs.map(([x, y]) => ({ x, y }));
  assert.throws(() => fitColumns(rows([['1', '3']]), { form: 'saturating', x: 'x', y: 'y' }), /1 row\(s\), fewer than the 3 free parameter/);
  assert.throws(() => fitColumns(rows([['1', '3'], ['1', '2.9'], ['2', '2.5']]), { form: 'saturating', x: 'x', y: 'y' }), /nothing fitted: under-determined: 2 distinct point/);
  assert.throws(() => fitColumns(rows([['0', '3'], ['1', '2.9'], ['2', '2.5'], ['4', '2.4']]), { form: 'steps', x: 'x', y: 'y', file: 't.csv' }), /t\.csv:2: field 'x': 0 is not positive/);
  assert.throws(() => fitColumns([], { form: 'steps', x: 'x', y: 'y' }), /no data rows/);
  assert.throws(() => fitColumns(rows([['1', '3'], ['2', '2.5'], ['4', '2.2']]), { form: 'steps', x: 'x', y: 'y', dropHighestY: 5 }), /dropping 5 of 3 rows leaves 0/);
  // Below the CLI: a fitter that cannot solve says so in `failure`.
  const under = fitSaturatingPowerLaw([{ params: 1e6, valBpc: 2 }], { bootstrap: false });
  assert.match(under.failure ?? '', /under-determined/);
});

test('a bootstrap interval that excludes its own estimate is withheld, with the reason', () => {
  // Refits that all land at 2 while the estimate is 1: the draws describe other data.
  const u = estimateUncertainty(['a'] as const, {}, 5, () => [2], () => 0, [0, 0, 0, 0, 0], { identified: true, estimate: [1], bootstrap: { count: 50 }, loo: false });
  assert.equal(u.intervals.a, null);
  assert.equal(u.samples, undefined);
  assert.match(u.bootstrap!.withheld ?? '', /excludes its own estimate \(a = 1\.000 outside \[2\.000, 2\.000\]\)/);
  const ok = estimateUncertainty(['a'] as const, {}, 5, () => [1], () => 0, [0, 0, 0, 0, 0], { identified: true, estimate: [1], bootstrap: { count: 50 }, loo: false });
  assert.deepEqual(ok.intervals.a, { level: 0.8, lo: 1, hi: 1 });
  assert.equal(ok.bootstrap!.withheld, null);
});

test('y = 1e30 at one point: every interval holds its estimate (resamples on the exponent bound are no longer dropped) and the law is flagged', () => {
  const points = [1, 2, 4, 8, 16].map((params, i) => ({ params, valBpc: [1e30, 2.5, 2.2, 2.05, 2.0][i] }));
  // With A fitted its floor runs below zero (a failed fit, tested below); held at 1, the law stands but is flagged.
  const fit = fitSaturatingPowerLaw(points, { nUnit: 1, fix: { A: 1 }, bootstrap: { count: 300 } });
  for (const k of fit.paramOrder) {
    const iv = fit.intervals[k];
    if (iv) assert.ok(iv.lo <= fit.params[k] && fit.params[k] <= iv.hi, `${k} = ${fit.params[k]} outside [${iv.lo}, ${iv.hi}]`);
  }
  assert.ok(fit.noExtrapolation !== null);
});

test('fit --csv refuses a size law over rows that mix step budgets, in one line naming the column and its values; --where keeps one budget', () => {
  // One size at two budgets: 4 rows, 3 sizes (the case, which gave "dof 1 (exact)" and A = −293).
  const rows = [
    { params: '1e6', steps: '1000', loss: '3.0' },
    { params: '2e6', steps: '1000', loss: '2.8' },
    { params: '4e6', steps: '1000', loss: '2.7' },
    { params: '4e6', steps: '2000', loss: '2.5' },
  ];
  assert.throws(() => fitColumns(rows, { form: 'saturating', x: 'params', y: 'loss', file: 'm.csv', bootstrap: false }), (e: Error) => e.message === "m.csv: the rows mix 2 budgets in column 'steps' (1000, 2000): a size law A + B/N^alpha holds at one budget; keep one with --where 'steps=1000', or fit --form chinchilla, which models N and D together");
  const kept = fitColumns(rows, { form: 'saturating', x: 'params', y: 'loss', where: { steps: '1000' }, bootstrap: false });
  assert.equal(kept.input.used, 3);
  // A step law over rows of several model sizes is refused the same way.
  const steps = [
    { steps: '1000', N: '1e6', loss: '3.0' },
    { steps: '2000', N: '1e6', loss: '2.8' },
    { steps: '4000', N: '2e6', loss: '2.5' },
  ];
  assert.throws(() => fitColumns(steps, { form: 'steps', x: 'steps', y: 'loss', bootstrap: false }), /the rows mix 2 model sizes in column 'N' \(1e6, 2e6\): a step law/);
  assert.throws(() => fitColumns(rows, { form: 'saturating', x: 'params', y: 'loss', where: { steps: '3000' }, bootstrap: false }), /no row has steps = 3000 \(values: 1000, 2000\)/);
});

test('a fitted loss floor below zero is a failed fit with its reason, not a law (the Brown 560-step budget gave A = −119.57)', () => {
  // Points that fall straight in log N, with no bend towards a floor: the least-squares A runs negative.
  const points = [19_456, 37_632, 90_880, 212_992, 454_656].map((params, i) => ({ params, valBpc: [3.706, 3.625, 3.536, 3.4, 3.324][i] }));
  const fit = fitSaturatingPowerLaw(points, { bootstrap: false });
  assert.ok(fit.params.A < 0, `A ${fit.params.A}`);
  assert.match(fit.failure ?? '', /^the fitted floor A = -[0-9.]+ is below zero, and no loss is negative: the points do not bend towards a floor/);
  assert.throws(() => fitColumns(points.map((p) => ({ n: String(p.params), y: String(p.valBpc) })), { form: 'saturating', x: 'n', y: 'y', bootstrap: false }), /nothing fitted: the fitted floor A = -/);
});

test('four rows at three distinct x for three parameters: the warning counts the repeat as a replicate and gives the residual, never "passes through every point"', () => {
  const fit = fitSaturatingPowerLaw([{ params: 1e6, valBpc: 3.0 }, { params: 2e6, valBpc: 2.8 }, { params: 4e6, valBpc: 2.7 }, { params: 4e6, valBpc: 2.68 }], { bootstrap: false });
  assert.equal(fit.determination, 'exact');
  assert.match(fit.warnings[0], /^as many distinct points \(3\) as free parameters \(4 rows: repeats of the same x count as replicates, not as new points\), yet the law does not pass through them \(RMSE /);
});
