import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GPUS, RUNTIME_RESERVE_BYTES, findGpu, requireGpu } from '../../src/estimate/hardware.js';

const GIB = 2 ** 30;

test('the catalog holds the seven GPUs the issue names', () => {
  assert.deepEqual(GPUS.map((g) => g.id).sort(), ['a100-40gb', 'a100-80gb', 'h100-80gb', 'h200', 'l4', 'rtx-4090', 'rtx-5090']);
});

test('every catalog figure names a source', () => {
  for (const g of GPUS) {
    for (const field of ['memory_gb', 'capacity_gib', 'bf16_tflops', 'fp32_tflops', 'bandwidth_gbs']) {
      assert.ok((g.sources[field] ?? '').length > 10, `${g.id}.${field} has no source`);
    }
  }
});

test('A100 40GB: 39.5 GiB reported capacity less the 0.5 GiB runtime reserve, 312 bf16 / 19.5 fp32 TFLOP/s', () => {
  const a = requireGpu('a100-40gb');
  assert.equal(RUNTIME_RESERVE_BYTES, 0.5 * GIB);
  assert.equal(a.usableBytes, 39 * GIB);
  assert.equal(a.bf16Flops, 312e12);
  assert.equal(a.fp32Flops, 19.5e12);
});

test('usable memory is 85–100% of the nominal memory (binary GB, as HBM/GDDR are sized) for every GPU', () => {
  for (const g of GPUS) assert.ok(g.usableBytes < g.memoryGb * GIB && g.usableBytes > 0.85 * g.memoryGb * GIB, g.id);
});

test('run-log hardware names resolve to catalog ids; unknown names are errors', () => {
  assert.equal(findGpu('A100 40GB')?.id, 'a100-40gb');
  assert.equal(findGpu('NVIDIA GeForce RTX 4090')?.id, 'rtx-4090');
  assert.equal(findGpu('h100-80gb')?.id, 'h100-80gb');
  assert.equal(findGpu('AMD EPYC 9R45 (2 logical cores)'), null);
  assert.throws(() => requireGpu('v100'), /unknown GPU 'v100' \(known: a100-40gb/);
});
