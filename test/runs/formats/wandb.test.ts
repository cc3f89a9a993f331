import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { frameWandbRecords, readWandbCsv, readWandbRecords, readWandbRun, wandbRecordType, WANDB_BLOCK } from '../../../src/runs/formats/wandb.js';
import { crc32 } from '../../../src/runs/formats/crc.js';
import { foreignToRunLog } from '../../../src/runs/formats/convert.js';
import { writeFile } from './writers.js';

/** A history Record protobuf as wandb writes it: items with key and value_json. */
function historyRecord(row: Record<string, number | string>, pad = ''): Uint8Array {
  const type = wandbRecordType();
  const item = Object.entries(row).map(([key, v]) => ({ key, value_json: typeof v === 'string' ? v : JSON.stringify(v) }));
  if (pad) item.push({ key: 'note', value_json: JSON.stringify(pad) });
  return type.encode(type.fromObject({ num: 1, history: { item, step: { num: Number(row._step) } } })).finish();
}

/** The chunk types in a framed file, walking blocks as the format defines them. */
function chunkTypes(bytes: Uint8Array): Set<number> {
  const types = new Set<number>();
  const view = new DataView(bytes.buffer, bytes.byteOffset);
  let pos = 7;
  while (pos < bytes.length) {
    const left = WANDB_BLOCK - (pos % WANDB_BLOCK);
    if (left < 7) {
      pos += left;
      continue;
    }
    types.add(bytes[pos + 6]);
    pos += 7 + view.getUint16(pos + 4, true);
  }
  return types;
}

test('.wandb framing: records cross 32 KiB block boundaries (FIRST/MIDDLE/LAST) and read back whole', () => {
  const records = [
    ...Array.from({ length: 300 }, (_, i) => historyRecord({ _step: i, 'train/loss': 3 - i / 1000 }, 'x'.repeat(90))),
    historyRecord({ _step: 300, 'val/loss': 2.5 }, 'y'.repeat(70_000)), // spans three blocks
    historyRecord({ _step: 301, 'val/loss': 2.25 }),
  ];
  const bytes = frameWandbRecords(records);
  assert.ok(bytes.length > 3 * WANDB_BLOCK);
  assert.deepEqual([...chunkTypes(bytes)].sort(), [1, 2, 3, 4], 'FULL, FIRST, MIDDLE and LAST chunks all occur');
  const back = readWandbRecords(bytes, 'run.wandb');
  assert.equal(back.length, records.length);
  back.forEach((r, i) => assert.deepEqual(Buffer.from(r.data), Buffer.from(records[i])));
});

test('a chunk checksum is CRC-32 of the type byte then the data', () => {
  const rec = historyRecord({ _step: 0, loss: 1 });
  const bytes = frameWandbRecords([rec]);
  const view = new DataView(bytes.buffer, bytes.byteOffset);
  assert.equal(view.getUint32(7, true), crc32(Buffer.concat([Uint8Array.of(1), rec])));
  assert.equal(view.getUint16(11, true), rec.length);
});

test('a torn last record warns; corruption in the middle names the byte offset', () => {
  const bytes = frameWandbRecords([historyRecord({ _step: 0, loss: 1 }), historyRecord({ _step: 1, loss: 2 })]);
  const warnings: string[] = [];
  assert.equal(readWandbRecords(bytes.subarray(0, bytes.length - 2), 'r.wandb', (m) => warnings.push(m)).length, 1);
  assert.equal(warnings.length, 1);
  const bad = Buffer.from(bytes);
  bad[7 + 7 + 2] ^= 0xff;
  assert.throws(() => readWandbRecords(bad, 'r.wandb'), /r\.wandb: corrupt \.wandb chunk at byte 7/);
});

function wandbDir(root: string, name: string, rows: Record<string, number | string>[]): string {
  const dir = join(root, 'wandb', name);
  const id = name.split('-').pop();
  writeFile(join(dir, `run-${id}.wandb`), frameWandbRecords(rows.map((r) => historyRecord(r))));
  writeFile(join(dir, 'files', 'config.yaml'), '_wandb:\n  value:\n    cli_version: 0.19.1\nbatch_size:\n  value: 8\nseq_len:\n  value: 512\nlr:\n  value: 0.001\nn_params:\n  value: 5000000\ndataset:\n  value: tinystories\n');
  return dir;
}

