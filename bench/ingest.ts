/**
 * Benchmark of reading trainers' logs: CRC-32C over 64 MiB, then a TensorBoard event file of
 * 200,000 events (PyTorch simple_value, two tags each) and a .wandb file of 200,000 history
 * records, each written here, read back and converted to a run log.
 * Run: node --import tsx bench/ingest.ts   (figures depend on the machine and its load)
 */
import { mkdtempSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32c } from '../src/runs/formats/crc.js';
import { type ForeignRun } from '../src/runs/formats/common.js';
import { foreignToRunLog } from '../src/runs/formats/convert.js';
import { readTensorBoardRun } from '../src/runs/formats/tensorboard.js';
import { frameWandbRecords, readWandbRun, wandbRecordType } from '../src/runs/formats/wandb.js';
import { formatTable } from '../src/util/format.js';
import { eventFileBytes, writeFile } from '../test/runs/formats/writers.js';

const N = 200_000;
const MiB = 1024 * 1024;
const time = <T>(f: () => T): [T, number] => {
  const t0 = performance.now();
  const r = f();
  return [r, (performance.now() - t0) / 1000];
};
const rows: (string | number)[][] = [];

const block = new Uint8Array(64 * MiB).map((_, i) => (i * 2654435761) >>> 24);
const [, crcS] = time(() => crc32c(block));
rows.push(['CRC-32C', '64 MiB', `${crcS.toFixed(2)} s`, `${(64 / crcS).toFixed(0)} MiB/s`]);

const set = { params: '124M', batch_size: '8', seq_len: '1024', lr: '6e-4', dataset: 'bench' };
const dir = mkdtempSync(join(tmpdir(), 'bitscale-bench-'));
const loss = (step: number) => 3 + 1 / (step + 1);

const tbFile = join(dir, 'tb', 'events.out.tfevents.1700000000.bench.1.0');
writeFile(tbFile, eventFileBytes(Array.from({ length: N }, (_, step) => ({ step, scalars: { 'train/loss': loss(step), 'val/loss': loss(step) + 0.1 } }))));
const measure = (what: string, file: string, read: () => ForeignRun) => {
  const mib = statSync(file).size / MiB;
  const [run, readS] = time(read);
  const [, convS] = time(() => foreignToRunLog(run, { set }));
  rows.push([`${what}: read`, `${N} records, ${mib.toFixed(1)} MiB`, `${readS.toFixed(2)} s`, `${(N / readS).toFixed(0)} records/s`]);
  rows.push([`${what}: convert`, `${N} points`, `${convS.toFixed(2)} s`, `${(N / convS).toFixed(0)} points/s`]);
};
measure('TensorBoard', tbFile, () => readTensorBoardRun(join(dir, 'tb')));

const type = wandbRecordType();
const records = Array.from({ length: N }, (_, step) =>
  type.encode(type.fromObject({ history: { item: [{ key: '_step', value_json: String(step) }, { key: 'val/loss', value_json: String(loss(step)) }] } })).finish(),
);
const wandbDir = join(dir, 'wandb', 'run-20240101_000000-bench');
writeFile(join(wandbDir, 'run-bench.wandb'), frameWandbRecords(records));
measure('W&B .wandb', join(wandbDir, 'run-bench.wandb'), () => readWandbRun([wandbDir]));

console.log(formatTable(['what', 'size', 'time', 'rate'], rows));
console.log(`\nload average ${loadavg()[0].toFixed(1)}: on a shared machine these rates are noisy; compare ratios within one run.`);
