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

test('checkField names the one rule a file\'s value breaks, in the words the run log and CSV errors use', async () => {
  const { checkField, NON_NEGATIVE_INT, POSITIVE_INT } = await import('../../src/util/numbers.js');
  const at = { file: 'x.jsonl', line: 3, field: 'val_bpc' };
  const message = (value: unknown, spec: Parameters<typeof checkField>[1], shown?: string) => {
    try {
      checkField(value, spec, at, shown);
    } catch (err) {
      return (err as Error).message;
    }
    return 'accepted';
  };
  assert.equal(message(undefined, { min: 0 }), "x.jsonl:3: field 'val_bpc': missing");
  assert.equal(message(null, { min: 0 }), "x.jsonl:3: field 'val_bpc': is null, expected a number");
  assert.equal(message('NaN', { min: 0 }), "x.jsonl:3: field 'val_bpc': is NaN, expected a finite number");
  assert.equal(message(' -inf ', { min: 0 }), "x.jsonl:3: field 'val_bpc': is -inf, expected a finite number");
  assert.equal(message('lots', { min: 0 }), `x.jsonl:3: field 'val_bpc': expected a number, got "lots"`);
  assert.equal(message(Number.POSITIVE_INFINITY, {}), "x.jsonl:3: field 'val_bpc': is Infinity, expected a finite number");
  assert.equal(message(2.5, NON_NEGATIVE_INT), "x.jsonl:3: field 'val_bpc': expected an integer, got 2.5");
  assert.equal(message(-1, { min: 0 }), "x.jsonl:3: field 'val_bpc': must be ≥ 0, got -1");
  // Both ways of writing "positive" say so: > 0, and ≥ 1 for integers.
  assert.equal(message(0, { min: 0, minExclusive: true }), "x.jsonl:3: field 'val_bpc': must be positive, got 0");
  assert.equal(message(0, POSITIVE_INT), "x.jsonl:3: field 'val_bpc': must be positive, got 0");
  assert.equal(message(0.5, { min: 1 }), "x.jsonl:3: field 'val_bpc': must be ≥ 1, got 0.5");
  assert.equal(message(2, { max: 1 }), "x.jsonl:3: field 'val_bpc': must be ≤ 1, got 2");
  assert.equal(message(1, { max: 1, maxExclusive: true }), "x.jsonl:3: field 'val_bpc': must be < 1, got 1");
  assert.equal(message(-5e6, { min: 0, minExclusive: true }, '-5M'), "x.jsonl:3: field 'val_bpc': must be positive, got -5M");
  // Integer first, then the range: -1.5 is not a whole number before it is below 0.
  assert.equal(message(-1.5, NON_NEGATIVE_INT), "x.jsonl:3: field 'val_bpc': expected an integer, got -1.5");
  assert.equal(checkField(undefined, { optional: true }, at), null);
  assert.equal(checkField(null, { nullable: true }, at), null);
  assert.equal(checkField(1e17, NON_NEGATIVE_INT, at), 1e17, 'a file\'s integer need not be safe: bounds are the checks\' business');
});

test('parseField reads a CSV cell: decimals only, suffixes only for counts, the cell shown as written', async () => {
  const { parseField, NON_NEGATIVE_INT, POSITIVE_REAL } = await import('../../src/util/numbers.js');
  const at = { file: 'r.csv', line: 2, field: 'steps' };
  const message = (text: string | undefined, spec: Parameters<typeof parseField>[1]) => {
    try {
      return String(parseField(text, spec, at));
    } catch (err) {
      return (err as Error).message;
    }
  };
  assert.equal(message('1000', NON_NEGATIVE_INT), '1000');
  assert.equal(message(' 2.5e3 ', NON_NEGATIVE_INT), '2500');
  assert.equal(message(undefined, NON_NEGATIVE_INT), "r.csv:2: field 'steps': empty value");
  assert.equal(message(undefined, { ...NON_NEGATIVE_INT, optional: true }), 'null');
  assert.equal(message('0x10', NON_NEGATIVE_INT), "r.csv:2: field 'steps': not a number: '0x10'");
  assert.equal(message('1,5', NON_NEGATIVE_INT), "r.csv:2: field 'steps': not a number: '1,5'");
  assert.equal(message('30K', NON_NEGATIVE_INT), "r.csv:2: field 'steps': not a number: '30K'");
  assert.equal(message('NaN', NON_NEGATIVE_INT), "r.csv:2: field 'steps': is NaN, expected a finite number");
  assert.equal(message('-inf', NON_NEGATIVE_INT), "r.csv:2: field 'steps': is -inf, expected a finite number");
  assert.equal(message('12.5', NON_NEGATIVE_INT), "r.csv:2: field 'steps': expected an integer, got 12.5");
  assert.equal(message('46.4M', { ...POSITIVE_REAL, suffixes: true }), '46400000');
  assert.equal(message('-5M', { ...POSITIVE_REAL, suffixes: true }), "r.csv:2: field 'steps': must be positive, got -5M");
  assert.equal(message('0.0', POSITIVE_REAL), "r.csv:2: field 'steps': must be positive, got 0.0");
});

test('checkNumber keeps the option wording and refuses integers beyond 2^53', async () => {
  const { checkNumber, POSITIVE_INT } = await import('../../src/util/numbers.js');
  assert.equal(checkNumber(30, POSITIVE_INT, { field: 'steps' }), 30);
  assert.throws(() => checkNumber(1e17, POSITIVE_INT, { field: 'steps' }), (err: Error) => err.message === "field 'steps': expected an integer ≥ 1, got '100000000000000000'");
  assert.throws(() => checkNumber(0, POSITIVE_INT, { file: 'p.yaml', field: 'steps' }, '0'), (err: Error) => err.message === "p.yaml: field 'steps': expected an integer ≥ 1, got '0'");
});
