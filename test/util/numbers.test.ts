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

test('byNaturalOrder: numbers inside strings compare as numbers (19.5K < 37.6K < 213.0K as counts), the rest by code point, ties total', async () => {
  const { byNaturalOrder } = await import('../../src/util/numbers.js');
  const keys = ['params=212992|bs=16', 'params=19520|bs=16', 'params=37568|bs=16', 'params=90880|bs=16'];
  assert.deepEqual([...keys].sort(byNaturalOrder), ['params=19520|bs=16', 'params=37568|bs=16', 'params=90880|bs=16', 'params=212992|bs=16']);
  assert.deepEqual(['steps=1120', 'steps=280', 'steps=560'].sort(byNaturalOrder), ['steps=280', 'steps=560', 'steps=1120']);
  assert.deepEqual(['lr=0.003', 'lr=0.0006', 'lr=0.001'].sort(byNaturalOrder), ['lr=0.0006', 'lr=0.001', 'lr=0.003']);
  assert.deepEqual(['brown', 'GLM-Reasoning', 'TinyStories'].sort(byNaturalOrder), ['GLM-Reasoning', 'TinyStories', 'brown']);
  assert.equal(byNaturalOrder('a01', 'a1'), '01' < '1' ? -1 : 1, 'equal numbers fall back to code point order');
  assert.equal(byNaturalOrder('x', 'x'), 0);
});
