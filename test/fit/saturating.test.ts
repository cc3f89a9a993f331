import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fitSaturatingPowerLaw, saturatingLoss } from '../../src/fit/saturating.js';
import { perDecadeSlopes } from '../../src/fit/slopes.js';
import { seededRandom, standardNormal } from '../../src/fit/stats.js';

const GLM_15K = [
  { params: 5.52e6, valBpc: 2.213 },
  { params: 13.7e6, valBpc: 2.003 },
  { params: 46.45e6, valBpc: 1.766 },
];

test('GLM bs=256/15K with A fixed at 1.0 gives α ≈ 0.218, B ≈ 1.76 (N in millions), every point within 0.02 BPC', () => {
  // By hand: a straight line in log(L − 1) through the end points gives
  // α = ln(1.213/0.766)/ln(46.45/5.52) = 0.2158 and B = 1.213·5.52^α = 1.754.
  const alphaHand = Math.log(1.213 / 0.766) / Math.log(46.45 / 5.52);
  const bHand = 1.213 * Math.pow(5.52, alphaHand);
  const fit = fitSaturatingPowerLaw(GLM_15K, { fix: { A: 1.0 } });
  assert.equal(fit.params.A, 1);
  assert.deepEqual(fit.fixed, { A: 1 });
  assert.equal(fit.determination, 'over');
  assert.equal(fit.dof, 1);
  assert.ok(Math.abs(fit.params.alpha - alphaHand) < 0.005, `alpha ${fit.params.alpha} vs ${alphaHand}`);
  assert.ok(Math.abs(fit.params.B - bHand) < 0.01, `B ${fit.params.B} vs ${bHand}`);
  assert.ok(Math.abs(fit.params.alpha - 0.218) < 0.005 && Math.abs(fit.params.B - 1.76) < 0.01, 'the seed report §3.1 values');
  for (const r of fit.residuals) assert.ok(Math.abs(r) < 0.02);
  assert.equal(fit.diagnostics.nUnit, 1e6);
  assert.ok(fit.formula.includes('millions') || fit.formula.includes('1e6'));
  assert.equal(fit.intervals.A, null, 'a fixed parameter has no interval');
  assert.ok(fit.intervals.alpha && fit.intervals.alpha.lo < fit.params.alpha && fit.intervals.alpha.hi > fit.params.alpha);
});

test('B is quoted in the unit asked for: B(count) = B(millions)·(1e6)^α for the same curve', () => {
  const m = fitSaturatingPowerLaw(GLM_15K, { fix: { A: 1 }, bootstrap: false });
  const c = fitSaturatingPowerLaw(GLM_15K, { fix: { A: 1 }, nUnit: 1, bootstrap: false });
  assert.ok(Math.abs(c.params.alpha - m.params.alpha) < 1e-6);
  assert.ok(Math.abs(c.params.B / (m.params.B * Math.pow(1e6, m.params.alpha)) - 1) < 1e-4);
  assert.ok(Math.abs(saturatingLoss(m.params, 300e6) - saturatingLoss(c.params, 300e6, 1)) < 1e-6);
});

test('with A free, three sizes determine the law exactly and it passes through every point', () => {
  const fit = fitSaturatingPowerLaw(GLM_15K);
  assert.equal(fit.determination, 'exact');
  assert.ok(fit.warnings.some((w) => w.startsWith('exactly determined')));
  for (const r of fit.residuals) assert.ok(Math.abs(r) < 1e-9);
  assert.ok(fit.params.A > 0 && fit.params.A < 1.766);
});

test('per-decade slopes at GLM 15K are −0.53 and −0.45 (hand: −0.210/log10(13.70/5.52), −0.237/log10(46.45/13.70))', () => {
  const s = perDecadeSlopes(GLM_15K);
  assert.ok(Math.abs(s[0].slope - -0.21 / Math.log10(13.7 / 5.52)) < 1e-12);
  assert.ok(Math.abs(s[1].slope - -0.237 / Math.log10(46.45 / 13.7)) < 1e-12);
  assert.equal(s[0].slope.toFixed(2), '-0.53');
  assert.equal(s[1].slope.toFixed(2), '-0.45');
});

test('synthetic A + B/N^α with noise: parameters recovered and 80% bootstrap intervals cover the truth in roughly 80% of draws', () => {
  const truth = { A: 1.1, B: 2.0, alpha: 0.3 };
  const sizes = Array.from({ length: 10 }, (_, i) => 2e6 * Math.pow(100, i / 9));
  const random = seededRandom(42);
  const gauss = () => standardNormal(random);
  const reps = 120;
  let coverAlpha = 0;
  let coverB = 0;
  let sumAlpha = 0;
  for (let r = 0; r < reps; r++) {
    const pts = sizes.map((n) => ({ params: n, valBpc: saturatingLoss(truth, n) + 0.01 * gauss() }));
    const fit = fitSaturatingPowerLaw(pts, { fix: { A: 1.1 }, bootstrap: { count: 200, seed: r + 1 }, loo: false });
    sumAlpha += fit.params.alpha;
    const a = fit.intervals.alpha!;
    const b = fit.intervals.B!;
    if (a.lo <= truth.alpha && truth.alpha <= a.hi) coverAlpha++;
    if (b.lo <= truth.B && truth.B <= b.hi) coverB++;
  }
  assert.ok(Math.abs(sumAlpha / reps - 0.3) < 0.01, `mean alpha ${sumAlpha / reps}`);
  // Percentile bootstrap of 10 points under-covers slightly; "roughly 80%" = 65–92%.
  assert.ok(coverAlpha / reps > 0.65 && coverAlpha / reps < 0.92, `alpha coverage ${coverAlpha / reps}`);
  assert.ok(coverB / reps > 0.65 && coverB / reps < 0.92, `B coverage ${coverB / reps}`);
});
