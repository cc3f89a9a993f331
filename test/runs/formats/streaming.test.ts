/** Record files read through a moving 1 MiB window give exactly the records of the file read whole (issue 27, item 6). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eachTFRecord, frameTFRecord, readTFRecords } from '../../../src/runs/formats/tfrecord.js';
import { eachWandbRecord, frameWandbRecords, readWandbRecords, wandbRecordType } from '../../../src/runs/formats/wandb.js';
import { openFileWindow, readLines } from '../../../src/util/files.js';
import { encodeEvent } from './writers.js';

const dir = mkdtempSync(join(tmpdir(), 'bitscale-window-'));

function sameRecords(file: string, whole: { offset: number; data: Uint8Array }[], each: (src: ReturnType<typeof openFileWindow>) => Iterable<{ offset: number; data: Uint8Array }>) {
  const src = openFileWindow(file);
  try {
    let i = 0;
    for (const r of each(src)) {
      assert.equal(r.offset, whole[i].offset);
      assert.ok(Buffer.from(r.data).equals(Buffer.from(whole[i].data)), `record ${i} at byte ${r.offset}`);
      i++;
    }
    assert.equal(i, whole.length);
  } finally {
    src.close();
  }
}

test('a 3 MB .wandb file read through the window: every record, including those split across 32 KiB blocks at the window\'s edges', () => {
  const type = wandbRecordType();
  const bytes = frameWandbRecords(Array.from({ length: 60_000 }, (_, s) => type.encode(type.fromObject({ history: { item: [{ key: '_step', value_json: String(s) }, { key: 'train/loss', value_json: '3.1234' }] } })).finish()));
  const file = join(dir, 'run.wandb');
  writeFileSync(file, bytes);
  assert.ok(bytes.length > 2 * 1024 * 1024);
  sameRecords(file, readWandbRecords(bytes, file), (src) => eachWandbRecord(src, file));
});

test('a 3 MB event file read through the window: every record, including those across the window\'s edges', () => {
  const bytes = Buffer.concat(Array.from({ length: 60_000 }, (_, step) => frameTFRecord(encodeEvent({ step, scalars: { 'train/loss': 3 + 1 / (step + 1) } }))));
  const file = join(dir, 'events.out.tfevents.1.h.1.0');
  writeFileSync(file, bytes);
  assert.ok(bytes.length > 2 * 1024 * 1024);
  sameRecords(file, readTFRecords(bytes, file), (src) => eachTFRecord(src, file));
});

test('readLines: lines across 1 MiB chunks, a multi-byte character split between chunks, \\r\\n endings and an unterminated last line', () => {
  const file = join(dir, 'lines.log');
  const lines = Array.from({ length: 5000 }, (_, i) => `line ${i} ${'é'.repeat(i % 50)} ${'x'.repeat(i % 300)}`);
  writeFileSync(file, `\uFEFF${lines.join('\r\n')}`);
  const got = [...readLines(file, 4096)];
  assert.deepEqual(got.map((l) => l.text), lines);
  assert.deepEqual(got.map((l) => l.line), lines.map((_, i) => i + 1));
  assert.deepEqual(got.map((l) => l.terminated), lines.map((_, i) => i < lines.length - 1));
});
