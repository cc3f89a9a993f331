/** The sample trainer logs shipped under test/fixtures/trainer-logs/ (the closing note's commands use them). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readForeignRuns } from '../../../src/runs/formats/index.js';
import { TRAINER_LOGS, writeTrainerLogs } from '../../fixtures/trainer-logs.js';
import { snapshotFiles } from '../snapshot.js';

const files = snapshotFiles;

test('the committed samples are exactly what test/fixtures/trainer-logs.ts writes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bitscale-samples-'));
  writeTrainerLogs(dir);
  assert.deepEqual(files(TRAINER_LOGS), files(dir));
});

test('one walk over the samples finds every format, with the rules each sample exercises', () => {
  const warnings: string[] = [];
  const runs = readForeignRuns(TRAINER_LOGS, { set: { dataset: 'samples', batch_size: '32', seq_len: '1024', params: '124M', lr: '6e-4' }, onWarning: (m) => warnings.push(m) })!;
  const byId = new Map(runs.map((r) => [r.log.header.run_id, r]));
  assert.deepEqual([...byId.keys()].sort(), ['abc123', 'char-lm', 'gpt-345m', 'gpt2-124M', 'gpt2-wikitext', 'ladder-s', 'mlflow-lr3e-3', 'shakespeare-char', 'tensorboard-gpt-small', 'tensorboard-keras-lm']);
  assert.deepEqual(
    runs.map((r) => r.mapping.format).sort(),
    ['huggingface', 'lightning', 'llmc', 'megatron', 'mlflow', 'nanogpt', 'tensorboard', 'tensorboard', 'wandb', 'wandb-csv'],
  );
  const tb = runs.find((r) => r.source.endsWith('gpt-small'))!;
  assert.deepEqual(tb.log.evals.map((e) => [e.step, e.val_bpc]), [[100, 4.6 / Math.LN2], [200, 4.1 / Math.LN2], [300, 3.8 / Math.LN2], [400, 3.6 / Math.LN2]], 'purge at 300 keeps the restart\'s value');
  assert.equal(byId.get('gpt2-wikitext')!.log.header.params, 124_439_808);
  assert.equal(byId.get('mlflow-lr3e-3')!.log.summary?.status, 'diverged');
  assert.deepEqual(byId.get('char-lm')!.log.evals.map((e) => [e.step, e.val_bpc]), [[99, 1.95 / Math.LN2], [199, 1.6 / Math.LN2], [299, 1.5 / Math.LN2]]);
  const diverged = warnings.filter((w) => / ingested as diverged /.test(w));
  assert.equal(diverged.length, 1, warnings.join('\n'));
  assert.match(diverged[0], /mlruns\/1\/0a1b2c3d4e5f: run 'mlflow-lr3e-3' ingested as diverged \(train\/loss is NaN at step 300 .*metrics\/train\/loss:4\); 2 non-finite points kept in nonfinite\); its result is the last finite validation point, step 200/);
  assert.ok(warnings.filter((w) => !diverged.includes(w)).every((w) => /--set \w+=\S+ not used/.test(w)), warnings.join('\n'));
});
