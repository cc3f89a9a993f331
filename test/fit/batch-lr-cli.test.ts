/**
 * The batch/LR laws from the command line (issue 30): fit --csv --form critical-batch on a
 * SYNTHETIC table (test/fit/fixtures/critical-batch-synthetic.csv: S(B) = S_min(1 + B_noise/B)
 * with B_noise = 2·size^0.5 and S_min = 5000/size^0.1, six decimals, no noise), and bad input.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bitscaleCli as bitscale, failsWith } from '../helpers.js';

const TABLE = 'test/fit/fixtures/critical-batch-synthetic.csv';

test('fit --csv --form critical-batch --by size --json: S_min and B_noise per size and the trend B_noise = 2·size^0.5, recovered', () => {
  const r = bitscale(['fit', '--csv', TABLE, '--form', 'critical-batch', '--x', 'batch', '--y', 'steps_to_target', '--by', 'size', '--json']);
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.deepEqual(out.groups.map((g: { by: number }) => g.by), [1e6, 4e6, 16e6, 64e6]);
  for (const g of out.groups) {
    assert.ok(Math.abs(g.B_noise / (2 * Math.sqrt(g.by)) - 1) < 1e-4, `B_noise ${g.B_noise} at ${g.by}`);
    assert.ok(Math.abs(g.S_min / (5000 / g.by ** 0.1) - 1) < 1e-4, `S_min ${g.S_min}`);
    assert.ok(g.lo <= g.B_noise && g.B_noise <= g.hi);
  }
  assert.ok(Math.abs(out.trend.exponent - 0.5) < 1e-4 && Math.abs(out.trend.coefficient / 2 - 1) < 1e-3, JSON.stringify(out.trend));
});

test('bad input to --form critical-batch: a missing --by, a non-numeric batch naming file, line and column, a non-positive step count, --by without the form', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bitscale-cb-'));
  const bad = join(dir, 'bad.csv');
  writeFileSync(bad, 'size,batch,steps\n1,4,100\n1,lots,60\n1,16,40\n');
  failsWith(['fit', '--csv', TABLE, '--form', 'critical-batch', '--x', 'batch', '--y', 'steps_to_target'], /needs --x BATCH_COL, --y STEPS_COL and --by COL/);
  failsWith(['fit', '--csv', bad, '--form', 'critical-batch', '--x', 'batch', '--y', 'steps', '--by', 'size'], /bad\.csv:3: field 'batch': 'lots' is not a finite number/);
  const zero = join(dir, 'zero.csv');
  writeFileSync(zero, 'size,batch,steps\n1,4,100\n1,8,0\n1,16,40\n');
  failsWith(['fit', '--csv', zero, '--form', 'critical-batch', '--x', 'batch', '--y', 'steps', '--by', 'size'], /zero\.csv:3: field 'steps': 0 is not positive/);
  failsWith(['fit', '--csv', TABLE, '--form', 'saturating', '--x', 'batch', '--y', 'steps_to_target', '--by', 'size'], /--by COL is for --csv FILE --form critical-batch/);
});

test('fit --batch-lr on the shipped Brown grid: 2 sizes × batch 4–64 (16×) × 4 log-spaced rates × 2 token budgets, every cell run; γ with its interval and a B_noise per size', () => {
  const r = bitscale(['fit', '--batch-lr', '--json']);
  assert.equal(r.status, 0, r.stderr);
  const [a] = JSON.parse(r.stdout).analyses;
  assert.equal(a.collection, 'brown-batch-lr');
  const cells: { params: number; tokens: number; batch: number; rates: { lr: number }[] }[] = a.lr;
  const sizes = [...new Set(cells.map((c) => c.params))];
  const budgets = [...new Set(cells.map((c) => c.tokens))];
  const batches = [...new Set(cells.map((c) => c.batch))].sort((x, y) => x - y);
  assert.equal(sizes.length, 2);
  assert.equal(budgets.length, 2);
  assert.ok(batches[batches.length - 1] / batches[0] >= 16, `${batches}`);
  assert.equal(cells.length, 2 * 2 * batches.length);
  for (const c of cells) {
    const lrs = c.rates.map((x) => x.lr);
    assert.equal(lrs.length, 4);
    const ratios = lrs.slice(1).map((lr, i) => Math.log10(lr / lrs[i]));
    assert.ok(ratios.every((q) => Math.abs(q - 0.5) < 0.03), `log-spaced by half a decade: ${lrs}`);
  }
  assert.ok(Number.isFinite(a.lr_law.gamma) && a.lr_law.interval.lo < a.lr_law.gamma && a.lr_law.gamma < a.lr_law.interval.hi);
  for (const s of a.sizes) assert.ok(s.targets.some((t: { fit: { refusal: string | null; b_noise: number } }) => t.fit.refusal === null && t.fit.b_noise > 0));
});
