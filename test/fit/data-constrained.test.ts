import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chinchillaLoss, computeOptimalAllocation, computeOptimalParamsForTokens } from '../../src/fit/chinchilla.js';
import { dataConstrainedLoss, effectiveData, effectiveParams, fitDataConstrainedLaw, type DataConstrainedParams, type RepetitionPoint } from '../../src/fit/data-constrained.js';
import { seededRandom } from '../../src/fit/stats.js';
import { SYNTHETIC_TRUTH, syntheticRows } from './fixtures/data-constrained-synthetic.js';

const close = (got: number, want: number, rel: number, what: string) => assert.ok(Math.abs(got / want - 1) <= rel, `${what}: ${got}, want ${want} ±${100 * rel}%`);

/** Runs drawn from `truth` on a grid of N × U × passes, each loss times (1 + noise·u), u uniform on [−1, 1). */
function drawRuns(truth: DataConstrainedParams, sizes: number[], uniques: number[], passes: number[], noise: number, seed: number): RepetitionPoint[] {
  const random = seededRandom(seed);
  const out: RepetitionPoint[] = [];
  for (const params of sizes)
    for (const uniqueTokens of uniques)
      for (const p of passes) {
        const tokens = p * uniqueTokens;
        out.push({ params, tokens, uniqueTokens, loss: dataConstrainedLoss(truth, params, tokens, uniqueTokens) * (1 + noise * (random() * 2 - 1)) });
      }
  return out;
}

test("D' by hand: 32 passes over 1B unique tokens with R*_D = 15 are worth 1e9·(1 + 15·(1 − e^(−31/15))) = 14.1009B new tokens", () => {
  const d = effectiveData(32e9, 1e9, 15);
  assert.equal(d.uniqueSeen, 1e9);
  assert.equal(d.repeats, 31);
  assert.equal(d.passes, 32);
  close(d.effective, 14.100893458e9, 1e-9, "D'");
});

test("less than one pass (D < U) repeats nothing: U_D = D, R_D = 0, D' = D, passes D/U", () => {
  const d = effectiveData(2e8, 1e9, 15);
  assert.deepEqual(d, { uniqueSeen: 2e8, repeats: 0, passes: 0.2, effective: 2e8 });
  assert.equal(dataConstrainedLoss({ ...SYNTHETIC_TRUTH, R_D_star: 15 }, 1e7, 2e8, 1e9), chinchillaLoss(SYNTHETIC_TRUTH, 1e7, 2e8));
});

test("a prediction at many passes saturates: D' → U·(1 + R*_D), and the loss → E + A/N^α + B/(U·(1 + R*_D))^β", () => {
  const U = 2e9;
  close(effectiveData(1e8 * U, U, 15).effective, U * 16, 1e-9, "D' at 1e8 passes");
  const limit = chinchillaLoss(SYNTHETIC_TRUTH, 1e7, U * 16);
  close(dataConstrainedLoss(SYNTHETIC_TRUTH, 1e7, 1e8 * U, U), limit, 1e-12, 'loss at 1e8 passes');
  // Each further doubling of passes helps less: 64 → 128 passes gains less than 4 → 8.
  const gain = (a: number, b: number) => dataConstrainedLoss(SYNTHETIC_TRUTH, 1e7, a * U, U) - dataConstrainedLoss(SYNTHETIC_TRUTH, 1e7, b * U, U);
  assert.ok(gain(64, 128) < gain(4, 8) / 5, `${gain(64, 128)} vs ${gain(4, 8)}`);
});

test('N_opt(U) is the compute-optimal N of the budget whose optimal D is U (computeOptimalAllocation, read backwards)', () => {
  const law = { E: 1.8, A: 400, B: 2000, alpha: 0.3, beta: 0.36 };
  const a = computeOptimalAllocation(law, 1e21);
  close(computeOptimalParamsForTokens(law, a.tokens), a.params, 1e-9, 'N_opt');
  // A model twice that size on the same unique data has R_N = 1 excess; with R*_N = ∞ it keeps all its parameters.
  const n = effectiveParams({ ...law, R_N_star: 5 }, 2 * a.params, a.tokens);
  close(n.useful, a.params, 1e-9, 'U_N');
  close(n.excess, 1, 1e-9, 'R_N');
  close(n.effective, a.params * (1 + 5 * -Math.expm1(-1 / 5)), 1e-12, "N'");
  close(effectiveParams({ ...law, R_N_star: Number.POSITIVE_INFINITY }, 2 * a.params, a.tokens).effective, 2 * a.params, 1e-12, "N' with R*_N = ∞");
});

