import { test } from 'node:test';
import { loadRunTable, scalingRuns } from '../../src/runs/table.js';
import assert from 'node:assert/strict';
import { chinchillaLoss, computeOptimalAllocation, fitChinchillaLaw, refitChinchilla, refitChinchillaMany } from '../../src/fit/chinchilla.js';
import { huber, seededRandom } from '../../src/fit/stats.js';
import { describeSelection, JOINT_FORMS, selectJointForm } from '../../src/fit/select.js';

test('the joint law drawn with known E, A, B, α, β and 0.5% noise is recovered by the Huber fit', () => {
  const truth = { E: 1.8, A: 400, B: 2000, alpha: 0.34, beta: 0.3 };
  const random = seededRandom(7);
  const points = [];
  for (let i = 0; i < 8; i++)
    for (let j = 0; j < 6; j++) {
      const params = 5e7 * Math.pow(10, (i * 2) / 7);
      const tokens = params * 20 * Math.pow(10, (j - 2.5) / 2.5);
      points.push({ params, tokens, loss: chinchillaLoss(truth, params, tokens) * (1 + 0.005 * (random() * 2 - 1)) });
    }
  const fit = fitChinchillaLaw(points, { bootstrap: { count: 50 }, loo: false });
  assert.equal(fit.determination, 'over');
  assert.equal(fit.dof, 43);
  assert.deepEqual(Object.keys(fit.params).sort(), ['A', 'B', 'E', 'alpha', 'beta']);
  assert.ok(Math.abs(fit.params.alpha - 0.34) < 0.03, `alpha ${fit.params.alpha}`);
  assert.ok(Math.abs(fit.params.beta - 0.3) < 0.03, `beta ${fit.params.beta}`);
  assert.ok(Math.abs(fit.params.E - 1.8) < 0.05, `E ${fit.params.E}`);
  // The optimum is at least as good as the truth under the objective, and the RMSE matches the noise.
  const truthObjective = points.reduce((s, q) => s + huber(Math.log(chinchillaLoss(truth, q.params, q.tokens) / q.loss), 1e-3), 0);
  assert.ok(fit.objective <= truthObjective + 1e-12, `${fit.objective} > ${truthObjective}`);
  assert.ok(fit.rmse < 0.02, `rmse ${fit.rmse}`);
  assert.equal(fit.bootstrap!.used, 50);
  assert.ok(fit.intervals.alpha!.lo < fit.params.alpha && fit.params.alpha < fit.intervals.alpha!.hi);
});

test('a joint fit on four runs is under-determined, and says so', () => {
  const pts = [
    { params: 5e6, tokens: 1e9, loss: 2.2 },
    { params: 1.4e7, tokens: 1e9, loss: 2.0 },
    { params: 4.6e7, tokens: 1e9, loss: 1.77 },
    { params: 4.6e7, tokens: 3.3e8, loss: 1.88 },
  ];
  const under = fitChinchillaLaw(pts, { bootstrap: false });
  assert.equal(under.determination, 'under');
  assert.ok(under.warnings[0].startsWith('under-determined'));
});

test('five points drawn from a joint law (five parameters): the fit passes through them and says "exactly determined", nothing tests it', () => {
  const truth = { E: 1.7, A: 300, B: 900, alpha: 0.32, beta: 0.28 };
  const pts = [
    [5e6, 1e9],
    [1.4e7, 1e9],
    [4.6e7, 1e9],
    [4.6e7, 3.3e8],
    [1.4e7, 4e9],
  ].map(([params, tokens]) => ({ params, tokens, loss: chinchillaLoss(truth, params, tokens) }));
  const fit = fitChinchillaLaw(pts, { bootstrap: false });
  assert.equal(fit.determination, 'exact');
  assert.equal(fit.dof, 0);
  assert.ok(fit.rmse < 1e-9, `rmse ${fit.rmse}`);
  assert.match(fit.warnings[0], /^exactly determined: 5 distinct point\(s\) for 5 free parameter\(s\); the curve passes through every point, so nothing tests it/);
  assert.equal(fit.intervals.alpha, null);
});

