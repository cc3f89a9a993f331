import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { calibrateFromRuns, fp32PeakChecks, modelConfigFromJson } from '../../src/estimate/calibrate.js';
import { estimateTrainingMemory } from '../../src/estimate/memory.js';
import { readRunLog } from '../../src/runs/log.js';
import { loadRunTable } from '../../src/runs/table.js';

// Logs written by `node --import tsx bench/measure-tfjs-memory.ts` (bitscale train, tf.profile peak bytes).
const runs = loadRunTable(new URL('../../runs', import.meta.url).pathname).filter((r) => r.collection === 'tfjs-memory');

test('runs/tfjs-memory holds at least three measured tfjs runs of different shapes', () => {
  const shapes = new Set(runs.map((r) => JSON.stringify([r.config, r.batchSize])));
  assert.ok(runs.length >= 3 && shapes.size >= 3, `${runs.length} runs, ${shapes.size} shapes`);
  for (const r of runs) {
    assert.equal(r.precision, 'fp32');
    assert.ok(r.peakBytes !== null && r.peakBytes > 0, `${r.id} logged no peak_bytes`);
  }
});

test('the fp32 estimate predicts every measured tf.profile peak within 15%', () => {
  const checks = fp32PeakChecks(runs);
  assert.equal(checks.length, runs.length);
  for (const c of checks) assert.ok(Math.abs(c.ratio - 1) <= 0.15, `${c.runId}: predicted ${c.predictedBytes}, measured ${c.measuredBytes} (×${c.ratio.toFixed(3)})`);
  assert.deepEqual(calibrateFromRuns(runs).fp32Checks, checks);
});

test('the measured runs exercise both tfjs peak phases: end of backward and the AdamW update', () => {
  const phases = new Set(runs.map((r) => estimateTrainingMemory(modelConfigFromJson(r.config!), r.batchSize, { precision: 'fp32', preset: 'tfjs-fp32' }).peakPhase));
  assert.deepEqual([...phases].sort(), ['AdamW update', 'end of backward']);
});

// One replica in one process (--threads 1): the estimator models a single replica; with workers the
// log's peak_bytes is the sum of the workers' peaks.
test('the fp32 estimate matches tf.profile of the current trainer: one live step of `bitscale train` at a tiny shape', () => {
  const root = new URL('../..', import.meta.url).pathname;
  const dir = mkdtempSync(join(tmpdir(), 'bitscale-memlive-'));
  try {
    const text = join(dir, 'text.txt');
    writeFileSync(text, 'the quick brown fox jumps over the lazy dog. '.repeat(800));
    const model = { d: 32, layers: 2, heads: 4, d_ff: 48, seq_len: 32, vocab: 128 };
    const cfg = join(dir, 'cfg.json');
    writeFileSync(cfg, JSON.stringify({ name: 'memlive', model, batchSize: 4, steps: 1, lr: 1e-3, warmup: 1, evalEvery: 1, evalWindows: 2, checkpointEvery: 0, profileEvery: 1 }));
    const r = spawnSync(process.execPath, [join(root, 'bin/bitscale.js'), 'train', '--config', cfg, '--data', text, '--out', dir, '--run-id', 'memlive', '--backend', 'wasm', '--checkpoint-dir', join(dir, 'ckpt'), '--threads', '1'], { cwd: root, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const log = readRunLog(join(dir, 'memlive.jsonl'));
    const measured = log.steps[0].peak_bytes!;
    const predicted = estimateTrainingMemory(modelConfigFromJson(log.header.config!), 4, { precision: 'fp32', preset: 'tfjs-fp32' }).totalBytes;
    assert.ok(Math.abs(predicted / measured - 1) <= 0.15, `predicted ${predicted}, measured ${measured} (×${(predicted / measured).toFixed(3)}): the trainer changed what it keeps; update the tfjs-fp32 preset`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
