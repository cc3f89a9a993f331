import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analysisGroupKey, analysisGroups, filterRuns, notScalingRuns, scalingRuns, fitGroupKey, fitGroups, groupRuns, loadRunTable, mainFitGroup, recipeDifference, recipeLabel, requireOneLossUnit, stepFamilies, toRunRecord, valBpcAtStep } from '../../src/runs/table.js';
import type { HeaderRecord, RunRecord } from '../../src/runs/types.js';
import { foreignHeader, sampleHeader } from '../helpers.js';

const runsDir = new URL('../../runs/', import.meta.url).pathname;
const seed = () => filterRuns(loadRunTable(runsDir), { collection: 'seed' });

test('the seed table holds the ten measured runs of the hand-written report with their stated values', () => {
  const runs = seed();
  const byId = Object.fromEntries(runs.map((r) => [r.id, r]));
  assert.deepEqual(Object.keys(byId).sort(), ['glm_14M_bs256', 'glm_50M', 'glm_50M_40K', 'glm_50M_a100_bf16', 'glm_50M_bs256_hlr', 'glm_5M_bs256', 'v70', 'v71', 'v72', 'v73']);
  assert.equal(byId.v73.finalValBpc, 1.169);
  assert.equal(byId.glm_50M_bs256_hlr.finalValBpc, 1.766);
  assert.equal(byId.glm_5M_bs256.finalValBpc, 2.213);
  // Exact counts from the spec formula where the config is known; the report's own figure kept.
  assert.equal(byId.v71.params, 46_399_488);
  assert.equal(byId.glm_50M_bs256_hlr.paramsReported, '46.45M');
  assert.equal(byId.glm_14M_bs256.params, 13_680_640);
  assert.equal(byId.glm_14M_bs256.paramsReported, '13.70M');
  assert.equal(byId.glm_5M_bs256.params, 5_520_000);
  assert.equal(byId.v70.params, 5_500_000);
  assert.equal(byId.glm_50M_a100_bf16.wallSeconds, 108 * 60);
  assert.equal(byId.glm_50M_bs256_hlr.wallSeconds, 69 * 60);
  for (const r of runs) assert.match(r.source ?? '', /^hand-written seed scaling report §/);
});

test('tokens = steps × bs × T: 40K × 64 × 256 = 655,360,000 and 15K × 256 × 256 = 983,040,000 (seed §2.3)', () => {
  const byId = Object.fromEntries(seed().map((r) => [r.id, r]));
  assert.equal(byId.glm_50M_a100_bf16.tokens, 655_360_000);
  assert.equal(byId.glm_50M_bs256_hlr.tokens, 983_040_000);
});

test('grouping: two datasets; step families hold the 10K/20K/40K TinyStories runs and the GLM bs=64 runs', () => {
  const runs = seed();
  const byDataset = groupRuns(runs, ['dataset']);
  assert.deepEqual([...byDataset.keys()], ['dataset=GLM-Reasoning', 'dataset=TinyStories']);
  assert.equal(byDataset.get('dataset=GLM-Reasoning')!.length, 6);
  const families = stepFamilies(runs);
  const ts = families.get('dataset=TinyStories|arch=bitlm-v57|params=46399488|batchSize=64|lr=0.0003')!;
  assert.deepEqual(ts.map((r) => r.steps), [10000, 20000, 40000]);
  const glm = families.get('dataset=GLM-Reasoning|arch=bitlm-v57|params=46399488|batchSize=64|lr=0.0003')!;
  assert.deepEqual(glm.map((r) => r.id), ['glm_50M', 'glm_50M_40K', 'glm_50M_a100_bf16']);
  const budget = groupRuns(filterRuns(runs, { dataset: 'glm-reasoning' }), ['batchSize', 'lr', 'steps']).get('batchSize=256|lr=0.0006|steps=15000')!;
  assert.deepEqual(budget.map((r) => r.params), [5_520_000, 13_680_640, 46_399_488]);
});

