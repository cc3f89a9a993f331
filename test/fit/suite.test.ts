import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fitRunTable } from '../../src/fit/suite.js';
import { predictBpc } from '../../src/fit/predict.js';
import { saturatingLoss } from '../../src/fit/saturating.js';
import { BitscaleError } from '../../src/util/errors.js';
import { SEED_RUNS, seedRuns } from './seed-runs.js';
import { fitGroupKey, fitGroups, groupRecipe, loadRunTable, recipeLabel, scalingRuns, toRunRecord } from '../../src/runs/table.js';
import { backtestGroups } from '../../src/fit/backtest.js';
import { hypotheticalRun } from '../../src/plan/what-if.js';
import type { HeaderRecord, RunRecord } from '../../src/runs/types.js';
import { sampleHeader } from '../helpers.js';
import { ladderRuns, type LadderRun } from './ladder-fixture.js';

// Its speed (46 ms here) is measured by bench/fit.ts, not asserted: timed unit tests flake on a busy machine.
test('fitRunTable on the seed runs is deterministic with 1000 resamples', () => {
  const runs = seedRuns();
  const a = fitRunTable(runs);
  const b = fitRunTable(runs);
  assert.deepEqual(a, b);
  assert.equal(a.options.bootstrap && a.options.bootstrap.count, 1000);
});

test('the suite finds the seed report’s groups: TinyStories step law, GLM 15K budget with A = 1, the TinyStories cross-recipe slope as a comparison, not a law', () => {
  const s = fitRunTable(seedRuns());
  const ts = s.stepLaws.find((f) => f.dataset === 'TinyStories')!;
  assert.equal(ts.fit!.determination, 'exact');
  assert.equal(ts.fit!.params.beta.toFixed(2), '0.49');
  const glmSteps = s.stepLaws.find((f) => f.dataset === 'GLM-Reasoning')!;
  assert.equal(glmSteps.fit, null, 'two distinct step counts: per-doubling only');
  assert.ok(Math.abs(glmSteps.perDoubling[0].perDoubling - (1.793 - 1.877)) < 1e-12);
  const glm = s.paramBudgets.find((b) => b.dataset === 'GLM-Reasoning')!;
  assert.equal(glm.matched, true);
  assert.deepEqual(glm.runIds, ['glm_5M_bs256', 'glm_14M_bs256', 'glm_50M_bs256_hlr']);
  assert.ok(Math.abs(glm.fixedA.params.alpha - 0.218) < 0.005 && Math.abs(glm.fixedA.params.B - 1.76) < 0.01);
  assert.equal(glm.free!.determination, 'exact');
  // v70 (bs 256, LR 3.2e-3) and v72 (bs 64, LR 3e-4) share only the step count: no size law through them.
  assert.equal(s.paramBudgets.filter((b) => b.dataset === 'TinyStories').length, 0);
  const tiny = s.sizeComparisons.find((c) => c.dataset === 'TinyStories')!;
  assert.deepEqual(tiny.runIds, ['v70', 'v72']);
  assert.deepEqual(tiny.recipes, ['T 256, bs 256, LR 0.0032', 'T 256, bs 64, LR 0.0003']);
  // Seed §2.2: (1.238 − 1.481) / log10(46.4/5.5) ≈ −0.26 per decade.
  assert.ok(Math.abs(tiny.slopes[0].slope - (1.238 - 1.481) / Math.log10(46_399_488 / 5.5e6)) < 1e-12);
  assert.deepEqual(s.excluded.map((e) => e.id), ['v70'], 'v70 is the only run of its recipe: in no law');
  assert.match(s.excluded[0].reason, /^another recipe than the main TinyStories one \(batch size 256 vs 64; peak LR 0\.0032 vs 0\.0003\); its recipe \(T 256, bs 256, LR 0\.0032\) has 1 run of TinyStories at 1 size and 1 step count: too few for a step family, a size law or the joint law \(7 runs\); compared across recipes only$/);
  // One joint entry per recipe: GLM bs 256 (3 runs), GLM bs 64 (3), TinyStories bs 64 (3) and bs 256 (1); none has 7 runs.
  assert.deepEqual(s.joint.map((j) => [j.dataset, j.recipe, j.runIds.length, j.mainRecipe]), [
    ['GLM-Reasoning', 'T 256, bs 256, LR 0.0006', 3, true],
    ['GLM-Reasoning', 'T 256, bs 64, LR 0.0003', 3, false],
    ['TinyStories', 'T 256, bs 64, LR 0.0003', 3, true],
    ['TinyStories', 'T 256, bs 256, LR 0.0032', 1, false],
  ]);
  assert.ok(s.joint.every((j) => j.fit === null && j.note!.includes('at least 7 runs')));
});

