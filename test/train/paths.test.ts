/** Where train and sweep may write: a run id never leads out of its folder (issue 9, item 10). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkpointPathFor, logPathFor } from '../../src/train/trainer.js';
import { expandGrid, runState, type SweepGrid } from '../../src/train/sweep.js';

test('train: a run id that leads out of the log or checkpoint folder is refused before anything is built', () => {
  const base = mkdtempSync(join(tmpdir(), 'bitscale-train-paths-'));
  const runs = join(base, 'runs');
  mkdirSync(runs);
  assert.equal(logPathFor(runs, 'ok-run'), join(runs, 'ok-run.jsonl'));
  assert.throws(() => logPathFor(runs, '../../evil'), /run id: '\.\.\/\.\.\/evil\.jsonl' leads outside/);
  assert.throws(() => checkpointPathFor(join(base, 'ckpt'), '../evil'), /run id: '\.\.\/evil\.ckpt' leads outside/);
  // A log that is a symlink to a file elsewhere is not written through.
  writeFileSync(join(base, 'elsewhere.jsonl'), '');
  symlinkSync(join(base, 'elsewhere.jsonl'), join(runs, 'linked.jsonl'));
  assert.throws(() => logPathFor(runs, 'linked'), /through a symlink/);
});

test('sweep: a model name that would give a run id with a path in it is refused, naming the grid field', () => {
  const grid: SweepGrid = { name: 'g', out: 'unused', base: { preset: 'small' }, models: [{ name: 'a' }, { name: '/../../../evil' }], steps: [100], seeds: [0] };
  assert.throws(() => expandGrid(grid, 'grid.json'), /grid\.json: field 'models\[1\]\.name': gives the run id 'g-\/\.\.\/\.\.\/\.\.\/evil-s100'/);
  assert.throws(() => runState(mkdtempSync(join(tmpdir(), 'bitscale-sweep-')), '../x'), /leads outside/);
});

test('train writes into a collection of its own by default (runs/local/), so a smoke test never joins a shipped collection; --out and a resumed log\'s folder win', async () => {
  const { trainOutDir, DEFAULT_TRAIN_COLLECTION } = await import('../../src/train/run.js');
  assert.equal(DEFAULT_TRAIN_COLLECTION, 'local');
  assert.equal(trainOutDir({}), join('runs', 'local'));
  assert.equal(trainOutDir({ runs: '/data/my-runs' }), join('/data/my-runs', 'local'));
  assert.equal(trainOutDir({ runs: 'runs', out: 'runs/brown-ladder' }), 'runs/brown-ladder');
  assert.equal(trainOutDir({ runs: 'runs', resumePath: 'runs/seed/x.jsonl' }), 'runs/seed');
});