test('R*_D = 15 is recovered within 10% from noisy synthetic runs (3 sizes × 3 corpus sizes × 1–32 passes), under noise of ±0.2% (the docs example) and ±0.5% (two seeds)', () => {
  const fixture = fitDataConstrainedLaw(
    syntheticRows().map((r) => ({ params: r.params, tokens: r.tokens, uniqueTokens: r.unique_tokens, loss: r.loss })),
    { bootstrap: false, loo: false },
  );
  close(fixture.params.R_D_star, 15, 0.1, 'R_D_star (±0.2%)');
  close(fixture.params.alpha, 0.3, 0.05, 'alpha');
  close(fixture.params.beta, 0.36, 0.05, 'beta');
  for (const seed of [11, 12]) {
    const runs = drawRuns(SYNTHETIC_TRUTH, [1e7, 3e7, 1e8], [2e9, 5e9, 1.5e10], [1, 2, 4, 8, 16, 32], 0.005, seed);
    const fit = fitDataConstrainedLaw(runs, { bootstrap: false, loo: false });
    assert.equal(fit.failure, null);
    assert.equal(fit.determination, 'over');
    close(fit.params.R_D_star, 15, 0.1, `R_D_star (±0.5%, seed ${seed})`);
    // The optimum is at least as good as the truth under the objective.
    const truthObjective = runs.reduce((s, q) => {
      const r = Math.abs(Math.log(dataConstrainedLoss(SYNTHETIC_TRUTH, q.params, q.tokens, q.uniqueTokens) / q.loss));
      return s + (r <= 1e-3 ? 0.5 * r * r : 1e-3 * (r - 0.5e-3));
    }, 0);
    assert.ok(fit.objective <= truthObjective + 1e-12, `${fit.objective} > ${truthObjective}`);
  }
});

test('the bootstrap gives an 80% interval for R*_D that holds its estimate, from the pairs bootstrap over runs', () => {
  const runs = drawRuns(SYNTHETIC_TRUTH, [1e7, 3e7, 1e8], [2e9, 1.5e10], [1, 2, 4, 8, 16, 32], 0.003, 5);
  const fit = fitDataConstrainedLaw(runs, { bootstrap: { count: 40 }, loo: false });
  assert.equal(fit.bootstrap!.used, 40);
  const iv = fit.intervals.R_D_star!;
  assert.ok(iv.lo <= fit.params.R_D_star && fit.params.R_D_star <= iv.hi, JSON.stringify(iv));
  assert.ok(iv.lo > 5 && iv.hi < 45, JSON.stringify(iv));
  assert.equal(fit.intervals.R_N_star, null);
  assert.equal(fit.samples![0].length, 6, 'draws hold E, A, B, alpha, beta, R_D_star');
});

test('runs that are all single-pass leave R*_D unidentified: the fit says so, gives it no value, and still fits the base law', () => {
  const runs = drawRuns(SYNTHETIC_TRUTH, [1e7, 3e7, 1e8], [2e9, 5e9, 1.5e10], [0.25, 0.5, 1], 0.002, 8);
  const fit = fitDataConstrainedLaw(runs, { bootstrap: { count: 20 }, loo: false });
  assert.equal(fit.failure, null);
  assert.ok(Number.isNaN(fit.params.R_D_star));
  assert.equal(fit.intervals.R_D_star, null);
  assert.ok(!fit.paramOrder.includes('R_D_star'));
  assert.match(fit.notIdentified.R_D_star!, /^every run is single-pass \(D ≤ U: no token repeated\)/);
  assert.ok(fit.warnings.some((w) => w.startsWith('R_D_star not identified: every run is single-pass')));
  close(fit.params.beta, 0.36, 0.1, 'beta');
});

test('one repeated run does not identify R*_D (it would pass through that run exactly), and the fit says so', () => {
  const runs = drawRuns(SYNTHETIC_TRUTH, [1e7, 3e7, 1e8], [2e9, 1.5e10], [0.5, 1], 0.002, 9);
  runs.push({ params: 1e7, tokens: 8 * 2e9, uniqueTokens: 2e9, loss: dataConstrainedLoss(SYNTHETIC_TRUTH, 1e7, 16e9, 2e9) });
  const fit = fitDataConstrainedLaw(runs, { bootstrap: false, loo: false });
  assert.ok(Number.isNaN(fit.params.R_D_star));
  assert.match(fit.notIdentified.R_D_star!, /^only one run repeats its data/);
});

