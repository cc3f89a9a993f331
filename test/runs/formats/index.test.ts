import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readForeignRuns } from '../../../src/runs/formats/index.js';
import { frameWandbRecords, wandbRecordType } from '../../../src/runs/formats/wandb.js';
import { eventFileBytes, writeFile } from './writers.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'bitscale-formats-'));
const SET = { params: '1M', batch_size: '4', seq_len: '32', lr: '1e-3', dataset: 'd' };

test('a bitscale run log or results CSV is not a trainer log: null, so ingest reads it itself', () => {
  const dir = tmp();
  writeFile(join(dir, 'r.jsonl'), '{"type":"header"}\n');
  writeFile(join(dir, 'results.csv'), 'params,steps,val_bpc\n1,2,3\n');
  assert.equal(readForeignRuns(join(dir, 'r.jsonl'), { map: { val_bpc: 'loss' } }), null);
  assert.equal(readForeignRuns(join(dir, 'results.csv'), { map: { val_bpc: 'loss' } }), null);
});

test('nested TensorBoard runs are named by their path below the given directory; one event file alone reads as its own run', () => {
  const dir = tmp();
  writeFile(join(dir, 'lr1e-3', 'seed0', 'events.out.tfevents.1700000000.h.1.0'), eventFileBytes([{ step: 10, scalars: { 'val/loss': 2 } }]));
  writeFile(join(dir, 'lr1e-3', 'seed1', 'events.out.tfevents.1700000000.h.1.0'), eventFileBytes([{ step: 10, scalars: { 'val/loss': 3 } }]));
  writeFile(join(dir, 'lr1e-3', 'seed1', 'events.out.tfevents.1700000500.h.1.0'), eventFileBytes([{ step: 20, scalars: { 'val/loss': 2.5 } }]));
  const runs = readForeignRuns(dir, { set: SET })!;
  assert.deepEqual(runs.map((r) => [r.log.header.run_id, r.log.evals.length]), [['lr1e-3-seed0', 1], ['lr1e-3-seed1', 2]]);
  const one = readForeignRuns(join(dir, 'lr1e-3', 'seed1', 'events.out.tfevents.1700000500.h.1.0'), { set: SET })!;
  assert.deepEqual(one.map((r) => [r.log.header.run_id, r.log.evals.map((e) => e.step)]), [['seed1', [20]]]);
});

test('--format restricts the walk; an unknown format or --map role is an error listing the known ones', () => {
  const dir = tmp();
  writeFile(join(dir, 'tb', 'events.out.tfevents.1700000000.h.1.0'), eventFileBytes([{ step: 10, scalars: { 'val/loss': 2 } }]));
  writeFile(join(dir, 'train.log'), 's:0 tel:3.0\n');
  assert.deepEqual(readForeignRuns(dir, { set: SET, format: 'llmc' })!.map((r) => r.mapping.format), ['llmc']);
  assert.deepEqual(readForeignRuns(dir, { set: SET })!.map((r) => r.mapping.format).sort(), ['llmc', 'tensorboard']);
  assert.throws(() => readForeignRuns(dir, { format: 'comet' }), /--format comet: unknown format \(known: tensorboard, wandb, wandb-csv, lightning, huggingface, mlflow, nanogpt, llmc, megatron\)/);
  assert.throws(() => readForeignRuns(dir, { set: SET, map: { val_bpc: 'x' } }), /--map val_bpc: unknown field for a trainer's log \(known: train_loss, val_loss, tokens, lr\)/);
  assert.throws(() => readForeignRuns(join(dir, 'tb'), { set: SET, format: 'mlflow' }), /no trainer logs found in format mlflow/);
});

test('--map names the validation metric; --set run_id renames one run and is refused for several', () => {
  const dir = tmp();
  writeFile(join(dir, 'a', 'events.out.tfevents.1700000000.h.1.0'), eventFileBytes([{ step: 10, scalars: { 'eval/ce': 2, 'val/loss': 9 } }]));
  const [run] = readForeignRuns(join(dir, 'a'), { set: { ...SET, run_id: 'mine' }, map: { val_loss: 'eval/ce' } })!;
  assert.equal(run.log.header.run_id, 'mine');
  assert.equal(run.log.evals[0].val_bpc, 2 / Math.LN2);
  writeFile(join(dir, 'b', 'events.out.tfevents.1700000000.h.1.0'), eventFileBytes([{ step: 10, scalars: { 'val/loss': 2 } }]));
  assert.throws(() => readForeignRuns(dir, { set: { ...SET, run_id: 'mine' } }), /--set run_id=mine names one run, but 2 were found/);
});

test('a --set value the files contradict is not applied, and a warning says so', () => {
  const dir = tmp();
  writeFile(join(dir, 'run', 'version_0', 'metrics.csv'), 'step,val_loss\n10,2.0\n');
  writeFile(join(dir, 'run', 'version_0', 'hparams.yaml'), 'batch_size: 8\nseq_len: 64\nlr: 0.01\nn_params: 1000\n');
  const warnings: string[] = [];
  const [run] = readForeignRuns(dir, { set: { dataset: 'd', batch_size: '16' }, onWarning: (m) => warnings.push(m) })!;
  assert.equal(run.log.header.batch_size, 8);
  assert.equal(run.mapping.batch_size, `8 (${join(dir, 'run', 'version_0', 'hparams.yaml')} batch_size)`);
  assert.equal(warnings.length, 1);
  assert.match(warnings[0], /--set batch_size=16 not used: the files give 8/);
});

test("wandb's latest-run symlink is not read as a second resumed directory", () => {
  const dir = tmp();
  const type = wandbRecordType();
  const rec = type.encode(type.fromObject({ history: { item: [{ key: '_step', value_json: '5' }, { key: 'val/loss', value_json: '2.0' }] } })).finish();
  const runDir = join(dir, 'wandb', 'run-20240101_000000-zz9');
  writeFile(join(runDir, 'run-zz9.wandb'), frameWandbRecords([rec]));
  symlinkSync(runDir, join(dir, 'wandb', 'latest-run'));
  const runs = readForeignRuns(dir, { set: SET })!;
  assert.deepEqual(runs.map((r) => [r.log.header.run_id, r.source]), [['zz9', runDir]]);
});

test('--format reads a file as that format whatever its name', () => {
  const dir = tmp();
  writeFile(join(dir, 'run7', 'copied-events.bin'), eventFileBytes([{ step: 10, scalars: { 'val/loss': 2 } }]));
  writeFile(join(dir, 'stdout.txt.1'), 'step 0: train loss 4.0, val loss 4.5\n');
  assert.equal(readForeignRuns(join(dir, 'run7', 'copied-events.bin'), { set: SET }), null);
  assert.deepEqual(readForeignRuns(join(dir, 'run7', 'copied-events.bin'), { set: SET, format: 'tensorboard' })!.map((r) => [r.log.header.run_id, r.log.evals[0].val_bpc]), [['run7', 2 / Math.LN2]]);
  assert.deepEqual(readForeignRuns(join(dir, 'stdout.txt.1'), { set: SET, format: 'nanogpt' })!.map((r) => r.log.evals[0].val_bpc), [4.5 / Math.LN2]);
});
