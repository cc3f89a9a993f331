import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatBytesColumn, formatDuration, formatDurationColumn, formatFactor, formatGiB, formatInterval, formatLoss, formatNumber, formatPercent, formatShape, formatSigned, formatSignedPercent, formatSteps } from '../../src/util/format.js';

test('a column of durations uses one unit: the runs table no longer mixes "101.5 s" and "2.2 min"', () => {
  // The former CPU study's (runs/brown-cpu) d64 runs: 51.4 s, 101.5 s, 3.4 min; its d128 run 7.9 min.
  const { unit, cells } = formatDurationColumn([51.4, 101.5, 204, 474, null]);
  assert.equal(unit, 'min');
  assert.deepEqual(cells, ['0.9 min', '1.7 min', '3.4 min', '7.9 min', '-']);
  assert.deepEqual(formatDurationColumn([0.871, 1.4, 51.4]).cells, ['0.9 s', '1.4 s', '51.4 s']);
  assert.deepEqual(formatDurationColumn([3, 6480, 9000]).cells, ['0.00083 h', '1.8 h', '2.5 h']);
  assert.deepEqual(formatDurationColumn([null], '—').cells, ['—']);
});

test('formatDuration keeps sub-millisecond times readable: the estimate\'s 500 µs floor', () => {
  assert.equal(formatDuration(5e-4), '500 µs');
  assert.equal(formatDuration(0.276), '276 ms');
  assert.equal(formatDuration(0.0084), '8.4 ms');
  assert.equal(formatDuration(101.5), '101.5 s');
  assert.equal(formatDuration(4140), '69.0 min');
});

test('a column of byte counts uses one unit: the estimate\'s memory table no longer mixes MiB and GiB', () => {
  const GIB = 2 ** 30;
  // 300M config at bs=256: sign(W) copies 704.5 MiB, ALiBi 8 MiB, latent weights 1.38 GiB, total 74.57 GiB.
  assert.deepEqual(formatBytesColumn([704.5 * 2 ** 20, 8 * 2 ** 20, 1.376953125 * GIB, 74.57 * GIB]), ['0.69 GiB', '0.0078 GiB', '1.38 GiB', '74.57 GiB']);
  assert.deepEqual(formatBytesColumn([2048, 863.1 * 1024]), ['2.00 KiB', '863.10 KiB']);
  assert.deepEqual(formatBytesColumn([0, 12]), ['0 B', '12 B']);
});

test('formatSteps is compact only where exact: 15K and 40K, but 1,120 and 30,339 (not "1K", "30K")', () => {
  assert.equal(formatSteps(15000), '15K');
  assert.equal(formatSteps(40000), '40K');
  assert.equal(formatSteps(1120), '1,120');
  assert.equal(formatSteps(30339), '30,339');
  assert.equal(formatSteps(280), '280');
  assert.equal(formatSteps(1_250_000), '1.25M');
  assert.equal(formatSteps(1_234_567), '1,234,567');
});

test('signed values and percentages carry a true minus sign and an explicit plus', () => {
  assert.equal(formatSigned(0.012), '+0.012');
  assert.equal(formatSigned(-0.5), '−' + '0.500');
  assert.equal(formatSignedPercent(0.04), '+4%');
  assert.equal(formatSignedPercent(-0.113), '−' + '11%');
  assert.equal(formatPercent(0.1234), '12.3%');
  assert.equal(formatPercent(-0.05, 0), '−' + '5%');
  assert.equal(formatLoss(1.40725), '1.407');
});

test('formatNumber switches to exponential notation outside [1e-3, 1e4); formatInterval names its level', () => {
  assert.equal(formatNumber(0.3412), '0.341');
  assert.equal(formatNumber(12340), '1.234e+4');
  assert.equal(formatNumber(-2e-5), '−' + '2.000e-5');
  assert.equal(formatNumber(Number.NaN), '-');
  assert.equal(formatInterval({ lo: 1.3921, hi: 1.4224, level: 0.8 }), '[1.392, 1.422] (80%)');
  assert.equal(formatInterval({ lo: 1.3921, hi: 1.4224, level: 0.8 }, 3, { level: false }), '[1.392, 1.422]');
  assert.equal(formatInterval(null), '—');
});

test('GiB, factors and shapes: 1.5 GiB, 25,000×, "d=1024 L=8 H=32 d_ff=512"', () => {
  assert.equal(formatGiB(1.5 * 2 ** 30), '1.50 GiB');
  assert.equal(formatGiB(40 * 2 ** 30, 1), '40.0 GiB');
  assert.equal(formatFactor(1.5), '1.5×');
  assert.equal(formatFactor(25_000), '25,000×');
  assert.equal(formatFactor(1e25), '1.0e+25×');
  const shape = { d: 1024, layers: 8, heads: 32, dFf: 512 };
  assert.equal(formatShape(shape), 'd=1024 L=8 H=32 d_ff=512');
  assert.equal(formatShape(shape, { separator: ', ', extra: { T: 256 } }), 'd=1024, L=8, H=32, d_ff=512, T=256');
});

// cli
import { formatParam, formatParamInterval, formatRange, formatSeconds } from '../../src/util/format.js';

test('formatParam prints four decimals in fixed notation and three in the exponential form, with a true minus', () => {
  assert.equal(formatParam(0.218341), '0.2183');
  assert.equal(formatParam(1), '1.0000');
  assert.equal(formatParam(4.688e-5), '4.688e-5');
  assert.equal(formatParam(65130), '6.513e+4');
  assert.equal(formatParam(-45.4761, 3), '−' + '45.476');
  assert.equal(formatParam(Number.NaN), '-');
  assert.equal(formatParamInterval({ lo: 2.43271, hi: 4.9214e8 }), '[2.4327, 4.921e+8]');
  assert.equal(formatParamInterval(undefined), '-');
});

test('formatRange joins two ends with an en dash, an open end as ∞; formatSeconds keeps three significant digits', () => {
  assert.equal(formatRange(1.39312, 1.42521), '1.393–1.425');
  assert.equal(formatRange(1.39312, 1.42521, 4), '1.3931–1.4252');
  assert.equal(formatRange(2, null, 2), '2.00–∞');
  assert.equal(formatSeconds(2.134), '2.13 s');
  assert.equal(formatSeconds(42.04), '42 s');
  assert.equal(formatSeconds(0.0005), '500 µs');
  assert.equal(formatSeconds(0.276), '276 ms');
});

// report
test('formatLearningRate drops a ".0" mantissa', async () => {
  const { formatLearningRate } = await import('../../src/util/format.js');
  assert.equal(formatLearningRate(6e-4), '6e-4');
  assert.equal(formatLearningRate(1.5e-3), '1.5e-3');
  assert.equal(formatLearningRate(0.001), '1e-3');
});

test('formatMiB prints bytes in MiB to two decimals: 704.5 × 2^20 → "704.50 MiB"', async () => {
  const { formatMiB } = await import('../../src/util/format.js');
  assert.equal(formatMiB(704.5 * 2 ** 20), '704.50 MiB');
  assert.equal(formatMiB(2 ** 30), '1024.00 MiB');
});

test('formatNoun counts a noun: 1 run, 3 runs, 0 runs, and a given plural', async () => {
  const { formatNoun } = await import('../../src/util/format.js');
  assert.equal(formatNoun(1, 'run'), '1 run');
  assert.equal(formatNoun(3, 'run'), '3 runs');
  assert.equal(formatNoun(0, 'run'), '0 runs');
  assert.equal(formatNoun(2, 'batch', 'batches'), '2 batches');
});
