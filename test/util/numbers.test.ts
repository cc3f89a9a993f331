import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseNumber, parseNumberText, POSITIVE_INT, FRACTION, LEVEL } from '../../src/util/numbers.js';

test('parseNumberText reads plain, scientific and K/M/B/T-suffixed numbers', () => {
  assert.equal(parseNumberText('1234'), 1234);
  assert.equal(parseNumberText('30K'), 30000);
  assert.equal(parseNumberText('40k'), 40000);
  assert.equal(parseNumberText('369.6M'), 369600000);
  assert.equal(parseNumberText('46.4M'), 46400000);
  assert.equal(parseNumberText('2B'), 2e9);
  assert.equal(parseNumberText('4T'), 4e12);
  assert.equal(parseNumberText('1e9'), 1e9);
  assert.equal(parseNumberText('-0.5'), -0.5);
  assert.equal(parseNumberText('.25'), 0.25);
  assert.ok(Number.isNaN(parseNumberText('abc')));
  assert.ok(Number.isNaN(parseNumberText('')));
  assert.ok(Number.isNaN(parseNumberText('3KM')));
  assert.ok(Number.isNaN(parseNumberText('30K', false)));
});

test('parseNumber checks kind and range and names the field', () => {
  assert.equal(parseNumber('30K', 'steps', POSITIVE_INT), 30000);
  assert.throws(() => parseNumber('30.5', 'steps', POSITIVE_INT), /field 'steps': expected an integer ≥ 1, got '30.5'/);
  assert.throws(() => parseNumber('0', 'bs', POSITIVE_INT), /field 'bs'/);
  assert.throws(() => parseNumber('abc', 'bootstrap', POSITIVE_INT), /got 'abc'/);
  assert.throws(() => parseNumber('1e30', 'bs', { integer: true, min: 1, max: 1e7 }), /≤ 10000000/);
  assert.equal(parseNumber('0.5', 'mfu', FRACTION), 0.5);
  assert.throws(() => parseNumber('5', 'mfu', FRACTION), /field 'mfu': expected a number > 0 and ≤ 1/);
  assert.throws(() => parseNumber('1', 'level', LEVEL), /< 1/);
  assert.equal(parseNumber('2.5K', 'bs', POSITIVE_INT), 2500);
});
