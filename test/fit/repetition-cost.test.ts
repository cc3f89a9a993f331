import { test } from 'node:test';
import assert from 'node:assert/strict';
import { effectiveSteps, repetitionCost, type RepetitionEvidence } from '../../src/fit/repetition-cost.js';
import { bitscaleCli as bitscale, failsWith } from '../helpers.js';

const U = 387e6;
const TOKENS_PER_STEP = 256 * 256;

test("S' by hand: 30K steps of bs 256 × T 256 over 387M unique tokens (5.08 passes), measured at a 15K-step budget (2.54), R*_D = 15", () => {
  const worth = (d: number) => {
    const r = d / U - 1; // repeated passes
    return (U + U * 15 * (1 - Math.exp(-r / 15))) / d; // D'/D
  };
  const d = 30_000 * TOKENS_PER_STEP;
  const b = 15_000 * TOKENS_PER_STEP;
  const want = (30_000 * worth(d)) / worth(b);
  assert.ok(Math.abs(effectiveSteps(30_000, d, b, U, 15) / want - 1) < 1e-12);
  assert.ok(want < 30_000 && want > 25_000, `${want}`);
  // At the budget itself nothing new is repeated; R* = ∞ (repeats as good as new) costs nothing.
  assert.equal(effectiveSteps(15_000, b, b, U, 15), 15_000);
  assert.ok(Math.abs(effectiveSteps(30_000, d, b, U, Number.POSITIVE_INFINITY) - 30_000) < 1e-6);
});

test('the cost is the law at S\' less the law at S, its interval the cost at the ends of R*\'s interval (an open end costs 0); one pass costs nothing; no evidence, no number', () => {
  const law = (steps: number) => 1.3 + 2 * steps ** -0.3; // falls with steps
  const q = { steps: 30_000, tokens: 30_000 * TOKENS_PER_STEP, budgetTokens: 15_000 * TOKENS_PER_STEP, uniqueTokens: U, uniqueSource: 'test' };
  const evidence: RepetitionEvidence = { source: 'borrowed', group: 'dataset=brown|arch=bitlm-v57', recipe: 'r', runs: 10, repeatedRuns: 6, rStar: 15, rStarInterval: { level: 0.8, lo: 5, hi: Number.POSITIVE_INFINITY } };
  const c = repetitionCost(q, evidence, law);
  assert.ok(Math.abs(c.cost! - (law(effectiveSteps(30_000, q.tokens, q.budgetTokens, U, 15)) - law(30_000))) < 1e-15);
  assert.ok(c.cost! > 0);
  assert.equal(c.interval!.lo, 0);
  assert.ok(Math.abs(c.interval!.hi - (law(effectiveSteps(30_000, q.tokens, q.budgetTokens, U, 5)) - law(30_000))) < 1e-15);
  assert.ok(c.interval!.hi > c.cost!);
  assert.match(c.note, /BORROWED from brown/);
  assert.equal(repetitionCost({ ...q, tokens: 0.5 * U }, evidence, law).cost, 0);
  const none = repetitionCost(q, null, law);
  assert.equal(none.cost, null);
  assert.match(none.note, /unknown/);
});

test('predict on the shipped runs: 30K steps at bs 256 make 5.08 passes over GLM\'s 387M bytes; R*_D is borrowed from the Brown ladders and the cost is positive with its interval', () => {
  const r = bitscale(['predict', '--params', '369.6M', '--steps', '30000', '--batch-size', '256', '--dataset', 'GLM-Reasoning', '--json']);
  assert.equal(r.status, 0, r.stderr);
  const rep = JSON.parse(r.stdout).repetition;
  assert.ok(Math.abs(rep.passes - (30_000 * TOKENS_PER_STEP) / U) < 1e-9, `${rep.passes}`);
  assert.ok(Math.abs(rep.budget_passes - (15_000 * TOKENS_PER_STEP) / U) < 1e-9);
  assert.equal(rep.evidence.source, 'borrowed');
  assert.match(rep.evidence.group, /dataset=brown/);
  assert.ok(rep.cost > 0 && rep.interval.lo <= rep.cost && rep.cost <= rep.interval.hi, JSON.stringify(rep));
  assert.match(r.stderr, /borrowed assumption/);
  // A corpus larger than the tokens: one pass, no cost; --dataset-bytes is U for a byte-level dataset.
  const big = JSON.parse(bitscale(['predict', '--params', '369.6M', '--steps', '30000', '--batch-size', '256', '--dataset', 'GLM-Reasoning', '--dataset-bytes', '4B', '--json']).stdout).repetition;
  assert.equal(big.unique_tokens, 4e9);
  assert.equal(big.cost, 0);
});

test('predict refuses, in one line: --unique-tokens with --dataset-bytes, a corpus smaller than one batch, a negative or non-numeric size', () => {
  const q = ['predict', '--params', '46.4M', '--steps', '30000', '--batch-size', '256', '--dataset', 'GLM-Reasoning'];
  failsWith([...q, '--unique-tokens', '1B', '--dataset-bytes', '1B'], /not both/);
  failsWith([...q, '--dataset-bytes', '1000'], /field 'dataset-bytes'.*less than one batch \(256 × 256 = 65,536 tokens\)/);
  failsWith([...q, '--dataset-bytes', '-5'], /field 'dataset-bytes'/);
  failsWith([...q, '--unique-tokens', 'lots'], /field 'unique-tokens'/);
});
