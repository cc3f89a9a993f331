import { test } from 'node:test';
import assert from 'node:assert/strict';
import { countParams } from '../../src/arch/bitlm.js';
import { calibrateFromRuns } from '../../src/estimate/calibrate.js';
import { requireGpu, type GpuSpec } from '../../src/estimate/hardware.js';
import { fitRunTable, predictBpc, type FitSuite, type Prediction } from '../../src/fit/index.js';
import { planTraining, spanOf, type PlanPrediction, type PlanResult } from '../../src/plan/plan.js';
import { lawBatchSizes, measuredRanges, runTablePredictor } from '../../src/plan/predictors.js';
import { BITLM_V57_FAMILY, familyShape, planShapes } from '../../src/plan/shapes.js';
import { formatShape } from '../../src/util/format.js';
import { overlapWidth, planGpuTime, tellApart, tellApartCandidates } from '../../src/plan/tell-apart.js';
import { tellApartSentences } from '../../src/plan/tell-apart-text.js';
import { hypotheticalRun, WhatIf, type CandidateRun, type Refitter } from '../../src/plan/what-if.js';
import { seedRuns } from '../fit/seed-runs.js';

const gpu: GpuSpec = { ...requireGpu('a100-40gb'), id: 'test-gpu', name: 'test GPU', usableBytes: 1e15 };
const shapes = [512, 1024].map((d) => {
  const config = familyShape(d, BITLM_V57_FAMILY, 256);
  return { config, origin: 'family' as const, label: formatShape(config) };
});

/** A law that says d=1024 (46.4M) is best at 1.30 and d=512 (5.9M) next at 1.32, with the ranges given. */
function planWith(recRange: { lo: number; hi: number }, nextRange: { lo: number; hi: number }): PlanResult {
  const p = (valBpc: number, range: { lo: number; hi: number }): PlanPrediction => ({ valBpc, interval: { level: 0.8, ...range }, range, method: 'test law', warnings: [], law: 'A fixed', baseSteps: 1000 });
  return planTraining({ gpu, gpus: 1, budget: { kind: 'hours', hours: 1 }, shapes, batchSizes: [64], predict: (q) => (q.config.d === 1024 ? p(1.3, recRange) : p(1.32, nextRange)) });
}

/** A refitter whose refits give hand-set ranges: `after[id]` for the recommendation and the next best (by N). */
function fakeRefitter(before: [number, number, number, number], after: Record<string, [number, number, number, number]>): Refitter & { calls: number } {
  const pred = (lo: number, hi: number) => ({ valBpc: (lo + hi) / 2, interval: { level: 0.8, lo, hi }, range: { lo, hi } }) as unknown as Prediction;
  const calls = { calls: 0 };
  return {
    dataset: 'synthetic',
    get calls() {
      return calls.calls;
    },
    before: () => ({ id: 'before' }) as unknown as FitSuite,
    after: (c: CandidateRun) => {
      calls.calls++;
      return { predictedBpc: 1.5, suite: { id: c.id } as unknown as FitSuite };
    },
    predict: (suite: FitSuite, target) => {
      const id = (suite as unknown as { id: string }).id;
      const r = id === 'before' ? before : after[id];
      return target.query.params === countParams(shapes[1].config) ? pred(r[0], r[1]) : pred(r[2], r[3]);
    },
  };
}

// One synthetic run at bs 64 gives the learning rate; none repeats a candidate.
const runs = seedRuns([{ id: 'lr-source', dataset: 'synthetic', params: 1e6, batchSize: 64, lr: 1e-3, steps: 500, valBpc: 2 }]);
const keep: [number, number, number, number] = [1.25, 1.35, 1.28, 1.40];

test('tell-apart candidates: the two sizes at the matched budget, then the §5 family runs, at the recommendation\'s batch and LR', () => {
  const plan = planWith({ lo: 1.25, hi: 1.35 }, { lo: 1.28, hi: 1.40 });
  const c = tellApartCandidates(plan.recommended, plan.nextBest!, 1e-3, 1000);
  assert.deepEqual(c.map((x) => x.id), ['recommended-short', 'next-best-short', 'size-d768-L6', 'size-d1280-L10', 'size-d1536-L12', '46M-steps-x2']);
  assert.deepEqual(c.map((x) => x.steps), [1000, 1000, 1000, 1000, 1000, 2000]);
  assert.ok(c.every((x) => x.batchSize === 64 && x.lr === 1e-3));
  // 46M-steps-x2 is d=1024 L=8 at 2000 steps, not the same run as recommended-short (d=1024 at 1000): both kept.
  assert.equal(countParams(c[5].config), countParams(c[0].config));
});

