import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dataConstrainedLoss, type DataConstrainedParams } from '../../src/fit/data-constrained.js';
import { backtestRepetition, type RepetitionRun } from '../../src/fit/repetition-backtest.js';
import { seededRandom } from '../../src/fit/stats.js';

/** A small byte-level family: L = 1.8 + 30/N^0.35 + 60/D'^0.3, repeats worth 1/e of new after R*_D = 6 passes. */
const TRUTH: DataConstrainedParams = { E: 1.8, A: 30, B: 60, alpha: 0.35, beta: 0.3, R_D_star: 6, R_N_star: Number.POSITIVE_INFINITY };

/** Runs on N × U × passes, each loss times (1 + noise·u), u uniform on [−1, 1). */
function ladder(noise: number, seed: number, passes: number[]): RepetitionRun[] {
  const random = seededRandom(seed);
  const runs: RepetitionRun[] = [];
  for (const params of [2e4, 6e4, 2e5])
    for (const uniqueTokens of [1e5, 4e5, 1.6e6])
      for (const p of passes) {
        const tokens = p * uniqueTokens;
        runs.push({ id: `N${params}-U${uniqueTokens}-p${p}`, params, tokens, uniqueTokens, loss: dataConstrainedLoss(TRUTH, params, tokens, uniqueTokens) * (1 + noise * (random() * 2 - 1)) });
      }
  return runs;
}

test('fitted on runs of ≤ 4 passes, the law predicts 16 and 32 passes within 1% and its 80% intervals hold them; the unique-data law errs far more', () => {
  const runs = ladder(0.003, 5, [0.5, 1, 2, 4, 16, 32]);
  const b = backtestRepetition(runs, { bootstrap: { count: 200, seed: 3 } });
  assert.equal(b.refusal, null);
  assert.equal(b.fitted.length, 36);
  assert.equal(b.held.length, 18);
  assert.ok(b.errors!.meanAbs < 0.01, `mean |error| ${b.errors!.meanAbs}`);
  assert.ok(b.coverage!.inside / b.coverage!.total >= 0.8, `coverage ${b.coverage!.inside}/${b.coverage!.total}`);
  // Counting every repeat as a new token predicts far too low a loss at 32 passes.
  assert.ok(b.uniqueDataErrors!.meanAbs > 3 * b.errors!.meanAbs, `unique-data ${b.uniqueDataErrors!.meanAbs} vs ${b.errors!.meanAbs}`);
  assert.ok(b.held.every((h) => h.uniqueDataError < 0), 'the unique-data law is optimistic on every held run');
  assert.ok(Math.abs(b.law!.params.R_D_star / TRUTH.R_D_star - 1) < 0.5, `R_D_star ${b.law!.params.R_D_star}`);
});

test('held runs are the ones with ≥ 16 passes; fitted ones ≤ 4; a run at 8 passes is in neither', () => {
  const runs = ladder(0, 1, [1, 2, 4, 8, 16]);
  const b = backtestRepetition(runs, { bootstrap: { count: 50 } });
  assert.ok(b.held.every((h) => h.passes >= 16));
  assert.equal(b.fitted.length + b.held.length, runs.length - 9);
  // Noise-free runs from the law itself: predicted to machine-level accuracy.
  assert.ok(b.errors!.maxAbs < 1e-3, `max |error| ${b.errors!.maxAbs}`);
});

test('without heavily repeated runs, or with fewer than two lightly repeated ones, the backtest says why instead of predicting', () => {
  assert.match(backtestRepetition(ladder(0, 1, [1, 2, 4])).refusal!, /no run has 16 or more passes/);
  const single = ladder(0, 1, [0.5, 1, 32]);
  assert.match(backtestRepetition(single).refusal!, /no run with 1–4 passes repeats its data/);
  assert.throws(() => backtestRepetition(single, { fitMaxPasses: 16, heldMinPasses: 8 }), /must stay below/);
});
