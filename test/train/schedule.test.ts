import { test } from 'node:test';
import assert from 'node:assert/strict';
import { learningRateAt, temperatureAt } from '../../src/train/schedule.js';

const close = (a: number, b: number, tol = 1e-12) => assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b}`);

test('warmup is linear: update t gets lr·(t+1)/warmup', () => {
  close(learningRateAt(0, 100, 1e-3, 10), 1e-4);
  close(learningRateAt(9, 100, 1e-3, 10), 1e-3);
});

test('cosine decay: half-way through the decay the lr is peak/2, and the last update gets 0', () => {
  // decay steps = 90; t − warmup + 1 = 45 at t = 54 → ½(1 + cos(π/2)) = ½.
  close(learningRateAt(54, 100, 1e-3, 10), 5e-4);
  close(learningRateAt(99, 100, 1e-3, 10), 0);
  close(learningRateAt(99, 100, 1e-3, 10, 1e-4), 1e-4);
});

test('τ follows the log schedule 2.0 → 0.1: τ(0) = 2, τ(steps/2) = 2·√0.05', () => {
  close(temperatureAt(0, 1000, 2, 0.1), 2);
  close(temperatureAt(500, 1000, 2, 0.1), 2 * Math.sqrt(0.05));
  close(temperatureAt(1000, 1000, 2, 0.1), 0.1, 1e-12);
});
