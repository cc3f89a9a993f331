import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadBrownCorpus, trainingSubset } from '../../src/data/corpus.js';
import { expandGrid, readGrid } from '../../src/train/sweep.js';

test('the shipped repetition grid: 3 sizes × 3 subsets, each from ≤ 4 to ≥ 32 passes at powers of two, every run past its warmup', () => {
  const grid = readGrid('sweeps/brown-repetition.json');
  const runs = expandGrid(grid, 'sweeps/brown-repetition.json');
  const brown = loadBrownCorpus();
  const bytes = new Map<number, number>();
  const passesBy = new Map<string, number[]>();
  for (const r of runs) {
    const f = r.config.trainSubset!;
    if (!bytes.has(f)) bytes.set(f, trainingSubset(brown, f).valStart);
    const passes = (r.config.steps * r.config.batchSize * r.config.model.seqLen) / bytes.get(f)!;
    // steps = ⌈p·U/2048⌉: at least p passes, less than one step over.
    const p = 2 ** Math.floor(Math.log2(passes));
    assert.ok(passes >= p && passes - p < 2048 / bytes.get(f)!, `${r.runId}: ${passes} passes`);
    assert.ok(r.config.steps > r.config.warmup, `${r.runId}: ${r.config.steps} steps`);
    assert.equal(r.config.purpose, 'repetition');
    const key = `d${r.config.model.d}|${f}`;
    passesBy.set(key, [...(passesBy.get(key) ?? []), p]);
  }
  assert.deepEqual([...new Set(runs.map((r) => r.config.model.d))].sort((a, b) => a - b), [32, 48, 80]);
  assert.deepEqual([...bytes.keys()].sort((a, b) => a - b), [1 / 256, 1 / 128, 1 / 64]);
  for (const [key, ps] of passesBy) {
    assert.ok(Math.min(...ps) <= 4 && ps.filter((p) => p <= 4).length >= 1, `${key}: ${ps}`);
    assert.ok(Math.max(...ps) >= 32, `${key}: ${ps}`);
  }
});
