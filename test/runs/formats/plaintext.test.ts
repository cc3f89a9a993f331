import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readLlmcLog, readMegatronLog, readNanoGptLog, sniffPlainText } from '../../../src/runs/formats/plaintext.js';
import { foreignToRunLog } from '../../../src/runs/formats/convert.js';
import { writeFile } from './writers.js';

// The shape of nanoGPT's train.py output for config/train_shakespeare_char.py.
const NANOGPT = `Overriding config with config/train_shakespeare_char.py:
out_dir = 'out-shakespeare-char'
dataset = 'shakespeare_char'
gradient_accumulation_steps = 1
batch_size = 64
block_size = 256 # context of up to 256 previous characters
learning_rate = 1e-3 # with baby networks can afford to go a bit higher
max_iters = 5000
Overriding: max_iters = 2000
tokens per iteration will be: 16,384
found vocab_size = 65 (inside data/shakespeare_char/meta.pkl)
Initializing a new model from scratch
number of parameters: 10.65M
num decayed parameter tensors: 26, with 10,740,096 parameters
step 0: train loss 4.2874, val loss 4.2823
iter 0: loss 4.2649, time 20434.95ms, mfu -100.00%
iter 10: loss 3.2218, time 34.17ms, mfu 10.90%
\x1b[32mstep 250: train loss 1.9694, val loss 2.0768\x1b[0m
saving checkpoint to out-shakespeare-char
`;

test('nanoGPT: step and iter lines, tokens per iteration, the printed config and parameter count', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bitscale-nanogpt-'));
  const file = join(dir, 'shakespeare-char.log');
  writeFile(file, NANOGPT);
  assert.equal(sniffPlainText(NANOGPT), 'nanogpt');
  const run = readNanoGptLog(file);
  assert.deepEqual(run.series.points('val/loss').map((p) => [p.step, p.value]), [[0, 4.2823], [250, 2.0768]]);
  assert.deepEqual(run.series.points('iter/loss').map((p) => [p.step, p.value]), [[0, 4.2649], [10, 3.2218]]);
  const { log, mapping } = foreignToRunLog(run, { set: { token_unit: 'char' } });
  assert.equal(log.header.run_id, 'shakespeare-char');
  assert.equal(log.header.params, 10_650_000);
  assert.equal(log.header.params_reported, '10.65M');
  assert.equal(log.header.seq_len, 256);
  assert.equal(log.header.batch_size, 64, '16,384 tokens per iteration ÷ block_size 256');
  assert.equal(log.header.planned_steps, 2000, 'the Overriding line wins');
  assert.equal(log.header.lr.peak, 1e-3);
  assert.equal(log.header.dataset.name, 'shakespeare_char');
  assert.equal(log.header.dataset.token_unit, 'char');
  assert.deepEqual(log.evals.map((e) => [e.step, e.tokens, e.val_bpc]), [[0, 0, 4.2823 / Math.LN2], [250, 250 * 16384, 2.0768 / Math.LN2]]);
  assert.deepEqual(mapping.metrics, { train_loss: 'train/loss', val_loss: 'val/loss' });
});

test('llm.c main.log: trl is the train loss, tel the val loss, eval (HellaSwag) is never a loss', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bitscale-llmc-'));
  const file = join(dir, 'gpt2-124M', 'main.log');
  writeFile(file, 's:0 tel:10.9882\ns:0 trl:10.9886 lr:0.000006 norm:15.32\ns:1 trl:9.6511\ns:250 tel:6.4132\ns:250 eval:0.2501\ns:250 trl:6.3567\n');
  assert.equal(sniffPlainText('s:0 trl:10.98\n'), 'llmc');
  const { log, mapping } = foreignToRunLog(readLlmcLog(file), { set: { params: '124439808', batch_size: '512', seq_len: '1024', dataset: 'fineweb10B', tokenizer: 'gpt2' } });
  assert.equal(log.header.run_id, 'gpt2-124M');
  assert.deepEqual(mapping.metrics, { train_loss: 'trl', val_loss: 'tel', lr: 'lr' });
  assert.deepEqual(log.evals.map((e) => [e.step, e.val_bpc]), [[0, 10.9882 / Math.LN2], [250, 6.4132 / Math.LN2]]);
  assert.equal(log.header.lr.peak, 0.000006);
  assert.equal(log.header.dataset.tokenizer, 'gpt2');
});

test('Megatron-LM: the arguments block, iteration lines and validation lines', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bitscale-megatron-'));
  const file = join(dir, 'gpt-345m.log');
  writeFile(file, [
    '------------------------ arguments ------------------------',
    '  global_batch_size ............................... 512',
    '  lr .............................................. 0.00015',
    '  micro_batch_size ................................ 4',
    '  seq_length ...................................... 1024',
    '  train_iters ..................................... 500000',
    '-------------------- end of arguments ---------------------',
    ' [2024-01-01 00:00:00] iteration      100/  500000 | consumed samples:        51200 | elapsed time per iteration (ms): 1234.5 | learning rate: 1.500E-04 | global batch size:   512 | lm loss: 7.234567E+00 | loss scale: 1.0 | grad norm: 1.234 | number of skipped iterations:   0 | number of nan iterations:   0 |',
    '-----------------------------------------------------------------------------------------------',
    ' validation loss at iteration 100 | lm loss value: 7.123456E+00 | lm loss PPL: 1.239E+03 | ',
    '-----------------------------------------------------------------------------------------------',
    '',
  ].join('\n'));
  assert.equal(sniffPlainText(readFileSync(file, 'utf8')), 'megatron');
  const { log, mapping } = foreignToRunLog(readMegatronLog(file), { set: { params: '345M', dataset: 'owt' } });
  assert.deepEqual(mapping.metrics, { train_loss: 'lm loss', val_loss: 'validation/lm loss', lr: 'learning rate' });
  assert.equal(log.header.batch_size, 512);
  assert.equal(log.header.seq_len, 1024);
  assert.equal(log.header.planned_steps, 500000);
  assert.equal(log.header.lr.peak, 0.00015);
  assert.deepEqual(log.evals.map((e) => [e.step, e.tokens, e.val_bpc]), [[100, 100 * 512 * 1024, 7.123456 / Math.LN2]]);
  assert.equal(log.steps[0].train_loss, 7.234567 / Math.LN2);
  assert.equal(log.summary?.status, 'stopped');
});
