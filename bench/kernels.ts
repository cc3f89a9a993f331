/**
 * bitscale's product kernels one at a time, beside the backend's float matMul of the same shape:
 * GMAC/s (multiply-adds of the float product per second; the ±1 kernels do theirs without float
 * multiplies), fastest of `--repeat`, copies in and out of the kernels' memory included.
 *
 *   node --import tsx bench/kernels.ts [--sizes 512,1024] [--rows 1024] [--repeat 5]
 *
 * Per size d: x [rows, d]·W [d, d] as the float matMul (XNNPACK on wasm), the popcount product
 * (±1 x, `signMatMul`), the table-lookup product (float x, `signGemm`), and its transposed form
 * (xᵀ·dy for a ±1 x, the weight gradient, `signGemm` with aTransposed).
 */
import * as tf from '@tensorflow/tfjs-core';
import { parseArgs } from 'node:util';
import { kernelMemory, kernelModule, layoutRegions } from '../src/model/kernels.js';
import { packSignColumns, packSignRowsAndColumns, packSigns, signGemm, signMatMul } from '../src/model/sign-kernels.js';
import { selectBackend } from '../src/train/backend.js';
import { formatTable } from '../src/util/format.js';
import { timeRepeated } from './timing.js';

const { values } = parseArgs({ options: { sizes: { type: 'string', default: '512,1024' }, rows: { type: 'string', default: '1024' }, repeat: { type: 'string', default: '5' } } });
await selectBackend('wasm');
const rows = Number(values.rows);
const repeat = Number(values.repeat);
const random = (n: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 12.9898) * 43758.5453 % 1);
const out: (string | number)[][] = [];
for (const d of values.sizes.split(',').map(Number)) {
  const macs = rows * d * d;
  const x = random(rows * d);
  const w = random(d * d);
  const xt = tf.tensor2d(x, [rows, d]);
  const wt = tf.tensor2d(w, [d, d]);
  const gmacs = (ms: number) => (macs / (ms / 1000) / 1e9).toFixed(1);
  const float = timeRepeated(() => tf.tidy(() => void tf.matMul(xt, wt).dataSync()), { repeat, warmup: 1 }).min;
  const xRows = packSigns(x, rows, d)!;
  const wColumns = packSignColumns(w, d, d)!;
  const pop = timeRepeated(() => signMatMul(xRows, wColumns, 1), { repeat, warmup: 1 }).min;
  const table = timeRepeated(() => signGemm(x, rows, wColumns, 1), { repeat, warmup: 1 }).min;
  // xᵀ·dy for ±1 x [rows, d] and dy [rows, d] (signLinear's weight gradient): A = dyᵀ given as dy, S = x by its packed columns.
  const xColumns = packSignColumns(x, rows, d)!;
  const dy = random(rows * d);
  const transposed = timeRepeated(() => signGemm(dy, d, xColumns, 1, true), { repeat, warmup: 1 }).min;
  const packW = timeRepeated(() => packSignRowsAndColumns(w, d, d), { repeat, warmup: 1 }).min;
  // x's columns (a layer input's, for the weight gradient): the one-column walk against four columns at a time, in the kernels' memory.
  const { at: [src, dst], end } = layoutRegions([4 * rows * d, 8 * d * Math.ceil(rows / 64)]);
  new Float32Array(kernelMemory(end), src, rows * d).set(x);
  const k = kernelModule();
  const one = timeRepeated(() => k.pack_sign_columns(src, rows, d, dst, Math.ceil(rows / 64)), { repeat, warmup: 1 }).min;
  const four = timeRepeated(() => k.pack_sign_columns4(src, rows, d, dst, Math.ceil(rows / 64)), { repeat, warmup: 1 }).min;
  out.push([`[${rows}×${d}]·[${d}×${d}]`, gmacs(float), gmacs(pop), gmacs(table), gmacs(transposed), packW.toFixed(2), one.toFixed(2), four.toFixed(2)]);
  xt.dispose();
  wt.dispose();
}
process.stdout.write(`${formatTable(['product', 'float matMul GMAC/s', 'popcount (±1·±1)', 'table lookup (float·±1)', 'table lookup, transposed (xᵀ·dy)', 'pack W rows+columns ms', 'pack x columns ms: one column', 'four columns'], out)}\n`);
