import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readMlflowRun } from '../../../src/runs/formats/mlflow.js';
import { foreignToRunLog } from '../../../src/runs/formats/convert.js';
import { writeFile } from './writers.js';

function mlruns(): string {
  const root = mkdtempSync(join(tmpdir(), 'bitscale-mlflow-'));
  const run = join(root, 'mlruns', '1', 'a1b2c3');
  writeFile(join(root, 'mlruns', '1', 'meta.yaml'), 'experiment_id: "1"\nname: ladder\n');
  writeFile(join(run, 'meta.yaml'), 'run_id: a1b2c3\nrun_name: gpt-s\nstatus: 4\nexperiment_id: "1"\n');
  // Resumed at step 200: the line for step 200 is appended again with the new value.
  writeFile(join(run, 'metrics', 'val_loss'), '1700000000000 3.2 100\n1700000100000 3.0 200\n1700000300000 2.9 200\n1700000400000 nan 300\n');
  writeFile(join(run, 'metrics', 'train', 'loss'), '1700000000000 3.3 100\n1700000100000 3.1 200\n1700000400000 inf 300\n');
  writeFile(join(run, 'params', 'batch_size'), '32');
  writeFile(join(run, 'params', 'seq_len'), '1024');
  writeFile(join(run, 'params', 'learning_rate'), '0.0006');
  writeFile(join(run, 'params', 'n_params'), '124439808');
  writeFile(join(run, 'params', 'dataset'), 'openwebtext');
  return run;
}

test('metrics files: appended duplicate steps, last line wins; a "/" in a key is a subdirectory', () => {
  const run = readMlflowRun(mlruns());
  assert.equal(run.name, 'gpt-s');
  assert.equal(run.status, 'stopped');
  assert.deepEqual(run.series.points('val_loss').map((p) => [p.step, p.value]), [[100, 3.2], [200, 2.9], [300, NaN]]);
  assert.deepEqual(run.series.names(), ['train/loss', 'val_loss']);
  assert.equal(run.series.points('val_loss')[0].wallTime, 1_700_000_000);
});

test('NaN and inf are kept, listed and mark the run diverged; finite points convert exactly', () => {
  const { log, mapping } = foreignToRunLog(readMlflowRun(mlruns()));
  assert.deepEqual(mapping.metrics, { train_loss: 'train/loss', val_loss: 'val_loss' });
  assert.deepEqual(log.evals.map((e) => [e.step, e.tokens, e.val_bpc, e.wall_s]), [[100, 100 * 32 * 1024, 3.2 / Math.LN2, 0], [200, 200 * 32 * 1024, 2.9 / Math.LN2, 300]]);
  assert.equal(log.header.params, 124439808);
  assert.equal(log.header.lr.peak, 0.0006);
  assert.equal(log.header.dataset.name, 'openwebtext');
  assert.equal(log.summary?.status, 'diverged');
  assert.equal(log.summary?.final_val_bpc, 2.9 / Math.LN2);
  assert.match(String(log.summary?.message), /^train\/loss is Infinity at step 300 \(.*metrics\/train\/loss:3\); 2 non-finite points kept in nonfinite$/);
  assert.deepEqual((log.summary?.nonfinite as { metric: string; value: string }[]).map((n) => [n.metric, n.value]), [['train/loss', 'Infinity'], ['val_loss', 'NaN']]);
});

test('a malformed metrics line, or one without its step, is skipped with a warning naming the file and line, never put at step 0', () => {
  const run = mlruns();
  writeFile(join(run, 'metrics', 'val_loss'), '1700000000000 3.2 100\nbroken\n1700000000001 2.9\n1700000000002 0x10 200\n1700000000003 2.8 300\n');
  const warnings: string[] = [];
  const read = readMlflowRun(run, (m) => warnings.push(m));
  assert.deepEqual(read.series.points('val_loss').map((p) => [p.step, p.value]), [[100, 3.2], [300, 2.8]]);
  assert.match(warnings[0], /metrics\/val_loss:2: expected '<timestamp ms> <value> <step>', got 'broken'; the line is skipped/);
  assert.match(warnings[1], /metrics\/val_loss:3: expected '<timestamp ms> <value> <step>', got '1700000000001 2\.9'; the line is skipped/);
  assert.match(warnings[2], /metrics\/val_loss:4: '0x10' is not a decimal number; the val_loss point at step 200 is skipped/);
});