test('batch/LR comparison reproduces seed §2.3: −0.026 BPC at 0.64× wall-clock and 1.5× tokens', () => {
  const s = fitRunTable(seedRuns(), { bootstrap: false });
  const c = s.batchLr.find((x) => x.from.runId === 'glm_50M_a100_bf16')!;
  assert.equal(c.to.runId, 'glm_50M_bs256_hlr');
  assert.ok(Math.abs(c.deltaBpc - (1.766 - 1.792)) < 1e-12);
  assert.ok(Math.abs(c.wallClockRatio! - 69 / 108) < 1e-12);
  assert.ok(Math.abs(c.tokensRatio - (15000 * 256) / (40000 * 64)) < 1e-12);
  assert.equal(s.batchLr.filter((x) => x.wallClockRatio === null).length, 2, 'the other bs=64 runs have no wall-clock');
});

test('dataset offset reproduces seed §2.4: GLM is 0.624 BPC harder than TinyStories at 46.4M/40K/bs 64 (replicates averaged)', () => {
  const s = fitRunTable(seedRuns(), { bootstrap: false });
  const o = s.datasetOffsets.find((x) => x.steps === 40000)!;
  assert.equal(o.from.dataset, 'TinyStories');
  assert.equal(o.to.dataset, 'GLM-Reasoning');
  assert.ok(Math.abs(o.offset - ((1.794 + 1.792) / 2 - 1.169)) < 1e-12);
  assert.ok(Math.abs(s.datasetOffsets.find((x) => x.steps === 20000)!.offset - (1.877 - 1.238)) < 1e-12);
});

test('predictBpc at 369.6M/30K/bs 256 on GLM = the A = 1 law at 15K plus one doubling of the GLM per-doubling gain', () => {
  const suite = fitRunTable(seedRuns());
  const p = predictBpc(suite, { params: 369.6e6, steps: 30000, batchSize: 256, dataset: 'GLM-Reasoning' });
  const law = suite.paramBudgets.find((b) => b.dataset === 'GLM-Reasoning')!.fixedA.params;
  const expected = saturatingLoss(law, 369.6e6) + (1.793 - 1.877);
  assert.ok(Math.abs(p.valBpc - expected) < 1e-12);
  assert.equal(p.base.law, 'A fixed');
  assert.equal(p.stepAdjustment!.doublings, 1);
  assert.equal(p.interval!.level, 0.8);
  assert.ok(p.interval!.lo < p.valBpc && p.valBpc < p.interval!.hi);
  assert.ok(p.fits.some((f) => f.startsWith('saturating A fixed')) && p.fits.some((f) => f.startsWith('per-doubling')));
  assert.equal(p.alternatives[0].law, 'A free');
  assert.deepEqual(p.extrapolations.map((e) => [e.quantity, e.factor]), [['params', 369.6e6 / 46_399_488]], '369.6M is 8× the largest run; 30K steps lies inside 15K–40K');
  // The same function accepts runs directly.
  assert.ok(Math.abs(predictBpc(seedRuns(), p.query).valBpc - p.valBpc) < 1e-12);
});

test('predictBpc warns with the factor beyond the largest run and refuses a dataset without a parameter law', () => {
  const suite = fitRunTable(seedRuns(), { bootstrap: { count: 100 } });
  const far = predictBpc(suite, { params: 1e9, steps: 15000, batchSize: 256, dataset: 'glm-reasoning' });
  assert.ok(far.warnings.includes('N = 1.00B is 22× beyond the largest measured 46.4M: an extrapolation the runs do not test'), far.warnings.join('\n'));
  assert.equal(far.stepAdjustment, null);
  assert.throws(() => predictBpc(suite, { params: 1e8, steps: 1e4, batchSize: 64, dataset: 'Brown' }), BitscaleError);
});

