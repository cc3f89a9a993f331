import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SEED_CONFIGS, trainingFlopsPerStep } from '../../src/arch/bitlm.js';
import { calibrateFromRuns } from '../../src/estimate/calibrate.js';
import { DEFAULT_MFU, KERNEL_LAUNCH_SECONDS, KERNELS_PER_LAYER, estimateToJson, estimateTraining, formatSplit, splitBatch, sweepBatchSizes } from '../../src/estimate/estimate.js';
import { estimateTrainingMemory } from '../../src/estimate/memory.js';
import { loadRunTable } from '../../src/runs/table.js';

const GIB = 2 ** 30;
const runs = loadRunTable(new URL('../../runs', import.meta.url).pathname).filter((r) => r.collection === 'seed');
const cal = calibrateFromRuns(runs);

test('the seed\'s 46.4M run at bs=256 on an A100 40GB fits, and its own wall-clock comes back: 276 ms/step', () => {
  const e = estimateTraining({ config: SEED_CONFIGS['46.4M'], batchSize: 256, gpu: 'A100 40GB', steps: 15000 }, cal);
  assert.equal(e.fits, true);
  assert.equal(e.gradAccumSteps, 1);
  assert.equal(e.throughput.method, 'calibrated');
  assert.deepEqual(e.throughput.curve.runs.sort(), ['glm_50M_a100_bf16', 'glm_50M_bs256_hlr']);
  assert.ok(Math.abs(e.secondsPerStep! - 0.276) < 1e-12);
  assert.ok(Math.abs(e.totalHours! - 69 / 60) < 1e-9);
});

test('the "300M" config: 369,623,040 params; at bs=256 it does not fit an A100 40GB (the seed\'s 8–10 GB budget omits the T×T tensors)', () => {
  const e = estimateTraining({ config: SEED_CONFIGS['300M'], batchSize: 256, gpu: 'a100-40gb', steps: 30000 }, cal);
  assert.equal(e.params, 369_623_040);
  assert.equal(e.flopsPerStep, trainingFlopsPerStep(SEED_CONFIGS['300M'], 256));
  assert.equal(e.fits, false);
  assert.ok(e.totalBytes > 60 * GIB, `${e.totalBytes / GIB} GiB`);
  assert.ok(e.memory.byGroup.attention >= 32 * GIB, 'the saved fp32 probabilities alone are 32 GiB');
  // Even without any T×T tensor the activations exceed the seed's "~4 GB".
  assert.ok(e.memory.byGroup.activations > 20 * GIB);
  assert.ok(e.maxMicroBatch >= 64 && e.maxMicroBatch < 256, String(e.maxMicroBatch));
  assert.deepEqual(e.split, { parts: [{ size: 64, count: 4 }], steps: 4, largest: 64, even: true });
  assert.equal(e.gradAccumSteps, 4);
  assert.equal(e.microBatch, 64);
  assert.equal(e.totalHours, (30000 * e.secondsPerStep!) / 3600);
});

test('seconds per step = the curve\'s fixed part once + accumulation steps × FLOPs(micro-batch) / (mfuMax × peak)', () => {
  const e = estimateTraining({ config: SEED_CONFIGS['300M'], batchSize: 256, gpu: 'a100-40gb' }, cal);
  const { mfuMax, overheadFlops } = e.throughput.curve;
  const expected = overheadFlops / 312e12 + (4 * trainingFlopsPerStep(SEED_CONFIGS['300M'], 64)) / (mfuMax * 312e12);
  assert.ok(Math.abs(e.secondsPerStep! / expected - 1) < 1e-12);
  assert.equal(e.floorApplied, false);
  assert.equal(e.totalHours, null);
});

