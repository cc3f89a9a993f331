import { test } from 'node:test';
import assert from 'node:assert/strict';
import { crc32, crc32c, maskCrc } from '../../../src/runs/formats/crc.js';
import { frameTFRecord, readTFRecords } from '../../../src/runs/formats/tfrecord.js';

const ascii = (s: string) => new TextEncoder().encode(s);

test('CRC-32C and CRC-32 give the standard check values over "123456789"', () => {
  assert.equal(crc32c(ascii('123456789')), 0xe3069283);
  assert.equal(crc32(ascii('123456789')), 0xcbf43926);
  // RFC 3720 B.4: 32 bytes of zeros → 0x8A9136AA
  assert.equal(crc32c(new Uint8Array(32)), 0x8a9136aa);
});

test('crc32 with a seed continues over the following bytes', () => {
  assert.equal(crc32(ascii('6789'), crc32(ascii('12345'))), 0xcbf43926);
});

test('the mask is rotate-right-15 plus 0xa282ead8 mod 2^32', () => {
  // 0x12345678 rotated right by 15 = 0xACF02468; + 0xa282ead8 = 0x4F730F40 (mod 2^32)
  assert.equal(maskCrc(0x12345678), 0x4f730f40);
  assert.equal(maskCrc(0), 0xa282ead8);
});

test('framed records read back with their byte offsets', () => {
  const a = frameTFRecord(ascii('hello'));
  const b = frameTFRecord(ascii(''));
  const c = frameTFRecord(ascii('world!'));
  assert.equal(a.length, 12 + 5 + 4);
  const recs = readTFRecords(Buffer.concat([a, b, c]), 'x');
  assert.deepEqual(recs.map((r) => [r.offset, new TextDecoder().decode(r.data)]), [[0, 'hello'], [21, ''], [37, 'world!']]);
});

test('a record cut short at the end is skipped with a warning naming its offset', () => {
  const whole = Buffer.concat([frameTFRecord(ascii('one')), frameTFRecord(ascii('two'))]);
  for (const cut of [1, 5, 14, 18]) {
    const warnings: string[] = [];
    const recs = readTFRecords(whole.subarray(0, whole.length - cut), 'ev', (m) => warnings.push(m));
    assert.equal(recs.length, 1, `cut ${cut}`);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0], /^ev: skipped a truncated last record at byte 19/);
  }
});

test('a checksum mismatch before the last record is an error naming the file and byte offset', () => {
  const whole = Buffer.concat([frameTFRecord(ascii('one')), frameTFRecord(ascii('two')), frameTFRecord(ascii('three'))]);
  const dataFlip = Buffer.from(whole);
  dataFlip[19 + 12] ^= 0x01; // first data byte of the second record
  assert.throws(() => readTFRecords(dataFlip, 'run/ev'), /run\/ev: corrupt TFRecord: data checksum mismatch in the record at byte 19/);
  const lengthFlip = Buffer.from(whole);
  lengthFlip[19] ^= 0x02;
  assert.throws(() => readTFRecords(lengthFlip, 'run/ev'), /run\/ev: corrupt TFRecord: length checksum mismatch at byte 19/);
});