test('adding a fourth GLM size turns the A-free law over-determined and predict uses it with an interval; the 7 GLM runs of two recipes make no joint law', () => {
  const extra = { id: 'glm_150M', dataset: 'GLM-Reasoning', params: 150e6, batchSize: 256, lr: 6e-4, steps: 15000, valBpc: 1.58 };
  const suite = fitRunTable(seedRuns([...SEED_RUNS, extra]), { bootstrap: { count: 300 } });
  const glm = suite.paramBudgets.find((b) => b.dataset === 'GLM-Reasoning' && b.matched)!;
  assert.equal(glm.free!.determination, 'over');
  const p = predictBpc(suite, { params: 369.6e6, steps: 15000, batchSize: 256, dataset: 'GLM-Reasoning' });
  assert.equal(p.base.law, 'A free');
  assert.ok(p.interval !== null);
  // Seven GLM runs, but 4 at bs 256 / LR 6e-4 and 3 at bs 64 / LR 3e-4: no recipe has the joint law's 7.
  const joint = suite.joint.filter((j) => j.dataset === 'GLM-Reasoning');
  assert.deepEqual(joint.map((j) => [j.runIds.length, j.fit]), [[4, null], [3, null]]);
  assert.ok(!p.alternatives.some((a) => a.law === 'joint'));
});

test('with --borrow-gains, per-doubling gains measured far from the move (a small CPU study at 250–1000 steps) leave the GLM 15K → 30K interval unchanged', () => {
  const query = { params: 369.6e6, steps: 30000, batchSize: 256, dataset: 'GLM-Reasoning' };
  const base = predictBpc(seedRuns(), query, { borrowGains: true });
  const cpu = seedRuns([250, 500, 1000].map((steps, i) => ({ id: `cpu${steps}`, dataset: 'brown', params: 213_000, batchSize: 16, lr: 3e-3, steps, valBpc: [3.448, 3.409, 3.382][i] })));
  const mixed = predictBpc([...seedRuns(), ...cpu], query, { borrowGains: true });
  assert.deepEqual(mixed.interval, base.interval);
  assert.deepEqual(mixed.stepAdjustment?.intervalPool, base.stepAdjustment?.intervalPool);
  assert.equal(base.stepAdjustment?.intervalPool.length, 3);
});

test('lawDatasets fits the parameter and joint laws of the named datasets only, the same fits as in the whole suite; predict fits only its own', () => {
  const runs = scalingRuns(loadRunTable(new URL('../../runs/', import.meta.url).pathname));
  const fit = { bootstrap: { count: 20, seed: 3 } };
  const all = fitRunTable(runs, fit);
  assert.ok(new Set(all.paramBudgets.map((b) => b.dataset)).size >= 2 && all.joint.length >= 2, 'the shipped runs have laws on more than one dataset');
  const brown = fitRunTable(runs, { ...fit, lawDatasets: ['BROWN'] });
  assert.deepEqual(brown.joint, all.joint.filter((j) => j.dataset === 'brown'));
  assert.deepEqual(brown.paramBudgets, all.paramBudgets.filter((b) => b.dataset === 'brown'));
  assert.ok(brown.joint[0].fit, 'brown has a joint law');
  assert.deepEqual(brown.stepLaws, all.stepLaws);
  for (const query of [{ params: 2e6, steps: 1000, batchSize: 16, dataset: 'brown' }, { params: 369.6e6, steps: 30000, batchSize: 256, dataset: 'GLM-Reasoning' }]) {
    const p = predictBpc(runs, query, { fit });
    assert.deepEqual(p, predictBpc(all, query), query.dataset);
    // The Brown ladder's joint law (α ≈ 0.15, 15 runs) is not flagged: predict offers it beside the size law.
    if (query.dataset === 'brown') assert.ok(p.alternatives.some((a) => a.law === 'joint') && !p.notUsed.some((n) => n.law === 'joint'), JSON.stringify(p.notUsed));
  }
  // The refusal still names every dataset that has a parameter law.
  const refusal = (input: typeof runs | typeof all) => {
    try {
      predictBpc(input, { params: 1e8, steps: 1e4, batchSize: 64, dataset: 'nope' }, { fit });
    } catch (err) {
      return (err as Error).message;
    }
    return 'no error';
  };
  assert.equal(refusal(runs), refusal(all));
  assert.match(refusal(runs), /datasets with one: .*brown/);
});

