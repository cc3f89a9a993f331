import { test } from 'node:test';
import assert from 'node:assert/strict';
import { predictionSpan } from '../../src/report/analysis.js';
import type { Prediction } from '../../src/fit/predict.js';

function prediction(interval: Prediction['interval'], alternatives: number[]): Prediction {
  return { interval, alternatives: alternatives.map((valBpc) => ({ law: 'A free', valBpc })) } as unknown as Prediction;
}

test('the span of a prediction holds its interval and every other law: [1.392, 1.422] with 1.375 spans 0.047', () => {
  assert.ok(Math.abs(predictionSpan(prediction({ level: 0.8, lo: 1.392, hi: 1.422 }, [1.375]))! - 0.047) < 1e-12);
  assert.ok(Math.abs(predictionSpan(prediction({ level: 0.8, lo: 1.392, hi: 1.422 }, [1.4]))! - 0.03) < 1e-12, 'a law inside the interval adds nothing');
  assert.equal(predictionSpan(prediction(null, [1.4])), null);
});
