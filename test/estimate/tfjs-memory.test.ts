import { test } from 'node:test';
import assert from 'node:assert/strict';
import { calibrateFromRuns, fp32PeakChecks, modelConfigFromJson } from '../../src/estimate/calibrate.js';
import { estimateTrainingMemory } from '../../src/estimate/memory.js';
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