test('without a run on that GPU the A100 runs\' MFU curve is carried over and said so; a given MFU or 25% is constant', () => {
  const e = estimateTraining({ config: SEED_CONFIGS['46.4M'], batchSize: 256, gpu: 'h100-80gb' }, cal);
  const a100 = estimateTraining({ config: SEED_CONFIGS['46.4M'], batchSize: 256, gpu: 'a100-40gb' }, cal);
  assert.equal(e.throughput.method, 'transferred');
  // The same MFU at the same work per step, on the H100's 989.5 TFLOP/s peak.
  assert.ok(Math.abs(e.throughput.mfu - a100.throughput.mfu) < 1e-12);
  assert.ok(Math.abs(e.secondsPerStep! - trainingFlopsPerStep(SEED_CONFIGS['46.4M'], 256) / (a100.throughput.mfu * 989.5e12)) < 1e-12);
  assert.ok(e.evidence.some((l) => /no measured run on h100-80gb at bf16-autocast: assumed the MFU curve of the runs on a100-40gb carries over/.test(l)));
  const given = estimateTraining({ config: SEED_CONFIGS['46.4M'], batchSize: 64, gpu: 'h100-80gb', mfu: 0.5 }, cal);
  assert.ok(Math.abs(given.throughput.achievedFlops / (0.5 * 989.5e12) - 1) < 1e-12);
  const noCal = estimateTraining({ config: SEED_CONFIGS['46.4M'], batchSize: 64, gpu: 'a100-40gb' });
  assert.ok(Math.abs(noCal.throughput.achievedFlops / (DEFAULT_MFU * 312e12) - 1) < 1e-12);
  assert.ok(noCal.evidence.some((l) => /assumed MFU 25\.0% \(default\)/.test(l)));
});

test('the estimate prints the T×T evidence: the calibrating run and the consistent range', () => {
  const e = estimateTraining({ config: SEED_CONFIGS['46.4M'], batchSize: 256, gpu: 'a100-40gb' }, cal);
  const line = e.evidence.find((l) => l.startsWith('T×T bytes per element'))!;
  assert.match(line, /glm_50M_bs256_hlr/);
  assert.match(line, /consistent range 2\.00–6\.\d\d/);
  assert.equal(e.tt.value, 4);
});

test('sweep: bs = 1, 2, 4, … every row fits but the last, which is the first power of two above the largest micro-batch', () => {
  const input = { config: SEED_CONFIGS['300M'], gpu: 'a100-40gb' };
  const rows = sweepBatchSizes(input, cal);
  const max = estimateTraining({ ...input, batchSize: 1 }, cal).maxMicroBatch;
  rows.forEach((r, i) => assert.equal(r.batchSize, 2 ** i));
  assert.ok(rows.slice(0, -1).every((r) => r.fits));
  assert.equal(rows.at(-1)!.fits, false);
  assert.ok(rows.at(-1)!.batchSize > max && rows.at(-2)!.batchSize <= max);
  assert.equal(rows[3].totalBytes, estimateTrainingMemory(SEED_CONFIGS['300M'], 8, { ttBytesPerElement: 4 }).totalBytes);
});

test('JSON output carries the issue\'s keys, one memory key per component', () => {
  const j = estimateToJson(estimateTraining({ config: SEED_CONFIGS['13.7M'], batchSize: 32, gpu: 'rtx-4090', steps: 1000 }, cal)) as Record<string, unknown>;
  for (const k of ['params', 'flops_per_step', 'memory', 'fits', 'max_micro_batch', 'grad_accum_steps', 'seconds_per_step', 'hours']) assert.ok(k in j, k);
  const mem = j.memory as Record<string, number>;
  assert.ok(mem.total_bytes > 0);
  for (const k of ['latent_weights', 'sign_weight_copies', 'gradients', 'adamw_m', 'adamw_v', 'q', 'k', 'v', 'attention_scores', 'attention_probs', 'attention_onehot', 'attention_output', 'ffn_gate_pre', 'ffn_up', 'ffn_h', 'residual_pre_sign', 'logits', 'loss']) assert.ok(k in mem, k);
  assert.equal(j.params, 13_680_640);
});

test('splitBatch: the micro-batches always sum to the batch asked for, none above the largest that fits (every bs ≤ 600 × max ≤ 300)', () => {
  for (let bs = 1; bs <= 600; bs++) {
    for (let max = 1; max <= 300; max++) {
      const s = splitBatch(bs, max)!;
      const sum = s.parts.reduce((a, p) => a + p.size * p.count, 0);
      assert.equal(sum, bs, `bs ${bs}, max ${max}: ${formatSplit(s)}`);
      assert.ok(s.largest <= max && s.parts.every((p) => p.size >= 1 && p.count >= 1), `bs ${bs}, max ${max}: ${formatSplit(s)}`);
      assert.equal(s.steps, s.parts.reduce((a, p) => a + p.count, 0));
      // Never more micro-steps than twice the minimum; an uneven split differs by one and uses the minimum.
      const k = Math.ceil(bs / Math.min(max, bs));
      assert.ok(s.steps >= k && s.steps <= 2 * k);
      if (!s.even) assert.ok(s.steps === k && s.parts.length === 2 && s.parts[0].size === s.parts[1].size + 1);
    }
  }
});

