import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readHuggingFaceRun } from '../../../src/runs/formats/huggingface.js';
import { foreignToRunLog } from '../../../src/runs/formats/convert.js';
import { writeFile } from './writers.js';

const GPT2_CONFIG = { model_type: 'gpt2', n_embd: 768, n_layer: 12, n_head: 12, n_positions: 1024, vocab_size: 50257, n_inner: null };

function trainerDir(withTokens: boolean): string {
  const dir = mkdtempSync(join(tmpdir(), 'bitscale-hf-'));
  const tok = (step: number) => (withTokens ? { num_input_tokens_seen: step * 32 * 512 } : {});
  const history = [
    { epoch: 0.1, grad_norm: 1.2, learning_rate: 5e-4, loss: 4.0, step: 500, ...tok(500) },
    { epoch: 0.1, eval_loss: 3.9, eval_runtime: 10.0, step: 500 },
    { epoch: 0.2, grad_norm: 0.9, learning_rate: 4e-4, loss: 3.5, step: 1000, ...tok(1000) },
    { epoch: 0.2, eval_loss: 3.4, eval_runtime: 10.0, step: 1000 },
    { epoch: 0.2, step: 1000, total_flos: 1e15, train_loss: 3.8, train_runtime: 100.0 },
  ];
  writeFile(join(dir, 'config.json'), JSON.stringify(GPT2_CONFIG));
  writeFile(join(dir, 'trainer_state.json'), JSON.stringify({ global_step: 1000, max_steps: 2000, train_batch_size: 8, log_history: history }, null, 2));
  // An older checkpoint's copy of the state, cut at step 500: the newest state is read.
  writeFile(join(dir, 'checkpoint-500', 'trainer_state.json'), JSON.stringify({ global_step: 500, max_steps: 2000, log_history: history.slice(0, 2) }));
  return dir;
}

test('log_history gives loss and eval_loss by step; the final train_loss summary is not a point', () => {
  const run = readHuggingFaceRun(trainerDir(false));
  assert.deepEqual(run.series.points('eval_loss').map((p) => [p.step, p.value]), [[500, 3.9], [1000, 3.4]]);
  assert.deepEqual(run.series.points('loss').map((p) => [p.step, p.value]), [[500, 4], [1000, 3.5]]);
  assert.equal(run.series.points('train_loss').length, 0);
});

test('params come from config.json by the GPT-2 formula; tokens from num_input_tokens_seen', () => {
  const { log, mapping } = foreignToRunLog(readHuggingFaceRun(trainerDir(true)), { set: { dataset: 'wikitext-103', batch_size: '32' } });
  assert.equal(log.header.params, 124_439_808);
  assert.equal(log.header.arch, 'gpt2');
  assert.equal(log.header.seq_len, 512, 'tokens per step ÷ batch size');
  assert.equal(log.header.planned_steps, 2000);
  assert.equal(log.summary?.status, 'stopped');
  assert.equal(log.summary?.message, 'the last logged step 1000 is short of the planned 2000');
  assert.equal(log.header.lr.peak, 5e-4, 'the highest learning_rate logged');
  assert.deepEqual(mapping.metrics, { train_loss: 'loss', val_loss: 'eval_loss', tokens: 'num_input_tokens_seen', lr: 'learning_rate' });
  assert.deepEqual(log.evals.map((e) => [e.step, e.tokens, e.val_bpc]), [[500, 500 * 32 * 512, 3.9 / Math.LN2], [1000, 1000 * 32 * 512, 3.4 / Math.LN2]]);
});

test('without tokens seen or a batch size, the error names batch_size and says the per-device figure', () => {
  assert.throws(() => foreignToRunLog(readHuggingFaceRun(trainerDir(false)), { set: { dataset: 'w', seq_len: '512' } }), /field 'batch_size': not found in the huggingface files \(trainer_state.json has train_batch_size 8, which is per device/);
});

test('NaN written bare by json.dumps is read and marks the run diverged', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bitscale-hf-'));
  writeFile(join(dir, 'config.json'), JSON.stringify(GPT2_CONFIG));
  writeFile(join(dir, 'trainer_state.json'), '{"global_step": 20, "log_history": [{"eval_loss": 3.0, "step": 10}, {"eval_loss": NaN, "step": 20}, {"loss": Infinity, "step": 20}]}');
  const { log } = foreignToRunLog(readHuggingFaceRun(dir), { set: { dataset: 'w', batch_size: '4', seq_len: '64', lr: '1e-4' } });
  assert.equal(log.summary?.status, 'diverged');
  assert.deepEqual((log.summary?.nonfinite as { metric: string; step: number; value: string }[]).map((n) => [n.metric, n.step, n.value]), [['loss', 20, 'Infinity'], ['eval_loss', 20, 'NaN']]);
  assert.deepEqual(log.evals.map((e) => e.step), [10]);
});

test('trainer_state.json read as a stream gives what JSON.parse gives: strings with brackets, quotes and commas, nested values, the key appearing as a value, NaN', async () => {
  const { readTrainerState } = await import('../../../src/runs/formats/huggingface.js');
  const { mkdtempSync, writeFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const file = join(mkdtempSync(join(tmpdir(), 'bitscale-hfstream-')), 'trainer_state.json');
  const state = {
    best_model_checkpoint: 'out/checkpoint-[1], "x" {y}',
    note: 'log_history',
    global_step: 20,
    log_history: [
      { epoch: 0.5, loss: 3.5, step: 10, tag: 'a,b]}' },
      { eval_loss: 3.25, step: 10, nested: { a: [1, { b: 2 }] } },
      { loss: 3, step: 20 },
    ],
    trial_params: { lr: [1, 2] },
    max_steps: 100,
  };
  const text = JSON.stringify(state, null, 2).replace('"loss": 3,', '"loss": NaN,');
  writeFileSync(file, text);
  const seen: unknown[] = [];
  const { state: rest, entries } = readTrainerState(file, (e) => seen.push(e));
  const { log_history: history, ...others } = state;
  assert.deepEqual(rest, { ...others, log_history: [] });
  assert.equal(entries, 3);
  assert.deepEqual(seen, [history[0], history[1], { ...history[2], loss: NaN }]);
  // Without a consumer the list is only counted.
  assert.equal(readTrainerState(file).entries, 3);
});
