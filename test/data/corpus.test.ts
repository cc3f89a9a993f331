import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BROWN_BYTES, BROWN_SHA256, brownFileToText, dropNonAscii, loadBrownCorpus, loadTextCorpus, trainingSubset, untagToken } from '../../src/data/corpus.js';
import { validationOffsets } from '../../src/train/batches.js';
import { readConfigObject } from '../../src/train/presets.js';

test('a Brown token word/tag keeps the part before the last slash; no slash keeps it whole', () => {
  assert.equal(untagToken('The/at'), 'The');
  assert.equal(untagToken('1/2/cd'), '1/2');
  assert.equal(untagToken('``/``'), '``');
  assert.equal(untagToken("''/''"), "''");
  assert.equal(untagToken('plain'), 'plain');
});

test('each paragraph (run of non-blank lines) becomes one line of space-joined words', () => {
  const tagged = '\n\n\tThe/at jury/nn\n\tsaid/vbd ./.\n\n\n\tIt/pps ran/vbd\n';
  assert.equal(brownFileToText(tagged), 'The jury said .\nIt ran\n');
});

test('the default corpus is Brown byte for byte: 6,127,074 bytes with the spec\'s sha256, split at 5,820,720', () => {
  const c = loadBrownCorpus();
  assert.equal(c.bytes.length, BROWN_BYTES);
  assert.equal(c.sha256, BROWN_SHA256);
  assert.equal(c.valStart, 5_820_720);
  assert.equal(c.nonAscii, 'dropped (0 bytes)');
});

test('bytes ≥ 128 are dropped and counted', () => {
  const { bytes, dropped } = dropNonAscii(Uint8Array.from([65, 200, 66, 255, 10]));
  assert.deepEqual(Array.from(bytes), [65, 66, 10]);
  assert.equal(dropped, 2);
});

test('--data DIR concatenates its files in name order, adding a newline after a file without one', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bitscale-data-'));
  writeFileSync(join(dir, 'b.txt'), 'second\n'.repeat(400));
  writeFileSync(join(dir, 'a.txt'), 'first café'.repeat(300));
  const c = loadTextCorpus(dir);
  const text = Buffer.from(c.bytes).toString('latin1');
  assert.ok(text.startsWith('first caf'));
  assert.ok(text.includes('first caf\nsecond\n'));
  assert.equal(c.nonAscii, 'dropped (600 bytes)'); // é is two UTF-8 bytes, 300 times
  assert.equal(c.valStart, Math.floor(0.95 * c.bytes.length));
});

test('a training subset of 1/64 is every 64th whole Brown file of the training split, followed by the same validation split', () => {
  const brown = loadBrownCorpus();
  const ends = brown.documentEnds!;
  assert.equal(ends.length, 500);
  const sub = trainingSubset(brown, 1 / 64);
  // The training split (5,820,720 bytes) holds the files whose end is at or before it.
  const whole = ends.filter((e) => e <= brown.valStart);
  const picked = whole.map((_, i) => i).filter((i) => i % 64 === 0);
  const text = (a: number, b: number) => Buffer.from(brown.bytes.subarray(a, b)).toString('latin1');
  const expected = picked.map((i) => text(i === 0 ? 0 : whole[i - 1], whole[i])).join('');
  assert.equal(Buffer.from(sub.bytes.subarray(0, sub.valStart)).toString('latin1'), expected);
  assert.equal(sub.subset?.documents, picked.length);
  assert.equal(sub.subset?.ofDocuments, whole.length);
  assert.equal(sub.subset?.bytes, sub.valStart);
  assert.equal(sub.subset?.ofTrainBytes, 5_820_720);
  assert.ok(Buffer.from(sub.bytes.subarray(sub.valStart)).equals(Buffer.from(brown.bytes.subarray(brown.valStart))));
  // Validation windows are the same bytes as the whole corpus's: val_bpc stays comparable.
  const windows = (c: typeof brown) => validationOffsets(c, 16, 128).map((o) => Buffer.from(c.bytes.subarray(o, o + 129)).toString('latin1'));
  assert.deepEqual(windows(sub), windows(brown));
  // The 1/256 subset is files 0 and 256, both among the 1/64 subset's.
  const smaller = trainingSubset(brown, 1 / 256);
  assert.equal(Buffer.from(smaller.bytes.subarray(0, smaller.valStart)).toString('latin1'), text(0, whole[0]) + text(whole[255], whole[256]));
  assert.equal(trainingSubset(brown, 1), brown);
});

test('one file has no document ends: its subset takes every k-th line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bitscale-subset-'));
  const lines = Array.from({ length: 400 }, (_, i) => `line ${String(i).padStart(3, '0')} of the corpus\n`);
  writeFileSync(join(dir, 'one.txt'), lines.join(''));
  const c = loadTextCorpus(join(dir, 'one.txt'));
  const sub = trainingSubset(c, 0.1);
  // 400 lines of 24 bytes; the training split is the first 9,120 bytes = 380 whole lines; every 10th of them.
  assert.equal(Buffer.from(sub.bytes.subarray(0, sub.valStart)).toString(), lines.slice(0, 380).filter((_, i) => i % 10 === 0).join(''));
  assert.equal(sub.subset?.documents, 38);
  assert.throws(() => trainingSubset(c, 0), /train_subset.*expected a fraction in \(0, 1\]/);
});

test('a config writes train_subset as "1/64" or a number; a bad one names the field', () => {
  const base = { preset: 'tiny' };
  assert.equal(readConfigObject({ ...base, train_subset: '1/64' }, 'g.json').trainSubset, 1 / 64);
  assert.equal(readConfigObject({ ...base, train_subset: 0.25 }, 'g.json').trainSubset, 0.25);
  assert.throws(() => readConfigObject({ ...base, train_subset: 'half' }, 'g.json'), /g\.json.*train_subset/);
  assert.throws(() => readConfigObject({ ...base, train_subset: '3/2' }, 'g.json'), /g\.json.*train_subset/);
});