test('splitBatch: the issue\'s cases — bs 256, max 122 → 4 × 64 (not 3 × 86 = 258); 250 → 5 × 50 (not 3 × 84 = 252); a prime batch says it is uneven', () => {
  assert.equal(formatSplit(splitBatch(256, 122)!), '4 × 64');
  assert.equal(formatSplit(splitBatch(250, 122)!), '5 × 50');
  assert.equal(formatSplit(splitBatch(256, 52)!), '8 × 32'); // the RTX 4090 row: was "52 × 5" = 260
  const prime = splitBatch(251, 122)!;
  assert.equal(formatSplit(prime), '2 × 84 + 1 × 83');
  assert.equal(prime.even, false);
  assert.equal(formatSplit(splitBatch(256, 1000)!), '1 × 256');
  assert.equal(splitBatch(256, 0), null);
  assert.equal(formatSplit(splitBatch(7, Number.POSITIVE_INFINITY)!), '1 × 7');
});

test('a tiny model gets the stated per-micro-step floor, not microseconds: 100 launches × layers × 5 µs (uncalibrated: no fixed part)', () => {
  const tiny = { d: 64, layers: 1, heads: 2, dFf: 64, seqLen: 16, vocab: 128 };
  const e = estimateTraining({ config: tiny, batchSize: 1, gpu: 'a100-40gb' });
  assert.equal(KERNELS_PER_LAYER * KERNEL_LAUNCH_SECONDS, 5e-4);
  assert.equal(e.floorSecondsPerMicroStep, 5e-4);
  assert.equal(e.floorApplied, true);
  assert.equal(e.secondsPerStep, 5e-4);
  assert.ok(e.evidence.some((l) => /time floor 500 µs per micro-step .*it sets the time/.test(l)));
  const accumulated = estimateTraining({ config: tiny, batchSize: 8, gpu: { ...e.gpu, usableBytes: e.memory.phases[0].fixedBytes + 2.5 * e.memory.phases[0].perSampleBytes } });
  assert.deepEqual(accumulated.split?.parts, [{ size: 2, count: 4 }]);
  assert.equal(accumulated.secondsPerStep, 4 * 5e-4, 'the floor applies to every micro-step');
  // Calibrated, the fitted fixed part (124 ms on an A100) comes once per optimizer step, on top.
  const calibrated = estimateTraining({ config: tiny, batchSize: 1, gpu: 'a100-40gb' }, cal);
  assert.ok(Math.abs(calibrated.secondsPerStep! - (calibrated.throughput.curve.overheadFlops / 312e12 + 5e-4)) < 1e-12);
});

test('where the launch floor makes equal micro-batches\' extra micro-steps slower, the fewest micro-steps are used instead', () => {
  // d 128, 16 layers, T 1024 on an H100: at most 241 a micro-batch; the 8 ms floor binds on a micro-batch of 85.
  const config = { d: 128, layers: 16, heads: 4, dFf: 64, seqLen: 1024, vocab: 128 };
  const e255 = estimateTraining({ config, batchSize: 255, gpu: 'h100-80gb' }, cal);
  const e256 = estimateTraining({ config, batchSize: 256, gpu: 'h100-80gb' }, cal);
  assert.equal(e255.maxMicroBatch, 241);
  assert.equal(formatSplit(splitBatch(255, 241)!), '3 × 85', 'the equal split would take three micro-steps, each at the floor');
  assert.equal(formatSplit(e255.split!), '1 × 128 + 1 × 127');
  assert.equal(formatSplit(e256.split!), '2 × 128');
  assert.ok(e255.secondsPerStep! <= e256.secondsPerStep!);
});

test('fp32 on a GPU is PyTorch fp32 storage, said to be the default; the tfjs model only when asked for', () => {
  const e = estimateTraining({ config: SEED_CONFIGS['300M'], batchSize: 256, gpu: 'a100-40gb', precision: 'fp32' }, cal);
  assert.equal(e.preset, 'torch-eager-fp32');
  assert.ok(e.evidence.some((l) => /^storage torch-eager-fp32: PyTorch eager on a GPU in plain fp32 .*the default for fp32 on a GPU; others for fp32: tfjs-fp32, tfjs-fp32-backend-kernels, chosen with --storage/.test(l)));
  // Every saved activation is 4 bytes (plain fp32), the T×T probabilities and one-hot included.
  assert.equal(e.memory.components.find((c) => c.key === 'q')!.bytesPerElement, 4);
  assert.equal(e.tt.value, 8);
  const tfjs = estimateTraining({ config: SEED_CONFIGS['300M'], batchSize: 256, gpu: 'a100-40gb', precision: 'fp32', preset: 'tfjs-fp32' }, cal);
  assert.equal(tfjs.preset, 'tfjs-fp32');
  assert.ok(!tfjs.evidence.some((l) => /the default for/.test(l)));
});

