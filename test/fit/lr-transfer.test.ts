import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lrAdjustment, lrCurvature, type LrEvidence } from '../../src/fit/lr-transfer.js';
import { predictBpc } from '../../src/fit/predict.js';
import { loadRunTable, scalingRuns } from '../../src/runs/table.js';

const close = (a: number, b: number, tol: number, what: string) => assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b}`);

test('lrCurvature: a loss 1 + 0.05·(ln lr − ln 1e-3)² sampled at 3e-4, 1e-3, 3e-3, 1e-2 gives c = 0.05; a best rate at the edge gives none', () => {
  const loss = (lr: number) => 1 + 0.05 * Math.log(lr / 1e-3) ** 2;
  close(lrCurvature([3e-4, 1e-3, 3e-3, 1e-2].map((lr) => ({ lr, loss: loss(lr) })))!, 0.05, 1e-12, 'c');
  assert.equal(lrCurvature([1e-3, 3e-3, 1e-2].map((lr) => ({ lr, loss: loss(lr) }))), null);
});

test('lrAdjustment: the budget\'s rate moved by (B/B_b)^γ, and c·(ln lr − ln lr_exp)² for a rate off it, with its range over c and γ', () => {
  const e: LrEvidence = { gamma: 0.5, gammaRange: { lo: 0, hi: 1 }, curvatures: [0.02, 0.05, 0.1], source: 'own grid', collection: 'g', lossUnit: 'bits per byte' };
  // bs 64 → 256 at γ = 0.5: 1e-3 · 2 = 2e-3; γ from 0 to 1: 1e-3 to 4e-3.
  const a = lrAdjustment(e, 1e-3, 64, 256, null);
  close(a.expectedLr, 2e-3, 1e-15, 'lr_exp');
  assert.deepEqual([a.expectedRange.lo, a.expectedRange.hi].map((x) => Number(x.toPrecision(12))), [1e-3, 4e-3]);
  assert.equal(a.penalty, 0);
  // Asked at 2e-3·e: (ln e)² = 1, median c 0.05; range over c ∈ [0.02, 0.1] and lr_exp ∈ {1e-3, 2e-3, 4e-3}.
  const b = lrAdjustment(e, 1e-3, 64, 256, 2e-3 * Math.E);
  close(b.penalty, 0.05, 1e-12, 'penalty');
  close(b.penaltyRange.lo, 0.02 * Math.log((2 * Math.E) / 4) ** 2, 1e-12, 'least');
  close(b.penaltyRange.hi, 0.1 * Math.log(2 * Math.E) ** 2, 1e-12, 'most');
});

test('predict --lr: the grid\'s cost is added to the value and to the interval\'s ends; without runs to read a grid from, a warning says the prediction is for the budget\'s rate', () => {
  const runs = loadRunTable(new URL('../../runs/', import.meta.url).pathname, { onWarning: () => {} });
  const glm = scalingRuns(runs).filter((r) => r.dataset === 'GLM-Reasoning');
  const q = { params: 46399488, steps: 15000, batchSize: 256, dataset: 'GLM-Reasoning', seqLen: 256 };
  const fit = { bootstrap: { count: 200, seed: 1, level: 0.8 } };
  const at = predictBpc(glm, q, { fit, batch: { runs } });
  const off = predictBpc(glm, { ...q, lr: 1.2e-3 }, { fit, batch: { runs } });
  assert.equal(at.lr!.penalty, 0);
  assert.equal(off.lr!.evidence.source, 'borrowed');
  assert.ok(off.lr!.penalty > 0);
  close(off.valBpc, at.valBpc + off.lr!.penalty, 1e-12, 'value');
  close(off.interval!.lo, at.interval!.lo + off.lr!.penaltyRange.lo, 1e-12, 'lo');
  close(off.interval!.hi, at.interval!.hi + off.lr!.penaltyRange.hi, 1e-12, 'hi');
  assert.ok(off.assumptions[0].startsWith('LR: 1.2e-3 against LR 6e-4, the budget\'s own'), off.assumptions[0]);
  const plain = predictBpc(glm, { ...q, lr: 1.2e-3 }, { fit });
  assert.equal(plain.lr, null);
  assert.ok(plain.warnings.some((w) => w.startsWith('LR 1.2e-3 is not the budget\'s 6e-4')), plain.warnings.join('\n'));
});