test('five points the joint law cannot pass through: not called "exactly determined"; the warning gives the residual', () => {
  // Loss rising with D at fixed N: no E + A/N^α + B/D^β with A, B ≥ 0 goes through all five.
  const pts = [
    { params: 5e6, tokens: 1e9, loss: 2.2 },
    { params: 1.4e7, tokens: 1e9, loss: 2.0 },
    { params: 4.6e7, tokens: 1e9, loss: 1.77 },
    { params: 4.6e7, tokens: 3.3e8, loss: 1.7 },
    { params: 4.6e7, tokens: 6.6e8, loss: 1.74 },
  ];
  const fit = fitChinchillaLaw(pts, { bootstrap: false });
  assert.equal(fit.determination, 'exact');
  assert.ok(fit.rmse > 1e-3, `rmse ${fit.rmse}`);
  const w = fit.warnings[0];
  assert.match(w, /^as many distinct points \(5\) as free parameters, yet the law does not pass through them \(RMSE ([0-9.e-]+)/);
  assert.ok(!fit.warnings.some((x) => /exactly determined/.test(x)));
  assert.equal(Number(/RMSE ([0-9.e-]+)/.exec(w)![1]), Number(fit.rmse.toPrecision(3)));
});

test('exponents that tie are reported as such', () => {
  // The same exponent on N and D, and N = D at every point: the two terms cannot be told apart.
  const truth = { E: 2, A: 50, B: 50, alpha: 0.3, beta: 0.3 };
  const pts = [1e6, 3e6, 1e7, 3e7, 1e8, 3e8].flatMap((n) => [n, 2 * n].map((d) => ({ params: n, tokens: d, loss: chinchillaLoss(truth, n, d) })));
  const fit = fitChinchillaLaw(pts, { bootstrap: false, loo: false });
  assert.ok(Math.abs(fit.params.alpha - fit.params.beta) <= 1e-3 * fit.params.alpha, `${fit.params.alpha} vs ${fit.params.beta}`);
  assert.ok(fit.warnings.some((w) => /^alpha and beta tie/.test(w)), fit.warnings.join('\n'));
});

test('compute-optimal split: with α = β and A = B, N_opt = D_opt = sqrt(C/6), and 6·N·D = C always', () => {
  const sym = computeOptimalAllocation({ E: 1.7, A: 400, B: 400, alpha: 0.3, beta: 0.3 }, 6e20);
  assert.ok(Math.abs(sym.params / 1e10 - 1) < 1e-9 && Math.abs(sym.tokens / 1e10 - 1) < 1e-9);
  const p = { E: 1.82, A: 482.01, B: 2085.43, alpha: 0.3478, beta: 0.3658 };
  const c = computeOptimalAllocation(p, 5.76e23);
  assert.ok(Math.abs((6 * c.params * c.tokens) / 5.76e23 - 1) < 1e-9);
  // The optimum: moving N by ±10% along C = 6ND raises the loss.
  for (const k of [0.9, 1.1]) assert.ok(chinchillaLoss(p, c.params * k, c.tokens / k) > c.loss);
});

test('a joint fit whose exponent runs far past any measured one (the Brown CPU study: N gains stop after 213K) says not to extrapolate with it', () => {
  // The former CPU study (runs/brown-cpu, since replaced by runs/brown-ladder), final val_bpc: 3 sizes × 250/500/1000 steps at bs 16, T 128.
  const sizes = [61_440, 212_992, 657_408];
  const bpc = [
    [3.619, 3.559, 3.542],
    [3.448, 3.409, 3.382],
    [3.487, 3.406, 3.36],
  ];
  const points = sizes.flatMap((params, i) => [250, 500, 1000].map((steps, j) => ({ params, tokens: steps * 16 * 128, loss: bpc[i][j] })));
  const fit = fitChinchillaLaw(points, { bootstrap: false });
  assert.ok(fit.params.alpha > 3, `alpha ${fit.params.alpha}`);
  assert.match(fit.noExtrapolation ?? '', /^alpha = .* (is far beyond any measured scaling exponent|sits on its search bound)/);
});

test('every refit of the Brown ladder converges: those whose floor goes to 0 end at E = 0 exactly and are counted in a warning; none on the seed GLM runs', () => {
  const runs = scalingRuns(loadRunTable(new URL('../../runs/', import.meta.url).pathname));
  const law = (dataset: string) => fitChinchillaLaw(runs.filter((r) => r.dataset === dataset && r.arch === 'bitlm-v57').map((r) => ({ params: r.params, tokens: r.tokens, loss: r.finalValBpc })), { bootstrap: { count: 200, seed: 1 } });
  const brown = law('brown');
  assert.equal(brown.diagnostics.refitsUnconverged, 0, brown.warnings.join('\n'));
  assert.ok(!brown.warnings.some((w) => /short of its tolerance/.test(w)));
  const atFloor = Number(brown.diagnostics.refitsAtFloor);
  const warning = brown.warnings.find((w) => /fit best with no floor/.test(w));
  assert.ok(atFloor > 0 && warning?.startsWith(`${atFloor} of the ${brown.diagnostics.refits} refits`), warning);
  // Those draws have E exactly 0, so the interval of E starts at 0.
  assert.ok(brown.samples!.some((d) => d[0] === 0));
  assert.equal(brown.intervals.E!.lo, 0);
  const glm = law('GLM-Reasoning');
  assert.ok(!glm.warnings.some((w) => /refits behind the intervals/.test(w)), glm.warnings.join('\n'));
});

/** A 5 × 3 ladder from a law (N 20K–500K, D 0.5M–2M tokens), with ±noise (relative, seeded). */
function ladder(p: { E: number; A: number; B: number; alpha: number; beta: number }, noise: number, seed: number) {
  const random = seededRandom(seed);
  return [2e4, 4e4, 9e4, 2e5, 5e5].flatMap((params) => [5.7e5, 1.15e6, 2.3e6].map((tokens) => ({ params, tokens, loss: chinchillaLoss(p, params, tokens) * (1 + noise * (random() * 2 - 1)) })));
}

test('a refit of exact data with no floor (E = 0 drawn) ends at E = 0 exactly, converged, with the law recovered', () => {
  const truth = { E: 0, A: 30, B: 40, alpha: 0.15, beta: 0.12 };
  const points = ladder(truth, 0, 3);
  // Start where a fit with a floor would: E = 1.
  const start = [Math.log(truth.A), Math.log(truth.B), Math.log(1), truth.alpha, truth.beta];
  const r = refitChinchilla(points, start)!;
  assert.ok(r.atFloor && r.converged, JSON.stringify(r));
  assert.equal(r.theta[2], Number.NEGATIVE_INFINITY);
  assert.ok(r.objective < 1e-12, `objective ${r.objective}`);
  assert.ok(Math.abs(r.theta[3] - truth.alpha) < 1e-3 && Math.abs(r.theta[4] - truth.beta) < 1e-3, `${r.theta}`);
});

test('a refit of data with a real floor stays inside (E > 0), converged, and recovers it', () => {
  const truth = { E: 2.5, A: 30, B: 40, alpha: 0.3, beta: 0.25 };
  const points = ladder(truth, 0, 4);
  const r = refitChinchilla(points, [Math.log(20), Math.log(60), Math.log(2), 0.25, 0.3])!;
  assert.ok(!r.atFloor && r.converged, JSON.stringify(r));
  const E = Math.exp(r.theta[2]);
  assert.ok(Math.abs(E - truth.E) < 0.05, `E ${E}`);
});

test('a refit of a resample counts a run drawn k times with weight k: the same optimum as the run written k times over', () => {
  const points = ladder({ E: 2.5, A: 30, B: 40, alpha: 0.3, beta: 0.25 }, 0.003, 6);
  const idx = [0, 0, 0, 2, 4, 4, 5, 7, 7, 8, 10, 11, 11, 13, 14];
  const start = [Math.log(30), Math.log(40), Math.log(2.5), 0.3, 0.25];
  const weighted = refitChinchilla(points, start, { idx })!;
  const copied = refitChinchilla(idx.map((i) => points[i]), start)!;
  assert.ok(weighted.converged && copied.converged);
  // The same objective (a sum over the same 15 terms), to rounding.
  assert.ok(Math.abs(weighted.objective - copied.objective) <= 1e-9 * copied.objective, `${weighted.objective} vs ${copied.objective}`);
  // And so the same law, to the precision the objective pins it.
  const law = (th: Float64Array) => points.map((q) => chinchillaLoss({ E: Math.exp(th[2]), A: Math.exp(th[0]), B: Math.exp(th[1]), alpha: th[3], beta: th[4] }, q.params, q.tokens));
  const a = law(weighted.theta);
  const b = law(copied.theta);
  a.forEach((v, i) => assert.ok(Math.abs(v - b[i]) < 1e-6 * b[i], `point ${i}: ${v} vs ${b[i]}`));
});

test('bootstrap draws are the same whether the distinct resamples are fitted one by one or in one batch', () => {
  const points = ladder({ E: 2.5, A: 30, B: 40, alpha: 0.3, beta: 0.25 }, 0.003, 5);
  const batched: number[][][] = [];
  const one = fitChinchillaLaw(points, { bootstrap: { count: 60 }, loo: false });
  const two = fitChinchillaLaw(points, {
    bootstrap: { count: 60 },
    loo: false,
    refitMany: (task) => {
      batched.push(task.subsets);
      return refitChinchillaMany(task);
    },
  });
  assert.equal(batched.length, 1, 'one batch of every distinct resample');
  assert.equal(batched[0].length, Number(one.diagnostics.refits));
  assert.deepEqual(two.samples, one.samples);
  assert.deepEqual(two.intervals, one.intervals);
});

test('form selection by held-out sizes keeps the published default on data drawn from it; on exact floor-free data the floor-free form predicts every held-out size exactly, and the choice is within one standard error of the best', () => {
  const withFloor = ladder({ E: 2.5, A: 30, B: 40, alpha: 0.3, beta: 0.25 }, 0.002, 11);
  const a = selectJointForm(withFloor)!;
  assert.equal(a.chosen.name, JOINT_FORMS[0].name);
  assert.equal(a.folds, 5);
  assert.equal(a.scores.length, JOINT_FORMS.length);
  // Exact data with no floor: the floor-free form predicts every held-out size exactly.
  const noFloor = ladder({ E: 0, A: 30, B: 40, alpha: 0.15, beta: 0.12 }, 0, 12);
  const b = selectJointForm(noFloor)!;
  const score = (name: string) => b.scores.find((s) => s.form.name === name)!.rmsLogError;
  assert.ok(score('no floor (E = 0), Huber δ = 1e-3') < 1e-6, `${score('no floor (E = 0), Huber δ = 1e-3')}`);
  // The chosen form is within one standard error of the best score, and named with its runner-up.
  const best = Math.min(...b.scores.map((s) => s.rmsLogError));
  assert.ok(score(b.chosen.name) ** 2 <= best ** 2 + b.scores.find((s) => s.rmsLogError === best)!.mseStandardError);
  assert.match(describeSelection(b), /chosen by held-out sizes \(RMS log error .* over 15 held-out runs in 5 folds\)/);
  // Fewer than four sizes: a fold would leave too few to fit on, so there is no selection.
  assert.equal(selectJointForm(withFloor.filter((p) => p.params <= 9e4)), null);
});