test('holding a published base law (E, A, B, alpha, beta fixed) fits R*_D alone: one free parameter, recovered within 10%', () => {
  const runs = drawRuns(SYNTHETIC_TRUTH, [1e7, 1e8], [2e9, 1.5e10], [1, 4, 16, 32], 0.003, 21);
  const { E, A, B, alpha, beta } = SYNTHETIC_TRUTH;
  const fit = fitDataConstrainedLaw(runs, { fix: { E, A, B, alpha, beta }, bootstrap: { count: 30 }, loo: false });
  assert.equal(fit.dof, runs.length - 1);
  assert.deepEqual({ E: fit.params.E, A: fit.params.A, B: fit.params.B, alpha: fit.params.alpha, beta: fit.params.beta }, { E, A, B, alpha, beta });
  close(fit.params.R_D_star, 15, 0.1, 'R_D_star');
  assert.equal(fit.intervals.alpha, null);
  assert.ok(fit.intervals.R_D_star!.lo < fit.params.R_D_star && fit.params.R_D_star < fit.intervals.R_D_star!.hi);
});

test('R*_N = 5 is fitted and recovered within 10% when runs have more parameters than N_opt(U) (and R*_D = 15 with it)', () => {
  const truth = { E: 1.8, A: 400, B: 2000, alpha: 0.34, beta: 0.34, R_D_star: 15, R_N_star: 5 };
  const runs = drawRuns(truth, [1e6, 3e6, 1e7, 3e7, 1e8, 3e8], [2e8, 1e9, 5e9], [0.5, 1, 4, 16, 32], 0.002, 3);
  assert.ok(runs.some((q) => q.params > 10 * computeOptimalParamsForTokens(truth, Math.min(q.tokens, q.uniqueTokens))));
  const fit = fitDataConstrainedLaw(runs, { bootstrap: false, loo: false });
  assert.equal(fit.notIdentified.R_N_star, null);
  close(fit.params.R_N_star, 5, 0.1, 'R_N_star');
  close(fit.params.R_D_star, 15, 0.1, 'R_D_star');
});

test('without runs beyond N_opt(U), R*_N is held at +∞ and the fit says why', () => {
  const fit = fitDataConstrainedLaw(drawRuns(SYNTHETIC_TRUTH, [1e7, 3e7, 1e8], [2e9, 1.5e10], [1, 4, 16, 32], 0.002, 4), { bootstrap: false, loo: false });
  assert.equal(fit.params.R_N_star, Number.POSITIVE_INFINITY);
  assert.match(fit.notIdentified.R_N_star!, /^no run has more parameters than N_opt\(U_D\)/);
  assert.ok(fit.warnings.some((w) => w.startsWith('R_N_star not identified: no run has more parameters')));
});

test('fewer distinct runs than free parameters: under-determined, nothing fitted', () => {
  const runs = drawRuns(SYNTHETIC_TRUTH, [1e7, 1e8], [2e9], [1, 4], 0, 1);
  const fit = fitDataConstrainedLaw(runs, { bootstrap: false });
  assert.equal(fit.determination, 'under');
  assert.match(fit.failure!, /^under-determined: 4 distinct point\(s\) \(4 in all\) for 6 free parameter\(s\)/);
});

test('with the base law fixed, N_opt comes from the fixed A/B: R*_D = 15 and R*_N = 5 are both fitted within 10% on runs beyond N_opt(U)', () => {
  const truth = { E: 1.8, A: 400, B: 2000, alpha: 0.34, beta: 0.34, R_D_star: 15, R_N_star: 5 };
  const runs = drawRuns(truth, [1e6, 1e7, 1e8, 3e8], [2e8, 1e9], [0.5, 1, 4, 16, 32], 0.002, 6);
  const { E, A, B, alpha, beta } = truth;
  const fit = fitDataConstrainedLaw(runs, { fix: { E, A, B, alpha, beta }, bootstrap: false, loo: false });
  assert.equal(fit.dof, runs.length - 2);
  close(fit.params.R_N_star, 5, 0.1, 'R_N_star');
  close(fit.params.R_D_star, 15, 0.1, 'R_D_star');
});