test('a prediction uses only its own group by default: GLM\'s one doubling, said in the assumptions; --borrow-gains borrows TinyStories\' and says so', () => {
  const query = { params: 369.6e6, steps: 30000, batchSize: 256, dataset: 'GLM-Reasoning' };
  const own = predictBpc(seedRuns(), query);
  // GLM's one doubling: 20K → 40K at 46.4M, bs 64: 1.877 → (1.794 + 1.792)/2 … its per-doubling ΔBPC.
  assert.equal(own.stepAdjustment?.intervalPool.length, 1);
  assert.deepEqual(own.borrowing, []);
  assert.ok(own.assumptions.some((a) => /GLM-Reasoning has 1 measured doubling of steps, so the interval has no spread of gains to draw from/.test(a)));
  assert.doesNotMatch(own.method, /borrowed/);
  const lent = predictBpc(seedRuns(), query, { borrowGains: true });
  assert.equal(lent.valBpc, own.valBpc, 'the mean gain is GLM\'s own either way');
  assert.deepEqual(lent.borrowing, [{ what: 'gain spread', groups: ['dataset=TinyStories|arch=bitlm-v57|family=bitlm|token=byte|loss=bits per byte'], values: 3 }]);
  assert.match(lent.method, /\(gain spread borrowed from TinyStories \(bitlm-v57, bits per byte\)\)$/);
  assert.equal(lent.stepAdjustment?.intervalPool.length, 3);
});

