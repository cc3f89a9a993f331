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

test('a training subset is the first whole Brown files reaching the fraction, followed by the same validation split', () => {
  const brown = loadBrownCorpus();
  assert.equal(brown.documentEnds?.length, 500);
  const sub = trainingSubset(brown, 1 / 64);
  // 5,820,720 / 64 = 90,948.75 bytes asked; the cut is the first file end at or after it.
  const want = brown.valStart / 64;
  const ends = brown.documentEnds!;
  const k = ends.findIndex((e) => e >= want);
  assert.equal(sub.valStart, ends[k]);
  assert.ok(k > 0 && ends[k - 1] < want, 'no earlier file end reaches the fraction');
  const same = (x: Uint8Array, y: Uint8Array) => Buffer.from(x).equals(Buffer.from(y));
  assert.ok(same(sub.bytes.subarray(0, sub.valStart), brown.bytes.subarray(0, sub.valStart)));
  assert.ok(same(sub.bytes.subarray(sub.valStart), brown.bytes.subarray(brown.valStart)));
  assert.equal(sub.subset?.bytes, sub.valStart);
  assert.equal(sub.subset?.ofTrainBytes, 5_820_720);
  // Validation windows are the same bytes as the whole corpus's: val_bpc stays comparable.
  const a = validationOffsets(brown, 16, 128).map((o) => Buffer.from(brown.bytes.subarray(o, o + 129)).toString('latin1'));
  const b = validationOffsets(sub, 16, 128).map((o) => Buffer.from(sub.bytes.subarray(o, o + 129)).toString('latin1'));
  assert.deepEqual(b, a);
  // A smaller subset is a prefix of a larger one.
  const smaller = trainingSubset(brown, 1 / 256);
  assert.ok(smaller.valStart < sub.valStart);
  assert.ok(same(smaller.bytes.subarray(0, smaller.valStart), sub.bytes.subarray(0, smaller.valStart)));
  assert.equal(trainingSubset(brown, 1), brown);
});

test('one file has no document ends: its subset cuts at the first line end past the fraction', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bitscale-subset-'));
  const lines = Array.from({ length: 400 }, (_, i) => `line ${String(i).padStart(3, '0')} of the corpus`).join('\n') + '\n';
  writeFileSync(join(dir, 'one.txt'), lines);
  const c = loadTextCorpus(join(dir, 'one.txt'));
  const sub = trainingSubset(c, 0.1);
  assert.equal(c.bytes[sub.valStart - 1], 10, 'the subset ends at a line end');
  assert.ok(sub.valStart >= 0.1 * c.valStart && sub.valStart - 0.1 * c.valStart < 25, `${sub.valStart} bytes for ${0.1 * c.valStart} asked`);
  assert.throws(() => trainingSubset(c, 0), /train_subset.*expected a fraction in \(0, 1\]/);
});

test('a config writes train_subset as "1/64" or a number; a bad one names the field', () => {
  const base = { preset: 'tiny' };
  assert.equal(readConfigObject({ ...base, train_subset: '1/64' }, 'g.json').trainSubset, 1 / 64);
  assert.equal(readConfigObject({ ...base, train_subset: 0.25 }, 'g.json').trainSubset, 0.25);
  assert.throws(() => readConfigObject({ ...base, train_subset: 'half' }, 'g.json'), /g\.json.*train_subset/);
  assert.throws(() => readConfigObject({ ...base, train_subset: '3/2' }, 'g.json'), /g\.json.*train_subset/);
});
