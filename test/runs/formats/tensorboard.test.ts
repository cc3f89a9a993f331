import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readTensorBoardRun } from '../../../src/runs/formats/tensorboard.js';
import { foreignToRunLog } from '../../../src/runs/formats/convert.js';
import { shortestFloat32 } from '../../../src/runs/formats/values.js';
import { convertToPerByte } from '../../../src/runs/ingest.js';
import { eventFileBytes, writeFile, type ScalarStyle } from './writers.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'bitscale-tb-'));

for (const style of ['simple_value', 'float_val', 'double_val', 'tensor_content'] as ScalarStyle[]) {
  test(`scalars written as ${style} read back at their steps`, () => {
    const dir = tmp();
    writeFile(join(dir, 'events.out.tfevents.1700000000.host.1.0' + (style === 'tensor_content' ? '.v2' : '')), eventFileBytes([
      { step: 10, style, scalars: { 'train/loss': 2.5, 'val/loss': 2.75 } },
      { step: 20, style, scalars: { 'train/loss': 2.25, 'val/loss': 2.6 } },
    ]));
    const run = readTensorBoardRun(dir, 'r');
    assert.deepEqual(run.series.points('val/loss').map((p) => [p.step, p.value]), [[10, 2.75], [20, 2.6]]);
    assert.deepEqual(run.series.points('train/loss').map((p) => p.value), [2.5, 2.25]);
  });
}

test('float32 scalars read as the shortest decimal that is the same float32', () => {
  assert.equal(shortestFloat32(Math.fround(4.6)), 4.6);
  assert.equal(shortestFloat32(Math.fround(6e-4)), 6e-4);
  assert.equal(shortestFloat32(Math.fround(1 / 3)), 0.33333334);
  assert.equal(Math.fround(shortestFloat32(Math.fround(1 / 3))), Math.fround(1 / 3));
  assert.equal(shortestFloat32(Math.fround(16777217)), 16777216, 'integers above 2^24 are rounded by float32');
});

test('a PyTorch run converts to bits per byte exactly: nats / ln 2 / bytes per token', () => {
  const dir = tmp();
  writeFile(join(dir, 'events.out.tfevents.1700000000.h.1.0'), eventFileBytes([
    { step: 100, scalars: { 'train/loss': 3, 'val/loss': 3.5, lr: 6e-4 } },
    { step: 200, scalars: { 'train/loss': 2.5, 'val/loss': 3 } },
  ]));
  const converted = foreignToRunLog(readTensorBoardRun(dir, 'gpt-run'), {
    set: { params: '124439808', batch_size: '8', seq_len: '1024', dataset: 'owt' },
  });
  const mapping = converted.mapping;
  const log = convertToPerByte(converted.log, 4, dir);
  assert.deepEqual(mapping.metrics, { train_loss: 'train/loss', val_loss: 'val/loss', lr: 'lr' });
  assert.deepEqual(log.evals.map((e) => [e.step, e.tokens, e.val_bpc]), [[100, 819200, 3.5 / Math.LN2 / 4], [200, 1638400, 3 / Math.LN2 / 4]]);
  assert.equal(log.steps[0].train_loss, 3 / Math.LN2 / 4);
  assert.equal(log.steps[0].lr, 6e-4);
  assert.equal(log.header.lr.peak, 6e-4);
  assert.equal(log.header.bytes_per_token, 4);
  assert.equal(log.header.dataset.token_unit, 'token');
  assert.equal(log.header.run_id, 'gpt-run');
  assert.equal(log.summary?.final_val_bpc, 3 / Math.LN2 / 4);
});

test('without --bytes-per-token the losses are bits per token and marked so', () => {
  const dir = tmp();
  writeFile(join(dir, 'events.out.tfevents.1700000000.h.1.0'), eventFileBytes([{ step: 5, scalars: { 'val/loss': 2 } }]));
  const { log, mapping } = foreignToRunLog(readTensorBoardRun(dir), { set: { params: '1M', batch_size: '2', seq_len: '8', dataset: 'd', lr: '1e-3', tokenizer: 'gpt2' } });
  assert.equal(log.evals[0].val_bpc, 2 / Math.LN2);
  assert.equal(log.header.dataset.token_unit, 'token');
  assert.equal(log.header.dataset.tokenizer, 'gpt2');
  assert.equal(log.header.bytes_per_token, undefined);
  assert.match(mapping.unit, /bits per token/);
});

