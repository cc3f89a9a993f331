import { test } from 'node:test';
import assert from 'node:assert/strict';
import { criticalBatch, lrBatchLaw, optimalLr, powerTrend, stepsToTarget } from '../../src/fit/batch-lr.js';
import { seededRandom } from '../../src/fit/stats.js';

const close = (got: number, want: number, rel: number, what: string) => assert.ok(Math.abs(got / want - 1) <= rel, `${what}: ${got}, want ${want} ±${100 * rel}%`);
const BATCHES = [4, 8, 16, 32, 64, 128, 256];

test('S(B) = S_min(1 + B_noise/B): S_min = 1000 and B_noise = 32 recovered within 10% from steps with 2% noise, the 80% interval holding 32', () => {
  const random = seededRandom(3);
  const points = BATCHES.map((batch) => ({ batch, steps: 1000 * (1 + 32 / batch) * (1 + 0.02 * (2 * random() - 1)) }));
  const fit = criticalBatch(points);
  assert.equal(fit.refusal, null);
  close(fit.sMin, 1000, 0.1, 'S_min');
  close(fit.bNoise, 32, 0.1, 'B_noise');
  assert.ok(fit.interval!.lo < 32 && 32 < fit.interval!.hi, JSON.stringify(fit.interval));
  assert.equal(fit.dof, 5);
});

test('noise-free S(B) gives B_noise exactly; perfect scaling (S ∝ 1/B) leaves the interval open above; too few batch sizes are refused', () => {
  const exact = criticalBatch(BATCHES.map((batch) => ({ batch, steps: 500 * (1 + 100 / batch) })));
  close(exact.bNoise, 100, 1e-6, 'B_noise');
  close(exact.sMin, 500, 1e-6, 'S_min');
  const random = seededRandom(5);
  const perfect = criticalBatch([4, 8, 16, 32].map((batch) => ({ batch, steps: (4096 / batch) * (1 + 0.01 * (2 * random() - 1)) })));
  assert.equal(perfect.interval!.hi, Number.POSITIVE_INFINITY);
  assert.match(criticalBatch([{ batch: 4, steps: 10 }, { batch: 8, steps: 6 }, { batch: 8, steps: 6.1 }]).refusal!, /at least 3 distinct batch sizes/);
});

test('the trend B_noise = c·by^k is recovered exactly from noise-free points, with a t interval', () => {
  const t = powerTrend([1, 2, 4, 8].map((x) => ({ x, y: 3 * x ** -1.5 })))!;
  close(t.coefficient, 3, 1e-9, 'coefficient');
  close(t.exponent, -1.5, 1e-9, 'exponent');
  assert.ok(t.exponentInterval!.lo <= -1.5 && t.exponentInterval!.hi >= -1.5);
  assert.equal(powerTrend([{ x: 1, y: 2 }]), null);
});

test('steps to a target loss: interpolated in (ln step, loss) between the evals around the crossing, by hand', () => {
  const curve = [
    { step: 100, loss: 4.0 },
    { step: 200, loss: 3.5 },
    { step: 400, loss: 3.0 },
  ];
  // 3.2 lies 0.6 of the way from 3.5 to 3.0: e^(ln 200 + 0.6·ln 2) = 200·2^0.6.
  close(stepsToTarget(curve, 3.2)!, 200 * 2 ** 0.6, 1e-12, 'steps');
  assert.equal(stepsToTarget(curve, 2.9), null, 'never reached');
  assert.equal(stepsToTarget(curve, 4.5), null, 'reached at the first eval: no crossing to place');
});

test('lr_opt: the vertex of the parabola in ln lr (exact for a parabola), a bound at the grid\'s edge', () => {
  const lnOpt = Math.log(2e-3);
  const points = [3e-4, 1e-3, 3e-3, 1e-2].map((lr) => ({ lr, loss: 3 + 0.1 * (Math.log(lr) - lnOpt) ** 2 }));
  const o = optimalLr(points)!;
  close(o.lrOpt, 2e-3, 1e-9, 'lr_opt');
  assert.equal(o.atEdge, null);
  const edge = optimalLr([1e-3, 3e-3, 1e-2].map((lr) => ({ lr, loss: 3 + lr })))!;
  assert.equal(edge.atEdge, 'low');
  assert.equal(edge.lrOpt, 1e-3);
});

