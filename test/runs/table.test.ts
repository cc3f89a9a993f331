import { test } from 'node:test';
import assert from 'node:assert/strict';
import { filterRuns, groupRuns, loadRunTable, stepFamilies, valBpcAtStep } from '../../src/runs/table.js';

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
  for (const r of runs) assert.match(r.source ?? '', /SCALING_REPORT\.md §/);
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
