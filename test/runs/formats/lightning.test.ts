import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readLightningRuns } from '../../../src/runs/formats/lightning.js';
import { foreignToRunLog } from '../../../src/runs/formats/convert.js';
import { writeFile } from './writers.js';

const HPARAMS = `batch_size: 16
block_size: 256
lr: 0.0003
betas: !!python/tuple
- 0.9
- 0.95
n_params: 10650000
dataset: tinyshakespeare
`;

function lightningTree(): string {
  const root = mkdtempSync(join(tmpdir(), 'bitscale-pl-'));
  // CSVLogger writes a sparse table: the sorted union of keys, one row per log call.
  writeFile(join(root, 'gpt', 'version_0', 'hparams.yaml'), HPARAMS);
  writeFile(join(root, 'gpt', 'version_0', 'metrics.csv'), 'epoch,step,train_loss,val_loss\n0,49,2.5,\n0,99,2.25,\n0,99,,2.4\n0,149,2.0,\n');
  // Resumed from the step-149 checkpoint: a new version repeating the boundary step.
  writeFile(join(root, 'gpt', 'version_1', 'hparams.yaml'), HPARAMS);
  writeFile(join(root, 'gpt', 'version_1', 'metrics.csv'), 'epoch,step,train_loss,val_loss\n1,149,1.95,\n1,199,1.8,\n1,199,,2.1\n');
  // A fresh run started again from the beginning: a run of its own.
  writeFile(join(root, 'gpt', 'version_2', 'hparams.yaml'), HPARAMS);
  writeFile(join(root, 'gpt', 'version_2', 'metrics.csv'), 'epoch,step,train_loss,val_loss\n0,49,2.6,\n0,99,,2.5\n');
  return root;
}

test('a resumed version continues the run and wins at the repeated boundary step; a fresh version is its own run', () => {
  const runs = readLightningRuns(join(lightningTree(), 'gpt'));
  assert.deepEqual(runs.map((r) => r.name), ['gpt-version_0', 'gpt-version_2']);
  assert.deepEqual(runs[0].series.points('train_loss').map((p) => [p.step, p.value]), [[49, 2.5], [99, 2.25], [149, 1.95], [199, 1.8]]);
  assert.deepEqual(runs[0].series.points('val_loss').map((p) => [p.step, p.value]), [[99, 2.4], [199, 2.1]]);
  assert.deepEqual(runs[1].series.points('val_loss').map((p) => [p.step, p.value]), [[99, 2.5]]);
});

test('hparams.yaml with !!python/tuple gives batch size, sequence length, lr, params and dataset', () => {
  const warnings: string[] = [];
  const [run] = readLightningRuns(join(lightningTree(), 'gpt'), (m) => warnings.push(m));
  assert.deepEqual(warnings, []);
  const { log, mapping } = foreignToRunLog(run);
  assert.deepEqual(mapping.metrics, { train_loss: 'train_loss', val_loss: 'val_loss' });
  assert.equal(log.header.batch_size, 16);
  assert.equal(log.header.seq_len, 256);
  assert.equal(log.header.lr.peak, 0.0003);
  assert.equal(log.header.params, 10650000);
  assert.equal(log.header.dataset.name, 'tinyshakespeare');
  assert.deepEqual(log.evals.map((e) => [e.step, e.tokens, e.val_bpc]), [[99, 99 * 16 * 256, 2.4 / Math.LN2], [199, 199 * 16 * 256, 2.1 / Math.LN2]]);
  assert.equal(log.steps.length, 4);
});

test('a single version directory reads as one run', () => {
  const runs = readLightningRuns(join(lightningTree(), 'gpt', 'version_1'));
  assert.equal(runs.length, 1);
  assert.equal(runs[0].name, 'gpt-version_1');
});
