import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BROWN_BYTES, BROWN_SHA256, brownFileToText, dropNonAscii, loadBrownCorpus, loadTextCorpus, untagToken } from '../../src/data/corpus.js';

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
