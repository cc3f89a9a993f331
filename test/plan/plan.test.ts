import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SEED_CONFIGS, countParams, type ModelConfig } from '../../src/arch/bitlm.js';
import { chinchillaLoss, computeOptimalAllocation, type ChinchillaParams } from '../../src/fit/chinchilla.js';
import { requireGpu, type GpuSpec } from '../../src/estimate/hardware.js';
import { estimateTrainingMemory } from '../../src/estimate/memory.js';
import { extrapolationOf, planTraining, rangesOverlap, type PlanPrediction, type Predictor } from '../../src/plan/plan.js';
import { BITLM_V57_FAMILY, familyShape, parseShape, planShapes, type PlanShape } from '../../src/plan/shapes.js';
import { formatShape } from '../../src/util/format.js';

/** Hoffmann et al. 2022's fitted law (their eq. 10): E 1.69, A 406.4, B 410.7, α 0.34, β 0.28. */
const HOFFMANN: ChinchillaParams = { E: 1.69, A: 406.4, B: 410.7, alpha: 0.34, beta: 0.28 };

const point = (valBpc: number): PlanPrediction => ({ valBpc, interval: null, range: null, method: 'test law', warnings: [] });
const chinchillaPredictor = (p: ChinchillaParams): Predictor => (q) => point(chinchillaLoss(p, q.params, q.tokens));

/** A catalog GPU with `usableBytes` replaced: a memory budget set by the test. */
function gpuWith(usableBytes: number): GpuSpec {
  return { ...requireGpu('a100-40gb'), id: 'test-gpu', name: 'test GPU', usableBytes };
}

const family = (widths: number[], seqLen = 256): PlanShape[] => widths.map((d) => {
  const config = familyShape(d, BITLM_V57_FAMILY, seqLen);
  return { config, origin: 'family' as const, label: formatShape(config) };
});

test('the family rules reproduce the seed\'s 46.4M and "300M" configs and the 13.7M\'s heads and d_ff', () => {
  assert.deepEqual(familyShape(1024, BITLM_V57_FAMILY, 256), SEED_CONFIGS['46.4M']);
  assert.deepEqual(familyShape(2048, BITLM_V57_FAMILY, 256), SEED_CONFIGS['300M']);
  const s = familyShape(640, BITLM_V57_FAMILY, 256);
  assert.equal(s.heads, SEED_CONFIGS['13.7M'].heads);
  assert.equal(s.dFf, SEED_CONFIGS['13.7M'].dFf);
  // planShapes keeps the 13.7M (L=6) as its own candidate beside the family's d=640 L=5, once each.
  const shapes = planShapes(BITLM_V57_FAMILY, 256);
  assert.equal(shapes.filter((x) => x.config.d === 640).length, 2);
  assert.equal(shapes.filter((x) => x.config.d === 1024).length, 1);
});

test('--shape parses d, L, H, dff and rejects a missing key or d not divisible by H', () => {
  assert.deepEqual(parseShape('d=1536,L=12,H=32,dff=768', 256), { d: 1536, layers: 12, heads: 32, dFf: 768, seqLen: 256, vocab: 128 });
  assert.throws(() => parseShape('d=1536,L=12,H=32', 256), /needs d, L, H and dff/);
  assert.throws(() => parseShape('d=1000,L=12,H=32,dff=500', 256), /not divisible by H=32/);
  assert.throws(() => parseShape('d=1536,x=2', 256), /'x=2'/);
});

test('with a pure Chinchilla law and a FLOPs budget C = 6ND, the plan picks N within one grid step of N_opt = G·(C/6)^(β/(α+β))', () => {
  // Widths every 16 from 256 to 4096: consecutive N differ by < 20%, and by < 3% near N_opt.
  const widths = Array.from({ length: (4096 - 256) / 16 + 1 }, (_, i) => 256 + 16 * i);
  const shapes = family(widths);
  const C = 1e19;
  const G = Math.pow((HOFFMANN.alpha * HOFFMANN.A) / (HOFFMANN.beta * HOFFMANN.B), 1 / (HOFFMANN.alpha + HOFFMANN.beta));
  const nOpt = G * Math.pow(C / 6, HOFFMANN.beta / (HOFFMANN.alpha + HOFFMANN.beta));
  assert.ok(Math.abs(nOpt / computeOptimalAllocation(HOFFMANN, C).params - 1) < 1e-12);
  const plan = planTraining({
    gpu: gpuWith(1e18),
    gpus: 1,
    budget: { kind: 'flops', flops: C },
    shapes,
    batchSizes: [1],
    predict: chinchillaPredictor(HOFFMANN),
    flopsPerStep: (c: ModelConfig, bs: number) => 6 * countParams(c) * bs * c.seqLen,
  });
  const best = plan.recommended;
  // The two grid neighbours of N_opt.
  const sizes = shapes.map((s) => countParams(s.config)).sort((a, b) => a - b);
  const below = sizes.filter((n) => n <= nOpt).at(-1)!;
  const above = sizes.find((n) => n > nOpt)!;
  assert.ok(best.params === below || best.params === above, `best ${best.params}, N_opt ${nOpt} between ${below} and ${above}`);
  assert.ok(Math.abs(Math.log(best.params / nOpt)) < 0.03, `N ${best.params} vs N_opt ${nOpt}`);
  assert.equal(plan.edge, null);
  // Its tokens are C/(6N) up to one step's rounding, and its loss is the continuous optimum's to 1e-4 (never below it).
  assert.ok(Math.abs(best.tokens - C / (6 * best.params)) <= 256);
  const optLoss = computeOptimalAllocation(HOFFMANN, C).loss;
  assert.ok(best.prediction.valBpc >= optLoss && best.prediction.valBpc - optLoss < 1e-4, `${best.prediction.valBpc} vs ${optLoss}`);
});