test('valBpcAtStep reads the last validation point at or before a step', () => {
  const v73 = seed().find((r) => r.id === 'v73')!;
  assert.equal(valBpcAtStep(v73, 40000), 1.169);
  assert.equal(valBpcAtStep(v73, 39999), null);
});

test('a run carries its token unit and loss unit in words; nats and bytes_per_token are applied', () => {
  const mk = (h: HeaderRecord, valBpc: number) => toRunRecord({ header: h, steps: [], evals: [{ type: 'eval', step: 100, tokens: 0, val_bpc: valBpc }], summary: null }, 'x/a.jsonl')!;
  const perToken = mk(foreignHeader(), 3 * Math.LN2);
  assert.equal(perToken.tokenUnit, 'token');
  assert.equal(perToken.tokenizer, 'gpt2');
  assert.equal(perToken.lossUnit, 'bits per token (gpt2)');
  assert.ok(Math.abs(perToken.finalValBpc - 3) < 1e-12, 'nats → bits');
  const converted = mk(foreignHeader({ loss_unit: 'bits', bytes_per_token: 4 }), 0.75);
  assert.equal(converted.lossPer, 'byte');
  assert.equal(converted.bytesPerToken, 4);
  assert.equal(converted.lossUnit, 'bits per byte');
  const chars = mk(foreignHeader({ dataset: { name: 'enwik8', bytes: null, sha256: null, token_unit: 'char' } }), 1);
  assert.equal(chars.lossUnit, 'bits per char');
  const bitlm = seed()[0];
  assert.equal(bitlm.tokenUnit, 'byte');
  assert.equal(bitlm.tokenizer, null);
  assert.equal(bitlm.lossUnit, 'bits per byte');
});

test('analysis groups split by dataset, architecture, token unit (with tokenizer) and loss unit', () => {
  const base = { dataset: 'c4', arch: 'gpt2', tokenUnit: 'token' as const, tokenizer: 'gpt2', lossUnit: 'bits per token (gpt2)' };
  const key = analysisGroupKey(base);
  assert.equal(key, 'dataset=c4|arch=gpt2|family=foreign|token=token:gpt2|loss=bits per token (gpt2)');
  assert.notEqual(analysisGroupKey({ ...base, dataset: 'pile' }), key);
  assert.notEqual(analysisGroupKey({ ...base, arch: 'olmo2' }), key);
  assert.notEqual(analysisGroupKey({ ...base, tokenizer: 'olmo2', lossUnit: 'bits per token (olmo2)' }), key);
  assert.notEqual(analysisGroupKey({ ...base, lossUnit: 'bits per byte' }), key);
  const groups = analysisGroups(loadRunTable(runsDir));
  assert.deepEqual([...groups.keys()], [
    'dataset=GLM-Reasoning|arch=bitlm-v57|family=bitlm|token=byte|loss=bits per byte',
    'dataset=TinyStories|arch=bitlm-v57|family=bitlm|token=byte|loss=bits per byte',
    'dataset=brown|arch=bitlm-v52|family=bitlm|token=byte|loss=bits per byte',
    'dataset=brown|arch=bitlm-v57|family=bitlm|token=byte|loss=bits per byte',
    'dataset=brown|arch=float-v52|family=bitlm|token=byte|loss=bits per byte',
  ]);
});

test('a fit or chart over mixed loss units is refused, naming the runs of each unit', () => {
  const runs = [
    { id: 'a', lossUnit: 'bits per byte' },
    { id: 'b', lossUnit: 'bits per token (gpt2)' },
    { id: 'c', lossUnit: 'bits per byte' },
  ];
  assert.throws(() => requireOneLossUnit(runs, 'the step law'), /^Error: the step law would mix loss units \(bits per byte: a, c; bits per token \(gpt2\): b\); fit each unit apart$|the step law would mix loss units \(bits per byte: a, c; bits per token \(gpt2\): b\)/);
  assert.equal(requireOneLossUnit([runs[1]], 'x'), 'bits per token (gpt2)');
});