test('a dataset with no step family of its own is refused a step move unless borrowing is asked for', () => {
  const runs = seedRuns().filter((r) => !(r.dataset === 'GLM-Reasoning' && r.batchSize === 64));
  const query = { params: 369.6e6, steps: 30000, batchSize: 256, dataset: 'GLM-Reasoning' };
  assert.throws(() => predictBpc(runs, query), /no step family with two step counts in GLM-Reasoning \(bitlm-v57, bits per byte\) to move from 15000 to 30000 steps; --borrow-gains would use 2 doubling\(s\) of other groups \(TinyStories \(bitlm-v57, bits per byte\)\)/);
  const p = predictBpc(runs, query, { borrowGains: true });
  assert.equal(p.stepAdjustment?.borrowed, true);
  assert.deepEqual(p.borrowing.map((b) => b.what), ['step gain']);
  assert.ok(p.warnings.some((w) => /borrowed from other groups \(TinyStories/.test(w)));
});

test('dataset offsets compare only runs of one loss unit: a per-token twin of a GLM run gives no offset against TinyStories', () => {
  const runs = seedRuns();
  const glm = runs.find((r) => r.id === 'glm_50M_40K')!;
  const twin = { ...glm, id: 'glm-tok', dataset: 'GLM-tokens', tokenUnit: 'token' as const, tokenizer: 'gpt2', lossPer: 'token' as const, lossUnit: 'bits per token (gpt2)' };
  const offsets = fitRunTable([...runs, twin], { bootstrap: false }).datasetOffsets;
  assert.ok(offsets.length > 0);
  assert.ok(offsets.every((o) => o.from.dataset !== 'GLM-tokens' && o.to.dataset !== 'GLM-tokens'), JSON.stringify(offsets.map((o) => [o.from.dataset, o.to.dataset])));
  assert.deepEqual(offsets, fitRunTable(runs, { bootstrap: false }).datasetOffsets);
});

test('a dataset with runs of two architectures: predict uses BitLMv57 unless --arch names the other, and never mixes them', () => {
  const query = { params: 369.6e6, steps: 15000, batchSize: 256, dataset: 'GLM-Reasoning' };
  const own = predictBpc(seedRuns(), query, { fit: { bootstrap: false } });
  const gpt = seedRuns().filter((r) => r.dataset === 'GLM-Reasoning' && r.batchSize === 256).map((r) => ({ ...r, id: `gpt-${r.id}`, arch: 'gpt2', finalValBpc: r.finalValBpc - 0.3 }));
  const both = [...seedRuns(), ...gpt];
  assert.deepEqual(predictBpc(both, query, { fit: { bootstrap: false } }), own);
  const other = predictBpc(both, { ...query, arch: 'gpt2' }, { fit: { bootstrap: false } });
  assert.match(other.base.budget, /arch=gpt2/);
  assert.ok(other.base.valBpc < own.base.valBpc);
  assert.ok(other.assumptions.some((a) => a.includes('(3 runs: gpt-glm_5M_bs256, gpt-glm_14M_bs256, gpt-glm_50M_bs256_hlr)')), other.assumptions.join('\n'));
});

// ---------------------------------------------------------------------------------------------
// A fit group is one recipe (issue 25, item 1)

/** A completed run record of the synthetic ladder (brown, T 128, bs 16, LR 3e-3 cosine, warmup 25), with header overrides. */
function ladderRecord(r: LadderRun, header: Partial<HeaderRecord> = {}): RunRecord {
  const h = sampleHeader({ run_id: r.id, params: r.params, batch_size: r.batchSize, seq_len: r.seqLen, planned_steps: r.steps, lr: { peak: 3e-3, schedule: 'cosine', warmup_steps: 25, final: 0 }, ...header });
  const tokens = r.steps * h.batch_size * h.seq_len;
  return toRunRecord({ header: h, steps: [], evals: [{ type: 'eval', step: r.steps, tokens, val_bpc: r.loss }], summary: { type: 'summary', status: 'completed', steps: r.steps, tokens, final_val_bpc: r.loss, wall_s: null } }, `ladder/${r.id}.jsonl`)!;
}

/** The laws of the main recipe, as JSON: what a stray run must leave byte-identical. */
const mainLaws = (s: ReturnType<typeof fitRunTable>) => JSON.stringify({ steps: s.stepLaws.filter((f) => f.mainRecipe), params: s.paramBudgets.filter((b) => b.mainRecipe), joint: s.joint.filter((j) => j.mainRecipe) });

test('a stray run of another seq_len, LR or batch size leaves the main recipe\'s laws byte-identical and is listed with how its recipe differs', () => {
  const ladder = ladderRuns(0.01, 3);
  const runs = ladder.map((r) => ladderRecord(r));
  const options = { bootstrap: { count: 40, seed: 1, level: 0.8 } };
  const base = fitRunTable(runs, options);
  assert.ok(base.joint[0].fit && base.joint[0].fit.n === 15, 'the ladder alone has its joint law');
  assert.deepEqual(base.excluded, []);
  // Each stray sits at a ladder size and budget, 0.3 bits below the law: of the ladder's own recipe, it moves its laws.
  const at = ladder[4];
  assert.notEqual(mainLaws(fitRunTable([...runs, ladderRecord({ ...at, id: 'same-recipe', loss: at.loss - 0.3 }, { run_id: 'same-recipe' })], options)), mainLaws(base));
  const strays: [string, Partial<HeaderRecord>, RegExp][] = [
    ['stray-T64', { seq_len: 64 }, /\(seq_len 64 vs 128\)/],
    ['stray-lr', { lr: { peak: 4e-3, schedule: 'cosine', warmup_steps: 25, final: 0 } }, /\(peak LR 0\.004 vs 0\.003\)/],
    ['stray-bs32', { batch_size: 32 }, /\(batch size 32 vs 16\)/],
    ['stray-warmup', { lr: { peak: 3e-3, schedule: 'cosine', warmup_steps: 100, final: 0 } }, /\(warmup 100 steps vs 25 steps\)/],
  ];
  for (const [id, header, why] of strays) {
    const stray = ladderRecord({ ...at, id, loss: at.loss - 0.3 }, { run_id: id, ...header });
    const withStray = fitRunTable([...runs, stray], options);
    assert.equal(mainLaws(withStray), mainLaws(base), id);
    assert.deepEqual(withStray.excluded.map((e) => e.id), [id]);
    assert.match(withStray.excluded[0].reason, why);
    assert.match(withStray.excluded[0].reason, /^another recipe than the main brown one .*has 1 run of brown at 1 size and 1 step count: too few for a step family, a size law or the joint law \(7 runs\)$/);
  }
});

test('the smoke-run scenario: a tiny run (T 64, LR 4e-3, warmup 40) beside a 5-size ladder neither enters nor moves its joint law or its backtest (4 sizes, 12 runs fitted)', () => {
  const ladder = ladderRuns(0.01, 3);
  const runs = ladder.map((r) => ladderRecord(r));
  // As `train --preset tiny`: 400 steps at T 64, LR 4e-3, warmup 40, at a size between the ladder's; its loss well off the law.
  const sizes = [...new Set(ladder.map((r) => r.params))].sort((a, b) => a - b);
  const tiny = ladderRecord({ id: 'tiny-s400-seed0', params: Math.round((sizes[1] + sizes[2]) / 2), steps: 400, batchSize: 16, seqLen: 64, tokens: 400 * 16 * 64, loss: 3.59 }, { run_id: 'tiny-s400-seed0', seq_len: 64, lr: { peak: 4e-3, schedule: 'cosine', warmup_steps: 40, final: 0 } });
  const options = { bootstrap: false as const };
  const before = fitRunTable(runs, options);
  const after = fitRunTable([...runs, tiny], options);
  assert.equal(mainLaws(after), mainLaws(before));
  const tinyJoint = after.joint.find((j) => !j.mainRecipe)!;
  assert.deepEqual(tinyJoint.runIds, ['tiny-s400-seed0']);
  assert.equal(tinyJoint.fit, null);
  assert.equal(tinyJoint.recipe, 'T 64, bs 16, LR 0.004 cosine, warmup 40 steps, final LR 0');
  assert.match(after.excluded.find((e) => e.id === 'tiny-s400-seed0')!.reason, /\(seq_len 64 vs 128; peak LR 0\.004 vs 0\.003; warmup 40 steps vs 25 steps\)/);
  const [main, other] = backtestGroups([...runs, tiny]);
  assert.deepEqual(JSON.stringify(main.backtest), JSON.stringify(backtestGroups(runs)[0].backtest));
  assert.equal(main.backtest!.fitted.sizes.length, 4);
  assert.equal(main.backtest!.fitted.runIds.length, 12);
  assert.ok(!main.backtest!.fitted.runIds.includes('tiny-s400-seed0'));
  assert.equal(other.backtest, null);
  assert.equal(other.recipe, tinyJoint.recipe);
  assert.match(other.refusal!, /1 run at 1 size\(s\)/);
});

test('the recipe is what the log records: an unknown schedule field joins the one value the runs of its T, bs and peak LR record, and stays apart where they record two', () => {
  const [r, r2, r3] = ladderRuns(0, 1);
  const bare = ladderRecord(r, { lr: { peak: 3e-3 } as HeaderRecord['lr'] });
  assert.deepEqual([bare.lrSchedule, bare.warmupSteps, bare.lrFinal], ['unknown', null, null]);
  assert.notEqual(fitGroupKey(bare), fitGroupKey(ladderRecord(r)), 'as recorded, the two differ');
  const withOne = fitGroups([bare, ladderRecord(r2), ladderRecord(r3)]);
  assert.equal(withOne.size, 1, 'one recorded schedule (cosine, warmup 25, final 0): the bare run joins it');
  assert.equal(recipeLabel(groupRecipe([...withOne.values()][0])), 'T 128, bs 16, LR 0.003 cosine, warmup 25 steps, final LR 0');
  const withTwo = fitGroups([bare, ladderRecord(r2), ladderRecord(r3, { lr: { peak: 3e-3, schedule: 'cosine', warmup_steps: 100, final: 0 } })]);
  assert.deepEqual([...withTwo.values()].map((g) => g.map((x) => x.id)).sort(), [[r.id], [r2.id], [r3.id]].sort(), 'warmup 25 or 100: the bare run cannot tell, and stays apart');
  assert.equal(fitGroups(seedRuns()).size, 4, 'the seed runs record no schedule: grouped by T, bs and LR alone');
});

test('a what-if candidate (schedule unknown) joins the laws of the runs of its batch size, LR and T, which record one schedule', () => {
  const runs = ladderRuns(0, 1).map((r) => ladderRecord(r));
  const candidate = { id: 'c', why: 'test', config: { d: 128, layers: 2, heads: 4, dFf: 64, seqLen: 128, vocab: 128 }, batchSize: 16, lr: 3e-3, steps: 500 };
  const twin = hypotheticalRun(candidate, 'brown', 3.5);
  assert.equal(twin.lrSchedule, 'unknown');
  const refit = fitRunTable([...runs, twin], { bootstrap: false });
  assert.ok(refit.paramBudgets.some((b) => b.steps === 500 && b.mainRecipe && b.runIds.includes(twin.id)));
  assert.deepEqual(refit.excluded, []);
});
