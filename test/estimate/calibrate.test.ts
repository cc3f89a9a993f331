import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SEED_CONFIGS, trainingFlopsPerStep } from '../../src/arch/bitlm.js';
import { calibrateFromRuns, calibrateTtBytes, presetForRun } from '../../src/estimate/calibrate.js';
import { requireGpu } from '../../src/estimate/hardware.js';
import { maxTtBytesThatFit } from '../../src/estimate/memory.js';
import { toRunRecord } from '../../src/runs/table.js';
import { loadRunTable } from '../../src/runs/table.js';
import type { RunRecord, SummaryRecord } from '../../src/runs/types.js';
import { sampleHeader } from '../helpers.js';

const seedRuns = loadRunTable(new URL('../../runs', import.meta.url).pathname).filter((r) => r.collection === 'seed');

/** A 46.4M run record on a GPU, with the given batch, backend and summary. */
function gpuRun(id: string, batchSize: number, backend: string, summary: Partial<SummaryRecord>, peak?: number): RunRecord {
  const h = sampleHeader({
    run_id: id,
    config: { d: 1024, layers: 8, heads: 32, d_ff: 512, seq_len: 256, vocab: 128 },
    params: 46_399_488,
    batch_size: batchSize,
    seq_len: 256,
    precision: 'bf16-autocast',
    backend,
    hardware: 'A100 40GB',
  });
  const s: SummaryRecord = { type: 'summary', status: 'completed', steps: 100, tokens: 100 * batchSize * 256, final_val_bpc: 2, wall_s: null, ...(peak ? { peak_bytes: peak } : {}), ...summary };
  return toRunRecord({ header: h, steps: [], evals: [{ type: 'eval', step: 100, tokens: 100 * batchSize * 256, val_bpc: 2 }], summary: s }, `synthetic/${id}.jsonl`)!;
}

test('the seed runs are torch.compile runs: the compiled preset is calibrated from them', () => {
  assert.equal(seedRuns.length, 10);
  for (const r of seedRuns.filter((r) => r.config)) assert.equal(presetForRun(r), 'torch-compiled-bf16');
});

test('a tfjs run maps to the preset of its attention kernels; a log that does not say predates the causal kernels', () => {
  const run = (backend: string, kernels: 'bitscale' | 'backend' | null) => ({ backend, precision: 'fp32' as const, kernels });
  assert.equal(presetForRun(run('wasm', 'bitscale')), 'tfjs-fp32');
  assert.equal(presetForRun(run('cpu', 'bitscale')), 'tfjs-fp32');
  assert.equal(presetForRun(run('tensorflow', 'backend')), 'tfjs-fp32-backend-kernels');
  assert.equal(presetForRun(run('wasm', null)), 'tfjs-fp32-backend-kernels');
  assert.equal(presetForRun(run('torch 2.3', null)), 'torch-eager-fp32');
});

test('the 46.4M bs=256 A100 run bounds the T×T bytes from above; the preset value lies inside the range', () => {
  const cal = calibrateFromRuns(seedRuns).tt['torch-compiled-bf16']!;
  assert.match(cal.maxSource, /^glm_50M_bs256_hlr /);
  assert.equal(cal.max, maxTtBytesThatFit(SEED_CONFIGS['46.4M'], 256, requireGpu('a100-40gb').usableBytes, { preset: 'torch-compiled-bf16' }));
  assert.ok(cal.max > 6 && cal.max < 6.5, String(cal.max));
  assert.equal(cal.min, 2);
  assert.match(cal.minSource, /^assumption/);
  assert.equal(cal.value, 4);
  assert.ok(cal.value >= cal.min && cal.value <= cal.max);
});

test('if the seed run had been eager, its 6 bytes plus 16 in flight would not fit: calibration clamps to the bound and says why', () => {
  const eagerRun = gpuRun('eager256', 256, 'pytorch eager', {});
  const cal = calibrateTtBytes([eagerRun], 'torch-eager-bf16');
  assert.ok(cal.max < 6, String(cal.max));
  assert.equal(cal.value, cal.max);
  assert.match(cal.verdict, /would not have fit eager256/);
});

test('an out-of-memory run gives a lower bound, a logged GPU peak solves the bytes exactly', () => {
  const usable = requireGpu('a100-40gb').usableBytes;
  const oom = gpuRun('oom320', 320, 'pytorch (torch.compile)', { status: 'stopped', message: 'CUDA out of memory at step 1' });
  const bound320 = maxTtBytesThatFit(SEED_CONFIGS['46.4M'], 320, usable, { preset: 'torch-compiled-bf16' });
  assert.ok(bound320 > 2);
  let cal = calibrateTtBytes([oom], 'torch-compiled-bf16');
  assert.equal(cal.min, bound320);
  assert.match(cal.minSource, /^oom320 /);
  const weak = calibrateTtBytes([gpuRun('oom1024', 1024, 'pytorch (torch.compile)', { status: 'stopped', message: 'OOM' })], 'torch-compiled-bf16');
  assert.equal(weak.min, 2, 'an OOM weaker than the physical minimum leaves the minimum');
  const peakBytes = 20 * 2 ** 30;
  const measured = gpuRun('peak64', 64, 'pytorch (torch.compile)', {}, peakBytes);
  cal = calibrateTtBytes([measured], 'torch-compiled-bf16');
  const exact = maxTtBytesThatFit(SEED_CONFIGS['46.4M'], 64, peakBytes, { preset: 'torch-compiled-bf16', fragmentation: 0 });
  assert.equal(cal.min, exact);
  assert.equal(cal.max, exact);
});

test('achieved FLOP/s from the seed wall-clocks: 276 ms/step → 71.9 TFLOP/s at bs=256, 162 ms/step → 30.6 at bs=64', () => {
  const points = calibrateFromRuns(seedRuns).throughput;
  assert.deepEqual(points.map((p) => p.runId).sort(), ['glm_50M_a100_bf16', 'glm_50M_bs256_hlr']);
  const big = points.find((p) => p.runId === 'glm_50M_bs256_hlr')!;
  assert.equal(big.secondsPerStep, 4140 / 15000);
  assert.equal(big.flopsPerStep, trainingFlopsPerStep(SEED_CONFIGS['46.4M'], 256));
  assert.equal(Math.round(big.achievedFlops / 1e11) / 10, 71.9);
  assert.equal(Math.round(big.mfu * 1000) / 1000, 0.23);
  const small = points.find((p) => p.runId === 'glm_50M_a100_bf16')!;
  assert.equal(Math.round(small.achievedFlops / 1e11) / 10, 30.6);
});
