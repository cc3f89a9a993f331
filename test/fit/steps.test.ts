import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fitStepLaw, perDoublingDeltas, stepExponentForFloor, stepLawLoss } from '../../src/fit/steps.js';

const TINYSTORIES = [
  { steps: 10000, valBpc: 1.335 },
  { steps: 20000, valBpc: 1.238 },
  { steps: 40000, valBpc: 1.169 },
];

test('TinyStories 46.4M bs=64 10K/20K/40K is exactly determined: L∞ ≈ 1.00, β ≈ 0.49 (hand-solved)', () => {
  // Equal ratios of steps: the successive drops d1 = 0.097, d2 = 0.069 shrink by q = 2^(−β) = d2/d1,
  // and L3 − L∞ = q²·d1/(1 − q) (geometric tail).
  const d1 = 1.335 - 1.238;
  const d2 = 1.238 - 1.169;
  const q = d2 / d1;
  const beta = -Math.log2(q);
  const Linf = 1.169 - (q * q * d1) / (1 - q);
  const C = (1.335 - Linf) * Math.pow(10000, beta);
  const fit = fitStepLaw(TINYSTORIES);
  assert.equal(fit.determination, 'exact');
  assert.equal(fit.dof, 0);
  assert.ok(fit.warnings.some((w) => w.startsWith('exactly determined')));
  assert.ok(Math.abs(fit.params.beta - beta) < 1e-6, `beta ${fit.params.beta} vs ${beta}`);
  assert.ok(Math.abs(fit.params.Linf - Linf) < 1e-6, `Linf ${fit.params.Linf} vs ${Linf}`);
  assert.ok(Math.abs(fit.params.C / C - 1) < 1e-4);
  assert.ok(Math.abs(beta - 0.49) < 0.01 && Math.abs(Linf - 1.0) < 0.01);
  for (const r of fit.residuals) assert.ok(Math.abs(r) < 1e-9);
  assert.equal(fit.intervals.beta, null, 'an exact fit has no interval');
  assert.equal(fit.bootstrap, null);
});

test('per-doubling deltas are −0.097 and −0.069 for TinyStories and average replicates at one step count', () => {
  const d = perDoublingDeltas(TINYSTORIES);
  assert.deepEqual(
    d.map((x) => Number(x.perDoubling.toFixed(3))),
    [-0.097, -0.069],
  );
  const glm = perDoublingDeltas([
    { steps: 20000, valBpc: 1.877 },
    { steps: 40000, valBpc: 1.794 },
    { steps: 40000, valBpc: 1.792 },
  ]);
  assert.equal(glm.length, 1);
  assert.ok(Math.abs(glm[0].perDoubling - (1.793 - 1.877)) < 1e-12);
  const quad = perDoublingDeltas([
    { steps: 10000, valBpc: 2 },
    { steps: 40000, valBpc: 1.8 },
  ]);
  assert.ok(Math.abs(quad[0].perDoubling - -0.1) < 1e-12, 'two doublings halve the per-doubling delta');
});

test('two step counts leave the law under-determined; with a given L∞ they give β = ln((L1−L∞)/(L2−L∞))/ln 2', () => {
  const fit = fitStepLaw([
    { steps: 20000, valBpc: 1.877 },
    { steps: 40000, valBpc: 1.794 },
  ]);
  assert.equal(fit.determination, 'under');
  assert.ok(Number.isNaN(fit.params.beta));
  assert.ok(fit.warnings[0].startsWith('under-determined'));
  const beta = stepExponentForFloor({ steps: 20000, valBpc: 1.877 }, { steps: 40000, valBpc: 1.794 }, 1.3);
  assert.ok(Math.abs(beta - Math.log(0.577 / 0.494) / Math.LN2) < 1e-12);
  const fixed = fitStepLaw(
    [
      { steps: 20000, valBpc: 1.877 },
      { steps: 40000, valBpc: 1.794 },
    ],
    { fix: { Linf: 1.3 } },
  );
  assert.equal(fixed.determination, 'exact');
  assert.ok(Math.abs(fixed.params.beta - beta) < 1e-6);
  assert.deepEqual(fixed.fixed, { Linf: 1.3 });
});

test('a step law drawn with known parameters and small noise is recovered, with intervals and leave-one-out error', () => {
  const truth = { Linf: 1.2, C: 30, beta: 0.4 };
  const noise = [0.002, -0.001, 0.0015, -0.002, 0.001, -0.0005, 0.0008];
  const pts = noise.map((e, i) => ({ steps: 1000 * 2 ** i, valBpc: stepLawLoss(truth, 1000 * 2 ** i) + e }));
  const fit = fitStepLaw(pts, { bootstrap: { count: 300 } });
  assert.equal(fit.determination, 'over');
  assert.equal(fit.dof, 4);
  assert.ok(Math.abs(fit.params.beta - 0.4) < 0.03, `beta ${fit.params.beta}`);
  assert.ok(Math.abs(fit.params.Linf - 1.2) < 0.02, `Linf ${fit.params.Linf}`);
  assert.ok(fit.rmse < 0.002);
  const iv = fit.intervals.beta!;
  assert.ok(iv.lo <= fit.params.beta && fit.params.beta <= iv.hi && iv.level === 0.8);
  assert.equal(fit.loo!.errors.length, 7);
  assert.ok(fit.loo!.rmse < 0.02);
  assert.equal(fit.bootstrap!.requested, 300);
});
