import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { useWasm } from './helpers.js';
import { packSignColumns, packSignRowsAndColumns, packSigns, signGemm, signMatMul } from '../../src/model/sign-kernels.js';
import { readValues } from '../../src/model/wasm-kernels.js';

const tf = await useWasm();

/** ±1 values from a fixed linear congruential stream (no Math.random: failures must reproduce). */
function plusMinusOne(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s & 0x10000 ? -1 : 1;
  });
}

test('the committed module is the assembly of sign-kernels.wat (scripts/wasm.js --check)', () => {
  const r = spawnSync(process.execPath, [new URL('../../scripts/wasm.js', import.meta.url).pathname, '--check'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
});

test('packed signs: bit j of a row is set where value j is < 0; −0 and +0 pack as +1; bits past k stay 0', () => {
  const row = new Float32Array(70).fill(1);
  for (const j of [0, 3, 63, 64, 69]) row[j] = -1;
  row[5] = -0;
  row[6] = 0;
  row[7] = -1e-30;
  const p = packSigns(row, 1, 70)!;
  assert.equal(p.words, 2);
  const words = new BigUint64Array(p.bits.buffer, p.bits.byteOffset, 2);
  assert.equal(words[0], (1n << 0n) | (1n << 3n) | (1n << 7n) | (1n << 63n));
  assert.equal(words[1], (1n << 0n) | (1n << 5n));
});

test('a NaN anywhere (the SIMD body or the tail) leaves nothing to pack', () => {
  for (const at of [2, 68]) {
    const row = plusMinusOne(69, 1);
    row[at] = NaN;
    assert.equal(packSigns(row, 1, 69), null, `NaN at ${at}`);
  }
});

test('the packed product equals the float product x·w, then ·scale, bit for bit', () => {
  // Odd shapes take every path: k not a multiple of 4 or 64, n not a multiple of 4, one-word rows.
  for (const [m, k, n, seed] of [[5, 70, 9, 1], [33, 128, 64, 2], [16, 512, 256, 3], [3, 1, 5, 4], [8, 200, 7, 5]]) {
    const x = tf.tensor2d(plusMinusOne(m * k, seed), [m, k]);
    const w = tf.tensor2d(plusMinusOne(k * n, seed + 100), [k, n]);
    const scale = 1 / Math.sqrt(k);
    const expected = tf.mul(tf.matMul(x, w), scale).dataSync();
    const out = signMatMul(packSigns(readValues(x) as Float32Array, m, k)!, packSigns(readValues(tf.transpose(w)) as Float32Array, n, k)!, scale);
    assert.deepEqual(Array.from(out), Array.from(expected), `[${m}, ${k}]·[${k}, ${n}]`);
  }
});

test('mismatched operands are refused', () => {
  const a = packSigns(plusMinusOne(6, 1), 2, 3)!;
  const b = packSigns(plusMinusOne(8, 2), 2, 4)!;
  assert.throws(() => signMatMul(a, b, 1), /inner sizes 3 and 4 differ/);
  assert.throws(() => packSigns(new Float32Array(5), 2, 3), /5 values are not a \[2, 3\] matrix/);
});

test('the table-lookup product A·S equals the float product to float rounding, in both layouts (K across groups of eight chunks and a tail, M a multiple of 4)', () => {
  for (const [M, K, N, seed] of [[4, 70, 9, 1], [8, 130, 5, 2], [12, 64, 16, 3], [4, 1, 3, 4], [16, 520, 7, 5]]) {
    const a = Float32Array.from(plusMinusOne(M * K, seed), (s, i) => s * ((i % 13) + 1) * 0.37);
    const S = tf.tensor2d(plusMinusOne(K * N, seed + 50), [K, N]);
    const expected = tf.matMul(tf.tensor2d(a, [M, K]), S).dataSync();
    const columns = packSigns(readValues(tf.transpose(S)) as Float32Array, N, K)!;
    const largest = Math.max(...Array.from(expected, Math.abs));
    const rowsOut = signGemm(a, M, columns, 0.5).slice(); // a view until the next kernel call
    const aT = tf.transpose(tf.tensor2d(a, [M, K])).dataSync() as Float32Array;
    const colsOut = signGemm(aT, M, columns, 0.5, true).slice();
    for (let m = 0; m < M; m++)
      for (let n = 0; n < N; n++) {
        const want = 0.5 * expected[m * N + n];
        assert.ok(Math.abs(rowsOut[m * N + n] - want) <= 1e-6 * largest, `[${M}, ${K}]·[${K}, ${N}] at (${m}, ${n}): ${rowsOut[m * N + n]} vs ${want}`);
        assert.ok(Math.abs(colsOut[n * M + m] - want) <= 1e-6 * largest, `transposed layout at (${m}, ${n})`);
      }
  }
  assert.throws(() => signGemm(new Float32Array(6 * 3), 6, packSigns(plusMinusOne(6, 1), 2, 3)!, 1), /M = 6 is not a multiple of 4/);
});

test('packed columns are the packed rows of the transpose, made without it, alone or beside the rows; a NaN leaves nothing to pack', () => {
  // Column counts a multiple of 4 take the four-column SIMD kernel: bands of 64 rows, 32 and fewer in the last.
  for (const [rows, cols, seed] of [[70, 9, 1], [64, 3, 2], [1, 5, 3], [130, 4, 4], [64, 8, 6], [97, 12, 7], [20, 16, 8], [1, 4, 9]]) {
    const m = plusMinusOne(rows * cols, seed);
    m[0] = -0;
    const t = tf.transpose(tf.tensor2d(m, [rows, cols])).dataSync() as Float32Array;
    assert.deepEqual(packSignColumns(m, rows, cols), packSigns(t, cols, rows), `[${rows}, ${cols}]`);
    assert.deepEqual(packSignRowsAndColumns(m, rows, cols), { rows: packSigns(m, rows, cols), columns: packSigns(t, cols, rows) }, `both of [${rows}, ${cols}]`);
  }
  const m = plusMinusOne(70 * 3, 5);
  m[69 * 3 + 2] = NaN;
  assert.equal(packSignColumns(m, 70, 3), null);
  assert.equal(packSignRowsAndColumns(m, 70, 3), null);
  const m4 = plusMinusOne(97 * 8, 10);
  m4[96 * 8 + 5] = NaN;
  assert.equal(packSignColumns(m4, 97, 8), null);
});
