/**
 * The data-constrained law from the command line (issue 29, item 7): fit --csv --form
 * data-constrained with --save and --json, predict --law with --unique-tokens, and bad input.
 * The table is SYNTHETIC (test/fit/fixtures/data-constrained-synthetic.ts states its known parameters).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bitscaleCli as bitscale, failsWith } from '../helpers.js';

const SYNTHETIC = 'test/fit/fixtures/data-constrained-synthetic.csv';
const COLUMNS = ['--form', 'data-constrained', '--x', 'params', '--d', 'tokens', '--unique', 'unique_tokens', '--y', 'loss'];

const dir = mkdtempSync(join(tmpdir(), 'bitscale-dc-'));
const csv = (name: string, text: string) => {
  const f = join(dir, name);
  writeFileSync(f, text);
  return f;
};

test('fit --csv --form data-constrained --save --json: params E, A, B, alpha, beta, R_D_star (15 ±10% on the synthetic table), R_N_star null and named not identified; predict --law --unique-tokens gives L(N, D\'), passes, D\' and intervals from the saved draws', () => {
  const lawFile = join(dir, 'law.json');
  const fit = bitscale(['fit', '--csv', SYNTHETIC, ...COLUMNS, '--bootstrap', '50', '--save', lawFile, '--json']);
  assert.equal(fit.status, 0, fit.stderr);
  const out = JSON.parse(fit.stdout);
  assert.deepEqual(Object.keys(out.params).sort(), ['A', 'B', 'E', 'R_D_star', 'R_N_star', 'alpha', 'beta']);
  assert.ok(Math.abs(out.params.R_D_star / 15 - 1) < 0.1, `R_D_star ${out.params.R_D_star}`);
  assert.equal(out.params.R_N_star, null);
  assert.match(out.not_identified.R_N_star, /^no run has more parameters than N_opt\(U_D\)/);
  assert.equal(out.not_identified.R_D_star, null);
  assert.ok(out.intervals.R_D_star.lo < out.params.R_D_star && out.params.R_D_star < out.intervals.R_D_star.hi);
  assert.equal(out.input.columns.unique, 'unique_tokens');
  assert.match(fit.stderr, /R_N_star not identified/);

  const law = JSON.parse(readFileSync(lawFile, 'utf8'));
  assert.equal(law.form, 'data-constrained');
  assert.equal(law.samples.length, 50);
  assert.deepEqual(law.param_order, ['E', 'A', 'B', 'alpha', 'beta', 'R_D_star']);
  assert.equal(law.params.R_N_star, null);
  assert.deepEqual(law.ranges.passes, { min: 1, max: 32 });

  const r = bitscale(['predict', '--law', lawFile, '--params', '50M', '--tokens', '100B', '--unique-tokens', '2B', '--json']);
  assert.equal(r.status, 0, r.stderr);
  const p = JSON.parse(r.stdout);
  // By hand: 50 passes, R_D = 49, D' = U·(1 + R*·(1 − e^(−49/R*))), N' = N (R*_N = +∞).
  const { E, A, B, alpha, beta, R_D_star: R } = law.params;
  const dEff = 2e9 * (1 + R * (1 - Math.exp(-49 / R)));
  assert.equal(p.passes, 50);
  assert.ok(Math.abs(p.effective_tokens / dEff - 1) < 1e-12);
  assert.ok(Math.abs(p.value - (E + A / 5e7 ** alpha + B / dEff ** beta)) < 1e-12);
  assert.ok(Math.abs(p.unique_data_value - (E + A / 5e7 ** alpha + B / 1e11 ** beta)) < 1e-12);
  assert.ok(Math.abs(p.repetition_cost - (p.value - p.unique_data_value)) < 1e-12 && p.repetition_cost > 0);
  assert.ok(p.interval.lo < p.value && p.value < p.interval.hi && p.interval.level === 0.8);
  assert.ok(p.interval.lo <= p.curve_interval.lo && p.curve_interval.hi <= p.interval.hi);
  assert.ok(p.repetition_cost_interval.lo < p.repetition_cost && p.repetition_cost < p.repetition_cost_interval.hi);
  assert.equal(p.extrapolation.passes_factor, 50 / 32);
  assert.match(r.stderr, /passes D\/U is 1\.6× beyond the largest passes D\/U the law was fitted on/);

  const human = bitscale(['predict', '--law', lawFile, '--params', '50M', '--tokens', '100B', '--unique-tokens', '2B']);
  assert.match(human.stdout, /^for N = 50\.0M, D = 100\.00B tokens over U = 2\.00B unique tokens: 50\.00 passes; effective D' = /m);
  assert.match(human.stdout, /^cost of repetition: \+0\.\d{4} over the same law with every token unique/m);

  failsWith(['predict', '--law', lawFile, '--params', '50M', '--tokens', '100B'], /holds a data-constrained law: give --unique-tokens U/);
  failsWith(['predict', '--law', lawFile, '--params', '50M', '--tokens', '100B', '--unique-tokens', '0'], /unique-tokens/);
  failsWith(['plan', '--gpu', 'a100-40gb', '--hours', '1', '--law', lawFile], /a data-constrained law predicts from N, D and the corpus size U: use it with bitscale predict --law/);
});

test('fit --fix E,A,B,alpha,beta (a published base law) fits R_D_star alone; those five have no interval and come back as given', () => {
  const r = bitscale(['fit', '--csv', SYNTHETIC, ...COLUMNS, '--fix', 'E=1.8,A=400,B=2000', '--fix', 'alpha=0.3', '--fix', 'beta=0.36', '--bootstrap', '30', '--json']);
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.deepEqual([out.params.E, out.params.A, out.params.B, out.params.alpha, out.params.beta], [1.8, 400, 2000, 0.3, 0.36]);
  assert.equal(out.dof, 54 - 1);
  assert.equal(out.intervals.alpha, null);
  assert.ok(Math.abs(out.params.R_D_star / 15 - 1) < 0.1, `R_D_star ${out.params.R_D_star}`);
});

test('single-pass runs only: R_D_star is null and named not identified, and a saved law refuses to predict repeated data (giving the two bounds) but predicts one pass', () => {
  const lines = readFileSync(SYNTHETIC, 'utf8').trim().split('\n');
  const single = csv('single.csv', [lines[0], ...lines.slice(1).filter((l) => l.split(',')[1] === l.split(',')[2])].join('\n') + '\n');
  const lawFile = join(dir, 'single-law.json');
  // 9 single-pass runs for 5 base-law parameters.
  const r = bitscale(['fit', '--csv', single, ...COLUMNS, '--bootstrap', '20', '--save', lawFile, '--json']);
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.equal(out.params.R_D_star, null);
  assert.match(out.not_identified.R_D_star, /^every run is single-pass/);
  assert.match(r.stderr, /R_D_star not identified: every run is single-pass/);
  failsWith(['predict', '--law', lawFile, '--params', '30M', '--tokens', '8B', '--unique-tokens', '2B'], /R_D_star is not identified .* so it cannot predict 4\.00 passes over U: repeats worth nothing give \d\.\d{4} \(D' = U\), repeats as good as new tokens \d\.\d{4} \(D' = D\)/);
  const one = bitscale(['predict', '--law', lawFile, '--params', '30M', '--tokens', '2B', '--unique-tokens', '2B', '--json']);
  assert.equal(one.status, 0, one.stderr);
  assert.equal(JSON.parse(one.stdout).passes, 1);
});

test('bad input to fit --form data-constrained: one line naming the file, line and field (U ≤ 0, non-numeric U), a missing --unique, a bad --fix; less than one pass is allowed', () => {
  failsWith(['fit', '--csv', csv('zero.csv', 'params,tokens,unique_tokens,loss\n1e7,1e9,2e9,3.1\n1e8,1e9,0,2.9\n'), ...COLUMNS], /zero\.csv:3: field 'unique_tokens': 0 is not positive: a corpus holds a positive number of unique tokens/);
  failsWith(['fit', '--csv', csv('text.csv', 'params,tokens,unique_tokens,loss\n1e7,1e9,lots,3.1\n'), ...COLUMNS], /text\.csv:2: field 'unique_tokens': 'lots' is not a finite number/);
  failsWith(['fit', '--csv', SYNTHETIC, '--form', 'data-constrained', '--x', 'params', '--d', 'tokens', '--y', 'loss'], /field 'unique': the data-constrained form needs --unique COL/);
  failsWith(['fit', '--csv', SYNTHETIC, ...COLUMNS, '--fix', 'R_D_star=-1'], /field 'fix': R_D_star=-1: must be > 0 and finite/);
  failsWith(['fit', '--csv', SYNTHETIC, ...COLUMNS, '--fix', 'gamma=1'], /cannot fix 'gamma': the data-constrained form has E, A, B, alpha, beta, R_D_star, R_N_star/);
  failsWith(['fit', '--csv', SYNTHETIC, ...COLUMNS, '--fix', 'A=400,R_N_star=5'], /R_N_star in the law needs A and B both fixed or both free/);
  failsWith(['fit', '--csv', SYNTHETIC, '--form', 'chinchilla', '--x', 'params', '--d', 'tokens', '--unique', 'unique_tokens', '--y', 'loss'], /--unique COL is for --form data-constrained/);
  // Half a pass: no token repeats; the table parses and the law is fitted.
  const lines = readFileSync(SYNTHETIC, 'utf8').trim().split('\n');
  const half = csv('half.csv', [...lines, '10000000,1000000000,2000000000,4.5'].join('\n') + '\n');
  const r = bitscale(['fit', '--csv', half, ...COLUMNS, '--bootstrap', '0', '--json']);
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout).input.ranges.passes, { min: 0.5, max: 32 });
});

test('fit --backtest-repetition on the shipped Brown ladders: fitted on ≤ 4 passes, the ≥ 16-pass runs are predicted within 1% on average and the 80% interval holds at least 80% of them; the unique-data law errs more', () => {
  const r = bitscale(['fit', '--backtest-repetition', '--json', '--bootstrap', '200']);
  assert.equal(r.status, 0, r.stderr);
  const [b] = JSON.parse(r.stdout).backtests;
  assert.equal(b.refusal, null);
  assert.equal(b.held.length, 21, '3 sizes × 7 runs with ≥ 16 passes');
  assert.ok(b.held.every((h: { passes: number }) => h.passes >= 16 * 0.98));
  assert.ok(b.fitted.some((id: string) => id.startsWith('brown-ladder-')), 'the unique-data ladder anchors the base law');
  assert.ok(b.errors.mean_abs <= 0.01, `mean |error| ${b.errors.mean_abs}`);
  assert.ok(b.coverage.inside / b.coverage.total >= 0.8, `coverage ${b.coverage.inside}/${b.coverage.total}`);
  assert.ok(b.unique_data_errors.mean_abs > b.errors.mean_abs, `unique-data ${b.unique_data_errors.mean_abs} vs ${b.errors.mean_abs}`);
  assert.ok(b.params.R_D_star > 1, `R_D_star ${b.params.R_D_star}`);
});

test('fit --backtest-repetition with no heavily repeated run says so in one line and exits 1', () => {
  failsWith(['fit', '--backtest-repetition', '--runs', 'runs', '--collection', 'brown-ladder'], /no recipe has a completed run of known corpus size with 16 or more passes/);
});
