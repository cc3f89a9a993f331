/**
 * Families compared from the command line (issue 31 items 4, 5, 8):
 * - `fit --csv --family` on test/fit/fixtures/families-synthetic.csv (SYNTHETIC: the shared law
 *   with m = 1, 0.4, 2.5; written by families-synthetic.ts), `--save`, `predict --law --family`;
 * - `compare` on a SYNTHETIC run table written here: bitlm-v57 runs (the reference), a foreign
 *   arch "gpt-ref" at m = 2, and a d_ff = 2·d ablation of v57 (purpose shape-ablation) at m = 0.8,
 *   all from L = 1.5 + 30/(m·N)^0.3 + 40/D^0.3 with no noise; plus families on another recipe or
 *   dataset, which are refused unless --allow-mismatch.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bitscaleCli as bitscale, failsWith } from '../helpers.js';
import { writeFamilies } from './family-ladders.js';
import { familiesTruthLoss } from './fixtures/families-synthetic.js';

const TABLE = 'test/fit/fixtures/families-synthetic.csv';
const csvFit = ['fit', '--csv', TABLE, '--form', 'chinchilla', '--x', 'params', '--d', 'tokens', '--y', 'loss', '--family', 'family', '--reference', 'float', '--bootstrap', '200'];

test('fit --csv --family family --reference float --json: multipliers {pm1: 0.4, wide: 2.5} recovered with intervals holding them, and the shared law\'s parameters', () => {
  const r = bitscale([...csvFit, '--json']);
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.deepEqual(out.families, ['float', 'pm1', 'wide']);
  for (const [f, m] of [['pm1', 0.4], ['wide', 2.5]] as const) {
    const e = out.multipliers[f];
    assert.ok(Math.abs(e.value / m - 1) < 1e-4, `${f}: ${e.value}`);
    assert.ok(e.lo <= m * (1 + 1e-5) && m * (1 - 1e-5) <= e.hi, JSON.stringify(e));
  }
  assert.ok(Math.abs(out.params.alpha.value - 0.3) < 1e-4 && Math.abs(out.params.E.value - 1.5) < 1e-4);
  assert.equal(out.alphas, null);
  assert.equal(out.level, 0.8);
});

test('fit --csv --family --separate-exponents --level 0.9: alpha_f = 0.3 for every family, delta_alpha ≈ 0, m(N) = 0.4 at each size', () => {
  const r = bitscale([...csvFit, '--separate-exponents', '--level', '0.9', '--json']);
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.equal(out.level, 0.9);
  for (const f of ['float', 'pm1', 'wide']) assert.ok(Math.abs(out.alphas[f].value - 0.3) < 1e-4, `${f}: ${out.alphas[f].value}`);
  assert.ok(Math.abs(out.delta_alpha.pm1.value) < 1e-4);
  for (const s of out.sizes.pm1) assert.ok(Math.abs(s.multiplier.value - 0.4) < 1e-4);
});

test('fit --csv --family --save, then predict --law --family pm1 --params 2M --tokens 500M gives the truth 1.5 + 30/(0.4·2M)^0.3 + 40/(500M)^0.3; an unknown family is one line listing the known ones', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bitscale-families-'));
  const law = join(dir, 'families.json');
  const fit = bitscale([...csvFit, '--save', law, '--json']);
  assert.equal(fit.status, 0, fit.stderr);
  assert.equal(JSON.parse(readFileSync(law, 'utf8')).form, 'families');
  const r = bitscale(['predict', '--law', law, '--params', '2M', '--tokens', '500M', '--family', 'pm1', '--json']);
  assert.equal(r.status, 0, r.stderr);
  const p = JSON.parse(r.stdout);
  const truth = familiesTruthLoss('pm1', 2e6, 5e8);
  assert.ok(Math.abs(p.value - truth) < 1e-5, `${p.value} vs ${truth}`);
  assert.ok(p.curve_interval.lo <= p.value && p.value <= p.curve_interval.hi);
  assert.ok(Math.abs(p.multiplier - 0.4) < 1e-4);
  failsWith(['predict', '--law', law, '--params', '2M', '--tokens', '500M', '--family', 'nope'], /no family 'nope' in this law \(families: float, pm1, wide\)/);
  failsWith(['predict', '--law', law, '--params', '2M', '--tokens', '500M'], /give --family F \(one of: float, pm1, wide\)/);
  failsWith(['predict', '--law', law, '--params', '2M', '--family', 'pm1'], /give --tokens D/);
});

test('the saturating form at one budget (--where tokens=1e9): m = 0.4 recovered; a saved saturating families law predicts from N alone', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bitscale-families-'));
  const law = join(dir, 'sat.json');
  const r = bitscale(['fit', '--csv', TABLE, '--form', 'saturating', '--x', 'params', '--y', 'loss', '--where', 'tokens=1e9', '--family', 'family', '--reference', 'float', '--bootstrap', '100', '--save', law, '--json']);
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.ok(Math.abs(out.multipliers.pm1.value - 0.4) < 1e-3, `${out.multipliers.pm1.value}`);
  const p = bitscale(['predict', '--law', law, '--params', '2M', '--family', 'wide', '--json']);
  assert.equal(p.status, 0, p.stderr);
  assert.ok(Math.abs(JSON.parse(p.stdout).value - familiesTruthLoss('wide', 2e6, 1e9)) < 1e-4);
});

test('bad input to fit --family: an unknown reference lists the families, --family without --csv or --reference, a blank family names file and line, mixed budgets in the saturating form', () => {
  failsWith(['fit', '--csv', TABLE, '--form', 'chinchilla', '--x', 'params', '--d', 'tokens', '--y', 'loss', '--family', 'family', '--reference', 'fp32', '--bootstrap', '0'], /no family 'fp32' \(families: float, pm1, wide\)/);
  failsWith(['fit', '--csv', TABLE, '--form', 'chinchilla', '--x', 'params', '--d', 'tokens', '--y', 'loss', '--family', 'family'], /--family COL and --reference F go together/);
  failsWith(['fit', '--family', 'family', '--reference', 'float'], /give --csv FILE/);
  failsWith(['fit', '--csv', TABLE, '--form', 'saturating', '--x', 'params', '--y', 'loss', '--family', 'family', '--reference', 'float'], /mix 3 budgets in column 'tokens'/);
  const dir = mkdtempSync(join(tmpdir(), 'bitscale-families-'));
  const blank = join(dir, 'blank.csv');
  writeFileSync(blank, 'family,params,tokens,loss\nfloat,1e5,1e8,2.6\n,1e6,1e8,2.4\n');
  failsWith(['fit', '--csv', blank, '--form', 'chinchilla', '--x', 'params', '--d', 'tokens', '--y', 'loss', '--family', 'family', '--reference', 'float'], /blank\.csv:3: field 'family': no family named/);
});

const runsDir = (() => {
  const dir = mkdtempSync(join(tmpdir(), 'bitscale-compare-'));
  writeFamilies(dir, [
    { arch: 'bitlm-v57', m: 1, dffRatio: 0.5, prefix: 'v57' },
    { arch: 'bitlm-v57', m: 0.8, dffRatio: 2, purpose: 'shape-ablation', prefix: 'v57ff2' },
    { arch: 'gpt-ref', m: 2, dffRatio: 0.5, prefix: 'gpt' },
    { arch: 'gpt-lr', m: 2, dffRatio: 0.5, lr: 1e-3, prefix: 'gptlr' },
    { arch: 'gpt-tiny', m: 2, dffRatio: 0.5, dataset: 'tiny', prefix: 'gpttiny' },
  ]);
  return dir;
})();

test('compare --dataset brown --families bitlm-v57,gpt-ref,bitlm-v57:ff2 --json: m = 2 and 0.8 recovered, the ff2 selector picks the shape-ablation runs and the plain arch leaves them out, m(N) given at 369.6M flagged as extrapolation', () => {
  const r = bitscale(['--runs', runsDir, 'compare', '--dataset', 'brown', '--families', 'bitlm-v57,gpt-ref,bitlm-v57:ff2', '--bootstrap', '100', '--json']);
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.deepEqual(out.families.map((f: { family: string }) => f.family), ['bitlm-v57', 'gpt-ref', 'bitlm-v57:ff2']);
  assert.ok(out.families[0].runs.every((id: string) => id.startsWith('v57-')) && out.families[0].runs.length === 12);
  assert.ok(out.families[2].runs.every((id: string) => id.startsWith('v57ff2-')) && out.families[2].runs.length === 12);
  assert.equal(out.mismatch, null);
  const c = out.comparison;
  assert.ok(Math.abs(c.multipliers['gpt-ref'].value - 2) < 1e-3, JSON.stringify(c.multipliers));
  assert.ok(Math.abs(c.multipliers['bitlm-v57:ff2'].value - 0.8) < 1e-3);
  const last = c.sizes['gpt-ref'].at(-1);
  assert.equal(last.params, 369.6e6);
  assert.ok(last.beyond_largest > 100, `${last.beyond_largest}`);
  assert.ok(Math.abs(last.multiplier.value - 2) < 1e-2);
  const human = bitscale(['--runs', runsDir, 'compare', '--dataset', 'brown', '--families', 'bitlm-v57,gpt-ref', '--bootstrap', '50']);
  assert.equal(human.status, 0, human.stderr);
  assert.match(human.stdout, /m\[gpt-ref\] = 2\.000/);
  // Both ladders ran 250, 500 and 1000 steps: the output points at --steps, and --steps drops the hint and fits one budget.
  assert.match(human.stdout, /^every family ran 250, 500, 1000 steps: --steps S compares them at one budget/m);
  const one = JSON.parse(bitscale(['--runs', runsDir, 'compare', '--dataset', 'brown', '--families', 'bitlm-v57,gpt-ref', '--steps', '500', '--bootstrap', '0', '--json']).stdout);
  assert.deepEqual(one.shared_steps, [500]);
  assert.equal(one.families[0].runs.length, 4);
  assert.ok(Math.abs(one.comparison.multipliers['gpt-ref'].value - 2) < 1e-3, JSON.stringify(one.comparison.multipliers));
  assert.match(human.stdout, /369\.6M .* extrapolated ×\d+\.\d beyond the largest run/);
  // bitlm-v57:ff0.5 picks the same runs as bitlm-v57 (its main ladder has d_ff = d/2): said, since the two are then not independent.
  const self = bitscale(['--runs', runsDir, 'compare', '--dataset', 'brown', '--families', 'bitlm-v57,bitlm-v57:ff0.5', '--bootstrap', '0', '--json']);
  assert.equal(self.status, 0, self.stderr);
  assert.match(self.stderr, /families bitlm-v57 and bitlm-v57:ff0\.5 share 12 run\(s\)/);
  assert.ok(Math.abs(JSON.parse(self.stdout).comparison.multipliers['bitlm-v57:ff0.5'].value - 1) < 1e-6);
});

test('compare refuses families on another recipe or dataset with one line naming both and what differs; --allow-mismatch compares them and says so in a table line and a JSON field', () => {
  failsWith(['--runs', runsDir, 'compare', '--dataset', 'brown', '--families', 'bitlm-v57,gpt-lr', '--bootstrap', '0'], /families bitlm-v57 and gpt-lr are not on the same data and recipe \(peak LR 0\.003 vs 0\.001\).*--allow-mismatch/);
  failsWith(['--runs', runsDir, 'compare', '--families', 'bitlm-v57,gpt-tiny', '--bootstrap', '0'], /families bitlm-v57 and gpt-tiny are not on the same data and recipe \(dataset brown vs tiny\)/);
  failsWith(['--runs', runsDir, 'compare', '--dataset', 'brown', '--families', 'bitlm-v57,float-v52', '--bootstrap', '0'], /family float-v52: no completed scaling runs of arch float-v52 on brown \(archs there: bitlm-v57, gpt-lr, gpt-ref\)/);
  failsWith(['--runs', runsDir, 'compare', '--families', 'bitlm-v57:ffx,gpt-ref'], /'bitlm-v57:ffx' is not a family/);
  const r = bitscale(['--runs', runsDir, 'compare', '--dataset', 'brown', '--families', 'bitlm-v57,gpt-lr', '--allow-mismatch', '--bootstrap', '50', '--json']);
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout).mismatch, [{ family: 'gpt-lr', differs: 'peak LR 0.003 vs 0.001' }]);
  assert.match(r.stderr, /--allow-mismatch: gpt-lr differs from bitlm-v57 in peak LR 0\.003 vs 0\.001/);
  const human = bitscale(['--runs', runsDir, 'compare', '--dataset', 'brown', '--families', 'bitlm-v57,gpt-lr', '--allow-mismatch', '--bootstrap', '0']);
  assert.match(human.stdout, /MISMATCH \(--allow-mismatch\): gpt-lr differs from bitlm-v57 in peak LR 0\.003 vs 0\.001/);
});