test('every byte figure of the estimate is a whole number, even with a calibrated fractional T×T size', () => {
  const e = estimateTraining({ config: SEED_CONFIGS['300M'], batchSize: 256, gpu: 'a100-40gb', ttBytesPerElement: 6.2301 }, cal);
  const j = estimateToJson(e) as { memory: Record<string, number>; usable_bytes: number };
  for (const [k, v] of Object.entries(j.memory)) assert.ok(Number.isInteger(v), `${k} = ${v}`);
  assert.ok(Number.isInteger(j.usable_bytes));
  assert.equal(Object.values(j.memory).reduce((a, b) => a + b, 0) - j.memory.total_bytes, j.memory.total_bytes);
  for (const r of sweepBatchSizes({ config: SEED_CONFIGS['300M'], gpu: 'a100-40gb', ttBytesPerElement: 6.2301 }, cal)) assert.ok(Number.isInteger(r.totalBytes) && Number.isInteger(r.attentionBytes));
});

test('memory verdicts carry the T×T range 2.00–6.23: 300M on an A100 at bs 128 depends (fits at ≤ 3.63), on an H100 at bs 256 depends (≤ 4.48); A100 bs 256 does not fit, H100 bs 128 fits', () => {
  const v = (gpu: string, batchSize: number) => estimateTraining({ config: SEED_CONFIGS['300M'], batchSize, gpu }, cal);
  const a128 = v('a100-40gb', 128);
  assert.equal(a128.fits, false, 'at the 4.00 bytes used, a flat no before');
  assert.equal(a128.verdict.kind, 'depends');
  assert.equal(a128.verdict.text, 'depends on the T×T storage (fits at ≤ 3.63 bytes/element)');
  // The boundary is exact: at X bytes/element the batch takes the whole usable memory.
  const atX = estimateTrainingMemory(SEED_CONFIGS['300M'], 128, { precision: a128.precision, preset: a128.preset, ttBytesPerElement: a128.verdict.maxTtBytes }).totalBytes;
  assert.ok(Math.abs(atX / a128.usableBytes - 1) < 1e-9);
  const h256 = v('h100-80gb', 256);
  assert.equal(h256.fits, true, 'at the 4.00 bytes used, a flat yes before');
  assert.equal(h256.verdict.text, 'depends on the T×T storage (fits at ≤ 4.48 bytes/element)');
  assert.equal(v('a100-40gb', 256).verdict.text, 'does not fit');
  assert.equal(v('h100-80gb', 128).verdict.text, 'fits');
  assert.deepEqual(a128.verdict.range.map((x) => x!.toFixed(2)), ['2.00', '6.23']);
  // A value given with --tt-bytes is no range: it decides alone.
  const given = estimateTraining({ config: SEED_CONFIGS['300M'], batchSize: 128, gpu: 'a100-40gb', ttBytesPerElement: 3 }, cal);
  assert.equal(given.verdict.kind, 'fits');
  assert.deepEqual(given.verdict.range, [3, 3]);
});

test('headroom: the limit is usable × (1 − headroom), and the largest micro-batch is cut to fit it', () => {
  const none = estimateTraining({ config: SEED_CONFIGS['300M'], batchSize: 256, gpu: 'a100-40gb' }, cal);
  const kept = estimateTraining({ config: SEED_CONFIGS['300M'], batchSize: 256, gpu: 'a100-40gb', headroom: 0.2 }, cal);
  assert.equal(kept.limitBytes, 0.8 * kept.usableBytes);
  assert.ok(kept.maxMicroBatch < none.maxMicroBatch);
  assert.ok(estimateTrainingMemory(SEED_CONFIGS['300M'], kept.split!.largest, { ttBytesPerElement: 4 }).totalBytes <= kept.limitBytes);
  assert.throws(() => estimateTraining({ config: SEED_CONFIGS['300M'], batchSize: 256, gpu: 'a100-40gb', headroom: 1 }, cal), /field 'headroom'/);
});