test('only one candidate separates them: it is named, though cheaper ones shrink the overlap', () => {
  const plan = planWith({ lo: 1.25, hi: 1.35 }, { lo: 1.28, hi: 1.40 });
  assert.equal(plan.overlap, true);
  // before: [1.25, 1.35] and [1.28, 1.40] overlap by 0.07; only size-d1280-L10 leaves a gap (1.30 → 1.31).
  const w = fakeRefitter(keep, {
    'recommended-short': [1.27, 1.33, 1.29, 1.38],
    'next-best-short': [1.27, 1.33, 1.30, 1.38],
    'size-d768-L6': [1.26, 1.34, 1.29, 1.39],
    'size-d1280-L10': [1.28, 1.30, 1.31, 1.35],
    'size-d1536-L12': [1.27, 1.32, 1.31, 1.37],
    '46M-steps-x2': keep,
  });
  const t = tellApart(plan, w, { runs });
  assert.equal(t.needed, true);
  assert.ok(Math.abs(t.before!.overlap - 0.07) < 1e-12);
  assert.equal(t.rows.length, 6);
  assert.equal(t.separates, true);
  assert.equal(t.pick!.ranked.candidate.id, 'size-d1280-L10');
  assert.equal(t.closest, null);
  assert.ok(Math.abs(t.pick!.overlap - -0.01) < 1e-12);
  assert.deepEqual(t.rows.filter((r) => r.separates).map((r) => r.ranked.candidate.id), ['size-d1280-L10']);
  // Ranked as §5 ranks: by how much the recommendation's span shrinks (0.10 → 0.02 for d1280 first), ties by id.
  assert.equal(t.rows[0].ranked.candidate.id, 'size-d1280-L10');
  assert.ok(Math.abs(t.rows[0].ranked.narrowing - 0.8) < 1e-12);
  const text = tellApartSentences(t, gpu.name);
  assert.match(text[0], /^Cheapest run that would tell them apart: size-d1280-L10: d=1280 L=10 H=32 d_ff=640 \(90\.4M params\), 1,000 steps at bs 64, [0-9.]+ GPU-hours on test GPU \(rank 1 of 6/);
  assert.equal(text[1], 'After it the ranges would be 1.280–1.300 and 1.310–1.350, a gap of 0.010 BPC between them (now 1.250–1.350 and 1.280–1.400, overlapping by 0.070 BPC, at the refit settings).');
});

test('two candidates separate them: the cheaper in GPU-hours is named (5.9M before 156.1M at the same steps and batch)', () => {
  const plan = planWith({ lo: 1.25, hi: 1.35 }, { lo: 1.28, hi: 1.40 });
  const w = fakeRefitter(keep, {
    'recommended-short': keep,
    'next-best-short': [1.27, 1.30, 1.31, 1.38],
    'size-d768-L6': keep,
    'size-d1280-L10': keep,
    'size-d1536-L12': [1.28, 1.29, 1.33, 1.35],
    '46M-steps-x2': keep,
  });
  const t = tellApart(plan, w, { runs });
  const hours = Object.fromEntries(t.rows.map((r) => [r.ranked.candidate.id, r.ranked.gpuHours!]));
  assert.ok(hours['next-best-short'] < hours['size-d1536-L12']);
  assert.equal(t.pick!.ranked.candidate.id, 'next-best-short');
  // size-d1536-L12 shrinks the recommendation's span more, so it ranks above: the pick is by price, not rank.
  assert.ok(t.rows.findIndex((r) => r.ranked.candidate.id === 'size-d1536-L12') < t.rows.findIndex((r) => r.ranked.candidate.id === 'next-best-short'));
});

test('none separates: the one that shrinks the overlap most per GPU-hour is named, and the text says none separates alone', () => {
  const plan = planWith({ lo: 1.25, hi: 1.35 }, { lo: 1.28, hi: 1.40 });
  // Overlap 0.07 before; 19.7M shrinks it by 0.02, 46.4M (recommended-short) by 0.03 at over 1.5× the GPU-hours; the rest not at all.
  const w = fakeRefitter(keep, {
    'recommended-short': [1.25, 1.32, 1.28, 1.40],
    'next-best-short': keep,
    'size-d768-L6': [1.25, 1.33, 1.28, 1.40],
    'size-d1280-L10': keep,
    'size-d1536-L12': keep,
    '46M-steps-x2': [1.25, 1.36, 1.28, 1.40],
  });
  const t = tellApart(plan, w, { runs });
  const hours = Object.fromEntries(t.rows.map((r) => [r.ranked.candidate.id, r.ranked.gpuHours!]));
  assert.ok(hours['recommended-short'] / hours['size-d768-L6'] > 1.5, JSON.stringify(hours));
  assert.equal(t.separates, false);
  assert.equal(t.pick!.ranked.candidate.id, 'size-d768-L6');
  assert.ok(Math.abs(t.pick!.overlap - 0.05) < 1e-12);
  const text = tellApartSentences(t, gpu.name);
  assert.equal(text[0], 'Cheapest run that would tell them apart: none of the 6 candidates separates them alone.');
  assert.match(text[1], /^The one that shrinks their overlap most per GPU-hour: size-d768-L6: /);
  // recommended-short leaves the least overlap (0.04), at a higher price: named beside it.
  assert.equal(t.closest!.ranked.candidate.id, 'recommended-short');
  assert.match(text[3], /^The one that comes closest, at any price: recommended-short: .*, leaving them overlapping by 0\.040 BPC\.$/);
});

test('no overlap: no run is needed, and nothing is refitted', () => {
  const plan = planWith({ lo: 1.29, hi: 1.31 }, { lo: 1.315, hi: 1.33 });
  assert.equal(plan.overlap, false);
  const w = fakeRefitter(keep, {});
  const t = tellApart(plan, w, { runs });
  assert.equal(t.needed, false);
  assert.equal(t.pick, null);
  assert.equal(w.calls, 0);
  assert.deepEqual(tellApartSentences(t, gpu.name), ['Cheapest run that would tell them apart: none needed — their ranges do not overlap: no run is needed.']);
});

test('overlapWidth: the common part of two ranges, negative for a gap', () => {
  assert.ok(Math.abs(overlapWidth({ lo: 1, hi: 2 }, { lo: 1.5, hi: 3 }) - 0.5) < 1e-12);
  assert.ok(Math.abs(overlapWidth({ lo: 1, hi: 2 }, { lo: 2.25, hi: 3 }) - -0.25) < 1e-12);
  assert.equal(overlapWidth({ lo: 1, hi: 2 }, { lo: 2, hi: 3 }), 0);
});

test('on the seed runs (12 h on one A100 40GB): each row\'s ranges are what a refit of the whole table with that run added gives; a measured run is no candidate', () => {
  const all = seedRuns();
  const suite = fitRunTable(all);
  const calibration = calibrateFromRuns(all);
  const dataset = 'GLM-Reasoning';
  const plan = planTraining({
    gpu: requireGpu('a100-40gb'), gpus: 1, budget: { kind: 'hours', hours: 12 }, shapes: planShapes(BITLM_V57_FAMILY, 256),
    batchSizes: lawBatchSizes(suite, dataset, 256), predict: runTablePredictor(suite, dataset, 256), calibration, measured: measuredRanges(all, dataset),
  });
  assert.equal(plan.overlap, true);
  const t = tellApart(plan, new WhatIf(all, suite, dataset), { runs: all, seqLen: 256, calibration });
  assert.equal(t.needed, true);
  const ids = t.rows.map((r) => r.ranked.candidate.id);
  assert.equal(new Set(ids).size, ids.length);
  // glm_50M_bs256_hlr is 46.4M at 15K steps, bs 256: that candidate would repeat it, so none is.
  assert.ok(t.rows.every((r) => !(r.ranked.params === 46_399_488 && r.ranked.candidate.steps === 15000 && r.ranked.candidate.batchSize === 256)));
  // The refit of every dataset's runs (not the dataset's alone, as WhatIf does) gives the same ranges.
  const row = t.rows.find((r) => r.ranked.candidate.id === 'recommended-short')!;
  const c = row.ranked.candidate;
  const assumed = predictBpc(suite, { params: countParams(c.config), steps: c.steps, batchSize: c.batchSize, dataset, seqLen: 256 }).valBpc;
  assert.equal(row.ranked.predictedBpc, assumed);
  const refit = fitRunTable([...all, hypotheticalRun(c, dataset, assumed)], { bootstrap: { count: 400, seed: 1, level: 0.8 }, jointMinRuns: Number.MAX_SAFE_INTEGER });
  const law = plan.recommended.prediction.law === 'A fixed' ? 'fixedA' : 'free';
  const at = (x: typeof plan.recommended) => spanOf(predictBpc(refit, { params: x.params, steps: x.steps, batchSize: x.batchSize, dataset, seqLen: 256, arch: 'bitlm-v57' }, { law }));
  assert.deepEqual(row.recommended, at(plan.recommended));
  assert.deepEqual(row.nextBest, at(plan.nextBest!));
  // GPU-hours: the estimator's on the plan's GPU.
  assert.equal(row.ranked.gpuHours, planGpuTime(plan, calibration)(c).gpuHours);
  // The pick follows the rule.
  const sep = t.rows.filter((r) => r.separates && r.ranked.gpuHours !== null).sort((a, b) => a.ranked.gpuHours! - b.ranked.gpuHours!);
  if (sep.length) assert.equal(t.pick, sep[0]);
  else {
    const per = (r: (typeof t.rows)[number]) => (t.before!.overlap - r.overlap) / r.ranked.gpuHours!;
    assert.equal(t.pick, [...t.rows].filter((r) => r.overlap < t.before!.overlap).sort((a, b) => per(b) - per(a))[0]);
  }
});

test('a law file (no run table to refit): the ranges overlap, but no run is searched for, and the text says why', () => {
  const plan = planWith({ lo: 1.25, hi: 1.35 }, { lo: 1.28, hi: 1.40 });
  const t = tellApart(plan, null, { runs: [] });
  assert.equal(t.needed, true);
  assert.equal(t.pick, null);
  assert.deepEqual(tellApartSentences(t, gpu.name), ["Cheapest run that would tell them apart: not searched — it needs the run table's laws, which a refit redoes."]);
});