test('a resumed run (two directories, one id) merges oldest first; the later point wins; NaN from value_json is kept', () => {
  const root = mkdtempSync(join(tmpdir(), 'bitscale-wandb-'));
  const a = wandbDir(root, 'run-20240101_120000-abc123', [{ _step: 100, 'val/loss': 3 }, { _step: 200, 'val/loss': 2.75 }]);
  const b = wandbDir(root, 'run-20240102_080000-abc123', [{ _step: 200, 'val/loss': 2.7 }, { _step: 300, 'val/loss': 'NaN' }, { _step: 300, 'train/loss': 2.5 }]);
  const run = readWandbRun([b, a]);
  assert.equal(run.name, 'abc123');
  assert.deepEqual(run.series.points('val/loss').map((p) => [p.step, p.value]), [[100, 3], [200, 2.7], [300, NaN]]);
  const { log } = foreignToRunLog(run);
  assert.equal(log.header.batch_size, 8);
  assert.equal(log.header.params, 5_000_000);
  assert.equal(log.header.dataset.name, 'tinystories');
  assert.deepEqual(log.evals.map((e) => [e.step, e.tokens, e.val_bpc]), [[100, 100 * 8 * 512, 3 / Math.LN2], [200, 200 * 8 * 512, 2.7 / Math.LN2]]);
  assert.equal(log.summary?.status, 'diverged');
});

test('pre-0.10 directories: wandb-history.jsonl and config.yaml with {desc, value}', () => {
  const root = mkdtempSync(join(tmpdir(), 'bitscale-wandb-'));
  const dir = join(root, 'wandb', 'run-20190101_000000-old1');
  writeFile(join(dir, 'wandb-history.jsonl'), '{"_step": 0, "loss": 3.5, "_runtime": 1}\n{"_step": 1, "val_loss": 3.25, "_timestamp": 1546300800}\n');
  writeFile(join(dir, 'config.yaml'), 'wandb_version: 1\nbatch_size:\n  desc: null\n  value: 4\n');
  const run = readWandbRun([dir]);
  assert.deepEqual(run.series.points('val_loss').map((p) => [p.step, p.value, p.wallTime]), [[1, 3.25, 1546300800]]);
  assert.equal(run.facts.batchSize?.value, 4);
});

test('CSV exports: the panel export gives one run per name (MIN/MAX ignored); the history export one run', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bitscale-wandb-'));
  const panel = join(dir, 'wandb_export.csv');
  writeFile(panel, '"Step","small - val/loss","small - val/loss__MIN","small - val/loss__MAX","big - val/loss","big - val/loss__MIN","big - val/loss__MAX"\n"100","3.1","3.0","3.2","2.9","2.8","3.0"\n"200","2.8","2.7","2.9","",""," "\n');
  const runs = readWandbCsv(panel);
  assert.deepEqual(runs.map((r) => [r.name, r.series.points('val/loss').map((p) => [p.step, p.value])]), [['small', [[100, 3.1], [200, 2.8]]], ['big', [[100, 2.9]]]]);
  const hist = join(dir, 'history.csv');
  writeFile(hist, '_step,_runtime,_timestamp,train/loss,val/loss\n0,1.0,1700000000,4.0,\n10,2.0,1700000010,3.0,3.5\n20,3.0,1700000020,2.5,\n');
  const [h] = readWandbCsv(hist);
  assert.equal(h.name, 'history');
  assert.deepEqual(h.series.points('val/loss').map((p) => [p.step, p.value]), [[10, 3.5]]);
  assert.deepEqual(h.series.points('train/loss').map((p) => p.step), [0, 10, 20]);
});

test('with no history at all, the summary gives the last point, with a warning', () => {
  const root = mkdtempSync(join(tmpdir(), 'bitscale-wandb-'));
  const dir = join(root, 'wandb', 'run-20240101_000000-s1');
  writeFile(join(dir, 'files', 'wandb-summary.json'), '{"_step": 900, "val/loss": 2.5, "_runtime": 10}');
  const warnings: string[] = [];
  const run = readWandbRun([dir], (m) => warnings.push(m));
  assert.deepEqual(run.series.points('val/loss').map((p) => [p.step, p.value]), [[900, 2.5]]);
  assert.match(warnings[0], /only the last values in files\/wandb-summary\.json are read/);
});