test('fit groups split an analysis group by recipe: T, batch size and the LR schedule the log records (peak, shape, warmup, final), not by step budget', () => {
  const run = (id: string, h: Partial<HeaderRecord>) => toRunRecord({ header: sampleHeader({ run_id: id, ...h }), steps: [], evals: [{ type: 'eval', step: 100, tokens: 25600, val_bpc: 3 }], summary: null }, `x/${id}.jsonl`)!;
  const cosine = { peak: 1e-3, schedule: 'cosine' as const, warmup_steps: 10, final: 0 };
  const runs = [
    run('a', { planned_steps: 100 }),
    run('b', { planned_steps: 400 }),
    run('c', { params: 2 * (4 * 32 * 32 + 3 * 32 * 16) + 2 * 128 * 32, config: { d: 32, layers: 2, heads: 4, d_ff: 16, seq_len: 32, vocab: 128 } }),
    run('t64', { seq_len: 64 }),
    run('warm', { lr: { ...cosine, warmup_steps: 50 } }),
  ];
  const groups = fitGroups(runs);
  assert.equal(groups.size, 3);
  assert.equal(new Set(runs.map(analysisGroupKey)).size, 1, 'one analysis group');
  assert.deepEqual(groups.get(fitGroupKey(runs[0]))!.map((r) => r.id), ['c', 'a', 'b'], 'two budgets and two sizes of one recipe');
  assert.equal(mainFitGroup(groups), fitGroupKey(runs[0]));
  assert.equal(recipeLabel(runs[0]), 'T 32, bs 8, LR 0.001 cosine, warmup 10 steps, final LR 0');
  assert.equal(recipeDifference(runs[3], runs[0]), 'seq_len 64 vs 32');
  assert.equal(recipeDifference(runs[4], runs[0]), 'warmup 50 steps vs 10 steps');
  assert.equal(recipeDifference(runs[1], runs[0]), '');
});

test('the main recipe is the one with the most runs, then the most sizes', () => {
  const run = (id: string, bs: number, params: number) => ({ id, params, batchSize: bs }) as RunRecord;
  const groups = new Map([
    ['bs64', [run('a', 64, 1), run('b', 64, 1), run('c', 64, 1)]],
    ['bs256', [run('d', 256, 1), run('e', 256, 2), run('f', 256, 3)]],
    ['bs16', [run('g', 16, 1), run('h', 16, 2)]],
  ]);
  assert.equal(mainFitGroup(groups), 'bs256', 'three runs each: three sizes beat one');
  assert.equal(mainFitGroup(new Map()), null);
});

test('a shape-ablation run (v57 with d_ff = 2·d) is left out of the scaling fits, with a reason naming its d_ff ratio; float-v52 runs form their own analysis group', () => {
  const run = (id: string, h: Partial<HeaderRecord>) => toRunRecord({ header: sampleHeader({ run_id: id, ...h }), steps: [], evals: [{ type: 'eval', step: 100, tokens: 25600, val_bpc: 3 }], summary: null }, `x/${id}.jsonl`)!;
  const ff2 = run('ff2', { purpose: 'shape-ablation', config: { d: 64, layers: 2, heads: 4, d_ff: 128, seq_len: 32, vocab: 128 }, params: 2 * (4 * 64 * 64 + 3 * 64 * 128) + 2 * 128 * 64 });
  const main = run('main', {});
  const float = run('float', { arch: 'float-v52' });
  assert.deepEqual(scalingRuns([ff2, main, float]).map((r) => r.id), ['main', 'float']);
  assert.deepEqual(notScalingRuns([ff2, main]), [{ id: 'ff2', reason: 'purpose shape-ablation: bitlm-v57 with another shape ratio than its main ladder (d_ff = 2·d), kept out of its scaling fits; family comparisons use it' }]);
  assert.notEqual(analysisGroupKey(float), analysisGroupKey(main));
});