test('when memory binds, the best unconstrained config is excluded and the largest shape that fits at micro-batch 1 is recommended', () => {
  // A law that only rewards size: unconstrained, the largest shape wins.
  const shapes = family([512, 1024, 2048, 4096]);
  const bigger: Predictor = (q) => point(1 + 10 / Math.pow(q.params, 0.3));
  const base = { gpus: 1, budget: { kind: 'hours' as const, hours: 10 }, shapes, batchSizes: [64], predict: bigger };
  const free = planTraining({ ...base, gpu: gpuWith(1e15) });
  assert.equal(free.recommended.config.d, 4096);
  assert.equal(free.edge, 'largest');
  // Usable memory between the d=2048 and d=4096 shapes' micro-batch-1 peaks.
  const at1 = (d: number) => estimateTrainingMemory(familyShape(d, BITLM_V57_FAMILY, 256), 1).totalBytes;
  const usable = (at1(2048) + at1(4096)) / 2;
  const tight = planTraining({ ...base, gpu: gpuWith(usable) });
  assert.equal(tight.recommended.config.d, 2048);
  assert.equal(tight.edge, 'largest');
  assert.ok(tight.excluded.some((x) => x.label === free.recommended.label && /does not fit/.test(x.reason)));
  for (const c of tight.candidates) {
    assert.ok(c.memoryBytes <= usable, `${c.label} uses ${c.memoryBytes} > ${usable}`);
    assert.equal(c.split.parts.reduce((s, p) => s + p.size * p.count, 0), c.perGpuBatch);
  }
  // Its micro-batch is the largest that fits: one more sequence would not.
  const r = tight.recommended;
  assert.ok(r.microBatch === r.perGpuBatch || estimateTrainingMemory(r.config, r.microBatch + 1).totalBytes > usable);
});

test('data parallel: bs 256 over 8 GPUs runs 32 per GPU, and the steps are the whole steps the hours buy', () => {
  const plan = planTraining({
    gpu: requireGpu('h100-80gb'),
    gpus: 8,
    budget: { kind: 'hours', hours: 24 },
    shapes: family([1024]),
    batchSizes: [256, 100],
    predict: chinchillaPredictor(HOFFMANN),
  });
  const c = plan.recommended;
  assert.equal(c.perGpuBatch, 32);
  assert.ok(c.steps * c.secondsPerStep <= 24 * 3600 && (c.steps + 1) * c.secondsPerStep > 24 * 3600);
  assert.equal(c.tokens, c.steps * 256 * 256);
  assert.ok(Math.abs(c.gpuHours - 8 * c.hours) < 1e-9);
  assert.deepEqual(plan.excluded.map((x) => x.reason), ['bs 100 does not divide over 8 GPUs']);
});

test('next best and overlap: two sizes whose ranges overlap cannot be told apart; disjoint ones can', () => {
  const a = { ...point(1.30), range: { lo: 1.25, hi: 1.35 } };
  assert.equal(rangesOverlap(a, { ...point(1.34), range: { lo: 1.33, hi: 1.40 } }), true);
  assert.equal(rangesOverlap(a, { ...point(1.50), range: { lo: 1.45, hi: 1.55 } }), false);
  assert.equal(rangesOverlap(point(1.3), point(1.3)), true);
  const plan = planTraining({
    gpu: gpuWith(1e15), gpus: 1, budget: { kind: 'hours', hours: 1 }, shapes: family([512, 1024]), batchSizes: [64],
    predict: (q) => (q.config.d === 1024 ? { ...point(1.30), range: { lo: 1.29, hi: 1.31 } } : { ...point(1.40), range: { lo: 1.32, hi: 1.48 } }),
  });
  assert.equal(plan.recommended.config.d, 1024);
  assert.equal(plan.nextBest?.config.d, 512);
  assert.ok(Math.abs(plan.gap! - 0.1) < 1e-12);
  assert.equal(plan.overlap, false);
  assert.deepEqual(plan.frontier.map((c) => c.config.d), [512, 1024]);
  assert.equal(plan.edge, 'largest');
});

test('extrapolation factors: N beyond the largest run and steps below the fewest, inside is null', () => {
  const m = { params: { min: 5e6, max: 50e6 }, steps: { min: 10_000, max: 40_000 } };
  assert.deepEqual(extrapolationOf(200e6, 5_000, 1e9, m), { params: 4, steps: 2, tokens: null });
  assert.equal(extrapolationOf(20e6, 20_000, 1e9, m), null);
  assert.deepEqual(extrapolationOf(1e6, 20_000, 4e9, { ...m, tokens: { min: 1e8, max: 1e9 } }), { params: 5, steps: null, tokens: 4 });
});

test('bad budgets: zero or negative hours, zero GPUs, and nothing that fits are errors', () => {
  const base = { gpu: gpuWith(1e15), shapes: family([512]), batchSizes: [64], predict: chinchillaPredictor(HOFFMANN) };
  assert.throws(() => planTraining({ ...base, gpus: 1, budget: { kind: 'hours', hours: 0 } }), /hours must be > 0/);
  assert.throws(() => planTraining({ ...base, gpus: 1, budget: { kind: 'hours', hours: -2 } }), /hours must be > 0/);
  assert.throws(() => planTraining({ ...base, gpus: 0, budget: { kind: 'hours', hours: 1 } }), /GPUs must be a positive integer/);
  assert.throws(() => planTraining({ ...base, gpu: gpuWith(1e6), gpus: 1, budget: { kind: 'hours', hours: 1 } }), /no candidate fits .*does not fit test GPU even at micro-batch 1/);
});
