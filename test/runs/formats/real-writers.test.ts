/** Reading files written by the real writers (test/fixtures/real-writers/README.md names their source). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readTensorBoardRun } from '../../../src/runs/formats/tensorboard.js';

const fixtures = new URL('../../fixtures/real-writers/', import.meta.url).pathname;

test('a TF2/Keras validation event file (real writer): every record decodes, 10 epochs, and the per-iteration steps are 48,000 samples ÷ batch 32 = 1,500 an epoch', () => {
  const warnings: string[] = [];
  const run = readTensorBoardRun(join(fixtures, 'keras-mnist-validation'), 'validation', (m) => warnings.push(m));
  assert.deepEqual(warnings, []);
  assert.deepEqual(run.series.names(), ['epoch_accuracy', 'epoch_loss', 'evaluation_accuracy_vs_iterations', 'evaluation_loss_vs_iterations']);
  const loss = run.series.points('epoch_loss');
  assert.deepEqual(loss.map((p) => p.step), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  // MNIST's 60,000 training images, 20% held out for validation, Keras's default batch of 32.
  const perIteration = run.series.points('evaluation_loss_vs_iterations');
  assert.deepEqual(perIteration.map((p) => p.step), loss.map((p) => ((p.step + 1) * (60_000 * 0.8)) / 32));
  assert.deepEqual(perIteration.map((p) => p.value), loss.map((p) => p.value), 'Keras logs the same validation loss against epochs and iterations');
  // tensor_content float32, read as the shortest decimal of that float32.
  assert.equal(loss[0].value, 0.14290412);
  assert.ok(run.series.points('epoch_accuracy').every((p) => p.value > 0.9 && p.value <= 1));
});