test('lr_opt ∝ B^γ with one γ over groups: γ = 0.5 recovered, its 80% t interval holds 0.5 in about 80% of 200 noisy ladders, and γ = 1 puts the √ rule outside', () => {
  const ladder = (gamma: number, seed: number) => {
    const random = seededRandom(seed);
    return ['d32', 'd48'].flatMap((group, g) => [4, 8, 16, 32, 64].map((batch) => ({ group, batch, lrOpt: (g + 1) * 1e-4 * batch ** gamma * Math.exp(0.05 * (2 * random() - 1)) })));
  };
  const one = lrBatchLaw(ladder(0.5, 11))!;
  close(one.gamma, 0.5, 0.05, 'gamma');
  assert.equal(one.dof, 10 - 2 - 1);
  close(one.intercepts.find((i) => i.group === 'd48')!.coefficient / one.intercepts.find((i) => i.group === 'd32')!.coefficient, 2, 0.1, 'intercept ratio');
  const inside = Array.from({ length: 200 }, (_, i) => lrBatchLaw(ladder(0.5, i + 1))!.sqrtInside).filter(Boolean).length;
  assert.ok(inside >= 140 && inside <= 180, `${inside} of 200`);
  assert.ok(Array.from({ length: 20 }, (_, i) => lrBatchLaw(ladder(1, i + 1))!.sqrtInside).every((x) => x === false));
});

import { analyseBatchLr } from '../../src/fit/batch-lr-runs.js';
import type { RunRecord } from '../../src/runs/types.js';

/** A grid run as the run table gives it: only the fields the analysis reads. */
function gridRun(id: string, batchSize: number, lr: number, steps: number, loss: (step: number) => number, extra: Partial<RunRecord> = {}): RunRecord {
  // Evals at every power of two below the last step, and at it.
  const at = [...Array.from({ length: Math.floor(Math.log2(steps)) + 1 }, (_, k) => 2 ** k).filter((x) => x < steps), steps];
  const curve = at.map((step) => ({ step, tokens: step * batchSize * 128, valBpc: loss(step) }));
  return { id, collection: 'grid', status: 'completed', params: 20000, tokens: steps * batchSize * 128, batchSize, lr, steps, finalValBpc: loss(steps), curve, dataset: 'brown', arch: 'bitlm-v57', seqLen: 128, lossUnit: 'bits per byte', lrSchedule: 'cosine', warmupSteps: 8, lrFinal: 0, precision: 'fp32', purpose: 'batch-lr', ...extra } as RunRecord;
}

test('on a grid whose losses follow S(B) = 100(1 + 16/B) steps to each loss and a parabola in ln lr around 1e-3·(B/4)^0.5, the run-table analysis finds B_noise = 16 and γ = 0.5', () => {
  const runs: RunRecord[] = [];
  // Rates 10^(k/2) apart, so that the optimum of each batch size (1e-3, 10^-2.5, 1e-2) is a grid rate.
  const rates = [-3.5, -3, -2.5, -2, -1.5].map((e) => 10 ** e);
  for (const b of [4, 40, 400])
    for (const lr of rates) {
      const lrOpt = 1e-3 * (b / 4) ** 0.5;
      // Loss falls by 1 bit per e-fold of s/S(B); the rate adds a parabola in ln lr.
      const loss = (s: number) => 5 - Math.log(s / (100 * (1 + 16 / b))) + 0.05 * (Math.log(lr) - Math.log(lrOpt)) ** 2;
      runs.push(gridRun(`g-b${b}-lr${lr}`, b, lr, Math.round(51200 / b), loss));
    }
  const a = analyseBatchLr(runs, 'grid');
  for (const p of a.lr) assert.ok(Math.abs(p.optimum!.lrOpt / (1e-3 * (p.batch / 4) ** 0.5) - 1) < 1e-6, `lr_opt at B = ${p.batch}`);
  close(a.lrLaw!.gamma, 0.5, 1e-6, 'gamma');
  const fitted = a.sizes[0].targets.filter((t) => t.fit.refusal === null);
  assert.ok(fitted.length > 0);
  for (const t of fitted) close(t.fit.bNoise, 16, 1e-4, `B_noise at ${t.target}`);
});

test('a grid whose runs differ in anything but batch size, rate and steps is refused, naming two runs and the field', () => {
  const loss = (s: number) => 4 - 0.001 * s;
  const runs = [gridRun('a', 4, 1e-3, 100, loss), gridRun('b', 8, 1e-3, 50, loss, { warmupSteps: 30 })];
  assert.throws(() => analyseBatchLr(runs, 'grid'), /runs a and b .* differ in warmupSteps \(8 vs 30\)/);
});
