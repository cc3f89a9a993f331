import { test } from 'node:test';
import assert from 'node:assert/strict';
import { countParams } from '../../src/arch/bitlm.js';
import { expandGrid, readGrid } from '../../src/train/sweep.js';

const ladder = expandGrid(readGrid('sweeps/brown-ladder.json'), 'sweeps/brown-ladder.json');
const ladderShapes = new Set(ladder.map((r) => `${r.config.model.d}|${r.config.model.layers}|${r.config.model.heads}|${r.config.model.seqLen}`));
const recipe = (c: (typeof ladder)[number]['config']) => ({ batchSize: c.batchSize, lr: c.lr, warmup: c.warmup, evalWindows: c.evalWindows, seed: c.seed, seqLen: c.model.seqLen, ste: c.ste, initStd: c.initStd, weightDecay: c.weightDecay });

for (const [name, arch, ffRatio, purpose] of [
  ['brown-family-v52', 'bitlm-v52', 0.5, undefined],
  ['brown-family-float', 'float-v52', 0.5, undefined],
  ['brown-family-ff2', 'bitlm-v57', 2, 'shape-ablation'],
] as const) {
  test(`${name}: ${arch} at the v57 ladder's shapes and recipe (d_ff = ${ffRatio}·d), ≥ 4 sizes over ≥ 16× in parameters, ≥ 2 budgets of {280, 560, 1120} each, purpose ${purpose ?? 'scaling'}`, () => {
    const grid = readGrid(`sweeps/${name}.json`);
    assert.equal(grid.out, `runs/${name}`);
    const runs = expandGrid(grid, `sweeps/${name}.json`);
    const budgets = new Map<number, number[]>();
    for (const r of runs) {
      const m = r.config.model;
      assert.equal(r.config.arch, arch, r.runId);
      assert.equal(r.config.purpose, purpose, r.runId);
      assert.equal(m.dFf, ffRatio * m.d, r.runId);
      assert.ok(ladderShapes.has(`${m.d}|${m.layers}|${m.heads}|${m.seqLen}`), `${r.runId}: a shape of the v57 ladder`);
      assert.deepEqual(recipe(r.config), recipe(ladder[0].config), r.runId);
      assert.ok([280, 560, 1120].includes(r.config.steps), r.runId);
      budgets.set(countParams(m), [...(budgets.get(countParams(m)) ?? []), r.config.steps]);
    }
    const sizes = [...budgets.keys()].sort((a, b) => a - b);
    assert.ok(sizes.length >= 4, `${sizes.length} sizes`);
    assert.ok(sizes[sizes.length - 1] / sizes[0] >= 16, `span ${sizes[sizes.length - 1] / sizes[0]}×`);
    for (const [n, b] of budgets) assert.ok(new Set(b).size >= 2, `${n} params: budgets ${b}`);
  });
}