test('a restarted run: a new file after a crash, SessionLog START and a step going backwards supersede later points', () => {
  const dir = tmp();
  // First writer logged to step 300, then crashed.
  writeFile(join(dir, 'events.out.tfevents.1700000000.h.1.0'), eventFileBytes([
    { step: 100, scalars: { 'val/loss': 4 } },
    { step: 200, scalars: { 'val/loss': 3.5 } },
    { step: 300, scalars: { 'val/loss': 3.4 } },
  ]));
  // Second writer resumed from the step-200 checkpoint with purge_step=200: START at 200, then 200 again.
  writeFile(join(dir, 'events.out.tfevents.1700000500.h.2.0'), eventFileBytes([
    { step: 200, sessionStart: true },
    { step: 200, scalars: { 'val/loss': 3.45 } },
    { step: 250, scalars: { 'val/loss': 3.3 } },
  ]));
  // Third writer restarted from step 150 without purge: the step goes backwards for val/loss.
  writeFile(join(dir, 'events.out.tfevents.1700000900.h.3.0'), eventFileBytes([
    { step: 150, scalars: { 'val/loss': 3.6 } },
  ]));
  const run = readTensorBoardRun(dir);
  assert.deepEqual(run.series.points('val/loss').map((p) => [p.step, p.value]), [[100, 4], [150, 3.6]]);
});

test('without a purge or backwards step, the later file wins at the same step', () => {
  const dir = tmp();
  writeFile(join(dir, 'events.out.tfevents.1700000000.h.1.0'), eventFileBytes([{ step: 10, scalars: { 'val/loss': 3 } }]));
  writeFile(join(dir, 'events.out.tfevents.1700000100.h.1.0'), eventFileBytes([{ step: 10, scalars: { 'val/loss': 2 } }, { step: 20, scalars: { 'val/loss': 1.5 } }]));
  assert.deepEqual(readTensorBoardRun(dir).series.points('val/loss').map((p) => [p.step, p.value]), [[10, 2], [20, 1.5]]);
});

test('a truncated last record is skipped with a warning; a corrupt record in the middle names file and offset', () => {
  const dir = tmp();
  const bytes = eventFileBytes([{ step: 1, scalars: { 'val/loss': 3 } }, { step: 2, scalars: { 'val/loss': 2 } }]);
  const file = join(dir, 'events.out.tfevents.1700000000.h.1.0');
  writeFile(file, bytes.subarray(0, bytes.length - 3));
  const warnings: string[] = [];
  const run = readTensorBoardRun(dir, 'r', (m) => warnings.push(m));
  assert.deepEqual(run.series.points('val/loss').map((p) => p.step), [1]);
  assert.equal(warnings.length, 1);
  assert.ok(warnings[0].startsWith(`${file}: skipped a truncated last record at byte`));

  const corrupt = Buffer.from(bytes);
  // The file_version record is 12 + n + 4 bytes; flip a byte inside the next record's data.
  const firstLen = Number(Buffer.from(bytes).readBigUInt64LE(0));
  const second = 12 + firstLen + 4;
  corrupt[second + 14] ^= 0xff;
  writeFile(file, corrupt);
  assert.throws(() => readTensorBoardRun(dir), new RegExp(`${file}: corrupt TFRecord: data checksum mismatch in the record at byte ${second}`));
});

test('Keras train/ and validation/ subdirectories form one run with epoch_loss per side', () => {
  const dir = tmp();
  writeFile(join(dir, 'train', 'events.out.tfevents.1700000000.h.1.0.v2'), eventFileBytes([{ step: 0, style: 'tensor_content', scalars: { epoch_loss: 2 } }, { step: 1, style: 'tensor_content', scalars: { epoch_loss: 1.5 } }]));
  writeFile(join(dir, 'validation', 'events.out.tfevents.1700000001.h.1.0.v2'), eventFileBytes([{ step: 0, style: 'tensor_content', scalars: { epoch_loss: 2.2 } }, { step: 1, style: 'tensor_content', scalars: { epoch_loss: 1.75 } }]));
  const { log, mapping } = foreignToRunLog(readTensorBoardRun(dir, 'keras'), { set: { params: '1000', batch_size: '4', seq_len: '16', dataset: 'd', lr: '0.01' } });
  assert.deepEqual(mapping.metrics, { train_loss: 'train/epoch_loss', val_loss: 'validation/epoch_loss' });
  assert.deepEqual(log.evals.map((e) => e.val_bpc), [2.2 / Math.LN2, 1.75 / Math.LN2]);
});

test('a field found nowhere is an error naming it', () => {
  const dir = tmp();
  writeFile(join(dir, 'events.out.tfevents.1700000000.h.1.0'), eventFileBytes([{ step: 5, scalars: { 'val/loss': 2 } }]));
  assert.throws(() => foreignToRunLog(readTensorBoardRun(dir), { set: { batch_size: '2', seq_len: '8', dataset: 'd', lr: '1' } }), /field 'params': not found in the tensorboard files .*--set params=VALUE/);
  assert.throws(() => foreignToRunLog(readTensorBoardRun(dir), { set: { params: '5', seq_len: '8', dataset: 'd', lr: '1' } }), /field 'batch_size'/);
  assert.throws(() => foreignToRunLog(readTensorBoardRun(dir), { map: { val_loss: 'nope' } }), /--map val_loss=nope: no such metric \(metrics: val\/loss\)/);
  assert.throws(() => foreignToRunLog(readTensorBoardRun(dir)), /field 'batch_size': not found in the tensorboard files \(no batch size in the config, or give it with --set batch_size=VALUE\); also not found: seq_len \(.*\), params \(.*\), lr \(.*\), dataset \(.*\)$/);
});
